/**
 * Min-priority queue of a run's events ordered by (timeMs, insertion order),
 * allocation-free once warm: the one event heap of the simulator and the real
 * driver. Besides the heap it keeps one FIFO lane (`pushFifo`) for events that
 * are mostly pushed in time order (idle timers at a constant TTL, the bulk of
 * a large fleet's pending events): those cost O(1) to push and pop instead
 * of O(log n), and leave the heap small. Lane and heap share one insertion
 * counter and `pop` takes the lesser (timeMs, insertion order) of the heap's
 * top and the lane's head, so the order of events is the same as with the
 * heap alone, whichever way each was pushed. One lane, not one per kind:
 * choosing among several heads cost more at small depths than it saved.
 */
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

  // A 4-ary heap: half the levels of a binary one, the four children of an
  // entry side by side in one cache line of times (at x100 of the fleet
  // scenario the heap holds some 1,300 events and a pop sifted down 8.6
  // levels, against 2.7 at x1). The heap keeps each entry's key (time,
  // sequence) beside it, in heap order: sifting compares entries that sit next to each other, and the top
  // levels stay in cache, where reading keys through slot indices would miss
  // the cache at every level once tens of thousands of events are pending.
  private heapTimes: Float64Array;
  // Float64 rather than Int32 because a long run can exceed 2^31 pushes; exact up to 2^53.
  private heapSeqs: Float64Array;
  private heapSlots: Int32Array;
  // Payloads by slot, written once at push and read once at pop.
  private kinds: Uint8Array;
  private payloadA: Float64Array;
  private payloadB: Float64Array;
  private payloadC: Float64Array;
  // Stack of unused slots; a popped slot is reused by the next push.
  private free: Int32Array;
  private freeCount: number;
  private count = 0;
  private nextSeq = 0;
  // The FIFO lane (pushFifo).
  private readonly lane = new Lane();

  constructor(initialCapacity = 1024) {
    if (!Number.isInteger(initialCapacity) || initialCapacity < 1) {
      throw new Error(`EventQueue: initialCapacity must be a positive integer, got ${initialCapacity}`);
    }
    const n = initialCapacity;
    this.heapTimes = new Float64Array(n);
    this.heapSeqs = new Float64Array(n);
    this.heapSlots = new Int32Array(n);
    this.kinds = new Uint8Array(n);
    this.payloadA = new Float64Array(n);
    this.payloadB = new Float64Array(n);
    this.payloadC = new Float64Array(n);
    this.free = new Int32Array(n);
    // Fill so that slot 0 is handed out first, which keeps early slots hot in cache.
    for (let i = 0; i < n; i++) this.free[i] = n - 1 - i;
    this.freeCount = n;
  }

  /** Number of events currently queued. */
  get size(): number {
    return this.count + this.lane.count;
  }

  /** Total number of events ever pushed. */
  get pushed(): number {
    return this.nextSeq;
  }

  /** Time of the earliest queued event, or Infinity when empty. */
  peekTime(): number {
    const t = this.count === 0 ? Infinity : this.heapTimes[0]!;
    const l = this.lane;
    return l.count > 0 && l.times[l.head]! < t ? l.times[l.head]! : t;
  }

  /** Enqueues an event; kind must be an integer in 0-255 and timeMs must not be NaN. */
  push(timeMs: number, kind: number, a: number, b: number, c: number): void {
    // NaN compares false both ways and would silently corrupt heap order.
    if (Number.isNaN(timeMs)) throw new Error('EventQueue.push: timeMs is NaN');
    // Uint8Array would silently wrap out-of-range kinds into a different event type.
    if ((kind & 0xff) !== kind) throw new Error(`EventQueue.push: kind must be an integer 0-255, got ${kind}`);
    if (this.freeCount === 0) this.grow();
    const slot = this.free[--this.freeCount]!;
    this.kinds[slot] = kind;
    this.payloadA[slot] = a;
    this.payloadB[slot] = b;
    this.payloadC[slot] = c;
    this.siftUp(this.count++, timeMs, this.nextSeq++, slot);
  }

  /**
   * Enqueues an event as `push` does, in the FIFO lane when it is not
   * earlier than the lane's newest event, else in the heap: the order of
   * events is push's either way, only the cost differs.
   */
  pushFifo(timeMs: number, kind: number, a: number, b: number, c: number): void {
    const l = this.lane;
    // Also refuses NaN and bad kinds, which the heap's push reports.
    if (!(timeMs >= l.lastTimeMs) || (kind & 0xff) !== kind) {
      this.push(timeMs, kind, a, b, c);
      return;
    }
    l.add(timeMs, this.nextSeq++, kind, a, b, c);
  }

  /** Removes the earliest event into the public fields; returns false when empty. */
  pop(): boolean {
    const l = this.lane;
    if (l.count > 0) {
      const h = l.head;
      const t = l.times[h]!;
      // The lane's head, when it comes before the heap's top (time, then insertion order).
      if (this.count === 0 || t < this.heapTimes[0]! || (t === this.heapTimes[0]! && l.seqs[h]! < this.heapSeqs[0]!)) {
        this.timeMs = t;
        this.kind = l.kinds[h]!;
        this.a = l.as[h]!;
        this.b = l.bs[h]!;
        this.c = l.cs[h]!;
        l.head = (h + 1) & l.mask;
        // An empty lane takes any time next.
        if (--l.count === 0) l.lastTimeMs = -Infinity;
        return true;
      }
    }
    if (this.count === 0) return false;
    const slot = this.heapSlots[0]!;
    this.timeMs = this.heapTimes[0]!;
    this.kind = this.kinds[slot]!;
    this.a = this.payloadA[slot]!;
    this.b = this.payloadB[slot]!;
    this.c = this.payloadC[slot]!;
    this.free[this.freeCount++] = slot;
    const last = --this.count;
    if (last > 0) this.siftDown(0, this.heapTimes[last]!, this.heapSeqs[last]!, this.heapSlots[last]!);
    return true;
  }

  // Hole-based sifts: move parents/children into the hole and write the entry once at the end.
  private siftUp(pos: number, time: number, seq: number, slot: number): void {
    const times = this.heapTimes;
    const seqs = this.heapSeqs;
    const slots = this.heapSlots;
    while (pos > 0) {
      const parent = (pos - 1) >> 2;
      const pt = times[parent]!;
      if (!(time < pt || (time === pt && seq < seqs[parent]!))) break;
      times[pos] = pt;
      seqs[pos] = seqs[parent]!;
      slots[pos] = slots[parent]!;
      pos = parent;
    }
    times[pos] = time;
    seqs[pos] = seq;
    slots[pos] = slot;
  }

  private siftDown(pos: number, time: number, seq: number, slot: number): void {
    const times = this.heapTimes;
    const seqs = this.heapSeqs;
    const slots = this.heapSlots;
    const n = this.count;
    for (;;) {
      const first = 4 * pos + 1;
      if (first >= n) break;
      // The earliest of up to four children, which sit side by side.
      let child = first;
      let ct = times[first]!;
      let cs = seqs[first]!;
      const end = first + 4 < n ? first + 4 : n;
      for (let k = first + 1; k < end; k++) {
        const kt = times[k]!;
        if (kt < ct || (kt === ct && seqs[k]! < cs)) {
          child = k;
          ct = kt;
          cs = seqs[k]!;
        }
      }
      if (!(ct < time || (ct === time && cs < seq))) break;
      times[pos] = ct;
      seqs[pos] = cs;
      slots[pos] = slots[child]!;
      pos = child;
    }
    times[pos] = time;
    seqs[pos] = seq;
    slots[pos] = slot;
  }

  private grow(): void {
    const old = this.heapTimes.length;
    const n = old * 2;
    this.heapTimes = resized(this.heapTimes, n);
    this.heapSeqs = resized(this.heapSeqs, n);
    this.payloadA = resized(this.payloadA, n);
    this.payloadB = resized(this.payloadB, n);
    this.payloadC = resized(this.payloadC, n);
    const kinds = new Uint8Array(n);
    kinds.set(this.kinds);
    this.kinds = kinds;
    const slots = new Int32Array(n);
    slots.set(this.heapSlots);
    this.heapSlots = slots;
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

/** A FIFO lane of EventQueue: a ring of events in (time, insertion) order. */
class Lane {
  times = new Float64Array(256);
  seqs = new Float64Array(256);
  kinds = new Uint8Array(256);
  as = new Float64Array(256);
  bs = new Float64Array(256);
  cs = new Float64Array(256);
  head = 0;
  count = 0;
  mask = 255;
  /** Time of the newest event held: a push must not be earlier (-Infinity when empty). */
  lastTimeMs = -Infinity;

  add(timeMs: number, seq: number, kind: number, a: number, b: number, c: number): void {
    if (this.count === this.mask + 1) this.grow();
    const i = (this.head + this.count) & this.mask;
    this.times[i] = timeMs;
    this.seqs[i] = seq;
    this.kinds[i] = kind;
    this.as[i] = a;
    this.bs[i] = b;
    this.cs[i] = c;
    this.count += 1;
    this.lastTimeMs = timeMs;
  }

  /** Doubles the ring, its events moved to the front in order. */
  private grow(): void {
    const n = (this.mask + 1) * 2;
    const order = <T extends Float64Array | Uint8Array>(from: T, to: T): T => {
      for (let k = 0; k < this.count; k++) to[k] = from[(this.head + k) & this.mask]!;
      return to;
    };
    this.times = order(this.times, new Float64Array(n));
    this.seqs = order(this.seqs, new Float64Array(n));
    this.kinds = order(this.kinds, new Uint8Array(n));
    this.as = order(this.as, new Float64Array(n));
    this.bs = order(this.bs, new Float64Array(n));
    this.cs = order(this.cs, new Float64Array(n));
    this.head = 0;
    this.mask = n - 1;
  }
}
