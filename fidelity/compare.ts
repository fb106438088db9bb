import { stringify } from 'csv-stringify/sync';
import type { SummaryRow } from '../reports/summary.ts';

/** A compared metric: a summary.csv column, and the relative error the target allows (none: reported only). */
export interface FidelityMetric {
  readonly column: keyof SummaryRow & string;
  readonly target?: number;
}

/**
 * The metrics compared, in table order. Targets (issue 8): p50 and p99
 * within 10%, counts by path within 5%, worker-seconds within 5%. The rest
 * is there to explain a miss: `invocations` must match exactly (both runs
 * replay one trace), overheads and resident actors show where time and
 * memory went, snapshot bytes how much the primitives had to move.
 */
export const FIDELITY_METRICS: readonly FidelityMetric[] = [
  { column: 'invocations' },
  { column: 'served' },
  { column: 'rejected' },
  { column: 'p50_ms', target: 0.1 },
  { column: 'p90_ms' },
  { column: 'p99_ms', target: 0.1 },
  { column: 'mean_ms' },
  { column: 'overhead_p50_ms' },
  { column: 'overhead_p99_ms' },
  { column: 'warm', target: 0.05 },
  { column: 'resume_local', target: 0.05 },
  { column: 'resume_external', target: 0.05 },
  { column: 'golden', target: 0.05 },
  { column: 'cold_boot', target: 0.05 },
  { column: 'worker_seconds', target: 0.05 },
  { column: 'gib_seconds' },
  { column: 'mean_resident' },
  { column: 'peak_resident' },
  { column: 'peak_workers' },
  { column: 'evictions' },
  { column: 'snapshot_bytes_written' },
  { column: 'snapshot_bytes_read' },
];

/** One row of fidelity.csv: a metric of one policy set, simulated against measured. */
export interface FidelityRow {
  readonly policy: string;
  readonly metric: string;
  /** NaN where the run has no value (no served invocation, no row for the policy set). */
  readonly sim: number;
  readonly real: number;
  /** (sim - real) / |real|; 0 when both are 0; NaN when real is 0 and sim is not, or either is missing. */
  readonly relError: number;
  readonly target: number | undefined;
  /** Whether |relError| is within target; undefined without a target or a finite error. */
  readonly met: boolean | undefined;
}

/** Columns of fidelity.csv. */
export const FIDELITY_COLUMNS = ['policy', 'metric', 'sim', 'real', 'diff', 'rel_error', 'target', 'met'] as const;

function num(row: SummaryRow | undefined, column: keyof SummaryRow): number {
  if (row === undefined) return Number.NaN;
  const v = row[column];
  if (typeof v === 'number') return v;
  if (v === undefined || String(v).trim() === '') return Number.NaN;
  return Number(v);
}

/** The relative error of `sim` against `real`, by the rule on {@link FidelityRow.relError}. */
export function relativeError(sim: number, real: number): number {
  if (!Number.isFinite(sim) || !Number.isFinite(real)) return Number.NaN;
  if (real === 0) return sim === 0 ? 0 : Number.NaN;
  return (sim - real) / Math.abs(real);
}

/**
 * Compares summary rows policy by policy (real rows' order; a policy set
 * missing on one side still gets its rows, with NaN there), every metric of
 * {@link FIDELITY_METRICS}.
 */
export function compareSummaries(sim: readonly SummaryRow[], real: readonly SummaryRow[]): FidelityRow[] {
  const policies = [...new Set([...real.map((r) => String(r.policy)), ...sim.map((r) => String(r.policy))])];
  const out: FidelityRow[] = [];
  for (const policy of policies) {
    const s = sim.find((r) => String(r.policy) === policy);
    const r = real.find((x) => String(x.policy) === policy);
    for (const m of FIDELITY_METRICS) {
      const sv = num(s, m.column);
      const rv = num(r, m.column);
      const e = relativeError(sv, rv);
      out.push({ policy, metric: m.column, sim: sv, real: rv, relError: e, target: m.target, met: m.target === undefined || !Number.isFinite(e) ? undefined : Math.abs(e) <= m.target });
    }
  }
  return out;
}

function cellOf(x: number, digits = 3): string {
  return Number.isFinite(x) ? String(Number(x.toFixed(digits))) : '';
}

/** fidelity.csv: one row per policy set and metric; empty cells where a value is undefined. */
export function fidelityCsv(rows: readonly FidelityRow[]): string {
  return stringify(
    rows.map((r) => [r.policy, r.metric, cellOf(r.sim), cellOf(r.real), cellOf(r.sim - r.real), cellOf(r.relError, 4), r.target === undefined ? '' : r.target, r.met === undefined ? '' : r.met ? 'yes' : 'no']),
    { header: true, columns: [...FIDELITY_COLUMNS] },
  );
}
