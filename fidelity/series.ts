import { stringify } from 'csv-stringify/sync';
import type { FidelityRow } from './compare.ts';
import type { Sample } from '../core/result.ts';
import { ms } from '../reports/summary.ts';

/** The gauges of timeseries.csv that fidelity compares over time. */
export const SERIES_GAUGES = ['resident', 'workers'] as const;

/** A gauge compared over time. */
export type SeriesGauge = (typeof SERIES_GAUGES)[number];

/** One slot of the time series where both runs have a sample: span time, and each run's gauges. */
export interface PairedSample {
  /** Scenario time since the span's start (negative in the priming gap). */
  readonly timeMs: number;
  readonly sim: Readonly<Record<SeriesGauge, number>>;
  readonly real: Readonly<Record<SeriesGauge, number>>;
}

/** How far apart one gauge's series are over a window. */
export interface SeriesError {
  /** Slots compared. */
  readonly samples: number;
  readonly simMean: number;
  readonly realMean: number;
  /**
   * Mean absolute error over the mean of the real series: Σ|sim - real| / Σ|real|,
   * unsigned; 0 when both series are all 0; NaN with no slot, or real all 0 and sim not.
   */
  readonly error: number;
}

/**
 * Slot intervals (ms of scenario time) fidelity samples at: round numbers, so
 * the slots of timeseries.csv read as times.
 */
const INTERVALS_MS = [1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000];

/** The interval that gives the replayed time at most about `points` samples (at least 1 s: each costs the real driver a wake-up). */
export function seriesInterval(spanMs: number, points = 150): number {
  return INTERVALS_MS.find((i) => spanMs / i <= points) ?? INTERVALS_MS[INTERVALS_MS.length - 1]!;
}

/** timeseries.csv rows (sim's or real's), as samples per policy set; times multiplied by `scale` and shifted by `-offsetMs`. */
export function samplesByPolicy(rows: readonly Record<string, string>[], scale = 1, offsetMs = 0): Map<string, Sample[]> {
  const out = new Map<string, Sample[]>();
  for (const r of rows) {
    const policy = r.policy ?? '';
    const s: Sample = { timeMs: Number(r.time_ms) * scale - offsetMs, workers: Number(r.workers), resident: Number(r.resident), parked: Number(r.parked) };
    if (![s.timeMs, s.workers, s.resident, s.parked].every(Number.isFinite)) throw new Error(`timeseries.csv: a row of ${policy} is not numeric: ${JSON.stringify(r)}`);
    const list = out.get(policy);
    if (list === undefined) out.set(policy, [s]);
    else list.push(s);
  }
  return out;
}

/**
 * Pairs two time series sampled on the same slots (time k * everyMs after
 * `originMs`): each sample goes to its nearest slot, the first sample of a
 * slot wins, and only slots both runs sampled are kept. The real driver
 * takes a slot's sample when it wakes, a little after the slot, and skips a
 * slot it woke too late for; the simulator samples on the slot.
 */
export function pairSeries(sim: readonly Sample[], real: readonly Sample[], everyMs: number, originMs = 0): PairedSample[] {
  if (!(everyMs > 0)) throw new Error(`pairSeries: the interval must be positive, got ${everyMs}`);
  const slots = (xs: readonly Sample[]): Map<number, Sample> => {
    const m = new Map<number, Sample>();
    for (const x of xs) {
      const k = Math.round((x.timeMs - originMs) / everyMs);
      if (!m.has(k)) m.set(k, x);
    }
    return m;
  };
  const s = slots(sim);
  const r = slots(real);
  const out: PairedSample[] = [];
  for (const k of [...s.keys()].filter((k) => r.has(k)).sort((a, b) => a - b)) {
    const a = s.get(k)!;
    const b = r.get(k)!;
    out.push({ timeMs: originMs + k * everyMs, sim: { resident: a.resident, workers: a.workers }, real: { resident: b.resident, workers: b.workers } });
  }
  return out;
}

/** The error of one gauge over the paired slots within [fromMs, toMs]. */
export function seriesError(points: readonly PairedSample[], gauge: SeriesGauge, fromMs: number, toMs: number): SeriesError {
  let n = 0;
  let sumSim = 0;
  let sumReal = 0;
  let sumAbsReal = 0;
  let sumAbsDiff = 0;
  for (const p of points) {
    if (p.timeMs < fromMs || p.timeMs > toMs) continue;
    const s = p.sim[gauge];
    const r = p.real[gauge];
    n += 1;
    sumSim += s;
    sumReal += r;
    sumAbsReal += Math.abs(r);
    sumAbsDiff += Math.abs(s - r);
  }
  const error = n === 0 ? Number.NaN : sumAbsReal > 0 ? sumAbsDiff / sumAbsReal : sumAbsDiff === 0 ? 0 : Number.NaN;
  return { samples: n, simMean: n === 0 ? Number.NaN : sumSim / n, realMean: n === 0 ? Number.NaN : sumReal / n, error };
}

/** fidelity.csv's metric name of a gauge compared over time. */
export function seriesMetric(gauge: SeriesGauge): string {
  return `${gauge}_over_time`;
}

/**
 * The rows fidelity.csv gets for the time series of one policy set: for each
 * gauge, sim and real are the means over the compared slots, and the error
 * column carries {@link SeriesError.error} (unsigned: how far apart the
 * curves are, not which is higher). No target: the issue sets none.
 */
export function seriesRows(policy: string, points: readonly PairedSample[], fromMs: number, toMs: number): FidelityRow[] {
  return SERIES_GAUGES.map((g) => {
    const e = seriesError(points, g, fromMs, toMs);
    return { policy, metric: seriesMetric(g), sim: e.simMean, real: e.realMean, relError: e.error, target: undefined, met: undefined };
  });
}

/** Columns of fidelity-timeseries.csv. */
export const FIDELITY_TIMESERIES_COLUMNS = ['policy', 'time_ms', 'sim_workers', 'real_workers', 'sim_resident', 'real_resident'] as const;

/** fidelity-timeseries.csv: every paired slot of every policy set, time in scenario time since the span's start. */
export function fidelityTimeseriesCsv(series: ReadonlyMap<string, readonly PairedSample[]>): string {
  const rows: (string | number)[][] = [];
  for (const [policy, points] of series) for (const p of points) rows.push([policy, ms(p.timeMs), p.sim.workers, p.real.workers, p.sim.resident, p.real.resident]);
  return stringify(rows, { header: true, columns: [...FIDELITY_TIMESERIES_COLUMNS] });
}
