import { describe, expect, it } from 'vitest';
import { ACTOR_TRANSITIONS, IllegalTransitionError, checkTransition, transitionMatrix } from '../../core/lifecycle.ts';
import type { ActorState } from '../../core/types.ts';

const STATES = Object.keys(ACTOR_TRANSITIONS) as ActorState[];

describe('actor lifecycle', () => {
  it('allows exactly the listed transitions and names the actor and states otherwise', () => {
    expect(checkTransition('a', 'SUSPENDED', 'RESUMING')).toBe('RESUMING');
    expect(() => checkTransition('agent-7', 'SUSPENDED', 'RUNNING')).toThrow(IllegalTransitionError);
    expect(() => checkTransition('agent-7', 'SUSPENDED', 'RUNNING')).toThrow('actor agent-7: illegal transition SUSPENDED -> RUNNING');
    expect(() => checkTransition('a', 'PAUSED', 'PAUSED')).toThrow(IllegalTransitionError);
  });

  it('has a matrix that agrees with the table for every pair, in any state order', () => {
    for (const order of [STATES, [...STATES].reverse()]) {
      const m = transitionMatrix(order);
      expect(m.length).toBe(order.length * order.length);
      order.forEach((from, i) =>
        order.forEach((to, j) => {
          let allowed = true;
          try {
            checkTransition('x', from, to);
          } catch {
            allowed = false;
          }
          expect(m[i * order.length + j], `${from} -> ${to}`).toBe(allowed ? 1 : 0);
        }),
      );
    }
    // Not a matrix of ones: the table forbids most pairs.
    expect([...transitionMatrix(STATES)].filter((x) => x === 1).length).toBe(Object.values(ACTOR_TRANSITIONS).flat().length);
  });
});
