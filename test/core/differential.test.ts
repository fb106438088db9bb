import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Scheduler as ReferenceScheduler } from './reference/scheduler.ts';
import { caseArb, runCase } from './harness.ts';

// The performance work of issue 7 rebuilt the core's data structures (actors
// and invocations as columns, commands drained without allocating, a kept
// list of open workers); it must not change a single decision. The same random
// cases as the properties (faults, losses, every policy) run on the current
// core and on a frozen copy of the core before that work: the commands, with
// their times, must be identical.
const RUNS = Number(process.env.PROP_RUNS ?? 1_000);

describe('scheduler core against its reference copy', () => {
  it('emits the same commands at the same times for the same inputs', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const now = runCase(c);
        const before = runCase(c, (config, rng) => new ReferenceScheduler(config, rng));
        expect(now.commands).toEqual(before.commands);
        expect([...now.violations.keys()]).toEqual([...before.violations.keys()]);
      }),
      { numRuns: RUNS },
    );
  });
});
