import { Accounting, type MemoryUse } from './accounting.ts';
import {
  ALLOWED,
  IN_PARK_QUEUE,
  NONE,
  PARKED,
  PATH_COLD_BOOT,
  PATH_GOLDEN,
  PATH_NAMES,
  PATH_RESUME_EXTERNAL,
  PATH_RESUME_LOCAL,
  PAUSED,
  PAUSING,
  PREWARMING,
  QUEUED,
  RESTORE,
  RESUMING,
  RUNNING,
  SEEN,
  SNAP_EXTERNAL,
  SNAP_GOLDEN,
  SNAP_LOCAL,
  SNAP_NAMES,
  SNAP_NONE,
  STATE_NAMES,
  SUSPENDED,
  SUSPENDING,
  WORKER_START,
  type SnapshotKind,
} from './codes.ts';
import { IdIndex } from './id-index.ts';
import { checkTransition } from './lifecycle.ts';
import type { AdmissionPolicy } from './policies/admission.ts';
import { anyEvictable, ROOM_WITHOUT_EVICTING, type EvictionPolicy } from './policies/eviction.ts';
import type { IdleDecision, IdlePolicy } from './policies/idle.ts';
import type { ActorPlacementView, PlacementPolicy, Rng } from './policies/placement.ts';
import { resolvePolicies } from './policies/registry.ts';
import type { ScalingPolicy } from './policies/scaling.ts';
import { nodeForWorker, pinnedNodesWithoutWorker, setOpen, waitingIn, type NodeRt, type PoolRt, type TemplateRt, type WorkerRec } from './pools.ts';
import { accrue, ActorTable, fifoPush, fifoRemove, fifoShift, fifoUnshift, InvTable, isIdleResident } from './tables.ts';
import type {
  ActorState,
  CheckpointTarget,
  Command,
  CoreConfig,
  InvocationInput,
  InvocationPath,
  RejectReason,
  RestoreSource,
  TimerKind,
  WorkerState,
} from './types.ts';

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

/**
 * Receives each invocation's outcome as plain values, in place of its reply
 * command (Scheduler.replyTo): the fields of Reply, with the actor by index.
 */
export interface OutcomeSink {
  outcome(
    invocation: number,
    actorIndex: number,
    outcome: 'served' | 'rejected',
    reason: RejectReason | '',
    path: InvocationPath,
    arrivalMs: number,
    startMs: number,
    endMs: number,
    parkedMs: number,
    workerStartMs: number,
    restoreMs: number,
    execMs: number,
    queuedMs: number,
    attempts: number,
  ): void;
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
const KEEP: IdleDecision = { kind: 'keep' };
// A failed restore is retried after 0.5 s, then 1 s, 2 s, ... up to 8 s.
const RESTORE_RETRY_BASE_MS = 500;
const RESTORE_RETRY_MAX_MS = 8_000;

/** The scheduler core. See the module comment for the call order. */
export class Scheduler {
  // The policies, resolved once by name (policies/registry.ts); each field holds one object for the whole run.
  private readonly placement: PlacementPolicy;
  private readonly idle: IdlePolicy;
  private readonly eviction: EvictionPolicy;
  private readonly scaling: ScalingPolicy;
  private readonly admission: AdmissionPolicy;
  private readonly pools = new Map<string, PoolRt>();
  /** The pools in the map's order, for timers that name a pool by its position. */
  private readonly poolList: PoolRt[];
  private readonly templates = new Map<string, TemplateRt>();
  private readonly templateList: TemplateRt[] = [];
  private readonly nodes: NodeRt[];
  private readonly nodeNames: string[] = [];
  private readonly actorsById = new Map<string, number>();
  private readonly actors = new ActorTable(1024);
  /** Live invocations: their id to their InvTable slot. */
  private readonly live = new IdIndex(256);
  private readonly invs = new InvTable(256);
  private readonly workers: (WorkerRec | undefined)[] = [];
  // Commands emitted since the last take: out[0 .. outLength). The array is
  // kept, so a runtime that drains instead of taking allocates nothing.
  private readonly out: Command[] = [];
  private outLength = 0;
  private draining = false;
  private outcomes: OutcomeSink | null = null;
  private parkedCount = 0;
  private nextOp = 1;
  private started = false;
  // Scratch space of the hot paths, reused so that placing or evicting allocates nothing.
  private readonly candidates: WorkerRec[] = [];
  private readonly placementView: { snapshotNode: string | null } = { snapshotNode: null };
  private readonly victims: number[] = [];
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
    const policies = resolvePolicies(config);
    this.placement = policies.placement;
    this.idle = policies.idle;
    this.eviction = policies.eviction;
    this.scaling = policies.scaling;
    this.admission = policies.admission;
    const nameIds = new Map<string, number>();
    this.nodes = config.nodes.map((spec) => {
      let nameId = nameIds.get(spec.name);
      if (nameId === undefined) {
        nameId = this.nodeNames.length;
        nameIds.set(spec.name, nameId);
        this.nodeNames.push(spec.name);
      }
      return { spec, nameId, usedMiB: 0 };
    });
    for (const [index, spec] of config.pools.entries()) {
      const target = spec.mode === 'shared' ? this.scaling.initial(spec.replicas) : spec.replicas;
      this.pools.set(spec.name, { spec, index, workers: [], parkQueue: [], target, open: [], slotBound: false });
    }
    this.poolList = [...this.pools.values()];
    for (const spec of config.templates) {
      const pool = this.pools.get(spec.pool);
      if (pool === undefined) throw new ContractError(`template ${spec.name}: unknown pool "${spec.pool}"`);
      if (spec.memoryMiB > pool.spec.workerMemoryMiB) {
        throw new ContractError(
          `template ${spec.name}: memoryMiB ${spec.memoryMiB} exceeds worker memory ${pool.spec.workerMemoryMiB} of pool ${pool.spec.name}`,
        );
      }
      const t: TemplateRt = { index: this.templateList.length, spec, pool };
      this.templates.set(spec.name, t);
      this.templateList.push(t);
    }
    if (this.templateList.length > 0xffff) throw new ContractError(`at most 65,535 templates, got ${this.templateList.length}`);
    for (const pool of this.poolList) {
      const mems = this.templateList.filter((t) => t.pool === pool).map((t) => t.spec.memoryMiB);
      const whole = [...mems, pool.spec.workerMemoryMiB].every((m) => Number.isSafeInteger(m));
      pool.slotBound = pool.spec.mode === 'shared' && whole && pool.spec.actorSlots * Math.max(0, ...mems) <= pool.spec.workerMemoryMiB;
    }
    if (config.maxAttempts < 1) throw new ContractError(`maxAttempts must be at least 1, got ${config.maxAttempts}`);
  }

  // ---- outputs -------------------------------------------------------------

  /** Returns and clears the commands emitted since the last call. */
  takeCommands(): Command[] {
    const cmds = this.out.slice(0, this.outLength);
    this.forget();
    return cmds;
  }

  /**
   * Like takeCommands, for runtimes that act on each command at once: hands
   * each one, in order, to `run` and forgets them, allocating nothing. `run`
   * must not call the core's inputs; pass a function made once, not per call.
   */
  drainCommands(run: (cmd: Command) => void): void {
    const out = this.out;
    const n = this.outLength;
    this.draining = true;
    try {
      for (let i = 0; i < n; i++) run(out[i]!);
    } finally {
      this.draining = false;
      this.forget();
    }
  }

  /**
   * From now on, hands each outcome to `sink` as it happens instead of
   * emitting a reply command (null goes back to commands). For a simulator
   * that keeps outcomes as columns: a reply command is two objects and eight
   * boxed numbers per invocation, built only to be copied and dropped.
   */
  replyTo(sink: OutcomeSink | null): void {
    this.outcomes = sink;
  }

  private forget(): void {
    // A burst (the end of a run rejects everything at once) would otherwise stay referenced.
    if (this.outLength > 256) this.out.length = 0;
    this.outLength = 0;
  }

  // ---- getters -------------------------------------------------------------

  /** Invocations admitted and not yet replied to. */
  get pendingInvocations(): number {
    return this.live.count;
  }

  /** Invocations parked for a worker now. */
  get parked(): number {
    return this.parkedCount;
  }

  /** A read-only view of one actor, for checkers and reports. */
  actorView(id: string):
    | { state: ActorState; worker: number; version: number; snapshot: Readonly<{ kind: SnapshotKind; version: number; node: string | null }>; queued: number; running: number }
    | undefined {
    const a = this.actorsById.get(id);
    if (a === undefined) return undefined;
    const A = this.actors;
    const running = A.running[a]!;
    return {
      state: STATE_NAMES[A.state[a]!]!,
      worker: A.worker[a]!,
      version: A.version[a]!,
      snapshot: { kind: SNAP_NAMES[A.snapKind[a]!]!, version: A.snapVersion[a]!, node: this.nodeName(A.snapNode[a]!) },
      queued: A.queued[a]!,
      running: running === NONE ? -1 : this.invs.id[running]!,
    };
  }

  /** All actor ids in creation order. */
  actorIds(): string[] {
    return this.actors.ids.slice();
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
        actors: w.actors.map((a) => this.actors.ids[a]!),
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
    for (const pool of this.poolList) {
      this.reconcile(pool);
      if (pool.spec.mode === 'shared' && this.scaling.adjusts) {
        this.emit({ kind: 'setTimer', atMs: nowMs + this.scaling.intervalMs, timer: 'scale', id: pool.index, stamp: 0 });
      }
    }
  }

  /** Declares an actor before its first invocation (needed for dedicated always-on pools, optional otherwise). */
  handleActorCreated(nowMs: number, actorId: string, template: string): void {
    this.begin(nowMs);
    const a = this.actorFor(actorId, template);
    const A = this.actors;
    const pool = this.poolOf(a);
    if (pool.spec.mode === 'dedicated' && pool.spec.dedicated?.variant === 'always-on' && A.worker[a] === NONE && A.startingWorker[a] === NONE) {
      this.startDedicated(a, nowMs);
    }
  }

  /**
   * An invocation arrived for an actor. `actorHint` is the actor's index if
   * the runtime knows it (commands carry it as actorIndex; actors are numbered
   * in creation order): it is checked against the name, so a wrong hint costs
   * only the lookup by name it saves, which in a fleet of a million actors is
   * a cache miss or two in a hash table of tens of megabytes.
   */
  handleInvocation(nowMs: number, input: InvocationInput, actorHint = NONE): void {
    this.begin(nowMs);
    if (this.live.get(input.id) !== NONE) throw new ContractError(`invocation ${input.id} arrived twice`);
    if (!(input.workMs >= 0)) throw new ContractError(`invocation ${input.id}: workMs must be >= 0, got ${input.workMs}`);
    const a = this.isActor(actorHint) && this.actors.ids[actorHint] === input.actor ? this.checkTemplate(actorHint, input.template) : this.actorFor(input.actor, input.template);
    const A = this.actors;
    const inv = this.invs.alloc(input.id, a, input.workMs, nowMs);
    this.live.set(input.id, inv);
    A.idleStamp[a]! += 1; // any pending idle timer is now stale
    A.prewarmStamp[a]! += 1; // and so is a pre-warm: the arrival resumes it anyway
    A.frequency[a]! += 1;
    const pool = this.poolOf(a);
    if (pool.spec.mode === 'shared') this.idle.onArrival?.(a, nowMs);
    accrue(this.actors, this.invs, a, nowMs);
    fifoPush(this.actors, this.invs, a, inv);
    switch (A.state[a]) {
      case RUNNING:
        if (A.running[a] === NONE) this.executeNext(a, nowMs);
        break;
      case RESUMING:
        this.invs.path[inv] = this.pathOfResume(a);
        break;
      case SUSPENDED:
      case PAUSED:
        if ((A.flags[a]! & IN_PARK_QUEUE) !== 0 || A.startingWorker[a] !== NONE) {
          if ((A.flags[a]! & IN_PARK_QUEUE) !== 0) this.admitParked(inv, nowMs);
        } else {
          this.needWorker(a, nowMs);
        }
        break;
      case SUSPENDING:
      case PAUSING:
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
    if (owner !== NONE) {
      this.actors.startingWorker[owner] = NONE;
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
    const A = this.actors;
    this.counters.workersLost += 1;
    const affected = [...w.actors];
    for (const a of affected) this.rollback(a, nowMs, 'worker-lost');
    const owner = w.dedicatedActor;
    this.retire(w);
    if (owner !== NONE && A.startingWorker[owner] === w.id) A.startingWorker[owner] = NONE;
    if (w.pool.spec.mode === 'shared') {
      this.reconcile(w.pool);
    } else if (owner !== NONE) {
      const alwaysOn = w.pool.spec.dedicated?.variant === 'always-on';
      if (alwaysOn || A.queued[owner]! > 0) this.startDedicated(owner, nowMs);
    }
    for (const a of affected) {
      if (A.queued[a]! > 0 && A.worker[a] === NONE && A.startingWorker[a] === NONE && (A.flags[a]! & IN_PARK_QUEUE) === 0) this.needWorker(a, nowMs);
    }
    for (const pool of this.poolList) this.dispatchParked(pool, nowMs);
  }

  /** A restore (or cold boot) finished. */
  handleRestoreDone(nowMs: number, actorIndex: number, op: number, ok: boolean): void {
    this.begin(nowMs);
    const A = this.actors;
    const a = actorIndex;
    if (!this.isActor(a) || A.op[a] !== op || A.state[a] !== RESUMING) return;
    const w = this.workers[A.worker[a]!]!;
    if (!ok) {
      this.counters.restoreFailures += 1;
      this.rollback(a, nowMs, 'restore-failed');
      if (w.dedicatedActor === a) {
        if (A.queued[a]! > 0 || w.pool.spec.dedicated?.variant === 'always-on') {
          this.assign(a, w, nowMs);
        } else {
          // Scale-to-zero with nothing left to serve: give the worker back rather than keep it booting.
          this.retire(w);
          this.emit({ kind: 'stopWorker', worker: w.id });
          this.dispatchParked(w.pool, nowMs);
        }
      } else {
        // Back off before trying again, so a store outage of a few seconds is
        // ridden out rather than burning the retry budget in a burst.
        const head = A.head[a]!;
        if (head !== NONE) {
          A.phase[a] = RESTORE;
          A.retryStamp[a]! += 1;
          const backoffMs = Math.min(RESTORE_RETRY_MAX_MS, RESTORE_RETRY_BASE_MS * 2 ** Math.max(0, this.invs.failures[head]! - 1));
          this.emit({ kind: 'setTimer', atMs: nowMs + backoffMs, timer: 'retry', id: a, stamp: A.retryStamp[a]! });
        }
        this.dispatchParked(w.pool, nowMs);
      }
      return;
    }
    const source = this.sourceOf(a, w);
    if (source !== 'cold') this.counters.snapshotBytesRead += this.templateOf(a).spec.snapshotBytes;
    accrue(this.actors, this.invs, a, nowMs);
    this.transition(a, RUNNING);
    A.phase[a] = QUEUED;
    A.lastUsedMs[a] = nowMs;
    const prewarmed = (A.flags[a]! & PREWARMING) !== 0;
    A.flags[a]! &= ~PREWARMING;
    if (A.queued[a]! > 0) this.executeNext(a, nowMs);
    else if (prewarmed && this.idle.onPrewarmed !== undefined) this.applyIdle(a, this.idle.onPrewarmed(a, nowMs), nowMs);
    else this.applyIdle(a, this.idleDecision(a, nowMs), nowMs);
  }

  /** An execution finished (ok) or failed. */
  handleExecutionDone(nowMs: number, actorIndex: number, op: number, ok: boolean): void {
    this.begin(nowMs);
    const A = this.actors;
    const a = actorIndex;
    if (!this.isActor(a) || A.op[a] !== op) return;
    const inv = A.running[a]!;
    if (inv === NONE) return;
    const I = this.invs;
    const w = this.workers[A.worker[a]!]!;
    A.running[a] = NONE;
    w.busy -= 1;
    this.recat(w);
    A.lastUsedMs[a] = nowMs;
    I.execMs[inv]! += nowMs - I.startMs[inv]!;
    if (ok) {
      A.version[a]! += 1;
      this.finish(inv, nowMs, 'served', '');
    } else {
      I.failures[inv]! += 1;
      if (I.failures[inv]! >= this.config.maxAttempts) {
        this.finish(inv, nowMs, 'rejected', 'execution-failed');
      } else {
        I.markMs[inv] = nowMs;
        fifoUnshift(this.actors, this.invs, a, inv);
      }
    }
    if (A.queued[a]! > 0) this.executeNext(a, nowMs);
    else this.applyIdle(a, this.idleDecision(a, nowMs), nowMs);
  }

  /** A checkpoint finished (ok: the actor leaves its worker) or failed (it stays resident). */
  handleCheckpointDone(nowMs: number, actorIndex: number, op: number, ok: boolean): void {
    this.begin(nowMs);
    const A = this.actors;
    const a = actorIndex;
    if (!this.isActor(a) || A.op[a] !== op || (A.state[a] !== SUSPENDING && A.state[a] !== PAUSING)) return;
    const w = this.workers[A.worker[a]!]!;
    const pool = w.pool;
    this.evictionEnded(a);
    accrue(this.actors, this.invs, a, nowMs);
    if (!ok) {
      this.counters.checkpointFailures += 1;
      this.transition(a, RUNNING);
      A.phase[a] = QUEUED;
      if (A.queued[a]! > 0) this.executeNext(a, nowMs);
      else this.applyIdle(a, { kind: 'checkAt', atMs: nowMs + CHECKPOINT_RETRY_MS }, nowMs);
      // Another parked actor may still need an eviction that this one failed to give.
      this.dispatchParked(pool, nowMs);
      return;
    }
    const local = A.state[a] === PAUSING;
    A.frequency[a] = 0;
    this.counters.snapshotBytesWritten += this.templateOf(a).spec.snapshotBytes;
    A.snapKind[a] = local ? SNAP_LOCAL : SNAP_EXTERNAL;
    A.snapVersion[a] = A.version[a]!;
    A.snapNode[a] = w.nodeId;
    this.release(a, w);
    this.transition(a, local ? PAUSED : SUSPENDED);
    if (A.queued[a]! > 0) this.needWorker(a, nowMs);
    this.dispatchParked(pool, nowMs);
  }

  /** A timer the core asked for fired. Stale timers are ignored. */
  handleTimer(nowMs: number, kind: TimerKind, id: number, stamp: number): void {
    this.begin(nowMs);
    const A = this.actors;
    switch (kind) {
      case 'idle': {
        const a = id;
        if (!this.isActor(a) || A.idleStamp[a] !== stamp || !isIdleResident(this.actors, a)) return;
        this.applyIdle(a, this.idle.onTimer(a, nowMs), nowMs);
        return;
      }
      case 'stop': {
        const a = id;
        if (!this.isActor(a) || A.idleStamp[a] !== stamp || !isIdleResident(this.actors, a)) return;
        this.stopDedicated(a, nowMs);
        return;
      }
      case 'prewarm': {
        const a = id;
        if (!this.isActor(a) || A.prewarmStamp[a] !== stamp) return;
        const state = A.state[a];
        if ((state !== SUSPENDED && state !== PAUSED) || A.queued[a]! > 0 || A.worker[a] !== NONE || (A.flags[a]! & IN_PARK_QUEUE) !== 0) return;
        // A pre-warm takes a free slot if there is one; it never parks or evicts.
        const w = this.choose(a);
        if (w === null) return;
        this.counters.prewarms += 1;
        A.flags[a]! |= PREWARMING;
        this.assign(a, w, nowMs);
        return;
      }
      case 'scale': {
        const pool = this.poolList[id];
        if (pool === undefined || !this.scaling.adjusts) return;
        this.scale(pool, nowMs);
        this.emit({ kind: 'setTimer', atMs: nowMs + this.scaling.intervalMs, timer: 'scale', id, stamp: 0 });
        return;
      }
      case 'retry': {
        const a = id;
        if (!this.isActor(a) || A.retryStamp[a] !== stamp) return;
        const state = A.state[a];
        if ((state !== SUSPENDED && state !== PAUSED) || A.queued[a] === 0) return;
        if (A.worker[a] !== NONE || A.startingWorker[a] !== NONE || (A.flags[a]! & IN_PARK_QUEUE) !== 0) return;
        this.needWorker(a, nowMs);
        return;
      }
      case 'park': {
        const inv = this.live.get(id);
        const I = this.invs;
        if (inv === NONE || I.parked[inv] === 0 || I.parkEpoch[inv] !== stamp) return;
        const a = I.actor[inv]!;
        accrue(this.actors, this.invs, a, nowMs);
        fifoRemove(this.actors, this.invs, a, inv);
        I.parked[inv] = 0;
        this.parkedCount -= 1;
        this.finish(inv, nowMs, 'rejected', 'park-timeout');
        if (A.queued[a] === 0) A.flags[a]! &= ~IN_PARK_QUEUE; // left in the queue array, skipped when met
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
    const A = this.actors;
    const I = this.invs;
    for (let a = 0; a < A.count; a++) {
      if (A.running[a] === NONE && A.queued[a] === 0) continue;
      accrue(this.actors, this.invs, a, nowMs);
      const inv = A.running[a]!;
      if (inv !== NONE) {
        A.running[a] = NONE;
        const w = this.workers[A.worker[a]!]!;
        w.busy -= 1;
        this.recat(w);
        I.execMs[inv]! += nowMs - I.startMs[inv]!;
        this.finish(inv, nowMs, 'rejected', 'run-ended');
      }
      for (let q = A.head[a]!; q !== NONE; ) {
        // finish() frees the slot: step on first.
        const next = I.next[q]!;
        if (I.parked[q] !== 0) {
          I.parked[q] = 0;
          this.parkedCount -= 1;
        }
        this.finish(q, nowMs, 'rejected', 'run-ended');
        q = next;
      }
      A.head[a] = NONE;
      A.tail[a] = NONE;
      A.queued[a] = 0;
      A.flags[a]! &= ~IN_PARK_QUEUE;
    }
  }

  // ---- internals -----------------------------------------------------------

  private emit(cmd: Command): void {
    this.out[this.outLength++] = cmd;
  }

  private begin(nowMs: number): void {
    if (!this.started) throw new ContractError('start() must be called before any other input');
    if (this.draining) throw new ContractError('an input was called while its commands were being drained');
    if (!(nowMs >= this.accounting.nowMs)) throw new ContractError(`time went backwards: ${nowMs} after ${this.accounting.nowMs}`);
    this.accounting.advance(nowMs);
  }

  /** Whether `a` names an actor (completions and timers carry indices the runtime hands back). */
  private isActor(a: number): boolean {
    return Number.isInteger(a) && a >= 0 && a < this.actors.count;
  }

  private templateOf(a: number): TemplateRt {
    return this.templateList[this.actors.template[a]!]!;
  }

  private poolOf(a: number): PoolRt {
    return this.templateList[this.actors.template[a]!]!.pool;
  }

  private nodeName(nameId: number): string | null {
    return nameId === NONE ? null : this.nodeNames[nameId]!;
  }

  /** `a`, after checking that `template` is its template. */
  private checkTemplate(a: number, template: string): number {
    const t = this.templateOf(a);
    if (t.spec.name !== template) {
      throw new ContractError(`actor ${this.actors.ids[a]}: template "${template}" differs from its first "${t.spec.name}"`);
    }
    return a;
  }

  private actorFor(actorId: string, template: string): number {
    const existing = this.actorsById.get(actorId);
    if (existing !== undefined) return this.checkTemplate(existing, template);
    const t = this.templates.get(template);
    if (t === undefined) throw new ContractError(`actor ${actorId}: unknown template "${template}"`);
    const dedicated = t.pool.spec.mode === 'dedicated';
    const a = this.actors.add(actorId, t.index, t.spec.golden && !dedicated ? SNAP_GOLDEN : SNAP_NONE);
    this.actorsById.set(actorId, a);
    return a;
  }

  private transition(a: number, to: number): void {
    const A = this.actors;
    const from = A.state[a]!;
    // checkTransition names the actor and both states in its error.
    if (ALLOWED[from * 6 + to] !== 1) checkTransition(A.ids[a]!, STATE_NAMES[from]!, STATE_NAMES[to]!);
    A.state[a] = to;
  }

  /** Emits the invocation's reply and frees its slot. */
  private finish(inv: number, nowMs: number, outcome: 'served' | 'rejected', reason: RejectReason | ''): void {
    const I = this.invs;
    const id = I.id[inv]!;
    this.live.delete(id);
    const served = outcome === 'served';
    const sink = this.outcomes;
    if (sink !== null) {
      sink.outcome(
        id,
        I.actor[inv]!,
        outcome,
        reason,
        served ? (PATH_NAMES[I.path[inv]!] ?? 'warm') : 'rejected',
        I.arrivalMs[inv]!,
        served ? I.startMs[inv]! : Number.NaN,
        nowMs,
        I.parkedMs[inv]!,
        I.workerStartMs[inv]!,
        I.restoreMs[inv]!,
        I.execMs[inv]!,
        I.queuedMs[inv]!,
        I.failures[inv]! + 1,
      );
      I.release(inv);
      return;
    }
    this.emit({
      kind: 'reply',
      invocation: id,
      actor: this.actors.ids[I.actor[inv]!]!,
      outcome,
      reason,
      path: served ? (PATH_NAMES[I.path[inv]!] ?? 'warm') : 'rejected',
      arrivalMs: I.arrivalMs[inv]!,
      startMs: served ? I.startMs[inv]! : Number.NaN,
      endMs: nowMs,
      parts: { parkedMs: I.parkedMs[inv]!, workerStartMs: I.workerStartMs[inv]!, restoreMs: I.restoreMs[inv]!, execMs: I.execMs[inv]!, queuedMs: I.queuedMs[inv]! },
      attempts: I.failures[inv]! + 1,
    });
    I.release(inv);
  }

  private reject(a: number, inv: number, nowMs: number, reason: RejectReason): void {
    accrue(this.actors, this.invs, a, nowMs);
    fifoRemove(this.actors, this.invs, a, inv);
    if (this.invs.parked[inv] !== 0) {
      this.invs.parked[inv] = 0;
      this.parkedCount -= 1;
    }
    this.finish(inv, nowMs, 'rejected', reason);
  }

  /** The actor has queued work and no worker: place it, start its dedicated worker, or park it. */
  private needWorker(a: number, nowMs: number): void {
    const A = this.actors;
    const pool = this.poolOf(a);
    if (pool.spec.mode === 'dedicated') {
      if (A.startingWorker[a] === NONE && A.worker[a] === NONE) this.startDedicated(a, nowMs);
      if (A.startingWorker[a] === NONE && A.worker[a] === NONE) this.park(a, nowMs); // no node had room
      return;
    }
    const w = this.choose(a);
    if (w !== null) {
      this.assign(a, w, nowMs);
      return;
    }
    this.park(a, nowMs);
    if ((A.flags[a]! & IN_PARK_QUEUE) !== 0) {
      const target = this.scaling.onWait(pool, nowMs);
      if (target > pool.target) {
        this.counters.scaleUps += target - pool.target;
        pool.target = target;
        this.reconcile(pool);
      }
      this.maybeEvict(pool, a);
    }
  }

  /** Puts the actor in its pool's park queue and admits each of its queued invocations, or rejects them. */
  private park(a: number, nowMs: number): void {
    const A = this.actors;
    accrue(this.actors, this.invs, a, nowMs);
    A.phase[a] = PARKED;
    const I = this.invs;
    // Admission may reject (unlink and free) the invocation at hand, so step on before admitting it.
    for (let inv = A.head[a]!; inv !== NONE; ) {
      const next = I.next[inv]!;
      if (I.parked[inv] === 0) this.admitParked(inv, nowMs);
      inv = next;
    }
    if (A.queued[a]! > 0 && (A.flags[a]! & IN_PARK_QUEUE) === 0) {
      A.flags[a]! |= IN_PARK_QUEUE;
      this.poolOf(a).parkQueue.push(a);
    }
  }

  /** Parks one invocation if the admission policy allows, else rejects it with the reason. */
  private admitParked(inv: number, nowMs: number): void {
    const I = this.invs;
    const reason = this.admission.admit(this.parkedCount);
    if (reason !== null) {
      this.reject(I.actor[inv]!, inv, nowMs, reason);
      return;
    }
    I.parked[inv] = 1;
    I.parkEpoch[inv]! += 1;
    this.parkedCount += 1;
    const timeoutMs = this.admission.parkTimeoutMs;
    if (Number.isFinite(timeoutMs)) this.emit({ kind: 'setTimer', atMs: nowMs + timeoutMs, timer: 'park', id: I.id[inv]!, stamp: I.parkEpoch[inv]! });
  }

  /** Candidate workers for an actor: READY, same pool, with a slot and memory; pinned to the snapshot's node for a pause. */
  private choose(a: number): WorkerRec | null {
    const A = this.actors;
    const t = this.templateOf(a);
    const pool = t.pool;
    const need = t.spec.memoryMiB;
    const pinned = A.snapKind[a] === SNAP_LOCAL ? A.snapNode[a]! : NONE;
    let candidates: WorkerRec[];
    if (pool.slotBound && pinned === NONE) {
      candidates = pool.open;
    } else {
      candidates = this.candidates;
      candidates.length = 0;
      for (const w of pool.workers) {
        if (w.state !== 'READY' || w.dedicatedActor !== NONE) continue;
        if (w.resident >= w.actorSlots || w.memUsedMiB + need > w.memoryMiB) continue;
        if (pinned !== NONE && w.nodeId !== pinned) continue;
        candidates.push(w);
      }
    }
    if (candidates.length === 0) return null;
    const view = this.placementView;
    view.snapshotNode = this.nodeName(A.snapNode[a]!);
    const i = this.placement.choose(candidates, view as ActorPlacementView, this.rng);
    const w = candidates[i];
    if (w === undefined) throw new Error(`placement ${this.placement.name} returned ${i} of ${candidates.length}`);
    return w;
  }

  /** Takes a slot on `w` for `a` and starts its restore. */
  private assign(a: number, w: WorkerRec, nowMs: number): void {
    const A = this.actors;
    accrue(this.actors, this.invs, a, nowMs);
    A.flags[a]! &= ~IN_PARK_QUEUE;
    const I = this.invs;
    for (let inv = A.head[a]!; inv !== NONE; inv = I.next[inv]!) {
      if (I.parked[inv] !== 0) {
        I.parked[inv] = 0;
        this.parkedCount -= 1;
      }
    }
    const t = this.templateOf(a);
    if (A.worker[a] !== w.id) {
      w.resident += 1;
      w.memUsedMiB += t.spec.memoryMiB;
      w.actors.push(a);
      A.worker[a] = w.id;
      this.accounting.residentDelta(1);
      this.recat(w);
    }
    this.transition(a, RESUMING);
    A.phase[a] = RESTORE;
    const source = this.sourceOf(a, w);
    const path = this.pathOfResume(a);
    for (let inv = A.head[a]!; inv !== NONE; inv = I.next[inv]!) I.path[inv] = path;
    const op = this.nextOp++;
    A.op[a] = op;
    this.counters.restores += 1;
    this.emit({
      kind: 'restore',
      op,
      actor: A.ids[a]!,
      actorIndex: a,
      worker: w.id,
      source,
      version: source === 'local' || source === 'external' ? A.snapVersion[a]! : 0,
      snapshotBytes: source === 'cold' ? 0 : t.spec.snapshotBytes,
      template: t.spec.name,
    });
  }

  private sourceOf(a: number, w: WorkerRec): RestoreSource {
    const A = this.actors;
    switch (A.snapKind[a]) {
      case SNAP_NONE:
        return 'cold';
      case SNAP_GOLDEN:
        return 'golden';
      case SNAP_LOCAL:
        return 'local';
      default:
        // The node that wrote the snapshot kept a copy: resuming there reads it from disk.
        return A.snapNode[a] === w.nodeId ? 'local' : 'external';
    }
  }

  /** The path (a PATH_ code) the actor's queued invocations take with the resume under way. */
  private pathOfResume(a: number): number {
    const wid = this.actors.worker[a]!;
    const source = wid === NONE ? 'cold' : this.sourceOf(a, this.workers[wid]!);
    switch (source) {
      case 'cold':
        return PATH_COLD_BOOT;
      case 'golden':
        return PATH_GOLDEN;
      case 'local':
        return PATH_RESUME_LOCAL;
      case 'external':
        return PATH_RESUME_EXTERNAL;
    }
  }

  private executeNext(a: number, nowMs: number): void {
    const A = this.actors;
    const w = this.workers[A.worker[a]!]!;
    accrue(this.actors, this.invs, a, nowMs);
    const inv = fifoShift(this.actors, this.invs, a);
    const I = this.invs;
    A.running[a] = inv;
    A.phase[a] = QUEUED;
    A.idleStamp[a]! += 1;
    I.startMs[inv] = nowMs;
    w.busy += 1;
    this.recat(w);
    const op = this.nextOp++;
    A.op[a] = op;
    this.emit({ kind: 'execute', op, actor: A.ids[a]!, actorIndex: a, worker: w.id, invocation: I.id[inv]!, workMs: I.workMs[inv]! });
  }

  private idleDecision(a: number, nowMs: number): IdleDecision {
    const pool = this.poolOf(a).spec;
    if (pool.mode === 'dedicated') {
      if (pool.dedicated?.variant === 'scale-to-zero') return { kind: 'checkAt', atMs: nowMs + pool.dedicated.idleStopMs };
      return KEEP;
    }
    return this.idle.onIdle(a, nowMs);
  }

  private applyIdle(a: number, d: IdleDecision, nowMs: number): void {
    const A = this.actors;
    // An actor that just went idle may be what a parked actor needs evicted.
    const pool = this.poolOf(a);
    if (d.kind !== 'checkpoint' && pool.parkQueue.length > 0) this.evictForWaiters(pool);
    if (!isIdleResident(this.actors, a)) return;
    switch (d.kind) {
      case 'keep':
        return;
      case 'checkAt': {
        A.idleStamp[a]! += 1;
        const timer: TimerKind = pool.spec.mode === 'dedicated' ? 'stop' : 'idle';
        this.emit({ kind: 'setTimer', atMs: d.atMs, timer, id: a, stamp: A.idleStamp[a]! });
        return;
      }
      case 'checkpoint':
        this.checkpoint(a, d.target, nowMs);
        return;
      case 'leaveAndPrewarm':
        this.checkpoint(a, d.target, nowMs);
        A.prewarmStamp[a]! += 1;
        this.emit({ kind: 'setTimer', atMs: Math.max(nowMs, d.prewarmAtMs), timer: 'prewarm', id: a, stamp: A.prewarmStamp[a]! });
        return;
    }
  }

  private checkpoint(a: number, target: CheckpointTarget, nowMs: number): void {
    const A = this.actors;
    const w = this.workers[A.worker[a]!]!;
    accrue(this.actors, this.invs, a, nowMs);
    this.transition(a, target === 'local' ? PAUSING : SUSPENDING);
    A.phase[a] = QUEUED;
    A.idleStamp[a]! += 1;
    const op = this.nextOp++;
    A.op[a] = op;
    this.counters.checkpoints += 1;
    this.emit({
      kind: 'checkpoint',
      op,
      actor: A.ids[a]!,
      actorIndex: a,
      worker: w.id,
      target,
      version: A.version[a]!,
      snapshotBytes: this.templateOf(a).spec.snapshotBytes,
    });
  }

  /**
   * Makes room for a waiting actor: the eviction policy picks idle residents
   * of one worker, and they are checkpointed. One batch per waiter at a time,
   * so a burst of waiters cannot empty a pool. Returns how many were picked,
   * 0 when no worker can make room, ROOM_WITHOUT_EVICTING when nothing was
   * searched (no eviction, evictions under way) or a worker has room already.
   */
  private maybeEvict(pool: PoolRt, waiting: number): number {
    const A = this.actors;
    if (!this.eviction.evicts || A.pendingEvictions[waiting]! > 0) return ROOM_WITHOUT_EVICTING;
    const victims = this.victims;
    const n = this.eviction.victims(pool, waiting, A, this.templateList, victims);
    for (let k = 0; k < n; k++) {
      const v = victims[k]!;
      A.evictedFor[v] = waiting;
      A.pendingEvictions[waiting]! += 1;
      this.counters.evictions += 1;
      this.checkpoint(v, this.idle.evictTarget, this.accounting.nowMs);
    }
    return n;
  }

  /** The eviction of `a` is over (it left, failed or its worker died): its waiter may need another. */
  private evictionEnded(a: number): void {
    const A = this.actors;
    const waiter = A.evictedFor[a]!;
    if (waiter === NONE) return;
    A.evictedFor[a] = NONE;
    A.pendingEvictions[waiter]! -= 1;
  }

  /** Places parked actors of a pool while workers have room; those that cannot be placed stay, in order. */
  private dispatchParked(pool: PoolRt, nowMs: number): void {
    if (pool.parkQueue.length === 0) return;
    const A = this.actors;
    if (pool.spec.mode === 'dedicated') {
      const queue = pool.parkQueue;
      pool.parkQueue = [];
      for (const a of queue) {
        if ((A.flags[a]! & IN_PARK_QUEUE) === 0 || A.startingWorker[a] !== NONE) continue;
        A.flags[a]! &= ~IN_PARK_QUEUE;
        this.startDedicated(a, nowMs);
        if (A.startingWorker[a] === NONE) {
          A.flags[a]! |= IN_PARK_QUEUE;
          pool.parkQueue.push(a);
        }
      }
      return;
    }
    const queue = pool.parkQueue;
    pool.parkQueue = [];
    let room = true;
    for (const a of queue) {
      // An actor that left the queue and parked again has two entries: keep the first.
      if ((A.flags[a]! & (IN_PARK_QUEUE | SEEN)) !== IN_PARK_QUEUE) continue;
      A.flags[a]! |= SEEN;
      const w = room ? this.choose(a) : null;
      if (w !== null) {
        this.assign(a, w, nowMs);
      } else {
        pool.parkQueue.push(a);
        if (A.snapKind[a] !== SNAP_LOCAL) room = this.hasAnyRoom(pool);
      }
    }
    for (const a of queue) A.flags[a]! &= ~SEEN;
    this.evictForWaiters(pool);
  }

  /** Starts evictions for the actors waiting in a pool, one per waiter at most. */
  private evictForWaiters(pool: PoolRt): void {
    if (!this.eviction.evicts) return;
    // With no idle resident anywhere in the pool every waiter's search would come back empty:
    // one scan instead of one per waiter (and evictions only ever remove candidates).
    if (!anyEvictable(pool, this.actors)) return;
    const A = this.actors;
    // Evictions started here only take candidates away and free nothing yet, so once an unpinned
    // waiter could not make room on any worker, no waiter needing as much memory can either.
    let hopelessMiB = Number.POSITIVE_INFINITY;
    for (const a of pool.parkQueue) {
      if ((A.flags[a]! & IN_PARK_QUEUE) === 0) continue;
      const need = this.templateOf(a).spec.memoryMiB;
      if (need >= hopelessMiB) continue;
      if (this.maybeEvict(pool, a) === 0 && A.snapKind[a] !== SNAP_LOCAL) hopelessMiB = need;
    }
  }

  private hasAnyRoom(pool: PoolRt): boolean {
    // Shared pools have no actor-owned workers, so this is `open` being non-empty.
    return pool.open.length > 0;
  }

  /** Sends an actor back to its newest snapshot; its in-flight invocation is retried or rejected. */
  private rollback(a: number, nowMs: number, reason: 'worker-lost' | 'restore-failed'): void {
    const A = this.actors;
    const w = this.workers[A.worker[a]!]!;
    accrue(this.actors, this.invs, a, nowMs);
    this.evictionEnded(a);
    const I = this.invs;
    const inv = A.running[a]!;
    if (inv !== NONE) {
      A.running[a] = NONE;
      w.busy -= 1;
      I.execMs[inv]! += nowMs - I.startMs[inv]!;
      I.failures[inv]! += 1;
      I.markMs[inv] = nowMs;
      I.path[inv] = 0;
      fifoUnshift(this.actors, this.invs, a, inv);
    } else if (reason === 'restore-failed' && A.queued[a]! > 0) {
      I.failures[A.head[a]!]! += 1;
    }
    const head = A.head[a]!;
    if (head !== NONE && I.failures[head]! >= this.config.maxAttempts) this.reject(a, head, nowMs, reason);
    A.op[a] = this.nextOp++; // completions of the interrupted operation are now stale
    A.idleStamp[a]! += 1;
    A.phase[a] = QUEUED;
    A.version[a] = A.snapVersion[a]!;
    if (w.dedicatedActor !== a) this.release(a, w);
    else this.recat(w);
    this.transition(a, A.snapKind[a] === SNAP_LOCAL ? PAUSED : SUSPENDED);
  }

  /** Frees the slot and memory an actor held on a worker. */
  private release(a: number, w: WorkerRec): void {
    const i = w.actors.indexOf(a);
    if (i >= 0) {
      w.actors.splice(i, 1);
      w.resident -= 1;
      w.memUsedMiB -= this.templateOf(a).spec.memoryMiB;
      this.accounting.residentDelta(-1);
    }
    this.actors.worker[a] = NONE;
    this.recat(w);
  }

  /**
   * One evaluation of the pool's scaling policy: it decides a target; here
   * workers start up to it and empty workers above it stop (the one empty the
   * longest first). Workers hosting actors are never stopped to shrink a
   * pool: idle policies empty them, and only then do they go.
   */
  private scale(pool: PoolRt, nowMs: number): void {
    const current = pool.workers.length;
    let target = this.scaling.target(pool, waitingIn(pool, this.actors), nowMs);
    // A paused actor resumes only on its node: a node with waiters and no worker needs one.
    const pinned = pinnedNodesWithoutWorker(pool, this.actors, this.nodeNames);
    const max = this.scaling.maxReplicas;
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
        this.emit({ kind: 'stopWorker', worker: w.id });
      }
      // What could not be stopped yet stays in the target, so the pool does not regrow it.
      pool.target = pool.workers.length;
    }
  }

  /** Keeps a shared pool at its target replica count. */
  private reconcile(pool: PoolRt): void {
    if (pool.spec.mode !== 'shared') return;
    // Paused actors can resume only on their node: new workers go there first.
    const wanted = pinnedNodesWithoutWorker(pool, this.actors, this.nodeNames);
    while (pool.workers.length < pool.target) {
      if (this.startWorker(pool, NONE, wanted.shift()) === null) break;
    }
  }

  private startWorker(pool: PoolRt, owner: number, preferNode?: string): WorkerRec | null {
    const memoryMiB = pool.spec.workerMemoryMiB;
    const node = nodeForWorker(this.nodes, memoryMiB, preferNode);
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
      nodeId: node.nameId,
      actorSlots: owner === NONE ? pool.spec.actorSlots : 1,
      memoryMiB,
      state: 'STARTING',
      resident: 0,
      busy: 0,
      memUsedMiB: 0,
      actors: [],
      dedicatedActor: owner,
      use: 'none',
      emptySinceMs: this.accounting.nowMs,
      open: false,
    };
    this.workers.push(w);
    pool.workers.push(w);
    this.counters.workersStarted += 1;
    this.recat(w);
    this.emit({ kind: 'startWorker', worker: w.id, pool: pool.spec.name, node: w.nodeName, memoryMiB });
    return w;
  }

  private startDedicated(a: number, nowMs: number): void {
    const A = this.actors;
    const w = this.startWorker(this.poolOf(a), a);
    if (w === null) return;
    accrue(this.actors, this.invs, a, nowMs);
    A.startingWorker[a] = w.id;
    A.flags[a]! &= ~IN_PARK_QUEUE;
    A.phase[a] = WORKER_START;
    const I = this.invs;
    for (let inv = A.head[a]!; inv !== NONE; inv = I.next[inv]!) {
      if (I.parked[inv] !== 0) {
        I.parked[inv] = 0;
        this.parkedCount -= 1;
      }
    }
  }

  /** Scale-to-zero: the idle actor's worker stops and its in-memory state is discarded. */
  private stopDedicated(a: number, nowMs: number): void {
    const A = this.actors;
    const w = this.workers[A.worker[a]!]!;
    accrue(this.actors, this.invs, a, nowMs);
    this.release(a, w);
    A.version[a] = 0;
    A.snapKind[a] = SNAP_NONE;
    A.snapVersion[a] = 0;
    A.snapNode[a] = NONE;
    this.transition(a, SUSPENDED);
    this.retire(w);
    this.emit({ kind: 'stopWorker', worker: w.id });
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
    // Every change of state or residents comes through here: keep the pool's open list in step.
    const open = w.state === 'READY' && w.dedicatedActor === NONE && w.resident < w.actorSlots;
    if (open !== w.open) setOpen(w, open);
  }
}
