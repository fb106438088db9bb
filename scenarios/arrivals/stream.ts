import { ActorMergePlan } from './actor-merge.ts';
import { AleaState } from './alea-state.ts';
import { STREAMED_STEP_LIMIT, StepBudget } from './budget.ts';
import { Sampler } from '../distributions.ts';
import type { ArrivalSpec } from './spec.ts';
import { diurnalStream, GroupPlan, poissonStream, synchronizedStream } from './stream-group.ts';
import { HeavyTailedStepper } from './stream-heavy-tailed.ts';
import { OnOffStepper } from './stream-onoff.ts';
import { SessionsStepper } from './stream-sessions.ts';
import type { ArrivalPlan, ArrivalStream, StreamContext } from './stream-types.ts';

export type { ArrivalPlan, ArrivalStream, StreamContext } from './stream-types.ts';

const EMPTY: ArrivalPlan = {
  size: 0,
  open: (): ArrivalStream => ({ arrivalMs: 0, actor: 0, workMs: 0, next: () => false }),
};

/**
 * Prepares the invocations of one group for streaming: the same invocations
 * generateArrivals emits on makeRng(seed, stream) with the template's work
 * sampler on that generator, in the order a stable sort by arrival gives
 * them, with memory that does not grow with their number. Throws what
 * generateArrivals throws for a context or spec out of range, and a
 * RangeError past `stepLimit` steps (counted as generateArrivals counts).
 */
export function planArrivals(spec: ArrivalSpec, ctx: StreamContext, stepLimit: number = STREAMED_STEP_LIMIT): ArrivalPlan {
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
