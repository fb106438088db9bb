import { z } from 'zod';
import { sampleExponential } from '../distributions.ts';
import type { ArrivalContext, Emit } from './types.ts';
import type { StepBudget } from './budget.ts';
import { rate } from './spec-fields.ts';
import { requireNonNegative } from './validate.ts';

/** Homogeneous Poisson arrivals, each to a uniformly chosen actor of the group. */
export interface PoissonArrivals {
  readonly kind: 'poisson';
  /** Arrivals per second for the whole group, or per actor when `perActor`. */
  readonly ratePerSec: number;
  readonly perActor: boolean;
}

/** YAML form: `{kind: poisson, ratePerSec: 2, perActor: false}`. */
export const poissonSchema = z
  .strictObject({ kind: z.literal('poisson'), ratePerSec: rate, perActor: z.boolean().default(false) })
  .transform((s): PoissonArrivals => ({ kind: 'poisson', ratePerSec: s.ratePerSec, perActor: s.perActor }));

/**
 * Generates Poisson arrivals. Ported from the `poisson` generator of
 * scenarios/workload.ts with the same draws in the same order (gap, actor,
 * work), so the group form reproduces it exactly. The per-actor form is the
 * same process at `actors` times the rate: a superposition of independent
 * Poisson processes of equal rate is Poisson with the summed rate, and each
 * arrival belongs to any one of them with equal probability.
 */
export function generatePoisson(spec: PoissonArrivals, ctx: ArrivalContext, emit: Emit, budget: StepBudget): void {
  requireNonNegative('poisson', 'ratePerSec', spec.ratePerSec);
  const { rng, durationMs, actors, firstActor, work } = ctx;
  const groupRatePerSec = spec.perActor ? spec.ratePerSec * actors : spec.ratePerSec;
  if (groupRatePerSec <= 0) return;
  const meanGapMs = 1000 / groupRatePerSec;
  let t = sampleExponential(rng, meanGapMs);
  while (t < durationMs) {
    budget.spend();
    const actor = firstActor + Math.min(actors - 1, Math.floor(rng() * actors));
    emit(t, actor, work());
    t += sampleExponential(rng, meanGapMs);
  }
}
