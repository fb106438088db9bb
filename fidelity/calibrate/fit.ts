import { STORE_GROUP, cappedRates, fairShare, processRates } from '../../sim/contention.ts';

/**
 * The fitting rules of `npm run calibrate`, kept apart from the measuring so
 * they can be checked on made-up samples.
 *
 * A size-dependent primitive (restore, checkpoint) is modelled as the
 * simulator samples it: time = base + size / bandwidth, with `base` a
 * lognormal. The fit:
 *
 *  1. bandwidth: ordinary least squares of time on size over the sizes, one
 *     point per size at the median of its samples: a shared machine adds
 *     outliers (another process's burst), and one of them at the largest size
 *     would otherwise tilt the line and push the small sizes' intercepts
 *     below zero. With fewer than two distinct sizes, or a slope that is not
 *     positive (the size does not show in the times), the size term is taken
 *     as nil and the bandwidth written as {@link UNMEASURED_MIB_PER_SEC}.
 *  2. base: each sample's own intercept, time - size / bandwidth, so every
 *     sample at every size contributes to the spread; the lognormal is set by
 *     the median and the nearest-rank p99 of those intercepts (with a handful
 *     of repeats the p99 is the largest intercept: the fit keeps the worst
 *     case seen rather than extrapolating a tail from a few points).
 *     Intercepts are floored at {@link MIN_BASE_MS}, as a lognormal needs a
 *     positive median.
 *
 * A primitive with no size (worker start, dispatch) is a lognormal of its
 * samples by the same median / p99 rule.
 */

/** One timed run of a primitive on a snapshot of `sizeMiB`. */
export interface SizedSample {
  readonly sizeMiB: number;
  readonly ms: number;
}

/** A lognormal given as the scenario format writes it: median and p99. */
export interface LognormalFit {
  readonly medianMs: number;
  readonly p99Ms: number;
  /** Samples it was fitted to. */
  readonly n: number;
}

/** The fit of a size-dependent primitive: base lognormal plus size over bandwidth. */
export interface SizeFit {
  readonly base: LognormalFit;
  /** Milliseconds each MiB adds (0 when the size did not show). */
  readonly msPerMiB: number;
  /** 1000 / msPerMiB, or {@link UNMEASURED_MIB_PER_SEC}. */
  readonly mibPerSec: number;
  /** Least-squares intercept, for the record (the base's median is the model's). */
  readonly interceptMs: number;
  /** Coefficient of determination of the line through the per-size medians (NaN with one size). */
  readonly r2: number;
  readonly sizesMiB: readonly number[];
  readonly n: number;
}

/** Bandwidth written when the size term could not be measured: large enough to add nothing. */
export const UNMEASURED_MIB_PER_SEC = 1_000_000;

/** Smallest base kept, in ms: a lognormal needs a positive median. */
export const MIN_BASE_MS = 0.01;

/** Nearest-rank percentile of unsorted values (NaN when empty), as reports/summary.ts ranks. */
export function nearestRank(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  return sorted[Math.min(n, Math.max(1, Math.ceil(q * n))) - 1]!;
}

/** Lognormal by median and nearest-rank p99 of the samples, floored at {@link MIN_BASE_MS}. */
export function fitLognormal(values: readonly number[]): LognormalFit {
  if (values.length === 0) throw new Error('fitLognormal: no samples');
  const median = Math.max(MIN_BASE_MS, nearestRank(values, 0.5));
  const p99 = Math.max(median, nearestRank(values, 0.99));
  return { medianMs: median, p99Ms: p99, n: values.length };
}

/** Fits time = base + size / bandwidth by the rules above. */
export function fitSizeCost(samples: readonly SizedSample[]): SizeFit {
  const n = samples.length;
  if (n === 0) throw new Error('fitSizeCost: no samples');
  const sizes = [...new Set(samples.map((s) => s.sizeMiB))].sort((a, b) => a - b);
  const points = sizes.map((x) => ({ x, y: nearestRank(samples.filter((s) => s.sizeMiB === x).map((s) => s.ms), 0.5) }));
  const k = points.length;
  const mx = points.reduce((a, p) => a + p.x, 0) / k;
  const my = points.reduce((a, p) => a + p.y, 0) / k;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const p of points) {
    sxx += (p.x - mx) ** 2;
    sxy += (p.x - mx) * (p.y - my);
    syy += (p.y - my) ** 2;
  }
  const slope = k >= 2 && sxx > 0 ? sxy / sxx : Number.NaN;
  const measured = Number.isFinite(slope) && slope > 0;
  const msPerMiB = measured ? slope : 0;
  const intercept = measured ? my - slope * mx : my;
  const r2 = measured && syy > 0 ? (sxy * sxy) / (sxx * syy) : Number.NaN;
  const base = fitLognormal(samples.map((s) => s.ms - s.sizeMiB * msPerMiB));
  return {
    base,
    msPerMiB,
    mibPerSec: measured ? 1000 / msPerMiB : UNMEASURED_MIB_PER_SEC,
    interceptMs: intercept,
    r2,
    sizesMiB: sizes,
    n,
  };
}

/** What a size fit predicts at `sizeMiB`: its median and p99 (base shifted by the size term). */
export function predictAt(fit: SizeFit, sizeMiB: number): { medianMs: number; p99Ms: number } {
  const add = sizeMiB * fit.msPerMiB;
  return { medianMs: fit.base.medianMs + add, p99Ms: fit.base.p99Ms + add };
}

/** One point of a concurrency sweep: with `k` running at once, each took `slowdown` times as long as one alone. */
export interface SlowdownPoint {
  readonly k: number;
  readonly slowdown: number;
}

/** Capacity of a processor-sharing resource fitted to a sweep. */
export interface CapacityFit {
  /** Solo jobs' worth of throughput; Infinity when the sweep showed no sharing up to its largest k. */
  readonly capacity: number;
  /** Root mean square of slowdown - max(1, k / capacity) over the points. */
  readonly rmse: number;
  readonly n: number;
}

/**
 * Fits the capacity C of a processor-sharing resource, whose k equal jobs
 * started together each take max(1, k / C) times one alone, to observed
 * slowdowns: least squares over the points, exactly. Between two
 * consecutive distinct k the points with k > C are fixed, the model is
 * linear in 1 / C there, and the best 1 / C is sum(k y) / sum(k^2) over
 * them, clamped to the interval; the best of the intervals wins (the
 * smaller C on a tie). Above the largest k the model is 1 everywhere: if
 * nothing fits better than that, C is Infinity (no sharing seen).
 */
export function fitSharedCapacity(points: readonly SlowdownPoint[]): CapacityFit {
  const usable = points.filter((p) => p.k >= 1 && Number.isFinite(p.slowdown) && p.slowdown > 0);
  if (usable.length === 0) throw new Error('fitSharedCapacity: no points');
  const sse = (c: number): number => usable.reduce((s, p) => s + (p.slowdown - Math.max(1, p.k / c)) ** 2, 0);
  const ks = [...new Set(usable.map((p) => p.k))].sort((a, b) => a - b);
  let best = { capacity: Number.POSITIVE_INFINITY, sse: sse(Number.POSITIVE_INFINITY) };
  // Interval j: C in [lo, hi) with lo = ks[j - 1] (0 for the first), hi = ks[j]; points with k >= hi are the sharing ones.
  for (let j = 0; j < ks.length; j++) {
    const lo = j === 0 ? 0 : ks[j - 1]!;
    const hi = ks[j]!;
    let sky = 0;
    let skk = 0;
    for (const p of usable) {
      if (p.k >= hi) {
        sky += p.k * p.slowdown;
        skk += p.k * p.k;
      }
    }
    const free = sky > 0 ? skk / sky : hi;
    const c = Math.min(hi, Math.max(lo, free));
    if (!(c > 0)) continue;
    const e = sse(c);
    // Strictly better only: a sweep that fits no sharing as well as some keeps Infinity.
    if (e < best.sse) best = { capacity: c, sse: e };
  }
  return { capacity: best.capacity, rmse: Math.sqrt(best.sse / usable.length), n: usable.length };
}

/** One job of a batch started together on a host: its solo work (ms) and its demand (cpus used alone). */
export interface BatchJob {
  readonly workMs: number;
  readonly demand: number;
  /** The store's threads it keeps busy alone (contention.host.store); absent: it does not use the store. */
  readonly store?: number;
}

/**
 * When each job of a batch started together at 0 on a host of `capacity`
 * cpus finishes, under the simulator's host model (sim/contention.ts): the
 * capacity is shared max-min fairly, each active job offered an equal share
 * L and taking min(demand, L), so a job runs at min(1, L / demand) of its
 * solo speed. Returned in the jobs' order.
 */
export function predictBatch(jobs: readonly BatchJob[], capacity: number, storeThreads = 1, share: 'job' | 'process' = 'job'): number[] {
  // Stepped from finish to finish: the shares change only when a job leaves.
  const out = new Array<number>(jobs.length).fill(0);
  const left = jobs.map((j) => j.workMs);
  let active = jobs.map((_, i) => i);
  let t = 0;
  const viaStore = jobs.some((j) => j.store !== undefined);
  const rates: number[] = [];
  while (active.length > 0) {
    const level = viaStore || share === 'process' ? 0 : fairShare(active.map((i) => jobs[i]!.demand), capacity);
    if (share === 'process') {
      // host.share: process (sim/contention.ts processRates): each job on a worker process of its own, its store part in the store's process.
      const via = active.map((i) => jobs[i]!.store);
      processRates(
        active.map((i) => jobs[i]!.demand),
        active.map((i, k) => (via[k] === undefined ? i : STORE_GROUP)),
        via.map((s) => (s === undefined ? Number.POSITIVE_INFINITY : storeThreads)),
        active.map((i, k) => via[k] ?? jobs[i]!.demand),
        active,
        capacity,
        rates,
      );
    } else if (viaStore) {
      // With the store (host.store): the simulator's rule, the store's threads a cap its jobs share (sim/contention.ts cappedRates).
      const via = active.map((i) => jobs[i]!.store);
      cappedRates(
        active.map((i) => jobs[i]!.demand),
        via.map((s) => (s === undefined ? -1 : STORE_GROUP)),
        via.map((s) => (s === undefined ? Number.POSITIVE_INFINITY : storeThreads)),
        capacity,
        rates,
        undefined,
        active.map((i, k) => via[k] ?? jobs[i]!.demand),
      );
    }
    const at = new Map(active.map((i, k) => [i, k]));
    const rate = (i: number): number => (viaStore || share === 'process' ? rates[at.get(i)!]! : jobs[i]!.demand <= level ? 1 : level / jobs[i]!.demand);
    let dt = Number.POSITIVE_INFINITY;
    for (const i of active) dt = Math.min(dt, left[i]! / rate(i));
    t += dt;
    const next: number[] = [];
    for (const i of active) {
      left[i]! -= dt * rate(i);
      // Jobs within rounding of done finish together, as the shared resource finishes them.
      if (left[i]! <= 1e-6) out[i] = t;
      else next.push(i);
    }
    active = next;
  }
  return out;
}

/**
 * One batch of the mixed sweep: `restores` restores and `checkpoints`
 * checkpoints started together (k = restores + checkpoints, with the other
 * workers' actors resident), and the median of each kind's size part (time
 * less the fitted base) against one alone.
 */
export interface MixedObservation {
  readonly restores: number;
  readonly checkpoints: number;
  /** Median size-part time of the batch's restores, ms (NaN when it had none). */
  readonly restoreMs: number;
  readonly checkpointMs: number;
  /** Size-part time of one alone, ms. */
  readonly soloRestoreMs: number;
  readonly soloCheckpointMs: number;
  /** Restores from the node's folder run beside the batch (0 or absent: none), their median size-part time and one alone's, ms. */
  readonly locals?: number;
  readonly localMs?: number;
  readonly soloLocalMs?: number;
}

/** The jobs a mixed batch's restores from the node add, with demand `demand` (none without one or without their solo time). */
function localJobs(o: MixedObservation, demand: number | undefined): BatchJob[] {
  const n = o.locals ?? 0;
  if (n === 0 || demand === undefined || !(o.soloLocalMs! > 0)) return [];
  return Array.from({ length: n }, () => ({ workMs: o.soloLocalMs!, demand }));
}

/**
 * Squared log errors of one batch's predicted medians (nearest rank, per
 * kind: its restores, checkpoints, then the restores from the node, in that
 * order in `t`) against the observed ones; `add` is called once per median.
 */
function batchLoss(o: MixedObservation, t: readonly number[], locals: number, add: (squaredLogError: number) => void): void {
  const median = (from: number, count: number): number => [...t.slice(from, from + count)].sort((a, b) => a - b)[Math.max(0, Math.ceil(count / 2) - 1)]!;
  if (o.restores > 0 && o.restoreMs > 0) add(Math.log(median(0, o.restores) / o.restoreMs) ** 2);
  if (o.checkpoints > 0 && o.checkpointMs > 0) add(Math.log(median(o.restores, o.checkpoints) / o.checkpointMs) ** 2);
  if (locals > 0 && o.localMs! > 0) add(Math.log(median(o.restores + o.checkpoints, locals) / o.localMs!) ** 2);
}

/** The host model's demands fitted to a mixed sweep. */
export interface HostDemandFit {
  readonly restore: number;
  readonly checkpoint: number;
  /** Root mean square of log(predicted / observed) over the medians fitted. */
  readonly rmsLogError: number;
  readonly n: number;
}

/** The store's demands (contention.host.store) fitted to a mixed sweep, with the host demands they imply. */
export interface StoreDemandFit {
  /** The host's sharing rule it was fitted under (host.share). */
  readonly share: 'job' | 'process';
  readonly threads: number;
  /** Threads of the store each restore and checkpoint through it keeps busy alone. */
  readonly restore: number;
  readonly checkpoint: number;
  /** Their host demands: the worker's side (a local transfer's demand) plus the store's, at most the cpus. */
  readonly hostRestore: number;
  readonly hostCheckpoint: number;
  readonly rmsLogError: number;
  readonly n: number;
}

/**
 * The local search of the host and store fits, from a grid's best point `from`
 * (its numbers and loss): each number in turn multiplied and divided by a
 * step, a move kept when it lowers the loss, until no move does; then the step
 * is halved (its square root) until it is below 0.1%. `clamp` keeps a moved
 * point in range.
 */
function refine(from: { readonly p: readonly number[]; readonly e: number }, loss: (p: readonly number[]) => number, clamp: (p: number[]) => readonly number[] = (p) => p): { p: readonly number[]; e: number } {
  let best = from;
  for (let step = 1.2; step > 1.001; step = Math.sqrt(step)) {
    for (let improved = true; improved; ) {
      improved = false;
      for (let d = 0; d < best.p.length; d++) {
        for (const f of [step, 1 / step]) {
          const moved = [...best.p];
          moved[d] = moved[d]! * f;
          const p = clamp(moved);
          const e = loss(p);
          if (e < best.e - 1e-15) {
            best = { p, e };
            improved = true;
          }
        }
      }
    }
  }
  return best;
}

/** Store demands tried: 0.05 to 1 thread, log-spaced. */
const STORE_GRID = Array.from({ length: 31 }, (_, i) => 0.05 * 20 ** (i / 30));

/**
 * Fits the store model to a mixed sweep on `cpus` cpus: the store a server
 * of `threads` threads that every transfer of the sweep goes through. Four
 * numbers are fitted: each store transfer's demand on the store (s, at most
 * its threads, so that one alone runs at its measured speed) and its host
 * demand (the worker's side plus s, since the store's thread runs on the
 * same cpus; at least s). The search starts from a grid of store demands,
 * each with two guesses of the host demands (`start`'s, the host-alone fit,
 * and the local transfer's plus s), then moves each number by shrinking
 * steps while the loss falls. A batch's restores from the node
 * run beside it with `local.restore` as their demand and no store. Same loss
 * as fitHostDemands. (Tying the host demand to the local transfer's plus s,
 * as this fit first did, put the store's transfers 20-50% fast on the sweep
 * of 2026-12-07 14:27: the worker's side of a transfer through the store
 * costs more than the same bytes from the node.)
 */
export function fitStoreDemands(
  observations: readonly MixedObservation[],
  cpus: number,
  threads: number,
  local: { readonly restore: number; readonly checkpoint: number },
  share: 'job' | 'process' = 'job',
  start: { readonly restore: number; readonly checkpoint: number } = { restore: local.restore, checkpoint: local.checkpoint },
): StoreDemandFit {
  const usable = observations.filter((o) => o.restores + o.checkpoints >= 1 && o.soloRestoreMs > 0 && o.soloCheckpointMs > 0);
  if (usable.length === 0) throw new Error('fitStoreDemands: no observations');
  let n = 0;
  // p: host demands of a restore and a checkpoint, then their store demands.
  const loss = (p: readonly number[]): number => {
    const [dr, dc, sr, sc] = p as [number, number, number, number];
    let sum = 0;
    n = 0;
    for (const o of usable) {
      const beside = localJobs(o, local.restore);
      const jobs: BatchJob[] = [
        ...Array.from({ length: o.restores }, () => ({ workMs: o.soloRestoreMs, demand: dr, store: sr })),
        ...Array.from({ length: o.checkpoints }, () => ({ workMs: o.soloCheckpointMs, demand: dc, store: sc })),
        ...beside,
      ];
      batchLoss(o, predictBatch(jobs, cpus, threads, share), beside.length, (e) => {
        sum += e;
        n += 1;
      });
    }
    return sum;
  };
  const lowStore = STORE_GRID[0]! * threads;
  const highHost = DEMAND_GRID.at(-1)!;
  // Within range: a store demand between a twentieth of the threads and all of them, a host demand at least it and at most the demand grid's top.
  const clamp = (p: readonly number[]): number[] => {
    const sr = Math.min(threads, Math.max(lowStore, p[2]!));
    const sc = Math.min(threads, Math.max(lowStore, p[3]!));
    return [Math.min(highHost, Math.max(sr, p[0]!)), Math.min(highHost, Math.max(sc, p[1]!)), sr, sc];
  };
  let best: { p: readonly number[]; e: number } = { p: clamp([start.restore, start.checkpoint, threads, threads]), e: Number.POSITIVE_INFINITY };
  // The grid of store demands, each with two guesses of the host demands: `start`'s, and the local transfer's plus the store's.
  for (const sr of STORE_GRID) for (const sc of STORE_GRID) {
    for (const p of [clamp([start.restore, start.checkpoint, sr * threads, sc * threads]), clamp([local.restore + sr * threads, local.checkpoint + sc * threads, sr * threads, sc * threads])]) {
      const e = loss(p);
      if (e < best.e) best = { p, e };
    }
  }
  best = refine(best, loss, clamp);
  loss(best.p);
  return {
    share,
    threads,
    restore: best.p[2]!,
    checkpoint: best.p[3]!,
    hostRestore: best.p[0]!,
    hostCheckpoint: best.p[1]!,
    rmsLogError: n > 0 ? Math.sqrt(best.e / n) : Number.NaN,
    n,
  };
}

/** Demands tried by the grid: 0.05 to 16 cpus, log-spaced (steps of 15.5%; the refinement does the rest). */
const DEMAND_GRID = Array.from({ length: 41 }, (_, i) => 0.05 * 320 ** (i / 40));

/**
 * Fits the restore and checkpoint demands of the host model to a mixed sweep
 * on `cpus` cpus: the pair on a log grid (then refined around the best
 * point) that minimises the squared log error of the predicted batch medians
 * (predictBatch, nearest-rank median per kind) against the observed ones.
 * Log error, so a batch of 32 weighs no more than a batch of 2. A batch's
 * restores from the node, when it had some and `localRestore` (their demand,
 * fitted elsewhere) is given, run in the prediction beside it and their
 * median counts in the loss too.
 */
export function fitHostDemands(observations: readonly MixedObservation[], cpus: number, localRestore?: number): HostDemandFit {
  const usable = observations.filter((o) => o.restores + o.checkpoints >= 1 && o.soloRestoreMs > 0 && o.soloCheckpointMs > 0);
  if (usable.length === 0) throw new Error('fitHostDemands: no observations');
  if (!(cpus > 0)) throw new Error(`fitHostDemands: cpus must be positive, got ${cpus}`);
  let n = 0;
  const loss = (dr: number, dc: number): number => {
    let sum = 0;
    n = 0;
    for (const o of usable) {
      const beside = localJobs(o, localRestore);
      const jobs: BatchJob[] = [
        ...Array.from({ length: o.restores }, () => ({ workMs: o.soloRestoreMs, demand: dr })),
        ...Array.from({ length: o.checkpoints }, () => ({ workMs: o.soloCheckpointMs, demand: dc })),
        ...beside,
      ];
      batchLoss(o, predictBatch(jobs, cpus), beside.length, (e) => {
        sum += e;
        n += 1;
      });
    }
    return sum;
  };
  let best = { dr: 1, dc: 1, e: Number.POSITIVE_INFINITY };
  for (const dr of DEMAND_GRID) {
    for (const dc of DEMAND_GRID) {
      const e = loss(dr, dc);
      if (e < best.e) best = { dr, dc, e };
    }
  }
  const fit = refine({ p: [best.dr, best.dc], e: best.e }, (p) => loss(p[0]!, p[1]!));
  loss(fit.p[0]!, fit.p[1]!);
  return { restore: fit.p[0]!, checkpoint: fit.p[1]!, rmsLogError: n > 0 ? Math.sqrt(fit.e / n) : Number.NaN, n };
}
