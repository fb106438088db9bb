/** A min-heap of arrivals on (time, insertion order), in typed arrays; pop() leaves the row in the public fields. */
export class RowHeap {
  timeMs = 0;
  actor = 0;
  workMs = 0;
  private times = new Float64Array(64);
  private seqs = new Float64Array(64);
  private actors = new Int32Array(64);
  private works = new Float64Array(64);
  size = 0;
  private nextSeq = 0;

  minTimeMs(): number {
    return this.times[0]!;
  }

  push(timeMs: number, actor: number, workMs: number): void {
    if (this.size === this.times.length) this.grow();
    let pos = this.size++;
    const seq = this.nextSeq++;
    while (pos > 0) {
      const parent = (pos - 1) >> 1;
      if (!this.before(timeMs, seq, parent)) break;
      this.move(parent, pos);
      pos = parent;
    }
    this.put(pos, timeMs, seq, actor, workMs);
  }

  pop(): void {
    this.timeMs = this.times[0]!;
    this.actor = this.actors[0]!;
    this.workMs = this.works[0]!;
    const last = --this.size;
    if (last === 0) return;
    const t = this.times[last]!;
    const s = this.seqs[last]!;
    const a = this.actors[last]!;
    const w = this.works[last]!;
    let pos = 0;
    for (;;) {
      let child = 2 * pos + 1;
      if (child >= last) break;
      if (child + 1 < last && this.before(this.times[child + 1]!, this.seqs[child + 1]!, child)) child += 1;
      if (!this.beforeRow(child, t, s)) break;
      this.move(child, pos);
      pos = child;
    }
    this.put(pos, t, s, a, w);
  }

  /** (t, s) sorts before row k. */
  private before(t: number, s: number, k: number): boolean {
    const tk = this.times[k]!;
    return t < tk || (t === tk && s < this.seqs[k]!);
  }

  /** Row k sorts before (t, s). */
  private beforeRow(k: number, t: number, s: number): boolean {
    const tk = this.times[k]!;
    return tk < t || (tk === t && this.seqs[k]! < s);
  }

  private move(from: number, to: number): void {
    this.times[to] = this.times[from]!;
    this.seqs[to] = this.seqs[from]!;
    this.actors[to] = this.actors[from]!;
    this.works[to] = this.works[from]!;
  }

  private put(k: number, t: number, s: number, a: number, w: number): void {
    this.times[k] = t;
    this.seqs[k] = s;
    this.actors[k] = a;
    this.works[k] = w;
  }

  private grow(): void {
    const n = this.times.length * 2;
    const times = new Float64Array(n);
    times.set(this.times);
    this.times = times;
    const seqs = new Float64Array(n);
    seqs.set(this.seqs);
    this.seqs = seqs;
    const actors = new Int32Array(n);
    actors.set(this.actors);
    this.actors = actors;
    const works = new Float64Array(n);
    works.set(this.works);
    this.works = works;
  }
}
