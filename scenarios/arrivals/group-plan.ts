import { Sampler } from '../distributions.ts';
import { AleaState } from './alea-state.ts';
import { StepBudget } from './budget.ts';
import type { ArrivalPlan, ArrivalStream, StreamContext } from './types.ts';

/** A stream's fields as the stream itself writes them. */
export interface Cursor {
  arrivalMs: number;
  actor: number;
  workMs: number;
  next(): boolean;
}

/** A model whose whole group is one process: a stream over it from the group's generator at its start. */
export type GroupStreamFactory = (alea: AleaState, work: Sampler, budget: StepBudget) => ArrivalStream;

/**
 * Streams a model that draws its group as one process (poisson, diurnal,
 * synchronized). A first pass counts the invocations (and spends the step
 * budget, so a group that is too large fails before any run); each replay
 * starts the generator afresh.
 */
export class GroupPlan implements ArrivalPlan {
  readonly size: number;

  constructor(
    private readonly ctx: StreamContext,
    private readonly make: GroupStreamFactory,
    stepLimit: number,
    what: string,
  ) {
    const counting = this.start(new StepBudget(stepLimit, what));
    let size = 0;
    while (counting.next()) size += 1;
    this.size = size;
  }

  private start(budget: StepBudget): ArrivalStream {
    const alea = AleaState.of(this.ctx.seed, this.ctx.stream);
    return this.make(alea, new Sampler(this.ctx.work, alea.rng), budget);
  }

  open(): ArrivalStream {
    return this.start(new StepBudget(Number.POSITIVE_INFINITY, 'replay'));
  }
}
