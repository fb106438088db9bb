import type { ArrivalContext, Emit } from './types.ts';
import type { ArrivalSpec } from './spec.ts';
import { ARRIVAL_STEP_LIMIT, StepBudget } from './budget.ts';
import { generatePoisson } from './poisson.ts';
import { generateDiurnal } from './diurnal.ts';
import { generateOnOff } from './onoff.ts';
import { generateSessions } from './sessions.ts';
import { generateHeavyTailed } from './heavy-tailed.ts';
import { generateSynchronized } from './synchronized.ts';

export type { ArrivalContext, Emit } from './types.ts';
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

/**
 * Generates the invocations of one group of actors by `spec`, calling `emit`
 * for each, in an order fixed by the rng's state (not by time: the caller
 * sorts). Throws a RangeError for a context or spec out of range, or when the
 * group would take more than `stepLimit` generation steps (see budget.ts).
 */
export function generateArrivals(spec: ArrivalSpec, ctx: ArrivalContext, emit: Emit, stepLimit: number = ARRIVAL_STEP_LIMIT): void {
  const { durationMs, actors, firstActor } = ctx;
  if (!(Number.isFinite(durationMs) && durationMs >= 0)) throw new RangeError(`arrivals: durationMs must be a finite number >= 0, got ${durationMs}`);
  if (!(Number.isInteger(actors) && actors >= 0)) throw new RangeError(`arrivals: actors must be an integer >= 0, got ${actors}`);
  if (!(Number.isInteger(firstActor) && firstActor >= 0)) throw new RangeError(`arrivals: firstActor must be an integer >= 0, got ${firstActor}`);
  if (actors === 0 || durationMs === 0) return;
  const budget = new StepBudget(stepLimit, `arrivals (${spec.kind}, ${actors} actors over ${durationMs} ms)`);
  switch (spec.kind) {
    case 'poisson':
      return generatePoisson(spec, ctx, emit, budget);
    case 'diurnal':
      return generateDiurnal(spec, ctx, emit, budget);
    case 'onoff':
      return generateOnOff(spec, ctx, emit, budget);
    case 'sessions':
      return generateSessions(spec, ctx, emit, budget);
    case 'heavy-tailed':
      return generateHeavyTailed(spec, ctx, emit, budget);
    case 'synchronized':
      return generateSynchronized(spec, ctx, emit, budget);
    default:
      throw new RangeError(`arrivals: unknown kind ${JSON.stringify((spec as { kind: unknown }).kind)}`);
  }
}
