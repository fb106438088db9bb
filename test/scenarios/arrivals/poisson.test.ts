import { describe, expect, it } from 'vitest';
import { collect, HOUR_MS } from './collect.ts';

describe('poisson arrivals', () => {
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

  it('yields nothing at rate 0, however long the run', () => {
    expect(collect({ kind: 'poisson', ratePerSec: 0, perActor: true }, { durationMs: 1e15, actors: 5 }).arrivalMs).toEqual([]);
  });
});
