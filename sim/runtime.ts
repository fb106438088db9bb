import { Sampler } from '../scenarios/distributions.ts';
import { makeRng, type Rng } from '../scenarios/rng.ts';
import type { ContentionSpec, CostModel, HostSpec, FaultSpec, PolicySet, PoolDefinition, Scenario, SizeCost } from '../scenarios/scenario.ts';
import type { Workload, WorkloadStream } from '../scenarios/workload.ts';
import { EventQueue } from '../session/event-queue.ts';
import { RunSession, SHELL_KINDS, simDrainMs, type CommandRunner, type RuntimeCommand, type SessionOptions, type SessionResult } from '../session/session.ts';
import { STORE_GROUP, SharedResource } from './contention.ts';
import { CHECKPOINT, EXECUTE, RESTORE, WorkerView, type Kind } from './worker-view.ts';
import type { SummaryRow } from '../reports/summary.ts';
import type { PrimitiveKind, PrimitiveRecord } from '../reports/primitive-log.ts';
import type { CheckpointTarget, RestoreSource } from '../core/types.ts';

// The simulated runtime's events, after the session's kinds; payload slots a, b, c as noted.
const WORKER_READY = SHELL_KINDS; // a: worker
const WORKER_LOST = SHELL_KINDS + 1; // a: worker
const RESTORE_DONE = SHELL_KINDS + 2; // a: actor index, b: op, c: ok (1/0)
const EXEC_DONE = SHELL_KINDS + 3; // a: actor index, b: op, c: ok
const CHECKPOINT_DONE = SHELL_KINDS + 4; // a: actor index, b: op, c: ok
const SHARED_DONE = SHELL_KINDS + 5; // a: contended resource index, b: stamp (stale unless the resource's current one)
const REQUEST_TIMEOUT = SHELL_KINDS + 6; // a: actor index, b: op

const MIB = 1024 * 1024;

/** Everything one simulated run of one policy set produces. */
export interface SimResult extends SessionResult {
  /** The summary row, when it was computed as the run went and `replies` holds only a sample. */
  readonly summary?: SummaryRow;
  /** Outcomes of the run, warm-up included, when `replies` holds only a sample (else replies.length). */
  readonly outcomes?: number;
  /** How long each primitive took under the run's simulated load (SimOptions.primitives). */
  readonly primitives?: SimPrimitives;
  /**
   * With request timeouts (costs.requestTimeoutMs): requests given up or
   * refused, by "<op> <why>" as the real run's log counts its failed requests
   * ("restore timeout", "restore already-resident", "checkpoint busy").
   */
  readonly failedRequests?: Readonly<Record<string, number>>;
}

/**
 * The durations of the primitives that completed, command to completion in
 * virtual time, contention included: what a real run's measured.csv holds,
 * so the two can be compared primitive by primitive. Failed ones and those
 * whose worker was lost or stopped are left out, as the real driver leaves
 * them out.
 */
export interface SimPrimitives {
  /** Every primitive one by one, when asked for (SimOptions.primitiveLog): primitives.csv. */
  readonly log?: PrimitiveRecord[];
  readonly workerStartMs: number[];
  /** Each execution's time beyond its work: the dispatch, slowed by the host model where it has `dispatch` or `exec`. */
  readonly dispatchMs: number[];
  readonly restoreMs: Record<'cold' | 'golden' | 'local' | 'external', number[]>;
  readonly checkpointMs: Record<'local' | 'external', number[]>;
}

/** Options of one simulated run: the session's, and these. */
export interface SimOptions extends SessionOptions {
  /** Gives up (with an error) past this many events, so a livelock fails instead of hanging. */
  readonly maxEvents?: number;
  /** Filled in at the end of the run with the event queue's depth, for the benchmark's baseline. */
  readonly probe?: SimProbe;
  /** Records every primitive's duration into the result's `primitives` (a number per primitive: off for long studies). */
  readonly primitives?: boolean;
  /** With `primitives`, records every primitive whole too (start, end, worker, actor: primitives.csv), in `primitives.log`. */
  readonly primitiveLog?: boolean;
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
  /** Cap of each started worker on its host resource, in cpus (host.workerLimits and a pool with a worker cpu). */
  private readonly workerCap = new Map<number, number>();
  /** Worker cpu of each pool, in cpus, when the host model caps workers (host.workerLimits). */
  private readonly poolCap = new Map<string, number>();
  readonly transfers: boolean;
  readonly cpu: boolean;
  /** The host model (issue 18): one resource per scope for every primitive, each with its demand. */
  readonly host: HostSpec | undefined;
  constructor(
    private readonly spec: ContentionSpec,
    private readonly queue: EventQueue,
    pools: readonly Pick<PoolDefinition, 'name' | 'workerCpuMilli'>[],
  ) {
    this.host = spec.host;
    if (spec.host?.workerLimits === true) for (const p of pools) if (p.workerCpuMilli !== undefined) this.poolCap.set(p.name, p.workerCpuMilli / 1000);
    this.transfers = spec.transfers !== undefined || spec.host !== undefined;
    this.cpu = spec.cpu !== undefined || spec.host !== undefined;
  }

  /**
   * Demand of a transfer's size part: 1 on a transfers resource; on the host,
   * the host model's restore or checkpoint share, the local one (a snapshot
   * kept on the node) where the profile gives it.
   */
  transferDemand(restore: boolean, local: boolean): number {
    const h = this.host;
    if (h === undefined) return 1;
    if (restore) return local ? (h.restoreLocal ?? h.restore) : h.restore;
    return local ? (h.checkpointLocal ?? h.checkpoint) : h.checkpoint;
  }

  /** Demand of a worker start on the cpu resource. */
  startDemand(): number {
    return this.host === undefined ? 1 : this.host.workerStart;
  }

  /** The part of a job's `demand` spent inside its worker (host.inWorker's share of its kind; all of it by default). */
  inWorker(kind: 'restore' | 'checkpoint' | 'workerStart', demand: number): number {
    const f = this.host?.inWorker?.[kind];
    return f === undefined ? demand : demand * f;
  }

  /**
   * The part of a primitive's time alone under its worker's limit that the
   * limit holds it (SharedResource.add's `bound`): host.pairUnderLimit's
   * ratio of its kind less 1 (two at once take 1 + bound times one alone);
   * 1 by default, the limit shared as it is.
   */
  limitBound(kind: 'restore' | 'checkpoint' | 'workerStart'): number {
    const r = this.host?.pairUnderLimit?.[kind];
    return r === undefined ? 1 : r - 1;
  }

  /** The host resource of a worker's scope (host model only). */
  hostFor(worker: number): SharedResource {
    return this.transferFor(worker, false);
  }

  /** A lost worker: its transfers and its start end with it, freeing their share. */
  workerLost(worker: number, nowMs: number): void {
    for (const r of this.resources) r.cancelWorker(nowMs, worker);
  }

  /**
   * The most of its host resource a worker's jobs may use together, in cpus:
   * its pool's worker cpu when the host model caps workers (a pod's cpu
   * limit), else Infinity.
   */
  capOf(worker: number): number {
    return this.workerCap.get(worker) ?? Number.POSITIVE_INFINITY;
  }

  /** Remembers the worker's node (scope node) and its cap, and returns its scope key. */
  placeWorker(worker: number, node: string, pool: string): number {
    const cap = this.poolCap.get(pool);
    if (cap === undefined) this.workerCap.delete(worker);
    else this.workerCap.set(worker, cap);
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
    const add = (capacity: number, byProcess = false): number => {
      this.resources.push(new SharedResource(capacity, this.queue, SHARED_DONE, this.resources.length, byProcess));
      return this.resources.length - 1;
    };
    const h = this.spec.host;
    if (h !== undefined) {
      // One resource for everything on the scope: transfers (local or not), starts, dispatch, execution.
      const r = add(h.cpus - (h.driver ?? 0), h.share === 'process');
      this.transferOf[key] = r;
      this.localTransferOf[key] = r;
      this.cpuOf[key] = r;
      return;
    }
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

/** SimPrimitives with nothing recorded yet. */
export function noPrimitives(): SimPrimitives {
  return { workerStartMs: [], dispatchMs: [], restoreMs: { cold: [], golden: [], local: [], external: [] }, checkpointMs: { local: [], external: [] } };
}

/** What one primitive in flight is: where its duration goes, its op stamp, its worker, its start (and an execution's work). */
interface InFlight {
  readonly into: number[];
  readonly op: number;
  readonly worker: number;
  readonly atMs: number;
  readonly workMs: number;
  readonly primitive: PrimitiveKind;
  readonly source: string;
  readonly actor: string;
}

/**
 * Start times of the primitives in flight (SimOptions.primitives): worker
 * starts by worker; restores, checkpoints and executions by actor, which has
 * one of each at most at a time. A completion is recorded when it carries
 * the op of the actor's latest command and succeeded; a lost worker's
 * primitives are dropped, as the real driver never sees them complete.
 * With a log (SimOptions.primitiveLog), every completion, failed ones too,
 * is also kept whole.
 */
export class PrimitiveClock {
  readonly out: SimPrimitives;
  private readonly log: PrimitiveRecord[] | null;
  private readonly starts = new Map<number, number>();
  private readonly transfers = new Map<number, InFlight>();
  private readonly executions = new Map<number, InFlight>();

  constructor(log = false) {
    this.log = log ? [] : null;
    this.out = this.log === null ? noPrimitives() : { ...noPrimitives(), log: this.log };
  }

  started(worker: number, nowMs: number): void {
    this.starts.set(worker, nowMs);
  }

  ready(worker: number, nowMs: number): void {
    const at = this.starts.get(worker);
    if (at === undefined) return;
    this.starts.delete(worker);
    this.out.workerStartMs.push(nowMs - at);
    this.log?.push({ primitive: 'worker-start', source: '', worker, actor: '', startMs: at, endMs: nowMs, workMs: 0, ok: true });
  }

  /** A worker stopped or lost: whatever it had in flight never completes. */
  gone(worker: number): void {
    this.starts.delete(worker);
    for (const m of [this.transfers, this.executions]) for (const [actor, f] of m) if (f.worker === worker) m.delete(actor);
  }

  /** A restore from `source` begins. */
  restoring(actor: number, op: number, worker: number, nowMs: number, source: RestoreSource, name: string): void {
    this.transfers.set(actor, { into: this.out.restoreMs[source], op, worker, atMs: nowMs, workMs: 0, primitive: 'restore', source, actor: name });
  }

  /** A checkpoint to `target` begins. */
  checkpointing(actor: number, op: number, worker: number, nowMs: number, target: CheckpointTarget, name: string): void {
    this.transfers.set(actor, { into: this.out.checkpointMs[target], op, worker, atMs: nowMs, workMs: 0, primitive: 'checkpoint', source: target, actor: name });
  }

  executing(actor: number, op: number, worker: number, nowMs: number, workMs: number, name: string): void {
    this.executions.set(actor, { into: this.out.dispatchMs, op, worker, atMs: nowMs, workMs, primitive: 'execute', source: '', actor: name });
  }

  /** A request the worker refused at once (its 409): logged as failed at `nowMs`, and never in flight. */
  refused(primitive: PrimitiveKind, source: string, worker: number, nowMs: number, name: string, failure: string): void {
    this.log?.push({ primitive, source, worker, actor: name, startMs: nowMs, endMs: nowMs, workMs: 0, ok: false, failure });
  }

  /** A restore or checkpoint ended; `failure` names why one failed, as the run's failure classes do, where known. */
  transferDone(actor: number, op: number, ok: boolean, nowMs: number, failure?: string): void {
    this.done(this.transfers, actor, op, ok, nowMs, failure);
  }

  executed(actor: number, op: number, nowMs: number): void {
    this.done(this.executions, actor, op, true, nowMs);
  }

  private done(m: Map<number, InFlight>, actor: number, op: number, ok: boolean, nowMs: number, failure?: string): void {
    const f = m.get(actor);
    if (f === undefined || f.op !== op) return;
    m.delete(actor);
    // An execution's recorded time is what it took beyond its work: the dispatch.
    if (ok) f.into.push(Math.max(0, nowMs - f.atMs - f.workMs));
    if (this.log !== null) {
      const why = ok || failure === undefined ? {} : { failure };
      this.log.push({ primitive: f.primitive, source: f.source, worker: f.worker, actor: f.actor, startMs: f.atMs, endMs: nowMs, workMs: f.workMs, ok, ...why });
    }
  }
}

const NO_FAULTS: FaultSpec = { restoreFailureRate: 0, checkpointFailureRate: 0, workerMtbfMs: 0 };

/**
 * The simulated runtime: carries out the core's commands by scheduling their
 * completions in the session's heap, from seeded cost models.
 */
class SimRuntime implements CommandRunner {
  private readonly costs: Costs;
  private readonly faults: FaultSpec;
  private readonly faultRng: Rng;
  private readonly contention: Contention | null;
  private readonly sharedTransfers: boolean;
  private readonly sharedCpu: boolean;
  /** Workers stopped by the core: their pending ready and lost events are dropped. */
  readonly stopped = new Set<number>();
  /** Primitive durations, when asked for (SimOptions.primitives). */
  readonly clock: PrimitiveClock | null;
  /** The workers' view of their actors, when requests time out (costs.requestTimeoutMs); null otherwise. */
  readonly view: WorkerView | null;
  private readonly timeoutMs: number;

  constructor(
    scenario: Scenario,
    private readonly policy: PolicySet,
    seed: number,
    private readonly queue: EventQueue,
    primitives: boolean,
    primitiveLog: boolean,
  ) {
    this.clock = primitives ? new PrimitiveClock(primitiveLog) : null;
    this.timeoutMs = scenario.costs.requestTimeoutMs ?? Number.POSITIVE_INFINITY;
    this.view = scenario.costs.requestTimeoutMs === undefined ? null : new WorkerView();
    this.costs = new Costs(scenario.costs, makeRng(seed, 'costs'));
    this.faults = scenario.faults ?? NO_FAULTS;
    this.faultRng = makeRng(seed, 'faults');
    this.contention = scenario.costs.contention === undefined ? null : new Contention(scenario.costs.contention, queue, scenario.pools);
    this.sharedTransfers = this.contention !== null && this.contention.transfers;
    this.sharedCpu = this.contention !== null && this.contention.cpu;
  }

  run(cmd: RuntimeCommand, nowMs: number): void {
    const { queue, costs, faults, contention } = this;
    switch (cmd.kind) {
      case 'startWorker': {
        this.stopped.delete(cmd.worker);
        if (this.view !== null) {
          const setup = this.policy.pools[cmd.pool];
          this.view.started(cmd.worker, setup === undefined || setup.mode === 'dedicated' ? 1 : setup.actorSlots);
        }
        this.clock?.started(cmd.worker, nowMs);
        const scope = contention === null ? 0 : contention.placeWorker(cmd.worker, cmd.node, cmd.pool);
        if (this.sharedCpu) {
          const demand = contention!.startDemand();
          contention!.cpuAt(scope).add(nowMs, costs.workerStart.sample(), 0, WORKER_READY, cmd.worker, 0, 0, demand, cmd.worker, contention!.capOf(cmd.worker), contention!.inWorker('workerStart', demand), contention!.limitBound('workerStart'));
        } else queue.push(nowMs + costs.workerStart.sample(), WORKER_READY, cmd.worker, 0, 0);
        if (faults.workerMtbfMs > 0) {
          queue.push(nowMs - faults.workerMtbfMs * Math.log(1 - this.faultRng()), WORKER_LOST, cmd.worker, 0, 0);
        }
        break;
      }
      case 'stopWorker':
        this.stopped.add(cmd.worker);
        this.clock?.gone(cmd.worker);
        this.view?.gone(cmd.worker);
        if (this.sharedCpu) contention!.cancelStart(cmd.worker, nowMs);
        break;
      case 'restore': {
        if (this.view !== null && !this.requested(cmd.worker, cmd.actorIndex, cmd.op, RESTORE, RESTORE_DONE, nowMs)) {
          this.clock?.refused('restore', cmd.source, cmd.worker, nowMs, cmd.actor, this.view.lastFailure);
          break;
        }
        // Every source but a cold boot moves a snapshot: its base, then the fault, then the transfer.
        const source = cmd.source;
        const sampler = source === 'golden' ? costs.restoreGolden : source === 'local' ? costs.restoreLocal : source === 'external' ? costs.restoreExternal : null;
        const baseMs = sampler === null ? costs.coldBoot.sample() : sampler.sampleBase();
        const ok = faults.restoreFailureRate > 0 && this.faultRng() < faults.restoreFailureRate ? 0 : 1;
        this.clock?.restoring(cmd.actorIndex, cmd.op, cmd.worker, nowMs, source, cmd.actor);
        if (sampler === null) queue.push(nowMs + baseMs, RESTORE_DONE, cmd.actorIndex, cmd.op, ok);
        else this.transfer(nowMs, sampler, baseMs, cmd.snapshotBytes, cmd.worker, source === 'local', RESTORE_DONE, cmd.actorIndex, cmd.op, ok);
        break;
      }
      case 'execute': {
        if (this.view !== null && !this.requested(cmd.worker, cmd.actorIndex, cmd.op, EXECUTE, EXEC_DONE, nowMs)) {
          this.clock?.refused('execute', '', cmd.worker, nowMs, cmd.actor, this.view.lastFailure);
          break;
        }
        const dispatchMs = costs.dispatch.sample();
        this.clock?.executing(cmd.actorIndex, cmd.op, cmd.worker, nowMs, cmd.workMs, cmd.actor);
        const host = contention?.host;
        if (host?.exec !== undefined) contention!.hostFor(cmd.worker).add(nowMs, cmd.workMs + dispatchMs, 0, EXEC_DONE, cmd.actorIndex, cmd.op, 1, host.exec, cmd.worker, contention!.capOf(cmd.worker));
        else if (host?.dispatch !== undefined && dispatchMs > 0) contention!.hostFor(cmd.worker).add(nowMs, dispatchMs, cmd.workMs, EXEC_DONE, cmd.actorIndex, cmd.op, 1, host.dispatch, cmd.worker, contention!.capOf(cmd.worker));
        else queue.push(nowMs + cmd.workMs + dispatchMs, EXEC_DONE, cmd.actorIndex, cmd.op, 1);
        break;
      }
      case 'checkpoint': {
        if (this.view !== null && !this.requested(cmd.worker, cmd.actorIndex, cmd.op, CHECKPOINT, CHECKPOINT_DONE, nowMs)) {
          this.clock?.refused('checkpoint', cmd.target, cmd.worker, nowMs, cmd.actor, this.view.lastFailure);
          break;
        }
        const sampler = cmd.target === 'local' ? costs.checkpointLocal : costs.checkpointExternal;
        // The fault, then the base: the order of the draws since before contention existed.
        const ok = faults.checkpointFailureRate > 0 && this.faultRng() < faults.checkpointFailureRate ? 0 : 1;
        this.clock?.checkpointing(cmd.actorIndex, cmd.op, cmd.worker, nowMs, cmd.target, cmd.actor);
        this.transfer(nowMs, sampler, sampler.sampleBase(), cmd.snapshotBytes, cmd.worker, cmd.target === 'local', CHECKPOINT_DONE, cmd.actorIndex, cmd.op, ok);
        break;
      }
    }
  }

  /** A worker was lost: with contention, its jobs end with it. */
  workerLost(nowMs: number, worker: number): void {
    this.contention?.workerLost(worker, nowMs);
    this.clock?.gone(worker);
    this.view?.gone(worker);
  }

  /**
   * With request timeouts: whether the worker takes the request (else its
   * failure is pushed now, as the real worker's 409 comes back at once), and
   * the driver's timeout for a restore or a checkpoint. An execute's timeout
   * is the same plus its work (real/worker/client.ts), so dispatch alone would
   * have to take the whole of it: not modelled.
   */
  private requested(worker: number, actor: number, op: number, kind: Kind, doneKind: number, nowMs: number): boolean {
    if (!this.view!.begin(worker, actor, op, kind)) {
      this.queue.push(nowMs, doneKind, actor, op, 0);
      return false;
    }
    if (kind !== EXECUTE) this.queue.push(nowMs + this.timeoutMs, REQUEST_TIMEOUT, actor, op, 0);
    return true;
  }

  /** A contended resource finished a piece of work. */
  sharedDone(nowMs: number, resource: number, stamp: number): void {
    this.contention!.onDone(nowMs, resource, stamp);
  }

  // A restore or checkpoint: its drawn base plus size / bandwidth. With
  // contention the size part is work on the scope's shared transfers (the
  // base, unshared, follows it); the draws are the same either way, so only
  // the timing differs.
  private transfer(nowMs: number, sampler: SizeCostSampler, baseMs: number, bytes: number, worker: number, local: boolean, kind: number, actor: number, op: number, ok: number): void {
    const workMs = sampler.transferMs(bytes);
    if (this.sharedTransfers && workMs > 0) {
      const c = this.contention!;
      const restore = kind === RESTORE_DONE;
      const demand = c.transferDemand(restore, local);
      const store = local ? undefined : c.host?.store;
      // Through the store (host.store): its threads are the cap, shared by every external transfer of the run.
      if (store !== undefined) c.transferFor(worker, false).add(nowMs, workMs, baseMs, kind, actor, op, ok, demand, worker, store.threads, restore ? store.restore : store.checkpoint, 1, STORE_GROUP);
      // host.localApart (only with share: process, never with a worker's limit): a process of its own (group -1), still tagged with its worker.
      else if (local && c.host?.localApart === true) c.transferFor(worker, true).add(nowMs, workMs, baseMs, kind, actor, op, ok, demand, worker, Number.POSITIVE_INFINITY, demand, 1, -1);
      else c.transferFor(worker, local).add(nowMs, workMs, baseMs, kind, actor, op, ok, demand, worker, c.capOf(worker), c.inWorker(restore ? 'restore' : 'checkpoint', demand), c.limitBound(restore ? 'restore' : 'checkpoint'));
    } else this.queue.push(nowMs + (baseMs + workMs), kind, actor, op, ok);
  }
}

/**
 * Runs one policy set of a scenario over a workload in virtual time: the
 * session's loop with waiting as a jump to the next event's time. Arrivals
 * are pushed one at a time, so the heap holds only in-flight work, never the
 * whole trace; with a WorkloadStream (openWorkload) the trace is never held
 * at all, and the same scenario and seed give the same result either way.
 */
export function simulate(scenario: Scenario, policy: PolicySet, workload: Workload | WorkloadStream, options: SimOptions): SimResult {
  const seed = options.seed;
  const queue = new EventQueue(4096);
  const sim = new SimRuntime(scenario, policy, seed, queue, options.primitives === true, options.primitiveLog === true);
  const view = sim.view;
  const clock = sim.clock;
  const session = new RunSession(scenario, policy, workload, queue, options, sim);
  const core = session.core;
  const stopped = sim.stopped;
  const maxEvents = options.maxEvents ?? Number.POSITIVE_INFINITY;
  const drainEndMs = scenario.durationMs + simDrainMs(scenario);
  let drained = false;
  session.begin();

  let events = 0;
  let lastMs = 0;
  let pops = 0;
  let pendingSum = 0;
  let peakPending = 0;
  while (queue.pop()) {
    const pending = queue.size;
    pops += 1;
    pendingSum += pending;
    if (pending > peakPending) peakPending = pending;
    const t = queue.timeMs;
    // Past the last arrival, stop once every invocation has its outcome; idle
    // timers and always-on workers would otherwise run forever.
    if (session.arrivalsDone && core.pendingInvocations === 0 && t > scenario.durationMs) break;
    // Past the drain (the scenario's `drain`, else its length and at least an
    // hour: periodic timers never run out) what still waits ends as run-ended,
    // as bench:cluster's driver ends its run.
    if (session.arrivalsDone && t > drainEndMs) {
      drained = true;
      break;
    }
    events += 1;
    if (events > maxEvents) throw new Error(`simulation of ${policy.name} exceeded ${maxEvents} events at t=${t} ms: livelock?`);
    lastMs = t;
    const a = queue.a;
    switch (queue.kind) {
      case WORKER_READY:
        if (!stopped.has(a)) {
          clock?.ready(a, t);
          core.handleWorkerReady(t, a);
        }
        break;
      case WORKER_LOST:
        if (!stopped.has(a)) {
          sim.workerLost(t, a);
          core.handleWorkerLost(t, a);
        }
        break;
      case RESTORE_DONE:
        // An abandoned request's end (requestTimeout) frees the actor on its worker and tells the core nothing.
        if (view !== null && !view.ended(a, queue.b, queue.c === 1)) break;
        clock?.transferDone(a, queue.b, queue.c === 1, t);
        core.handleRestoreDone(t, a, queue.b, queue.c === 1);
        break;
      case EXEC_DONE:
        if (view !== null && !view.ended(a, queue.b, queue.c === 1)) break;
        clock?.executed(a, queue.b, t);
        core.handleExecutionDone(t, a, queue.b, queue.c === 1);
        break;
      case CHECKPOINT_DONE:
        if (view !== null && !view.ended(a, queue.b, queue.c === 1)) break;
        clock?.transferDone(a, queue.b, queue.c === 1, t);
        core.handleCheckpointDone(t, a, queue.b, queue.c === 1);
        break;
      case REQUEST_TIMEOUT: {
        // The driver gives the request up: a failure for the core, while the worker carries it on.
        const kind = view!.timedOut(a, queue.b);
        if (kind === -1) break;
        clock?.transferDone(a, queue.b, false, t, view!.lastFailure);
        if (kind === RESTORE) core.handleRestoreDone(t, a, queue.b, false);
        else core.handleCheckpointDone(t, a, queue.b, false);
        break;
      }
      case SHARED_DONE:
        sim.sharedDone(t, a, queue.b);
        break;
      default:
        session.handle(t);
    }
    session.execute(t);
  }
  if (options.probe !== undefined) {
    options.probe.pops = pops;
    options.probe.pendingSum = pendingSum;
    options.probe.peakPending = peakPending;
    options.probe.arrivals = session.arrived;
  }
  // Integrate cost up to the end of the scenario even if the last event came earlier; a run
  // cut by the scenario's own drain ends where the driver's would, at the drain's end.
  const result: SimResult = session.end(drained && scenario.drainMs !== undefined ? drainEndMs : Math.max(lastMs, scenario.durationMs), events);
  // Added to the session's result, not spread into a new object: a spread reads
  // `replies`, whose getter builds ten objects per invocation that a caller
  // wanting statistics never reads (at 200,000 actors, 1.3 million replies
  // built and traced by the collector inside the timed run). Keys keep their order.
  if (clock !== null) Object.assign(result, { primitives: clock.out });
  if (view !== null) Object.assign(result, { failedRequests: view.failures() });
  return result;
}
