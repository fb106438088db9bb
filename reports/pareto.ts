import { costModel, type CostModel } from './cost.ts';
import { cell } from './format.ts';
import type { SummaryRow } from './summary.ts';

/** Cost columns a Pareto front can be taken over on their own (a chart panel per resource). */
export type CostColumn = 'gib_seconds' | 'worker_seconds';

/**
 * The Pareto front of cost against p99 latency: the policy sets no other set
 * beats on both (at most the same cost and p99, strictly better on one), in
 * order of rising cost. Cost is the report's cost model (default: worker-hours,
 * ties broken by GiB-hours) or one column. Sets with identical numbers are
 * all kept. Sets with no p99 (nothing served) are left out: they have no
 * latency to trade.
 */
export function paretoFront(rows: readonly SummaryRow[], cost: CostModel | CostColumn = costModel()): SummaryRow[] {
  const of = typeof cost === 'string' ? (r: SummaryRow) => cell(r, cost) : cost.of;
  const points = rows
    .map((row) => ({ row, c: of(row), p: cell(row, 'p99_ms') }))
    .filter((x) => Number.isFinite(x.c) && Number.isFinite(x.p))
    // Equal costs: the faster first, then the model's own order (the other resource), so a tie is broken as the recommendation breaks it.
    .sort((a, b) => a.c - b.c || a.p - b.p || (typeof cost === 'string' ? 0 : cost.compare(a.row, b.row)));
  const front: SummaryRow[] = [];
  // Sweep by rising cost: a point is on the front if its p99 is below every
  // cheaper point's, or ties the last front point exactly.
  let bestP = Number.POSITIVE_INFINITY;
  let last: { c: number; p: number } | undefined;
  for (const x of points) {
    if (x.p < bestP || (last !== undefined && x.c === last.c && x.p === last.p)) {
      front.push(x.row);
      bestP = Math.min(bestP, x.p);
      last = { c: x.c, p: x.p };
    }
  }
  return front;
}
