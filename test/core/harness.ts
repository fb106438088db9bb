import fc from 'fast-check';
import { Scheduler } from '../../core/scheduler.ts';
import { TIMER_CODES, TIMER_KINDS, type Command, type CoreConfig, type Reply } from '../../core/types.ts';
import { makeRng } from '../../scenarios/rng.ts';
import { EventQueue } from '../../session/event-queue.ts';

/**
 * A random runtime for the scheduler core: it executes the core's commands
 * with random latencies, injects restore, checkpoint and execution failures
 * and worker losses, and checks invariants after every step. Each step is
 * bounded so a livelock fails the property instead of hanging it.
 */

/** One generated case. */
export interface HarnessCase {
  readonly config: CoreConfig;
  readonly arrivals: readonly { readonly gapMs: number; readonly actor: number; readonly workMs: number }[];
  readonly actors: number;
  readonly templates: readonly string[];
  readonly seed: number;
  readonly faults: { readonly restore: number; readonly checkpoint: number; readonly execution: number; readonly workerLoss: number };
}

/** What a run of the harness saw. */
export interface HarnessRun {
  readonly commands: string[];
  readonly replies: Reply[];
  readonly arrived: number;
  /** Invariant violations, by property name; empty when all held. */
  readonly violations: Map<string, string[]>;
}

const ARRIVAL = 0;
const READY = 1;
const LOST = 2;
const RESTORED = 3;
const EXECUTED = 4;
const CHECKPOINTED = 5;
const TIMER = 6;

const MAX_STEPS = 20_000;

const nodeArb = fc.record({ memoryMiB: fc.integer({ min: 512, max: 4096 }) });

const configArb = fc
  .record({
    nodes: fc.array(nodeArb, { minLength: 1, maxLength: 3 }),
    mode: fc.constantFrom('shared', 'shared', 'shared', 'dedicated'),
    variant: fc.constantFrom('always-on', 'scale-to-zero'),
    idleStopMs: fc.integer({ min: 0, max: 500 }),
    replicas: fc.integer({ min: 0, max: 4 }),
    actorSlots: fc.integer({ min: 1, max: 3 }),
    workerMemoryMiB: fc.constantFrom(256, 512, 1024),
    templateMemory: fc.array(fc.constantFrom(64, 128, 256), { minLength: 1, maxLength: 2 }),
    golden: fc.boolean(),
    placement: fc.constantFrom('random', 'p2c', 'least-loaded', 'binpack', 'locality'),
    idle: fc.oneof(
      fc.constant({ kind: 'never' as const }),
      fc.record({ kind: fc.constant('ttl' as const), ttlMs: fc.integer({ min: 0, max: 300 }), action: fc.constantFrom('suspend' as const, 'pause' as const) }),
      fc.record({ kind: fc.constant('immediate' as const), action: fc.constantFrom('suspend' as const, 'pause' as const) }),
      fc.record({
        kind: fc.constant('hybrid-histogram' as const),
        action: fc.constantFrom('suspend' as const, 'pause' as const),
        binMs: fc.integer({ min: 10, max: 100 }),
        rangeMs: fc.integer({ min: 100, max: 2000 }),
        headPercentile: fc.constantFrom(0, 5, 25),
        tailPercentile: fc.constantFrom(75, 99, 100),
        margin: fc.constantFrom(0, 0.1, 0.5),
        cvThreshold: fc.constantFrom(0, 1, 2),
        minSamples: fc.integer({ min: 1, max: 4 }),
        fallbackTtlMs: fc.integer({ min: 0, max: 400 }),
      }),
    ),
    scaling: fc.oneof(
      fc.constant({ kind: 'static' as const }),
      fc.record({
        kind: fc.constant('target-utilization' as const),
        target: fc.constantFrom(0.5, 0.7, 1),
        minReplicas: fc.integer({ min: 0, max: 1 }),
        maxReplicas: fc.integer({ min: 1, max: 4 }),
        stabilizationMs: fc.integer({ min: 0, max: 500 }),
        intervalMs: fc.integer({ min: 20, max: 200 }),
      }),
      fc.record({
        kind: fc.constant('parking' as const),
        step: fc.integer({ min: 1, max: 2 }),
        minReplicas: fc.integer({ min: 0, max: 1 }),
        maxReplicas: fc.integer({ min: 1, max: 4 }),
        quietMs: fc.integer({ min: 0, max: 500 }),
        intervalMs: fc.integer({ min: 20, max: 200 }),
      }),
      fc.record({
        kind: fc.constant('scale-to-zero' as const),
        maxReplicas: fc.integer({ min: 1, max: 4 }),
        idleMs: fc.integer({ min: 0, max: 300 }),
        intervalMs: fc.integer({ min: 20, max: 200 }),
      }),
    ),
    parkTimeoutMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 400 }), fc.constant(Number.POSITIVE_INFINITY)),
    maxParked: fc.integer({ min: 0, max: 6 }),
    eviction: fc.constantFrom('lru' as const, 'greedy-dual' as const, 'none' as const),
    maxAttempts: fc.integer({ min: 1, max: 3 }),
  })
  .map(
    (g): CoreConfig => ({
      nodes: g.nodes.map((n, i) => ({ name: `n${i}`, memoryMiB: n.memoryMiB })),
      pools: [
        {
          name: 'p',
          mode: g.mode as 'shared' | 'dedicated',
          replicas: g.replicas,
          actorSlots: g.actorSlots,
          workerMemoryMiB: g.workerMemoryMiB,
          ...(g.mode === 'dedicated' ? { dedicated: { variant: g.variant as 'always-on' | 'scale-to-zero', idleStopMs: g.idleStopMs } } : {}),
        },
      ],
      templates: g.templateMemory.map((m, i) => ({ name: `t${i}`, pool: 'p', memoryMiB: m, snapshotBytes: m * 1024 * 1024, golden: g.golden })),
      placement: g.placement as CoreConfig['placement'],
      idle: g.idle,
      admission: { parkTimeoutMs: g.parkTimeoutMs, maxParked: g.maxParked },
      eviction: g.eviction,
      scaling: g.scaling,
      maxAttempts: g.maxAttempts,
    }),
  );

/** Random cases: small clusters, a handful of actors, bursts of arrivals, optional faults. */
export const caseArb: fc.Arbitrary<HarnessCase> = fc
  .record({
    config: configArb,
    actors: fc.integer({ min: 1, max: 6 }),
    arrivals: fc.array(
      fc.record({ gapMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 200 })), actor: fc.nat(), workMs: fc.integer({ min: 0, max: 100 }) }),
      { maxLength: 40 },
    ),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    faulty: fc.boolean(),
    faults: fc.record({
      restore: fc.double({ min: 0, max: 0.4, noNaN: true }),
      checkpoint: fc.double({ min: 0, max: 0.4, noNaN: true }),
      execution: fc.double({ min: 0, max: 0.2, noNaN: true }),
      workerLoss: fc.double({ min: 0, max: 0.3, noNaN: true }),
    }),
  })
  .map((g) => ({
    config: g.config,
    actors: g.actors,
    templates: g.config.templates.map((t) => t.name),
    arrivals: g.arrivals.map((a) => ({ ...a, actor: a.actor % g.actors })),
    seed: g.seed,
    faults: g.faulty ? g.faults : { restore: 0, checkpoint: 0, execution: 0, workerLoss: 0 },
  }));

function violation(v: Map<string, string[]>, property: string, message: string): void {
  const list = v.get(property) ?? [];
  if (list.length < 5) list.push(message);
  v.set(property, list);
}

/** What the harness drives: the core, or a frozen earlier copy of it (the differential test). */
export type CoreUnderTest = Pick<
  Scheduler,
  | 'start'
  | 'handleInvocation'
  | 'handleWorkerReady'
  | 'handleWorkerLost'
  | 'handleRestoreDone'
  | 'handleExecutionDone'
  | 'handleCheckpointDone'
  | 'handleTimer'
  | 'handleEnd'
  | 'takeCommands'
  | 'actorView'
  | 'actorIds'
  | 'workerViews'
  | 'nodeUsage'
  | 'pendingInvocations'
> & {
  // The frozen reference returns nothing (the core returns the actor's index).
  handleActorCreated(nowMs: number, actorId: string, template: string): unknown;
};

/**
 * How the harness names actors to the core: by name on each arrival, the
 * actor created on its first one (the default); or every actor declared
 * up front in order, then by name (`declared`) or by the index the core
 * returned (`indices`: Scheduler.handleInvocationOf, the simulator's way).
 */
export type ArrivalMode = 'names' | 'declared' | 'indices';

/** Runs one case to completion, checking invariants after every step. */
export function runCase(
  c: HarnessCase,
  makeCore: (config: CoreConfig, rng: () => number) => CoreUnderTest = (config, rng) => new Scheduler(config, rng),
  mode: ArrivalMode = 'names',
): HarnessRun {
  const rng = makeRng(c.seed, 'harness');
  const core = makeCore(c.config, makeRng(c.seed, 'placement'));
  const q = new EventQueue(64);
  const violations = new Map<string, string[]>();
  const commands: string[] = [];
  const replies: Reply[] = [];
  const replied = new Set<number>();
  const stopped = new Set<number>();
  const workerNode = new Map<number, string>();
  const actorName = (i: number): string => `a${i}`;
  const templateOf = (i: number): string => c.templates[i % c.templates.length]!;
  // The runtime's view of actor memory: the version it holds, as the worker server will.
  const memory = new Map<string, number>();
  const newest = new Map<string, { version: number; kind: 'local' | 'external'; node: string }>();
  const pendingCheckpoint = new Map<number, { actor: string; version: number; kind: 'local' | 'external'; node: string }>();
  const pendingRestore = new Map<number, { actor: string; version: number }>();
  const executing = new Map<string, number>();
  const lastExecuted = new Map<string, number>();
  const arrivalOrder: number[] = [];
  const byActor = new Map<string, number[]>();
  const served = new Set<number>();
  const inFlight = new Map<number, { actor: string; invocation: number }>();
  const dedicated = c.config.pools[0]!.mode === 'dedicated';
  const cfg = c.config;
  // Actor indices are the core's (creation order); names are ours. Commands carry both.
  const nameOf = new Map<number, string>();

  const run = (now: number, cmds: Command[]): void => {
    for (const cmd of cmds) {
      commands.push(`${now}:${JSON.stringify(cmd)}`);
      if ('actorIndex' in cmd) nameOf.set(cmd.actorIndex, cmd.actor);
      switch (cmd.kind) {
        case 'startWorker':
          workerNode.set(cmd.worker, cmd.node);
          q.push(now + Math.floor(rng() * 50), READY, cmd.worker, 0, 0);
          if (rng() < c.faults.workerLoss) q.push(now + Math.floor(rng() * 400), LOST, cmd.worker, 0, 0);
          break;
        case 'stopWorker':
          stopped.add(cmd.worker);
          break;
        case 'restore': {
          // Resumes from the newest snapshot, and a paused actor resumes on its node.
          const snap = newest.get(cmd.actor);
          if (cmd.source === 'local' || cmd.source === 'external') {
            if (snap === undefined) violation(violations, 'newest-snapshot', `${cmd.actor} restored from ${cmd.source} v${cmd.version} with no snapshot written`);
            else if (snap.version !== cmd.version) violation(violations, 'newest-snapshot', `${cmd.actor} restored v${cmd.version}, newest is v${snap.version}`);
            if (snap?.kind === 'local' && workerNode.get(cmd.worker) !== snap.node) {
              violation(violations, 'newest-snapshot', `${cmd.actor} paused on ${snap.node} resumed on ${workerNode.get(cmd.worker)}`);
            }
          } else if (snap !== undefined && !dedicated) {
            violation(violations, 'newest-snapshot', `${cmd.actor} booted ${cmd.source} although snapshot v${snap.version} exists`);
          }
          const ok = rng() >= c.faults.restore ? 1 : 0;
          pendingRestore.set(cmd.op, { actor: cmd.actor, version: cmd.source === 'local' || cmd.source === 'external' ? cmd.version : 0 });
          q.push(now + Math.floor(rng() * 60), RESTORED, cmd.actorIndex, cmd.op, ok);
          break;
        }
        case 'execute': {
          if (executing.has(cmd.actor)) violation(violations, 'fifo', `${cmd.actor} executes ${cmd.invocation} while op ${executing.get(cmd.actor)} runs`);
          const prev = lastExecuted.get(cmd.actor);
          if (prev !== undefined && cmd.invocation < prev) violation(violations, 'fifo', `${cmd.actor} executes ${cmd.invocation} after ${prev}`);
          lastExecuted.set(cmd.actor, cmd.invocation);
          executing.set(cmd.actor, cmd.op);
          inFlight.set(cmd.op, { actor: cmd.actor, invocation: cmd.invocation });
          const ok = rng() >= c.faults.execution ? 1 : 0;
          q.push(now + cmd.workMs + Math.floor(rng() * 5), EXECUTED, cmd.actorIndex, cmd.op, ok);
          break;
        }
        case 'checkpoint': {
          const held = memory.get(cmd.actor);
          if (held !== cmd.version) violation(violations, 'no-lost-work', `${cmd.actor} checkpoint v${cmd.version} but worker memory holds v${held}`);
          const ok = rng() >= c.faults.checkpoint ? 1 : 0;
          pendingCheckpoint.set(cmd.op, { actor: cmd.actor, version: cmd.version, kind: cmd.target, node: workerNode.get(cmd.worker)! });
          q.push(now + Math.floor(rng() * 60), CHECKPOINTED, cmd.actorIndex, cmd.op, ok);
          break;
        }
        case 'setTimer':
          q.push(Math.max(now, cmd.atMs), TIMER, TIMER_CODES[cmd.timer], cmd.id, cmd.stamp);
          break;
        case 'reply': {
          if (replied.has(cmd.invocation)) violation(violations, 'one-outcome', `invocation ${cmd.invocation} replied twice`);
          replied.add(cmd.invocation);
          replies.push(cmd);
          checkReply(cmd);
          break;
        }
      }
    }
  };

  const checkReply = (r: Reply): void => {
    const p = r.parts;
    const sum = p.parkedMs + p.workerStartMs + p.restoreMs + p.execMs + p.queuedMs;
    if (Math.abs(sum - (r.endMs - r.arrivalMs)) > 1e-6) {
      violation(violations, 'breakdown', `invocation ${r.invocation}: parts sum ${sum} != ${r.endMs - r.arrivalMs}`);
    }
    if (r.outcome === 'served') {
      served.add(r.invocation);
      if (r.reason !== '') violation(violations, 'one-outcome', `served ${r.invocation} has reason ${r.reason}`);
      return;
    }
    const { parkTimeoutMs, maxParked } = cfg.admission;
    const parkingOff = parkTimeoutMs <= 0 || maxParked <= 0;
    const ok = ((): boolean => {
      switch (r.reason) {
        case 'no-free-worker':
          return parkingOff;
        case 'park-full':
          return !parkingOff;
        case 'park-timeout':
          return !parkingOff && p.parkedMs >= parkTimeoutMs - 1e-6;
        case 'restore-failed':
          return c.faults.restore > 0 && r.attempts >= cfg.maxAttempts;
        case 'worker-lost':
          return c.faults.workerLoss > 0 && r.attempts >= cfg.maxAttempts;
        case 'execution-failed':
          return c.faults.execution > 0 && r.attempts >= cfg.maxAttempts;
        case 'run-ended':
          return true;
        case '':
          return false;
      }
    })();
    if (!ok) violation(violations, 'rejections', `invocation ${r.invocation} rejected ${r.reason} (attempts ${r.attempts}, parked ${p.parkedMs} ms) under ${JSON.stringify(cfg.admission)}`);
  };

  const checkState = (): void => {
    const where = new Map<string, number>();
    const usage = new Map<string, number>();
    for (const w of core.workerViews()) {
      if (w.resident > w.actorSlots) violation(violations, 'capacity', `worker ${w.id} has ${w.resident} > ${w.actorSlots} slots`);
      if (w.memUsedMiB > w.memoryMiB) violation(violations, 'capacity', `worker ${w.id} uses ${w.memUsedMiB} > ${w.memoryMiB} MiB`);
      if (w.actors.length !== w.resident) violation(violations, 'capacity', `worker ${w.id} lists ${w.actors.length} actors, counts ${w.resident}`);
      usage.set(w.node, (usage.get(w.node) ?? 0) + w.memoryMiB);
      for (const a of w.actors) {
        const other = where.get(a);
        if (other !== undefined) violation(violations, 'single-residency', `${a} resident on workers ${other} and ${w.id}`);
        where.set(a, w.id);
      }
    }
    for (const n of core.nodeUsage()) {
      if (n.usedMiB > n.memoryMiB) violation(violations, 'capacity', `node ${n.name} uses ${n.usedMiB} > ${n.memoryMiB} MiB`);
      if ((usage.get(n.name) ?? 0) !== n.usedMiB) violation(violations, 'capacity', `node ${n.name} books ${n.usedMiB} MiB, workers hold ${usage.get(n.name) ?? 0}`);
    }
    for (const id of core.actorIds()) {
      const v = core.actorView(id)!;
      const resident = v.state === 'RESUMING' || v.state === 'RUNNING' || v.state === 'SUSPENDING' || v.state === 'PAUSING';
      const w = where.get(id);
      if (resident && w !== v.worker) violation(violations, 'single-residency', `${id} is ${v.state} on ${v.worker} but listed on ${w}`);
      if (!resident && w !== undefined && !dedicated) violation(violations, 'single-residency', `${id} is ${v.state} yet listed on worker ${w}`);
    }
  };

  core.start(0);
  const indices: number[] = [];
  if (dedicated || mode !== 'names') for (let i = 0; i < c.actors; i++) indices.push(core.handleActorCreated(0, actorName(i), templateOf(i)) as number);
  run(0, core.takeCommands());
  let t = 0;
  c.arrivals.forEach((a, i) => {
    t += a.gapMs;
    q.push(t, ARRIVAL, i, 0, 0);
  });
  let steps = 0;
  let arrived = 0;
  // Scaling timers re-arm for ever: once every arrival is in and answered, a quiet second ends the run.
  const horizon = t + 1000;
  while (q.pop()) {
    if (q.timeMs > horizon && arrived === c.arrivals.length && core.pendingInvocations === 0) break;
    // Whatever still waits this long after the last arrival never gets a worker (handleEnd accounts for it).
    if (q.timeMs > horizon + 10_000) break;
    if (++steps > MAX_STEPS) {
      violation(violations, 'termination', `more than ${MAX_STEPS} steps`);
      break;
    }
    const now = q.timeMs;
    const { kind, a, b, c: okFlag } = q;
    switch (kind) {
      case ARRIVAL: {
        const arr = c.arrivals[a]!;
        const actor = actorName(arr.actor);
        arrived += 1;
        arrivalOrder.push(a);
        byActor.set(actor, [...(byActor.get(actor) ?? []), a]);
        if (mode === 'indices') (core as Scheduler).handleInvocationOf(now, indices[arr.actor]!, a, arr.workMs);
        else core.handleInvocation(now, { id: a, actor, template: templateOf(arr.actor), workMs: arr.workMs });
        break;
      }
      case READY:
        if (!stopped.has(a)) core.handleWorkerReady(now, a);
        break;
      case LOST:
        if (!stopped.has(a)) {
          // The worker's processes die with it: whatever was executing there is gone.
          for (const w of core.workerViews()) if (w.id === a) for (const name of w.actors) executing.delete(name);
          core.handleWorkerLost(now, a);
        }
        break;
      case RESTORED: {
        const r = pendingRestore.get(b);
        pendingRestore.delete(b);
        const before = core.actorView(nameOf.get(a)!);
        core.handleRestoreDone(now, a, b, okFlag === 1);
        const after = core.actorView(nameOf.get(a)!);
        if (r !== undefined && okFlag === 1 && before?.state === 'RESUMING' && after !== undefined && after.state !== 'RESUMING') {
          memory.set(r.actor, r.version);
        }
        break;
      }
      case EXECUTED: {
        const e = inFlight.get(b);
        inFlight.delete(b);
        core.handleExecutionDone(now, a, b, okFlag === 1);
        if (e !== undefined && executing.get(e.actor) === b) {
          executing.delete(e.actor);
          if (okFlag === 1) memory.set(e.actor, (memory.get(e.actor) ?? 0) + 1);
        }
        break;
      }
      case CHECKPOINTED: {
        const ck = pendingCheckpoint.get(b);
        pendingCheckpoint.delete(b);
        const before = core.actorView(nameOf.get(a)!);
        core.handleCheckpointDone(now, a, b, okFlag === 1);
        const after = core.actorView(nameOf.get(a)!);
        if (ck !== undefined && okFlag === 1 && (before?.state === 'SUSPENDING' || before?.state === 'PAUSING') && after?.state !== before.state) {
          newest.set(ck.actor, { version: ck.version, kind: ck.kind, node: ck.node });
        }
        break;
      }
      case TIMER: {
        const before = core.actorView(nameOf.get(b) ?? '');
        core.handleTimer(now, TIMER_KINDS[a]!, b, okFlag);
        const after = core.actorView(nameOf.get(b) ?? '');
        // A scale-to-zero stop discards the actor's state along with its worker.
        if (TIMER_KINDS[a] === 'stop' && before?.state === 'RUNNING' && after?.state === 'SUSPENDED') {
          memory.delete(nameOf.get(b)!);
          newest.delete(nameOf.get(b)!);
        }
        break;
      }
    }
    run(now, core.takeCommands());
    checkState();
  }
  // The run is over: whatever could never get a worker is accounted for as run-ended.
  core.handleEnd(q.timeMs);
  run(q.timeMs, core.takeCommands());
  if (replied.size !== arrived) violation(violations, 'one-outcome', `${arrived} arrived, ${replied.size} replied, ${core.pendingInvocations} pending`);
  // Served invocations of one actor start in arrival order.
  const startOf = new Map(replies.filter((r) => r.outcome === 'served').map((r) => [r.invocation, r.startMs]));
  for (const [actor, ids] of byActor) {
    let last = -Infinity;
    for (const id of ids) {
      const s = startOf.get(id);
      if (s === undefined) continue;
      if (s < last) violation(violations, 'fifo', `${actor}: invocation ${id} started at ${s} before an earlier arrival (${last})`);
      last = s;
    }
  }
  return { commands, replies, arrived, violations };
}
