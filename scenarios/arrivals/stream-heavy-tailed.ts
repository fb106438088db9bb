import { sampleExponential } from '../distributions.ts';
import type { StepBudget } from './budget.ts';
import { sampleRatesPerHour, type HeavyTailedArrivals } from './heavy-tailed.ts';
import type { ActorStepper, StepOut, StepperDraws } from './stream-types.ts';
import { requireNonNegative } from './validate.ts';

const HOUR_MS = 3_600_000;

// Per-actor variables.
const T = 0; // the last arrival (or gap) drawn
const STARTED = 1; // 1 once the first gap is drawn: the first arrival is the gap itself, not 0 + gap (which would turn -0 into 0)
const SIZE = 2;

/**
 * generateHeavyTailed one actor at a time: the rates of every actor first
 * (here, at construction), then per actor a step and, per arrival, the gap,
 * a step and the work; the gap that passes the end is drawn too.
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
