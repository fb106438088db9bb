import { z } from 'zod';
import { sampleExponential } from '../distributions.ts';
import type { Cursor, GroupStreamFactory } from './group-plan.ts';
import type { StreamContext } from './types.ts';
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
 * Poisson arrivals, drawn in time order: per arrival the gap, the actor,
 * then the work. These are the draws of the `poisson` generator that
 * scenarios/workload.ts had before the arrivals module, so the group form
 * reproduces its workloads. The per-actor form is the same process at
 * `actors` times the rate: a superposition of independent Poisson processes
 * of equal rate is Poisson with the summed rate, and each arrival belongs to
 * any one of them with equal probability.
 */
export function poissonStream(spec: PoissonArrivals, ctx: StreamContext): GroupStreamFactory {
  requireNonNegative('poisson', 'ratePerSec', spec.ratePerSec);
  const { durationMs, actors, firstActor } = ctx;
  const groupRatePerSec = spec.perActor ? spec.ratePerSec * actors : spec.ratePerSec;
  return (alea, work, budget) => {
    const rng = alea.rng;
    const meanGapMs = 1000 / groupRatePerSec;
    let t = Number.NaN;
    let done = groupRatePerSec <= 0;
    const cursor: Cursor = {
      arrivalMs: 0,
      actor: 0,
      workMs: 0,
      next() {
        if (done) return false;
        // The first arrival is the first gap itself (0 + gap would turn a -0 into 0).
        t = Number.isNaN(t) ? sampleExponential(rng, meanGapMs) : t + sampleExponential(rng, meanGapMs);
        if (!(t < durationMs)) {
          done = true;
          return false;
        }
        budget.spend();
        this.arrivalMs = t;
        this.actor = firstActor + Math.min(actors - 1, Math.floor(rng() * actors));
        this.workMs = work.sample();
        return true;
      },
    };
    return cursor;
  };
}
