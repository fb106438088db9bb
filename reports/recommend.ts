import type { Slo } from '../scenarios/scenario.ts';
import { costModel, formatCost, type CostModel } from './cost.ts';
import { cell, formatMs, formatPercent } from './format.ts';
import type { SummaryRow } from './summary.ts';

/** A constraint of an SLO that a policy set can be checked against. */
export type SloMetric = 'p50' | 'p90' | 'p99' | 'overheadP99' | 'rejected';

/** One constraint of an SLO checked against one policy set. */
export interface SloCheck {
  readonly metric: SloMetric;
  /** Milliseconds for latencies; a fraction of invocations for `rejected`. */
  readonly value: number;
  readonly goal: number;
  /** How far over the goal, relative to it (value / goal - 1); 0 or less when met, Infinity when nothing was served or the goal is 0. */
  readonly excess: number;
  readonly met: boolean;
}

/** The answer to "which policy set is cheapest while meeting the SLO?". */
export interface Recommendation {
  /** `meets`: `policy` is the cheapest that meets the SLO; `none`: nothing does, and `policy` comes closest. */
  readonly kind: 'meets' | 'none';
  readonly policy: string;
  /** One sentence for people, with the numbers. */
  readonly reason: string;
  /** The numbers of `reason` without the verdict, for a page that shows the verdict and the name on their own. */
  readonly details: string;
  /** Every policy set that meets the SLO, cheapest first. */
  readonly meeting: readonly string[];
  /** When none meets it: the closest policy set and the constraints it misses, worst first. */
  readonly closest?: { readonly policy: string; readonly worstExcess: number; readonly missed: readonly SloCheck[] };
}

const LATENCY: readonly [Exclude<SloMetric, 'rejected'>, keyof SummaryRow][] = [
  ['p50', 'p50_ms'],
  ['p90', 'p90_ms'],
  ['p99', 'p99_ms'],
  ['overheadP99', 'overhead_p99_ms'],
];

/** The label of a metric in sentences. */
export const SLO_METRIC_LABEL: Readonly<Record<SloMetric, string>> = {
  p50: 'p50',
  p90: 'p90',
  p99: 'p99',
  overheadP99: 'overhead p99',
  rejected: 'rejected',
};

/** Fraction of a row's invocations that were rejected (1 when there were none, so an empty run never looks perfect). */
export function rejectedFraction(row: SummaryRow): number {
  const n = cell(row, 'invocations');
  return n > 0 ? cell(row, 'rejected') / n : 1;
}

function excessOver(value: number, goal: number): number {
  // NaN latency means nothing was served: as far from any goal as can be.
  if (Number.isNaN(value)) return Number.POSITIVE_INFINITY;
  if (value <= goal) return goal > 0 ? value / goal - 1 : 0;
  return goal > 0 ? value / goal - 1 : Number.POSITIVE_INFINITY;
}

/** Checks one summary row against every constraint the SLO sets. */
export function checkSlo(row: SummaryRow, slo: Slo): SloCheck[] {
  const checks: SloCheck[] = [];
  for (const [metric, column] of LATENCY) {
    const goal = slo[metric];
    if (goal === undefined) continue;
    const value = cell(row, column);
    const excess = excessOver(value, goal);
    checks.push({ metric, value, goal, excess, met: !Number.isNaN(value) && value <= goal });
  }
  const rejected = rejectedFraction(row);
  checks.push({ metric: 'rejected', value: rejected, goal: slo.maxRejected, excess: excessOver(rejected, slo.maxRejected), met: rejected <= slo.maxRejected });
  return checks;
}

/** Formats a checked value in the unit of its metric. */
export function formatCheckValue(metric: SloMetric, x: number): string {
  return metric === 'rejected' ? formatPercent(x) : formatMs(x);
}

function describeMiss(c: SloCheck): string {
  const goal = c.metric === 'rejected' ? `${formatPercent(c.goal)} allowed` : `${formatMs(c.goal)} goal`;
  return `${SLO_METRIC_LABEL[c.metric]} ${formatCheckValue(c.metric, c.value)} vs ${goal}`;
}

/**
 * Names the cheapest policy set by the report's cost model (default:
 * worker-hours, then GiB-hours, then name so the answer is stable) that
 * meets the SLO. When none does, names the
 * one whose worst constraint is least over its goal, relative to the goal:
 * 1.9 s against 1 s (+90%) is closer than 0.5 s against 0.2 s (+150%), so
 * constraints of different sizes and units compare fairly. Ties, including
 * policy sets that all miss a zero-rejection goal (Infinity), go to the one
 * rejecting less, then to the cheaper one.
 */
export function recommend(rows: readonly SummaryRow[], slo: Slo, model: CostModel = costModel()): Recommendation {
  const byCost = model.compare;
  if (rows.length === 0) return { kind: 'none', policy: '', reason: 'There are no policy sets to compare.', details: 'There are no policy sets to compare.', meeting: [] };
  const sorted = [...rows].sort(byCost);
  const checked = sorted.map((row) => ({ row, checks: checkSlo(row, slo) }));
  const meeting = checked.filter((c) => c.checks.every((k) => k.met));
  const first = meeting[0];
  if (first !== undefined) {
    const policy = String(first.row.policy);
    const lat = first.checks.filter((c) => c.metric !== 'rejected').map((c) => `${SLO_METRIC_LABEL[c.metric]} ${formatMs(c.value)} vs ${formatMs(c.goal)} goal`);
    const others = meeting.length - 1;
    const details =
      formatCost(model, first.row) +
      (lat.length > 0 ? `, ${lat.join(', ')}` : '') +
      `, ${formatPercent(rejectedFraction(first.row))} rejected` +
      ` (${others === 0 ? 'the only one of' : `${meeting.length} of`} ${rows.length} policy sets meet it).`;
    const reason = `${policy} is the cheapest policy set that meets the SLO: ${details}`;
    return { kind: 'meets', policy, reason, details, meeting: meeting.map((m) => String(m.row.policy)) };
  }
  const ranked = checked
    .map((c) => ({ ...c, worst: Math.max(...c.checks.map((k) => k.excess)), rejected: rejectedFraction(c.row) }))
    .sort((a, b) => compareExcess(a.worst, b.worst) || a.rejected - b.rejected || byCost(a.row, b.row));
  const best = ranked[0]!;
  const missed = best.checks.filter((c) => !c.met).sort((a, b) => compareExcess(b.excess, a.excess));
  const policy = String(best.row.policy);
  const misses = missed.map(describeMiss).join(', ');
  const reason = `No policy set meets the SLO; the closest is ${policy} (${misses}).`;
  const details = `It misses by the least: ${misses}.`;
  return { kind: 'none', policy, reason, details, meeting: [], closest: { policy, worstExcess: best.worst, missed } };
}

// Infinity - Infinity is NaN, which would make the sort order depend on the engine.
function compareExcess(a: number, b: number): number {
  return a === b ? 0 : a < b ? -1 : 1;
}
