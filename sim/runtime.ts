import { Scheduler, type CoreCounters, type OutcomeSink } from '../core/scheduler.ts';
import type { AccountingTotals } from '../core/accounting.ts';
import type { Sample } from '../core/result.ts';
import { sinceWarmup, type WarmupMark } from '../core/warmup.ts';
import { TIMER_CODES, TIMER_KINDS, type Command, type Reply, type TimerKind } from '../core/types.ts';
import { Sampler } from '../scenarios/distributions.ts';
import { makeRng, type Rng } from '../scenarios/rng.ts';
import { coreConfigFor } from '../scenarios/config.ts';
import type { ContentionSpec, CostModel, FaultSpec, PolicySet, Scenario, SizeCost } from '../scenarios/scenario.ts';
import { workloadCursor, type Workload, type WorkloadStream } from '../scenarios/workload.ts';
import { EventQueue } from '../session/event-queue.ts';
import { SharedResource } from './contention.ts';
import type { SummaryRow } from '../reports/summary.ts';
import { ReplyLog, replyToSink } from '../session/reply-log.ts';

// Event kinds in the queue; payload slots a, b, c as noted.
const ARRIVAL = 0; // a: workload row
const WORKER_READY = 1; // a: worker
const WORKER_LOST = 2; // a: worker
const RESTORE_DONE = 3; // a: actor index, b: op, c: ok (1/0)
const EXEC_DONE = 4; // a: actor index, b: op, c: ok
const CHECKPOINT_DONE = 5; // a: actor index, b: op, c: ok
const TIMER = 6; // a: timer code, b: id, c: stamp
const SAMPLE = 7; // time-series sample
const WARMUP = 8; // end of the warm-up: cost integrals restart from here
const SHARED_DONE = 9; // a: contended resource index, b: stamp (stale unless the resource's current one)

const MIB = 1024 * 1024;

/** Everything one simulated run of one policy set produces. */
export interface SimResult {
  readonly policy: string;
  readonly replies: Reply[];
  readonly counters: CoreCounters;
  readonly totals: AccountingTotals;
  readonly events: number;
  readonly endMs: number;
  /** Replies arriving before this are left out of the statistics; totals and counters cover [warmupMs, endMs]. */
  readonly warmupMs: number;
  readonly samples: Sample[];
  /** Seed of the run's random streams (placement, costs, faults). */
  readonly seed: number;
  /** The summary row, when it was computed as the run went and `replies` holds only a sample. */
  readonly summary?: SummaryRow;
  /** Outcomes of the run, warm-up included, when `replies` holds only a sample (else replies.length). */
  readonly outcomes?: number;
}

/** Options of one simulated run. */
export interface SimOptions {
  readonly seed: number;
  /** Time-series sampling interval; 0 disables. */
  readonly sampleEveryMs: number;
  /** Gives up (with an error) past this many events, so a livelock fails instead of hanging. */
  readonly maxEvents?: number;
  /** Called with every command the core emits (for tests and traces). */
  readonly onCommand?: (nowMs: number, cmd: Command) => void;
  /** Filled in at the end of the run with the event queue's depth, for the benchmark's baseline. */
  readonly probe?: SimProbe;
  /**
   * Where outcomes go. Given, the result's `replies` is empty and the sink has
   * them (a ReplyLog for all of them as columns, a ReplyDigest for the
   * statistics and a sample at any scale); absent, they are kept as columns
   * and `replies` builds the objects when first read.
   */
  readonly replies?: OutcomeSink;
}

/** What a run's event queue held, written by `simulate` when asked (SimOptions.probe). */
export interface SimProbe {
  /** Events popped, including the one that ended the run. */
  pops: number;
  /** Sum over pops of the events still queued: pendingSum / pops is the mean depth. */
  pendingSum: number;
  peakPending: number;
  /** Invocations that arrived. */
  arrivals: number;
}

class SizeCostSampler {
  private readonly base: Sampler;
  private readonly msPerMiB: number;
  constructor(cost: SizeCost, rng: Rng) {
    this.base = new Sampler(cost.base, rng);
    this.msPerMiB = 1000 / cost.mibPerSec;
  }
  /** The fixed part: one draw. */
  sampleBase(): number {
    return this.base.sample();
  }
  /** The size part alone: solo transfer time of `bytes`. */
  transferMs(bytes: number): number {
    return (bytes / MIB) * this.msPerMiB;
  }
}

/**
 * The contended resources of a run (cost profile's `contention`): one
 * transfer and one cpu resource per scope, machine (one for the run) or node
 * (one per cluster node, by the node each worker was started on).
 */
class Contention {
  private readonly resources: SharedResource[] = [];
  // Per scope key (node index, or 0 for the machine): resource indexes, -1 when that kind is not modelled.
  private readonly transferOf: number[] = [];
  // Local-snapshot transfers, when `transfers.local` gives them their own resource (else transferOf's).
  private readonly localTransferOf: number[] = [];
  private readonly cpuOf: number[] = [];
  private readonly nodeIndex = new Map<string, number>();
  private readonly workerScope = new Map<number, number>();
  readonly transfers: boolean;
  readonly cpu: boolean;
  constructor(
    private readonly spec: ContentionSpec,
    private readonly queue: EventQueue,
  ) {
    this.transfers = spec.transfers !== undefined;
    this.cpu = spec.cpu !== undefined;
  }

  /** Remembers the worker's node (scope node) and returns its scope key. */
  placeWorker(worker: number, node: string): number {
    let key = 0;
    if (this.spec.scope === 'node') {
      const known = this.nodeIndex.get(node);
      key = known ?? this.nodeIndex.size;
      if (known === undefined) this.nodeIndex.set(node, key);
      this.workerScope.set(worker, key);
    }
    this.ensure(key);
    return key;
  }

  /** Resource of snapshot transfers on the worker's scope: the node disk's for a local snapshot when it has one. */
  transferFor(worker: number, local: boolean): SharedResource {
    const key = this.spec.scope === 'node' ? (this.workerScope.get(worker) ?? 0) : 0;
    this.ensure(key);
    return this.resources[(local ? this.localTransferOf : this.transferOf)[key]!]!;
  }

  /** Cpu resource of worker starts on a scope key. */
  cpuAt(key: number): SharedResource {
    return this.resources[this.cpuOf[key]!]!;
  }

  /** A stopped worker's start stops using cpu. */
  cancelStart(worker: number, nowMs: number): void {
    if (!this.cpu) return;
    const key = this.spec.scope === 'node' ? this.workerScope.get(worker) : 0;
    if (key === undefined || this.cpuOf[key] === undefined) return;
    this.cpuAt(key).cancel(nowMs, WORKER_READY, worker);
  }

  onDone(nowMs: number, resource: number, stamp: number): void {
    this.resources[resource]!.onDone(nowMs, stamp);
  }

  private ensure(key: number): void {
    if (this.transferOf[key] !== undefined) return;
    const add = (capacity: number): number => {
      this.resources.push(new SharedResource(capacity, this.queue, SHARED_DONE, this.resources.length));
      return this.resources.length - 1;
    };
    const t = this.spec.transfers;
    this.transferOf[key] = t === undefined ? -1 : add(t.streams);
    this.localTransferOf[key] = t === undefined ? -1 : t.local === undefined ? this.transferOf[key]! : add(t.local);
    this.cpuOf[key] = this.spec.cpu === undefined ? -1 : add(this.spec.cpu.cpus / this.spec.cpu.workerStart);
  }
}

/** Cost models in virtual time, all drawn from the `costs` stream. */
class Costs {
  readonly workerStart: Sampler;
  readonly coldBoot: Sampler;
  readonly restoreLocal: SizeCostSampler;
  readonly restoreExternal: SizeCostSampler;
  readonly restoreGolden: SizeCostSampler;
  readonly checkpointLocal: SizeCostSampler;
  readonly checkpointExternal: SizeCostSampler;
  readonly dispatch: Sampler;
  constructor(m: CostModel, rng: Rng) {
    this.workerStart = new Sampler(m.workerStart, rng);
    this.coldBoot = new Sampler(m.coldBoot, rng);
    this.restoreLocal = new SizeCostSampler(m.restore.local, rng);
    this.restoreExternal = new SizeCostSampler(m.restore.external, rng);
    this.restoreGolden = new SizeCostSampler(m.restore.golden, rng);
    this.checkpointLocal = new SizeCostSampler(m.checkpoint.local, rng);
    this.checkpointExternal = new SizeCostSampler(m.checkpoint.external, rng);
    this.dispatch = new Sampler(m.dispatch, rng);
  }
}

/** TIMER_CODES[kind] as a switch: a keyed lookup by string on every timer costs more than the rest of its push. */
function timerCode(kind: TimerKind): number {
  switch (kind) {
    case 'idle':
      return TIMER_CODES.idle;
    case 'park':
      return TIMER_CODES.park;
    case 'stop':
      return TIMER_CODES.stop;
    case 'retry':
      return TIMER_CODES.retry;
    case 'prewarm':
      return TIMER_CODES.prewarm;
    case 'scale':
      return TIMER_CODES.scale;
  }
}

const NO_FAULTS: FaultSpec = { restoreFailureRate: 0, checkpointFailureRate: 0, workerMtbfMs: 0 };

/**
 * Runs one policy set of a scenario over a workload in virtual time: the
 * simulated runtime executes the core's commands by scheduling their
 * completions from seeded cost models. Arrivals are pushed one at a time, so
 * the queue holds only in-flight work, never the whole trace; with a
 * WorkloadStream (openWorkload) the trace is never held at all, and the same
 * scenario and seed give the same result either way.
 */
export function simulate(scenario: Scenario, policy: PolicySet, workload: Workload | WorkloadStream, options: SimOptions): SimResult {
  const seed = options.seed;
  const core = new Scheduler(coreConfigFor(scenario, policy), makeRng(seed, 'placement'));
  const costs = new Costs(scenario.costs, makeRng(seed, 'costs'));
  const faults = scenario.faults ?? NO_FAULTS;
  const faultRng = makeRng(seed, 'faults');
  const queue = new EventQueue(4096);
  const contention = scenario.costs.contention === undefined ? null : new Contention(scenario.costs.contention, queue);
  const sharedTransfers = contention !== null && contention.transfers;
  const sharedCpu = contention !== null && contention.cpu;
  const streamed = 'open' in workload;
  const n = streamed ? workload.size : workload.arrivalMs.length;
  // Invocations one at a time, whichever form the workload has: the queue holds the next one only.
  const arrivals = streamed ? workload.open() : workloadCursor(workload);
  const log = options.replies === undefined ? new ReplyLog(workload.actorNames, n) : null;
  const sink: OutcomeSink = options.replies ?? log!;
  const onCommand = options.onCommand;
  // Outcomes go straight to the sink, no reply objects, unless someone watches the commands go by.
  if (onCommand === undefined) core.replyTo(sink);
  let actorIndex: Map<string, number> | null = null;
  const indexOf = (name: string): number => {
    actorIndex ??= new Map(workload.actorNames.map((a, i) => [a, i]));
    return actorIndex.get(name)!;
  };
  const samples: Sample[] = [];
  const stopped = new Set<number>();
  const maxEvents = options.maxEvents ?? Number.POSITIVE_INFINITY;

  // Runs one command at `nowMs`; made once, handed to drainCommands after every input.
  let nowMs = 0;
  const run = (cmd: Command): void => {
    if (onCommand !== undefined) onCommand(nowMs, cmd);
    switch (cmd.kind) {
      case 'startWorker': {
        stopped.delete(cmd.worker);
        const scope = contention === null ? 0 : contention.placeWorker(cmd.worker, cmd.node);
        if (sharedCpu) contention!.cpuAt(scope).add(nowMs, costs.workerStart.sample(), 0, WORKER_READY, cmd.worker, 0, 0);
        else queue.push(nowMs + costs.workerStart.sample(), WORKER_READY, cmd.worker, 0, 0);
        if (faults.workerMtbfMs > 0) {
          queue.push(nowMs - faults.workerMtbfMs * Math.log(1 - faultRng()), WORKER_LOST, cmd.worker, 0, 0);
        }
        break;
      }
      case 'stopWorker':
        stopped.add(cmd.worker);
        if (sharedCpu) contention!.cancelStart(cmd.worker, nowMs);
        break;
      case 'restore': {
        // Every source but a cold boot moves a snapshot: its base, then the fault, then the transfer.
        const source = cmd.source;
        const sampler = source === 'golden' ? costs.restoreGolden : source === 'local' ? costs.restoreLocal : source === 'external' ? costs.restoreExternal : null;
        const baseMs = sampler === null ? costs.coldBoot.sample() : sampler.sampleBase();
        const ok = faults.restoreFailureRate > 0 && faultRng() < faults.restoreFailureRate ? 0 : 1;
        if (sampler === null) queue.push(nowMs + baseMs, RESTORE_DONE, cmd.actorIndex, cmd.op, ok);
        else transfer(sampler, baseMs, cmd.snapshotBytes, cmd.worker, source === 'local', RESTORE_DONE, cmd.actorIndex, cmd.op, ok);
        break;
      }
      case 'execute':
        queue.push(nowMs + cmd.workMs + costs.dispatch.sample(), EXEC_DONE, cmd.actorIndex, cmd.op, 1);
        break;
      case 'checkpoint': {
        const sampler = cmd.target === 'local' ? costs.checkpointLocal : costs.checkpointExternal;
        // The fault, then the base: the order of the draws since before contention existed.
        const ok = faults.checkpointFailureRate > 0 && faultRng() < faults.checkpointFailureRate ? 0 : 1;
        transfer(sampler, sampler.sampleBase(), cmd.snapshotBytes, cmd.worker, cmd.target === 'local', CHECKPOINT_DONE, cmd.actorIndex, cmd.op, ok);
        break;
      }
      case 'setTimer':
        queue.push(Math.max(nowMs, cmd.atMs), TIMER, timerCode(cmd.timer), cmd.id, cmd.stamp);
        break;
      case 'reply':
        replyToSink(sink, cmd, indexOf);
        break;
    }
  };
  // A restore or checkpoint: its drawn base plus size / bandwidth. With
  // contention the size part is work on the scope's shared transfers (the
  // base, unshared, follows it); the draws are the same either way, so only
  // the timing differs.
  const transfer = (sampler: SizeCostSampler, baseMs: number, bytes: number, worker: number, local: boolean, kind: number, actor: number, op: number, ok: number): void => {
    const workMs = sampler.transferMs(bytes);
    if (sharedTransfers && workMs > 0) contention!.transferFor(worker, local).add(nowMs, workMs, baseMs, kind, actor, op, ok);
    else queue.push(nowMs + (baseMs + workMs), kind, actor, op, ok);
  };
  const execute = (t: number): void => {
    nowMs = t;
    core.drainCommands(run);
  };

  core.start(0);
  for (let i = 0; i < workload.actorNames.length; i++) {
    core.handleActorCreated(0, workload.actorNames[i]!, workload.actorTemplates[i]!);
  }
  // Created in workload order, so the core numbers actors as the workload does: arrivals pass it as a hint.
  execute(0);
  // The pending arrival: invocation `a` of the event, the cursor's current row.
  let arrivalsDone = !arrivals.next();
  if (!arrivalsDone) queue.push(arrivals.arrivalMs, ARRIVAL, 0, 0, 0);
  if (options.sampleEveryMs > 0) queue.push(0, SAMPLE, 0, 0, 0);
  const warmupMs = scenario.warmupMs;
  let atWarmup: WarmupMark | null = null;
  if (warmupMs > 0) queue.push(warmupMs, WARMUP, 0, 0, 0);

  let events = 0;
  let lastMs = 0;
  // One input object for every arrival: the core copies what it needs.
  const input = { id: 0, actor: '', template: '', workMs: 0 };
  let pops = 0;
  let arrived = 0;
  let pendingSum = 0;
  let peakPending = 0;
  while (queue.pop()) {
    const pending = queue.size;
    pops += 1;
    pendingSum += pending;
    if (pending > peakPending) peakPending = pending;
    const t = queue.timeMs;
    const { kind, a, b, c } = queue;
    // Past the last arrival, stop once every invocation has its outcome; idle
    // timers and always-on workers would otherwise run forever.
    if (arrivalsDone && core.pendingInvocations === 0 && t > scenario.durationMs) break;
    // Periodic timers (scaling) never run out: past a drain of the scenario's
    // length (at least an hour) what still waits will never be served.
    if (arrivalsDone && t > scenario.durationMs + Math.max(3_600_000, scenario.durationMs)) break;
    events += 1;
    if (events > maxEvents) throw new Error(`simulation of ${policy.name} exceeded ${maxEvents} events at t=${t} ms: livelock?`);
    lastMs = t;
    switch (kind) {
      case ARRIVAL: {
        arrived += 1;
        const actor = arrivals.actor;
        input.id = a;
        input.actor = workload.actorNames[actor]!;
        input.template = workload.actorTemplates[actor]!;
        input.workMs = arrivals.workMs;
        core.handleInvocation(t, input, actor);
        if (arrivals.next()) queue.push(arrivals.arrivalMs, ARRIVAL, a + 1, 0, 0);
        else arrivalsDone = true;
        break;
      }
      case WORKER_READY:
        if (!stopped.has(a)) core.handleWorkerReady(t, a);
        break;
      case WORKER_LOST:
        if (!stopped.has(a)) core.handleWorkerLost(t, a);
        break;
      case RESTORE_DONE:
        core.handleRestoreDone(t, a, b, c === 1);
        break;
      case EXEC_DONE:
        core.handleExecutionDone(t, a, b, c === 1);
        break;
      case CHECKPOINT_DONE:
        core.handleCheckpointDone(t, a, b, c === 1);
        break;
      case TIMER:
        core.handleTimer(t, TIMER_KINDS[a]!, b, c);
        break;
      case WARMUP:
        core.accounting.advance(t);
        atWarmup = { totals: { ...core.accounting.totals }, counters: { ...core.counters } };
        break;
      case SHARED_DONE:
        contention!.onDone(t, a, b);
        break;
      case SAMPLE: {
        const g = core.accounting.gauges();
        samples.push({ timeMs: t, workers: g.workers, resident: g.resident, parked: core.parked });
        const next = t + options.sampleEveryMs;
        if (next <= scenario.durationMs) queue.push(next, SAMPLE, 0, 0, 0);
        break;
      }
    }
    execute(t);
  }
  // Integrate cost up to the end of the scenario even if the last event came earlier.
  const endMs = Math.max(lastMs, scenario.durationMs);
  // Nothing left to happen, yet some invocations wait (say, parked with no
  // time budget for a worker that can never come): they end as run-ended.
  if (core.pendingInvocations !== 0) {
    core.handleEnd(endMs);
    execute(endMs);
  }
  core.accounting.advance(endMs);
  if (options.probe !== undefined) {
    options.probe.pops = pops;
    options.probe.pendingSum = pendingSum;
    options.probe.peakPending = peakPending;
    options.probe.arrivals = arrived;
  }
  // Costs count from the end of the warm-up; peaks stay whole-run maxima.
  const { totals, counters } = sinceWarmup(core.accounting.totals, core.counters, atWarmup);
  let replies: Reply[] | null = null;
  return {
    policy: policy.name,
    // Built on first read: most of a large run's consumers want statistics, not ten objects per invocation.
    get replies(): Reply[] {
      replies ??= log === null ? [] : log.toReplies();
      return replies;
    },
    counters,
    totals,
    events,
    endMs,
    warmupMs,
    samples,
    seed,
  };
}
