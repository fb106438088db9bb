import { describe, expect, it } from 'vitest';
import { CHECKPOINT, EXECUTE, RESTORE, WorkerView } from '../../sim/worker-view.ts';

// The simulated runtime's copy of what a real worker (real/worker/server.ts) answers once the driver
// has given requests up: the cases its 409s name.
describe('WorkerView', () => {
  it('takes a restore into a free slot, refuses one for an actor it holds (already-resident) and one past its slots (slots-full)', () => {
    const v = new WorkerView();
    v.started(1, 2);
    expect(v.begin(1, 10, 1, RESTORE)).toBe(true);
    expect(v.begin(1, 10, 2, RESTORE)).toBe(false);
    expect(v.begin(1, 11, 1, RESTORE)).toBe(true);
    expect(v.begin(1, 12, 1, RESTORE)).toBe(false);
    expect(v.failures()).toEqual({ 'restore already-resident': 1, 'restore slots-full': 1 });
    // A failed restore frees its slot; a served one holds it until a checkpoint takes the actor away.
    expect(v.ended(11, 1, false)).toBe(true);
    expect(v.ended(10, 1, true)).toBe(true);
    expect(v.held(1)).toBe(1);
    expect(v.begin(1, 10, 2, CHECKPOINT)).toBe(true);
    expect(v.ended(10, 2, true)).toBe(true);
    expect(v.held(1)).toBe(0);
  });

  it('an abandoned restore keeps its slot and its actor busy until it ends, and its end is not the core\'s', () => {
    const v = new WorkerView();
    v.started(1, 1);
    expect(v.begin(1, 10, 1, RESTORE)).toBe(true);
    expect(v.timedOut(10, 1)).toBe(RESTORE);
    expect(v.failures()).toEqual({ 'restore timeout': 1 });
    // The core retries elsewhere or here: here the slot is still taken.
    expect(v.begin(1, 10, 2, RESTORE)).toBe(false);
    expect(v.begin(1, 11, 1, RESTORE)).toBe(false);
    // The abandoned restore ends: nobody waits for it; the worker lets the actor go.
    expect(v.ended(10, 1, true)).toBe(false);
    expect(v.held(1)).toBe(0);
    expect(v.begin(1, 11, 1, RESTORE)).toBe(true);
    // A timeout of a request that already ended does nothing.
    expect(v.ended(11, 1, true)).toBe(true);
    expect(v.timedOut(11, 1)).toBe(-1);
  });

  it('an abandoned checkpoint leaves the actor resident once it ends; until then executes and checkpoints are refused (busy)', () => {
    const v = new WorkerView();
    v.started(2, 4);
    v.begin(2, 5, 1, RESTORE);
    v.ended(5, 1, true);
    expect(v.begin(2, 5, 2, CHECKPOINT)).toBe(true);
    expect(v.timedOut(5, 2)).toBe(CHECKPOINT);
    expect(v.begin(2, 5, 3, EXECUTE)).toBe(false);
    expect(v.begin(2, 5, 3, CHECKPOINT)).toBe(false);
    expect(v.failures()).toEqual({ 'checkpoint timeout': 1, 'execute busy': 1, 'checkpoint busy': 1 });
    expect(v.ended(5, 2, true)).toBe(false);
    expect(v.held(2)).toBe(1);
    expect(v.begin(2, 5, 4, EXECUTE)).toBe(true);
    expect(v.ended(5, 4, true)).toBe(true);
    expect(v.begin(2, 5, 5, CHECKPOINT)).toBe(true);
  });

  it('a worker gone forgets its actors and what it ran; a refused request is still the core\'s to hear about', () => {
    const v = new WorkerView();
    v.started(3, 1);
    v.begin(3, 7, 1, RESTORE);
    v.timedOut(7, 1);
    v.gone(3);
    expect(v.held(3)).toBe(0);
    // The abandoned restore's end, if it still comes, is passed on (the core ignores a stale op).
    expect(v.ended(7, 1, true)).toBe(true);
    v.started(3, 1);
    expect(v.begin(3, 7, 2, RESTORE)).toBe(true);
  });
});
