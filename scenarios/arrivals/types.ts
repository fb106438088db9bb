import type { DistributionSpec, Sampler } from '../distributions.ts';
import type { AleaState } from './alea-state.ts';
import type { StepBudget } from './budget.ts';

/**
 * The invocations of one group, one at a time, in arrival order (ties in
 * the order the model draws them): what the materialised workload holds,
 * without holding it.
 */
export interface ArrivalStream {
  /** Moves to the next invocation; false when there are none left. */
  next(): boolean;
  /** The current invocation's arrival, actor (the global index: firstActor + the group's own) and work. */
  readonly arrivalMs: number;
  readonly actor: number;
  readonly workMs: number;
}

/** A group's arrivals prepared for streaming (one counting pass), replayable: each policy set opens its own stream. */
export interface ArrivalPlan {
  /** Invocations the group yields. */
  readonly size: number;
  /** A stream at the group's first invocation. */
  open(): ArrivalStream;
}

/** What streaming the arrivals of one group needs: the generator's key and the work as data, so they can be replayed. */
export interface StreamContext {
  /** The workload stream of the group: every draw comes from the generator makeRng(seed, stream), in a fixed order. */
  readonly seed: string | number;
  readonly stream: string;
  /** Arrivals are generated in [0, durationMs). */
  readonly durationMs: number;
  /** Actors in this group. */
  readonly actors: number;
  /** Global index of the group's first actor. */
  readonly firstActor: number;
  /** The template's work distribution, drawn on the group's generator after each arrival. */
  readonly work: DistributionSpec;
}

/** One invocation a stepper produced: its time and work (the actor is known to the caller). */
export interface StepOut {
  arrivalMs: number;
  workMs: number;
}

/**
 * One arrival model that draws actor by actor (every actor's invocations in
 * turn from one generator), stepped one actor at a time and moved between
 * actors: its per-actor variables live in `state[at .. at + size)`, the
 * shared generator and samplers are loaded with the actor's own state
 * before each call (actor-merge.ts), so an actor's draws are the same
 * whether its invocations are read alone or merged with the others'.
 */
export interface ActorStepper {
  /** Per-actor variables. */
  readonly size: number;
  /** Samplers besides the work sampler whose state is per actor (sessions' think time). */
  readonly samplers: readonly Sampler[];
  /** The budget steps are spent on; swapped for an unlimited one on replays. */
  budget: StepBudget;
  /** The actor's first draws (its own setup, if any). */
  begin(i: number, state: Float64Array, at: number): void;
  /** Draws the actor's next invocation in time order into `out`; false when it has no more. */
  next(i: number, state: Float64Array, at: number, out: StepOut): boolean;
  /** Per-actor memory beyond `state` (sessions' pending turns) is released. */
  end?(i: number): void;
}

/** The shared generator and work sampler a stepper draws on. */
export interface StepperDraws {
  readonly alea: AleaState;
  readonly work: Sampler;
}
