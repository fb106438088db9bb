import type { DistributionSpec } from '../../../scenarios/distributions.ts';
import { planArrivals, type ArrivalSpec } from '../../../scenarios/arrivals/index.ts';

/** A group's invocations in the order its stream yields them. */
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

/** Plans the group on the `workload` stream of `seed` and reads its stream once. */
export function collect(spec: ArrivalSpec, o: RunOptions): Rows {
  const rows: Rows = { arrivalMs: [], actor: [], workMs: [] };
  const plan = planArrivals(
    spec,
    { seed: o.seed ?? 1, stream: 'workload', durationMs: o.durationMs, actors: o.actors, firstActor: o.firstActor ?? 0, work: o.work ?? { kind: 'exponential', meanMs: 1000 } },
    o.stepLimit,
  );
  const s = plan.open();
  while (s.next()) {
    rows.arrivalMs.push(s.arrivalMs);
    rows.actor.push(s.actor);
    rows.workMs.push(s.workMs);
  }
  if (rows.arrivalMs.length !== plan.size) throw new Error(`plan of ${plan.size} invocations yielded ${rows.arrivalMs.length}`);
  return rows;
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
