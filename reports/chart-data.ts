import type { Reply } from '../core/types.ts';
import type { Sample } from '../core/result.ts';

/** One point of an empirical CDF: the share of served invocations at or under `latencyMs`. */
export interface CdfPoint {
  readonly latencyMs: number;
  readonly fraction: number;
}

/** A cut-down empirical CDF and how many latencies it was drawn from. */
export interface Cdf {
  readonly served: number;
  readonly points: CdfPoint[];
}

/**
 * The latency CDF of the served invocations arriving at or after `warmupMs`,
 * cut down to about `maxPoints` points so a report of 200k invocations stays
 * small. Points go where each view of a CDF needs them: 40% at evenly spaced
 * ranks (the body), 40% at latencies evenly spaced on a log scale (what a
 * log axis shows), 20% evenly spaced in "nines" (p90, p99, p99.9: the
 * tail), plus the maximum and the nearest-rank p50, p90, p99 and p99.9.
 * Latencies under `minMs` are clamped to it, since a log axis cannot show 0.
 */
export function latencyCdf(replies: readonly Reply[], warmupMs = 0, maxPoints = 200, minMs = 1): Cdf {
  return servedCdf(replies, warmupMs, maxPoints, minMs, (r) => r.endMs - r.arrivalMs);
}

/**
 * The CDF of the overhead of the same invocations: latency minus execution,
 * what the platform adds (parked, worker start, restore, queued). Policy sets
 * whose latencies coincide (the agent's own work dominates) differ here.
 * Overheads under `minMs` (a warm invocation's 0) are clamped to it.
 */
export function overheadCdf(replies: readonly Reply[], warmupMs = 0, maxPoints = 200, minMs = 1): Cdf {
  return servedCdf(replies, warmupMs, maxPoints, minMs, (r) => r.endMs - r.arrivalMs - r.parts.execMs);
}

/** The smallest and largest finite values, by a loop: spreading a large array into Math.min overflows the stack. */
export function extent(values: Iterable<number>): [number, number] | undefined {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : undefined;
}

function servedCdf(replies: readonly Reply[], warmupMs: number, maxPoints: number, minMs: number, valueOf: (r: Reply) => number): Cdf {
  const values: number[] = [];
  for (const r of replies) {
    const v = valueOf(r);
    // A non-finite value (a runtime's bug) would take the whole chart's axis with it.
    if (r.outcome === 'served' && r.arrivalMs >= warmupMs && Number.isFinite(v)) values.push(Math.max(minMs, v));
  }
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) return { served: 0, points: [] };
  const ranks = new Set<number>([n]);
  const body = Math.max(2, Math.round(maxPoints * 0.4));
  for (let i = 1; i <= body; i++) ranks.add(Math.ceil((i / body) * n));
  const lo = Math.log(sorted[0]!);
  const hi = Math.log(sorted[n - 1]!);
  for (let i = 0; i < body && hi > lo; i++) ranks.add(upperBound(sorted, Math.exp(lo + ((hi - lo) * i) / (body - 1))));
  const topNines = Math.log10(n);
  const tail = Math.max(2, Math.round(maxPoints * 0.2));
  for (let i = 0; i <= tail; i++) ranks.add(Math.ceil((1 - 10 ** (-(topNines * i) / tail)) * n));
  // The percentiles the summary table shows, exactly where it computes them (nearest rank).
  for (const q of [0.5, 0.9, 0.99, 0.999]) ranks.add(Math.ceil(q * n));
  const points = [...ranks]
    .filter((k) => k >= 1 && k <= n)
    .sort((a, b) => a - b)
    .map((k) => ({ latencyMs: sorted[k - 1]!, fraction: k / n }));
  return { served: n, points };
}

/** Number of values ≤ x in an ascending array. */
function upperBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Cuts a time series down to at most `maxPoints` points by taking, in each
 * of equal runs of samples, the first time and the maximum of each series,
 * so peaks (what capacity is sized for) survive the cut.
 */
export function downsampleSamples(samples: readonly Sample[], maxPoints = 360): Sample[] {
  if (samples.length <= maxPoints) return [...samples];
  const per = Math.ceil(samples.length / maxPoints);
  const out: Sample[] = [];
  for (let i = 0; i < samples.length; i += per) {
    const first = samples[i]!;
    let { workers, resident, parked } = first;
    for (let j = i + 1; j < Math.min(samples.length, i + per); j++) {
      const s = samples[j]!;
      workers = Math.max(workers, s.workers);
      resident = Math.max(resident, s.resident);
      parked = Math.max(parked, s.parked);
    }
    out.push({ timeMs: first.timeMs, workers, resident, parked });
  }
  return out;
}
