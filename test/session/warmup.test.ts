import { describe, expect, it } from 'vitest';
import type { AccountingTotals } from '../../core/accounting.ts';
import type { CoreCounters } from '../../core/scheduler.ts';
import { sinceWarmup } from '../../session/warmup.ts';

const counters = (x: number): CoreCounters => ({
  snapshotBytesWritten: 100 * x,
  snapshotBytesRead: 50 * x,
  restores: 3 * x,
  restoreFailures: x,
  checkpoints: 2 * x,
  checkpointFailures: x,
  evictions: x,
  workersStarted: x,
  workersLost: x,
  unschedulableWorkers: x,
  prewarms: x,
  scaleUps: x,
  scaleDowns: x,
});
const totals = (x: number, peak: number): AccountingTotals => ({
  workerMs: 1000 * x,
  busyMiBMs: 10 * x,
  idleMiBMs: 20 * x,
  emptyMiBMs: 30 * x,
  residentActorMs: 40 * x,
  peakWorkers: peak,
  peakResident: 2 * peak,
});

describe('sinceWarmup', () => {
  it('subtracts what the warm-up accrued from every integral and counter, and keeps whole-run peaks', () => {
    const { totals: t, counters: c } = sinceWarmup(totals(5, 9), counters(5), { totals: totals(2, 7), counters: counters(2) });
    expect(t).toEqual({ workerMs: 3000, busyMiBMs: 30, idleMiBMs: 60, emptyMiBMs: 90, residentActorMs: 120, peakWorkers: 9, peakResident: 18 });
    expect(c).toEqual(counters(3));
  });

  it('leaves the whole run without a mark, and never changes its arguments', () => {
    const whole = totals(5, 9);
    const wholeCounters = counters(5);
    expect(sinceWarmup(whole, wholeCounters, null)).toEqual({ totals: totals(5, 9), counters: counters(5) });
    sinceWarmup(whole, wholeCounters, { totals: totals(1, 1), counters: counters(1) });
    expect(whole).toEqual(totals(5, 9));
    expect(wholeCounters).toEqual(counters(5));
  });
});
