import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { fidelityTimeseriesCsv, pairSeries, samplesByPolicy, seriesError, seriesInterval, seriesRows } from '../../fidelity/series.ts';
import type { Sample } from '../../core/result.ts';

const s = (timeMs: number, resident: number, workers = 2): Sample => ({ timeMs, workers, resident, parked: 0 });

describe('fidelity time series', () => {
  it('pairs samples by slot: the real driver samples a little late and may skip a slot, the first sample of a slot wins', () => {
    const sim = [s(-2000, 0), s(-1000, 1), s(0, 2), s(1000, 3), s(2000, 4)];
    // Slot -1000 skipped; slot 1000 sampled twice (a late wake-up after a skip would not do this, but a caller might).
    const real = [s(-1990, 0), s(30, 1), s(1010, 5), s(1400, 9), s(2020, 4)];
    const p = pairSeries(sim, real, 1000, -2000);
    expect(p.map((x) => x.timeMs)).toEqual([-2000, 0, 1000, 2000]);
    expect(p.map((x) => [x.sim.resident, x.real.resident])).toEqual([
      [0, 0],
      [2, 1],
      [3, 5],
      [4, 4],
    ]);
    expect(() => pairSeries(sim, real, 0)).toThrow(/positive/);
  });

  it('measures the curves apart as sum |sim - real| over sum real, within a window', () => {
    const p = pairSeries([s(0, 10), s(1000, 20), s(2000, 30), s(3000, 40)], [s(0, 0), s(1000, 25), s(2000, 30), s(3000, 30)], 1000);
    // The slot at 0 is before the window (warm-up).
    const e = seriesError(p, 'resident', 1000, 3000);
    expect(e.samples).toBe(3);
    expect(e.simMean).toBe(30);
    expect(e.realMean).toBeCloseTo(85 / 3, 12);
    expect(e.error).toBeCloseTo((5 + 0 + 10) / 85, 12);
    // Unsigned: too high and too low do not cancel.
    const q = pairSeries([s(0, 12), s(1000, 8)], [s(0, 10), s(1000, 10)], 1000);
    expect(seriesError(q, 'resident', 0, 1000).error).toBeCloseTo(0.2, 12);
    expect(seriesError(q, 'workers', 0, 1000).error).toBe(0);
  });

  it('is 0 for two zero series, undefined for real zero and sim not, or no slot', () => {
    expect(seriesError(pairSeries([s(0, 0)], [s(0, 0)], 1000), 'resident', 0, 0).error).toBe(0);
    expect(seriesError(pairSeries([s(0, 1)], [s(0, 0)], 1000), 'resident', 0, 0).error).toBeNaN();
    const none = seriesError([], 'resident', 0, 1000);
    expect(none.samples).toBe(0);
    expect(none.error).toBeNaN();
    expect(none.simMean).toBeNaN();
  });

  it('gives fidelity.csv one row per gauge, with no target', () => {
    const p = pairSeries([s(0, 2, 3), s(1000, 4, 3)], [s(0, 2, 2), s(1000, 2, 2)], 1000);
    const rows = seriesRows('pol', p, 0, 1000);
    expect(rows.map((r) => [r.metric, r.sim, r.real, r.relError, r.target, r.met])).toEqual([
      ['resident_over_time', 3, 2, 0.5, undefined, undefined],
      ['workers_over_time', 3, 2, 0.5, undefined, undefined],
    ]);
  });

  it('reads timeseries.csv rows into span time and refuses a non-numeric row', () => {
    const rows = [
      { policy: 'a', time_ms: '0', workers: '1', resident: '0', parked: '0', seed: '1' },
      { policy: 'a', time_ms: '250', workers: '2', resident: '3', parked: '1', seed: '1' },
      { policy: 'b', time_ms: '0', workers: '1', resident: '1', parked: '0', seed: '1' },
    ];
    // The simulator's compressed copy: times x4, less an 800 ms priming gap.
    const m = samplesByPolicy(rows, 4, 800);
    expect(m.get('a')).toEqual([
      { timeMs: -800, workers: 1, resident: 0, parked: 0 },
      { timeMs: 200, workers: 2, resident: 3, parked: 1 },
    ]);
    expect(m.get('b')!.length).toBe(1);
    expect(() => samplesByPolicy([{ ...rows[0]!, resident: 'x' }])).toThrow(/not numeric/);
  });

  it('picks a round interval with at most about 150 slots, never under a second', () => {
    expect(seriesInterval(20_000)).toBe(1000);
    expect(seriesInterval(452_000)).toBe(5000);
    expect(seriesInterval(86_400_000)).toBe(600_000);
    expect(seriesInterval(86_400_000 * 1000)).toBe(3_600_000);
  });

  it('writes fidelity-timeseries.csv slot by slot', () => {
    const p = pairSeries([s(0, 1, 2), s(1000, 2, 2)], [s(5, 1, 1), s(1003, 3, 2)], 1000);
    const rows = parse(fidelityTimeseriesCsv(new Map([['pol', p]])), { columns: true }) as Record<string, string>[];
    expect(rows).toEqual([
      { policy: 'pol', time_ms: '0', sim_workers: '2', real_workers: '1', sim_resident: '1', real_resident: '1' },
      { policy: 'pol', time_ms: '1000', sim_workers: '2', real_workers: '2', sim_resident: '2', real_resident: '3' },
    ]);
  });
});
