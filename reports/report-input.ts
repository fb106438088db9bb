import type { Sample } from '../core/result.ts';
import type { Reply } from '../core/types.ts';
import type { PolicySet, Prices, Slo } from '../scenarios/scenario.ts';
import type { SummaryRow } from './summary.ts';
import type { SizingReport } from './sizing.ts';

/** The raw data of one policy set's run that the charts need beyond its summary row. */
export interface ReportRun {
  readonly policy: string;
  readonly replies: readonly Reply[];
  readonly samples: readonly Sample[];
  /** Replies arriving before this are left out, as in summary.csv (default 0). */
  readonly warmupMs?: number;
}

/** Everything report.html and summary.md are rendered from. */
export interface ReportInput {
  readonly scenario: { readonly name: string; readonly description: string };
  readonly seeds: readonly number[];
  /** summary.csv's rows, in the order policy sets should be listed: one per policy set, or one per policy set and seed (averaged per policy set). */
  readonly rows: readonly SummaryRow[];
  /** One per policy set, or one per policy set and seed (replies pooled, the first seed's time series shown). */
  readonly runs: readonly ReportRun[];
  readonly slo?: Slo;
  /** The scenario's prices: the cost model of the recommendation and the Pareto front (absent: worker-hours, then GiB-hours). */
  readonly prices?: Prices;
  /** The policy sets that ran, to compare the recommendation with one pod per agent always on. */
  readonly policies?: readonly Pick<PolicySet, 'name' | 'pools'>[];
  /** simulate --size: the search, drawn as a frontier section; the rows are then each policy set at its sized value. */
  readonly sizing?: SizingReport;
}
