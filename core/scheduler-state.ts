import { Accounting, type MemoryUse } from './accounting.ts';
import {
  EVICT_HOLD,
  ALLOWED,
  NONE,
  PATH_COLD_BOOT,
  PATH_GOLDEN,
  PATH_NAMES,
  PATH_RESUME_EXTERNAL,
  PATH_RESUME_LOCAL,
  SNAP_GOLDEN,
  SNAP_LOCAL,
  SNAP_NAMES,
  SNAP_NONE,
  STATE_NAMES,
  type SnapshotKind,
} from './codes.ts';
import { IdIndex } from './id-index.ts';
import { IdleIndex } from './idle-index.ts';
import { checkTransition } from './lifecycle.ts';
import type { AdmissionPolicy } from './policies/admission.ts';
import type { EvictionPolicy } from './policies/eviction.ts';
import type { IdlePolicy } from './policies/idle.ts';
import type { PlacementPolicy, Rng } from './policies/placement.ts';
import { resolvePolicies } from './policies/registry.ts';
import type { ScalingPolicy } from './policies/scaling.ts';
import { nodeForWorker, pinnedNodesWithoutWorker, setOpen, type NodeRt, type PoolRt, type TemplateRt, type WorkerRec } from './pools.ts';
import { accrue, ActorTable, fifoRemove, InvTable, R16, R32, R64, R8 } from './tables.ts';
import type { ActorState, Command, CoreConfig, InvocationPath, RejectReason, RestoreSource, WorkerState } from './types.ts';

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

/**
 * What the scheduler's handlers act on: the tables, the cluster records, the
 * policies resolved for this run, and the bookkeeping every handler shares
 * (emitting commands, taking and giving back slots, starting and retiring
 * workers, replying). Also the core's outputs and getters. The handlers, and
 * the call order, are in scheduler.ts.
 */
export abstract class SchedulerState {
  // The policies, resolved once by name (policies/registry.ts); each field holds one object for the whole run.
  protected readonly placement: PlacementPolicy;
  protected readonly idle: IdlePolicy;
  protected readonly eviction: EvictionPolicy;
  protected readonly scaling: ScalingPolicy;
  protected readonly admission: AdmissionPolicy;
  private readonly pools = new Map<string, PoolRt>();
  /** The pools in the map's order, for timers that name a pool by its position. */
  protected readonly poolList: PoolRt[];
  private readonly templates = new Map<string, TemplateRt>();
  protected readonly templateList: TemplateRt[] = [];
  private readonly nodes: NodeRt[];
  protected readonly nodeNames: string[] = [];
  private readonly actorsById = new Map<string, number>();
  protected readonly actors = new ActorTable(1024);
  /** Live invocations: their id to their InvTable slot. */
  protected readonly live = new IdIndex(256);
  protected readonly invs = new InvTable(256);
  protected readonly workers: (WorkerRec | undefined)[] = [];
  // Commands emitted since the last take: out[0 .. outLength). The array is
  // kept, so a runtime that drains instead of taking allocates nothing.
  private readonly out: Command[] = [];
  private outLength = 0;
  private draining = false;
  private outcomes: OutcomeSink | null = null;
  protected parkedCount = 0;
  protected nextOp = 1;
  protected started = false;
  // Scratch space of the hot paths, reused so that placing or evicting allocates nothing.
  protected readonly candidates: WorkerRec[] = [];
  protected readonly placementView: { snapshotNode: string | null } = { snapshotNode: null };
  protected readonly victims: number[] = [];
  /** Scratch of evictForWaiters: the waiters it has flagged COUNTED in this pass. */
  protected readonly counted: number[] = [];
  /** Scratch of dispatchParked: the park queue it builds, traded with the pool's at each pass. */
  protected parkSpare: number[] = [];
  /** The idle residents evictions may take, per pool; every change to what decides that marks the actor (see IdleIndex). */
  protected readonly idleIndex: IdleIndex;
  protected readonly poolIndexOf = (a: number): number => this.poolOf(a).index;
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
    protected readonly config: CoreConfig,
    protected readonly rng: Rng,
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
      this.pools.set(spec.name, { spec, index, workers: [], parkQueue: [], waitersWithoutEviction: 0, waiting: 0, target, open: [], slotBound: false });
    }
    this.poolList = [...this.pools.values()];
    this.idleIndex = new IdleIndex(this.poolList.length, this.eviction.evicts);
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
    const running = A.running[a * R32]!;
    return {
      state: STATE_NAMES[A.state[a * R8]!]!,
      worker: A.worker[a * R32]!,
      version: A.version[a * R64]!,
      snapshot: { kind: SNAP_NAMES[A.snapKind[a * R8]!]!, version: A.snapVersion[a * R64]!, node: this.nodeName(A.snapNode[a * R32]!) },
      queued: A.queued[a * R32]!,
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


  // ---- bookkeeping shared by the handlers ---------------------------------

  protected emit(cmd: Command): void {
    this.out[this.outLength++] = cmd;
  }

  protected begin(nowMs: number): void {
    if (!this.started) throw new ContractError('start() must be called before any other input');
    if (this.draining) throw new ContractError('an input was called while its commands were being drained');
    if (!(nowMs >= this.accounting.nowMs)) throw new ContractError(`time went backwards: ${nowMs} after ${this.accounting.nowMs}`);
    this.accounting.advance(nowMs);
  }

  /** Whether `a` names an actor (completions and timers carry indices the runtime hands back). */
  protected isActor(a: number): boolean {
    return Number.isInteger(a) && a >= 0 && a < this.actors.count;
  }

  protected templateOf(a: number): TemplateRt {
    return this.templateList[this.actors.template[a * R16]!]!;
  }

  protected poolOf(a: number): PoolRt {
    return this.templateList[this.actors.template[a * R16]!]!.pool;
  }

  protected nodeName(nameId: number): string | null {
    return nameId === NONE ? null : this.nodeNames[nameId]!;
  }

  /** `a`, after checking that `template` is its template. */
  protected checkTemplate(a: number, template: string): number {
    const t = this.templateOf(a);
    if (t.spec.name !== template) {
      throw new ContractError(`actor ${this.actors.ids[a]}: template "${template}" differs from its first "${t.spec.name}"`);
    }
    return a;
  }

  protected actorFor(actorId: string, template: string): number {
    const existing = this.actorsById.get(actorId);
    if (existing !== undefined) return this.checkTemplate(existing, template);
    const t = this.templates.get(template);
    if (t === undefined) throw new ContractError(`actor ${actorId}: unknown template "${template}"`);
    const dedicated = t.pool.spec.mode === 'dedicated';
    const a = this.actors.add(actorId, t.index, t.spec.golden && !dedicated ? SNAP_GOLDEN : SNAP_NONE);
    this.actorsById.set(actorId, a);
    return a;
  }

  protected transition(a: number, to: number): void {
    const A = this.actors;
    const from = A.state[a * R8]!;
    // checkTransition names the actor and both states in its error.
    if (ALLOWED[from * 6 + to] !== 1) checkTransition(A.ids[a]!, STATE_NAMES[from]!, STATE_NAMES[to]!);
    A.state[a * R8] = to;
    this.idleIndex.mark(a);
  }

  /** Emits the invocation's reply and frees its slot. */
  protected finish(inv: number, nowMs: number, outcome: 'served' | 'rejected', reason: RejectReason | ''): void {
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

  protected reject(a: number, inv: number, nowMs: number, reason: RejectReason): void {
    accrue(this.actors, this.invs, a, nowMs);
    fifoRemove(this.actors, this.invs, a, inv);
    this.idleIndex.mark(a);
    if (this.invs.parked[inv] !== 0) {
      this.invs.parked[inv] = 0;
      this.parkedCount -= 1;
    }
    this.finish(inv, nowMs, 'rejected', reason);
  }

  protected sourceOf(a: number, w: WorkerRec): RestoreSource {
    const A = this.actors;
    switch (A.snapKind[a * R8]) {
      case SNAP_NONE:
        return 'cold';
      case SNAP_GOLDEN:
        return 'golden';
      case SNAP_LOCAL:
        return 'local';
      default:
        // The node that wrote the snapshot kept a copy: resuming there reads it from disk.
        return A.snapNode[a * R32] === w.nodeId ? 'local' : 'external';
    }
  }

  /** The path (a PATH_ code) the actor's queued invocations take with the resume under way. */
  protected pathOfResume(a: number): number {
    const wid = this.actors.worker[a * R32]!;
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

  protected hasAnyRoom(pool: PoolRt): boolean {
    // Shared pools have no actor-owned workers, so this is `open` being non-empty.
    return pool.open.length > 0;
  }

  /** Frees the slot and memory an actor held on a worker. */
  protected release(a: number, w: WorkerRec): void {
    const xs = w.actors;
    const i = xs.indexOf(a);
    if (i >= 0) {
      // By hand rather than splice, which allocates the array of what it removed.
      const last = xs.length - 1;
      for (let k = i; k < last; k++) xs[k] = xs[k + 1]!;
      xs.pop();
      w.resident -= 1;
      w.memUsedMiB -= this.templateOf(a).spec.memoryMiB;
      this.accounting.residentDelta(-1);
    }
    this.actors.worker[a * R32] = NONE;
    // A hold on evicting it (EVICT_HOLD) ends with its stay on this worker.
    this.actors.flags[a * R8]! &= ~EVICT_HOLD;
    this.idleIndex.mark(a);
    this.recat(w);
  }

  /** Keeps a shared pool at its target replica count. */
  protected reconcile(pool: PoolRt): void {
    if (pool.spec.mode !== 'shared') return;
    // Paused actors can resume only on their node: new workers go there first.
    const wanted = pinnedNodesWithoutWorker(pool, this.actors, this.nodeNames);
    while (pool.workers.length < pool.target) {
      if (this.startWorker(pool, NONE, wanted.shift()) === null) break;
    }
  }

  protected startWorker(pool: PoolRt, owner: number, preferNode?: string): WorkerRec | null {
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

  /** Marks a worker GONE and gives its node memory back. */
  protected retire(w: WorkerRec): void {
    for (const a of [...w.actors]) this.release(a, w);
    w.state = 'GONE';
    this.recat(w);
    w.node.usedMiB -= w.memoryMiB;
    w.pool.workers = w.pool.workers.filter((x) => x !== w);
  }

  /** Moves a worker's memory to the bucket that matches what it is doing now. */
  protected recat(w: WorkerRec): void {
    const use: MemoryUse = w.state === 'GONE' ? 'none' : w.busy > 0 ? 'busy' : w.resident > 0 ? 'idle' : 'empty';
    if (w.resident > 0) w.emptySinceMs = Number.NaN;
    else if (Number.isNaN(w.emptySinceMs)) w.emptySinceMs = this.accounting.nowMs;
    this.accounting.move(w.memoryMiB, w.use, use);
    w.use = use;
    // Every change of state or residents comes through here: keep the pool's open list in step.
    const open = w.state === 'READY' && w.dedicatedActor === NONE && w.resident < w.actorSlots;
    if (open !== w.open) {
      setOpen(w, open);
      // Its residents move between full and open in the index.
      this.idleIndex.markWorker(w);
    }
  }
}
