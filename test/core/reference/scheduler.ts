// Frozen copy of core/scheduler.ts at commit 1df6b49, before the performance
// work of issue 7 (actors and invocations as columns, allocation-free
// outputs, a maintained list of open workers): the differential test drives
// it and the current core with the same random inputs and requires the same
// commands. Do not edit.
import { Accounting, type MemoryUse } from './accounting.ts';
import { checkTransition } from '../../../core/lifecycle.ts';
import { idlePolicy, type IdleDecision, type IdlePolicy } from '../../../core/policies/idle.ts';
import { placementPolicy, type PlacementPolicy, type Rng, type WorkerView } from '../../../core/policies/placement.ts';
import type {
  ScalingSpec,
  ActorState,
  CheckpointTarget,
  Command,
  CoreConfig,
  InvocationInput,
  InvocationPath,
  LatencyParts,
  NodeSpec,
  PoolSpec,
  RejectReason,
  RestoreSource,
  TemplateSpec,
  TimerKind,
  WorkerState,
} from '../../../core/types.ts';

/**
 * The scheduler core: a state machine over actors, workers and pools.
 *
 * Call order (quinn-proto style): `start(now)` once; then any of the
 * `handle*` inputs, each with the time at which the event happened and never
 * earlier than the previous one; after each input, `takeCommands()` drains
 * what the runtime must do. The core has no clock, no I/O and no randomness of
 * its own: the same inputs in the same order give the same commands.
 *
 * Stale completions (a restore finishing on a worker that was lost meanwhile)
 * are recognised by the `op` stamp they carry and ignored; stale timers by
 * their stamp. Nothing is cancelled.
 */

/** Snapshot an actor would resume from. `local` pins the resume to `node`. */
interface Snapshot {
  kind: 'none' | 'golden' | 'external' | 'local';
  version: number;
  /** For `local`, the node holding it; for `external`, a node that kept a cached copy. */
  node: string | null;
}

type WaitPhase = 'queued' | 'parked' | 'workerStart' | 'restore';

interface Inv {
  readonly id: number;
  readonly actor: ActorRec;
  readonly workMs: number;
  readonly arrivalMs: number;
  failures: number;
  path: InvocationPath | null;
  readonly parts: LatencyParts;
  /** Time up to which waiting has been attributed to a part. */
  markMs: number;
  parked: boolean;
  /** Bumped each time the invocation parks, so the timer of an earlier parking is stale. */
  parkEpoch: number;
  startMs: number;
}

interface TemplateRt {
  readonly spec: TemplateSpec;
  readonly pool: PoolRt;
}

interface NodeRt {
  readonly spec: NodeSpec;
  usedMiB: number;
}

interface WorkerRec extends WorkerView {
  readonly id: number;
  readonly pool: PoolRt;
  readonly node: NodeRt;
  readonly nodeName: string;
  readonly actorSlots: number;
  readonly memoryMiB: number;
  state: WorkerState;
  resident: number;
  busy: number;
  memUsedMiB: number;
  /** Actors holding a slot (resuming, running or checkpointing). */
  readonly actors: ActorRec[];
  /** The actor this worker belongs to, in a dedicated pool. */
  dedicatedActor: ActorRec | null;
  use: MemoryUse;
  /** When the worker last became empty (NaN while it hosts someone). */
  emptySinceMs: number;
}

interface PoolRt {
  readonly spec: PoolSpec;
  readonly index: number;
  /** Live workers in creation order (GONE ones are removed). */
  workers: WorkerRec[];
  /** Actors waiting for a worker, in arrival order; entries whose actor no longer waits are skipped. */
  parkQueue: ActorRec[];
  /** Replicas the pool should have now: static, or what the scaling policy last decided. */
  target: number;
  /** Greedy-Dual's clock: the priority of the last victim. */
  gdClock: number;
  /** Scaling: recent recommendations (stabilization) and when an actor last waited. */
  recommendations: { atMs: number; replicas: number }[];
  lastWaitMs: number;
}

interface ActorRec {
  readonly index: number;
  readonly id: string;
  readonly template: TemplateRt;
  state: ActorState;
  worker: WorkerRec | null;
  readonly fifo: Inv[];
  running: Inv | null;
  phase: WaitPhase;
  /** Invocations applied to the in-memory state since it was created. */
  version: number;
  snapshot: Snapshot;
  op: number;
  idleStamp: number;
  lastUsedMs: number;
  inParkQueue: boolean;
  /** The waiter this actor is being evicted for, while its checkpoint runs. */
  evictedFor: ActorRec | null;
  /** Its checkpoint just failed: no eviction picks it until its idle timer fires, it runs, or it leaves its worker. */
  evictHold: boolean;
  /** Evictions under way to make room for this actor. */
  pendingEvictions: number;
  /** Stamp of the pending restore-retry timer. */
  retryStamp: number;
  /** Stamp of the pending pre-warm timer; arrivals make it stale. */
  prewarmStamp: number;
  /** The current restore is a pre-warm (no invocation asked for it). */
  prewarming: boolean;
  /** Invocations since it last became resident (Greedy-Dual's frequency). */
  frequency: number;
  /** Dedicated pools: the worker started for this actor and not yet ready. */
  startingWorker: WorkerRec | null;
}

/** Counters the core keeps for reports. */
export interface CoreCounters {
  snapshotBytesWritten: number;
  snapshotBytesRead: number;
  restores: number;
  restoreFailures: number;
  checkpoints: number;
  checkpointFailures: number;
  evictions: number;
  workersStarted: number;
  workersLost: number;
  /** Worker starts that found no node with room. */
  unschedulableWorkers: number;
  /** Resumes without an invocation, ahead of a predicted arrival. */
  prewarms: number;
  /** Workers started or stopped by the scaling policy. */
  scaleUps: number;
  scaleDowns: number;
}

/** Thrown for inputs that break the contract (unknown template, time going back, duplicate invocation id). */
export class ContractError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContractError';
  }
}

const CHECKPOINT_RETRY_MS = 1_000;

function scalingMin(s: ScalingSpec): number {
  return s.kind === 'target-utilization' || s.kind === 'parking' ? s.minReplicas : 0;
}

function scalingMax(s: ScalingSpec): number {
  return s.kind === 'static' ? Number.POSITIVE_INFINITY : s.maxReplicas;
}
// A failed restore is retried after 0.5 s, then 1 s, 2 s, ... up to 8 s.
const RESTORE_RETRY_BASE_MS = 500;
const RESTORE_RETRY_MAX_MS = 8_000;

/** The scheduler core. See the module comment for the call order. */
export class Scheduler {
  private readonly placement: PlacementPolicy;
  private readonly scaling: ScalingSpec;
  private readonly idle: IdlePolicy;
  private readonly pools = new Map<string, PoolRt>();
  private readonly templates = new Map<string, TemplateRt>();
  private readonly nodes: NodeRt[];
  private readonly actorsById = new Map<string, ActorRec>();
  private readonly actors: ActorRec[] = [];
  private readonly live = new Map<number, Inv>();
  private readonly workers: (WorkerRec | undefined)[] = [];
  private out: Command[] = [];
  private parkedCount = 0;
  private nextOp = 1;
  private started = false;
  /** Time integrals for reports. */
  readonly accounting = new Accounting();
  /** Counters for reports. */
  readonly counters: CoreCounters = {
    snapshotBytesWritten: 0,
    snapshotBytesRead: 0,
    restores: 0,
    restoreFailures: 0,
    checkpoints: 0,
    checkpointFailures: 0,
    evictions: 0,
    workersStarted: 0,
    workersLost: 0,
    unschedulableWorkers: 0,
    prewarms: 0,
    scaleUps: 0,
    scaleDowns: 0,
  };

  constructor(
    private readonly config: CoreConfig,
    private readonly rng: Rng,
  ) {
    this.placement = placementPolicy(config.placement);
    this.idle = idlePolicy(config.idle);
    this.nodes = config.nodes.map((spec) => ({ spec, usedMiB: 0 }));
    const scaling = config.scaling ?? { kind: 'static' };
    for (const [index, spec] of config.pools.entries()) {
      const target = spec.mode !== 'shared' || scaling.kind === 'static' ? spec.replicas : Math.min(scalingMax(scaling), Math.max(scalingMin(scaling), spec.replicas));
      this.pools.set(spec.name, { spec, index, workers: [], parkQueue: [], target, gdClock: 0, recommendations: [], lastWaitMs: 0 });
    }
    this.scaling = scaling;
    for (const spec of config.templates) {
      const pool = this.pools.get(spec.pool);
      if (pool === undefined) throw new ContractError(`template ${spec.name}: unknown pool "${spec.pool}"`);
      if (spec.memoryMiB > pool.spec.workerMemoryMiB) {
        throw new ContractError(
          `template ${spec.name}: memoryMiB ${spec.memoryMiB} exceeds worker memory ${pool.spec.workerMemoryMiB} of pool ${pool.spec.name}`,
        );
      }
      this.templates.set(spec.name, { spec, pool });
    }
    if (config.maxAttempts < 1) throw new ContractError(`maxAttempts must be at least 1, got ${config.maxAttempts}`);
  }

  // ---- outputs -------------------------------------------------------------

  /** Returns and clears the commands emitted since the last call. */
  takeCommands(): Command[] {
    const cmds = this.out;
    this.out = [];
    return cmds;
  }

  // ---- getters -------------------------------------------------------------

  /** Invocations admitted and not yet replied to. */
  get pendingInvocations(): number {
    return this.live.size;
  }

  /** Invocations parked for a worker now. */
  get parked(): number {
    return this.parkedCount;
  }

  /** A read-only view of one actor, for checkers and reports. */
  actorView(id: string):
    | { state: ActorState; worker: number; version: number; snapshot: Readonly<Snapshot>; queued: number; running: number }
    | undefined {
    const a = this.actorsById.get(id);
    if (a === undefined) return undefined;
    return {
      state: a.state,
      worker: a.worker === null ? -1 : a.worker.id,
      version: a.version,
      snapshot: { ...a.snapshot },
      queued: a.fifo.length,
      running: a.running === null ? -1 : a.running.id,
    };
  }

  /** All actor ids in creation order. */
  actorIds(): string[] {
    return this.actors.map((a) => a.id);
  }

  /** A read-only view of the live workers, for checkers and time series. */
  workerViews(): { id: number; pool: string; node: string; state: WorkerState; resident: number; busy: number; memUsedMiB: number; memoryMiB: number; actorSlots: number; actors: string[] }[] {
    const views = [];
    for (const w of this.workers) {
      if (w === undefined || w.state === 'GONE') continue;
      views.push({
        id: w.id,
        pool: w.pool.spec.name,
        node: w.nodeName,
        state: w.state,
        resident: w.resident,
        busy: w.busy,
        memUsedMiB: w.memUsedMiB,
        memoryMiB: w.memoryMiB,
        actorSlots: w.actorSlots,
        actors: w.actors.map((a) => a.id),
      });
    }
    return views;
  }

  /** Memory in use on each node, for checkers. */
  nodeUsage(): { name: string; usedMiB: number; memoryMiB: number }[] {
    return this.nodes.map((n) => ({ name: n.spec.name, usedMiB: n.usedMiB, memoryMiB: n.spec.memoryMiB }));
  }

  // ---- inputs --------------------------------------------------------------

  /** Starts the static replicas of every shared pool. Call once, first. */
  start(nowMs: number): void {
    if (this.started) throw new ContractError('start() called twice');
    this.started = true;
    this.accounting.advance(nowMs);
    for (const pool of this.pools.values()) {
      this.reconcile(pool);
      if (pool.spec.mode === 'shared' && this.scaling.kind !== 'static') {
        this.out.push({ kind: 'setTimer', atMs: nowMs + this.scaling.intervalMs, timer: 'scale', id: pool.index, stamp: 0 });
      }
    }
  }

  /** Declares an actor before its first invocation (needed for dedicated always-on pools, optional otherwise). */
  handleActorCreated(nowMs: number, actorId: string, template: string): void {
    this.begin(nowMs);
    const a = this.actorFor(actorId, template);
    const pool = a.template.pool;
    if (pool.spec.mode === 'dedicated' && pool.spec.dedicated?.variant === 'always-on' && a.worker === null && a.startingWorker === null) {
      this.startDedicated(a, nowMs);
    }
  }

  /** An invocation arrived for an actor. */
  handleInvocation(nowMs: number, input: InvocationInput): void {
    this.begin(nowMs);
    if (this.live.has(input.id)) throw new ContractError(`invocation ${input.id} arrived twice`);
    if (!(input.workMs >= 0)) throw new ContractError(`invocation ${input.id}: workMs must be >= 0, got ${input.workMs}`);
    const a = this.actorFor(input.actor, input.template);
    const inv: Inv = {
      id: input.id,
      actor: a,
      workMs: input.workMs,
      arrivalMs: nowMs,
      failures: 0,
      path: null,
      parts: { parkedMs: 0, workerStartMs: 0, restoreMs: 0, execMs: 0, queuedMs: 0 },
      markMs: nowMs,
      parked: false,
      parkEpoch: 0,
      startMs: Number.NaN,
    };
    this.live.set(inv.id, inv);
    a.idleStamp += 1; // any pending idle timer is now stale
    a.prewarmStamp += 1; // and so is a pre-warm: the arrival resumes it anyway
    a.frequency += 1;
    if (a.template.pool.spec.mode === 'shared') this.idle.onArrival?.(a.index, nowMs);
    this.accrue(a, nowMs);
    a.fifo.push(inv);
    switch (a.state) {
      case 'RUNNING':
        if (a.running === null) this.executeNext(a, nowMs);
        break;
      case 'RESUMING':
        inv.path = this.pathOfResume(a);
        break;
      case 'SUSPENDED':
      case 'PAUSED':
        if (a.inParkQueue || a.startingWorker !== null) {
          if (a.inParkQueue) this.admitParked(inv, nowMs);
        } else {
          this.needWorker(a, nowMs);
        }
        break;
      case 'SUSPENDING':
      case 'PAUSING':
        // Waits for the checkpoint to land, then resumes.
        break;
    }
  }

  /** A worker the core started is ready to host actors. */
  handleWorkerReady(nowMs: number, workerId: number): void {
    this.begin(nowMs);
    const w = this.workers[workerId];
    if (w === undefined || w.state !== 'STARTING') return; // stopped or lost before it came up
    w.state = 'READY';
    this.recat(w);
    const owner = w.dedicatedActor;
    if (owner !== null) {
      owner.startingWorker = null;
      this.assign(owner, w, nowMs);
      return;
    }
    this.dispatchParked(w.pool, nowMs);
  }

  /** A worker died: resident actors go back to their last snapshot; in-flight work is retried or rejected. */
  handleWorkerLost(nowMs: number, workerId: number): void {
    this.begin(nowMs);
    const w = this.workers[workerId];
    if (w === undefined || w.state === 'GONE') return;
    this.counters.workersLost += 1;
    const affected = [...w.actors];
    for (const a of affected) this.rollback(a, nowMs, 'worker-lost');
    const owner = w.dedicatedActor;
    this.retire(w);
    if (owner !== null && owner.startingWorker === w) owner.startingWorker = null;
    if (w.pool.spec.mode === 'shared') {
      this.reconcile(w.pool);
    } else if (owner !== null) {
      const alwaysOn = w.pool.spec.dedicated?.variant === 'always-on';
      if (alwaysOn || owner.fifo.length > 0) this.startDedicated(owner, nowMs);
    }
    for (const a of affected) {
      if (a.fifo.length > 0 && a.worker === null && a.startingWorker === null && !a.inParkQueue) this.needWorker(a, nowMs);
    }
    for (const pool of this.pools.values()) this.dispatchParked(pool, nowMs);
  }

  /** A restore (or cold boot) finished. */
  handleRestoreDone(nowMs: number, actorIndex: number, op: number, ok: boolean): void {
    this.begin(nowMs);
    const a = this.actors[actorIndex];
    if (a === undefined || a.op !== op || a.state !== 'RESUMING') return;
    const w = a.worker!;
    if (!ok) {
      this.counters.restoreFailures += 1;
      this.rollback(a, nowMs, 'restore-failed');
      if (w.dedicatedActor === a) {
        if (a.fifo.length > 0 || w.pool.spec.dedicated?.variant === 'always-on') {
          this.assign(a, w, nowMs);
        } else {
          // Scale-to-zero with nothing left to serve: give the worker back rather than keep it booting.
          this.retire(w);
          this.out.push({ kind: 'stopWorker', worker: w.id });
          this.dispatchParked(w.pool, nowMs);
        }
      } else {
        // Back off before trying again, so a store outage of a few seconds is
        // ridden out rather than burning the retry budget in a burst.
        const head = a.fifo[0];
        if (head !== undefined) {
          a.phase = 'restore';
          a.retryStamp += 1;
          const backoffMs = Math.min(RESTORE_RETRY_MAX_MS, RESTORE_RETRY_BASE_MS * 2 ** Math.max(0, head.failures - 1));
          this.out.push({ kind: 'setTimer', atMs: nowMs + backoffMs, timer: 'retry', id: a.index, stamp: a.retryStamp });
        }
        this.dispatchParked(w.pool, nowMs);
      }
      return;
    }
    const source = this.sourceOf(a, w);
    if (source !== 'cold') this.counters.snapshotBytesRead += a.template.spec.snapshotBytes;
    this.accrue(a, nowMs);
    this.transition(a, 'RUNNING');
    a.phase = 'queued';
    a.lastUsedMs = nowMs;
    const prewarmed = a.prewarming;
    a.prewarming = false;
    if (a.fifo.length > 0) this.executeNext(a, nowMs);
    else if (prewarmed && this.idle.onPrewarmed !== undefined) this.applyIdle(a, this.idle.onPrewarmed(a.index, nowMs), nowMs);
    else this.applyIdle(a, this.idleDecision(a, nowMs), nowMs);
  }

  /** An execution finished (ok) or failed. */
  handleExecutionDone(nowMs: number, actorIndex: number, op: number, ok: boolean): void {
    this.begin(nowMs);
    const a = this.actors[actorIndex];
    if (a === undefined || a.op !== op || a.running === null) return;
    const inv = a.running;
    const w = a.worker!;
    a.running = null;
    w.busy -= 1;
    this.recat(w);
    a.lastUsedMs = nowMs;
    inv.parts.execMs += nowMs - inv.startMs;
    if (ok) {
      a.version += 1;
      this.finish(inv, nowMs, 'served', '');
    } else {
      inv.failures += 1;
      if (inv.failures >= this.config.maxAttempts) {
        this.finish(inv, nowMs, 'rejected', 'execution-failed');
      } else {
        inv.markMs = nowMs;
        a.fifo.unshift(inv);
      }
    }
    if (a.fifo.length > 0) this.executeNext(a, nowMs);
    else this.applyIdle(a, this.idleDecision(a, nowMs), nowMs);
  }

  /** A checkpoint finished (ok: the actor leaves its worker) or failed (it stays resident). */
  handleCheckpointDone(nowMs: number, actorIndex: number, op: number, ok: boolean): void {
    this.begin(nowMs);
    const a = this.actors[actorIndex];
    if (a === undefined || a.op !== op || (a.state !== 'SUSPENDING' && a.state !== 'PAUSING')) return;
    const w = a.worker!;
    const pool = w.pool;
    this.evictionEnded(a);
    this.accrue(a, nowMs);
    if (!ok) {
      this.counters.checkpointFailures += 1;
      a.evictHold = true;
      this.transition(a, 'RUNNING');
      a.phase = 'queued';
      if (a.fifo.length > 0) this.executeNext(a, nowMs);
      else this.applyIdle(a, { kind: 'checkAt', atMs: nowMs + CHECKPOINT_RETRY_MS }, nowMs);
      // Another parked actor may still need an eviction that this one failed to give.
      this.dispatchParked(pool, nowMs);
      return;
    }
    const local = a.state === 'PAUSING';
    a.frequency = 0;
    this.counters.snapshotBytesWritten += a.template.spec.snapshotBytes;
    a.snapshot = { kind: local ? 'local' : 'external', version: a.version, node: w.nodeName };
    this.release(a, w);
    this.transition(a, local ? 'PAUSED' : 'SUSPENDED');
    if (a.fifo.length > 0) this.needWorker(a, nowMs);
    this.dispatchParked(pool, nowMs);
  }

  /** A timer the core asked for fired. Stale timers are ignored. */
  handleTimer(nowMs: number, kind: TimerKind, id: number, stamp: number): void {
    this.begin(nowMs);
    switch (kind) {
      case 'idle': {
        const a = this.actors[id];
        if (a !== undefined && a.idleStamp === stamp) a.evictHold = false;
        if (a === undefined || a.idleStamp !== stamp || !this.isIdleResident(a)) return;
        this.applyIdle(a, this.idle.onTimer(a.index, nowMs), nowMs);
        return;
      }
      case 'stop': {
        const a = this.actors[id];
        if (a === undefined || a.idleStamp !== stamp || !this.isIdleResident(a)) return;
        this.stopDedicated(a, nowMs);
        return;
      }
      case 'prewarm': {
        const a = this.actors[id];
        if (a === undefined || a.prewarmStamp !== stamp) return;
        if ((a.state !== 'SUSPENDED' && a.state !== 'PAUSED') || a.fifo.length > 0 || a.worker !== null || a.inParkQueue) return;
        // A pre-warm takes a free slot if there is one; it never parks or evicts.
        const w = this.choose(a);
        if (w === null) return;
        this.counters.prewarms += 1;
        a.prewarming = true;
        this.assign(a, w, nowMs);
        return;
      }
      case 'scale': {
        const pool = [...this.pools.values()][id];
        if (pool === undefined || this.scaling.kind === 'static') return;
        this.scale(pool, nowMs);
        this.out.push({ kind: 'setTimer', atMs: nowMs + this.scaling.intervalMs, timer: 'scale', id, stamp: 0 });
        return;
      }
      case 'retry': {
        const a = this.actors[id];
        if (a === undefined || a.retryStamp !== stamp) return;
        if ((a.state !== 'SUSPENDED' && a.state !== 'PAUSED') || a.fifo.length === 0) return;
        if (a.worker !== null || a.startingWorker !== null || a.inParkQueue) return;
        this.needWorker(a, nowMs);
        return;
      }
      case 'park': {
        const inv = this.live.get(id);
        if (inv === undefined || !inv.parked || inv.parkEpoch !== stamp) return;
        const a = inv.actor;
        this.accrue(a, nowMs);
        a.fifo.splice(a.fifo.indexOf(inv), 1);
        inv.parked = false;
        this.parkedCount -= 1;
        this.finish(inv, nowMs, 'rejected', 'park-timeout');
        if (a.fifo.length === 0) a.inParkQueue = false; // left in the queue array, skipped when met
        return;
      }
    }
  }

  /**
   * The run is over: every invocation still waiting or executing gets its
   * outcome now (rejected, `run-ended`), so none is left unaccounted for.
   */
  handleEnd(nowMs: number): void {
    this.begin(nowMs);
    for (const a of this.actors) {
      if (a.running === null && a.fifo.length === 0) continue;
      this.accrue(a, nowMs);
      const inv = a.running;
      if (inv !== null) {
        a.running = null;
        const w = a.worker!;
        w.busy -= 1;
        this.recat(w);
        inv.parts.execMs += nowMs - inv.startMs;
        this.finish(inv, nowMs, 'rejected', 'run-ended');
      }
      for (const q of a.fifo) {
        if (q.parked) {
          q.parked = false;
          this.parkedCount -= 1;
        }
        this.finish(q, nowMs, 'rejected', 'run-ended');
      }
      a.fifo.length = 0;
      a.inParkQueue = false;
    }
  }

  // ---- internals -----------------------------------------------------------

  private begin(nowMs: number): void {
    if (!this.started) throw new ContractError('start() must be called before any other input');
    if (!(nowMs >= this.accounting.nowMs)) throw new ContractError(`time went backwards: ${nowMs} after ${this.accounting.nowMs}`);
    this.accounting.advance(nowMs);
  }

  private actorFor(actorId: string, template: string): ActorRec {
    const existing = this.actorsById.get(actorId);
    if (existing !== undefined) {
      if (existing.template.spec.name !== template) {
        throw new ContractError(`actor ${actorId}: template "${template}" differs from its first "${existing.template.spec.name}"`);
      }
      return existing;
    }
    const t = this.templates.get(template);
    if (t === undefined) throw new ContractError(`actor ${actorId}: unknown template "${template}"`);
    const dedicated = t.pool.spec.mode === 'dedicated';
    const a: ActorRec = {
      index: this.actors.length,
      id: actorId,
      template: t,
      state: 'SUSPENDED',
      worker: null,
      fifo: [],
      running: null,
      phase: 'queued',
      version: 0,
      snapshot: { kind: t.spec.golden && !dedicated ? 'golden' : 'none', version: 0, node: null },
      op: 0,
      idleStamp: 0,
      lastUsedMs: 0,
      inParkQueue: false,
      evictedFor: null,
      evictHold: false,
      pendingEvictions: 0,
      retryStamp: 0,
      prewarmStamp: 0,
      prewarming: false,
      frequency: 0,
      startingWorker: null,
    };
    this.actors.push(a);
    this.actorsById.set(actorId, a);
    return a;
  }

  private transition(a: ActorRec, to: ActorState): void {
    a.state = checkTransition(a.id, a.state, to);
  }

  /** Attributes the waiting time of every queued invocation to the actor's current phase. */
  private accrue(a: ActorRec, nowMs: number): void {
    for (const inv of a.fifo) {
      const dt = nowMs - inv.markMs;
      if (dt > 0) {
        switch (a.phase) {
          case 'parked':
            inv.parts.parkedMs += dt;
            break;
          case 'workerStart':
            inv.parts.workerStartMs += dt;
            break;
          case 'restore':
            inv.parts.restoreMs += dt;
            break;
          case 'queued':
            inv.parts.queuedMs += dt;
            break;
        }
      }
      inv.markMs = nowMs;
    }
  }

  private finish(inv: Inv, nowMs: number, outcome: 'served' | 'rejected', reason: RejectReason | ''): void {
    this.live.delete(inv.id);
    const served = outcome === 'served';
    this.out.push({
      kind: 'reply',
      invocation: inv.id,
      actor: inv.actor.id,
      outcome,
      reason,
      path: served ? (inv.path ?? 'warm') : 'rejected',
      arrivalMs: inv.arrivalMs,
      startMs: served ? inv.startMs : Number.NaN,
      endMs: nowMs,
      parts: { ...inv.parts },
      attempts: inv.failures + 1,
    });
  }

  private reject(a: ActorRec, inv: Inv, nowMs: number, reason: RejectReason): void {
    this.accrue(a, nowMs);
    const i = a.fifo.indexOf(inv);
    if (i >= 0) a.fifo.splice(i, 1);
    if (inv.parked) {
      inv.parked = false;
      this.parkedCount -= 1;
    }
    this.finish(inv, nowMs, 'rejected', reason);
  }

  /** The actor has queued work and no worker: place it, start its dedicated worker, or park it. */
  private needWorker(a: ActorRec, nowMs: number): void {
    const pool = a.template.pool;
    if (pool.spec.mode === 'dedicated') {
      if (a.startingWorker === null && a.worker === null) this.startDedicated(a, nowMs);
      if (a.startingWorker === null && a.worker === null) this.park(a, nowMs); // no node had room
      return;
    }
    const w = this.choose(a);
    if (w !== null) {
      this.assign(a, w, nowMs);
      return;
    }
    this.park(a, nowMs);
    if (a.inParkQueue) {
      pool.lastWaitMs = nowMs;
      // Scale from zero reacts at once, as Knative's activator does: nobody else will.
      if (this.scaling.kind === 'scale-to-zero' && pool.workers.length === 0 && pool.target < this.scaling.maxReplicas) {
        pool.target += 1;
        this.counters.scaleUps += 1;
        this.reconcile(pool);
      }
      this.maybeEvict(pool, a);
    }
  }

  /** Puts the actor in its pool's park queue and admits each of its queued invocations, or rejects them. */
  private park(a: ActorRec, nowMs: number): void {
    this.accrue(a, nowMs);
    a.phase = 'parked';
    for (const inv of [...a.fifo]) if (!inv.parked) this.admitParked(inv, nowMs);
    if (a.fifo.length > 0 && !a.inParkQueue) {
      a.inParkQueue = true;
      a.template.pool.parkQueue.push(a);
    }
  }

  /** Parks one invocation if the admission policy allows, else rejects it with the reason. */
  private admitParked(inv: Inv, nowMs: number): void {
    const { parkTimeoutMs, maxParked } = this.config.admission;
    if (parkTimeoutMs <= 0 || maxParked <= 0) {
      this.reject(inv.actor, inv, nowMs, 'no-free-worker');
      return;
    }
    if (this.parkedCount >= maxParked) {
      this.reject(inv.actor, inv, nowMs, 'park-full');
      return;
    }
    inv.parked = true;
    inv.parkEpoch += 1;
    this.parkedCount += 1;
    if (Number.isFinite(parkTimeoutMs)) {
      this.out.push({ kind: 'setTimer', atMs: nowMs + parkTimeoutMs, timer: 'park', id: inv.id, stamp: inv.parkEpoch });
    }
  }

  /** Candidate workers for an actor: READY, same pool, with a slot and memory; pinned to the snapshot's node for a pause. */
  private choose(a: ActorRec): WorkerRec | null {
    const pool = a.template.pool;
    const need = a.template.spec.memoryMiB;
    const pinned = a.snapshot.kind === 'local' ? a.snapshot.node : null;
    const candidates: WorkerRec[] = [];
    for (const w of pool.workers) {
      if (w.state !== 'READY' || w.dedicatedActor !== null) continue;
      if (w.resident >= w.actorSlots || w.memUsedMiB + need > w.memoryMiB) continue;
      if (pinned !== null && w.nodeName !== pinned) continue;
      candidates.push(w);
    }
    if (candidates.length === 0) return null;
    const i = this.placement.choose(candidates, { snapshotNode: a.snapshot.node }, this.rng);
    const w = candidates[i];
    if (w === undefined) throw new Error(`placement ${this.placement.name} returned ${i} of ${candidates.length}`);
    return w;
  }

  /** Takes a slot on `w` for `a` and starts its restore. */
  private assign(a: ActorRec, w: WorkerRec, nowMs: number): void {
    this.accrue(a, nowMs);
    if (a.inParkQueue) a.inParkQueue = false;
    for (const inv of a.fifo) {
      if (inv.parked) {
        inv.parked = false;
        this.parkedCount -= 1;
      }
    }
    if (a.worker !== w) {
      w.resident += 1;
      w.memUsedMiB += a.template.spec.memoryMiB;
      w.actors.push(a);
      a.worker = w;
      this.accounting.residentDelta(1);
      this.recat(w);
    }
    this.transition(a, 'RESUMING');
    a.phase = 'restore';
    const source = this.sourceOf(a, w);
    const path = this.pathOfResume(a);
    for (const inv of a.fifo) inv.path = path;
    a.op = this.nextOp++;
    this.counters.restores += 1;
    this.out.push({
      kind: 'restore',
      op: a.op,
      actor: a.id,
      actorIndex: a.index,
      worker: w.id,
      source,
      version: source === 'local' || source === 'external' ? a.snapshot.version : 0,
      snapshotBytes: source === 'cold' ? 0 : a.template.spec.snapshotBytes,
      template: a.template.spec.name,
    });
  }

  private sourceOf(a: ActorRec, w: WorkerRec): RestoreSource {
    const s = a.snapshot;
    switch (s.kind) {
      case 'none':
        return 'cold';
      case 'golden':
        return 'golden';
      case 'local':
        return 'local';
      case 'external':
        // The node that wrote the snapshot kept a copy: resuming there reads it from disk.
        return s.node === w.nodeName ? 'local' : 'external';
    }
  }

  private pathOfResume(a: ActorRec): InvocationPath {
    const w = a.worker;
    const source = w === null ? 'cold' : this.sourceOf(a, w);
    switch (source) {
      case 'cold':
        return 'cold-boot';
      case 'golden':
        return 'golden';
      case 'local':
        return 'resume-local';
      case 'external':
        return 'resume-external';
    }
  }

  private executeNext(a: ActorRec, nowMs: number): void {
    const w = a.worker!;
    this.accrue(a, nowMs);
    const inv = a.fifo.shift()!;
    a.running = inv;
    a.evictHold = false;
    a.phase = 'queued';
    a.idleStamp += 1;
    inv.startMs = nowMs;
    w.busy += 1;
    this.recat(w);
    a.op = this.nextOp++;
    this.out.push({ kind: 'execute', op: a.op, actor: a.id, actorIndex: a.index, worker: w.id, invocation: inv.id, workMs: inv.workMs });
  }

  private isIdleResident(a: ActorRec): boolean {
    return a.state === 'RUNNING' && a.running === null && a.fifo.length === 0;
  }

  private idleDecision(a: ActorRec, nowMs: number): IdleDecision {
    const pool = a.template.pool.spec;
    if (pool.mode === 'dedicated') {
      if (pool.dedicated?.variant === 'scale-to-zero') return { kind: 'checkAt', atMs: nowMs + pool.dedicated.idleStopMs };
      return { kind: 'keep' };
    }
    return this.idle.onIdle(a.index, nowMs);
  }

  private applyIdle(a: ActorRec, d: IdleDecision, nowMs: number): void {
    // An actor that just went idle may be what a parked actor needs evicted.
    const pool = a.template.pool;
    if (d.kind !== 'checkpoint' && pool.parkQueue.length > 0) this.evictForWaiters(pool);
    if (!this.isIdleResident(a)) return;
    switch (d.kind) {
      case 'keep':
        return;
      case 'checkAt': {
        a.idleStamp += 1;
        const timer: TimerKind = a.template.pool.spec.mode === 'dedicated' ? 'stop' : 'idle';
        this.out.push({ kind: 'setTimer', atMs: d.atMs, timer, id: a.index, stamp: a.idleStamp });
        return;
      }
      case 'checkpoint':
        this.checkpoint(a, d.target, nowMs);
        return;
      case 'leaveAndPrewarm':
        this.checkpoint(a, d.target, nowMs);
        a.prewarmStamp += 1;
        this.out.push({ kind: 'setTimer', atMs: Math.max(nowMs, d.prewarmAtMs), timer: 'prewarm', id: a.index, stamp: a.prewarmStamp });
        return;
    }
  }

  private checkpoint(a: ActorRec, target: CheckpointTarget, nowMs: number): void {
    const w = a.worker!;
    this.accrue(a, nowMs);
    this.transition(a, target === 'local' ? 'PAUSING' : 'SUSPENDING');
    a.phase = 'queued';
    a.idleStamp += 1;
    a.op = this.nextOp++;
    this.counters.checkpoints += 1;
    this.out.push({
      kind: 'checkpoint',
      op: a.op,
      actor: a.id,
      actorIndex: a.index,
      worker: w.id,
      target,
      version: a.version,
      snapshotBytes: a.template.spec.snapshotBytes,
    });
  }

  /**
   * Makes room for a waiting actor by evicting least recently used idle
   * actors: on each worker it may use, the oldest idle residents are taken
   * until the waiter would fit; the worker whose newest victim is oldest wins.
   * One batch per waiter at a time, so a burst of waiters cannot empty a pool.
   */
  private maybeEvict(pool: PoolRt, waiting: ActorRec): void {
    if (this.config.eviction === 'none' || waiting.pendingEvictions > 0) return;
    const key = this.config.eviction === 'greedy-dual' ? (v: ActorRec) => this.gdPriority(pool, v) : (v: ActorRec) => v.lastUsedMs;
    const need = waiting.template.spec.memoryMiB;
    const pinned = waiting.snapshot.kind === 'local' ? waiting.snapshot.node : null;
    let best: ActorRec[] | null = null;
    let bestNewestMs = Number.POSITIVE_INFINITY;
    for (const w of pool.workers) {
      if (w.state !== 'READY' || w.dedicatedActor !== null) continue;
      if (pinned !== null && w.nodeName !== pinned) continue;
      const idle = w.actors.filter((v) => this.isIdleResident(v) && v.evictedFor === null && !v.evictHold);
      if (idle.length === 0) continue;
      idle.sort((x, y) => key(x) - key(y) || x.index - y.index);
      let slots = w.actorSlots - w.resident;
      let mem = w.memoryMiB - w.memUsedMiB;
      const victims: ActorRec[] = [];
      for (const v of idle) {
        if (slots >= 1 && mem >= need) break;
        victims.push(v);
        slots += 1;
        mem += v.template.spec.memoryMiB;
      }
      if (!(slots >= 1 && mem >= need) || victims.length === 0) continue;
      const newestMs = key(victims[victims.length - 1]!);
      if (best === null || newestMs < bestNewestMs || (newestMs === bestNewestMs && victims.length < best.length)) {
        best = victims;
        bestNewestMs = newestMs;
      }
    }
    if (best === null) return;
    if (this.config.eviction === 'greedy-dual') pool.gdClock = Math.max(pool.gdClock, bestNewestMs);
    for (const v of best) {
      v.evictedFor = waiting;
      waiting.pendingEvictions += 1;
      this.counters.evictions += 1;
      this.checkpoint(v, this.idle.evictTarget, this.accounting.nowMs);
    }
  }

  /**
   * Greedy-Dual-Size-Frequency priority (FaasCache, Fuerst and Sharma,
   * ASPLOS 2021): clock + frequency x cost / size. Cost is what bringing the
   * actor back would take, which grows with its snapshot (1 + snapshot/64 MiB);
   * size is its memory in units of 256 MiB. The lowest priority is evicted,
   * and the clock rises to it, so long-unused actors age out.
   */
  private gdPriority(pool: PoolRt, v: ActorRec): number {
    const cost = 1 + v.template.spec.snapshotBytes / (64 * 1024 * 1024);
    const size = v.template.spec.memoryMiB / 256;
    return pool.gdClock + (v.frequency * cost) / size;
  }

  /** The eviction of `a` is over (it left, failed or its worker died): its waiter may need another. */
  private evictionEnded(a: ActorRec): void {
    const waiter = a.evictedFor;
    if (waiter === null) return;
    a.evictedFor = null;
    waiter.pendingEvictions -= 1;
  }

  /** Places parked actors of a pool while workers have room; those that cannot be placed stay, in order. */
  private dispatchParked(pool: PoolRt, nowMs: number): void {
    if (pool.parkQueue.length === 0) return;
    if (pool.spec.mode === 'dedicated') {
      const queue = pool.parkQueue;
      pool.parkQueue = [];
      for (const a of queue) {
        if (!a.inParkQueue || a.startingWorker !== null) continue;
        a.inParkQueue = false;
        this.startDedicated(a, nowMs);
        if (a.startingWorker === null) {
          a.inParkQueue = true;
          pool.parkQueue.push(a);
        }
      }
      return;
    }
    const queue = pool.parkQueue;
    pool.parkQueue = [];
    let room = true;
    const seen = new Set<ActorRec>();
    for (const a of queue) {
      // An actor that left the queue and parked again has two entries: keep the first.
      if (!a.inParkQueue || seen.has(a)) continue;
      seen.add(a);
      const w = room ? this.choose(a) : null;
      if (w !== null) {
        this.assign(a, w, nowMs);
      } else {
        pool.parkQueue.push(a);
        if (a.snapshot.kind !== 'local') room = this.hasAnyRoom(pool);
      }
    }
    this.evictForWaiters(pool);
  }

  /** Starts evictions for the actors waiting in a pool, one per waiter at most. */
  private evictForWaiters(pool: PoolRt): void {
    if (this.config.eviction === 'none') return;
    for (const a of pool.parkQueue) {
      if (!a.inParkQueue) continue;
      this.maybeEvict(pool, a);
    }
  }

  private hasAnyRoom(pool: PoolRt): boolean {
    for (const w of pool.workers) if (w.state === 'READY' && w.resident < w.actorSlots) return true;
    return false;
  }

  /** Sends an actor back to its newest snapshot; its in-flight invocation is retried or rejected. */
  private rollback(a: ActorRec, nowMs: number, reason: 'worker-lost' | 'restore-failed'): void {
    const w = a.worker!;
    this.accrue(a, nowMs);
    this.evictionEnded(a);
    const inv = a.running;
    if (inv !== null) {
      a.running = null;
      w.busy -= 1;
      inv.parts.execMs += nowMs - inv.startMs;
      inv.failures += 1;
      inv.markMs = nowMs;
      inv.path = null;
      a.fifo.unshift(inv);
    } else if (reason === 'restore-failed' && a.fifo.length > 0) {
      a.fifo[0]!.failures += 1;
    }
    const head = a.fifo[0];
    if (head !== undefined && head.failures >= this.config.maxAttempts) this.reject(a, head, nowMs, reason);
    a.op = this.nextOp++; // completions of the interrupted operation are now stale
    a.idleStamp += 1;
    a.phase = 'queued';
    a.version = a.snapshot.version;
    if (w.dedicatedActor !== a) this.release(a, w);
    else this.recat(w);
    this.transition(a, a.snapshot.kind === 'local' ? 'PAUSED' : 'SUSPENDED');
  }

  /** Frees the slot and memory an actor held on a worker. */
  private release(a: ActorRec, w: WorkerRec): void {
    a.evictHold = false;
    const i = w.actors.indexOf(a);
    if (i >= 0) {
      w.actors.splice(i, 1);
      w.resident -= 1;
      w.memUsedMiB -= a.template.spec.memoryMiB;
      this.accounting.residentDelta(-1);
    }
    a.worker = null;
    this.recat(w);
  }

  /**
   * Distinct actors waiting for a worker in a pool. The one deliberate change
   * to this frozen copy (commit 6179f76): it counted queue entries, so an actor
   * that parked again before the next dispatch pass, and so had two entries,
   * counted twice as demand; the core now counts each waiting actor once.
   */
  private waiting(pool: PoolRt): number {
    const met = new Set<ActorRec>();
    for (const a of pool.parkQueue) if (a.inParkQueue) met.add(a);
    return met.size;
  }

  /**
   * One evaluation of the pool's scaling policy: decide a target, start
   * workers up to it, and stop empty workers above it (the one empty the
   * longest first). Workers hosting actors are never stopped to shrink a
   * pool: idle policies empty them, and only then do they go.
   */
  private scale(pool: PoolRt, nowMs: number): void {
    const sc = this.scaling;
    const slots = pool.spec.actorSlots;
    const current = pool.workers.length;
    const waiting = this.waiting(pool);
    if (waiting > 0) pool.lastWaitMs = nowMs;
    let target = pool.target;
    switch (sc.kind) {
      case 'static':
        return;
      case 'target-utilization': {
        // The HPA's rule: desired = ceil(current x utilization / target), on slot use; waiting actors count as demand.
        let used = waiting;
        for (const w of pool.workers) used += w.resident;
        const capacity = current * slots;
        const desired = capacity === 0 ? Math.ceil(used / slots / sc.target) : Math.ceil((current * (used / capacity)) / sc.target);
        const clamped = Math.min(sc.maxReplicas, Math.max(sc.minReplicas, desired));
        pool.recommendations.push({ atMs: nowMs, replicas: clamped });
        while (pool.recommendations.length > 0 && pool.recommendations[0]!.atMs < nowMs - sc.stabilizationMs) pool.recommendations.shift();
        // Up at once; down only to the highest recommendation of the window.
        target = clamped >= current ? clamped : Math.max(...pool.recommendations.map((r) => r.replicas));
        break;
      }
      case 'parking':
        if (waiting > 0) target = Math.min(sc.maxReplicas, current + sc.step);
        else if (nowMs - pool.lastWaitMs >= sc.quietMs && current > sc.minReplicas) {
          target = current - 1;
          pool.lastWaitMs = nowMs; // one step down per quiet window
        } else target = Math.max(sc.minReplicas, current);
        break;
      case 'scale-to-zero': {
        const stale = pool.workers.filter((w) => w.state === 'READY' && w.resident === 0 && nowMs - w.emptySinceMs >= sc.idleMs).length;
        target = waiting > 0 ? Math.min(sc.maxReplicas, Math.max(current, current + Math.ceil(waiting / slots) - this.startingIn(pool))) : current - stale;
        break;
      }
    }
    // A paused actor resumes only on its node: a node with waiters and no worker needs one.
    const pinned = this.pinnedNodesWithoutWorker(pool);
    const max = scalingMax(sc);
    if (pinned.length > 0) {
      if (current < max) target = Math.max(target, Math.min(max, current + pinned.length));
      else target = current - 1; // at the ceiling: give up an empty worker elsewhere so the next start can go there
    }
    target = Math.max(0, target);
    pool.target = target;
    if (target > current) {
      this.counters.scaleUps += target - current;
      this.reconcile(pool);
      return;
    }
    if (target < current) {
      const empty = pool.workers
        .filter((w) => w.state === 'READY' && w.resident === 0 && !pinned.includes(w.nodeName))
        .sort((x, y) => x.emptySinceMs - y.emptySinceMs || x.id - y.id)
        .slice(0, current - target);
      for (const w of empty) {
        this.retire(w);
        this.counters.scaleDowns += 1;
        this.out.push({ kind: 'stopWorker', worker: w.id });
      }
      // What could not be stopped yet stays in the target, so the pool does not regrow it.
      pool.target = pool.workers.length;
    }
  }

  /** Nodes holding a waiting paused actor's snapshot where the pool has no worker. */
  private pinnedNodesWithoutWorker(pool: PoolRt): string[] {
    const nodes: string[] = [];
    for (const a of pool.parkQueue) {
      if (!a.inParkQueue || a.snapshot.kind !== 'local' || a.snapshot.node === null) continue;
      const node = a.snapshot.node;
      if (!nodes.includes(node) && !pool.workers.some((w) => w.nodeName === node)) nodes.push(node);
    }
    return nodes;
  }

  private startingIn(pool: PoolRt): number {
    let n = 0;
    for (const w of pool.workers) if (w.state === 'STARTING') n += 1;
    return n;
  }

  /** Keeps a shared pool at its target replica count. */
  private reconcile(pool: PoolRt): void {
    if (pool.spec.mode !== 'shared') return;
    // Paused actors can resume only on their node: new workers go there first.
    const wanted = this.pinnedNodesWithoutWorker(pool);
    while (pool.workers.length < pool.target) {
      if (this.startWorker(pool, null, wanted.shift()) === null) break;
    }
  }

  private startWorker(pool: PoolRt, owner: ActorRec | null, preferNode?: string): WorkerRec | null {
    const memoryMiB = pool.spec.workerMemoryMiB;
    // Spread workers: the node with the most free memory that fits, ties to the first.
    let node: NodeRt | null = null;
    const preferred = preferNode === undefined ? undefined : this.nodes.find((n) => n.spec.name === preferNode);
    if (preferred !== undefined && preferred.spec.memoryMiB - preferred.usedMiB >= memoryMiB) node = preferred;
    for (const n of node === null ? this.nodes : []) {
      const free = n.spec.memoryMiB - n.usedMiB;
      if (free < memoryMiB) continue;
      if (node === null || free > node.spec.memoryMiB - node.usedMiB) node = n;
    }
    if (node === null) {
      this.counters.unschedulableWorkers += 1;
      return null;
    }
    node.usedMiB += memoryMiB;
    const w: WorkerRec = {
      id: this.workers.length,
      pool,
      node,
      nodeName: node.spec.name,
      actorSlots: owner === null ? pool.spec.actorSlots : 1,
      memoryMiB,
      state: 'STARTING',
      resident: 0,
      busy: 0,
      memUsedMiB: 0,
      actors: [],
      dedicatedActor: owner,
      use: 'none',
      emptySinceMs: this.accounting.nowMs,
    };
    this.workers.push(w);
    pool.workers.push(w);
    this.counters.workersStarted += 1;
    this.recat(w);
    this.out.push({ kind: 'startWorker', worker: w.id, pool: pool.spec.name, node: w.nodeName, memoryMiB });
    return w;
  }

  private startDedicated(a: ActorRec, nowMs: number): void {
    const w = this.startWorker(a.template.pool, a);
    if (w === null) return;
    this.accrue(a, nowMs);
    a.startingWorker = w;
    a.inParkQueue = false;
    a.phase = 'workerStart';
    for (const inv of a.fifo) {
      if (inv.parked) {
        inv.parked = false;
        this.parkedCount -= 1;
      }
    }
  }

  /** Scale-to-zero: the idle actor's worker stops and its in-memory state is discarded. */
  private stopDedicated(a: ActorRec, nowMs: number): void {
    const w = a.worker!;
    this.accrue(a, nowMs);
    this.release(a, w);
    a.version = 0;
    a.snapshot = { kind: 'none', version: 0, node: null };
    this.transition(a, 'SUSPENDED');
    this.retire(w);
    this.out.push({ kind: 'stopWorker', worker: w.id });
    this.dispatchParked(w.pool, nowMs);
  }

  /** Marks a worker GONE and gives its node memory back. */
  private retire(w: WorkerRec): void {
    for (const a of [...w.actors]) this.release(a, w);
    w.state = 'GONE';
    this.recat(w);
    w.node.usedMiB -= w.memoryMiB;
    w.pool.workers = w.pool.workers.filter((x) => x !== w);
  }

  /** Moves a worker's memory to the bucket that matches what it is doing now. */
  private recat(w: WorkerRec): void {
    const use: MemoryUse = w.state === 'GONE' ? 'none' : w.busy > 0 ? 'busy' : w.resident > 0 ? 'idle' : 'empty';
    if (w.resident > 0) w.emptySinceMs = Number.NaN;
    else if (Number.isNaN(w.emptySinceMs)) w.emptySinceMs = this.accounting.nowMs;
    this.accounting.move(w.memoryMiB, w.use, use);
    w.use = use;
  }
}
