import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { compareSummaries, FIDELITY_COLUMNS, FIDELITY_METRICS, fidelityCsv, relativeError } from '../../fidelity/compare.ts';
import { fidelityMarkdown } from '../../fidelity/markdown.ts';
import { comparePrimitives, quantile } from '../../fidelity/primitives.ts';
import type { CostModel } from '../../scenarios/scenario.ts';
import type { SummaryRow } from '../../reports/summary.ts';

function row(policy: string, values: Record<string, number | string>): SummaryRow {
  return { policy, ...values } as unknown as SummaryRow;
}

describe('relativeError', () => {
  it('is (sim - real) / |real|, 0 when both are 0, undefined otherwise', () => {
    expect(relativeError(110, 100)).toBeCloseTo(0.1, 12);
    expect(relativeError(90, 100)).toBeCloseTo(-0.1, 12);
    expect(relativeError(0, 0)).toBe(0);
    expect(relativeError(3, 0)).toBeNaN();
    expect(relativeError(Number.NaN, 1)).toBeNaN();
  });
});

describe('compareSummaries', () => {
  it('gives every metric of every policy set, with targets where the issue sets them', () => {
    const sim = [row('a', { p50_ms: 110, p99_ms: 200, warm: 100, worker_seconds: 50, invocations: 10 }), row('b', { p50_ms: '' })];
    const real = [row('a', { p50_ms: 100, p99_ms: 250, warm: 100, worker_seconds: 52, invocations: 10 })];
    const rows = compareSummaries(sim, real);
    expect(rows).toHaveLength(2 * FIDELITY_METRICS.length);
    const get = (p: string, m: string) => rows.find((r) => r.policy === p && r.metric === m)!;
    expect(get('a', 'p50_ms')).toMatchObject({ sim: 110, real: 100, target: 0.1, met: true });
    expect(get('a', 'p99_ms').met).toBe(false);
    expect(get('a', 'warm')).toMatchObject({ relError: 0, met: true });
    expect(get('a', 'worker_seconds').met).toBe(true);
    expect(get('a', 'invocations').target).toBeUndefined();
    // A policy set only one side ran: rows present, no error.
    expect(get('b', 'p50_ms').real).toBeNaN();
    expect(get('b', 'p50_ms').met).toBeUndefined();
    const csv = parse(fidelityCsv(rows), { columns: true }) as Record<string, string>[];
    expect(Object.keys(csv[0]!)).toEqual([...FIDELITY_COLUMNS]);
    expect(csv.find((r) => r.policy === 'a' && r.metric === 'p50_ms')).toMatchObject({ sim: '110', real: '100', diff: '10', rel_error: '0.1', target: '0.1', met: 'yes' });
  });
});

describe('comparePrimitives', () => {
  const costs: CostModel = {
    name: 'x',
    source: '',
    workerStart: { kind: 'constant', valueMs: 300 },
    coldBoot: { kind: 'lognormal', medianMs: 100, p99Ms: 400 },
    restore: {
      local: { base: { kind: 'constant', valueMs: 10 }, mibPerSec: 1000 },
      external: { base: { kind: 'lognormal', medianMs: 20, sigma: 0 }, mibPerSec: 100 },
      golden: { base: { kind: 'uniform', minMs: 0, maxMs: 10 }, mibPerSec: 100 },
    },
    checkpoint: { local: { base: { kind: 'exponential', meanMs: 10 }, mibPerSec: 500 }, external: { base: { kind: 'empirical', samplesMs: [1, 2, 3] }, mibPerSec: 50 } },
    dispatch: { kind: 'constant', valueMs: 2 },
  };

  it('predicts each measured primitive at the snapshot size', () => {
    expect(quantile(costs.coldBoot, 0.99)).toBeCloseTo(400, 9);
    expect(quantile(costs.coldBoot, 0.5)).toBe(100);
    const rows = comparePrimitives(
      [
        { policy: 'p', primitive: 'restore', source: 'external', count: '3', p50_ms: '700', p99_ms: '900' },
        { policy: 'p', primitive: 'restore', source: 'cold', count: '1', p50_ms: '100', p99_ms: '100' },
        { policy: 'p', primitive: 'worker-start', source: '', count: '2', p50_ms: '1', p99_ms: '2' },
        { policy: 'p', primitive: 'driver-lag', source: '', count: '2', p50_ms: '1', p99_ms: '2' },
      ],
      costs,
      64,
    );
    expect(rows[0]).toMatchObject({ modelP50: 20 + 640, realP50: 700, modelP99: 20 + 640, count: 3 });
    expect(rows[1]!.modelP50).toBe(100);
    expect(rows[2]!.modelP50).toBe(300);
    expect(rows[3]!.modelP99).toBe(0);
  });

  it('sets the simulation\'s own measured.csv beside the real one, rows only one side has included', () => {
    const real = [{ policy: 'p', primitive: 'checkpoint', source: 'external', count: '61', p50_ms: '21741', p99_ms: '30844' }];
    const sim = [
      { policy: 'p', primitive: 'checkpoint', source: 'external', count: '69', p50_ms: '4502', p99_ms: '6125' },
      { policy: 'p', primitive: 'checkpoint', source: 'local', count: '3', p50_ms: '80', p99_ms: '90' },
    ];
    const rows = comparePrimitives(real, costs, 64, sim);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ primitive: 'checkpoint', source: 'external', count: 61, realP50: 21741, simCount: 69, simP50: 4502, simP99: 6125 });
    expect(rows[1]).toMatchObject({ source: 'local', count: 0, simCount: 3, simP50: 80 });
    expect(rows[1]!.realP50).toBeNaN();
    // Without the simulation's file (a run recorded before it existed), the sim columns are empty.
    expect(comparePrimitives(real, costs, 64)[0]!.simP50).toBeNaN();
  });

  it('renders fidelity.md with a section per policy set and the misses listed', () => {
    const rows = compareSummaries([row('a', { p50_ms: 200 })], [row('a', { p50_ms: 100 })]);
    const md = fidelityMarkdown(rows, comparePrimitives([{ policy: 'a', primitive: 'dispatch', source: '', count: '5', p50_ms: '4', p99_ms: '8' }], costs, 64), {
      scenario: 's',
      scenarioFile: '/x/s.yaml',
      profile: '/x/p.yaml',
      seed: 1,
      speedup: 10,
      startMs: 0,
      durationMs: 60_000,
      warmupMs: 0,
      invocations: 5,
      actors: 2,
      snapshotMiB: { t: 64 },
      snapshotAsMemory: true,
      simWallMs: 10,
      realWallMs: 6000,
      notes: ['a caveat'],
    });
    expect(md).toContain('## a');
    expect(md).toMatch(/\| a \| p50_ms \| 200 \|  \| 100 \| \+100\.0% \| ±10% \|/);
    expect(md).toContain('Within target means the simulated figure');
    expect(md).toContain('- a caveat');
    // n, model p50, sim p50 (none: the simulation wrote no measured.csv), real p50, real/model, real/sim.
    expect(md).toMatch(/\| a \| dispatch \|  \| 5 \| 2 \| – \| 4 \| 2\.00x \| – \|/);
  });
});
