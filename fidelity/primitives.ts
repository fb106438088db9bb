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
  /** The simulation's own measured.csv: the same primitive under its simulated load (contention included); NaN without one. */
  readonly simCount: number;
  readonly simP50: number;
  readonly simP99: number;
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
 * p99 (one primitive alone, as calibrated) and with the simulation's own
 * measured.csv (the same primitive under the simulated run's load): where
 * the model and the real run disagree the primitives ran slower under load
 * than alone; where the simulation and the real run disagree, the
 * contention model is what is off. A primitive only the simulation used
 * gets a row with no real figures.
 */
export function comparePrimitives(measured: readonly Record<string, string>[], costs: CostModel, snapshotMiB: number, simMeasured: readonly Record<string, string>[] = []): PrimitiveRow[] {
  const key = (m: Record<string, string>): string => `${m.policy ?? ''}\u0000${m.primitive ?? ''}\u0000${m.source ?? ''}`;
  const sim = new Map(simMeasured.map((m) => [key(m), m]));
  const real = new Set(measured.map(key));
  const row = (m: Record<string, string>, r: Record<string, string> | undefined, s: Record<string, string> | undefined): PrimitiveRow => {
    const primitive = m.primitive ?? '';
    const source = m.source ?? '';
    return {
      policy: m.policy ?? '',
      primitive,
      source,
      count: r === undefined ? 0 : Number(r.count),
      modelP50: modelQuantile(costs, primitive, source, snapshotMiB, 0.5),
      realP50: r === undefined ? Number.NaN : Number(r.p50_ms),
      modelP99: modelQuantile(costs, primitive, source, snapshotMiB, 0.99),
      realP99: r === undefined ? Number.NaN : Number(r.p99_ms),
      simCount: s === undefined ? Number.NaN : Number(s.count),
      simP50: s === undefined ? Number.NaN : Number(s.p50_ms),
      simP99: s === undefined ? Number.NaN : Number(s.p99_ms),
    };
  };
  return [...measured.map((m) => row(m, m, sim.get(key(m)))), ...simMeasured.filter((m) => !real.has(key(m))).map((m) => row(m, undefined, m))];
}
