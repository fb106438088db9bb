import { stringify } from 'csv-stringify/sync';
import { ms, type SummaryRow } from './summary.ts';
import { studentTQuantile } from './student-t.ts';

/** The summary.csv metrics aggregate.csv summarizes across seeds, in order. */
export const AGGREGATE_METRICS = [
  'p50_ms',
  'p90_ms',
  'p99_ms',
  'overhead_p99_ms',
  'mean_ms',
  'rejected',
  'worker_seconds',
  'gib_seconds',
  'warm',
  'resume_local',
  'resume_external',
  'golden',
  'cold_boot',
] as const;

/** Columns of aggregate.csv, in order. */
export const AGGREGATE_COLUMNS = ['policy', 'metric', 'n', 'mean', 'sd', 'ci95_low', 'ci95_high', 'ci95_half_width'] as const;

/** One row of aggregate.csv: one metric of one policy set over its seeds. */
export type AggregateRow = Record<(typeof AGGREGATE_COLUMNS)[number], string | number>;

/** Mean, sample standard deviation and confidence interval of the mean of a sample. */
export interface MeanCi {
  /** Values that were finite (NaN, say a percentile of no served invocation, is left out). */
  readonly n: number;
  /** NaN when n = 0. */
  readonly mean: number;
  /** Sample standard deviation (n - 1 in the denominator); NaN when n < 2. */
  readonly sd: number;
  /** Half-width of the two-sided interval: t(1 - (1 - level) / 2, n - 1) * sd / sqrt(n); NaN when n < 2. */
  readonly halfWidth: number;
}

/**
 * The mean of `values` with a two-sided Student t confidence interval
 * (default 95%), summing in the order given, so the same values in the same
 * order give the same bits.
 */
export function meanCi(values: readonly number[], level = 0.95): MeanCi {
  const xs = values.filter((v) => Number.isFinite(v));
  const n = xs.length;
  if (n === 0) return { n, mean: Number.NaN, sd: Number.NaN, halfWidth: Number.NaN };
  let sum = 0;
  for (const x of xs) sum += x;
  const mean = sum / n;
  if (n < 2) return { n, mean, sd: Number.NaN, halfWidth: Number.NaN };
  let ss = 0;
  for (const x of xs) ss += (x - mean) * (x - mean);
  const sd = Math.sqrt(ss / (n - 1));
  return { n, mean, sd, halfWidth: (studentTQuantile(1 - (1 - level) / 2, n - 1) * sd) / Math.sqrt(n) };
}

// NaN (no value) and an infinite value alike are an empty cell, never the text NaN or Infinity.
const cell = (x: number): number | string => (Number.isFinite(x) ? ms(x) : '');

/**
 * Aggregates summary rows over seeds: one row per policy set (in order of
 * first appearance) and metric (in AGGREGATE_METRICS order), from the values
 * of summary.csv as written, so the numbers can be recomputed from it.
 * Undefined values (an empty cell: a percentile with nothing served) are left
 * out and counted out of `n`.
 */
export function aggregateRows(rows: readonly SummaryRow[]): AggregateRow[] {
  const byPolicy = new Map<string, SummaryRow[]>();
  for (const r of rows) {
    const key = String(r.policy);
    const list = byPolicy.get(key);
    if (list === undefined) byPolicy.set(key, [r]);
    else list.push(r);
  }
  const out: AggregateRow[] = [];
  for (const [policy, list] of byPolicy) {
    for (const metric of AGGREGATE_METRICS) {
      const s = meanCi(list.map((r) => (r[metric] === '' ? Number.NaN : Number(r[metric]))));
      out.push({
        policy,
        metric,
        n: s.n,
        mean: cell(s.mean),
        sd: cell(s.sd),
        ci95_low: cell(s.mean - s.halfWidth),
        ci95_high: cell(s.mean + s.halfWidth),
        ci95_half_width: cell(s.halfWidth),
      });
    }
  }
  return out;
}

/** Renders aggregate.csv. */
export function aggregateCsv(rows: readonly AggregateRow[]): string {
  return stringify(
    rows.map((r) => AGGREGATE_COLUMNS.map((c) => r[c])),
    { header: true, columns: [...AGGREGATE_COLUMNS] },
  );
}
