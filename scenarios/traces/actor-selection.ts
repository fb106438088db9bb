import { keyedUniform } from './keyed-random.ts';

/**
 * The actors an import keeps: every actor offered, or a uniform random sample of `limit`.
 * Sampling is bottom-k: each actor name gets a seeded hash key in [0, 1) and the `limit`
 * smallest keys (ties by name) win, which is a uniform random subset that can be decided
 * row by row while streaming, whatever the file order, and is the same for the same seed.
 * An actor displaced by a smaller key is evicted (`onEvict`), so its rows can be dropped.
 */
export class ActorSelection {
  private readonly limit: number;
  private readonly seed: number;
  private readonly onEvict: (slot: number) => void;
  private readonly slotOf = new Map<string, number>();
  // Per slot, in admission order; an evicted slot keeps its place with an empty name.
  private readonly names: string[] = [];
  private readonly keys: number[] = [];
  private readonly live: boolean[] = [];
  // Max-heap of live slots by (key, name) when sampling: the root is the next to go.
  private readonly heap: number[] = [];
  private liveCount = 0;

  /** `limit` undefined keeps every actor; `seed` is a 32-bit value from seedBits(). */
  constructor(limit: number | undefined, seed: number, onEvict: (slot: number) => void = () => {}) {
    this.limit = limit ?? Infinity;
    this.seed = seed;
    this.onEvict = onEvict;
  }

  /** Slot of the actor named `name`, admitting it if it belongs in the sample; -1 if it does not (now or ever after). */
  offer(name: string): number {
    const known = this.slotOf.get(name);
    if (known !== undefined) return known;
    if (this.limit === Infinity) return this.add(name, 0);
    const key = keyedUniform(name, this.seed);
    if (this.heap.length < this.limit) {
      const slot = this.add(name, key);
      this.heap.push(slot);
      this.siftUp(this.heap.length - 1);
      return slot;
    }
    const worst = this.heap[0]!;
    // The worst kept key only decreases, so a rejected name stays rejected.
    if (!this.ranksBefore(key, name, worst)) return -1;
    const slot = this.add(name, key);
    this.heap[0] = slot;
    this.siftDown(0);
    this.evict(worst);
    return slot;
  }

  /** Whether `slot` is still selected. */
  isLive(slot: number): boolean {
    return this.live[slot] === true;
  }

  /** Name of a live slot. */
  nameOf(slot: number): string {
    return this.names[slot]!;
  }

  /** Number of slots ever handed out (live or evicted). */
  get slotCount(): number {
    return this.names.length;
  }

  /** Number of selected actors. */
  get size(): number {
    return this.liveCount;
  }

  /** Live slots in admission order, which is the order in which the actors first appeared. */
  liveSlots(): number[] {
    const out: number[] = [];
    for (let slot = 0; slot < this.live.length; slot++) if (this.live[slot] === true) out.push(slot);
    return out;
  }

  private add(name: string, key: number): number {
    const slot = this.names.length;
    this.names.push(name);
    this.keys.push(key);
    this.live.push(true);
    this.slotOf.set(name, slot);
    this.liveCount++;
    return slot;
  }

  private evict(slot: number): void {
    this.slotOf.delete(this.names[slot]!);
    this.live[slot] = false;
    this.names[slot] = '';
    this.liveCount--;
    this.onEvict(slot);
  }

  private ranksBefore(key: number, name: string, slot: number): boolean {
    const other = this.keys[slot]!;
    return key < other || (key === other && name < this.names[slot]!);
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const slot = heap[i]!;
      const up = heap[parent]!;
      if (!this.ranksBefore(this.keys[up]!, this.names[up]!, slot)) return;
      heap[i] = up;
      heap[parent] = slot;
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) return;
      let top = left;
      const right = left + 1;
      if (right < n && this.ranksBefore(this.keys[heap[left]!]!, this.names[heap[left]!]!, heap[right]!)) top = right;
      const slot = heap[i]!;
      const child = heap[top]!;
      if (!this.ranksBefore(this.keys[slot]!, this.names[slot]!, child)) return;
      heap[i] = child;
      heap[top] = slot;
      i = top;
    }
  }
}
