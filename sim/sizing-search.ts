/**
 * The search for the smallest value of a knob in [lo, hi] that meets a goal,
 * assuming "meets" is monotone in the value (false up to some value, true
 * from there on): exponential growth from lo (lo, 2 lo, 4 lo, ... capped at
 * hi; from 0: 0, 1, 2, 4, ...) until a value meets, then bisection between
 * the largest value that missed and the smallest that met. About
 * 2 log2(hi / lo) probes; never more than `maxProbes`. One probe at a time
 * (`next`, then `record`), so a caller can run the probes of many searches
 * together.
 */
export class MonotoneSearch {
  /** Largest value known to miss; lo - 1 before any. */
  private missAt: number;
  /** Smallest value known to meet. */
  private meetAt: number | undefined;
  private probes = 0;

  constructor(
    readonly lo: number,
    readonly hi: number,
    readonly maxProbes: number,
  ) {
    if (!(Number.isSafeInteger(lo) && Number.isSafeInteger(hi) && lo >= 0 && hi >= lo)) throw new Error(`MonotoneSearch: bad range ${lo}..${hi}`);
    if (!(Number.isSafeInteger(maxProbes) && maxProbes >= 1)) throw new Error(`MonotoneSearch: maxProbes must be a positive integer, got ${maxProbes}`);
    this.missAt = lo - 1;
  }

  /** The value to probe next, or undefined when the search is over (settled, or out of probes). */
  next(): number | undefined {
    if (this.settled() || this.probes >= this.maxProbes) return undefined;
    if (this.meetAt !== undefined) return Math.floor((this.missAt + this.meetAt) / 2);
    if (this.missAt < this.lo) return this.lo;
    return Math.min(this.hi, Math.max(this.missAt + 1, 2 * this.missAt));
  }

  /** Records the verdict of a probe of `value`. */
  record(value: number, meets: boolean): void {
    this.probes += 1;
    if (meets) this.meetAt = this.meetAt === undefined ? value : Math.min(this.meetAt, value);
    else this.missAt = Math.max(this.missAt, value);
  }

  private settled(): boolean {
    return this.meetAt !== undefined ? this.meetAt - this.missAt <= 1 : this.missAt >= this.hi;
  }

  /** found: the smallest value that meets; none: hi misses; unsettled: out of probes (value: the smallest that met, if any). */
  result(): { readonly kind: 'found' | 'none' | 'unsettled'; readonly value?: number } {
    if (this.meetAt !== undefined && this.meetAt - this.missAt <= 1) return { kind: 'found', value: this.meetAt };
    if (this.meetAt === undefined && this.missAt >= this.hi) return { kind: 'none' };
    return this.meetAt === undefined ? { kind: 'unsettled' } : { kind: 'unsettled', value: this.meetAt };
  }

  /** Probes recorded so far. */
  get probed(): number {
    return this.probes;
  }
}
