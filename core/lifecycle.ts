import type { ActorState } from './types.ts';

/**
 * The actor lifecycle as data: every state change the scheduler makes must be
 * listed here, so an illegal one throws where it happens instead of leaving an
 * actor in a state nobody planned for.
 */
export const ACTOR_TRANSITIONS: Readonly<Record<ActorState, readonly ActorState[]>> = {
  // A resume starts from wherever the newest snapshot is.
  SUSPENDED: ['RESUMING'],
  PAUSED: ['RESUMING'],
  // A failed restore or a lost worker sends the actor back to its snapshot.
  RESUMING: ['RUNNING', 'SUSPENDED', 'PAUSED'],
  // SUSPENDED/PAUSED from RUNNING: worker lost (back to the last snapshot) or a
  // dedicated scale-to-zero worker stopped (state discarded).
  RUNNING: ['SUSPENDING', 'PAUSING', 'SUSPENDED', 'PAUSED'],
  // A failed checkpoint leaves the actor resident; a lost worker rolls it back.
  SUSPENDING: ['SUSPENDED', 'RUNNING', 'PAUSED'],
  PAUSING: ['PAUSED', 'RUNNING', 'SUSPENDED'],
};

/** Thrown when the scheduler attempts a transition the table does not allow. */
export class IllegalTransitionError extends Error {
  constructor(actor: string, from: ActorState, to: ActorState) {
    super(`actor ${actor}: illegal transition ${from} -> ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

/** Returns `to` if the table allows `from -> to`, else throws. */
export function checkTransition(actor: string, from: ActorState, to: ActorState): ActorState {
  if (!ACTOR_TRANSITIONS[from].includes(to)) throw new IllegalTransitionError(actor, from, to);
  return to;
}

/**
 * ACTOR_TRANSITIONS as a matrix over states numbered by `order`: entry
 * `from * order.length + to` is 1 when the transition is allowed. The
 * scheduler keeps states as small codes and checks one byte per transition.
 */
export function transitionMatrix(order: readonly ActorState[]): Uint8Array {
  return Uint8Array.from(order.flatMap((from) => order.map((to) => (ACTOR_TRANSITIONS[from].includes(to) ? 1 : 0))));
}
