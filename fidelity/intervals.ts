import { makeRng } from '../scenarios/rng.ts';

/**
 * Confidence intervals of the fidelity table, and its "within target" rule.
 *
 * - A count of invocations (served, rejected, each path) is k of the n
 *   invocations counted, the same n in both runs (they replay one trace):
 *   its interval is the Wilson score interval of k / n, times n (Wilson,
 *   JASA 1927; Brown, Cai and DasGupta 2001 recommend it over the Wald
 *   interval, which collapses to a point at k = 0 and undercovers at small k).
 * - A latency quantile (p50, p90, p99, of latency or of overhead) gets a
 *   percentile bootstrap over the run's served invocations: a fixed number of
 *   resamples, drawn from a generator seeded by the run's seed and the cell,
 *   so the same runs give the same interval byte for byte.
 * - A cell is within target when the simulated figure's interval overlaps the
 *   target band around the real figure, [real - d, real + d] with d =
 *   max(t|real|, floor): the simulator is not refuted by this run at that
 *   target. The floor is the resolution of the real figure (half an
 *   invocation for a count; a millisecond for a time, as the real driver
 *   handles each event at a timer turn of 1 ms granularity), so that a real
 *   0 is not a band of one point that no interval of a sampled figure can
 *   meet. A cell with no interval (worker-seconds) is a point, and the rule
 *   is the old one.
 */

/** Two-sided confidence level of every interval. */
export const CONFIDENCE = 0.95;

/** The standard normal quantile of 1 - (1 - CONFIDENCE) / 2. */
export const Z_95 = 1.959963984540054;

/** Bootstrap resamples per quantile interval: enough for stable 2.5% / 97.5% ranks, cheap at a few thousand invocations. */
export const BOOTSTRAP_RESAMPLES = 1000;

/** A closed interval; both ends NaN when there is none. */
export interface Interval {
  readonly low: number;
  readonly high: number;
}

/** No interval. */
export const NO_INTERVAL: Interval = { low: Number.NaN, high: Number.NaN };

/**
 * The Wilson score interval of a proportion k / n, as counts (times n):
 * always within [0, n], containing k, and not empty at k = 0 or k = n.
 * NaN ends when n is 0 or k is not a count of n.
 */
export function wilsonCount(k: number, n: number, z = Z_95): Interval {
  if (!(n > 0) || !Number.isFinite(n) || !(k >= 0) || k > n || !Number.isFinite(k)) return NO_INTERVAL;
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  // Clamped so rounding never puts k outside its own interval, nor the interval outside [0, n].
  return { low: Math.min(k, Math.max(0, (centre - half) * n)), high: Math.max(k, Math.min(n, (centre + half) * n)) };
}

/** Nearest rank of quantile q among n values (1-based), as reports/summary.ts ranks. */
function rank(q: number, n: number): number {
  return Math.min(n, Math.max(1, Math.ceil(q * n)));
}

/**
 * Percentile-bootstrap intervals of nearest-rank quantiles `qs` of `values`:
 * `resamples` times, n values are drawn with replacement and each quantile of
 * the resample is taken; the interval is the nearest-rank 2.5% and 97.5% of
 * those. Deterministic: the draws come from `makeRng(seed, stream)`. One
 * resample costs O(n) (a histogram over the sorted values, no sort). NaN ends
 * with no value.
 */
export function bootstrapQuantiles(values: readonly number[], qs: readonly number[], seed: number, stream: string, resamples = BOOTSTRAP_RESAMPLES): Interval[] {
  const n = values.length;
  if (n === 0) return qs.map(() => NO_INTERVAL);
  if (!Number.isInteger(resamples) || resamples < 1) throw new Error(`bootstrapQuantiles: resamples must be a positive integer, got ${resamples}`);
  const sorted = Float64Array.from(values).sort();
  const rng = makeRng(seed, `bootstrap:${stream}`);
  const counts = new Uint32Array(n);
  const ranks = qs.map((q) => rank(q, n));
  const stats = qs.map(() => new Float64Array(resamples));
  for (let b = 0; b < resamples; b++) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[Math.floor(rng() * n)]! += 1;
    // Walk the histogram once, picking each quantile's value as its rank is reached (ranks need not be sorted).
    let seen = 0;
    const got = new Array<boolean>(qs.length).fill(false);
    let left = qs.length;
    for (let i = 0; i < n && left > 0; i++) {
      seen += counts[i]!;
      for (let j = 0; j < qs.length; j++) {
        if (!got[j] && seen >= ranks[j]!) {
          stats[j]![b] = sorted[i]!;
          got[j] = true;
          left -= 1;
        }
      }
    }
  }
  const tail = (1 - CONFIDENCE) / 2;
  return stats.map((s) => {
    s.sort();
    return { low: s[rank(tail, resamples) - 1]!, high: s[rank(1 - tail, resamples) - 1]! };
  });
}

/** The target band around the real figure: real ± max(t|real|, floor), floor the real figure's resolution (0: none). */
export function targetBand(real: number, target: number, floor = 0): Interval {
  const d = Math.max(target * Math.abs(real), floor);
  return { low: real - d, high: real + d };
}

/** Resolution of a real count of invocations: half of one. */
export const COUNT_FLOOR = 0.5;

/** Resolution of a real time, ms: the driver handles each event at a timer turn (setTimeout's 1 ms granularity). */
export const TIME_FLOOR_MS = 1;

/**
 * Whether a cell is within target: the simulated figure's interval (the
 * point `sim` itself where it has none) overlaps the target band around
 * `real` (see {@link targetBand}; `floor` the real figure's resolution).
 * Undefined when either figure is missing.
 */
export function withinTarget(sim: number, simInterval: Interval, real: number, target: number, floor = 0): boolean | undefined {
  if (!Number.isFinite(sim) || !Number.isFinite(real)) return undefined;
  const low = Number.isFinite(simInterval.low) ? Math.min(simInterval.low, sim) : sim;
  const high = Number.isFinite(simInterval.high) ? Math.max(simInterval.high, sim) : sim;
  const band = targetBand(real, target, floor);
  // A relative tolerance of a few ulps: 110 against 100 ± 10% is within, whatever the rounding of 0.1 * 100.
  const eps = 1e-9 * Math.max(1, Math.abs(real));
  return high >= band.low - eps && low <= band.high + eps;
}
