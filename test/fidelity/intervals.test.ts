import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bootstrapQuantiles, targetBand, wilsonCount, withinTarget } from '../../fidelity/intervals.ts';
import { compareSummaries, runSample } from '../../fidelity/compare.ts';
import { makeRng } from '../../scenarios/rng.ts';
import type { SummaryRow } from '../../reports/summary.ts';

const binomial = (n: number, p: number, rng: () => number): number => {
  let k = 0;
  for (let i = 0; i < n; i++) if (rng() < p) k += 1;
  return k;
};

describe('wilsonCount', () => {
  it('is bounded by the counts, holds k, and is never a point', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, f) => {
        const k = Math.round(f * n);
        const i = wilsonCount(k, n);
        expect(i.low).toBeGreaterThanOrEqual(0);
        expect(i.high).toBeLessThanOrEqual(n);
        expect(i.low).toBeLessThanOrEqual(k);
        expect(i.high).toBeGreaterThanOrEqual(k);
        expect(i.high - i.low).toBeGreaterThan(0);
      }),
      { numRuns: 300, seed: 18 },
    );
  });

  it('covers the true count about 95% of the time on simulated binomials', () => {
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 400 }), fc.double({ min: 0.05, max: 0.95, noNaN: true }), fc.integer({ min: 0, max: 1e6 }), (n, p, seed) => {
        const rng = makeRng(seed, 'wilson-coverage');
        const draws = 300;
        let covered = 0;
        for (let d = 0; d < draws; d++) {
          const i = wilsonCount(binomial(n, p, rng), n);
          if (i.low <= n * p && n * p <= i.high) covered += 1;
        }
        // Wilson's coverage oscillates around 95% (Brown, Cai, DasGupta 2001); with 300 draws, 88% is far below any honest miss.
        expect(covered / draws).toBeGreaterThan(0.88);
      }),
      { numRuns: 25, seed: 7 },
    );
  });

  it('gives no interval for what is not a count of n', () => {
    expect(wilsonCount(3, 0).low).toBeNaN();
    expect(wilsonCount(5, 4).low).toBeNaN();
    expect(wilsonCount(Number.NaN, 4).high).toBeNaN();
  });
});

describe('bootstrapQuantiles', () => {
  it('is deterministic by seed and stream, and lies within the data', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e5, noNaN: true }), { minLength: 1, maxLength: 60 }), fc.integer({ min: 0, max: 1000 }), (xs, seed) => {
        const a = bootstrapQuantiles(xs, [0.5, 0.99], seed, 's', 50);
        const b = bootstrapQuantiles(xs, [0.5, 0.99], seed, 's', 50);
        expect(a).toEqual(b);
        const lo = Math.min(...xs);
        const hi = Math.max(...xs);
        for (const i of a) {
          expect(i.low).toBeGreaterThanOrEqual(lo);
          expect(i.high).toBeLessThanOrEqual(hi);
          expect(i.low).toBeLessThanOrEqual(i.high);
        }
      }),
      { numRuns: 100, seed: 3 },
    );
  });

  it('covers the median of an exponential at about the nominal rate', () => {
    const truth = Math.LN2 * 100;
    const rng = makeRng(1, 'exp');
    let covered = 0;
    const trials = 150;
    for (let t = 0; t < trials; t++) {
      const xs = Array.from({ length: 150 }, () => -100 * Math.log(1 - rng()));
      const [i] = bootstrapQuantiles(xs, [0.5], t, 'exp', 300);
      if (i!.low <= truth && truth <= i!.high) covered += 1;
    }
    expect(covered / trials).toBeGreaterThan(0.85);
    expect(covered / trials).toBeLessThanOrEqual(1);
  });

  it('gives NaN ends with no value and refuses a bad resample count', () => {
    expect(bootstrapQuantiles([], [0.5], 1, 's')[0]!.low).toBeNaN();
    expect(() => bootstrapQuantiles([1], [0.5], 1, 's', 0)).toThrow(/resamples/);
  });
});

describe('withinTarget', () => {
  it('is the overlap of the simulated interval with real ± target', () => {
    expect(targetBand(100, 0.1)).toEqual({ low: 90, high: 110 });
    expect(withinTarget(110, { low: Number.NaN, high: Number.NaN }, 100, 0.1)).toBe(true);
    expect(withinTarget(111, { low: Number.NaN, high: Number.NaN }, 100, 0.1)).toBe(false);
    expect(withinTarget(130, { low: 109, high: 150 }, 100, 0.1)).toBe(true);
    expect(withinTarget(130, { low: 111, high: 150 }, 100, 0.1)).toBe(false);
    expect(withinTarget(Number.NaN, { low: 1, high: 2 }, 100, 0.1)).toBeUndefined();
  });

  it('widens the band to the real figure\'s resolution where ± target of it is narrower: a real 0 is not one point', () => {
    expect(targetBand(0, 0.1, 1)).toEqual({ low: -1, high: 1 });
    expect(targetBand(100, 0.1, 1)).toEqual({ low: 90, high: 110 });
    // A real overhead p50 of 0 (most invocations warm): a simulated interval from 0.001 ms meets it, one from 2 ms does not.
    expect(withinTarget(142, { low: 0.001, high: 1401 }, 0, 0.1)).toBe(false);
    expect(withinTarget(142, { low: 0.001, high: 1401 }, 0, 0.1, 1)).toBe(true);
    expect(withinTarget(142, { low: 2, high: 1401 }, 0, 0.1, 1)).toBe(false);
    // A count of 1 against a real 0 (Wilson 0.18-5.5 of 107): within half an invocation; 4 (1.5-9.3) is not.
    expect(withinTarget(1, { low: 0.18, high: 5.46 }, 0, 0.05, 0.5)).toBe(true);
    expect(withinTarget(4, { low: 1.5, high: 9.3 }, 0, 0.05, 0.5)).toBe(false);
  });

  it('compareSummaries gives counts a floor of half an invocation and time quantiles one of 1 ms, worker-seconds none', () => {
    const row = (policy: string, v: Record<string, number>): SummaryRow => ({ policy, ...v }) as unknown as SummaryRow;
    const rows = compareSummaries([row('a', { invocations: 107, resume_local: 1, worker_seconds: 1 })], [row('a', { invocations: 107, resume_local: 0, worker_seconds: 0 })]);
    expect(rows.find((r) => r.metric === 'resume_local')!.met).toBe(true);
    expect(rows.find((r) => r.metric === 'worker_seconds')!.met).toBe(false);
  });

  it('no longer fails a small count on sampling noise alone, but still fails a large miss', () => {
    const row = (policy: string, v: Record<string, number>): SummaryRow => ({ policy, ...v }) as unknown as SummaryRow;
    const rows = compareSummaries([row('a', { invocations: 200, golden: 7, warm: 150 })], [row('a', { invocations: 200, golden: 9, warm: 190 })]);
    const golden = rows.find((r) => r.metric === 'golden')!;
    expect(golden.metPoint).toBe(false);
    expect(golden.met).toBe(true);
    expect(golden.interval).toBe('wilson');
    const warm = rows.find((r) => r.metric === 'warm')!;
    expect(warm.met).toBe(false);
  });
});

describe('compareSummaries with samples', () => {
  it('targets the overhead quantiles, takes p90 of the overhead from the invocations, and bootstraps every quantile the same way twice', () => {
    const reply = (i: number, latencyMs: number, execMs: number) => ({
      invocation: i,
      actor: 'a',
      outcome: 'served' as const,
      reason: '' as const,
      path: 'warm' as const,
      arrivalMs: i,
      startMs: i,
      endMs: i + latencyMs,
      parts: { parkedMs: 0, workerStartMs: 0, restoreMs: 0, execMs, queuedMs: 0 },
      attempts: 1,
    });
    const sim = runSample(Array.from({ length: 100 }, (_, i) => reply(i, 1000 + i, 900)), 0);
    const real = runSample(Array.from({ length: 101 }, (_, i) => reply(i - 1, 1000 + 3 * i, 900)), 0);
    expect(real.latenciesMs).toHaveLength(100);
    const summary = (policy: string): SummaryRow => ({ policy, invocations: 100, served: 100 }) as unknown as SummaryRow;
    const inputs = { samples: new Map([['a', { sim, real }]]), seed: 5 };
    const rows = compareSummaries([summary('a')], [summary('a')], inputs);
    expect(compareSummaries([summary('a')], [summary('a')], inputs)).toEqual(rows);
    const p90 = rows.find((r) => r.metric === 'overhead_p90_ms')!;
    expect(p90).toMatchObject({ sim: 189, target: 0.1, interval: 'bootstrap' });
    expect(p90.real).toBe(100 + 3 * 90);
    expect(p90.simInterval!.low).toBeLessThanOrEqual(189);
    expect(p90.simInterval!.high).toBeGreaterThanOrEqual(189);
    for (const m of ['overhead_p50_ms', 'overhead_p90_ms', 'overhead_p99_ms', 'p50_ms', 'p99_ms']) expect(rows.find((r) => r.metric === m)!.target).toBe(0.1);
  });
});
