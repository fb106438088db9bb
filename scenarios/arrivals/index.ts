import { Sampler } from '../distributions.ts';
import { ActorMergePlan } from './actor-merge.ts';
import { AleaState } from './alea-state.ts';
import { ARRIVAL_STEP_LIMIT, StepBudget } from './budget.ts';
import { diurnalStream } from './diurnal.ts';
import { GroupPlan } from './group-plan.ts';
import { HeavyTailedStepper } from './heavy-tailed.ts';
import { OnOffStepper } from './onoff.ts';
import { poissonStream } from './poisson.ts';
import { SessionsStepper } from './sessions.ts';
import type { ArrivalSpec } from './spec.ts';
import { synchronizedStream } from './synchronized.ts';
import type { ArrivalPlan, ArrivalStream, StreamContext } from './types.ts';

export type { ArrivalPlan, ArrivalStream, StreamContext } from './types.ts';
export type { ArrivalSpec } from './spec.ts';
export type { PoissonArrivals } from './poisson.ts';
export type { DiurnalArrivals } from './diurnal.ts';
export type { OnOffArrivals } from './onoff.ts';
export type { SessionsArrivals } from './sessions.ts';
export type { HeavyTailedArrivals } from './heavy-tailed.ts';
export type { SynchronizedArrivals } from './synchronized.ts';
export { arrivalSpecSchema } from './schema.ts';
export { AZURE_2019_DURATION, AZURE_2019_RATE } from './azure-2019.ts';
export { ARRIVAL_STEP_LIMIT } from './budget.ts';

const EMPTY: ArrivalPlan = {
  size: 0,
  open: (): ArrivalStream => ({ arrivalMs: 0, actor: 0, workMs: 0, next: () => false }),
};

/**
 * Prepares the invocations of one group of actors for streaming: the model
 * of `spec` drawn on makeRng(seed, stream), with the template's work
 * sampler on that generator, read in arrival order (ties in draw order),
 * with memory that does not grow with their number. Throws a RangeError
 * for a context or spec out of range, or when the group would take more
 * than `stepLimit` generation steps (see budget.ts).
 */
export function planArrivals(spec: ArrivalSpec, ctx: StreamContext, stepLimit: number = ARRIVAL_STEP_LIMIT): ArrivalPlan {
  const { durationMs, actors, firstActor } = ctx;
  if (!(Number.isFinite(durationMs) && durationMs >= 0)) throw new RangeError(`arrivals: durationMs must be a finite number >= 0, got ${durationMs}`);
  if (!(Number.isInteger(actors) && actors >= 0)) throw new RangeError(`arrivals: actors must be an integer >= 0, got ${actors}`);
  if (!(Number.isInteger(firstActor) && firstActor >= 0)) throw new RangeError(`arrivals: firstActor must be an integer >= 0, got ${firstActor}`);
  if (actors === 0 || durationMs === 0) return EMPTY;
  const what = `arrivals (${spec.kind}, ${actors} actors over ${durationMs} ms)`;
  switch (spec.kind) {
    case 'poisson':
      return new GroupPlan(ctx, poissonStream(spec, ctx), stepLimit, what);
    case 'diurnal':
      return new GroupPlan(ctx, diurnalStream(spec, ctx), stepLimit, what);
    case 'synchronized':
      return new GroupPlan(ctx, synchronizedStream(spec, ctx), stepLimit, what);
    case 'heavy-tailed':
    case 'onoff':
    case 'sessions': {
      const alea = AleaState.of(ctx.seed, ctx.stream);
      const draws = { alea, work: new Sampler(ctx.work, alea.rng) };
      const budget = new StepBudget(stepLimit, what);
      let stepper;
      if (spec.kind === 'heavy-tailed') {
        stepper = new HeavyTailedStepper(spec, draws, actors, durationMs, budget);
      } else if (spec.kind === 'onoff') {
        stepper = new OnOffStepper(spec, draws, durationMs, budget);
        if (stepper.silent) return EMPTY;
      } else {
        stepper = new SessionsStepper(spec, draws, durationMs, budget);
      }
      return new ActorMergePlan(stepper, alea, draws.work, actors, firstActor);
    }
    default:
      throw new RangeError(`arrivals: unknown kind ${JSON.stringify((spec as { kind: unknown }).kind)}`);
  }
}
