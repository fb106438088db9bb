import { describe, expect, it } from 'vitest';
import type { Reply } from '../../core/types.ts';
import type { DistributionSpec } from '../../scenarios/distributions.ts';
import type { CostModel, PolicySet, Scenario } from '../../scenarios/scenario.ts';
import { generateWorkload, workloadSize, type Workload } from '../../scenarios/workload.ts';
import { simulate } from '../../sim/runtime.ts';
import { batchMeans, erlangC, fifoWaits, mean, mmcMeanWait } from '../helpers/stats.ts';

/*
 * Checks of the simulator against queueing theory.
 *
 * Every primitive of the runtime costs zero, so a worker slot is held exactly
 * while an invocation executes, and the shared pool behaves as a multi-server
 * queue whose servers are the slots. Seeds are fixed, so the tests are
 * deterministic; the tolerances are nevertheless derived from the sample:
 *
 * - Mean waits are autocorrelated, so their standard error (SE) comes from 30
 *   non-overlapping batch means. (mean - theory) / SE is then approximately
 *   Student t with 29 degrees of freedom, and |t| < 4 fails by chance with
 *   probability about 4e-4. (Over 20 other seeds the ratio had an SD of
 *   1.1-1.2 rather than 1, from the skew of waiting times, so 4 SE is nearer
 *   3.5 sigma: still a chance failure of about 1e-3 for a new seed.) Each
 *   check also requires SE < 5% of the theoretical value, so it cannot pass
 *   vacuously on a noisy sample.
 * - Fractions of independent Bernoulli outcomes use the binomial SE
 *   sqrt(p (1 - p) / n) at the theoretical p, with the same 4 SE bound.
 *
 * Each case also replays the same random numbers through an exact reference
 * (a FIFO c-server queue, or the keep-alive rule itself), which tells a
 * deviation of the sample from theory apart from one of the simulator.
 */

const Z = 4;
const BATCHES = 30;
const WARMUP_FRACTION = 0.05;
const MAX_RELATIVE_SE = 0.05;

const TEMPLATE = 'agent';
const POOL = 'agents';
const ACTOR_MIB = 256;
const ZERO: DistributionSpec = { kind: 'constant', valueMs: 0 };

/** Every primitive costs nothing: only execution takes time. */
const ZERO_COSTS: CostModel = {
  name: 'zero',
  source: 'queueing-theory tests',
  workerStart: ZERO,
  coldBoot: ZERO,
  restore: {
    local: { base: ZERO, mibPerSec: 1000 },
    external: { base: ZERO, mibPerSec: 1000 },
    golden: { base: ZERO, mibPerSec: 1000 },
  },
  checkpoint: {
    local: { base: ZERO, mibPerSec: 1000 },
    external: { base: ZERO, mibPerSec: 1000 },
  },
  dispatch: ZERO,
};

interface Setup {
  readonly seed: number;
  readonly durationMs: number;
  readonly actors: number;
  readonly ratePerSec: number;
  readonly work: DistributionSpec;
  readonly workers: number;
  readonly actorSlots: number;
  readonly idle: PolicySet['idle'];
}

function scenarioOf(s: Setup): { scenario: Scenario; policy: PolicySet } {
  const workerMemoryMiB = s.actorSlots * ACTOR_MIB;
  const policy: PolicySet = {
    name: 'queueing',
    pools: { [POOL]: { mode: 'shared', replicas: s.workers, actorSlots: s.actorSlots, workerMemoryMiB } },
    placement: 'random',
    idle: s.idle,
    // No park timeout and no practical bound: nothing is ever rejected.
    admission: { parkTimeoutMs: Number.POSITIVE_INFINITY, maxParked: 1e9 },
    eviction: 'none',
    maxAttempts: 1,
  };
  const scenario: Scenario = {
    name: 'queueing',
    description: 'queueing-theory check',
    seed: s.seed,
    durationMs: s.durationMs,
    warmupMs: 0,
    pools: [],
    nodes: [{ name: 'node-0', memoryMiB: s.workers * workerMemoryMiB }],
    templates: [{ name: TEMPLATE, pool: POOL, memoryMiB: ACTOR_MIB, snapshotMiB: 0, golden: true, work: s.work }],
    workload: [{ kind: 'model', template: TEMPLATE, actors: s.actors, arrivals: { kind: 'poisson', ratePerSec: s.ratePerSec, perActor: false } }],
    costs: ZERO_COSTS,
    policies: [policy],
  };
  return { scenario, policy };
}

/** Runs the set-up; replies come back in arrival order (invocation ids are workload rows, which are sorted by arrival). */
async function run(s: Setup): Promise<{ replies: Reply[]; workload: Workload }> {
  const { scenario, policy } = scenarioOf(s);
  const workload = await generateWorkload(scenario, s.seed);
  const result = simulate(scenario, policy, workload, { seed: s.seed, sampleEveryMs: 0 });
  expect(result.replies.length).toBe(workloadSize(workload));
  const byArrival = new Array<Reply>(result.replies.length);
  for (const r of result.replies) byArrival[r.invocation] = r;
  // Accumulate, then one expect per property: per-reply expect() calls would dominate the runtime.
  let rejected = 0;
  let worstPartsError = 0;
  for (const r of byArrival) {
    if (r.outcome !== 'served') rejected += 1;
    // The latency parts add up to end - arrival.
    const p = r.parts;
    const sum = p.parkedMs + p.workerStartMs + p.restoreMs + p.execMs + p.queuedMs;
    worstPartsError = Math.max(worstPartsError, Math.abs(sum - (r.endMs - r.arrivalMs)));
  }
  expect(rejected).toBe(0);
  expect(worstPartsError).toBeLessThan(1e-6);
  return { replies: byArrival, workload };
}

/** Waiting time in queue: everything but execution. */
function waitInQueue(r: Reply): number {
  return r.endMs - r.arrivalMs - r.parts.execMs;
}

function sojourn(r: Reply): number {
  return r.endMs - r.arrivalMs;
}

/** Drops the warm-up (the queue starts empty), then batch means of `f` over the rest, in arrival order. */
function steadyState(replies: readonly Reply[], f: (r: Reply) => number): ReturnType<typeof batchMeans> {
  const from = Math.floor(replies.length * WARMUP_FRACTION);
  const xs = new Float64Array(replies.length - from);
  for (let i = from; i < replies.length; i++) xs[i - from] = f(replies[i]!);
  return batchMeans(xs, BATCHES);
}

/** Asserts |estimate - theory| < Z * SE and that SE is small enough for that to mean something. */
function expectWithinSe(label: string, est: { mean: number; se: number }, theory: number): void {
  const z = (est.mean - theory) / est.se;
  console.log(
    `${label}: measured ${est.mean.toFixed(4)} vs theory ${theory.toFixed(4)}, SE ${est.se.toFixed(4)} ` +
      `(${((100 * est.se) / theory).toFixed(2)}% of theory), z = ${z.toFixed(2)}`,
  );
  expect(est.se, `${label}: SE too large for a meaningful check`).toBeLessThan(MAX_RELATIVE_SE * theory);
  expect(Math.abs(est.mean - theory), `${label}: |mean - theory| >= ${Z} SE`).toBeLessThan(Z * est.se);
}

describe('test helpers', () => {
  it('erlangC matches known values', () => {
    // c = 2, a = 1: C = 1/3; c = 2 in general: C = a^2 / (2 + a); c = 1: C = rho.
    expect(erlangC(2, 1)).toBeCloseTo(1 / 3, 12);
    for (const a of [0.1, 0.5, 1.5, 1.9]) expect(erlangC(2, a)).toBeCloseTo((a * a) / (2 + a), 12);
    for (const rho of [0.2, 0.5, 0.8]) expect(erlangC(1, rho)).toBeCloseTo(rho, 12);
    // c = 4, a = 3: (81/24 * 4) / (1 + 3 + 9/2 + 27/6 + 81/24 * 4) = 13.5 / 26.5.
    expect(erlangC(4, 3)).toBeCloseTo(13.5 / 26.5, 12);
    expect(erlangC(3, 0)).toBe(0);
    expect(() => erlangC(2, 2)).toThrow();
  });

  it('mmcMeanWait reduces to rho / (mu - lambda) for one server', () => {
    expect(mmcMeanWait(1, 0.8, 1)).toBeCloseTo(0.8 / 0.2, 12);
  });

  it('batchMeans gives the mean and SE of independent batches', () => {
    const xs = [1, 1, 3, 3, 5, 5, 7, 7, 99]; // last one dropped
    const bm = batchMeans(xs, 4);
    expect(bm.batchSize).toBe(2);
    expect(bm.mean).toBe(4);
    // Batch means 1, 3, 5, 7: sample SD sqrt(20/3), SE sqrt(20/3)/2.
    expect(bm.se).toBeCloseTo(Math.sqrt(20 / 3) / 2, 12);
    expect(mean([1, 2, 3])).toBe(2);
  });

  it('fifoWaits serves in arrival order on the first free server', () => {
    // One server: Lindley, W_i = max(0, W_{i-1} + S_{i-1} - gap).
    expect(Array.from(fifoWaits([0, 1, 2, 10], [3, 3, 1, 1], 1))).toEqual([0, 2, 4, 0]);
    // Two servers: the third customer waits for the earlier of the two to free up.
    expect(Array.from(fifoWaits([0, 0, 1], [5, 2, 1], 2))).toEqual([0, 0, 1]);
  });
});

const MEAN_SERVICE_MS = 10;
const MU = 1 / MEAN_SERVICE_MS; // per ms
const EXP_WORK: DistributionSpec = { kind: 'exponential', meanMs: MEAN_SERVICE_MS };
// Many actors so that two invocations of one actor are rarely in the system at once.
// When they are, the later one waits on its actor's slot rather than for any free
// slot; the discipline still ignores service times, so the mean wait is unaffected
// for one server and changes negligibly for several (the FIFO comparison bounds it).
const MANY_ACTORS = 50_000;

/**
 * Runs c servers (workers x slots) at utilisation rho with exponential work and
 * compares the mean wait in queue and the mean sojourn with M/M/c theory.
 */
async function checkMmc(label: string, workers: number, actorSlots: number, rho: number, arrivals: number, seed: number): Promise<void> {
  const c = workers * actorSlots;
  const lambda = rho * c * MU; // per ms
  const { replies, workload } = await run({
    seed,
    durationMs: arrivals / lambda,
    actors: MANY_ACTORS,
    ratePerSec: lambda * 1000,
    work: EXP_WORK,
    workers,
    actorSlots,
    idle: { kind: 'immediate', action: 'suspend' },
  });
  const wq = mmcMeanWait(c, lambda, MU); // rho / (mu - lambda) when c = 1
  const waits = steadyState(replies, waitInQueue);
  expectWithinSe(`${label} Wq (ms)`, waits, wq);
  expectWithinSe(`${label} W (ms)`, steadyState(replies, sojourn), wq + 1 / MU);

  // Same arrivals and work through an exact FIFO c-server queue: the simulator must
  // agree but for the rare same-actor collisions, so any gap to theory above is the
  // sample's, not the simulator's. Bound: the collisions' effect on the mean must be
  // negligible against the statistical tolerance (a quarter of one SE), and they must
  // touch under 1% of invocations (knock-on effects included).
  const ref = fifoWaits(workload.arrivalMs, workload.workMs, c);
  const from = Math.floor(replies.length * WARMUP_FRACTION);
  let differ = 0;
  let refSum = 0;
  for (let i = 0; i < replies.length; i++) {
    if (Math.abs(waitInQueue(replies[i]!) - ref[i]!) > 1e-6) differ += 1;
    if (i >= from) refSum += ref[i]!;
  }
  const refMean = refSum / (replies.length - from);
  const simMean = mean(Float64Array.from(replies.slice(from), waitInQueue));
  console.log(
    `${label}: FIFO reference on the same inputs Wq ${refMean.toFixed(4)} (simulator ${simMean.toFixed(4)}), ` +
      `${differ} of ${replies.length} waits differ`,
  );
  expect(differ / replies.length).toBeLessThan(0.01);
  expect(Math.abs(simMean - refMean)).toBeLessThan(waits.se / 4);
}

describe('M/M/1: one worker, one slot', () => {
  // Arrivals per case, chosen for an SE of 1-2%; rho = 0.8 relaxes slowly and needs more.
  it('mean wait and sojourn at rho = 0.5', () => checkMmc('M/M/1 rho=0.5', 1, 1, 0.5, 300_000, 11));
  it('mean wait and sojourn at rho = 0.8', () => checkMmc('M/M/1 rho=0.8', 1, 1, 0.8, 750_000, 12));
});

describe('M/M/c with Erlang C', () => {
  // c servers as c one-slot workers, or as one worker with c slots: the simulator has
  // no CPU contention, so concurrent executions on one worker do not slow each other.
  it('c = 4 (4 workers x 1 slot), rho = 0.75', () => checkMmc('M/M/4 (4 workers x 1 slot) rho=0.75', 4, 1, 0.75, 500_000, 21));
  it('c = 2 (1 worker x 2 slots), rho = 0.75', () => checkMmc('M/M/2 (1 worker x 2 slots) rho=0.75', 1, 2, 0.75, 400_000, 22));
});

describe('keep-alive TTL with Poisson arrivals to one actor', () => {
  const TTL_MS = 1_000;
  const WORK_MS = 1;
  const ARRIVALS = 200_000;
  for (const { lambdaT, seed } of [
    { lambdaT: 0.5, seed: 31 },
    { lambdaT: 1, seed: 32 },
    { lambdaT: 2, seed: 33 },
  ]) {
    it(`fraction not warm is exp(-lambda (T + e)) at lambda T = ${lambdaT}`, async () => {
      const lambda = lambdaT / TTL_MS; // per ms
      const { replies, workload } = await run({
        seed,
        durationMs: ARRIVALS / lambda,
        actors: 1,
        ratePerSec: lambda * 1000,
        work: { kind: 'constant', valueMs: WORK_MS },
        workers: 1,
        actorSlots: 1,
        idle: { kind: 'ttl', ttlMs: TTL_MS, action: 'suspend' },
      });
      // The first invocation restores the golden snapshot: not part of the renewal argument.
      expect(replies[0]!.path).toBe('golden');
      const rest = replies.slice(1);
      const n = rest.length;
      let notWarm = 0;
      for (const r of rest) if (r.path !== 'warm') notWarm += 1;
      const measured = notWarm / n;
      // An arrival finds the actor resident iff it comes less than T after the previous
      // execution ended, i.e. (up to rare queueing, of order (lambda e)^2) within T + e of the
      // previous arrival. Poisson gaps are independent, so the count is binomial.
      const p = Math.exp(-lambda * (TTL_MS + WORK_MS));
      const se = Math.sqrt((p * (1 - p)) / n);
      console.log(
        `keep-alive lambda*T=${lambdaT}: not-warm fraction ${measured.toFixed(5)} vs theory ${p.toFixed(5)}, ` +
          `SE ${se.toFixed(5)} (n = ${n}), z = ${((measured - p) / se).toFixed(2)}`,
      );
      expect(se).toBeLessThan(MAX_RELATIVE_SE * p);
      expect(Math.abs(measured - p)).toBeLessThan(Z * se);

      // Exactly, with zero costs: execution i ends at D_i = max(A_i, D_{i-1}) + e and
      // arrival i is warm iff A_i < D_{i-1} + T. Every invocation must match.
      let mismatches = 0;
      let endMs = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < replies.length; i++) {
        const a = workload.arrivalMs[i]!;
        const warm = i > 0 && a < endMs + TTL_MS;
        if (i > 0 && warm !== (replies[i]!.path === 'warm')) mismatches += 1;
        endMs = Math.max(a, endMs) + WORK_MS;
      }
      expect(mismatches).toBe(0);
    });
  }
});
