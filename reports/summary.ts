import type { RunResult } from '../core/result.ts';
import { REJECT_REASONS } from '../core/types.ts';

/** A run as the writers take it: its result, and its summary row when that was computed as the run went (then `replies` holds only a sample of the outcomes). */
export interface ReportedRun extends RunResult {
  readonly summary?: SummaryRow;
}

/**
 * The density columns of summary.csv (reports/density.ts fills them).
 * Density as Agent Substrate's benchmarks judge it, per run: active actors
 * per node, per vCPU and per GiB of node memory, and actors per worker pod.
 * "Active" is resident: running on a worker, busy or idle (not suspended or
 * paused to a snapshot). "Node" is a node of the scenario's cluster
 * (`cluster.nodes`, every node counted whether it hosts a worker or not), its
 * vCPUs and GiB as declared there. Peak is the most actors resident at once;
 * mean is averaged over the measured time (after warm-up). The actor-to-pod
 * ratio divides by worker pods: peak resident over peak workers, mean
 * resident over mean workers. Real runs add the same over GiB of worker
 * memory as measured (resident set of the worker processes or pods).
 */
export const DENSITY_COLUMNS = [
  'nodes',
  'node_vcpus',
  'node_gib',
  'peak_active_per_node',
  'mean_active_per_node',
  'peak_active_per_vcpu',
  'mean_active_per_vcpu',
  'peak_active_per_gib',
  'mean_active_per_gib',
  'peak_actors_per_pod',
  'mean_actors_per_pod',
  'peak_active_per_measured_gib',
  'mean_active_per_measured_gib',
] as const;

/**
 * Columns of summary.csv, in order. The first eighteen are the stable
 * contract shared by sim and real runs; new columns go at the end, before
 * `seed`, which stays last (the density columns, reports/density.ts, came so).
 */
export const SUMMARY_COLUMNS = [
  'policy',
  'invocations',
  'served',
  'rejected',
  'p50_ms',
  'p90_ms',
  'p99_ms',
  'max_ms',
  'warm',
  'resume_local',
  'resume_external',
  'golden',
  'cold_boot',
  'worker_seconds',
  'gib_seconds',
  'snapshot_bytes_written',
  'snapshot_bytes_read',
  'sim_events',
  'mean_ms',
  'overhead_p50_ms',
  'overhead_p99_ms',
  ...REJECT_REASONS.map((r) => `rejected_${r.replaceAll('-', '_')}`),
  'gib_seconds_busy',
  'gib_seconds_idle',
  'gib_seconds_empty',
  'peak_workers',
  'peak_resident',
  'mean_resident',
  'evictions',
  'restore_failures',
  'checkpoint_failures',
  'workers_lost',
  ...DENSITY_COLUMNS,
  'seed',
] as const;

/** One row of summary.csv. */
export type SummaryRow = Record<(typeof SUMMARY_COLUMNS)[number], string | number>;

/** Columns of timeseries.csv, in order: the simulator's and the real driver's. */
export const TIMESERIES_COLUMNS = ['policy', 'time_ms', 'workers', 'resident', 'parked', 'seed'] as const;

/** Columns of invocations.csv, in order. The first thirteen are the stable contract; `seed` stays last. */
export const INVOCATION_COLUMNS = [
  'policy',
  'invocation',
  'actor',
  'arrival_ms',
  'start_ms',
  'end_ms',
  'path',
  'parked_ms',
  'worker_start_ms',
  'restore_ms',
  'exec_ms',
  'outcome',
  'reason',
  'queued_ms',
  'attempts',
  'seed',
] as const;

/** Rounds to microseconds so CSVs stay readable; the same inputs round the same way on every machine. */
export function ms(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Nearest-rank percentile of an ascending array (NaN when empty). */
export function percentile(sorted: Float64Array | readonly number[], q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const rank = Math.min(n, Math.max(1, Math.ceil(q * n)));
  return sorted[rank - 1]!;
}

/**
 * The nearest-rank percentiles `qs` of `values` (percentile() of the sorted
 * array, value for value), found by selection instead of a sort: O(n) on
 * average where a sort is O(n log n), which at the end of a day of a
 * million actors is two sorts of 58 million latencies. Reorders `values` in
 * place (partly sorted, as a sort would leave it partly). NaN for each q
 * when `values` is empty; values must not be NaN, and -0 counts as equal to
 * +0 where a sort puts it first (latencies and overheads, differences of
 * times, are never NaN or -0).
 */
export function percentilesBySelection(values: Float64Array, qs: readonly number[]): number[] {
  const n = values.length;
  if (n === 0) return qs.map(() => Number.NaN);
  const ranks = qs.map((q) => Math.min(n, Math.max(1, Math.ceil(q * n))) - 1);
  const order = ranks.map((_, i) => i).sort((x, y) => ranks[x]! - ranks[y]!);
  const out = new Array<number>(qs.length);
  // Ascending ranks: each selection leaves everything left of its rank no larger, so the next one searches right of it.
  let lo = 0;
  for (const i of order) {
    const k = ranks[i]!;
    select(values, lo, n - 1, k);
    out[i] = values[k]!;
    lo = k;
  }
  return out;
}

/**
 * Moves the k-th smallest of a[lo..hi] to a[k], smaller-or-equal values to
 * its left and larger-or-equal to its right: quickselect with a median-of-three
 * pivot and Hoare partitioning (equal keys stop both scans, so runs of equal
 * latencies split evenly); past 2 log2(n) rounds the range left is sorted,
 * so hostile inputs cost O(n log n) at worst, never O(n^2).
 */
function select(a: Float64Array, lo: number, hi: number, k: number): void {
  let budget = 2 * Math.ceil(Math.log2(hi - lo + 2));
  while (hi > lo) {
    if (budget-- === 0 || hi - lo < 16) {
      a.subarray(lo, hi + 1).sort();
      return;
    }
    const mid = lo + ((hi - lo) >> 1);
    // Median of three at mid, with a[lo] <= a[mid] <= a[hi].
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo - 1;
    let j = hi + 1;
    for (;;) {
      do i += 1;
      while (a[i]! < pivot);
      do j -= 1;
      while (a[j]! > pivot);
      if (i >= j) break;
      swap(a, i, j);
    }
    // a[lo..j] <= pivot <= a[j+1..hi]
    if (k <= j) hi = j;
    else lo = j + 1;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

function sortedOf(values: number[]): Float64Array {
  const a = Float64Array.from(values);
  a.sort();
  return a;
}

const GIB_MS_PER_MIB_MS = 1 / 1024 / 1000;

/** Aggregates one run into its summary.csv row. Latency percentiles are over served invocations. */
export function summarize(run: ReportedRun): SummaryRow {
  if (run.summary !== undefined) return run.summary;
  const latencies: number[] = [];
  const overheads: number[] = [];
  const paths = { warm: 0, 'resume-local': 0, 'resume-external': 0, golden: 0, 'cold-boot': 0, rejected: 0 };
  const reasons = new Map<string, number>(REJECT_REASONS.map((r) => [r, 0]));
  let served = 0;
  let sum = 0;
  let counted = 0;
  for (const r of run.replies) {
    if (r.arrivalMs < run.warmupMs) continue;
    counted += 1;
    paths[r.path] += 1;
    if (r.outcome === 'served') {
      served += 1;
      const l = r.endMs - r.arrivalMs;
      latencies.push(l);
      overheads.push(l - r.parts.execMs);
      sum += l;
    } else {
      reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + 1);
    }
  }
  const lat = sortedOf(latencies);
  const over = sortedOf(overheads);
  const t = run.totals;
  const row: Record<string, string | number> = {
    policy: run.policy,
    invocations: counted,
    served,
    rejected: counted - served,
    p50_ms: ms(percentile(lat, 0.5)),
    p90_ms: ms(percentile(lat, 0.9)),
    p99_ms: ms(percentile(lat, 0.99)),
    max_ms: ms(lat.length > 0 ? lat[lat.length - 1]! : Number.NaN),
    warm: paths.warm,
    resume_local: paths['resume-local'],
    resume_external: paths['resume-external'],
    golden: paths.golden,
    cold_boot: paths['cold-boot'],
    worker_seconds: ms(t.workerMs / 1000),
    gib_seconds: ms((t.busyMiBMs + t.idleMiBMs + t.emptyMiBMs) * GIB_MS_PER_MIB_MS),
    snapshot_bytes_written: run.counters.snapshotBytesWritten,
    snapshot_bytes_read: run.counters.snapshotBytesRead,
    sim_events: run.events,
    mean_ms: ms(served > 0 ? sum / served : Number.NaN),
    overhead_p50_ms: ms(percentile(over, 0.5)),
    overhead_p99_ms: ms(percentile(over, 0.99)),
    gib_seconds_busy: ms(t.busyMiBMs * GIB_MS_PER_MIB_MS),
    gib_seconds_idle: ms(t.idleMiBMs * GIB_MS_PER_MIB_MS),
    gib_seconds_empty: ms(t.emptyMiBMs * GIB_MS_PER_MIB_MS),
    peak_workers: t.peakWorkers,
    peak_resident: t.peakResident,
    mean_resident: ms(run.endMs > run.warmupMs ? t.residentActorMs / (run.endMs - run.warmupMs) : 0),
    evictions: run.counters.evictions,
    restore_failures: run.counters.restoreFailures,
    checkpoint_failures: run.counters.checkpointFailures,
    workers_lost: run.counters.workersLost,
    seed: run.seed ?? '',
  };
  for (const r of REJECT_REASONS) row[`rejected_${r.replaceAll('-', '_')}`] = reasons.get(r) ?? 0;
  return row as SummaryRow;
}

/** The rows of invocations.csv for one run, in order of outcome. */
export function invocationRows(run: RunResult): (string | number)[][] {
  return run.replies.map((r) => [
    run.policy,
    r.invocation,
    r.actor,
    ms(r.arrivalMs),
    Number.isNaN(r.startMs) ? '' : ms(r.startMs),
    ms(r.endMs),
    r.path,
    ms(r.parts.parkedMs),
    ms(r.parts.workerStartMs),
    ms(r.parts.restoreMs),
    ms(r.parts.execMs),
    r.outcome,
    r.reason,
    ms(r.parts.queuedMs),
    r.attempts,
    run.seed ?? '',
  ]);
}
