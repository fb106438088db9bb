import { z } from 'zod';
import { sampleExponential, sampleStandardNormal } from '../distributions.ts';
import type { Rng } from '../rng.ts';
import type { ArrivalContext, Emit } from './types.ts';
import type { StepBudget } from './budget.ts';
import { rate } from './spec-fields.ts';
import { AZURE_2019_RATE } from './azure-2019.ts';
import { requireNonNegative } from './validate.ts';

const HOUR_MS = 3_600_000;

/**
 * A population whose per-actor mean rates spread over orders of magnitude
 * (lognormal across actors, by default the Azure Functions 2019 fit), each
 * actor then Poisson at its own rate.
 */
export interface HeavyTailedArrivals {
  readonly kind: 'heavy-tailed';
  /** Median over actors of the per-actor rate, per hour. */
  readonly medianRatePerHour: number;
  /** Standard deviation of ln(rate) across actors. */
  readonly sigma: number;
  /** Per-actor rates above this are cut to it. */
  readonly maxRatePerHour: number;
}

/**
 * Default cap of a per-actor rate: one invocation a second. An actor runs
 * one invocation at a time, so beyond about the inverse of its work time its
 * queue only grows; and uncapped, the Azure fit's mean of 6,872 per hour per
 * actor is carried by a handful of actors whose arrivals would dwarf the
 * rest. The cap leaves the 0.45 and 0.81 quantiles untouched (any cap above
 * 60 per hour does) and puts the top 3% of actors at it; the capped mean is
 * about 204 per actor per hour. Raise it to study FaaS-like hot apps.
 */
export const DEFAULT_MAX_RATE_PER_HOUR = 3600;

/** YAML form: `{kind: heavy-tailed, medianRatePerHour: 1.67, sigma: 4.08, maxRatePerHour: 3600}`, every field optional. */
export const heavyTailedSchema = z
  .strictObject({
    kind: z.literal('heavy-tailed'),
    medianRatePerHour: rate.default(AZURE_2019_RATE.medianRatePerHour),
    sigma: z.number().finite().nonnegative().default(AZURE_2019_RATE.sigma),
    maxRatePerHour: rate.default(DEFAULT_MAX_RATE_PER_HOUR),
  })
  .transform(
    (s): HeavyTailedArrivals => ({ kind: 'heavy-tailed', medianRatePerHour: s.medianRatePerHour, sigma: s.sigma, maxRatePerHour: s.maxRatePerHour }),
  );

/** Draws the per-actor rates (per hour) of `actors` actors: one standard normal each, in actor order. */
export function sampleRatesPerHour(spec: HeavyTailedArrivals, rng: Rng, actors: number): Float64Array {
  const ratesPerHour = new Float64Array(actors);
  for (let i = 0; i < actors; i++) {
    ratesPerHour[i] = Math.min(spec.maxRatePerHour, spec.medianRatePerHour * Math.exp(spec.sigma * sampleStandardNormal(rng)));
  }
  return ratesPerHour;
}

/**
 * Generates the population: first every actor's rate (sampleRatesPerHour),
 * then, actor by actor, Poisson arrivals at that rate (gap, then the
 * arrival's work). Azure's study reports rates as averages; bursts within an
 * app's rate are not modelled here.
 */
export function generateHeavyTailed(spec: HeavyTailedArrivals, ctx: ArrivalContext, emit: Emit, budget: StepBudget): void {
  requireNonNegative('heavy-tailed', 'medianRatePerHour', spec.medianRatePerHour);
  requireNonNegative('heavy-tailed', 'sigma', spec.sigma);
  requireNonNegative('heavy-tailed', 'maxRatePerHour', spec.maxRatePerHour);
  const { rng, durationMs: endMs, actors, firstActor, work } = ctx;
  const ratesPerHour = sampleRatesPerHour(spec, rng, actors);
  for (let i = 0; i < actors; i++) {
    budget.spend();
    const ratePerHour = ratesPerHour[i]!;
    if (!(ratePerHour > 0)) continue;
    const meanGapMs = HOUR_MS / ratePerHour;
    const actor = firstActor + i;
    for (let t = sampleExponential(rng, meanGapMs); t < endMs; t += sampleExponential(rng, meanGapMs)) {
      budget.spend();
      emit(t, actor, work());
    }
  }
}
