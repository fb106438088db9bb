import { sampleExponential } from '../distributions.ts';
import type { StepBudget } from './budget.ts';
import type { OnOffArrivals } from './onoff.ts';
import type { ActorStepper, StepOut, StepperDraws } from './stream-types.ts';
import { requireNonNegative, requirePositive } from './validate.ts';

const MINUTE_MS = 60_000;

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
 * generateOnOff one actor at a time: per actor the start state; per sojourn
 * a step and its length, then per arrival the gap, a step and the work (the
 * gap that passes the sojourn's end drawn too).
 */
export class OnOffStepper implements ActorStepper {
  readonly size = SIZE;
  readonly samplers = [];
  private readonly pOn: number;
  private readonly onGapMs: number;
  private readonly offGapMs: number;
  /** Neither state has arrivals: generateOnOff returns before drawing anything. */
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
