import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { percentile, percentilesBySelection } from '../../reports/summary.ts';

const QS = [0, 0.001, 0.25, 0.5, 0.9, 0.99, 0.999, 1];

describe('percentilesBySelection', () => {
  it('gives the nearest-rank percentiles of the sorted array, for any values and any order of ranks', () => {
    fc.assert(
      fc.property(
        // Few distinct values as often as many: runs of equal latencies are the common case (warm hits).
        // Long enough (size 'max': lengths spread up to 2,000) that selection partitions rather than sorts its
        // last few elements, which it does below 17.
        fc.oneof(
          // x + 0 turns -0 into +0: selection counts the two equal where the sort puts -0 first (documented there).
          fc.array(fc.double({ min: -1e6, max: 1e9, noNaN: true }).map((x) => x + 0), { maxLength: 2_000, size: 'max' }),
          fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 2_000, size: 'max' }),
        ),
        fc.oneof(fc.shuffledSubarray(QS, { minLength: 1 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 6 })),
        (values, qs) => {
          const sorted = Float64Array.from(values).sort();
          const got = percentilesBySelection(Float64Array.from(values), qs);
          expect(got).toEqual(qs.map((q) => percentile(sorted, q)));
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('is NaN for every q of an empty array', () => {
    expect(percentilesBySelection(new Float64Array(0), [0.5, 1])).toEqual([Number.NaN, Number.NaN]);
  });

  it('gives the same values on orders that trouble a median-of-three pivot (organ pipe, sawtooth, all equal, sorted, reversed)', () => {
    // Where the pivots are poor the round budget sorts the range left: these must take that path and stay right.
    const n = 50_000;
    const shapes = [
      Float64Array.from({ length: n }, (_, i) => (i < n / 2 ? i : n - i)),
      Float64Array.from({ length: n }, (_, i) => i % 7),
      new Float64Array(n).fill(3),
      Float64Array.from({ length: n }, (_, i) => i),
      Float64Array.from({ length: n }, (_, i) => n - i),
    ];
    for (const a of shapes) {
      const sorted = Float64Array.from(a).sort();
      expect(percentilesBySelection(Float64Array.from(a), [0.5, 0.9, 0.99, 1])).toEqual([0.5, 0.9, 0.99, 1].map((q) => percentile(sorted, q)));
    }
  });
});
