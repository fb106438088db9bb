import { z } from 'zod';
import { sampleExponential } from '../distributions.ts';
import type { ArrivalContext, Emit } from './types.ts';
import type { StepBudget } from './budget.ts';
import { rate, positiveDurationMs } from './spec-fields.ts';
import { requireNonNegative, requirePositive } from './validate.ts';

const MINUTE_MS = 60_000;

/** Per actor, a two-state Markov-modulated Poisson process: bursts of activity (on) separated by quiet spells (off). */
export interface OnOffArrivals {
  readonly kind: 'onoff';
  /** Arrivals per actor per minute while on. */
  readonly onRatePerMin: number;
  /** Arrivals per actor per minute while off (often 0). */
  readonly offRatePerMin: number;
  /** Mean time in the on state (exponential). */
  readonly meanOnMs: number;
  /** Mean time in the off state (exponential). */
  readonly meanOffMs: number;
}

/** YAML form: `{kind: onoff, onRatePerMin: 6, offRatePerMin: 0, meanOn: 5m, meanOff: 2h}`. */
export const onOffSchema = z
  .strictObject({
    kind: z.literal('onoff'),
    onRatePerMin: rate,
    offRatePerMin: rate.default(0),
    meanOn: positiveDurationMs,
    meanOff: positiveDurationMs,
  })
  .transform(
    (s): OnOffArrivals => ({ kind: 'onoff', onRatePerMin: s.onRatePerMin, offRatePerMin: s.offRatePerMin, meanOnMs: s.meanOn, meanOffMs: s.meanOff }),
  );

/**
 * Generates, for each actor in turn, an MMPP with two states (Fischer and
 * Meier-Hellstern, "The Markov-modulated Poisson process (MMPP) cookbook",
 * 1993): exponential sojourns alternate between on and off, and within a
 * sojourn arrivals are Poisson at that state's rate (restarting the gap at
 * the sojourn's start is exact, the exponential being memoryless). The start
 * state is drawn from the stationary distribution, P(on) = meanOn/(meanOn +
 * meanOff), so the process is stationary from time 0 and its long-run rate is
 * (onRate*meanOn + offRate*meanOff)/(meanOn + meanOff). Draws per actor: the
 * start state; per sojourn: its length, then the gaps of its arrivals, each
 * followed by the arrival's work.
 */
export function generateOnOff(spec: OnOffArrivals, ctx: ArrivalContext, emit: Emit, budget: StepBudget): void {
  requireNonNegative('onoff', 'onRatePerMin', spec.onRatePerMin);
  requireNonNegative('onoff', 'offRatePerMin', spec.offRatePerMin);
  requirePositive('onoff', 'meanOnMs', spec.meanOnMs);
  requirePositive('onoff', 'meanOffMs', spec.meanOffMs);
  // Without arrivals in either state the sojourns do not matter: skip them rather than walk them.
  if (spec.onRatePerMin === 0 && spec.offRatePerMin === 0) return;
  const { rng, durationMs: endMs, actors, firstActor, work } = ctx;
  const pOn = spec.meanOnMs / (spec.meanOnMs + spec.meanOffMs);
  const onGapMs = spec.onRatePerMin > 0 ? MINUTE_MS / spec.onRatePerMin : Infinity;
  const offGapMs = spec.offRatePerMin > 0 ? MINUTE_MS / spec.offRatePerMin : Infinity;
  for (let i = 0; i < actors; i++) {
    const actor = firstActor + i;
    let on = rng() < pOn;
    let t = 0;
    while (t < endMs) {
      budget.spend();
      const sojournEndMs = t + sampleExponential(rng, on ? spec.meanOnMs : spec.meanOffMs);
      const gapMs = on ? onGapMs : offGapMs;
      if (gapMs !== Infinity) {
        const stopMs = Math.min(sojournEndMs, endMs);
        for (let s = t + sampleExponential(rng, gapMs); s < stopMs; s += sampleExponential(rng, gapMs)) {
          budget.spend();
          emit(s, actor, work());
        }
      }
      t = sojournEndMs;
      on = !on;
    }
  }
}
