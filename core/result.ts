import type { AccountingTotals } from './accounting.ts';
import type { CoreCounters } from './scheduler.ts';
import type { Reply } from './types.ts';

// Types only. They live at the bottom of the house so that both runtimes
// (through the session) and the report writers can name a run's result
// without a runtime depending on the report format or a writer on a runtime.

/** One point of a run's time series: what the cluster held at a moment. */
export interface Sample {
  readonly timeMs: number;
  readonly workers: number;
  readonly resident: number;
  readonly parked: number;
}

/** What any runtime (simulated or real) hands the report writers for one policy set. */
export interface RunResult {
  readonly policy: string;
  readonly replies: readonly Reply[];
  readonly counters: CoreCounters;
  readonly totals: AccountingTotals;
  /** Events handled by the core. */
  readonly events: number;
  readonly endMs: number;
  /** Invocations arriving before this are left out of the statistics (totals already cover [warmupMs, endMs]). */
  readonly warmupMs: number;
  /** Seed of the run's random streams; the `seed` column (empty when absent). */
  readonly seed?: number;
}
