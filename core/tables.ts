import { EVICT_HOLD, NONE, PARKED, QUEUED, RESTORE, RUNNING, SUSPENDED, WORKER_START } from './codes.ts';

/**
 * Invocations admitted and not yet replied to, as columns indexed by a slot;
 * a slot is reused once its invocation has its outcome. An invocation then
 * costs no objects until its reply, where an object with five latency parts
 * and boxed times used to be allocated, kept alive for the invocation's
 * lifetime and traced by the garbage collector.
 */
export class InvTable {
  id: Float64Array;
  /** Index of the actor. */
  actor: Int32Array;
  workMs: Float64Array;
  arrivalMs: Float64Array;
  failures: Int32Array;
  path: Uint8Array;
  parked: Uint8Array;
  /** Bumped each time the invocation parks, so the timer of an earlier parking is stale. */
  parkEpoch: Int32Array;
  startMs: Float64Array;
  /** Time up to which waiting has been attributed to a part. */
  markMs: Float64Array;
  /** The next invocation in the actor's FIFO (a list through the slots), or NONE. */
  next: Int32Array;
  // The latency parts.
  parkedMs: Float64Array;
  workerStartMs: Float64Array;
  restoreMs: Float64Array;
  execMs: Float64Array;
  queuedMs: Float64Array;
  private free: Int32Array;
  private freeCount: number;

  constructor(capacity: number) {
    this.id = new Float64Array(capacity);
    this.actor = new Int32Array(capacity);
    this.workMs = new Float64Array(capacity);
    this.arrivalMs = new Float64Array(capacity);
    this.failures = new Int32Array(capacity);
    this.path = new Uint8Array(capacity);
    this.parked = new Uint8Array(capacity);
    this.parkEpoch = new Int32Array(capacity);
    this.startMs = new Float64Array(capacity);
    this.markMs = new Float64Array(capacity);
    this.next = new Int32Array(capacity);
    this.parkedMs = new Float64Array(capacity);
    this.workerStartMs = new Float64Array(capacity);
    this.restoreMs = new Float64Array(capacity);
    this.execMs = new Float64Array(capacity);
    this.queuedMs = new Float64Array(capacity);
    this.free = new Int32Array(capacity);
    // Slot 0 first, so the few slots a quiet run needs stay together.
    for (let i = 0; i < capacity; i++) this.free[i] = capacity - 1 - i;
    this.freeCount = capacity;
  }

  /** A slot for a new invocation, its fields set as for an arrival at `nowMs`. */
  alloc(id: number, actor: number, workMs: number, nowMs: number): number {
    if (this.freeCount === 0) this.grow();
    const v = this.free[--this.freeCount]!;
    this.id[v] = id;
    this.actor[v] = actor;
    this.workMs[v] = workMs;
    this.arrivalMs[v] = nowMs;
    this.failures[v] = 0;
    this.path[v] = 0;
    this.parked[v] = 0;
    this.parkEpoch[v] = 0;
    this.startMs[v] = Number.NaN;
    this.markMs[v] = nowMs;
    this.next[v] = NONE;
    this.parkedMs[v] = 0;
    this.workerStartMs[v] = 0;
    this.restoreMs[v] = 0;
    this.execMs[v] = 0;
    this.queuedMs[v] = 0;
    return v;
  }

  /** Gives a slot back; its invocation must not be touched again. */
  release(v: number): void {
    this.free[this.freeCount++] = v;
  }

  private grow(): void {
    const old = this.id.length;
    const capacity = old * 2;
    this.id = grown(this.id, new Float64Array(capacity));
    this.actor = grown(this.actor, new Int32Array(capacity));
    this.workMs = grown(this.workMs, new Float64Array(capacity));
    this.arrivalMs = grown(this.arrivalMs, new Float64Array(capacity));
    this.failures = grown(this.failures, new Int32Array(capacity));
    this.path = grown(this.path, new Uint8Array(capacity));
    this.parked = grown(this.parked, new Uint8Array(capacity));
    this.parkEpoch = grown(this.parkEpoch, new Int32Array(capacity));
    this.startMs = grown(this.startMs, new Float64Array(capacity));
    this.markMs = grown(this.markMs, new Float64Array(capacity));
    this.next = grown(this.next, new Int32Array(capacity));
    this.parkedMs = grown(this.parkedMs, new Float64Array(capacity));
    this.workerStartMs = grown(this.workerStartMs, new Float64Array(capacity));
    this.restoreMs = grown(this.restoreMs, new Float64Array(capacity));
    this.execMs = grown(this.execMs, new Float64Array(capacity));
    this.queuedMs = grown(this.queuedMs, new Float64Array(capacity));
    // grow() runs only when every slot is taken: the free ones are exactly the new ones.
    this.free = new Int32Array(capacity);
    for (let i = 0; i < capacity - old; i++) this.free[i] = capacity - 1 - i;
    this.freeCount = capacity - old;
  }
}

/** Bytes of one actor's record: its fields need 90. */
const RECORD_BYTES = 96;
/** Index step from one actor to the next in a field of 8-byte elements (Float64Array). */
export const R64 = RECORD_BYTES / 8;
/** Index step from one actor to the next in a field of 4-byte elements (Int32Array). */
export const R32 = RECORD_BYTES / 4;
/** Index step from one actor to the next in a field of 2-byte elements (Uint16Array). */
export const R16 = RECORD_BYTES / 2;
/** Index step from one actor to the next in a field of 1-byte elements (Uint8Array). */
export const R8 = RECORD_BYTES;

/**
 * Per-actor state, one record of RECORD_BYTES per actor, grown by doubling.
 * Each field is a typed-array view over the one buffer, starting at the
 * field's offset in the record, so field `f` of actor `a` is `A.f[a * R32]`
 * for an Int32Array field (R64, R16, R8 for the other widths). A handler
 * then reads an actor's fields from one or two cache lines: with a column
 * per field, each field of a random actor among a million was a cache miss
 * of its own (issue 15).
 */
export class ActorTable {
  count = 0;
  readonly ids: string[] = [];
  private buffer: ArrayBuffer;
  private capacity: number;
  op!: Float64Array;
  /** Invocations applied to the in-memory state since it was created. */
  version!: Float64Array;
  snapVersion!: Float64Array;
  lastUsedMs!: Float64Array;
  /** Worker holding the actor's slot, or NONE. */
  worker!: Int32Array;
  /** Dedicated pools: the worker started for this actor and not yet ready, or NONE. */
  startingWorker!: Int32Array;
  /** The waiter this actor is being evicted for, while its checkpoint runs, or NONE. */
  evictedFor!: Int32Array;
  /** Evictions under way to make room for this actor. */
  pendingEvictions!: Int32Array;
  /** Invocations in the FIFO. */
  queued!: Int32Array;
  /** Invocation executing now (an InvTable slot), or NONE. */
  running!: Int32Array;
  /** Oldest and newest invocation waiting in the FIFO, or NONE. */
  head!: Int32Array;
  tail!: Int32Array;
  /** Interned node name of the snapshot, or NONE. */
  snapNode!: Int32Array;
  // Stamps are compared for equality only; 32 bits wrap long after any run ends.
  idleStamp!: Int32Array;
  /** Stamp of the pending restore-retry timer. */
  retryStamp!: Int32Array;
  /** Stamp of the pending pre-warm timer; arrivals make it stale. */
  prewarmStamp!: Int32Array;
  /** Invocations since it last became resident (Greedy-Dual's frequency). */
  frequency!: Int32Array;
  template!: Uint16Array;
  state!: Uint8Array;
  phase!: Uint8Array;
  flags!: Uint8Array;
  snapKind!: Uint8Array;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.buffer = new ArrayBuffer(capacity * RECORD_BYTES);
    this.views();
  }

  private views(): void {
    const b = this.buffer;
    this.op = new Float64Array(b, 0);
    this.version = new Float64Array(b, 8);
    this.snapVersion = new Float64Array(b, 16);
    this.lastUsedMs = new Float64Array(b, 24);
    this.worker = new Int32Array(b, 32);
    this.startingWorker = new Int32Array(b, 36);
    this.evictedFor = new Int32Array(b, 40);
    this.pendingEvictions = new Int32Array(b, 44);
    this.queued = new Int32Array(b, 48);
    this.running = new Int32Array(b, 52);
    this.head = new Int32Array(b, 56);
    this.tail = new Int32Array(b, 60);
    this.snapNode = new Int32Array(b, 64);
    this.idleStamp = new Int32Array(b, 68);
    this.retryStamp = new Int32Array(b, 72);
    this.prewarmStamp = new Int32Array(b, 76);
    this.frequency = new Int32Array(b, 80);
    this.template = new Uint16Array(b, 84);
    this.state = new Uint8Array(b, 86);
    this.phase = new Uint8Array(b, 87);
    this.flags = new Uint8Array(b, 88);
    this.snapKind = new Uint8Array(b, 89);
  }

  /** Appends a new SUSPENDED actor and returns its index. */
  add(id: string, template: number, snapKind: number): number {
    const a = this.count;
    if (a === this.capacity) this.grow(a * 2);
    this.count = a + 1;
    this.ids.push(id);
    this.running[a * R32] = NONE;
    this.head[a * R32] = NONE;
    this.tail[a * R32] = NONE;
    this.template[a * R16] = template;
    this.state[a * R8] = SUSPENDED;
    this.phase[a * R8] = QUEUED;
    this.worker[a * R32] = NONE;
    this.startingWorker[a * R32] = NONE;
    this.evictedFor[a * R32] = NONE;
    this.snapKind[a * R8] = snapKind;
    this.snapNode[a * R32] = NONE;
    return a;
  }

  private grow(capacity: number): void {
    const buffer = new ArrayBuffer(capacity * RECORD_BYTES);
    new Uint8Array(buffer).set(new Uint8Array(this.buffer));
    this.buffer = buffer;
    this.capacity = capacity;
    this.views();
  }
}

/** Copies a column into its grown replacement. */
export function grown<T extends Uint8Array | Uint16Array | Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from as never);
  return to;
}

// The FIFO of an actor: a list through the InvTable's `next`, with its length in the ActorTable's `queued`.

/** Appends `inv` to the actor's FIFO. */
export function fifoPush(A: ActorTable, I: InvTable, a: number, inv: number): void {
  I.next[inv] = NONE;
  const tail = A.tail[a * R32]!;
  if (tail === NONE) A.head[a * R32] = inv;
  else I.next[tail] = inv;
  A.tail[a * R32] = inv;
  A.queued[a * R32]! += 1;
}

/** Puts `inv` back at the head of the actor's FIFO (a retry goes first). */
export function fifoUnshift(A: ActorTable, I: InvTable, a: number, inv: number): void {
  const head = A.head[a * R32]!;
  I.next[inv] = head;
  A.head[a * R32] = inv;
  if (head === NONE) A.tail[a * R32] = inv;
  A.queued[a * R32]! += 1;
}

/** Takes the oldest invocation off the actor's FIFO. */
export function fifoShift(A: ActorTable, I: InvTable, a: number): number {
  const inv = A.head[a * R32]!;
  if (inv === NONE) throw new Error(`actor ${A.ids[a]}: empty FIFO`);
  const next = I.next[inv]!;
  A.head[a * R32] = next;
  if (next === NONE) A.tail[a * R32] = NONE;
  I.next[inv] = NONE;
  A.queued[a * R32]! -= 1;
  return inv;
}

/** Removes `inv` from the actor's FIFO if it is there. */
export function fifoRemove(A: ActorTable, I: InvTable, a: number, inv: number): void {
  let prev = NONE;
  for (let q = A.head[a * R32]!; q !== NONE; prev = q, q = I.next[q]!) {
    if (q !== inv) continue;
    const next = I.next[q]!;
    if (prev === NONE) A.head[a * R32] = next;
    else I.next[prev] = next;
    if (A.tail[a * R32] === q) A.tail[a * R32] = prev;
    I.next[q] = NONE;
    A.queued[a * R32]! -= 1;
    return;
  }
}

/** Attributes the waiting time of every queued invocation to the actor's current phase. */
export function accrue(A: ActorTable, I: InvTable, a: number, nowMs: number): void {
  const phase = A.phase[a * R8];
  for (let inv = A.head[a * R32]!; inv !== NONE; inv = I.next[inv]!) {
    const dt = nowMs - I.markMs[inv]!;
    if (dt > 0) {
      switch (phase) {
        case PARKED:
          I.parkedMs[inv]! += dt;
          break;
        case WORKER_START:
          I.workerStartMs[inv]! += dt;
          break;
        case RESTORE:
          I.restoreMs[inv]! += dt;
          break;
        case QUEUED:
          I.queuedMs[inv]! += dt;
          break;
      }
    }
    I.markMs[inv] = nowMs;
  }
}


/** The actor is resident with nothing running or queued: what idle policies and evictions act on. */
export function isIdleResident(A: ActorTable, a: number): boolean {
  return A.state[a * R8] === RUNNING && A.running[a * R32] === NONE && A.queued[a * R32] === 0;
}

/** An eviction may pick it: idle and resident, not already being evicted, and not held back by a checkpoint that just failed (EVICT_HOLD). */
export function isEvictable(A: ActorTable, a: number): boolean {
  return isIdleResident(A, a) && A.evictedFor[a * R32] === NONE && (A.flags[a * R8]! & EVICT_HOLD) === 0;
}
