import { z } from 'zod';
import { sampleExponential, sampleStandardNormal } from '../distributions.ts';
import type { Rng } from '../rng.ts';
import type { StepBudget } from './budget.ts';
import type { ActorStepper, StepOut, StepperDraws } from './types.ts';
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

// Per-actor variables.
const T = 0; // the last arrival (or gap) drawn
const STARTED = 1; // 1 once the first gap is drawn: the first arrival is the gap itself, not 0 + gap (which would turn -0 into 0)
const SIZE = 2;

/**
 * The population: first every actor's rate (sampleRatesPerHour, here at
 * construction), then, actor by actor, Poisson arrivals at that rate: per
 * actor a step, per arrival the gap, a step and the work (the gap that
 * passes the end drawn too). Azure's study reports rates as averages;
 * bursts within an app's rate are not modelled here.
 */
export class HeavyTailedStepper implements ActorStepper {
  readonly size = SIZE;
  readonly samplers = [];
  private readonly ratesPerHour: Float64Array;

  constructor(
    spec: HeavyTailedArrivals,
    private readonly draws: StepperDraws,
    actors: number,
    private readonly endMs: number,
    public budget: StepBudget,
  ) {
    requireNonNegative('heavy-tailed', 'medianRatePerHour', spec.medianRatePerHour);
    requireNonNegative('heavy-tailed', 'sigma', spec.sigma);
    requireNonNegative('heavy-tailed', 'maxRatePerHour', spec.maxRatePerHour);
    this.ratesPerHour = sampleRatesPerHour(spec, draws.alea.rng, actors);
  }

  begin(_i: number, state: Float64Array, at: number): void {
    this.budget.spend();
    state[at + T] = 0;
    state[at + STARTED] = 0;
  }

  next(i: number, state: Float64Array, at: number, out: StepOut): boolean {
    const ratePerHour = this.ratesPerHour[i]!;
    if (!(ratePerHour > 0) || state[at + T] === Number.POSITIVE_INFINITY) return false;
    const rng = this.draws.alea.rng;
    const gapMs = sampleExponential(rng, HOUR_MS / ratePerHour);
    const t = state[at + STARTED] === 0 ? gapMs : state[at + T]! + gapMs;
    state[at + STARTED] = 1;
    state[at + T] = t;
    if (!(t < this.endMs)) {
      // Past the end: no more draws for this actor, ever.
      state[at + T] = Number.POSITIVE_INFINITY;
      return false;
    }
    this.budget.spend();
    out.arrivalMs = t;
    out.workMs = this.draws.work.sample();
    return true;
  }
}
