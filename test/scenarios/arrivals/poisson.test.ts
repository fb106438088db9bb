import { describe, expect, it } from 'vitest';
import { makeRng, type Rng } from '../../../scenarios/rng.ts';
import { Sampler, sampleExponential } from '../../../scenarios/distributions.ts';
import { generateArrivals } from '../../../scenarios/arrivals/index.ts';
import { collect, counting, HOUR_MS, type Rows } from './collect.ts';

// Frozen copy of `poisson` from scenarios/workload.ts at commit 29e8c67 (before the arrivals
// module): the group form must reproduce it draw for draw.
function referencePoisson(spec: { actors: number; ratePerSec: number }, durationMs: number, rng: Rng, work: Sampler): Rows {
  const rows: Rows = { arrivalMs: [], actor: [], workMs: [] };
  const meanGapMs = 1000 / spec.ratePerSec;
  let t = sampleExponential(rng, meanGapMs);
  while (t < durationMs) {
    rows.arrivalMs.push(t);
    rows.actor.push(Math.min(spec.actors - 1, Math.floor(rng() * spec.actors)));
    rows.workMs.push(work.sample());
    t += sampleExponential(rng, meanGapMs);
  }
  return rows;
}

describe('poisson arrivals', () => {
  it('reproduces the generator of scenarios/workload.ts exactly', () => {
    const rng = makeRng(7, 'workload');
    const work = new Sampler({ kind: 'lognormal', medianMs: 2000, p99Ms: 20_000 }, rng);
    const expected = referencePoisson({ actors: 50, ratePerSec: 3 }, HOUR_MS, rng, work);
    const got = collect({ kind: 'poisson', ratePerSec: 3, perActor: false }, {
      seed: 7,
      durationMs: HOUR_MS,
      actors: 50,
      work: { kind: 'lognormal', medianMs: 2000, p99Ms: 20_000 },
    });
    expect(got).toEqual(expected);
  });

  // Counts are Poisson: 4 standard deviations (sqrt of the mean) fail a correct generator about once in 16,000 seeds.
  it('emits the group rate times the duration', () => {
    const rows = collect({ kind: 'poisson', ratePerSec: 5, perActor: false }, { durationMs: HOUR_MS, actors: 10 });
    const mean = 5 * 3600;
    expect(Math.abs(rows.arrivalMs.length - mean)).toBeLessThan(4 * Math.sqrt(mean));
  });

  it('with perActor, emits the rate per actor, spread evenly over the actors', () => {
    const actors = 20;
    const rows = collect({ kind: 'poisson', ratePerSec: 0.5, perActor: true }, { durationMs: HOUR_MS, actors, firstActor: 100 });
    const mean = 0.5 * 3600 * actors;
    expect(Math.abs(rows.arrivalMs.length - mean)).toBeLessThan(4 * Math.sqrt(mean));
    const perActor = new Array<number>(actors).fill(0);
    for (const a of rows.actor) perActor[a - 100]!++;
    for (const n of perActor) expect(Math.abs(n - 1800)).toBeLessThan(4 * Math.sqrt(1800));
  });

  it('emits nothing and draws nothing at rate 0', () => {
    const c = counting(makeRng(1, 'workload'));
    let n = 0;
    generateArrivals({ kind: 'poisson', ratePerSec: 0, perActor: true }, { rng: c.rng, durationMs: 1e15, actors: 5, firstActor: 0, work: () => 1 }, () => n++);
    expect(n).toBe(0);
    expect(c.draws()).toBe(0);
  });
});
