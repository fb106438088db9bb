import { ms, percentile } from './summary.ts';

/** Raw measurements of one real run, as the driver collects them. */
export interface MeasuredInput {
  readonly policy: string;
  readonly workerStartMs: readonly number[];
  readonly restoreMs: Readonly<Record<string, readonly number[]>>;
  readonly checkpointMs: Readonly<Record<string, readonly number[]>>;
  readonly dispatchMs: readonly number[];
  readonly lagMs: readonly number[];
  readonly memory: readonly { readonly atMs: number; readonly workers: readonly { readonly rssBytes: number; readonly resident: number }[] }[];
}

/** Columns of measured.csv: one row per policy set and primitive. */
export const MEASURED_COLUMNS = ['policy', 'primitive', 'source', 'count', 'p50_ms', 'p90_ms', 'p99_ms', 'mean_ms', 'max_ms'] as const;

function row(policy: string, primitive: string, source: string, values: readonly number[]): (string | number)[] {
  const sorted = Float64Array.from(values).sort();
  const mean = values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
  // No value (no sample, or a sample holding NaN) is an empty cell, never the text NaN.
  const cell = (x: number): number | string => (Number.isFinite(x) ? ms(x) : '');
  return [
    policy,
    primitive,
    source,
    values.length,
    cell(percentile(sorted, 0.5)),
    cell(percentile(sorted, 0.9)),
    cell(percentile(sorted, 0.99)),
    cell(mean),
    cell(sorted.length > 0 ? sorted[sorted.length - 1]! : Number.NaN),
  ];
}

/** The rows of measured.csv for one run: latency of each primitive as observed by the driver. */
export function measuredRows(m: MeasuredInput): (string | number)[][] {
  const rows = [row(m.policy, 'worker-start', '', m.workerStartMs)];
  for (const [source, v] of Object.entries(m.restoreMs)) rows.push(row(m.policy, 'restore', source, v));
  for (const [target, v] of Object.entries(m.checkpointMs)) rows.push(row(m.policy, 'checkpoint', target, v));
  rows.push(row(m.policy, 'dispatch', '', m.dispatchMs));
  rows.push(row(m.policy, 'driver-lag', '', m.lagMs));
  // A primitive the policy never used (no checkpoints under always-on) has no row.
  return rows.filter((r) => Number(r[3]) > 0);
}

/** Density: what a worker costs empty and what each resident actor adds, by least squares over the samples. */
export interface Density {
  readonly samples: number;
  /** Resident set of a worker hosting no actor. */
  readonly workerBaseMiB: number;
  /** Resident set each resident actor adds. */
  readonly perActorMiB: number;
  readonly maxWorkerRssMiB: number;
}

/**
 * Fits rss = base + perActor x resident over every (worker, moment) sample.
 * NaN when the samples do not vary in resident count (nothing to fit).
 */
export function density(memory: MeasuredInput['memory']): Density {
  let n = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  let max = 0;
  for (const s of memory) {
    for (const w of s.workers) {
      const x = w.resident;
      const y = w.rssBytes / 2 ** 20;
      n += 1;
      sx += x;
      sy += y;
      sxx += x * x;
      sxy += x * y;
      if (y > max) max = y;
    }
  }
  const den = n * sxx - sx * sx;
  const slope = n > 1 && den > 0 ? (n * sxy - sx * sy) / den : Number.NaN;
  const base = Number.isNaN(slope) ? (n > 0 ? sy / n : Number.NaN) : (sy - slope * sx) / n;
  return { samples: n, workerBaseMiB: ms(base), perActorMiB: ms(slope), maxWorkerRssMiB: ms(max) };
}
