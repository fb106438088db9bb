import {
  IN_PARK_QUEUE,
  NONE,
  PARKED,
  PAUSED,
  PAUSING,
  PREWARMING,
  QUEUED,
  RESTORE,
  RESUMING,
  RUNNING,
  SEEN,
  COUNTED,
  EVICT_HOLD,
  SNAP_EXTERNAL,
  SNAP_LOCAL,
  SNAP_NONE,
  SUSPENDED,
  SUSPENDING,
  WORKER_START,
} from './codes.ts';
import { anyEvictable, evictionCrossCheck, ROOM_WITHOUT_EVICTING } from './policies/eviction.ts';
import type { IdleDecision } from './policies/idle.ts';
import type { ActorPlacementView } from './policies/placement.ts';
import { pinnedNodesWithoutWorker, waitersWithoutEviction, waitingIn, type PoolRt, type WorkerRec } from './pools.ts';
import { ContractError, SchedulerState } from './scheduler-state.ts';
import { accrue, fifoPush, fifoRemove, fifoShift, fifoUnshift, isIdleResident, R32, R64, R8 } from './tables.ts';
import type { CheckpointTarget, InvocationInput, TimerKind } from './types.ts';

// The runtimes import the core's output types from here, with the Scheduler.
export { ContractError, type CoreCounters, type OutcomeSink } from './scheduler-state.ts';

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

const CHECKPOINT_RETRY_MS = 1_000;
const KEEP: IdleDecision = { kind: 'keep' };
// A failed restore is retried after 0.5 s, then 1 s, 2 s, ... up to 8 s.
const RESTORE_RETRY_BASE_MS = 500;
const RESTORE_RETRY_MAX_MS = 8_000;

/** The scheduler core: its inputs, and the decisions it asks its policies for. See the module comment for the call order. */
export class Scheduler extends SchedulerState {
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

  /**
   * Declares an actor before its first invocation (needed for dedicated
   * always-on pools, optional otherwise). Returns its index: actors are
   * numbered in creation order, and a second declaration of a name returns
   * the first one's index.
   */
  handleActorCreated(nowMs: number, actorId: string, template: string): number {
    this.begin(nowMs);
    const a = this.actorFor(actorId, template);
    const A = this.actors;
    const pool = this.poolOf(a);
    if (pool.spec.mode === 'dedicated' && pool.spec.dedicated?.variant === 'always-on' && A.worker[a * R32] === NONE && A.startingWorker[a * R32] === NONE) {
      this.startDedicated(a, nowMs);
    }
    return a;
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
    this.checkArrival(input.id, input.workMs);
    const a = this.isActor(actorHint) && this.actors.ids[actorHint] === input.actor ? this.checkTemplate(actorHint, input.template) : this.actorFor(input.actor, input.template);
    this.arrive(nowMs, a, input.id, input.workMs);
  }

  /**
   * An invocation arrived for the actor of index `actorIndex`, one the
   * runtime declared (handleActorCreated returns the index): the same as
   * handleInvocation without the name and template. For runtimes that replay
   * a workload they declared up front (the simulator's session): at a million
   * actors the name and template of each arrival are loads from two random
   * places of two large arrays, and their check two more, done only to find
   * an index the runtime already has.
   */
  handleInvocationOf(nowMs: number, actorIndex: number, id: number, workMs: number): void {
    this.begin(nowMs);
    this.checkArrival(id, workMs);
    if (!this.isActor(actorIndex)) throw new ContractError(`invocation ${id}: no actor of index ${actorIndex} (declare it with handleActorCreated)`);
    this.arrive(nowMs, actorIndex, id, workMs);
  }

  private checkArrival(id: number, workMs: number): void {
    if (this.live.get(id) !== NONE) throw new ContractError(`invocation ${id} arrived twice`);
    if (!(workMs >= 0)) throw new ContractError(`invocation ${id}: workMs must be >= 0, got ${workMs}`);
  }

  private arrive(nowMs: number, a: number, id: number, workMs: number): void {
    const A = this.actors;
    const inv = this.invs.alloc(id, a, workMs, nowMs);
    this.live.set(id, inv);
    A.idleStamp[a * R32]! += 1; // any pending idle timer is now stale
    A.prewarmStamp[a * R32]! += 1; // and so is a pre-warm: the arrival resumes it anyway
    A.frequency[a * R32]! += 1;
    const pool = this.poolOf(a);
    if (pool.spec.mode === 'shared') this.idle.onArrival?.(a, nowMs);
    accrue(this.actors, this.invs, a, nowMs);
    fifoPush(this.actors, this.invs, a, inv);
    this.idleIndex.mark(a);
    switch (A.state[a * R8]) {
      case RUNNING:
        if (A.running[a * R32] === NONE) this.executeNext(a, nowMs);
        break;
      case RESUMING:
        this.invs.path[inv] = this.pathOfResume(a);
        break;
      case SUSPENDED:
      case PAUSED:
        if ((A.flags[a * R8]! & IN_PARK_QUEUE) !== 0 || A.startingWorker[a * R32] !== NONE) {
          if ((A.flags[a * R8]! & IN_PARK_QUEUE) !== 0) this.admitParked(inv, nowMs);
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
      this.actors.startingWorker[owner * R32] = NONE;
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
    if (owner !== NONE && A.startingWorker[owner * R32] === w.id) A.startingWorker[owner * R32] = NONE;
    if (w.pool.spec.mode === 'shared') {
      this.reconcile(w.pool);
    } else if (owner !== NONE) {
      const alwaysOn = w.pool.spec.dedicated?.variant === 'always-on';
      if (alwaysOn || A.queued[owner * R32]! > 0) this.startDedicated(owner, nowMs);
    }
    for (const a of affected) {
      if (A.queued[a * R32]! > 0 && A.worker[a * R32] === NONE && A.startingWorker[a * R32] === NONE && (A.flags[a * R8]! & IN_PARK_QUEUE) === 0) this.needWorker(a, nowMs);
    }
    for (const pool of this.poolList) this.dispatchParked(pool, nowMs);
  }

  /** A restore (or cold boot) finished. */
  handleRestoreDone(nowMs: number, actorIndex: number, op: number, ok: boolean): void {
    this.begin(nowMs);
    const A = this.actors;
    const a = actorIndex;
    if (!this.isActor(a) || A.op[a * R64] !== op || A.state[a * R8] !== RESUMING) return;
    const w = this.workers[A.worker[a * R32]!]!;
    if (!ok) {
      this.counters.restoreFailures += 1;
      this.rollback(a, nowMs, 'restore-failed');
      if (w.dedicatedActor === a) {
        if (A.queued[a * R32]! > 0 || w.pool.spec.dedicated?.variant === 'always-on') {
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
        const head = A.head[a * R32]!;
        if (head !== NONE) {
          A.phase[a * R8] = RESTORE;
          A.retryStamp[a * R32]! += 1;
          const backoffMs = Math.min(RESTORE_RETRY_MAX_MS, RESTORE_RETRY_BASE_MS * 2 ** Math.max(0, this.invs.failures[head]! - 1));
          this.emit({ kind: 'setTimer', atMs: nowMs + backoffMs, timer: 'retry', id: a, stamp: A.retryStamp[a * R32]! });
        }
        this.dispatchParked(w.pool, nowMs);
      }
      return;
    }
    const source = this.sourceOf(a, w);
    if (source !== 'cold') this.counters.snapshotBytesRead += this.templateOf(a).spec.snapshotBytes;
    accrue(this.actors, this.invs, a, nowMs);
    this.transition(a, RUNNING);
    A.phase[a * R8] = QUEUED;
    A.lastUsedMs[a * R64] = nowMs;
    this.idleIndex.mark(a);
    const prewarmed = (A.flags[a * R8]! & PREWARMING) !== 0;
    A.flags[a * R8]! &= ~PREWARMING;
    if (A.queued[a * R32]! > 0) this.executeNext(a, nowMs);
    else if (prewarmed && this.idle.onPrewarmed !== undefined) this.applyIdle(a, this.idle.onPrewarmed(a, nowMs), nowMs);
    else this.applyIdle(a, this.idleDecision(a, nowMs), nowMs);
  }

  /** An execution finished (ok) or failed. */
  handleExecutionDone(nowMs: number, actorIndex: number, op: number, ok: boolean): void {
    this.begin(nowMs);
    const A = this.actors;
    const a = actorIndex;
    if (!this.isActor(a) || A.op[a * R64] !== op) return;
    const inv = A.running[a * R32]!;
    if (inv === NONE) return;
    const I = this.invs;
    const w = this.workers[A.worker[a * R32]!]!;
    A.running[a * R32] = NONE;
    w.busy -= 1;
    this.recat(w);
    A.lastUsedMs[a * R64] = nowMs;
    this.idleIndex.mark(a);
    I.execMs[inv]! += nowMs - I.startMs[inv]!;
    if (ok) {
      A.version[a * R64]! += 1;
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
    if (A.queued[a * R32]! > 0) this.executeNext(a, nowMs);
    else this.applyIdle(a, this.idleDecision(a, nowMs), nowMs);
  }

  /** A checkpoint finished (ok: the actor leaves its worker) or failed (it stays resident). */
  handleCheckpointDone(nowMs: number, actorIndex: number, op: number, ok: boolean): void {
    this.begin(nowMs);
    const A = this.actors;
    const a = actorIndex;
    if (!this.isActor(a) || A.op[a * R64] !== op || (A.state[a * R8] !== SUSPENDING && A.state[a * R8] !== PAUSING)) return;
    const w = this.workers[A.worker[a * R32]!]!;
    const pool = w.pool;
    this.evictionEnded(a);
    accrue(this.actors, this.invs, a, nowMs);
    if (!ok) {
      this.counters.checkpointFailures += 1;
      // Not picked again for an eviction until its retry is due (the idle timer below) or it runs: see EVICT_HOLD.
      A.flags[a * R8]! |= EVICT_HOLD;
      this.transition(a, RUNNING);
      A.phase[a * R8] = QUEUED;
      if (A.queued[a * R32]! > 0) this.executeNext(a, nowMs);
      else this.applyIdle(a, { kind: 'checkAt', atMs: nowMs + CHECKPOINT_RETRY_MS }, nowMs);
      // Another parked actor may still need an eviction that this one failed to give.
      this.dispatchParked(pool, nowMs);
      return;
    }
    const local = A.state[a * R8] === PAUSING;
    A.frequency[a * R32] = 0;
    this.counters.snapshotBytesWritten += this.templateOf(a).spec.snapshotBytes;
    A.snapKind[a * R8] = local ? SNAP_LOCAL : SNAP_EXTERNAL;
    A.snapVersion[a * R64] = A.version[a * R64]!;
    A.snapNode[a * R32] = w.nodeId;
    this.release(a, w);
    this.transition(a, local ? PAUSED : SUSPENDED);
    if (A.queued[a * R32]! > 0) this.needWorker(a, nowMs);
    this.dispatchParked(pool, nowMs);
  }

  /** A timer the core asked for fired. Stale timers are ignored. */
  handleTimer(nowMs: number, kind: TimerKind, id: number, stamp: number): void {
    this.begin(nowMs);
    const A = this.actors;
    switch (kind) {
      case 'idle': {
        const a = id;
        if (this.isActor(a) && A.idleStamp[a * R32] === stamp && (A.flags[a * R8]! & EVICT_HOLD) !== 0) {
          // The retry of a failed checkpoint is due (a stale timer is not it): evictions may pick it again.
          A.flags[a * R8]! &= ~EVICT_HOLD;
          this.idleIndex.mark(a);
        }
        if (!this.isActor(a) || A.idleStamp[a * R32] !== stamp || !isIdleResident(this.actors, a)) return;
        this.applyIdle(a, this.idle.onTimer(a, nowMs), nowMs);
        return;
      }
      case 'stop': {
        const a = id;
        if (!this.isActor(a) || A.idleStamp[a * R32] !== stamp || !isIdleResident(this.actors, a)) return;
        this.stopDedicated(a, nowMs);
        return;
      }
      case 'prewarm': {
        const a = id;
        if (!this.isActor(a) || A.prewarmStamp[a * R32] !== stamp) return;
        const state = A.state[a * R8];
        if ((state !== SUSPENDED && state !== PAUSED) || A.queued[a * R32]! > 0 || A.worker[a * R32] !== NONE || (A.flags[a * R8]! & IN_PARK_QUEUE) !== 0) return;
        // A pre-warm takes a free slot if there is one; it never parks or evicts.
        const w = this.choose(a);
        if (w === null) return;
        this.counters.prewarms += 1;
        A.flags[a * R8]! |= PREWARMING;
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
        if (!this.isActor(a) || A.retryStamp[a * R32] !== stamp) return;
        const state = A.state[a * R8];
        if ((state !== SUSPENDED && state !== PAUSED) || A.queued[a * R32] === 0) return;
        if (A.worker[a * R32] !== NONE || A.startingWorker[a * R32] !== NONE || (A.flags[a * R8]! & IN_PARK_QUEUE) !== 0) return;
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
        this.idleIndex.mark(a);
        I.parked[inv] = 0;
        this.parkedCount -= 1;
        this.finish(inv, nowMs, 'rejected', 'park-timeout');
        if (A.queued[a * R32] === 0) this.parkFlagOff(a); // left in the queue array, skipped when met
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
      if (A.running[a * R32] === NONE && A.queued[a * R32] === 0) continue;
      accrue(this.actors, this.invs, a, nowMs);
      const inv = A.running[a * R32]!;
      if (inv !== NONE) {
        A.running[a * R32] = NONE;
        const w = this.workers[A.worker[a * R32]!]!;
        w.busy -= 1;
        this.recat(w);
        I.execMs[inv]! += nowMs - I.startMs[inv]!;
        this.finish(inv, nowMs, 'rejected', 'run-ended');
      }
      for (let q = A.head[a * R32]!; q !== NONE; ) {
        // finish() frees the slot: step on first.
        const next = I.next[q]!;
        if (I.parked[q] !== 0) {
          I.parked[q] = 0;
          this.parkedCount -= 1;
        }
        this.finish(q, nowMs, 'rejected', 'run-ended');
        q = next;
      }
      A.head[a * R32] = NONE;
      A.tail[a * R32] = NONE;
      A.queued[a * R32] = 0;
      this.parkFlagOff(a);
      this.idleIndex.mark(a);
    }
  }

  // ---- internals -----------------------------------------------------------








  /** The actor has queued work and no worker: place it, start its dedicated worker, or park it. */
  private needWorker(a: number, nowMs: number): void {
    const A = this.actors;
    const pool = this.poolOf(a);
    if (pool.spec.mode === 'dedicated') {
      if (A.startingWorker[a * R32] === NONE && A.worker[a * R32] === NONE) this.startDedicated(a, nowMs);
      if (A.startingWorker[a * R32] === NONE && A.worker[a * R32] === NONE) this.park(a, nowMs); // no node had room
      return;
    }
    const w = this.choose(a);
    if (w !== null) {
      this.assign(a, w, nowMs);
      return;
    }
    this.park(a, nowMs);
    if ((A.flags[a * R8]! & IN_PARK_QUEUE) !== 0) {
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
    A.phase[a * R8] = PARKED;
    const I = this.invs;
    // Admission may reject (unlink and free) the invocation at hand, so step on before admitting it.
    for (let inv = A.head[a * R32]!; inv !== NONE; ) {
      const next = I.next[inv]!;
      if (I.parked[inv] === 0) this.admitParked(inv, nowMs);
      inv = next;
    }
    if (A.queued[a * R32]! > 0 && (A.flags[a * R8]! & IN_PARK_QUEUE) === 0) {
      this.parkFlagOn(a);
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
    const pinned = A.snapKind[a * R8] === SNAP_LOCAL ? A.snapNode[a * R32]! : NONE;
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
    view.snapshotNode = this.nodeName(A.snapNode[a * R32]!);
    const i = this.placement.choose(candidates, view as ActorPlacementView, this.rng);
    const w = candidates[i];
    if (w === undefined) throw new Error(`placement ${this.placement.name} returned ${i} of ${candidates.length}`);
    return w;
  }

  /** Takes a slot on `w` for `a` and starts its restore. */
  private assign(a: number, w: WorkerRec, nowMs: number): void {
    const A = this.actors;
    accrue(this.actors, this.invs, a, nowMs);
    this.parkFlagOff(a);
    const I = this.invs;
    for (let inv = A.head[a * R32]!; inv !== NONE; inv = I.next[inv]!) {
      if (I.parked[inv] !== 0) {
        I.parked[inv] = 0;
        this.parkedCount -= 1;
      }
    }
    const t = this.templateOf(a);
    if (A.worker[a * R32] !== w.id) {
      w.resident += 1;
      w.memUsedMiB += t.spec.memoryMiB;
      w.actors.push(a);
      A.worker[a * R32] = w.id;
      this.idleIndex.mark(a);
      this.accounting.residentDelta(1);
      this.recat(w);
    }
    this.transition(a, RESUMING);
    A.phase[a * R8] = RESTORE;
    const source = this.sourceOf(a, w);
    const path = this.pathOfResume(a);
    for (let inv = A.head[a * R32]!; inv !== NONE; inv = I.next[inv]!) I.path[inv] = path;
    const op = this.nextOp++;
    A.op[a * R64] = op;
    this.counters.restores += 1;
    this.emit({
      kind: 'restore',
      op,
      actor: A.ids[a]!,
      actorIndex: a,
      worker: w.id,
      source,
      version: source === 'local' || source === 'external' ? A.snapVersion[a * R64]! : 0,
      snapshotBytes: source === 'cold' ? 0 : t.spec.snapshotBytes,
      template: t.spec.name,
    });
  }


  private executeNext(a: number, nowMs: number): void {
    const A = this.actors;
    const w = this.workers[A.worker[a * R32]!]!;
    accrue(this.actors, this.invs, a, nowMs);
    const inv = fifoShift(this.actors, this.invs, a);
    const I = this.invs;
    A.running[a * R32] = inv;
    A.flags[a * R8]! &= ~EVICT_HOLD;
    this.idleIndex.mark(a);
    A.phase[a * R8] = QUEUED;
    A.idleStamp[a * R32]! += 1;
    I.startMs[inv] = nowMs;
    w.busy += 1;
    this.recat(w);
    const op = this.nextOp++;
    A.op[a * R64] = op;
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
        A.idleStamp[a * R32]! += 1;
        const timer: TimerKind = pool.spec.mode === 'dedicated' ? 'stop' : 'idle';
        this.emit({ kind: 'setTimer', atMs: d.atMs, timer, id: a, stamp: A.idleStamp[a * R32]! });
        return;
      }
      case 'checkpoint':
        this.checkpoint(a, d.target, nowMs);
        return;
      case 'leaveAndPrewarm':
        this.checkpoint(a, d.target, nowMs);
        A.prewarmStamp[a * R32]! += 1;
        this.emit({ kind: 'setTimer', atMs: Math.max(nowMs, d.prewarmAtMs), timer: 'prewarm', id: a, stamp: A.prewarmStamp[a * R32]! });
        return;
    }
  }

  private checkpoint(a: number, target: CheckpointTarget, nowMs: number): void {
    const A = this.actors;
    const w = this.workers[A.worker[a * R32]!]!;
    accrue(this.actors, this.invs, a, nowMs);
    this.transition(a, target === 'local' ? PAUSING : SUSPENDING);
    A.phase[a * R8] = QUEUED;
    A.idleStamp[a * R32]! += 1;
    const op = this.nextOp++;
    A.op[a * R64] = op;
    this.counters.checkpoints += 1;
    this.emit({
      kind: 'checkpoint',
      op,
      actor: A.ids[a]!,
      actorIndex: a,
      worker: w.id,
      target,
      version: A.version[a * R64]!,
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
    if (!this.eviction.evicts || A.pendingEvictions[waiting * R32]! > 0) return ROOM_WITHOUT_EVICTING;
    const victims = this.victims;
    this.idleIndex.flush(A, this.workers, this.poolIndexOf);
    const n = this.eviction.victims(pool, waiting, A, this.templateList, victims, this.idleIndex);
    for (let k = 0; k < n; k++) {
      const v = victims[k]!;
      A.evictedFor[v * R32] = waiting;
      this.idleIndex.mark(v);
      A.pendingEvictions[waiting * R32]! += 1;
      this.counters.evictions += 1;
      this.checkpoint(v, this.idle.evictTarget, this.accounting.nowMs);
    }
    // pendingEvictions went from 0 to n: a waiter with an eviction under way.
    if (n > 0 && (A.flags[waiting * R8]! & IN_PARK_QUEUE) !== 0) this.poolOf(waiting).waitersWithoutEviction -= 1;
    return n;
  }

  /** Marks `a` as waiting in its pool's park queue (the caller puts it in the queue). */
  private parkFlagOn(a: number): void {
    const A = this.actors;
    if ((A.flags[a * R8]! & IN_PARK_QUEUE) !== 0) return;
    A.flags[a * R8]! |= IN_PARK_QUEUE;
    const pool = this.poolOf(a);
    pool.waiting += 1;
    if (A.pendingEvictions[a * R32] === 0) pool.waitersWithoutEviction += 1;
  }

  /** `a` no longer waits (its entry, if any, stays in the queue array and is skipped when met). */
  private parkFlagOff(a: number): void {
    const A = this.actors;
    if ((A.flags[a * R8]! & IN_PARK_QUEUE) === 0) return;
    A.flags[a * R8]! &= ~IN_PARK_QUEUE;
    const pool = this.poolOf(a);
    pool.waiting -= 1;
    if (A.pendingEvictions[a * R32] === 0) pool.waitersWithoutEviction -= 1;
  }

  /** The eviction of `a` is over (it left, failed or its worker died): its waiter may need another. */
  private evictionEnded(a: number): void {
    const A = this.actors;
    const waiter = A.evictedFor[a * R32]!;
    if (waiter === NONE) return;
    A.evictedFor[a * R32] = NONE;
    A.pendingEvictions[waiter * R32]! -= 1;
    if (A.pendingEvictions[waiter * R32] === 0 && (A.flags[waiter * R8]! & IN_PARK_QUEUE) !== 0) this.poolOf(waiter).waitersWithoutEviction += 1;
    this.idleIndex.mark(a);
  }

  /** Places parked actors of a pool while workers have room; those that cannot be placed stay, in order. */
  private dispatchParked(pool: PoolRt, nowMs: number): void {
    if (pool.parkQueue.length === 0) return;
    const A = this.actors;
    if (pool.spec.mode === 'dedicated') {
      const queue = pool.parkQueue;
      pool.parkQueue = [];
      for (const a of queue) {
        if ((A.flags[a * R8]! & IN_PARK_QUEUE) === 0 || A.startingWorker[a * R32] !== NONE) continue;
        this.parkFlagOff(a);
        this.startDedicated(a, nowMs);
        if (A.startingWorker[a * R32] === NONE) {
          this.parkFlagOn(a);
          pool.parkQueue.push(a);
        }
      }
      return;
    }
    const queue = pool.parkQueue;
    // Every waiter has an entry, so a queue no longer than the count of waiters holds each once and
    // no actor that left it: nothing for this pass to drop (the check of that is in the loop below).
    const clean = queue.length === pool.waiting;
    // Empty: it is the queue of the last pass, emptied at its end.
    const kept = this.parkSpare;
    pool.parkQueue = kept;
    let room = true;
    let i = 0;
    for (; i < queue.length; i++) {
      const a = queue[i]!;
      // An actor that left the queue and parked again has two entries: keep the first.
      if ((A.flags[a * R8]! & (IN_PARK_QUEUE | SEEN)) !== IN_PARK_QUEUE) {
        if (clean) throw new Error(`pool ${pool.spec.name}: park queue of ${queue.length} entries for ${pool.waiting} waiters holds actor ${a} twice or after it left`);
        continue;
      }
      A.flags[a * R8]! |= SEEN;
      const w = room ? this.choose(a) : null;
      if (w !== null) {
        this.assign(a, w, nowMs);
      } else {
        kept.push(a);
        if (A.snapKind[a * R8] !== SNAP_LOCAL) room = this.hasAnyRoom(pool);
        // Without room nothing below is placed (only an assignment makes room, and none is made
        // without it), and a clean queue has nothing to drop: the rest stays as it is, unread.
        // At x100 of the fleet the queue holds some 16 waiters at each pass against 1 at x1, and
        // reading each one's flags twice per pass was a cost per invocation growing with the fleet.
        if (!room && clean) break;
      }
    }
    if (i < queue.length) {
      // Stopped at entry i, kept above: the rest follow it in order.
      A.flags[(queue[i]!) * R8]! &= ~SEEN;
      for (let k = i + 1; k < queue.length; k++) kept.push(queue[k]!);
    }
    for (let k = 0; k < i; k++) A.flags[(queue[k]!) * R8]! &= ~SEEN;
    // The two arrays trade places, so a pass allocates nothing (pop rather than a store to
    // length, which is a call into the runtime).
    while (queue.length > 0) queue.pop();
    this.parkSpare = queue;
    this.evictForWaiters(pool);
  }

  /** Starts evictions for the actors waiting in a pool, one per waiter at most. */
  private evictForWaiters(pool: PoolRt): void {
    if (!this.eviction.evicts) return;
    if (evictionCrossCheck.on && pool.waitersWithoutEviction !== waitersWithoutEviction(pool, this.actors)) {
      throw new Error(`pool ${pool.spec.name}: ${pool.waitersWithoutEviction} waiters without an eviction counted, ${waitersWithoutEviction(pool, this.actors)} in the park queue`);
    }
    // Every waiter has an eviction under way: nothing to do (the loop below would skip them all).
    if (pool.waitersWithoutEviction === 0) return;
    // With no idle resident anywhere in the pool every waiter's search would come back empty:
    // one scan instead of one per waiter (and evictions only ever remove candidates).
    this.idleIndex.flush(this.actors, this.workers, this.poolIndexOf);
    const any = this.idleIndex.candidates(pool.index) > 0;
    if (evictionCrossCheck.on && any !== anyEvictable(pool, this.actors)) throw new Error(`idle index: ${any ? 'candidates' : 'none'} in pool ${pool.spec.name} where the scan finds ${any ? 'none' : 'some'}`);
    if (!any) return;
    const A = this.actors;
    // Evictions started here only take candidates away and free nothing yet, so once an unpinned
    // waiter could not make room on any worker, no waiter needing as much memory can either.
    let hopelessMiB = Number.POSITIVE_INFINITY;
    // Once every waiter without an eviction has been met, the rest of the queue would only be
    // skipped: stop there, so the pass costs the waiters it acts on, not the whole queue. The
    // queue may hold an actor twice (it left and parked again since the last dispatch): COUNTED
    // counts it once; its second visit is a no-op, since evictions started meanwhile only take
    // candidates away, so stopping before it changes nothing.
    let left = pool.waitersWithoutEviction;
    const counted = this.counted;
    let nCounted = 0;
    for (const a of pool.parkQueue) {
      // A waiter with an eviction under way gets no other (maybeEvict would answer at once).
      if ((A.flags[a * R8]! & IN_PARK_QUEUE) === 0 || A.pendingEvictions[a * R32]! > 0) continue;
      if ((A.flags[a * R8]! & COUNTED) === 0) {
        A.flags[a * R8]! |= COUNTED;
        counted[nCounted++] = a;
        left -= 1;
      }
      const need = this.templateOf(a).spec.memoryMiB;
      if (need < hopelessMiB && this.maybeEvict(pool, a) === 0 && A.snapKind[a * R8] !== SNAP_LOCAL) hopelessMiB = need;
      if (left === 0) break;
    }
    for (let k = 0; k < nCounted; k++) A.flags[(counted[k]!) * R8]! &= ~COUNTED;
    counted.length = 0;
  }

  /** Sends an actor back to its newest snapshot; its in-flight invocation is retried or rejected. */
  private rollback(a: number, nowMs: number, reason: 'worker-lost' | 'restore-failed'): void {
    const A = this.actors;
    const w = this.workers[A.worker[a * R32]!]!;
    accrue(this.actors, this.invs, a, nowMs);
    this.evictionEnded(a);
    const I = this.invs;
    const inv = A.running[a * R32]!;
    if (inv !== NONE) {
      A.running[a * R32] = NONE;
      w.busy -= 1;
      I.execMs[inv]! += nowMs - I.startMs[inv]!;
      I.failures[inv]! += 1;
      I.markMs[inv] = nowMs;
      I.path[inv] = 0;
      fifoUnshift(this.actors, this.invs, a, inv);
    } else if (reason === 'restore-failed' && A.queued[a * R32]! > 0) {
      I.failures[A.head[a * R32]!]! += 1;
    }
    const head = A.head[a * R32]!;
    if (head !== NONE && I.failures[head]! >= this.config.maxAttempts) this.reject(a, head, nowMs, reason);
    A.op[a * R64] = this.nextOp++; // completions of the interrupted operation are now stale
    A.idleStamp[a * R32]! += 1;
    A.phase[a * R8] = QUEUED;
    A.version[a * R64] = A.snapVersion[a * R64]!;
    if (w.dedicatedActor !== a) this.release(a, w);
    else this.recat(w);
    this.transition(a, A.snapKind[a * R8] === SNAP_LOCAL ? PAUSED : SUSPENDED);
  }

  /**
   * One evaluation of the pool's scaling policy: it decides a target; here
   * workers start up to it and empty workers above it stop (the one empty the
   * longest first). Workers hosting actors are never stopped to shrink a
   * pool: idle policies empty them, and only then do they go.
   */
  private scale(pool: PoolRt, nowMs: number): void {
    const current = pool.workers.length;
    if (evictionCrossCheck.on && pool.waiting !== waitingIn(pool, this.actors)) throw new Error(`pool ${pool.spec.name}: ${pool.waiting} waiters counted, ${waitingIn(pool, this.actors)} in the park queue`);
    // Each waiting actor once: the queue array may hold one twice (it left and parked again since the last dispatch).
    let target = this.scaling.target(pool, pool.waiting, nowMs);
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


  private startDedicated(a: number, nowMs: number): void {
    const A = this.actors;
    const w = this.startWorker(this.poolOf(a), a);
    if (w === null) return;
    accrue(this.actors, this.invs, a, nowMs);
    A.startingWorker[a * R32] = w.id;
    this.parkFlagOff(a);
    A.phase[a * R8] = WORKER_START;
    const I = this.invs;
    for (let inv = A.head[a * R32]!; inv !== NONE; inv = I.next[inv]!) {
      if (I.parked[inv] !== 0) {
        I.parked[inv] = 0;
        this.parkedCount -= 1;
      }
    }
  }

  /** Scale-to-zero: the idle actor's worker stops and its in-memory state is discarded. */
  private stopDedicated(a: number, nowMs: number): void {
    const A = this.actors;
    const w = this.workers[A.worker[a * R32]!]!;
    accrue(this.actors, this.invs, a, nowMs);
    this.release(a, w);
    A.version[a * R64] = 0;
    A.snapKind[a * R8] = SNAP_NONE;
    A.snapVersion[a * R64] = 0;
    A.snapNode[a * R32] = NONE;
    this.transition(a, SUSPENDED);
    this.retire(w);
    this.emit({ kind: 'stopWorker', worker: w.id });
    this.dispatchParked(w.pool, nowMs);
  }

}
