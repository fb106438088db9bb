import { z } from 'zod';
import { sampleExponential } from '../distributions.ts';
import type { Cursor, GroupStreamFactory } from './group-plan.ts';
import type { StreamContext } from './types.ts';
import { rate, positiveDurationMs } from './spec-fields.ts';
import { durationMs } from '../fields.ts';
import { requireNonNegative, requirePositive } from './validate.ts';

const HOUR_MS = 3_600_000;

/** Non-homogeneous Poisson arrivals whose rate swings with the time of day, the same for every actor. */
export interface DiurnalArrivals {
  readonly kind: 'diurnal';
  /** Mean arrivals per actor per hour, averaged over a period. */
  readonly ratePerHour: number;
  /** Ratio of the rate at the peak to the rate at the trough (1 = flat). */
  readonly peakToTrough: number;
  readonly periodMs: number;
  /** Time of the peak within the period. */
  readonly peakAtMs: number;
}

/** YAML form: `{kind: diurnal, ratePerHour: 2, peakToTrough: 4, period: 24h, peakAt: 14h}`. */
export const diurnalSchema = z
  .strictObject({
    kind: z.literal('diurnal'),
    ratePerHour: rate,
    peakToTrough: z.number().finite().min(1),
    period: positiveDurationMs.default(24 * HOUR_MS),
    peakAt: durationMs.default(14 * HOUR_MS),
  })
  .transform(
    (s): DiurnalArrivals => ({ kind: 'diurnal', ratePerHour: s.ratePerHour, peakToTrough: s.peakToTrough, periodMs: s.period, peakAtMs: s.peakAt }),
  );

/**
 * Arrivals at rate(t) = mean * (1 + a*cos(2*pi*(t - peakAt)/period))
 * per actor, a = (r - 1)/(r + 1) so that rate(peak)/rate(trough) = r, by
 * thinning (Lewis and Shedler, "Simulation of nonhomogeneous Poisson
 * processes by thinning", 1979): candidates at the maximum rate, each kept
 * with probability rate(t)/max. All actors share rate(t), so the group is
 * one process at `actors` times the rate whose arrivals go to uniformly
 * chosen actors (superposition). Candidates come in time order, so it
 * streams as drawn. Draws per candidate: gap, acceptance; per arrival then:
 * actor, work.
 */
export function diurnalStream(spec: DiurnalArrivals, ctx: StreamContext): GroupStreamFactory {
  requireNonNegative('diurnal', 'ratePerHour', spec.ratePerHour);
  requirePositive('diurnal', 'periodMs', spec.periodMs);
  requireNonNegative('diurnal', 'peakAtMs', spec.peakAtMs);
  if (!(spec.peakToTrough >= 1 && Number.isFinite(spec.peakToTrough))) {
    throw new RangeError(`diurnal: peakToTrough must be a finite number >= 1, got ${spec.peakToTrough}`);
  }
  const { durationMs: endMs, actors, firstActor } = ctx;
  const a = (spec.peakToTrough - 1) / (spec.peakToTrough + 1);
  const meanRatePerMs = (spec.ratePerHour * actors) / HOUR_MS;
  const maxRatePerMs = meanRatePerMs * (1 + a);
  const meanGapMs = 1 / maxRatePerMs;
  const omega = (2 * Math.PI) / spec.periodMs;
  return (alea, work, budget) => {
    const rng = alea.rng;
    let t = 0;
    let done = maxRatePerMs <= 0;
    const cursor: Cursor = {
      arrivalMs: 0,
      actor: 0,
      workMs: 0,
      next() {
        if (done) return false;
        for (;;) {
          budget.spend();
          t += sampleExponential(rng, meanGapMs);
          if (t >= endMs) {
            done = true;
            return false;
          }
          const ratePerMs = meanRatePerMs * (1 + a * Math.cos(omega * (t - spec.peakAtMs)));
          if (rng() * maxRatePerMs > ratePerMs) continue;
          this.arrivalMs = t;
          this.actor = firstActor + Math.min(actors - 1, Math.floor(rng() * actors));
          this.workMs = work.sample();
          return true;
        }
      },
    };
    return cursor;
  };
}
