import type { DistributionSpec } from './distributions.ts';
import type { CostModel, SizeCost } from './scenario.ts';

/** --costs-scale's bounds: a machine a hundred times faster or slower is another machine, not a margin. */
export const COSTS_SCALE_RANGE: readonly [number, number] = [0.01, 100];

/**
 * A cost model on a machine `factor` times as slow for the runtime's own
 * primitives (`simulate --costs-scale`): every worker start, cold boot,
 * dispatch, restore and checkpoint takes `factor` times as long alone (each
 * distribution's times scaled, each transfer's bandwidth divided), on the
 * same host (the contention model's cpus and demands are unchanged, so
 * concurrent primitives slow each other as before, from longer solo times).
 * What stays: the agents' work (the workload's, replayed alike by both
 * runtimes) and the driver's request timeout (a policy of the driver, not a
 * speed of the machine).
 *
 * Why: a calibrated profile is one machine on one afternoon. The same
 * machine's primitives moved by 0.8-1.3x within hours (issue 18's drift
 * probe), and near saturation the answer turns steeply on them: the
 * fleet-2000 morning span's simulated p50 goes from 2.1 s to 2.5 s at 1.15x
 * and to 4.8 s at 1.3x. Running a study at 0.8x and 1.25x says how much
 * margin a pool size leaves before that cliff.
 */
export function scaleCosts(costs: CostModel, factor: number): CostModel {
  if (!(factor > 0) || !Number.isFinite(factor)) throw new Error(`scaleCosts: factor must be a positive number, got ${factor}`);
  if (factor === 1) return costs;
  const size = (c: SizeCost): SizeCost => ({ base: scaleDistribution(c.base, factor), mibPerSec: c.mibPerSec / factor });
  return {
    ...costs,
    name: `${costs.name} x${factor}`,
    source: `${costs.source} Every primitive's time x${factor} (--costs-scale).`,
    workerStart: scaleDistribution(costs.workerStart, factor),
    coldBoot: scaleDistribution(costs.coldBoot, factor),
    dispatch: scaleDistribution(costs.dispatch, factor),
    restore: { local: size(costs.restore.local), external: size(costs.restore.external), golden: size(costs.restore.golden) },
    checkpoint: { local: size(costs.checkpoint.local), external: size(costs.checkpoint.external) },
  };
}

/** `spec` with every draw multiplied by `factor` (a scale family: the shape, a lognormal's sigma, is kept). */
export function scaleDistribution(spec: DistributionSpec, factor: number): DistributionSpec {
  switch (spec.kind) {
    case 'constant':
      return { kind: 'constant', valueMs: spec.valueMs * factor };
    case 'exponential':
      return { kind: 'exponential', meanMs: spec.meanMs * factor };
    case 'lognormal':
      return {
        kind: 'lognormal',
        medianMs: spec.medianMs * factor,
        ...(spec.p99Ms === undefined ? {} : { p99Ms: spec.p99Ms * factor }),
        ...(spec.sigma === undefined ? {} : { sigma: spec.sigma }),
      };
    case 'uniform':
      return { kind: 'uniform', minMs: spec.minMs * factor, maxMs: spec.maxMs * factor };
    case 'empirical':
      return { kind: 'empirical', samplesMs: spec.samplesMs.map((x) => x * factor) };
  }
}
