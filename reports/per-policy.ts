import { SUMMARY_COLUMNS, type SummaryRow } from './summary.ts';
import type { ReportRun } from './report-input.ts';

/**
 * One row per policy set, in order of first appearance: a policy set's only
 * row as it is, or, when it ran with several seeds, the mean of each numeric
 * column over its seeds (the `seed` column left empty). Means of per-seed
 * percentiles are what the study's aggregate.csv reports too, so the
 * recommendation and the table agree with it. A column that is empty in
 * every seed stays empty.
 */
export function rowsPerPolicy(rows: readonly SummaryRow[]): SummaryRow[] {
  const groups = new Map<string, SummaryRow[]>();
  for (const r of rows) {
    const key = String(r.policy);
    const g = groups.get(key);
    if (g === undefined) groups.set(key, [r]);
    else g.push(r);
  }
  return [...groups.values()].map((g) => (g.length === 1 ? g[0]! : meanRow(g)));
}

function meanRow(group: readonly SummaryRow[]): SummaryRow {
  const out: Record<string, string | number> = {};
  for (const column of SUMMARY_COLUMNS as readonly string[]) {
    if (column === 'policy') {
      out[column] = String(group[0]!.policy);
      continue;
    }
    if (column === 'seed') {
      out[column] = '';
      continue;
    }
    const values = group.map((r) => (r as Record<string, string | number | undefined>)[column]).filter((v) => v !== undefined && v !== '').map(Number);
    const finite = values.filter((v) => Number.isFinite(v));
    // NaN (a percentile of a seed that served nothing) is left out, like aggregate.csv does.
    out[column] = values.length === 0 ? '' : finite.length === 0 ? Number.NaN : finite.reduce((s, v) => s + v, 0) / finite.length;
  }
  return out as SummaryRow;
}

/**
 * One run per policy set, in order of first appearance: a policy set's
 * seeds pooled into one set of replies (so its latency CDF is over all its
 * invocations) and the time series of its first seed (series of different
 * seeds cannot be added up sample by sample in a way that means anything).
 */
export function runsPerPolicy(runs: readonly ReportRun[]): ReportRun[] {
  const groups = new Map<string, ReportRun[]>();
  for (const r of runs) {
    const g = groups.get(r.policy);
    if (g === undefined) groups.set(r.policy, [r]);
    else g.push(r);
  }
  return [...groups.values()].map((g) => {
    const first = g[0]!;
    if (g.length === 1) return first;
    // Warm-up is per run: keep each run's own cut by dropping its early replies here.
    const replies = g.flatMap((r) => (r.warmupMs === undefined || r.warmupMs === 0 ? r.replies : r.replies.filter((x) => x.arrivalMs >= r.warmupMs!)));
    return { policy: first.policy, replies, samples: first.samples, warmupMs: 0 };
  });
}
