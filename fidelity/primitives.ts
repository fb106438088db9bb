import type { DistributionSpec } from '../scenarios/distributions.ts';
import type { CostModel, SizeCost } from '../scenarios/scenario.ts';

/** One primitive, as the cost model predicts it and as the real run measured it. */
export interface PrimitiveRow {
  readonly policy: string;
  /** measured.csv's names: worker-start, restore, checkpoint, dispatch, driver-lag. */
  readonly primitive: string;
  readonly source: string;
  readonly count: number;
  readonly modelP50: number;
  readonly realP50: number;
  readonly modelP99: number;
  readonly realP99: number;
}

// Standard normal quantiles, for lognormal cost models.
const Z: Readonly<Record<string, number>> = { '0.5': 0, '0.9': 1.2815515655446004, '0.99': 2.3263478740408408 };

/** The q-quantile (0.5, 0.9 or 0.99) of a duration distribution, in ms. */
export function quantile(d: DistributionSpec, q: 0.5 | 0.9 | 0.99): number {
  switch (d.kind) {
    case 'constant':
      return d.valueMs;
    case 'exponential':
      return -d.meanMs * Math.log(1 - q);
    case 'uniform':
      return d.minMs + q * (d.maxMs - d.minMs);
    case 'empirical': {
      const s = [...d.samplesMs].sort((a, b) => a - b);
      return s[Math.min(s.length, Math.max(1, Math.ceil(q * s.length))) - 1] ?? Number.NaN;
    }
    case 'lognormal': {
      const sigma = d.sigma ?? Math.log((d.p99Ms ?? d.medianMs) / d.medianMs) / Z['0.99']!;
      return d.medianMs * Math.exp(sigma * Z[String(q)]!);
    }
  }
}

function sized(c: SizeCost, mib: number, q: 0.5 | 0.99): number {
  return quantile(c.base, q) + (mib * 1000) / c.mibPerSec;
}

/** What the cost model predicts for one measured.csv row, at a snapshot of `snapshotMiB`; NaN for what it does not model. */
export function modelQuantile(costs: CostModel, primitive: string, source: string, snapshotMiB: number, q: 0.5 | 0.99): number {
  switch (primitive) {
    case 'worker-start':
      return quantile(costs.workerStart, q);
    case 'dispatch':
      return quantile(costs.dispatch, q);
    case 'restore':
      if (source === 'cold') return quantile(costs.coldBoot, q);
      if (source === 'local' || source === 'external' || source === 'golden') return sized(costs.restore[source], snapshotMiB, q);
      return Number.NaN;
    case 'checkpoint':
      if (source === 'local' || source === 'external') return sized(costs.checkpoint[source], snapshotMiB, q);
      return Number.NaN;
    case 'driver-lag':
      // The simulator feeds every event on time.
      return 0;
    default:
      return Number.NaN;
  }
}

/**
 * Pairs each row of the real run's measured.csv with the model's p50 and
 * p99: where these disagree the primitives behaved differently under the
 * run's load than when they were calibrated one at a time.
 */
export function comparePrimitives(measured: readonly Record<string, string>[], costs: CostModel, snapshotMiB: number): PrimitiveRow[] {
  return measured.map((m) => {
    const primitive = m.primitive ?? '';
    const source = m.source ?? '';
    return {
      policy: m.policy ?? '',
      primitive,
      source,
      count: Number(m.count),
      modelP50: modelQuantile(costs, primitive, source, snapshotMiB, 0.5),
      realP50: Number(m.p50_ms),
      modelP99: modelQuantile(costs, primitive, source, snapshotMiB, 0.99),
      realP99: Number(m.p99_ms),
    };
  });
}
