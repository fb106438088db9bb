import type { Rng } from '../rng.ts';

/** What an arrival model needs to generate the invocations of one group of actors of one template. */
export interface ArrivalContext {
  /** The workload stream; every draw of the model comes from it, in a fixed order. */
  readonly rng: Rng;
  /** Arrivals are generated in [0, durationMs). */
  readonly durationMs: number;
  /** Actors in this group. */
  readonly actors: number;
  /** Global index of the group's first actor. */
  readonly firstActor: number;
  /** Samples one invocation's work (ms) from the template. */
  readonly work: () => number;
}

/** Receives one generated invocation; `actor` is the global index. Calls need not be in time order (the caller sorts). */
export type Emit = (arrivalMs: number, actor: number, workMs: number) => void;
