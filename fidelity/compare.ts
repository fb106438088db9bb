import { stringify } from 'csv-stringify/sync';
import type { Reply } from '../core/types.ts';
import type { SummaryRow } from '../reports/summary.ts';
import { bootstrapQuantiles, COUNT_FLOOR, NO_INTERVAL, TIME_FLOOR_MS, wilsonCount, withinTarget, type Interval } from './intervals.ts';

/** A quantile of a run's served invocations: of the latency, or of the overhead (latency minus execution). */
export interface QuantileOf {
  readonly of: 'latency' | 'overhead';
  readonly q: number;
}

/**
 * A compared metric: a summary.csv column (or, for `quantile`, a figure of
 * the runs' invocations), the relative error the issue's target allows (none:
 * reported only), and its interval: `count` for a count of the invocations
 * (Wilson), `quantile` for a latency quantile (bootstrap).
 */
export interface FidelityMetric {
  readonly column: string;
  readonly target?: number;
  readonly count?: true;
  readonly quantile?: QuantileOf;
}

/**
 * The metrics compared, in table order. Targets (issue 8): p50 and p99
 * within 10%, counts by path within 5%, worker-seconds within 5%; (issue 18)
 * the overhead's p50, p90 and p99 within 10%: what the platform adds, where
 * the end-to-end latencies agree almost by construction (both runs replay
 * the agents' work). The rest is there to explain a miss: `invocations` must
 * match exactly (both runs replay one trace), resident actors show where
 * memory went, snapshot bytes how much the primitives had to move.
 */
export const FIDELITY_METRICS: readonly FidelityMetric[] = [
  { column: 'invocations' },
  { column: 'served', count: true },
  { column: 'rejected', count: true },
  { column: 'p50_ms', target: 0.1, quantile: { of: 'latency', q: 0.5 } },
  { column: 'p90_ms', quantile: { of: 'latency', q: 0.9 } },
  { column: 'p99_ms', target: 0.1, quantile: { of: 'latency', q: 0.99 } },
  { column: 'mean_ms' },
  { column: 'overhead_p50_ms', target: 0.1, quantile: { of: 'overhead', q: 0.5 } },
  { column: 'overhead_p90_ms', target: 0.1, quantile: { of: 'overhead', q: 0.9 } },
  { column: 'overhead_p99_ms', target: 0.1, quantile: { of: 'overhead', q: 0.99 } },
  { column: 'warm', target: 0.05, count: true },
  { column: 'resume_local', target: 0.05, count: true },
  { column: 'resume_external', target: 0.05, count: true },
  { column: 'golden', target: 0.05, count: true },
  { column: 'cold_boot', target: 0.05, count: true },
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
  /**
   * Whether the cell is within target: the simulated figure's interval (the
   * point where it has none) overlaps the band real ± target·|real|
   * (fidelity/intervals.ts withinTarget); undefined without a target or
   * without both figures.
   */
  readonly met: boolean | undefined;
  /** 95% intervals of each figure (NaN ends where there is none). */
  readonly simInterval?: Interval;
  readonly realInterval?: Interval;
  /** How the intervals were made: wilson (counts of invocations), bootstrap (quantiles), or none. */
  readonly interval?: 'wilson' | 'bootstrap';
  /** Whether the point estimates alone are within target (|relError| <= target), for comparison with `met`. */
  readonly metPoint?: boolean | undefined;
}

/** Columns of fidelity.csv. */
export const FIDELITY_COLUMNS = ['policy', 'metric', 'sim', 'real', 'diff', 'rel_error', 'target', 'met', 'sim_low', 'sim_high', 'real_low', 'real_high', 'interval', 'met_point'] as const;

/** The served invocations of one run of one policy set, after the warm-up: what the quantiles and their intervals are taken from. */
export interface RunSample {
  /** Latency of each served invocation, ms. */
  readonly latenciesMs: readonly number[];
  /** Latency minus execution of each, ms. */
  readonly overheadsMs: readonly number[];
}

/** The served invocations among `replies` that arrived at or after `warmupMs`, as summary.csv counts them. */
export function runSample(replies: readonly Reply[], warmupMs: number): RunSample {
  const latenciesMs: number[] = [];
  const overheadsMs: number[] = [];
  for (const r of replies) {
    if (r.arrivalMs < warmupMs || r.outcome !== 'served') continue;
    const l = r.endMs - r.arrivalMs;
    latenciesMs.push(l);
    overheadsMs.push(l - r.parts.execMs);
  }
  return { latenciesMs, overheadsMs };
}

/** What compareSummaries needs beyond the summaries for the quantiles' intervals: each run's sample per policy set, and the seed of the bootstrap. */
export interface IntervalInputs {
  readonly samples: ReadonlyMap<string, { readonly sim: RunSample; readonly real: RunSample }>;
  readonly seed: number;
}

function num(row: SummaryRow | undefined, column: string): number {
  if (row === undefined) return Number.NaN;
  const v = (row as Record<string, string | number | undefined>)[column];
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

/** Nearest-rank quantile of unsorted values, as reports/summary.ts ranks (NaN when empty). */
function quantileOf(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1]!;
}

/**
 * Every quantile metric's bootstrap interval for one run's sample: one
 * bootstrap per measure (latency, overhead), seeded by `seed` and the
 * stream "<policy>:<run>:<measure>", so a cell's interval does not move
 * when another metric is added.
 */
function quantileIntervals(sample: RunSample, seed: number, stream: string): Map<string, Interval> {
  const out = new Map<string, Interval>();
  for (const of of ['latency', 'overhead'] as const) {
    const metrics = FIDELITY_METRICS.filter((m) => m.quantile?.of === of);
    const values = of === 'latency' ? sample.latenciesMs : sample.overheadsMs;
    const intervals = bootstrapQuantiles(values, metrics.map((m) => m.quantile!.q), seed, `${stream}:${of}`);
    metrics.forEach((m, i) => out.set(m.column, intervals[i]!));
  }
  return out;
}

/**
 * Compares summary rows policy by policy (real rows' order; a policy set
 * missing on one side still gets its rows, with NaN there), every metric of
 * {@link FIDELITY_METRICS}. Counts get Wilson intervals (of the run's
 * `invocations`); with `intervals`, quantiles get bootstrap intervals over
 * each run's sample, and a quantile missing from summary.csv
 * (overhead_p90_ms) is taken from the sample. Within target: see
 * {@link FidelityRow.met}.
 */
export function compareSummaries(sim: readonly SummaryRow[], real: readonly SummaryRow[], intervals?: IntervalInputs): FidelityRow[] {
  const policies = [...new Set([...real.map((r) => String(r.policy)), ...sim.map((r) => String(r.policy))])];
  const out: FidelityRow[] = [];
  for (const policy of policies) {
    const s = sim.find((r) => String(r.policy) === policy);
    const r = real.find((x) => String(x.policy) === policy);
    const samples = intervals?.samples.get(policy);
    const simQ = samples === undefined ? undefined : quantileIntervals(samples.sim, intervals!.seed, `${policy}:sim`);
    const realQ = samples === undefined ? undefined : quantileIntervals(samples.real, intervals!.seed, `${policy}:real`);
    for (const m of FIDELITY_METRICS) {
      let sv = num(s, m.column);
      let rv = num(r, m.column);
      if (m.quantile !== undefined && samples !== undefined) {
        const pick = (x: RunSample): readonly number[] => (m.quantile!.of === 'latency' ? x.latenciesMs : x.overheadsMs);
        if (Number.isNaN(sv) && s !== undefined) sv = quantileOf(pick(samples.sim), m.quantile.q);
        if (Number.isNaN(rv) && r !== undefined) rv = quantileOf(pick(samples.real), m.quantile.q);
      }
      let simInterval: Interval = NO_INTERVAL;
      let realInterval: Interval = NO_INTERVAL;
      let interval: FidelityRow['interval'];
      if (m.count === true) {
        simInterval = wilsonCount(sv, num(s, 'invocations'));
        realInterval = wilsonCount(rv, num(r, 'invocations'));
        interval = 'wilson';
      } else if (m.quantile !== undefined && simQ !== undefined && realQ !== undefined) {
        simInterval = simQ.get(m.column) ?? NO_INTERVAL;
        realInterval = realQ.get(m.column) ?? NO_INTERVAL;
        interval = 'bootstrap';
      }
      const e = relativeError(sv, rv);
      const metPoint = m.target === undefined || !Number.isFinite(e) ? undefined : Math.abs(e) <= m.target;
      // The real figure's resolution widens a band that would otherwise be the one point of a real 0.
      const floor = m.count === true ? COUNT_FLOOR : m.quantile !== undefined ? TIME_FLOOR_MS : 0;
      const met = m.target === undefined ? undefined : withinTarget(sv, simInterval, rv, m.target, floor);
      out.push({
        policy,
        metric: m.column,
        sim: sv,
        real: rv,
        relError: e,
        target: m.target,
        met,
        simInterval,
        realInterval,
        ...(interval === undefined ? {} : { interval }),
        metPoint,
      });
    }
  }
  return out;
}

/** A figure as fidelity.csv writes it: at most `digits` decimals, empty where there is none. */
export function cellOf(x: number, digits = 3): string {
  return Number.isFinite(x) ? String(Number(x.toFixed(digits))) : '';
}

/** A within-target cell as fidelity.csv writes it. */
export function yesNo(b: boolean | undefined): string {
  return b === undefined ? '' : b ? 'yes' : 'no';
}

/** fidelity.csv: one row per policy set and metric; empty cells where a value is undefined. */
export function fidelityCsv(rows: readonly FidelityRow[]): string {
  return stringify(
    rows.map((r) => [
      r.policy,
      r.metric,
      cellOf(r.sim),
      cellOf(r.real),
      cellOf(r.sim - r.real),
      cellOf(r.relError, 4),
      r.target === undefined ? '' : r.target,
      yesNo(r.met),
      cellOf(r.simInterval?.low ?? Number.NaN),
      cellOf(r.simInterval?.high ?? Number.NaN),
      cellOf(r.realInterval?.low ?? Number.NaN),
      cellOf(r.realInterval?.high ?? Number.NaN),
      r.interval ?? '',
      yesNo(r.metPoint),
    ]),
    { header: true, columns: [...FIDELITY_COLUMNS] },
  );
}
