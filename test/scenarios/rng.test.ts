import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { makeRng } from '../../scenarios/rng.ts';

function take(rng: () => number, n: number): number[] {
  return Array.from({ length: n }, () => rng());
}

describe('makeRng', () => {
  it('reproduces the same sequence for the same seed and stream', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.integer()), fc.string(), (seed, stream) => {
        expect(take(makeRng(seed, stream), 20)).toEqual(take(makeRng(seed, stream), 20));
      }),
      { numRuns: 50 },
    );
  });

  it('gives different sequences for different streams or seeds', () => {
    const base = take(makeRng(42, 'workload'), 10);
    expect(take(makeRng(42, 'faults'), 10)).not.toEqual(base);
    expect(take(makeRng(43, 'workload'), 10)).not.toEqual(base);
  });

  it('yields values in [0, 1)', () => {
    const rng = makeRng('s', 'range');
    let inRange = true;
    for (let i = 0; i < 100_000; i++) {
      const u = rng();
      if (!(u >= 0 && u < 1)) inRange = false;
    }
    expect(inRange).toBe(true);
  });
});
