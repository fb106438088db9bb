import { describe, expect, it } from 'vitest';
import { makeRng } from '../../../scenarios/rng.ts';
import { Sampler } from '../../../scenarios/distributions.ts';
import { AZURE_2019_DURATION, AZURE_2019_RATE, arrivalSpecSchema, type HeavyTailedArrivals } from '../../../scenarios/arrivals/index.ts';
import { DEFAULT_MAX_RATE_PER_HOUR, sampleRatesPerHour } from '../../../scenarios/arrivals/heavy-tailed.ts';
import { collect, HOUR_MS, normalCdf } from './collect.ts';

const AZURE: HeavyTailedArrivals = { kind: 'heavy-tailed', ...AZURE_2019_RATE, maxRatePerHour: DEFAULT_MAX_RATE_PER_HOUR };

function fractionAtMost(xs: Float64Array, limit: number): number {
  let n = 0;
  for (const x of xs) if (x <= limit) n++;
  return n / xs.length;
}

describe('heavy-tailed arrivals', () => {
  it('defaults to the Azure 2019 fit: exactly P(rate <= 1/h) = 0.45 and P(rate <= 1/min) = 0.81', () => {
    const mu = Math.log(AZURE_2019_RATE.medianRatePerHour);
    const s = AZURE_2019_RATE.sigma;
    expect(normalCdf((Math.log(1) - mu) / s)).toBeCloseTo(0.45, 9);
    expect(normalCdf((Math.log(60) - mu) / s)).toBeCloseTo(0.81, 9);
    expect(arrivalSpecSchema.parse({ kind: 'heavy-tailed' })).toEqual(AZURE);
  });

  it('draws a population with those fractions (20,000 actors)', () => {
    const n = 20_000;
    const rates = sampleRatesPerHour(AZURE, makeRng(1, 'workload'), n);
    // Binomial standard errors; 4 of them.
    for (const [limit, p] of [[1, 0.45], [60, 0.81]] as const) {
      expect(Math.abs(fractionAtMost(rates, limit) - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
    }
    // The cap holds the tail: about 3% of actors sit at it, none above.
    expect(Math.max(...rates)).toBe(DEFAULT_MAX_RATE_PER_HOUR);
    const atCap = 1 - fractionAtMost(rates, DEFAULT_MAX_RATE_PER_HOUR - 1e-9);
    expect(Math.abs(atCap - 0.02996)).toBeLessThan(4 * Math.sqrt((0.03 * 0.97) / n));
  });

  it('honours medianRatePerHour and sigma', () => {
    const spec: HeavyTailedArrivals = { kind: 'heavy-tailed', medianRatePerHour: 10, sigma: 1, maxRatePerHour: 1e9 };
    const n = 20_000;
    const rates = sampleRatesPerHour(spec, makeRng(2, 'workload'), n);
    expect(Math.abs(fractionAtMost(rates, 10) - 0.5)).toBeLessThan(4 * Math.sqrt(0.25 / n));
    const p = normalCdf(1); // rate <= median * e^sigma
    expect(Math.abs(fractionAtMost(rates, 10 * Math.E) - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
  });

  it('emits Poisson arrivals at each actor rate: the count matches the sum of the rates', () => {
    const actors = 2000;
    const seed = 9;
    // The model draws every rate first, so the same stream gives the same rates here.
    const rates = sampleRatesPerHour(AZURE, makeRng(seed, 'workload'), actors);
    const rows = collect(AZURE, { seed, durationMs: HOUR_MS, actors, firstActor: 5 });
    let mean = 0;
    for (const r of rates) mean += r;
    expect(Math.abs(rows.arrivalMs.length - mean)).toBeLessThan(4 * Math.sqrt(mean));
    // Busy actors get their share: the actor at the cap has about 3,600 arrivals.
    const top = rates.indexOf(DEFAULT_MAX_RATE_PER_HOUR);
    const mine = rows.actor.filter((a) => a === top + 5).length;
    expect(Math.abs(mine - 3600)).toBeLessThan(4 * 60);
  });

  it('exports the Azure 2019 execution-time fit for templates', () => {
    expect(AZURE_2019_DURATION).toEqual({ kind: 'lognormal', medianMs: Math.exp(-0.38) * 1000, sigma: 2.36 });
    const s = new Sampler(AZURE_2019_DURATION, makeRng(1, 'test'));
    const xs = Float64Array.from({ length: 20_001 }, () => s.sample()).sort();
    // Median of 20,001 draws: its log has SE sigma*sqrt(pi/2)/sqrt(n) ~ 0.021.
    expect(Math.abs(Math.log(xs[10_000]! / 1000) - -0.38)).toBeLessThan(4 * 0.021);
  });
});
