import { z } from 'zod';
import { sampleExponential } from '../distributions.ts';
import type { StepBudget } from './budget.ts';
import type { ActorStepper, StepOut, StepperDraws } from './types.ts';
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

// Per-actor variables.
const ON = 0; // 1 while in the on state
const T = 1; // start of the current sojourn
const SOJOURN_END = 2;
const STOP = 3; // min(sojourn end, run end): arrivals of the sojourn come before it
const S = 4; // the last arrival drawn in the sojourn
const PHASE = 5; // BETWEEN sojourns, FIRST (no gap drawn yet in this one) or LATER
const SIZE = 6;

const BETWEEN = 0;
const FIRST = 1;
const LATER = 2;

/**
 * For each actor in turn, an MMPP with two states (Fischer and
 * Meier-Hellstern, "The Markov-modulated Poisson process (MMPP) cookbook",
 * 1993): exponential sojourns alternate between on and off, and within a
 * sojourn arrivals are Poisson at that state's rate (restarting the gap at
 * the sojourn's start is exact, the exponential being memoryless). The start
 * state is drawn from the stationary distribution, P(on) = meanOn/(meanOn +
 * meanOff), so the process is stationary from time 0 and its long-run rate is
 * (onRate*meanOn + offRate*meanOff)/(meanOn + meanOff). Draws per actor: the
 * start state; per sojourn a step and its length, then per arrival the gap,
 * a step and the work (the gap that passes the sojourn's end drawn too).
 */
export class OnOffStepper implements ActorStepper {
  readonly size = SIZE;
  readonly samplers = [];
  private readonly pOn: number;
  private readonly onGapMs: number;
  private readonly offGapMs: number;
  /** Neither state has arrivals: the group is empty, and no sojourn is drawn. */
  readonly silent: boolean;

  constructor(
    private readonly spec: OnOffArrivals,
    private readonly draws: StepperDraws,
    private readonly endMs: number,
    public budget: StepBudget,
  ) {
    requireNonNegative('onoff', 'onRatePerMin', spec.onRatePerMin);
    requireNonNegative('onoff', 'offRatePerMin', spec.offRatePerMin);
    requirePositive('onoff', 'meanOnMs', spec.meanOnMs);
    requirePositive('onoff', 'meanOffMs', spec.meanOffMs);
    this.silent = spec.onRatePerMin === 0 && spec.offRatePerMin === 0;
    this.pOn = spec.meanOnMs / (spec.meanOnMs + spec.meanOffMs);
    this.onGapMs = spec.onRatePerMin > 0 ? MINUTE_MS / spec.onRatePerMin : Infinity;
    this.offGapMs = spec.offRatePerMin > 0 ? MINUTE_MS / spec.offRatePerMin : Infinity;
  }

  begin(_i: number, state: Float64Array, at: number): void {
    state[at + ON] = this.draws.alea.rng() < this.pOn ? 1 : 0;
    state[at + T] = 0;
    state[at + PHASE] = BETWEEN;
  }

  next(_i: number, state: Float64Array, at: number, out: StepOut): boolean {
    const rng = this.draws.alea.rng;
    for (;;) {
      const phase = state[at + PHASE];
      const on = state[at + ON] === 1;
      if (phase !== BETWEEN) {
        const gapMs = on ? this.onGapMs : this.offGapMs;
        const s = phase === FIRST ? state[at + T]! + sampleExponential(rng, gapMs) : state[at + S]! + sampleExponential(rng, gapMs);
        state[at + S] = s;
        if (s < state[at + STOP]!) {
          state[at + PHASE] = LATER;
          this.budget.spend();
          out.arrivalMs = s;
          out.workMs = this.draws.work.sample();
          return true;
        }
        // The sojourn is over.
        state[at + PHASE] = BETWEEN;
        state[at + T] = state[at + SOJOURN_END]!;
        state[at + ON] = on ? 0 : 1;
        continue;
      }
      const t = state[at + T]!;
      if (!(t < this.endMs)) return false;
      this.budget.spend();
      const sojournEndMs = t + sampleExponential(rng, on ? this.spec.meanOnMs : this.spec.meanOffMs);
      state[at + SOJOURN_END] = sojournEndMs;
      if ((on ? this.onGapMs : this.offGapMs) !== Infinity) {
        state[at + STOP] = Math.min(sojournEndMs, this.endMs);
        state[at + PHASE] = FIRST;
      } else {
        state[at + T] = sojournEndMs;
        state[at + ON] = on ? 0 : 1;
      }
    }
  }
}
