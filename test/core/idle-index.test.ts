import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NONE, RUNNING, SUSPENDED } from '../../core/codes.ts';
import { IdleIndex } from '../../core/idle-index.ts';
import { evictionCrossCheck } from '../../core/policies/eviction.ts';
import type { PoolRt, WorkerRec } from '../../core/pools.ts';
import { ActorTable, R32, R64, R8 } from '../../core/tables.ts';
import { caseArb, runCase } from './harness.ts';

const RUNS = Number(process.env.PROP_RUNS ?? 1_000);

/**
 * Model-based: random operations on actors and workers (become idle or busy,
 * move between workers, start or end an eviction, change last use, fill or
 * free a worker), each followed by the marks the scheduler would make; after
 * each, the index must answer as the naive scan over every actor does.
 */
describe('IdleIndex against a naive scan', () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('idle' as const), actor: fc.nat(), value: fc.boolean() }),
    fc.record({ kind: fc.constant('move' as const), actor: fc.nat(), worker: fc.integer({ min: -1, max: 5 }) }),
    fc.record({ kind: fc.constant('evicting' as const), actor: fc.nat(), value: fc.boolean() }),
    fc.record({ kind: fc.constant('lastUsed' as const), actor: fc.nat(), value: fc.integer({ min: 0, max: 5 }) }),
    fc.record({ kind: fc.constant('state' as const), worker: fc.nat(), ready: fc.boolean() }),
  );
  it('gives the LRU victim on full workers, and the counts, of the scan', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 3 }), fc.array(op, { maxLength: 60 }), (nActors, nWorkers, slots, ops) => {
        const A = new ActorTable(4);
        for (let a = 0; a < nActors; a++) A.add(`a${a}`, 0, 0);
        const pool = { index: 0 } as PoolRt;
        const workers: WorkerRec[] = [];
        for (let i = 0; i < nWorkers; i++) {
          workers.push({ id: i, pool, state: 'READY', dedicatedActor: NONE, actorSlots: slots, resident: 0, actors: [] as number[] } as unknown as WorkerRec);
        }
        const index = new IdleIndex(1);
        const poolOf = (): number => 0;
        const markWorker = (w: WorkerRec): void => index.markWorker(w);
        for (const o of ops) {
          if (o.kind === 'state') {
            const w = workers[o.worker % nWorkers]!;
            w.state = o.ready ? 'READY' : 'STARTING';
            markWorker(w);
            continue;
          }
          const a = o.actor % nActors;
          switch (o.kind) {
            case 'idle':
              // Idle: RUNNING with nothing running or queued; busy: one invocation queued.
              A.queued[a * R32] = o.value ? 0 : 1;
              break;
            case 'move': {
              const from = A.worker[a * R32]!;
              const to = o.worker < 0 ? NONE : o.worker % nWorkers;
              if (to !== NONE && (to === from || workers[to]!.resident >= slots)) break;
              if (from !== NONE) {
                const w = workers[from]!;
                w.actors.splice(w.actors.indexOf(a), 1);
                w.resident -= 1;
                markWorker(w);
              }
              A.worker[a * R32] = to;
              A.state[a * R8] = to === NONE ? SUSPENDED : RUNNING;
              if (to !== NONE) {
                const w = workers[to]!;
                w.actors.push(a);
                w.resident += 1;
                markWorker(w);
              }
              break;
            }
            case 'evicting':
              A.evictedFor[a * R32] = o.value ? 0 : NONE;
              break;
            case 'lastUsed':
              A.lastUsedMs[a * R64] = o.value;
              break;
          }
          index.mark(a);
          index.flush(A, workers, poolOf);
          // The naive scan.
          let best = NONE;
          let onOpen = 0;
          let count = 0;
          for (let v = 0; v < nActors; v++) {
            const wid = A.worker[v * R32]!;
            if (wid === NONE || A.state[v * R8] !== RUNNING || A.queued[v * R32] !== 0 || A.evictedFor[v * R32] !== NONE) continue;
            const w = workers[wid]!;
            if (w.state !== 'READY') continue;
            count += 1;
            if (w.resident < slots) {
              onOpen += 1;
              continue;
            }
            if (best === NONE) {
              best = v;
              continue;
            }
            const kb = A.lastUsedMs[best * R64]!;
            const kv = A.lastUsedMs[v * R64]!;
            if (kv < kb || (kv === kb && (wid < A.worker[best * R32]! || (wid === A.worker[best * R32]! && v < best)))) best = v;
          }
          expect(index.lruOnFull(0)).toBe(best);
          expect(index.onOpen(0)).toBe(onOpen);
          expect(index.candidates(0)).toBe(count);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

/**
 * The scheduler with every LRU answer taken from the index checked against
 * the scan it replaces (evictionCrossCheck throws on a difference), over the
 * property harness's random cases with LRU eviction. The same switch checks
 * each pool's count of waiters without an eviction under way (what lets
 * evictForWaiters stop early) against a scan of its park queue at every pass.
 */
describe('the scheduler with the index gives the victims of the scan', () => {
  beforeAll(() => {
    evictionCrossCheck.on = true;
  });
  afterAll(() => {
    evictionCrossCheck.on = false;
  });
  it('on random cases with faults, worker losses and scaling', () => {
    let searched = 0;
    fc.assert(
      fc.property(caseArb, (c) => {
        const run = runCase({ ...c, config: { ...c.config, eviction: 'lru' } });
        const t = run.violations.get('termination');
        if (t !== undefined) throw new Error(t.join('; '));
        searched += 1;
      }),
      { numRuns: RUNS },
    );
    expect(searched).toBe(RUNS);
    // The index answered (and was checked) many times, not only the scan.
    expect(evictionCrossCheck.checked).toBeGreaterThan(RUNS / 10);
  });
});
