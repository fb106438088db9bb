import { NONE } from './codes.ts';
import type { WorkerRec } from './pools.ts';
import { type ActorTable, isEvictable, R32, R64 } from './tables.ts';

// Where an actor stands in the index.
const OUT = 0; // not an eviction candidate
const ON_FULL = 1; // idle, not being evicted, on a READY shared worker with no free slot: in its pool's heap
const ON_OPEN = 2; // idle, not being evicted, on a worker with a free slot: counted only
/** Bits of an actor's `rec` word: where it stands, its dirty flag, and from POOL_SHIFT up its pool. */
const WHERE = 3;
const DIRTY = 4;
const POOL_SHIFT = 3;

/**
 * The idle residents of each pool that an eviction may take, indexed so an
 * LRU victim search costs O(log n) instead of a scan of every worker and a
 * sort of its residents (issue 15: 37.5% of the CPU at 400 workers).
 *
 * Per pool, a 4-ary heap of the candidates on full workers keyed by
 * (lastUsedMs, worker id, actor index): exactly the order in which the scan
 * of RankedEviction picks a single victim (lowest rank; ties to the worker
 * first in the pool's creation order, then to the lower actor index). Idle
 * candidates on workers with a free slot are only counted: the scan answers
 * ROOM_WITHOUT_EVICTING for them.
 *
 * The scheduler marks an actor dirty wherever its state, running or queued
 * work, worker, last use or eviction may have changed (and every resident
 * of a worker whose free slots changed); the index re-files dirty actors
 * before it answers. A heap entry keeps its key as it was filed, so an actor
 * whose fields moved since does not break the heap before it is re-filed.
 */
export class IdleIndex {
  private readonly pools: PoolHeap[];
  /**
   * Per actor, two Int32 side by side, so that filing an actor touches one
   * cache line rather than one per field (four columns were four misses per
   * actor once a fleet's actors outgrow the cache, issue 15):
   * `rec[2a]` its position in its pool's heap while ON_FULL;
   * `rec[2a + 1]` where it stands (OUT, ON_FULL or ON_OPEN, bits 0-1), its
   * dirty flag (DIRTY) and the pool it is filed under while not OUT (from POOL_SHIFT).
   */
  private rec = new Int32Array(2 * 1024);
  /** The dirty actors, dirty[0 .. dirtyCount), as a typed array: clearing it is a store of the count. */
  private dirty = new Int32Array(1024);
  private dirtyCount = 0;

  /** `enabled` false (a policy that never evicts): marks are dropped and nothing is filed. */
  constructor(
    pools: number,
    private readonly enabled = true,
  ) {
    this.pools = Array.from({ length: pools }, () => new PoolHeap());
  }

  /** The actor's candidacy may have changed. */
  mark(a: number): void {
    if (!this.enabled) return;
    if (2 * a >= this.rec.length) this.grow(a);
    const i = 2 * a + 1;
    const meta = this.rec[i]!;
    if ((meta & DIRTY) !== 0) return;
    this.rec[i] = meta | DIRTY;
    if (this.dirtyCount === this.dirty.length) {
      const grown = new Int32Array(this.dirty.length * 2);
      grown.set(this.dirty);
      this.dirty = grown;
    }
    this.dirty[this.dirtyCount++] = a;
  }

  /** Every resident of `w` (its free slots changed). */
  markWorker(w: WorkerRec): void {
    const xs = w.actors;
    for (let i = 0; i < xs.length; i++) this.mark(xs[i]!);
  }

  /**
   * Re-files the dirty actors. `workers` maps a worker id to its record;
   * `poolIndex` gives an actor's pool.
   */
  flush(A: ActorTable, workers: readonly (WorkerRec | undefined)[], poolIndex: (a: number) => number): void {
    const dirty = this.dirty;
    const n = this.dirtyCount;
    if (n === 0) return;
    const rec = this.rec;
    for (let i = 0; i < n; i++) {
      const a = dirty[i]!;
      // Clears the dirty flag and takes the actor out of the index: OUT, dirty off, no pool.
      this.unfile(a);
      rec[2 * a + 1] = OUT;
      if (!isEvictable(A, a)) continue;
      const wid = A.worker[a * R32]!;
      if (wid === NONE) continue;
      const w = workers[wid]!;
      if (w.state !== 'READY' || w.dedicatedActor !== NONE) continue;
      const p = poolIndex(a);
      const heap = this.pools[p]!;
      if (w.resident < w.actorSlots) {
        rec[2 * a + 1] = (p << POOL_SHIFT) | ON_OPEN;
        heap.onOpen += 1;
      } else {
        rec[2 * a + 1] = (p << POOL_SHIFT) | ON_FULL;
        heap.push(a, A.lastUsedMs[a * R64]!, wid, rec);
      }
    }
    this.dirtyCount = 0;
  }

  /** Candidates in pool `p` (call after flush). */
  candidates(p: number): number {
    const h = this.pools[p]!;
    return h.size + h.onOpen;
  }

  /** Idle candidates on workers with a free slot in pool `p` (call after flush). */
  onOpen(p: number): number {
    return this.pools[p]!.onOpen;
  }

  /** The LRU candidate on a full worker of pool `p`, or NONE (call after flush). */
  lruOnFull(p: number): number {
    const h = this.pools[p]!;
    return h.size === 0 ? NONE : h.actors[0]!;
  }

  /** Takes the actor out of its pool's heap or count; the caller then sets its `rec` word. */
  private unfile(a: number): void {
    const meta = this.rec[2 * a + 1]!;
    const was = meta & WHERE;
    if (was === OUT) return;
    const heap = this.pools[meta >>> POOL_SHIFT]!;
    if (was === ON_OPEN) heap.onOpen -= 1;
    else heap.remove(this.rec[2 * a]!, this.rec);
  }

  private grow(a: number): void {
    let n = this.rec.length >> 1;
    while (n <= a) n *= 2;
    const rec = new Int32Array(2 * n);
    rec.set(this.rec);
    this.rec = rec;
  }
}

/**
 * A 4-ary min-heap of actors keyed by (rank, worker id, actor index), keys
 * stored beside them; `pos` is IdleIndex's `rec`, where it keeps each actor's
 * position at index 2a. Four children rather than two: nearly every filing
 * is followed by the removal of the top (an LRU victim), whose sift down
 * moves one entry per level and writes that entry's actor's position, a
 * cache miss in a fleet of 200,000 actors; half the levels, half the
 * misses (at x100 of the fleet 11 such writes per invocation).
 */
class PoolHeap {
  size = 0;
  onOpen = 0;
  actors = new Int32Array(64);
  private ranks = new Float64Array(64);
  private workers = new Int32Array(64);

  push(a: number, rank: number, worker: number, pos: Int32Array): void {
    if (this.size === this.actors.length) this.grow();
    this.up(this.size++, a, rank, worker, pos);
  }

  remove(i: number, pos: Int32Array): void {
    const last = --this.size;
    if (i === last) return;
    const a = this.actors[last]!;
    const r = this.ranks[last]!;
    const w = this.workers[last]!;
    // The moved entry may belong above or below the hole.
    if (i > 0 && this.less(r, w, a, (i - 1) >> 2)) this.up(i, a, r, w, pos);
    else this.down(i, a, r, w, pos);
  }

  /** (r, w, a) sorts before the entry at heap position j. */
  private less(r: number, w: number, a: number, j: number): boolean {
    const rj = this.ranks[j]!;
    if (r !== rj) return r < rj;
    const wj = this.workers[j]!;
    if (w !== wj) return w < wj;
    return a < this.actors[j]!;
  }

  private up(i: number, a: number, r: number, w: number, pos: Int32Array): void {
    while (i > 0) {
      const parent = (i - 1) >> 2;
      if (!this.less(r, w, a, parent)) break;
      this.set(i, this.actors[parent]!, this.ranks[parent]!, this.workers[parent]!, pos);
      i = parent;
    }
    this.set(i, a, r, w, pos);
  }

  private down(i: number, a: number, r: number, w: number, pos: Int32Array): void {
    const n = this.size;
    for (;;) {
      const first = 4 * i + 1;
      if (first >= n) break;
      // The least of up to four children, which sit side by side.
      let c = first;
      const end = Math.min(first + 4, n);
      for (let d = first + 1; d < end; d++) if (this.less(this.ranks[d]!, this.workers[d]!, this.actors[d]!, c)) c = d;
      if (!this.entryBefore(c, r, w, a)) break;
      this.set(i, this.actors[c]!, this.ranks[c]!, this.workers[c]!, pos);
      i = c;
    }
    this.set(i, a, r, w, pos);
  }

  /** The entry at position c sorts before (r, w, a). */
  private entryBefore(c: number, r: number, w: number, a: number): boolean {
    const rc = this.ranks[c]!;
    if (rc !== r) return rc < r;
    const wc = this.workers[c]!;
    if (wc !== w) return wc < w;
    return this.actors[c]! < a;
  }

  private set(i: number, a: number, r: number, w: number, pos: Int32Array): void {
    this.actors[i] = a;
    this.ranks[i] = r;
    this.workers[i] = w;
    // The actor's heap position: the first of its two words in IdleIndex's `rec`.
    pos[2 * a] = i;
  }

  private grow(): void {
    const n = this.actors.length * 2;
    const actors = new Int32Array(n);
    actors.set(this.actors);
    this.actors = actors;
    const ranks = new Float64Array(n);
    ranks.set(this.ranks);
    this.ranks = ranks;
    const workers = new Int32Array(n);
    workers.set(this.workers);
    this.workers = workers;
  }
}
