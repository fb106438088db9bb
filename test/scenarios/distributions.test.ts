import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { makeRng } from '../../scenarios/rng.ts';
import {
  Sampler,
  sampleExponential,
  sampleStandardNormal,
  validateDistribution,
  type DistributionSpec,
} from '../../scenarios/distributions.ts';

const N = 100_000;
const Z_P99 = 2.3263478740408408;

function draw(spec: DistributionSpec, n = N, stream = 'test'): Float64Array {
  const s = new Sampler(spec, makeRng(1234, stream));
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = s.sample();
  return out;
}

function mean(xs: Float64Array): number {
  let sum = 0;
  for (const x of xs) sum += x;
  return sum / xs.length;
}

function quantile(xs: Float64Array, p: number): number {
  const sorted = Float64Array.from(xs).sort();
  return sorted[Math.floor(p * (sorted.length - 1))]!;
}

// Tolerance of 5 standard errors: with a fixed seed the test is deterministic, and a
// correct sampler would fail it with probability ~1e-6 for a fresh seed.
function expectMeanNear(xs: Float64Array, expected: number, sdExpected: number): void {
  expect(Math.abs(mean(xs) - expected)).toBeLessThan((5 * sdExpected) / Math.sqrt(xs.length));
}

describe('validateDistribution', () => {
  const bad: Array<[string, unknown, RegExp]> = [
    ['negative constant', { kind: 'constant', valueMs: -1 }, /valueMs/],
    ['NaN constant', { kind: 'constant', valueMs: NaN }, /valueMs/],
    ['infinite exponential', { kind: 'exponential', meanMs: Infinity }, /meanMs/],
    ['negative exponential', { kind: 'exponential', meanMs: -5 }, /meanMs/],
    ['lognormal without shape', { kind: 'lognormal', medianMs: 10 }, /p99Ms or sigma/],
    ['lognormal with both', { kind: 'lognormal', medianMs: 10, p99Ms: 20, sigma: 1 }, /p99Ms or sigma/],
    ['lognormal p99 < median', { kind: 'lognormal', medianMs: 10, p99Ms: 5 }, /p99Ms/],
    ['lognormal NaN median', { kind: 'lognormal', medianMs: NaN, sigma: 1 }, /medianMs/],
    ['lognormal zero median', { kind: 'lognormal', medianMs: 0, sigma: 1 }, /medianMs/],
    ['lognormal negative sigma', { kind: 'lognormal', medianMs: 10, sigma: -1 }, /sigma/],
    ['lognormal NaN p99', { kind: 'lognormal', medianMs: 10, p99Ms: NaN }, /p99Ms/],
    ['uniform min > max', { kind: 'uniform', minMs: 5, maxMs: 1 }, /minMs/],
    ['uniform negative min', { kind: 'uniform', minMs: -1, maxMs: 1 }, /minMs/],
    ['uniform infinite max', { kind: 'uniform', minMs: 0, maxMs: Infinity }, /maxMs/],
    ['empirical empty', { kind: 'empirical', samplesMs: [] }, /samplesMs/],
    ['empirical negative member', { kind: 'empirical', samplesMs: [1, -2] }, /samplesMs\[1\]/],
    ['unknown kind', { kind: 'pareto', alpha: 1 }, /unknown distribution kind/],
  ];

  for (const [name, spec, field] of bad) {
    it(`rejects ${name}`, () => {
      const call = () => validateDistribution(spec as DistributionSpec, 'scenario.foo.latency');
      expect(call).toThrow(/scenario\.foo\.latency/);
      expect(call).toThrow(field);
      expect(() => new Sampler(spec as DistributionSpec, makeRng(1, 'x'))).toThrow(field);
    });
  }

  it('accepts valid specs', () => {
    const good: DistributionSpec[] = [
      { kind: 'constant', valueMs: 0 },
      { kind: 'exponential', meanMs: 3 },
      { kind: 'lognormal', medianMs: 10, p99Ms: 10 },
      { kind: 'lognormal', medianMs: 10, sigma: 0.5 },
      { kind: 'uniform', minMs: 2, maxMs: 2 },
      { kind: 'empirical', samplesMs: [0, 1, 2] },
    ];
    for (const spec of good) expect(() => validateDistribution(spec, 'ok')).not.toThrow();
  });
});

describe('Sampler', () => {
  it('constant returns exactly the value', () => {
    const s = new Sampler({ kind: 'constant', valueMs: 7.5 }, makeRng(1, 'c'));
    for (let i = 0; i < 100; i++) expect(s.sample()).toBe(7.5);
    expect(s.meanMs).toBe(7.5);
  });

  it('exponential mean matches', () => {
    const spec: DistributionSpec = { kind: 'exponential', meanMs: 40 };
    expect(new Sampler(spec, makeRng(1, 'x')).meanMs).toBe(40);
    expectMeanNear(draw(spec), 40, 40);
  });

  it('uniform mean matches and stays in range', () => {
    const spec: DistributionSpec = { kind: 'uniform', minMs: 10, maxMs: 30 };
    const xs = draw(spec);
    expect(new Sampler(spec, makeRng(1, 'x')).meanMs).toBe(20);
    expectMeanNear(xs, 20, 20 / Math.sqrt(12));
    expect(xs.every((x) => x >= 10 && x < 30)).toBe(true);
  });

  it('lognormal (sigma form) median and mean match', () => {
    const medianMs = 50;
    const sigma = 0.6;
    const spec: DistributionSpec = { kind: 'lognormal', medianMs, sigma };
    const xs = draw(spec);
    const analyticMean = medianMs * Math.exp((sigma * sigma) / 2);
    expect(new Sampler(spec, makeRng(1, 'x')).meanMs).toBeCloseTo(analyticMean, 10);
    expectMeanNear(xs, analyticMean, analyticMean * Math.sqrt(Math.exp(sigma * sigma) - 1));
    // Asymptotic SE of the sample median: 1 / (2 f(m) sqrt(n)), with f(m) = 1 / (m sigma sqrt(2 pi)).
    const medianSe = (medianMs * sigma * Math.sqrt(2 * Math.PI)) / (2 * Math.sqrt(N));
    expect(Math.abs(quantile(xs, 0.5) - medianMs)).toBeLessThan(5 * medianSe);
  });

  it('lognormal (p99 form) hits median and p99', () => {
    const medianMs = 20;
    const p99Ms = 200;
    const xs = draw({ kind: 'lognormal', medianMs, p99Ms });
    const sigma = Math.log(p99Ms / medianMs) / Z_P99;
    const medianSe = (medianMs * sigma * Math.sqrt(2 * Math.PI)) / (2 * Math.sqrt(N));
    expect(Math.abs(quantile(xs, 0.5) - medianMs)).toBeLessThan(5 * medianSe);
    // Asymptotic SE of a sample quantile: sqrt(p(1-p)/n) / f(q); lognormal f(q) = phi(z) / (q sigma).
    const phi = Math.exp(-(Z_P99 * Z_P99) / 2) / Math.sqrt(2 * Math.PI);
    const p99Se = Math.sqrt((0.99 * 0.01) / N) / (phi / (p99Ms * sigma));
    expect(Math.abs(quantile(xs, 0.99) - p99Ms)).toBeLessThan(5 * p99Se);
  });

  it('empirical only returns members and covers them all', () => {
    const samplesMs = [1, 5, 5, 9, 100];
    const xs = draw({ kind: 'empirical', samplesMs }, 10_000);
    const seen = new Set<number>();
    for (const x of xs) {
      expect(samplesMs).toContain(x);
      seen.add(x);
    }
    expect(seen.size).toBe(4);
    expect(new Sampler({ kind: 'empirical', samplesMs }, makeRng(1, 'x')).meanMs).toBe(24);
  });

  it('is deterministic for the same seed', () => {
    const spec: DistributionSpec = { kind: 'lognormal', medianMs: 5, sigma: 1 };
    expect(draw(spec, 101)).toEqual(draw(spec, 101));
  });

  it('never yields negative or NaN values for any valid spec', () => {
    const nonNeg = fc.double({ min: 0, max: 1e6, noNaN: true });
    const spec: fc.Arbitrary<DistributionSpec> = fc.oneof(
      nonNeg.map((valueMs) => ({ kind: 'constant' as const, valueMs })),
      nonNeg.map((meanMs) => ({ kind: 'exponential' as const, meanMs })),
      fc
        .tuple(fc.double({ min: 1e-3, max: 1e6, noNaN: true }), fc.double({ min: 1, max: 100, noNaN: true }))
        .map(([medianMs, ratio]) => ({ kind: 'lognormal' as const, medianMs, p99Ms: medianMs * ratio })),
      fc
        .tuple(fc.double({ min: 1e-3, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 3, noNaN: true }))
        .map(([medianMs, sigma]) => ({ kind: 'lognormal' as const, medianMs, sigma })),
      fc.tuple(nonNeg, nonNeg).map(([x, y]) => ({ kind: 'uniform' as const, minMs: Math.min(x, y), maxMs: Math.max(x, y) })),
      fc.array(nonNeg, { minLength: 1, maxLength: 10 }).map((samplesMs) => ({ kind: 'empirical' as const, samplesMs })),
    );
    fc.assert(
      fc.property(spec, fc.integer(), (s, seed) => {
        const sampler = new Sampler(s, makeRng(seed, 'prop'));
        expect(Number.isFinite(sampler.meanMs) && sampler.meanMs >= 0).toBe(true);
        for (let i = 0; i < 50; i++) {
          const x = sampler.sample();
          expect(x >= 0 && !Number.isNaN(x)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('free sampling functions', () => {
  it('sampleExponential has the requested mean and is non-negative', () => {
    const rng = makeRng(7, 'exp');
    const xs = new Float64Array(N);
    for (let i = 0; i < N; i++) xs[i] = sampleExponential(rng, 3);
    expect(xs.every((x) => x >= 0)).toBe(true);
    expectMeanNear(xs, 3, 3);
  });

  it('sampleStandardNormal has mean 0 and variance 1, consuming two uniforms', () => {
    const rng = makeRng(7, 'norm');
    const xs = new Float64Array(N);
    for (let i = 0; i < N; i++) xs[i] = sampleStandardNormal(rng);
    expectMeanNear(xs, 0, 1);
    let sq = 0;
    for (const x of xs) sq += x * x;
    // Var of x^2 for a standard normal is 2.
    expect(Math.abs(sq / N - 1)).toBeLessThan((5 * Math.sqrt(2)) / Math.sqrt(N));

    const a = makeRng(9, 'n');
    const b = makeRng(9, 'n');
    sampleStandardNormal(a);
    b();
    b();
    expect(a()).toBe(b());
  });
});
