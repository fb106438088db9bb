import type { AccountingTotals } from '../core/accounting.ts';
import type { CoreCounters } from '../core/scheduler.ts';

/** What a run's cost integrals and counters held at the end of its warm-up. */
export interface WarmupMark {
  readonly totals: AccountingTotals;
  readonly counters: CoreCounters;
}

/** The integrals of accounting totals that restart at the warm-up; peaks are not among them. */
const INTEGRALS = ['workerMs', 'busyMiBMs', 'idleMiBMs', 'emptyMiBMs', 'residentActorMs'] as const;

/**
 * Totals and counters of the span after the warm-up: costs and counts less
 * what had accrued at `mark` (none: the whole run); peaks stay whole-run
 * maxima. The simulated and the real runtime both report through this, so a
 * summary means the same span whichever runtime wrote it.
 */
export function sinceWarmup(totals: AccountingTotals, counters: CoreCounters, mark: WarmupMark | null): { totals: AccountingTotals; counters: CoreCounters } {
  const t = { ...totals };
  const c = { ...counters };
  if (mark !== null) {
    for (const k of INTEGRALS) t[k] -= mark.totals[k];
    for (const k of Object.keys(c) as (keyof CoreCounters)[]) c[k] -= mark.counters[k];
  }
  return { totals: t, counters: c };
}
