import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Command, Reply } from '../../core/types.ts';
import type { DistributionSpec } from '../../scenarios/distributions.ts';
import type { ContentionSpec, CostModel, PolicySet, Scenario } from '../../scenarios/scenario.ts';
import { loadScenarioFile } from '../../scenarios/load.ts';
import { generateWorkload, type Workload } from '../../scenarios/workload.ts';
import { cappedRates, fairShare, limitGain, processRates, SharedResource, STORE_GROUP } from '../../sim/contention.ts';
import { EventQueue } from '../../session/event-queue.ts';
import { PrimitiveClock, simulate } from '../../sim/runtime.ts';
import { applyScenarioOverrides } from '../../sim/study-scenario.ts';

const DONE = 9;

/** Pops every event, letting the resource handle its own; returns the others as (time, a). */
function drain(queue: EventQueue, res: SharedResource): { timeMs: number; a: number }[] {
  const out: { timeMs: number; a: number }[] = [];
  while (queue.pop()) {
    if (queue.kind === DONE) res.onDone(queue.timeMs, queue.b);
    else out.push({ timeMs: queue.timeMs, a: queue.a });
  }
  return out;
}

describe('SharedResource (processor sharing)', () => {
  it.each([
    [1, 1],
    [4, 1],
    [8, 1.15],
    [3, 2.5],
  ])('%i equal jobs started together on capacity %d each take max(1, k / capacity) times one alone', (k, capacity) => {
    const queue = new EventQueue(4);
    const res = new SharedResource(capacity, queue, DONE, 0);
    for (let i = 0; i < k; i++) res.add(100, 300, 0, 1, i, 0, 0);
    const done = drain(queue, res);
    expect(done.map((d) => d.a)).toEqual(Array.from({ length: k }, (_, i) => i));
    for (const d of done) expect(d.timeMs).toBeCloseTo(100 + 300 * Math.max(1, k / capacity), 9);
  });

  it('fewer jobs than the capacity each run at full speed', () => {
    const queue = new EventQueue(4);
    const res = new SharedResource(2, queue, DONE, 0);
    res.add(0, 100, 0, 1, 0, 0, 0);
    res.add(0, 250, 0, 1, 1, 0, 0);
    expect(drain(queue, res)).toEqual([
      { timeMs: 100, a: 0 },
      { timeMs: 250, a: 1 },
    ]);
  });

  it('a job arriving mid-way: the hand-computed processor-sharing schedule', () => {
    // Capacity 1. A: 100 ms of work at t=0; B: 40 ms at t=40 (tail 5 ms); C: 10 ms at t=50.
    // 0-40: A alone, 60 left. 40-50: A and B at half speed: A 55, B 35.
    // From 50 three share at a third: C needs 30 ms, done at 80 (A 45, B 25 left).
    // Then halves: B needs 50 ms, done at 130 (+5 tail: 135), A 20 left, alone to 150.
    const queue = new EventQueue(4);
    const res = new SharedResource(1, queue, DONE, 0);
    res.add(0, 100, 0, 1, 0, 0, 0);
    queue.pop();
    const stale = { timeMs: queue.timeMs, b: queue.b };
    expect(stale.timeMs).toBe(100);
    res.add(40, 40, 5, 1, 1, 0, 0);
    // The first finish event (A alone at 100) is stale now: handling it does nothing.
    res.onDone(stale.timeMs, stale.b);
    expect(res.active).toBe(2);
    res.add(50, 10, 0, 1, 2, 0, 0);
    const done = drain(queue, res);
    expect(done.map((d) => d.a)).toEqual([2, 1, 0]);
    expect(done[0]!.timeMs).toBeCloseTo(80, 9);
    expect(done[1]!.timeMs).toBeCloseTo(130 + 5, 9);
    expect(done[2]!.timeMs).toBeCloseTo(150, 9);
  });

  it('two jobs: the short late one finishes first, then the long one alone', () => {
    // A: 100 at 0 (60 left at 40); B: 30 at 40. Halves: B done at 100 (A 30 left), A alone to 130.
    const queue = new EventQueue(4);
    const res = new SharedResource(1, queue, DONE, 0);
    res.add(0, 100, 0, 1, 0, 0, 0);
    res.add(40, 30, 0, 1, 1, 0, 0);
    const done = drain(queue, res);
    expect(done.map((d) => d.a)).toEqual([1, 0]);
    expect(done[0]!.timeMs).toBeCloseTo(100, 9);
    expect(done[1]!.timeMs).toBeCloseTo(130, 9);
  });

  it('a cancelled job stops sharing: the other speeds up from then on', () => {
    const queue = new EventQueue(4);
    const res = new SharedResource(1, queue, DONE, 0);
    res.add(0, 100, 0, 1, 0, 0, 0);
    res.add(0, 100, 0, 1, 1, 0, 0);
    // At 50 each has 75 left; job 1 leaves, job 0 alone finishes at 125.
    res.cancel(50, 1, 1);
    const done = drain(queue, res);
    expect(done).toHaveLength(1);
    expect(done[0]!.a).toBe(0);
    expect(done[0]!.timeMs).toBeCloseTo(125, 9);
  });

  it('jobs with unequal demands share max-min fairly: the one that uses less alone keeps its full speed', () => {
    // Capacity 2, demands 2 and 1 (total 3): each is offered 1 cpu; the demand-1 job needs no more and
    // runs at full speed, done at 300; the demand-2 job runs at 1 / 2 meanwhile (150 left), then alone at full speed: 450.
    const queue = new EventQueue(4);
    const res = new SharedResource(2, queue, DONE, 0);
    res.add(0, 300, 0, 1, 0, 0, 0, 2);
    res.add(0, 300, 0, 1, 1, 0, 0, 1);
    const done = drain(queue, res);
    expect(done.map((d) => d.a)).toEqual([1, 0]);
    expect(done[0]!.timeMs).toBeCloseTo(300, 9);
    expect(done[1]!.timeMs).toBeCloseTo(450, 9);
    expect(() => res.add(0, 1, 0, 1, 2, 0, 0, 0)).toThrow(/demand/);
  });

  it('three demands: what the smallest leaves is split among the others (hand-computed schedule)', () => {
    // Capacity 2, 100 ms of work each, demands 0.2, 1 and 3 (total 4.2). The 0.2 job takes 0.2, the other two
    // are offered (2 - 0.2) / 2 = 0.9 each: rates 1, 0.9 and 0.3. At 100 the first is done (10 and 70 left);
    // then 1 and 3 are offered 1 each: rates 1 and 1/3, the second done at 110 (66.67 left for the third);
    // alone, demand 3 on capacity 2 runs at 2/3: 100 ms more, done at 210.
    const queue = new EventQueue(4);
    const res = new SharedResource(2, queue, DONE, 0);
    res.add(0, 100, 0, 1, 0, 0, 0, 0.2);
    res.add(0, 100, 0, 1, 1, 0, 0, 1);
    res.add(0, 100, 0, 1, 2, 0, 0, 3);
    const done = drain(queue, res);
    expect(done.map((d) => d.a)).toEqual([0, 1, 2]);
    expect(done[0]!.timeMs).toBeCloseTo(100, 9);
    expect(done[1]!.timeMs).toBeCloseTo(110, 9);
    expect(done[2]!.timeMs).toBeCloseTo(210, 9);
  });

  it('a mixed batch: the jobs that use more alone finish last though they have less work (the mixed sweep of issue 18)', () => {
    // 4 "restores" (400 ms, demand 1.5) and 4 "checkpoints" (250 ms, demand 2.5) on 2 cpus. Sharing by the
    // total demand slowed every job alike, so the checkpoints always finished first; calibration measured
    // them finishing after the restores.
    const queue = new EventQueue(4);
    const res = new SharedResource(2, queue, DONE, 0);
    for (let i = 0; i < 4; i++) res.add(0, 400, 0, 1, i, 0, 0, 1.5);
    for (let i = 4; i < 8; i++) res.add(0, 250, 0, 1, i, 0, 0, 2.5);
    const done = drain(queue, res);
    const at = (a: number): number => done.find((d) => d.a === a)!.timeMs;
    // Eight jobs are offered 2 / 8 cpu each: restores at 1/6, checkpoints at 1/10 of their solo speed. The
    // restores finish first, at 2400 (checkpoints 10 ms short of done); then the checkpoints, offered 1/2 each, finish 50 ms later.
    for (let i = 0; i < 4; i++) expect(at(i)).toBeCloseTo(2400, 6);
    for (let i = 4; i < 8; i++) expect(at(i)).toBeCloseTo(2450, 6);
  });

  it("a lost worker's jobs end with it: never completed, and the others speed up", () => {
    const queue = new EventQueue(4);
    const res = new SharedResource(1, queue, DONE, 0);
    res.add(0, 100, 0, 1, 0, 0, 0, 1, 7);
    res.add(0, 100, 0, 1, 1, 0, 0, 1, 7);
    res.add(0, 100, 0, 1, 2, 0, 0, 1, 8);
    queue.pop();
    // At 60 each job has done 20 ms of work; worker 7's two end, worker 8's runs alone: 80 left.
    expect(res.cancelWorker(60, 7)).toBe(2);
    expect(res.cancelWorker(60, 7)).toBe(0);
    expect(res.active).toBe(1);
    expect(drain(queue, res)).toEqual([{ timeMs: 140, a: 2 }]);
  });

  it("a worker's cap: its jobs together use at most the cap, shared among them; the others are not held back by it", () => {
    // Capacity 2. Worker 7 capped at 0.5 runs one job of demand 1 and 100 ms: half speed, done at 200.
    // Worker 8, uncapped, runs one of demand 1 and 100 ms beside it: 0.5 + 1 fits in 2, so full speed, done at 100.
    const queue = new EventQueue(4);
    const res = new SharedResource(2, queue, DONE, 0);
    res.add(0, 100, 0, 1, 0, 0, 0, 1, 7, 0.5);
    res.add(0, 100, 0, 1, 1, 0, 0, 1, 8);
    expect(drain(queue, res)).toEqual([
      { timeMs: 100, a: 1 },
      { timeMs: 200, a: 0 },
    ]);
    // Two jobs of one worker capped at 0.5 share it: a quarter each, 400 ms for 100 of work.
    const q2 = new EventQueue(4);
    const both = new SharedResource(2, q2, DONE, 0);
    both.add(0, 100, 0, 1, 0, 0, 0, 1, 7, 0.5);
    both.add(0, 100, 0, 1, 1, 0, 0, 1, 7, 0.5);
    for (const d of drain(q2, both)) expect(d.timeMs).toBeCloseTo(400, 9);
    // When the first of a capped worker's two jobs ends, the other has the whole cap: 50 ms of work and
    // 100 ms: both at a quarter until 200 (50 done each), then the second alone at half speed: 100 more ms.
    const q3 = new EventQueue(4);
    const uneven = new SharedResource(2, q3, DONE, 0);
    uneven.add(0, 50, 0, 1, 0, 0, 0, 1, 7, 0.5);
    uneven.add(0, 100, 0, 1, 1, 0, 0, 1, 7, 0.5);
    const done = drain(q3, uneven);
    expect(done[0]!.timeMs).toBeCloseTo(200, 9);
    expect(done[1]!.timeMs).toBeCloseTo(300, 9);
  });

  it('only the in-worker part of a demand is capped: a job spending half its demand in a worker capped at 0.2 runs at 0.4', () => {
    const queue = new EventQueue(4);
    const res = new SharedResource(2, queue, DONE, 0);
    res.add(0, 100, 0, 1, 0, 0, 0, 1, 7, 0.2, 0.5);
    expect(drain(queue, res)[0]!.timeMs).toBeCloseTo(100 / 0.4, 9);
    expect(() => res.add(0, 100, 0, 1, 0, 0, 0, 1, 7, 0.2, 0)).toThrow(/inWorker must be a positive number/);
    // More than the demand: the limit costs more than running free (throttling): 0.2 / 2 = 0.1 of solo speed.
    const q = new EventQueue(4);
    const more = new SharedResource(2, q, DONE, 0);
    more.add(0, 100, 0, 1, 0, 0, 0, 1, 7, 0.2, 2);
    expect(drain(q, more)[0]!.timeMs).toBeCloseTo(1000, 9);
  });

  it('a bound below 1: two jobs of one capped worker each take 1 + bound times one alone, n jobs share the cap times n / (1 + (n - 1) bound)', () => {
    const finish = (jobs: number, bound: number, work = (_: number): number => 100): number[] => {
      const queue = new EventQueue(8);
      const res = new SharedResource(8, queue, DONE, 0);
      for (let j = 0; j < jobs; j++) res.add(0, work(j), 0, 1, j, 0, 0, 1, 7, 0.5, 1, bound);
      return drain(queue, res).map((d) => d.timeMs);
    };
    // Alone: half speed, 200 ms, whatever the bound.
    expect(finish(1, 0.74)[0]).toBeCloseTo(200, 9);
    // Two at once, bound 0.74: 1.74 x 200 each; bound 1, twice one alone (the cap shared equally).
    for (const t of finish(2, 0.74)) expect(t).toBeCloseTo(348, 9);
    for (const t of finish(2, 1)) expect(t).toBeCloseTo(400, 9);
    // Four at once, bound 0.5: the cap counts 4 / 2.5 = 1.6 times, so each runs at 0.5 x 1.6 / 4 = 0.2: 500 ms.
    expect(limitGain(4, 0.5)).toBeCloseTo(1.6, 12);
    for (const t of finish(4, 0.5)) expect(t).toBeCloseTo(500, 9);
    // Uneven work, bound 0.5: both at 0.5 x (2 / 1.5) / 2 = 1/3 until the short one ends at 150 (50 done), then the other
    // alone at 0.5: 50 more work, 100 ms, done at 250.
    const uneven = finish(2, 0.5, (j) => (j === 0 ? 50 : 100));
    expect(uneven[0]).toBeCloseTo(150, 9);
    expect(uneven[1]).toBeCloseTo(250, 9);
    expect(limitGain(1, 0.1)).toBe(1);
    expect(limitGain(50, 1)).toBeCloseTo(1, 12);
    const res = new SharedResource(2, new EventQueue(4), DONE, 0);
    for (const bad of [0, 1.2, Number.NaN]) expect(() => res.add(0, 100, 0, 1, 0, 0, 0, 1, 7, 0.2, 1, bad)).toThrow(/bound must be above 0 and at most 1/);
  });

  it('refuses a capped job without its worker, and a cap that is not positive', () => {
    const res = new SharedResource(2, new EventQueue(4), DONE, 0);
    expect(() => res.add(0, 100, 0, 1, 0, 0, 0, 1, -1, 0.5)).toThrow(/capped job needs its group/);
    expect(() => res.add(0, 100, 0, 1, 0, 0, 0, 1, 3, 0)).toThrow(/cap must be a positive number/);
  });

  it('refuses a capacity that is not positive', () => {
    expect(() => new SharedResource(0, new EventQueue(1), DONE, 0)).toThrow(/capacity/);
  });
});

describe('fairShare (max-min fair share of a capacity)', () => {
  it('is Infinity when the demands fit, capacity / n when they are equal, and uses the capacity in full otherwise, no job above its demand', () => {
    expect(fairShare([0.5, 1], 2)).toBe(Number.POSITIVE_INFINITY);
    expect(fairShare([], 2)).toBe(Number.POSITIVE_INFINITY);
    expect(fairShare([1.5, 1.5, 1.5], 2)).toBeCloseTo(2 / 3, 12);
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.01, max: 8, noNaN: true }), { minLength: 1, maxLength: 40 }), fc.double({ min: 0.1, max: 16, noNaN: true }), (demands, capacity) => {
        const share = fairShare(demands, capacity);
        const total = demands.reduce((s, d) => s + d, 0);
        if (total <= capacity) {
          expect(share).toBe(Number.POSITIVE_INFINITY);
          return;
        }
        // Work-conserving: the shares taken add up to the capacity; a job below the level takes its demand.
        const used = demands.reduce((s, d) => s + Math.min(d, share), 0);
        expect(used / capacity).toBeCloseTo(1, 9);
        // The level is at least the equal split: nobody gets less than capacity / n.
        expect(share).toBeGreaterThanOrEqual((capacity / demands.length) * (1 - 1e-12));
      }),
      { numRuns: 300, seed: 18 },
    );
  });
});

describe('cappedRates (max-min fair shares under per-worker caps)', () => {
  it('with part of each demand outside its worker and bounds below 1: within the capacity and every cap (times its limitGain), at most solo speed, and the capacity full unless every job runs as fast as its worker lets it', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ demand: fc.double({ min: 0.05, max: 4, noNaN: true }), share: fc.double({ min: 0.05, max: 2.5, noNaN: true }), worker: fc.integer({ min: 0, max: 5 }), bound: fc.double({ min: 0.05, max: 1, noNaN: true }) }),
          { minLength: 1, maxLength: 30 },
        ),
        fc.array(fc.option(fc.double({ min: 0.05, max: 3, noNaN: true }), { nil: undefined }), { minLength: 6, maxLength: 6 }),
        fc.double({ min: 0.1, max: 8, noNaN: true }),
        (js, capOf, capacity) => {
          const demands = js.map((j) => j.demand);
          const inWorker = js.map((j) => j.demand * j.share);
          const workers = js.map((j) => j.worker);
          const caps = workers.map((w) => capOf[w] ?? Number.POSITIVE_INFINITY);
          const rates: number[] = [];
          const bounds = js.map((j) => j.bound);
          cappedRates(demands, workers, caps, capacity, rates, undefined, inWorker, bounds);
          const tol = 1e-9;
          const host = rates.reduce((t, r, i) => t + r * demands[i]!, 0);
          expect(host).toBeLessThanOrEqual(capacity * (1 + tol));
          // Each capped worker's cap, counted limitGain times for its jobs' number and mean bound.
          const effectiveCap = (w: number): number => {
            const mine = bounds.filter((_, j) => workers[j] === w);
            return capOf[w]! * limitGain(mine.length, mine.reduce((a, b) => a + b, 0) / mine.length);
          };
          const inWorkerUse = new Map<number, number>();
          rates.forEach((r, i) => inWorkerUse.set(workers[i]!, (inWorkerUse.get(workers[i]!) ?? 0) + r * inWorker[i]!));
          for (const [w, used] of inWorkerUse) if (capOf[w] !== undefined) expect(used).toBeLessThanOrEqual(effectiveCap(w) * (1 + tol));
          // The fastest each job could go were the capacity endless: its worker's max-min share of the cap.
          const alone = js.map((_, i) => {
            const w = workers[i]!;
            if (capOf[w] === undefined) return 1;
            const level = fairShare(inWorker.filter((_, j) => workers[j] === w), effectiveCap(w));
            return Math.min(1, level / inWorker[i]!);
          });
          rates.forEach((r, i) => {
            expect(r).toBeGreaterThan(0);
            expect(r).toBeLessThanOrEqual(alone[i]! * (1 + tol));
          });
          if (host < capacity * (1 - tol)) rates.forEach((r, i) => expect(r).toBeCloseTo(alone[i]!, 9));
        },
      ),
      { numRuns: 500, seed: 29 },
    );
  });

  const jobs = fc.array(fc.record({ demand: fc.double({ min: 0.05, max: 4, noNaN: true }), worker: fc.integer({ min: 0, max: 5 }) }), { minLength: 1, maxLength: 30 });
  const workerCaps = fc.array(fc.option(fc.double({ min: 0.05, max: 3, noNaN: true }), { nil: undefined }), { minLength: 6, maxLength: 6 });

  it('is fairShare\'s rule when nothing is capped', () => {
    fc.assert(
      fc.property(jobs, fc.double({ min: 0.1, max: 16, noNaN: true }), (js, capacity) => {
        const demands = js.map((j) => j.demand);
        const out: number[] = [];
        cappedRates(demands, js.map((j) => j.worker), js.map(() => Number.POSITIVE_INFINITY), capacity, out);
        const share = fairShare(demands, capacity);
        out.forEach((r, i) => expect(r).toBeCloseTo(Math.min(1, share / demands[i]!), 12));
      }),
      { numRuns: 200, seed: 28 },
    );
  });

  it('is feasible and max-min fair: every job held below its demand is among the largest on a link that is full (its worker\'s cap or the capacity)', () => {
    fc.assert(
      fc.property(jobs, workerCaps, fc.double({ min: 0.1, max: 8, noNaN: true }), (js, capOf, capacity) => {
        const demands = js.map((j) => j.demand);
        const workers = js.map((j) => j.worker);
        const caps = workers.map((w) => capOf[w] ?? Number.POSITIVE_INFINITY);
        const rates: number[] = [];
        cappedRates(demands, workers, caps, capacity, rates);
        const alloc = rates.map((r, i) => r * demands[i]!);
        const tol = 1e-9;
        const total = alloc.reduce((a, b) => a + b, 0);
        expect(total).toBeLessThanOrEqual(capacity * (1 + tol));
        const byWorker = new Map<number, number>();
        alloc.forEach((a, i) => byWorker.set(workers[i]!, (byWorker.get(workers[i]!) ?? 0) + a));
        for (const [w, used] of byWorker) if (capOf[w] !== undefined) expect(used).toBeLessThanOrEqual(capOf[w]! * (1 + tol));
        const capacityFull = total >= capacity * (1 - tol);
        const maxAll = Math.max(...alloc);
        alloc.forEach((a, i) => {
          expect(a).toBeGreaterThan(0);
          expect(a).toBeLessThanOrEqual(demands[i]! * (1 + tol));
          if (a >= demands[i]! * (1 - tol)) return;
          const w = workers[i]!;
          const capFull = capOf[w] !== undefined && byWorker.get(w)! >= capOf[w]! * (1 - tol);
          const maxOnWorker = Math.max(...alloc.filter((_, j) => workers[j] === w));
          const bottleneck = (capFull && a >= maxOnWorker * (1 - tol)) || (capacityFull && a >= maxAll * (1 - tol));
          expect(bottleneck, `job ${i} (demand ${demands[i]}, worker ${w}) got ${a} with no full link where it is largest`).toBe(true);
        });
      }),
      { numRuns: 500, seed: 18 },
    );
  });
});

describe('processRates (host.share: process: the cpus shared between processes, then within each)', () => {
  it("is fairShare's rule with one job per process and nothing through the store", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.01, max: 4, noNaN: true }), { minLength: 1, maxLength: 24 }), fc.double({ min: 0.1, max: 16, noNaN: true }), (demands, capacity) => {
        const out: number[] = [];
        const own = demands.map((_, i) => i);
        processRates(demands, own, demands.map(() => Number.POSITIVE_INFINITY), demands, own, capacity, out);
        const share = fairShare(demands, capacity);
        out.forEach((r, i) => expect(r).toBeCloseTo(Math.min(1, share / demands[i]!), 12));
      }),
      { numRuns: 200, seed: 31 },
    );
  });

  it('hand-computed: a one-thread store serving four transfers gets one process\'s share, four local restores keep theirs', () => {
    // 2 cpus. Four transfers through the store, each 1 cpu alone: 0.5 in the store, 0.5 in its own worker. Four local
    // restores, 1 cpu each, on four other workers. Nine processes. The store's part x and the transfers' workers' parts
    // (also x in all, as each moves as fast as its store part) leave 2 - x to the five others: x = (2 - x) / 5, x = 1/3.
    // So each transfer runs at (1/3) / 4 / 0.5 = 1/6 and each local restore at 1/3. Shared by job, all eight run at 1/4.
    const demands = [1, 1, 1, 1, 1, 1, 1, 1];
    const groups = [STORE_GROUP, STORE_GROUP, STORE_GROUP, STORE_GROUP, 4, 5, 6, 7];
    const caps = [1, 1, 1, 1, Infinity, Infinity, Infinity, Infinity];
    const inGroup = [0.5, 0.5, 0.5, 0.5, 1, 1, 1, 1];
    const workers = [0, 1, 2, 3, 4, 5, 6, 7];
    const out: number[] = [];
    processRates(demands, groups, caps, inGroup, workers, 2, out);
    for (let i = 0; i < 4; i++) expect(out[i]).toBeCloseTo(1 / 6, 9);
    for (let i = 4; i < 8; i++) expect(out[i]).toBeCloseTo(1 / 3, 9);
  });

  it('is feasible and work-conserving: within the capacity and the store\'s threads, at most solo speed, a job held back only on a full host or through the store, and then among the fastest of one of its processes', () => {
    const job = fc.record({
      worker: fc.integer({ min: 0, max: 5 }),
      viaStore: fc.boolean(),
      demand: fc.double({ min: 0.05, max: 3, noNaN: true }),
      storePart: fc.double({ min: 0.05, max: 1, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(job, { minLength: 1, maxLength: 20 }), fc.double({ min: 0.2, max: 8, noNaN: true }), fc.double({ min: 0.2, max: 2, noNaN: true }), (js, capacity, threads) => {
        const demands = js.map((j) => j.demand);
        const groups = js.map((j) => (j.viaStore ? STORE_GROUP : j.worker));
        const caps = js.map((j) => (j.viaStore ? threads : Number.POSITIVE_INFINITY));
        const inGroup = js.map((j) => (j.viaStore ? j.demand * j.storePart : j.demand));
        const workers = js.map((j) => j.worker);
        const rates: number[] = [];
        processRates(demands, groups, caps, inGroup, workers, capacity, rates);
        const tol = 1e-9;
        let total = 0;
        let store = 0;
        rates.forEach((r, i) => {
          expect(r).toBeGreaterThan(0);
          expect(r).toBeLessThanOrEqual(1);
          total += r * demands[i]!;
          if (js[i]!.viaStore) store += r * inGroup[i]!;
        });
        expect(total).toBeLessThanOrEqual(capacity * (1 + tol));
        expect(store).toBeLessThanOrEqual(threads * (1 + tol));
        const hostFull = total >= capacity * (1 - 1e-6);
        rates.forEach((r, i) => {
          if (r < 1 - tol) expect(hostFull || js[i]!.viaStore, `job ${i} at ${r} on a host using ${total} of ${capacity}`).toBe(true);
        });
        // Max-min fair: a job held back stopped where one of its processes ran out, all of whose jobs were then at its
        // speed or slower (they rise together): it is among the fastest of that process.
        const processesOf = (i: number): number[] => (js[i]!.viaStore ? [STORE_GROUP, ...(demands[i]! - inGroup[i]! > 1e-12 ? [workers[i]!] : [])] : [workers[i]!]);
        rates.forEach((r, i) => {
          if (r >= 1 - tol) return;
          const fastest = processesOf(i).some((p) => js.every((_, k) => !processesOf(k).includes(p) || rates[k]! <= r * (1 + 1e-9)));
          expect(fastest, `job ${i} at ${r} is the fastest of none of its processes`).toBe(true);
        });
      }),
      { numRuns: 500, seed: 32 },
    );
  });

  it('SharedResource by process: the hand-computed shares, then the four transfers alone at the store\'s one thread', () => {
    const queue = new EventQueue(64);
    const res = new SharedResource(2, queue, DONE, 0, true);
    // Four transfers of 10 ms of solo work, four local restores of 1 ms: locals at 1/3 end at 3 ms (the transfers then
    // 0.5 ms along at 1/6); alone the transfers share the store's one thread (0.25 each of their 0.5: half speed), the
    // host has room (1 + 4 x 0.25 = 2), so the 9.5 ms left take 19 ms more: done at 22.
    for (let w = 0; w < 4; w++) res.add(0, 10, 0, 1, w, 0, 0, 1, w, 1, 0.5, 1, STORE_GROUP);
    for (let w = 4; w < 8; w++) res.add(0, 1, 0, 1, w, 0, 0, 1, w);
    const done = drain(queue, res);
    expect(done.map((d) => d.a)).toEqual([4, 5, 6, 7, 0, 1, 2, 3]);
    for (const d of done.slice(0, 4)) expect(d.timeMs).toBeCloseTo(3, 6);
    for (const d of done.slice(4)) expect(d.timeMs).toBeCloseTo(22, 6);
  });
});

// --- Through the simulated runtime -------------------------------------------------------------

const ZERO: DistributionSpec = { kind: 'constant', valueMs: 0 };
const SNAPSHOT_MIB = 100;
/** 100 MiB at 200 MiB/s: a solo transfer of 500 ms, plus a constant base of 20 ms. */
const SOLO_TRANSFER_MS = 500;
const BASE_MS = 20;
const START_MS = 200;

function costs(contention?: ContentionSpec, random = false): CostModel {
  const base: DistributionSpec = random ? { kind: 'lognormal', medianMs: BASE_MS, p99Ms: 4 * BASE_MS } : { kind: 'constant', valueMs: BASE_MS };
  const size = { base, mibPerSec: 200 };
  return {
    name: 'test',
    source: 'contention tests',
    workerStart: random ? { kind: 'lognormal', medianMs: START_MS, p99Ms: 3 * START_MS } : { kind: 'constant', valueMs: START_MS },
    coldBoot: ZERO,
    restore: { local: size, external: size, golden: size },
    checkpoint: { local: size, external: size },
    dispatch: ZERO,
    ...(contention === undefined ? {} : { contention }),
  };
}

/** k workers (one slot each) on `nodes` nodes, one actor per arrival time (k at `atMs` by default), idle actors suspended after 1 s. */
function setup(k: number, c: CostModel, atMs: number | number[], nodes = 1): { scenario: Scenario; policy: PolicySet; workload: Workload } {
  const arrivals = typeof atMs === 'number' ? new Array<number>(k).fill(atMs) : atMs;
  const policy: PolicySet = {
    name: 'contention',
    pools: { agents: { mode: 'shared', replicas: k, actorSlots: 1, workerMemoryMiB: 256 } },
    placement: 'random',
    idle: { kind: 'ttl', action: 'suspend', ttlMs: 1000 },
    admission: { parkTimeoutMs: Number.POSITIVE_INFINITY, maxParked: 1e9 },
    eviction: 'none',
    maxAttempts: 1,
  };
  const scenario: Scenario = {
    name: 'contention',
    description: 'contention tests',
    seed: 1,
    durationMs: 60_000,
    warmupMs: 0,
    pools: [],
    nodes: Array.from({ length: nodes }, (_, i) => ({ name: `node-${i}`, memoryMiB: Math.ceil(k / nodes) * 256 })),
    templates: [{ name: 'agent', pool: 'agents', memoryMiB: 256, snapshotMiB: SNAPSHOT_MIB, golden: true, work: { kind: 'constant', valueMs: 100 } }],
    workload: [],
    costs: c,
    policies: [policy],
  };
  const names = arrivals.map((_, i) => `a${i}`);
  const workload: Workload = {
    actorNames: names,
    actorTemplates: names.map(() => 'agent'),
    arrivalMs: Float64Array.from(arrivals),
    actor: Int32Array.from(names.keys()),
    workMs: new Float64Array(arrivals.length).fill(100),
  };
  return { scenario, policy, workload };
}

interface Trace {
  readonly replies: Reply[];
  /** Time of each command kind, in order. */
  readonly at: Map<string, number[]>;
}

function run(k: number, c: CostModel, atMs: number | number[], nodes = 1, seed = 1): Trace {
  const { scenario, policy, workload } = setup(k, c, atMs, nodes);
  const at = new Map<string, number[]>();
  const onCommand = (t: number, cmd: Command): void => {
    const key = cmd.kind === 'restore' ? `restore-${cmd.source}` : cmd.kind;
    if (!at.has(key)) at.set(key, []);
    at.get(key)!.push(t);
  };
  const r = simulate(scenario, policy, workload, { seed, sampleEveryMs: 0, onCommand });
  return { replies: r.replies, at };
}

describe('simulate with contention', () => {
  it('k golden restores started together each take k / streams times the solo transfer, plus the base', () => {
    const k = 6;
    const streams = 1.5;
    // Invocations after the workers are up: the restores start together at 1 s.
    const t = run(k, costs({ scope: 'machine', transfers: { streams } }), 1000);
    expect(t.at.get('restore-golden')).toEqual(new Array(k).fill(1000));
    expect(t.replies).toHaveLength(k);
    for (const r of t.replies) expect(r.parts.restoreMs).toBeCloseTo(BASE_MS + SOLO_TRANSFER_MS * (k / streams), 6);
    // Without the block: each alone.
    for (const r of run(k, costs(), 1000).replies) expect(r.parts.restoreMs).toBeCloseTo(BASE_MS + SOLO_TRANSFER_MS, 9);
  });

  it('checkpoints share the transfers too', () => {
    // k actors at 1 s take the k workers: k golden restores together, done at
    // 1000 + k * 500 + 20; 100 ms of work; suspended 1 s later (k external
    // checkpoints together, k * 500 + 20 each). k more actors arriving
    // meanwhile wait for those checkpoints to free the workers.
    const k = 4;
    const arrivals = [...new Array<number>(k).fill(1000), ...new Array<number>(k).fill(5000)];
    const shared = run(k, costs({ scope: 'machine', transfers: { streams: 1 } }), arrivals);
    const checkpointsAt = 1000 + k * SOLO_TRANSFER_MS + BASE_MS + 100 + 1000;
    for (const x of shared.at.get('checkpoint')!.slice(0, k)) expect(x).toBeCloseTo(checkpointsAt, 6);
    const second = shared.at.get('restore-golden')!.slice(k);
    expect(second).toHaveLength(k);
    for (const x of second) expect(x).toBeCloseTo(checkpointsAt + k * SOLO_TRANSFER_MS + BASE_MS, 6);
    // Without the block each checkpoint takes its solo time.
    const solo = run(k, costs(), [...new Array<number>(k).fill(1000), ...new Array<number>(k).fill(2700)]);
    for (const x of solo.at.get('restore-golden')!.slice(k)) expect(x).toBeCloseTo(1000 + SOLO_TRANSFER_MS + BASE_MS + 100 + 1000 + SOLO_TRANSFER_MS + BASE_MS, 6);
  });

  it('transfers.local: local snapshots have a resource of their own, the store transfers keep streams', () => {
    // k actors at 1 s: k golden restores on the store resource (streams 1) end together at
    // 1000 + k * 500 + 20; 100 ms of work, paused 1 s later: k local checkpoints on the node's
    // disk (local 2) take k / 2 * 500 + 20; the second wave's golden restores start then.
    const k = 4;
    const local = 2;
    const arrivals = [...new Array<number>(k).fill(1000), ...new Array<number>(k).fill(5000)];
    const pausing = (c: CostModel): Trace => {
      const { scenario, policy, workload } = setup(k, c, arrivals);
      const at = new Map<string, number[]>();
      const paused: PolicySet = { ...policy, idle: { kind: 'ttl', action: 'pause', ttlMs: 1000 } };
      const r = simulate(scenario, paused, workload, {
        seed: 1,
        sampleEveryMs: 0,
        onCommand: (t, cmd) => {
          const key = cmd.kind === 'restore' ? `restore-${cmd.source}` : cmd.kind === 'checkpoint' ? `checkpoint-${cmd.target}` : cmd.kind;
          at.set(key, [...(at.get(key) ?? []), t]);
        },
      });
      return { replies: r.replies, at };
    };
    const split = pausing(costs({ scope: 'machine', transfers: { streams: 1, local } }));
    const checkpointsAt = 1000 + k * SOLO_TRANSFER_MS + BASE_MS + 100 + 1000;
    // Both waves pause; the first wave's checkpoints are the first k.
    expect(split.at.get('checkpoint-local')).toHaveLength(2 * k);
    for (const x of split.at.get('checkpoint-local')!.slice(0, k)) expect(x).toBeCloseTo(checkpointsAt, 6);
    const second = split.at.get('restore-golden')!.slice(k);
    expect(second).toHaveLength(k);
    for (const x of second) expect(x).toBeCloseTo(checkpointsAt + (k / local) * SOLO_TRANSFER_MS + BASE_MS, 6);
    // Without `local` the local checkpoints share the one resource of capacity 1.
    const one = pausing(costs({ scope: 'machine', transfers: { streams: 1 } }));
    for (const x of one.at.get('restore-golden')!.slice(k)) expect(x).toBeCloseTo(checkpointsAt + k * SOLO_TRANSFER_MS + BASE_MS, 6);
  });

  it('scope node: restores on different nodes do not share', () => {
    const k = 4;
    const t = run(k, costs({ scope: 'node', transfers: { streams: 1 } }), 1000, 4);
    for (const r of t.replies) expect(r.parts.restoreMs).toBeCloseTo(BASE_MS + SOLO_TRANSFER_MS, 6);
    const one = run(k, costs({ scope: 'node', transfers: { streams: 1 } }), 1000, 1);
    for (const r of one.replies) expect(r.parts.restoreMs).toBeCloseTo(BASE_MS + SOLO_TRANSFER_MS * k, 6);
  });

  it('worker starts share the cpus: k starts at once are ready at start * k * workerStart / cpus', () => {
    const k = 8;
    const cpu = { cpus: 2, workerStart: 1.4 };
    // Invocations at 0 wait for the workers; each restore starts when its worker is ready.
    const t = run(k, costs({ scope: 'machine', cpu }), 0);
    const ready = START_MS * Math.max(1, (k * cpu.workerStart) / cpu.cpus);
    expect(t.at.get('startWorker')).toEqual(new Array(k).fill(0));
    for (const x of t.at.get('restore-golden')!) expect(x).toBeCloseTo(ready, 6);
    // Transfers are not shared here: each restore takes its solo time.
    for (const r of t.replies) expect(r.parts.restoreMs).toBeCloseTo(BASE_MS + SOLO_TRANSFER_MS, 6);
    // A single start (capacity 2 / 1.4 > 1) is not slowed.
    const lone = run(1, costs({ scope: 'machine', cpu }), 0);
    expect(lone.at.get('restore-golden')).toEqual([START_MS]);
  });

  it('host model: restores, checkpoints and starts share the cpus by their demands', () => {
    const k = 6;
    const host = { cpus: 2, restore: 1, checkpoint: 1, workerStart: 1.4 };
    const t = run(k, costs({ scope: 'machine', host }), 1000);
    for (const r of t.replies) expect(r.parts.restoreMs).toBeCloseTo(BASE_MS + SOLO_TRANSFER_MS * (k / host.cpus), 6);
    // A heavier restore demand slows the same restores in proportion.
    for (const r of run(k, costs({ scope: 'machine', host: { ...host, restore: 2 } }), 1000).replies) expect(r.parts.restoreMs).toBeCloseTo(BASE_MS + SOLO_TRANSFER_MS * ((2 * k) / host.cpus), 6);
    // The driver's share comes off the capacity.
    for (const r of run(k, costs({ scope: 'machine', host: { ...host, driver: 0.5 } }), 1000).replies) expect(r.parts.restoreMs).toBeCloseTo(BASE_MS + SOLO_TRANSFER_MS * (k / 1.5), 6);
    // Starts at 0: as the cpu block with the same numbers.
    const starts = run(8, costs({ scope: 'machine', host }), 0);
    for (const x of starts.at.get('restore-golden')!) expect(x).toBeCloseTo(START_MS * ((8 * 1.4) / 2), 6);
  });

  it('host model with workerLimits: each worker is capped at its pool\'s worker cpu (a pod\'s limit), --worker-cpu in its place; without workerLimits, no cap', () => {
    const k = 4;
    const host = { cpus: 2, restore: 1, checkpoint: 1, workerStart: 1 };
    const withPool = (c: CostModel, cpuMilli?: number): { scenario: Scenario; policy: PolicySet; workload: Workload } => {
      const x = setup(k, c, 1000);
      const pool = { name: 'agents', mode: 'shared', replicas: k, actorSlots: 1, workerMemoryMiB: 256, runtimeClass: 'gvisor', nodeSelector: {}, ...(cpuMilli === undefined ? {} : { workerCpuMilli: cpuMilli }) } as const;
      return { ...x, scenario: { ...x.scenario, pools: [pool] } };
    };
    const restores = (x: { scenario: Scenario; policy: PolicySet; workload: Workload }): number[] => simulate(x.scenario, x.policy, x.workload, { seed: 1, sampleEveryMs: 0 }).replies.map((r) => r.parts.restoreMs);
    // Four restores of demand 1 on 2 cpus: twice the solo transfer each, unless capped lower.
    for (const r of restores(withPool(costs({ scope: 'machine', host }), 250))) expect(r).toBeCloseTo(BASE_MS + SOLO_TRANSFER_MS * (k / host.cpus), 6);
    const capped = costs({ scope: 'machine', host: { ...host, workerLimits: true } });
    // 250m each: four quarters fit in the 2 cpus, so the cap alone slows them, four times.
    for (const r of restores(withPool(capped, 250))) expect(r).toBeCloseTo(BASE_MS + SOLO_TRANSFER_MS / 0.25, 6);
    // A pool without a worker cpu has no limit to cap at.
    for (const r of restores(withPool(capped))) expect(r).toBeCloseTo(BASE_MS + SOLO_TRANSFER_MS * (k / host.cpus), 6);
    // simulate --worker-cpu 100m (as bench:cluster's) replaces the pool's cpu, and with it the cap.
    const flagged = withPool(capped, 250);
    for (const r of restores({ ...flagged, scenario: applyScenarioOverrides(flagged.scenario, { workerCpuMilli: 100 }) })) expect(r).toBeCloseTo(BASE_MS + SOLO_TRANSFER_MS / 0.1, 6);
    // pairUnderLimit: two workers of two slots, two restores on each at once. Shared equally, each takes twice one alone under
    // 250m; with the ratio 1.5 (bound 0.5), 1.5 times.
    const paired = (c: CostModel): { scenario: Scenario; policy: PolicySet; workload: Workload } => {
      const x = withPool(c, 250);
      return { ...x, scenario: { ...x.scenario, pools: [{ ...x.scenario.pools[0]!, replicas: 2, actorSlots: 2, workerMemoryMiB: 512 }] }, policy: { ...x.policy, pools: { agents: { ...x.policy.pools['agents']!, replicas: 2, actorSlots: 2, workerMemoryMiB: 512 } } } };
    };
    for (const r of restores(paired(capped))) expect(r).toBeCloseTo(BASE_MS + (2 * SOLO_TRANSFER_MS) / 0.25, 6);
    for (const r of restores(paired(costs({ scope: 'machine', host: { ...host, workerLimits: true, pairUnderLimit: { restore: 1.5 } } })))) expect(r).toBeCloseTo(BASE_MS + (1.5 * SOLO_TRANSFER_MS) / 0.25, 6);
  });

  /**
   * k actors at 1 s restore golden together (demand 1 on 2 cpus: k / 2 times solo), work 100 ms,
   * pause 1 s later: k local checkpoints together, then, invoked again at 20 s, k local restores together.
   */
  const pauseAndResume = (k: number, host: NonNullable<ContentionSpec['host']>): { scenario: Scenario; policy: PolicySet; workload: Workload } => {
    const { scenario, policy, workload: once } = setup(k, costs({ scope: 'machine', host }), 1000);
    const workload: Workload = {
      ...once,
      arrivalMs: Float64Array.from([...once.arrivalMs, ...new Array<number>(k).fill(20_000)]),
      actor: Int32Array.from([...once.actor, ...once.actor]),
      workMs: new Float64Array(2 * k).fill(100),
    };
    return { scenario, policy: { ...policy, idle: { kind: 'ttl', action: 'pause', ttlMs: 1000 } }, workload };
  };

  it('host model: snapshots kept on the node use the local demands where given, the store ones otherwise', () => {
    const k = 4;
    const pausing = (host: NonNullable<ContentionSpec['host']>): { checkpointAt: number[]; restoreMs: number[] } => {
      const { scenario, policy, workload } = pauseAndResume(k, host);
      const checkpointAt: number[] = [];
      const r = simulate(scenario, policy, workload, {
        seed: 1,
        sampleEveryMs: 0,
        onCommand: (t, cmd) => {
          if (cmd.kind === 'checkpoint' && cmd.target === 'local') checkpointAt.push(t);
        },
      });
      const local = r.replies.filter((x) => x.path === 'resume-local');
      expect(local).toHaveLength(k);
      return { checkpointAt, restoreMs: local.map((x) => x.parts.restoreMs) };
    };
    const host = { cpus: 2, restore: 1, checkpoint: 1, workerStart: 0.01 };
    const shared = pausing(host);
    for (const ms of shared.restoreMs) expect(ms).toBeCloseTo(BASE_MS + SOLO_TRANSFER_MS * (k / 2), 6);
    const own = pausing({ ...host, restoreLocal: 0.25, checkpointLocal: 2 });
    // 4 x 0.25 fits in 2 cpus: every local restore runs at its solo speed.
    for (const ms of own.restoreMs) expect(ms).toBeCloseTo(BASE_MS + SOLO_TRANSFER_MS, 6);
    // The first pauses begin at the same time in both runs (the golden restores before them are the
    // store's); the second ones as much earlier as the local restores were faster.
    expect(own.checkpointAt.slice(0, k)).toEqual(shared.checkpointAt.slice(0, k));
    for (let i = k; i < 2 * k; i++) expect(shared.checkpointAt[i]! - own.checkpointAt[i]!).toBeCloseTo(SOLO_TRANSFER_MS * (k / 2 - 1), 6);
  });

  it('records each primitive under its simulated load (measured.csv), contention included, and changes nothing else', () => {
    // The k local restores above, with `primitives`: each recorded duration is the restore's own,
    // command to completion, so k / 2 times solo with one demand, solo with restoreLocal 0.25.
    const k = 4;
    const host = { cpus: 2, restore: 1, checkpoint: 1, workerStart: 0.01 };
    const recorded = (h: NonNullable<ContentionSpec['host']>, primitives: boolean): ReturnType<typeof simulate> => {
      const { scenario, policy, workload } = pauseAndResume(k, h);
      return simulate(scenario, policy, workload, { seed: 1, sampleEveryMs: 0, primitives });
    };
    const r = recorded(host, true);
    const p = r.primitives!;
    expect(p.restoreMs.local).toHaveLength(k);
    for (const ms of p.restoreMs.local) expect(ms).toBeCloseTo(BASE_MS + SOLO_TRANSFER_MS * (k / 2), 6);
    // Every restore and checkpoint the replies show is recorded, and only those.
    expect(p.restoreMs.golden).toHaveLength(r.replies.filter((x) => x.path === 'golden').length);
    expect(p.checkpointMs.local).toHaveLength(2 * k);
    expect(p.restoreMs.external).toHaveLength(0);
    expect(p.workerStartMs.length).toBeGreaterThan(0);
    // One dispatch per execution, its time beyond the work (dispatch costs 0 here and executions are not shared).
    expect(p.dispatchMs).toHaveLength(r.replies.filter((x) => x.outcome === 'served').length);
    for (const ms of p.dispatchMs) expect(ms).toBeCloseTo(0, 9);
    for (const ms of recorded({ ...host, restoreLocal: 0.25 }, true).primitives!.restoreMs.local) expect(ms).toBeCloseTo(BASE_MS + SOLO_TRANSFER_MS, 6);
    // Off unless asked; and asking changes no outcome.
    const plain = recorded(host, false);
    expect(plain.primitives).toBeUndefined();
    expect(plain.replies).toEqual(r.replies);
    expect(plain.events).toBe(r.events);
  });

  it('host model with exec: executions take their share of the cpus and slow the transfers beside them', () => {
    // Two actors: one restores while the other's 100 ms of work spins on a cpu (exec 1) of capacity 1.
    const c = costs({ scope: 'machine', host: { cpus: 1, restore: 1, checkpoint: 1, workerStart: 0.01, exec: 1 } });
    const alone = run(1, c, 1000);
    expect(alone.replies[0]!.parts.execMs).toBeCloseTo(100, 6);
    const t = run(2, c, [1000, 1000 + BASE_MS + SOLO_TRANSFER_MS - 50]);
    // The second restore overlaps the first execution: both at half speed while they overlap.
    expect(t.replies[0]!.parts.execMs).toBeGreaterThan(100);
    expect(t.replies[1]!.parts.restoreMs).toBeGreaterThan(BASE_MS + SOLO_TRANSFER_MS);
  });

  it('host.store: golden restores queue for the store\'s thread though the host has cpus to spare; without it they run at once', () => {
    const k = 4;
    // 8 cpus, each restore 1 cpu of host: the host alone holds nobody back.
    const plain = run(k, costs({ scope: 'machine', host: { cpus: 8, restore: 1, checkpoint: 1, workerStart: 0.01 } }), 1000);
    for (const r of plain.replies) expect(r.parts.restoreMs).toBeCloseTo(BASE_MS + SOLO_TRANSFER_MS, 6);
    // The store, one thread, each restore keeping it busy alone: k at once take k times as long.
    const store = run(k, costs({ scope: 'machine', host: { cpus: 8, restore: 1, checkpoint: 1, workerStart: 0.01, store: { threads: 1, restore: 1, checkpoint: 1 } } }), 1000);
    for (const r of store.replies) expect(r.parts.restoreMs).toBeCloseTo(BASE_MS + k * SOLO_TRANSFER_MS, 6);
    // Half a thread each: two at once fit, four take twice as long.
    const half = run(k, costs({ scope: 'machine', host: { cpus: 8, restore: 1, checkpoint: 1, workerStart: 0.01, store: { threads: 1, restore: 0.5, checkpoint: 1 } } }), 1000);
    for (const r of half.replies) expect(r.parts.restoreMs).toBeCloseTo(BASE_MS + 2 * SOLO_TRANSFER_MS, 6);
  });

  it('host.share: process reaches the host resource: two restores on one worker share its process while a third, alone on the other worker, keeps its own; by job all three share alike', () => {
    // Two workers of two slots, binpack: a0 and a1 on one worker, a2 on the other; golden restores of 1 cpu each on 2
    // cpus, 500 ms of solo work. By job, all three at 2/3 speed: 750 ms each. By process, each worker gets one cpu:
    // the pair runs at 1/2, the single one at full speed (500 ms); then the pair alone at full speed (250 ms left at
    // 500 ms: 750 ms each).
    const base = setup(2, costs(), [1000, 1000, 1000]);
    const policy: PolicySet = { ...base.policy, pools: { agents: { mode: 'shared', replicas: 2, actorSlots: 2, workerMemoryMiB: 512 } }, placement: 'binpack' };
    const restores = (share: 'job' | 'process'): number[] => {
      const c = costs({ scope: 'machine', host: { cpus: 2, restore: 1, checkpoint: 1, workerStart: 0.01, share } });
      const scenario: Scenario = { ...base.scenario, costs: c, policies: [policy], nodes: [{ name: 'node-0', memoryMiB: 1024 }] };
      const r = simulate(scenario, policy, base.workload, { seed: 1, sampleEveryMs: 0 });
      return r.replies.map((x) => x.parts.restoreMs).sort((a, b) => a - b);
    };
    const byJob = restores('job');
    const byProcess = restores('process');
    for (const ms of byJob) expect(ms).toBeCloseTo(BASE_MS + 750, 6);
    expect(byProcess[0]).toBeCloseTo(BASE_MS + SOLO_TRANSFER_MS, 6);
    expect(byProcess[1]).toBeCloseTo(BASE_MS + 750, 6);
    expect(byProcess[2]).toBeCloseTo(BASE_MS + 750, 6);
    expect(restores('process')).toEqual(byProcess);
  });

  it('host.localApart: a restore from the node is a process of its own, not a third of its worker\'s', () => {
    // One worker of three slots on one cpu. a0 runs, is paused to the node (ttl 1 s), and comes back at 20 s
    // while a1 and a2 first arrive: one restore from the node and two golden ones on the worker, 500 ms of
    // solo work each, 1 cpu each. In the worker's process all three move at 1/3: 1,500 ms each. Apart, the
    // worker and the local restore each get half the cpu: the local one at 1/2 (1,000 ms), the golden pair at
    // 1/4 until then, then 1/2 (1,500 ms).
    const base = setup(3, costs(), [1000, 1000, 1000]);
    const policy: PolicySet = {
      ...base.policy,
      pools: { agents: { mode: 'shared', replicas: 1, actorSlots: 3, workerMemoryMiB: 4096 } },
      placement: 'binpack',
      idle: { kind: 'ttl', action: 'pause', ttlMs: 1000 },
    };
    const workload: Workload = { ...base.workload, arrivalMs: Float64Array.from([1000, 20_000, 20_000, 20_000]), actor: Int32Array.from([0, 0, 1, 2]), workMs: new Float64Array(4).fill(100) };
    const restores = (extra: Partial<NonNullable<ContentionSpec['host']>>): { local: number[]; golden: number[] } => {
      const c = costs({ scope: 'machine', host: { cpus: 1, restore: 1, checkpoint: 1, workerStart: 0.01, ...extra } });
      const scenario: Scenario = { ...base.scenario, costs: c, policies: [policy], nodes: [{ name: 'node-0', memoryMiB: 8192 }] };
      const r = simulate(scenario, policy, workload, { seed: 1, sampleEveryMs: 0 }).replies.filter((x) => x.arrivalMs === 20_000);
      return { local: r.filter((x) => x.path === 'resume-local').map((x) => x.parts.restoreMs), golden: r.filter((x) => x.path === 'golden').map((x) => x.parts.restoreMs) };
    };
    const together = restores({ share: 'process' });
    expect(together.local).toHaveLength(1);
    expect(together.golden).toHaveLength(2);
    for (const ms of [...together.local, ...together.golden]) expect(ms).toBeCloseTo(BASE_MS + 1500, 6);
    const apart = restores({ share: 'process', localApart: true });
    expect(apart.local[0]).toBeCloseTo(BASE_MS + 1000, 6);
    for (const ms of apart.golden) expect(ms).toBeCloseTo(BASE_MS + 1500, 6);
  });

  it('refuses a host block beside transfers or cpu, and a driver that takes every cpu', async () => {
    const { costProfileSchema } = await import('../../scenarios/file-schema.ts');
    const base = { name: 'x', workerStart: { kind: 'constant', value: '1ms' }, coldBoot: { kind: 'constant', value: '1ms' }, restore: { local: { base: { kind: 'constant', value: '1ms' }, bandwidth: '1Mi/s' }, external: { base: { kind: 'constant', value: '1ms' }, bandwidth: '1Mi/s' }, golden: { base: { kind: 'constant', value: '1ms' }, bandwidth: '1Mi/s' } }, checkpoint: { local: { base: { kind: 'constant', value: '1ms' }, bandwidth: '1Mi/s' }, external: { base: { kind: 'constant', value: '1ms' }, bandwidth: '1Mi/s' } } };
    const host = { cpus: 2, restore: 1, checkpoint: 1, workerStart: 1 };
    expect(costProfileSchema.safeParse({ ...base, contention: { scope: 'machine', host } }).success).toBe(true);
    expect(JSON.stringify(costProfileSchema.safeParse({ ...base, contention: { scope: 'machine', host, transfers: { streams: 1 } } }).error?.issues)).toMatch(/replaces transfers and cpu/);
    expect(JSON.stringify(costProfileSchema.safeParse({ ...base, contention: { scope: 'machine', host: { ...host, driver: 2 } } }).error?.issues)).toMatch(/host\.driver/);
    // inWorker: shares in (0, 10], and only where workers are capped.
    expect(costProfileSchema.safeParse({ ...base, contention: { scope: 'machine', host: { ...host, workerLimits: true, inWorker: { restore: 0.8, checkpoint: 1 } } } }).success).toBe(true);
    expect(JSON.stringify(costProfileSchema.safeParse({ ...base, contention: { scope: 'machine', host: { ...host, inWorker: { restore: 0.8 } } } }).error?.issues)).toMatch(/needs workerLimits: true/);
    for (const bad of [0, 12, -0.5]) expect(JSON.stringify(costProfileSchema.safeParse({ ...base, contention: { scope: 'machine', host: { ...host, workerLimits: true, inWorker: { checkpoint: bad } } } }).error?.issues)).toMatch(/expected a share above 0 and at most 10/);
    // pairUnderLimit: ratios in (1, 2], and only where workers are capped.
    expect(costProfileSchema.safeParse({ ...base, contention: { scope: 'machine', host: { ...host, workerLimits: true, pairUnderLimit: { restore: 1.74, checkpoint: 2 } } } }).success).toBe(true);
    expect(JSON.stringify(costProfileSchema.safeParse({ ...base, contention: { scope: 'machine', host: { ...host, pairUnderLimit: { restore: 1.5 } } } }).error?.issues)).toMatch(/needs workerLimits: true/);
    for (const bad of [1, 2.5, 0.5]) expect(JSON.stringify(costProfileSchema.safeParse({ ...base, contention: { scope: 'machine', host: { ...host, workerLimits: true, pairUnderLimit: { checkpoint: bad } } } }).error?.issues)).toMatch(/expected a ratio above 1 and at most 2/);
    // store: threads and demands positive; not yet with workerLimits.
    expect(costProfileSchema.safeParse({ ...base, contention: { scope: 'machine', host: { ...host, store: { threads: 1, restore: 0.8, checkpoint: 0.6 } } } }).success).toBe(true);
    expect(JSON.stringify(costProfileSchema.safeParse({ ...base, contention: { scope: 'machine', host: { ...host, workerLimits: true, store: { threads: 1, restore: 0.8, checkpoint: 0.6 } } } }).error?.issues)).toMatch(/host\.store and host\.workerLimits/);
    expect(costProfileSchema.safeParse({ ...base, contention: { scope: 'machine', host: { ...host, store: { threads: 0, restore: 0.8, checkpoint: 0.6 } } } }).success).toBe(false);
    // localApart: only with share: process, not with workerLimits.
    expect(costProfileSchema.safeParse({ ...base, contention: { scope: 'machine', host: { ...host, share: 'process', localApart: true } } }).success).toBe(true);
    expect(JSON.stringify(costProfileSchema.safeParse({ ...base, contention: { scope: 'machine', host: { ...host, localApart: true } } }).error?.issues)).toMatch(/host\.localApart .* needs share: process/);
    expect(JSON.stringify(costProfileSchema.safeParse({ ...base, contention: { scope: 'machine', host: { ...host, share: 'process', localApart: true, workerLimits: true } } }).error?.issues)).toMatch(/host\.localApart and host\.workerLimits/);
  });

  it('same seed, same result; the draws are those of the run without contention', () => {
    const c = costs({ scope: 'machine', transfers: { streams: 1.2 }, cpu: { cpus: 2, workerStart: 1.4 } }, true);
    const a = run(10, c, 0, 1, 7);
    const b = run(10, c, 0, 1, 7);
    expect(JSON.stringify(a.replies)).toBe(JSON.stringify(b.replies));
    expect(JSON.stringify([...a.at])).toBe(JSON.stringify([...b.at]));
    // Another seed draws other costs.
    expect(JSON.stringify(run(10, c, 0, 1, 8).replies)).not.toBe(JSON.stringify(a.replies));
    // Capacities no run can reach give the uncontended timings (to rounding: the base is added after the transfer).
    const huge = run(10, costs({ scope: 'machine', transfers: { streams: 1e6 }, cpu: { cpus: 1e6, workerStart: 1 } }, true), 0, 1, 7);
    const none = run(10, costs(undefined, true), 0, 1, 7);
    expect(huge.replies.length).toBe(none.replies.length);
    for (let i = 0; i < none.replies.length; i++) {
      expect(huge.replies[i]!.endMs).toBeCloseTo(none.replies[i]!.endMs, 6);
      expect(huge.replies[i]!.parts.restoreMs).toBeCloseTo(none.replies[i]!.parts.restoreMs, 6);
    }
  });
});

describe('request timeouts (costs.requestTimeoutMs): the driver gives a request up, the worker carries it on', () => {
  const withTimeout = (c: CostModel, ms: number): CostModel => ({ ...c, requestTimeoutMs: ms });

  it('a timeout longer than every primitive changes nothing', () => {
    for (const c of [costs(), costs({ scope: 'machine', host: { cpus: 2, restore: 1.3, checkpoint: 1.6, workerStart: 1 } })]) {
      const plain = run(6, c, 1000);
      const timed = run(6, withTimeout(c, 3_600_000), 1000);
      expect(timed.replies).toEqual(plain.replies);
      expect(timed.at).toEqual(plain.at);
    }
  });

  it('a restore past the timeout fails for the core; while the worker still restores it, the retries are refused at once', () => {
    // One worker, one slot; a golden restore takes 20 + 2,000 ms alone (100 MiB at 50 MiB/s); the driver waits 300.
    const slow = withTimeout({ ...costs(), restore: { ...costs().restore, golden: { base: { kind: 'constant', valueMs: BASE_MS }, mibPerSec: 50 } } }, 300);
    const { scenario, policy, workload } = setup(1, slow, 1000);
    const restores: number[] = [];
    const r = simulate(scenario, { ...policy, maxAttempts: 4 }, workload, {
      seed: 1,
      sampleEveryMs: 0,
      onCommand: (t, cmd) => {
        if (cmd.kind === 'restore') restores.push(t);
      },
    });
    // 1,000: taken, given up at 1,300 (the worker restores on to 3,020). The core backs off 500, 1,000, 2,000 ms:
    // 1,800 and 2,800 are refused at once (already being restored), 4,800 is taken and given up at 5,100.
    expect(restores).toEqual([1000, 1800, 2800, 4800]);
    expect(r.replies).toHaveLength(1);
    expect(r.replies[0]).toMatchObject({ outcome: 'rejected', reason: 'restore-failed' });
    // Counted as the real run's log counts its failed requests.
    expect(r.failedRequests).toEqual({ 'restore timeout': 2, 'restore already-resident': 2 });
    // primitives.csv's records: the same four, as the real driver logs them (given up at the timeout, refused at once).
    const logged = simulate(scenario, { ...policy, maxAttempts: 4 }, workload, { seed: 1, sampleEveryMs: 0, primitives: true, primitiveLog: true });
    expect(logged.replies).toEqual(r.replies);
    expect(logged.primitives!.log!.filter((x) => x.primitive === 'restore').map((x) => [x.startMs, x.endMs, x.ok, x.failure])).toEqual([
      [1000, 1300, false, 'restore timeout'],
      [1800, 1800, false, 'restore already-resident'],
      [2800, 2800, false, 'restore already-resident'],
      [4800, 5100, false, 'restore timeout'],
    ]);
    // Without the timeout the first restore is served, 2,020 ms later.
    const plain = simulate({ ...scenario, costs: { ...slow, requestTimeoutMs: undefined } }, { ...policy, maxAttempts: 4 }, workload, { seed: 1, sampleEveryMs: 0 });
    expect(plain.replies[0]).toMatchObject({ outcome: 'served', attempts: 1 });
    expect(plain.replies[0]!.parts.restoreMs).toBeCloseTo(2020, 6);
  });
});

describe('a failed checkpoint holds its actor out of evictions until its retry (EVICT_HOLD)', () => {
  it('the waiter does not pick the same actor again the moment its checkpoint fails', () => {
    // One worker of one slot; a0 arrives at 0 and stays (idle: never); a1 at 2 s needs it evicted. Every checkpoint
    // fails, each after its 520 ms (base 20 + 500). Held, a0 is asked again only when its retry is due (1 s after the
    // failure): checkpoints at 2.0 s and 3.52 s. Picked again at once, it was asked at 2.0, 2.52, 3.04 s...
    const base = setup(1, costs(), [0, 2000]);
    const policy: PolicySet = { ...base.policy, pools: { agents: { mode: 'shared', replicas: 1, actorSlots: 1, workerMemoryMiB: 256 } }, idle: { kind: 'never' }, eviction: 'lru' };
    const scenario: Scenario = { ...base.scenario, policies: [policy], faults: { restoreFailureRate: 0, checkpointFailureRate: 1, workerMtbfMs: 0 } };
    const checkpoints: number[] = [];
    simulate(scenario, policy, { ...base.workload, workMs: Float64Array.from([100, 100]) }, {
      seed: 1,
      sampleEveryMs: 0,
      maxEvents: 100_000,
      onCommand: (t, cmd) => {
        if (cmd.kind === 'checkpoint' && t < 5000) checkpoints.push(t);
      },
    });
    expect(checkpoints.length).toBeGreaterThanOrEqual(2);
    expect(checkpoints[0]).toBeCloseTo(2000, 6);
    for (let i = 1; i < checkpoints.length; i++) expect(checkpoints[i]! - checkpoints[i - 1]!).toBeGreaterThanOrEqual(BASE_MS + SOLO_TRANSFER_MS + 1000 - 1e-6);
  });
});

describe('without a contention block', () => {
  it('small.yaml gives exactly what it gave before contention existed (frozen at 9ecee25)', async () => {
    // A digest of every result of every policy set: replies, totals, counters,
    // samples, events. Frozen from the simulator before this feature; a change
    // meant to alter runs without contention updates it, and says so.
    const s = loadScenarioFile(fileURLToPath(new URL('../../scenarios/small.yaml', import.meta.url)));
    expect(s.costs.contention).toBeUndefined();
    const w = await generateWorkload(s, s.seed);
    const h = createHash('sha256');
    for (const p of s.policies) {
      const r = simulate(s, p, w, { seed: s.seed, sampleEveryMs: 60_000 });
      h.update(JSON.stringify([r.replies, r.totals, r.counters, r.samples, r.events, r.endMs]));
    }
    expect(h.digest('hex')).toBe('f7c10eb19bdbb6d30ce7fff56a83ce1888d85b8cf6355cb6f439a6bd3156e486');
  });
});

describe('PrimitiveClock (what sim/measured.csv and primitives.csv record)', () => {
  const script = (c: PrimitiveClock): void => {
    c.started(1, 0);
    c.started(2, 0);
    c.gone(2); // stopped while starting: its ready never counts
    c.ready(2, 50);
    c.ready(1, 40);
    c.restoring(10, 7, 1, 100, 'golden', 'a10');
    c.checkpointing(11, 8, 3, 100, 'external', 'a11');
    c.executing(12, 9, 3, 100, 30, 'a12');
    c.gone(3); // lost: its checkpoint and execution never complete
    c.transferDone(11, 8, true, 400);
    c.executed(12, 9, 400);
    c.transferDone(10, 6, true, 200); // an older op of actor 10: stale
    c.transferDone(10, 7, true, 250);
    c.restoring(13, 1, 1, 300, 'local', 'a13');
    c.transferDone(13, 1, false, 350, 'restore timeout'); // failed
    c.refused('checkpoint', 'external', 1, 320, 'a14', 'checkpoint busy');
    c.executing(10, 11, 1, 300, 30, 'a10');
    c.executed(10, 11, 345); // 45 ms, 30 of them work: 15 of dispatch
  };

  it('records completed primitives only: not a lost or stopped worker\'s, not a stale op, not a failure', () => {
    const c = new PrimitiveClock();
    script(c);
    expect(c.out.workerStartMs).toEqual([40]);
    expect(c.out.restoreMs).toEqual({ cold: [], golden: [150], local: [], external: [] });
    expect(c.out.checkpointMs).toEqual({ local: [], external: [] });
    expect(c.out.dispatchMs).toEqual([15]);
    expect(c.out.log).toBeUndefined();
  });

  it('with a log, keeps every primitive that ended, failed and refused ones too, in the order they ended', () => {
    const c = new PrimitiveClock(true);
    script(c);
    expect(c.out.log).toEqual([
      { primitive: 'worker-start', source: '', worker: 1, actor: '', startMs: 0, endMs: 40, workMs: 0, ok: true },
      { primitive: 'restore', source: 'golden', worker: 1, actor: 'a10', startMs: 100, endMs: 250, workMs: 0, ok: true },
      { primitive: 'restore', source: 'local', worker: 1, actor: 'a13', startMs: 300, endMs: 350, workMs: 0, ok: false, failure: 'restore timeout' },
      { primitive: 'checkpoint', source: 'external', worker: 1, actor: 'a14', startMs: 320, endMs: 320, workMs: 0, ok: false, failure: 'checkpoint busy' },
      { primitive: 'execute', source: '', worker: 1, actor: 'a10', startMs: 300, endMs: 345, workMs: 30, ok: true },
    ]);
    // The durations are the same with or without the log.
    expect(c.out.restoreMs.golden).toEqual([150]);
  });
});
