import { describe, expect, it } from 'vitest';
import { fitLognormal, fitSizeCost, MIN_BASE_MS, nearestRank, predictAt, UNMEASURED_MIB_PER_SEC } from '../../real/calibrate-fit.ts';

describe('fitSizeCost', () => {
  it('recovers base and bandwidth of an exact line', () => {
    // 20 ms + size / 200 MiB/s = 20 ms + 5 ms per MiB.
    const samples = [16, 64, 256].flatMap((s) => [0, 1, 2].map(() => ({ sizeMiB: s, ms: 20 + 5 * s })));
    const f = fitSizeCost(samples);
    expect(f.msPerMiB).toBeCloseTo(5, 9);
    expect(f.mibPerSec).toBeCloseTo(200, 6);
    expect(f.base.medianMs).toBeCloseTo(20, 9);
    expect(f.base.p99Ms).toBeCloseTo(20, 9);
    expect(f.r2).toBeCloseTo(1, 9);
    expect(f.sizesMiB).toEqual([16, 64, 256]);
    expect(predictAt(f, 128).medianMs).toBeCloseTo(20 + 640, 6);
  });

  it('fits the line through per-size medians, so one outlier does not tilt it', () => {
    const samples = [
      ...[16, 64, 256].flatMap((s) => [10, 12, 14].map((b) => ({ sizeMiB: s, ms: b + 2 * s }))),
      { sizeMiB: 256, ms: 10_000 },
    ];
    const f = fitSizeCost(samples);
    expect(f.msPerMiB).toBeCloseTo(2, 1);
    expect(f.base.medianMs).toBeGreaterThan(9);
    expect(f.base.medianMs).toBeLessThan(15);
    // The outlier stays in the tail of the base.
    expect(f.base.p99Ms).toBeGreaterThan(1000);
  });

  it('takes the size term as nil with one size or a falling line', () => {
    const one = fitSizeCost([{ sizeMiB: 8, ms: 30 }, { sizeMiB: 8, ms: 40 }]);
    expect(one.msPerMiB).toBe(0);
    expect(one.mibPerSec).toBe(UNMEASURED_MIB_PER_SEC);
    expect(one.base.medianMs).toBe(30);
    expect(one.base.p99Ms).toBe(40);
    const falling = fitSizeCost([{ sizeMiB: 4, ms: 50 }, { sizeMiB: 8, ms: 40 }]);
    expect(falling.mibPerSec).toBe(UNMEASURED_MIB_PER_SEC);
    expect(Number.isNaN(falling.r2)).toBe(true);
  });

  it('floors a base the line pushes below zero', () => {
    // Convex times: the line's intercept is negative.
    const f = fitSizeCost([{ sizeMiB: 1, ms: 1 }, { sizeMiB: 2, ms: 2 }, { sizeMiB: 100, ms: 1000 }]);
    expect(f.base.medianMs).toBe(MIN_BASE_MS);
    expect(f.base.p99Ms).toBeGreaterThanOrEqual(f.base.medianMs);
  });
});

describe('fitLognormal', () => {
  it('takes the median and the nearest-rank p99', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(fitLognormal(values)).toEqual({ medianMs: 50, p99Ms: 99, n: 100 });
    expect(nearestRank([3, 1, 2], 0.5)).toBe(2);
    expect(() => fitLognormal([])).toThrow(/no samples/);
  });
});
