import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../temp-dirs.ts';
import { scaleCosts, scaleDistribution } from '../../scenarios/costs-scale.ts';
import { Sampler, type DistributionSpec } from '../../scenarios/distributions.ts';
import { loadScenarioFile } from '../../scenarios/load.ts';
import { makeRng } from '../../scenarios/rng.ts';

const ms = fc.double({ min: 0.01, max: 1e6, noNaN: true });
const spec: fc.Arbitrary<DistributionSpec> = fc.oneof(
  ms.map((valueMs) => ({ kind: 'constant' as const, valueMs })),
  ms.map((meanMs) => ({ kind: 'exponential' as const, meanMs })),
  fc.tuple(ms, fc.double({ min: 1.01, max: 100, noNaN: true })).map(([medianMs, k]) => ({ kind: 'lognormal' as const, medianMs, p99Ms: medianMs * k })),
  fc.tuple(ms, fc.double({ min: 0.01, max: 3, noNaN: true })).map(([medianMs, sigma]) => ({ kind: 'lognormal' as const, medianMs, sigma })),
  fc.tuple(ms, ms).map(([a, b]) => ({ kind: 'uniform' as const, minMs: Math.min(a, b), maxMs: Math.max(a, b) })),
  fc.array(ms, { minLength: 1, maxLength: 20 }).map((samplesMs) => ({ kind: 'empirical' as const, samplesMs })),
);

afterAll(removeTempDirs);

/** fleet-scaling.yaml on the shipped local profile, which has a host model and a request timeout. */
function localProfileCosts() {
  const file = join(tempDir('costs-scale'), 'fleet.yaml');
  const text = readFileSync('scenarios/fleet-scaling.yaml', 'utf8').replace(/^costs: .*$/m, `costs: ${resolve('scenarios/profiles/local-calibrated.yaml')}`);
  writeFileSync(file, text);
  return loadScenarioFile(file, { allowOutside: true }).costs;
}

describe('--costs-scale', () => {
  it('every draw of a scaled distribution is the factor times the draw of the original, from the same stream', () => {
    fc.assert(
      fc.property(spec, fc.double({ min: 0.01, max: 100, noNaN: true }), fc.integer({ min: 0, max: 1000 }), (s, factor, seed) => {
        const a = new Sampler(s, makeRng(seed, 'scale'));
        const b = new Sampler(scaleDistribution(s, factor), makeRng(seed, 'scale'));
        expect(Math.abs(b.meanMs - a.meanMs * factor)).toBeLessThanOrEqual(1e-9 * a.meanMs * factor);
        for (let i = 0; i < 20; i++) {
          const x = a.sample() * factor;
          const y = b.sample();
          expect(Math.abs(y - x)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(x)));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('scales every primitive of a profile, divides its bandwidths, and keeps the host and the request timeout', () => {
    const costs = localProfileCosts();
    expect(costs.contention?.host).toBeDefined();
    expect(costs.requestTimeoutMs).toBe(60_000);
    expect(scaleCosts(costs, 1)).toBe(costs);
    const slow = scaleCosts(costs, 1.25);
    const meanOf = (d: DistributionSpec): number => new Sampler(d, makeRng(1, 'x')).meanMs;
    for (const key of ['workerStart', 'coldBoot', 'dispatch'] as const) expect(meanOf(slow[key])).toBeCloseTo(meanOf(costs[key]) * 1.25, 9);
    for (const source of ['local', 'external', 'golden'] as const) {
      expect(slow.restore[source].mibPerSec).toBeCloseTo(costs.restore[source].mibPerSec / 1.25, 9);
      expect(meanOf(slow.restore[source].base)).toBeCloseTo(meanOf(costs.restore[source].base) * 1.25, 9);
    }
    for (const target of ['local', 'external'] as const) expect(slow.checkpoint[target].mibPerSec).toBeCloseTo(costs.checkpoint[target].mibPerSec / 1.25, 9);
    expect(slow.contention).toBe(costs.contention);
    expect(slow.requestTimeoutMs).toBe(costs.requestTimeoutMs);
    expect(slow.name).toBe(`${costs.name} x1.25`);
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => scaleCosts(costs, bad)).toThrow(/factor must be a positive number/);
  });
});
