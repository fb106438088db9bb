/** Min-priority queue of simulation events ordered by (timeMs, insertion order), allocation-free once warm. */
export class EventQueue {
  /** Time of the last popped event. */
  timeMs = 0;
  /** Kind tag (0-255) of the last popped event. */
  kind = 0;
  /** First payload slot of the last popped event. */
  a = 0;
  /** Second payload slot of the last popped event. */
  b = 0;
  /** Third payload slot of the last popped event. */
  c = 0;

  // Struct-of-arrays storage indexed by slot, so events cost no objects or GC pressure.
  private times: Float64Array;
  // Float64 rather than Int32 because a long run can exceed 2^31 pushes; exact up to 2^53.
  private seqs: Float64Array;
  private kinds: Uint8Array;
  private payloadA: Float64Array;
  private payloadB: Float64Array;
  private payloadC: Float64Array;
  // heap[i] is a slot index; reordering moves 4-byte ints instead of six fields.
  private heap: Int32Array;
  // Stack of unused slots; a popped slot is reused by the next push.
  private free: Int32Array;
  private freeCount: number;
  private count = 0;
  private nextSeq = 0;

  constructor(initialCapacity = 1024) {
    if (!Number.isInteger(initialCapacity) || initialCapacity < 1) {
      throw new Error(`EventQueue: initialCapacity must be a positive integer, got ${initialCapacity}`);
    }
    const n = initialCapacity;
    this.times = new Float64Array(n);
    this.seqs = new Float64Array(n);
    this.kinds = new Uint8Array(n);
    this.payloadA = new Float64Array(n);
    this.payloadB = new Float64Array(n);
    this.payloadC = new Float64Array(n);
    this.heap = new Int32Array(n);
    this.free = new Int32Array(n);
    // Fill so that slot 0 is handed out first, which keeps early slots hot in cache.
    for (let i = 0; i < n; i++) this.free[i] = n - 1 - i;
    this.freeCount = n;
  }

  /** Number of events currently queued. */
  get size(): number {
    return this.count;
  }

  /** Total number of events ever pushed. */
  get pushed(): number {
    return this.nextSeq;
  }

  /** Time of the earliest queued event, or Infinity when empty. */
  peekTime(): number {
    return this.count === 0 ? Infinity : this.times[this.heap[0]!]!;
  }

  /** Enqueues an event; kind must be an integer in 0-255 and timeMs must not be NaN. */
  push(timeMs: number, kind: number, a: number, b: number, c: number): void {
    // NaN compares false both ways and would silently corrupt heap order.
    if (Number.isNaN(timeMs)) throw new Error('EventQueue.push: timeMs is NaN');
    // Uint8Array would silently wrap out-of-range kinds into a different event type.
    if ((kind & 0xff) !== kind) throw new Error(`EventQueue.push: kind must be an integer 0-255, got ${kind}`);
    if (this.freeCount === 0) this.grow();
    const slot = this.free[--this.freeCount]!;
    this.times[slot] = timeMs;
    this.seqs[slot] = this.nextSeq++;
    this.kinds[slot] = kind;
    this.payloadA[slot] = a;
    this.payloadB[slot] = b;
    this.payloadC[slot] = c;
    this.siftUp(this.count++, slot);
  }

  /** Removes the earliest event into the public fields; returns false when empty. */
  pop(): boolean {
    if (this.count === 0) return false;
    const heap = this.heap;
    const slot = heap[0]!;
    this.timeMs = this.times[slot]!;
    this.kind = this.kinds[slot]!;
    this.a = this.payloadA[slot]!;
    this.b = this.payloadB[slot]!;
    this.c = this.payloadC[slot]!;
    this.free[this.freeCount++] = slot;
    const last = heap[--this.count]!;
    if (this.count > 0) this.siftDown(0, last);
    return true;
  }

  private less(x: number, y: number): boolean {
    const tx = this.times[x]!;
    const ty = this.times[y]!;
    return tx < ty || (tx === ty && this.seqs[x]! < this.seqs[y]!);
  }

  // Hole-based sifts: move parents/children into the hole and write `slot` once at the end.
  private siftUp(pos: number, slot: number): void {
    const heap = this.heap;
    while (pos > 0) {
      const parentPos = (pos - 1) >> 1;
      const parent = heap[parentPos]!;
      if (!this.less(slot, parent)) break;
      heap[pos] = parent;
      pos = parentPos;
    }
    heap[pos] = slot;
  }

  private siftDown(pos: number, slot: number): void {
    const heap = this.heap;
    const n = this.count;
    for (;;) {
      let child = 2 * pos + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && this.less(heap[right]!, heap[child]!)) child = right;
      const childSlot = heap[child]!;
      if (!this.less(childSlot, slot)) break;
      heap[pos] = childSlot;
      pos = child;
    }
    heap[pos] = slot;
  }

  private grow(): void {
    const old = this.times.length;
    const n = old * 2;
    this.times = resized(this.times, n);
    this.seqs = resized(this.seqs, n);
    this.payloadA = resized(this.payloadA, n);
    this.payloadB = resized(this.payloadB, n);
    this.payloadC = resized(this.payloadC, n);
    const kinds = new Uint8Array(n);
    kinds.set(this.kinds);
    this.kinds = kinds;
    const heap = new Int32Array(n);
    heap.set(this.heap);
    this.heap = heap;
    // grow() only runs when every slot is taken, so the new free list is exactly the new slots.
    this.free = new Int32Array(n);
    for (let i = 0; i < n - old; i++) this.free[i] = n - 1 - i;
    this.freeCount = n - old;
  }
}

function resized(src: Float64Array, n: number): Float64Array {
  const dst = new Float64Array(n);
  dst.set(src);
  return dst;
}
