import type { Prices } from '../scenarios/scenario.ts';
import { cell, formatHours } from './format.ts';
import type { SummaryRow } from './summary.ts';

/**
 * The one cost model of a report, used by the recommendation, the Pareto
 * front and the cost chart. A run uses two resources: worker pods
 * (worker-hours, what a cluster bills per pod) and worker memory
 * (GiB-hours). Without prices the cost is worker-hours, ties broken by
 * GiB-hours: "how many workers" is the question, and a set of small
 * dedicated pods must not beat a shared pool of half the pods on memory
 * alone. With prices (`prices:` in the scenario) the cost is
 * workerHour x worker-hours + gibHour x GiB-hours, ties broken by
 * worker-hours, then GiB-hours.
 */
export interface CostModel {
  /** The prices, when the scenario set them. */
  readonly prices?: Prices;
  /** What `of` measures, for axes and sentences: "worker-hours" or "price". */
  readonly label: string;
  /** The cost of a row in the model's unit (hours, or the prices' currency); NaN when a column is missing. */
  of(row: SummaryRow): number;
  /** Orders rows by cost, then by the other resource, then by name, so every answer is stable. */
  compare(a: SummaryRow, b: SummaryRow): number;
  /** One sentence saying how cost is counted, for the report. */
  readonly statement: string;
}

/** Worker-hours of a summary row. */
export function workerHours(row: SummaryRow): number {
  return cell(row, 'worker_seconds') / 3600;
}

/** GiB-hours of worker memory of a summary row. */
export function gibHours(row: SummaryRow): number {
  return cell(row, 'gib_seconds') / 3600;
}

/** The cost model for a scenario's prices (none: worker-hours, ties broken by GiB-hours). */
export function costModel(prices?: Prices): CostModel {
  const byResources = (a: SummaryRow, b: SummaryRow): number =>
    order(workerHours(a), workerHours(b)) || order(gibHours(a), gibHours(b)) || String(a.policy).localeCompare(String(b.policy));
  if (prices === undefined) {
    return {
      label: 'worker-hours',
      of: workerHours,
      compare: byResources,
      statement: 'Cost is worker-hours, ties broken by GiB-hours of worker memory (set prices: {workerHour, gibHour} in the scenario to weigh both).',
    };
  }
  const of = (r: SummaryRow): number => prices.workerHour * workerHours(r) + prices.gibHour * gibHours(r);
  return {
    prices,
    label: 'price',
    of,
    compare: (a, b) => order(of(a), of(b)) || byResources(a, b),
    statement: `Cost is ${formatPrice(prices.workerHour)} per worker-hour + ${formatPrice(prices.gibHour)} per GiB-hour of worker memory (the scenario's prices), ties broken by worker-hours.`,
  };
}

/** A row's cost as text: "576 worker-h, 720 GiB-h", or with prices "price 32.4 (576 worker-h, 720 GiB-h)". */
export function formatCost(model: CostModel, row: SummaryRow): string {
  const resources = `${formatHours(cell(row, 'worker_seconds'))} worker-h, ${formatHours(cell(row, 'gib_seconds'))} GiB-h`;
  return model.prices === undefined ? resources : `price ${formatPrice(model.of(row))} (${resources})`;
}

/** A price or a priced cost with precision that fits its size: 0.005, 0.05, 32.4, 1,234. */
export function formatPrice(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a === 0) return '0';
  if (a >= 1000) return new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 }).format(x);
  return String(Number(x.toPrecision(3)));
}

// NaN sorts last and equal NaNs tie, so a row missing a column neither wins nor makes the order depend on the engine.
function order(a: number, b: number): number {
  const na = Number.isNaN(a);
  const nb = Number.isNaN(b);
  if (na || nb) return na === nb ? 0 : na ? 1 : -1;
  return a === b ? 0 : a < b ? -1 : 1;
}
