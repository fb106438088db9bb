/**
 * The core's timers in the real driver: a binary min-heap on (time, insertion
 * order). Stale timers are not removed; the core ignores them by stamp.
 * Small and separate from the simulator's event queue because real/ and sim/
 * never import each other.
 */
export class TimerHeap {
  private readonly items: { atMs: number; seq: number; kind: string; id: number; stamp: number }[] = [];
  private seq = 0;
  /** Fields of the last popped timer. */
  kind = '';
  id = 0;
  stamp = 0;

  /** Number of pending timers. */
  get size(): number {
    return this.items.length;
  }

  /** Adds a timer. */
  push(atMs: number, kind: string, id: number, stamp: number): void {
    const item = { atMs, seq: this.seq++, kind, id, stamp };
    const h = this.items;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  /** Time of the earliest timer, Infinity when none. */
  peekTime(): number {
    return this.items[0]?.atMs ?? Number.POSITIVE_INFINITY;
  }

  /** Removes the earliest timer into the fields; false when empty. */
  pop(): boolean {
    const h = this.items;
    const top = h[0];
    if (top === undefined) return false;
    const lastItem = h.pop()!;
    if (h.length > 0) {
      h[0] = lastItem;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    this.kind = top.kind;
    this.id = top.id;
    this.stamp = top.stamp;
    return true;
  }

  private less(a: { atMs: number; seq: number }, b: { atMs: number; seq: number }): boolean {
    return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
  }
}
