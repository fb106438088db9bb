import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../core/scheduler.ts';
import { makeRng } from '../../scenarios/rng.ts';
import { caseArb, runCase, type HarnessCase } from './harness.ts';

// Each property runs at least 1,000 random cases in CI (fast-check's seed is
// printed on failure, with the shrunk counterexample, to replay it).
const RUNS = Number(process.env.PROP_RUNS ?? 1_000);

function holds(property: string): (c: HarnessCase) => void {
  return (c) => {
    const run = runCase(c);
    const v = run.violations.get(property);
    if (v !== undefined) throw new Error(`${property}: ${v.join('; ')}`);
    // Bounded: no case may hit the step limit.
    const t = run.violations.get('termination');
    if (t !== undefined) throw new Error(t.join('; '));
  };
}

describe('scheduler core properties (random arrivals, latencies, failures, worker losses)', () => {
  it('an actor is never resident on two workers', () => {
    fc.assert(fc.property(caseArb, holds('single-residency')), { numRuns: RUNS });
  });

  it('a worker never exceeds its slots or memory, nor a node its memory', () => {
    fc.assert(fc.property(caseArb, holds('capacity')), { numRuns: RUNS });
  });

  it('every invocation ends with exactly one outcome', () => {
    fc.assert(fc.property(caseArb, holds('one-outcome')), { numRuns: RUNS });
  });

  it('per-actor FIFO holds: one invocation at a time, in arrival order', () => {
    fc.assert(fc.property(caseArb, holds('fifo')), { numRuns: RUNS });
  });

  it('a rejection happens only when admission or the retry budget says so', () => {
    fc.assert(fc.property(caseArb, holds('rejections')), { numRuns: RUNS });
  });

  it('an actor resumes from its newest snapshot, on its node after a pause', () => {
    fc.assert(fc.property(caseArb, holds('newest-snapshot')), { numRuns: RUNS });
  });

  it('no work is lost or applied twice: checkpoints hold exactly the served invocations', () => {
    fc.assert(fc.property(caseArb, holds('no-lost-work')), { numRuns: RUNS });
  });

  it('the latency parts add up to end minus arrival', () => {
    fc.assert(fc.property(caseArb, holds('breakdown')), { numRuns: RUNS });
  });

  it('the same inputs give the same commands', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        expect(runCase(c).commands).toEqual(runCase(c).commands);
      }),
      { numRuns: RUNS },
    );
  });

  it('arrivals by index (handleInvocationOf) give the same commands and replies as by name', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const byName = runCase(c, undefined, 'declared');
        const byIndex = runCase(c, undefined, 'indices');
        expect(byIndex.commands).toEqual(byName.commands);
        expect(byIndex.replies).toEqual(byName.replies);
        expect(byIndex.violations).toEqual(new Map());
      }),
      { numRuns: RUNS },
    );
  });

  it('handleInvocationOf refuses an index the core never gave, an id twice and negative work', () => {
    const [c] = fc.sample(caseArb, { numRuns: 1, seed: 7 });
    // Ample parking: invocation 2 stays live (waiting for a worker) when it arrives again.
    const core = new Scheduler({ ...c!.config, admission: { parkTimeoutMs: Number.POSITIVE_INFINITY, maxParked: 1_000 } }, makeRng(1, 'placement'));
    core.start(0);
    expect(core.handleActorCreated(0, 'a0', c!.templates[0]!)).toBe(0);
    expect(core.handleActorCreated(0, 'a1', c!.templates[0]!)).toBe(1);
    expect(core.handleActorCreated(0, 'a0', c!.templates[0]!)).toBe(0); // a name declared again keeps its index
    expect(() => core.handleInvocationOf(0, 2, 1, 5)).toThrow('invocation 1: no actor of index 2');
    expect(() => core.handleInvocationOf(0, -1, 1, 5)).toThrow('no actor of index -1');
    core.handleInvocationOf(0, 1, 2, 5);
    expect(() => core.handleInvocationOf(0, 0, 2, 5)).toThrow('invocation 2 arrived twice');
    expect(() => core.handleInvocationOf(0, 0, 3, -1)).toThrow('invocation 3: workMs must be >= 0');
  });

  it('with ample parking and no faults nothing is rejected', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const ample: HarnessCase = {
          ...c,
          config: { ...c.config, admission: { parkTimeoutMs: Number.POSITIVE_INFINITY, maxParked: 1_000 } },
          faults: { restore: 0, checkpoint: 0, execution: 0, workerLoss: 0 },
        };
        const run = runCase(ample);
        const pool = ample.config.pools[0]!;
        // Only if some worker can ever host these actors: a node big enough for one worker, and replicas or dedicated mode.
        const fit = ample.config.nodes.reduce((k, n) => k + Math.floor(n.memoryMiB / pool.workerMemoryMiB), 0);
        const alwaysOn = pool.mode === 'dedicated' && pool.dedicated?.variant === 'always-on';
        // Always-on workers never leave, so every actor needs its own from the start.
        // Likewise a shared pool whose residents never leave (idle never, no eviction) fills up for good.
        const neverLeave = pool.mode === 'shared' && ample.config.idle.kind === 'never' && ample.config.eviction === 'none';
        const scales = (ample.config.scaling?.kind ?? 'static') !== 'static';
        // A paused actor needs a worker on its node; a scaling pool at its
        // ceiling, or a node too full for one, can leave it waiting for good.
        const pauses = 'action' in ample.config.idle && ample.config.idle.action === 'pause';
        const canHost = fit > 0 && (pool.mode === 'dedicated' || pool.replicas > 0 || scales) && (!alwaysOn || fit >= ample.actors) && !neverLeave && !(scales && pauses);
        const reasons = run.replies.filter((r) => r.outcome === 'rejected').map((r) => r.reason);
        if (canHost) expect(reasons).toEqual([]);
        else expect(reasons.filter((r) => r !== 'run-ended')).toEqual([]);
        expect(run.replies.length).toBe(run.arrived);
      }),
      { numRuns: RUNS },
    );
  });
});
