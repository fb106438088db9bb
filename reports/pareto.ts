import { cell } from './format.ts';
import type { SummaryRow } from './summary.ts';

/** Cost columns a Pareto front can be taken over. */
export type CostColumn = 'gib_seconds' | 'worker_seconds';

/**
 * The Pareto front of cost against p99 latency: the policy sets no other set
 * beats on both (at most the same cost and p99, strictly better on one), in
 * order of rising cost. Sets with identical numbers are all kept. Sets with
 * no p99 (nothing served) are left out: they have no latency to trade.
 */
export function paretoFront(rows: readonly SummaryRow[], cost: CostColumn = 'gib_seconds'): SummaryRow[] {
  const points = rows
    .map((row) => ({ row, c: cell(row, cost), p: cell(row, 'p99_ms') }))
    .filter((x) => Number.isFinite(x.c) && Number.isFinite(x.p))
    .sort((a, b) => a.c - b.c || a.p - b.p);
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
