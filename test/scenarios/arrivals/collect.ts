import { makeRng, type Rng } from '../../../scenarios/rng.ts';
import { Sampler, type DistributionSpec } from '../../../scenarios/distributions.ts';
import { generateArrivals, type ArrivalSpec } from '../../../scenarios/arrivals/index.ts';

/** Emitted invocations in emission order. */
export interface Rows {
  readonly arrivalMs: number[];
  readonly actor: number[];
  readonly workMs: number[];
}

/** Options of one generation run; the work sampler shares the workload stream, as in scenarios/workload.ts. */
export interface RunOptions {
  readonly seed?: number;
  readonly durationMs: number;
  readonly actors: number;
  readonly firstActor?: number;
  readonly work?: DistributionSpec;
  readonly stepLimit?: number;
}

/** Runs generateArrivals on the `workload` stream of `seed` and collects what it emits. */
export function collect(spec: ArrivalSpec, o: RunOptions): Rows {
  const rows: Rows = { arrivalMs: [], actor: [], workMs: [] };
  const rng = makeRng(o.seed ?? 1, 'workload');
  const work = new Sampler(o.work ?? { kind: 'exponential', meanMs: 1000 }, rng);
  generateArrivals(
    spec,
    { rng, durationMs: o.durationMs, actors: o.actors, firstActor: o.firstActor ?? 0, work: () => work.sample() },
    (a, i, w) => {
      rows.arrivalMs.push(a);
      rows.actor.push(i);
      rows.workMs.push(w);
    },
    o.stepLimit,
  );
  return rows;
}

/** Wraps an rng to count its draws. */
export function counting(rng: Rng): { rng: Rng; draws: () => number } {
  let n = 0;
  return {
    rng: () => {
      n++;
      return rng();
    },
    draws: () => n,
  };
}

/** Standard normal CDF by Simpson's rule on the density (error far below 1e-9 for |z| < 10). */
export function normalCdf(z: number): number {
  const n = 2000;
  const h = z / n;
  let sum = 0;
  for (let k = 0; k <= n; k++) {
    const x = k * h;
    const w = k === 0 || k === n ? 1 : k % 2 === 1 ? 4 : 2;
    sum += w * Math.exp((-x * x) / 2);
  }
  return 0.5 + (sum * h) / 3 / Math.sqrt(2 * Math.PI);
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
