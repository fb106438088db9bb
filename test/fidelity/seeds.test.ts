import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import type { FidelityRow } from '../../fidelity/compare.ts';
import { seedSpread, seedSpreadCsv, seedSpreadLines, seedSpreadMarkdown, sweepSeeds, type SeedRun } from '../../fidelity/seeds.ts';

/** A fidelity row with only what the sweep reads. */
function row(metric: string, sim: number, real: number, met: boolean | undefined, target: number | null = 0.05, policy = 'p'): FidelityRow {
  return { policy, metric, sim, real, relError: real === 0 ? Number.NaN : (sim - real) / real, target: target ?? undefined, met };
}

describe('fidelity --sim-seeds', () => {
  it('sweeps the run\'s own seed first, then the next n', () => {
    expect(sweepSeeds(7, 3)).toEqual([7, 8, 9, 10]);
    expect(sweepSeeds(0, 0)).toEqual([0]);
    expect(() => sweepSeeds(1, -1)).toThrow(/non-negative/);
    expect(() => sweepSeeds(1, 1.5)).toThrow(/non-negative/);
  });

  // Three seeds against one real run: warm is missed by every seed (a bias), golden by one of three (a draw).
  const runs: SeedRun[] = [
    { seed: 1, rows: [row('warm', 18, 7, false), row('golden', 110, 110, true), row('served', 150, 140, undefined, null), row('p50_ms', 1000, 1050, true, 0.1)] },
    { seed: 2, rows: [row('warm', 22, 7, false), row('golden', 130, 110, false), row('served', 160, 140, undefined, null), row('p50_ms', 1100, 1050, true, 0.1)] },
    { seed: 3, rows: [row('warm', 19, 7, false), row('golden', 109, 110, true), row('served', 155, 140, undefined, null), row('p50_ms', Number.NaN, 1050, undefined, 0.1)] },
  ];

  it('counts the seeds that meet each targeted cell, with the range of the simulated figure', () => {
    const s = seedSpread(runs);
    expect(s.seeds).toEqual([1, 2, 3]);
    // Only targeted cells; served has no target.
    expect(s.cells.map((c) => c.metric)).toEqual(['warm', 'golden', 'p50_ms']);
    const warm = s.cells[0]!;
    expect([warm.met, warm.min, warm.median, warm.max, warm.real]).toEqual([0, 18, 19, 22, 7]);
    expect(warm.sims).toEqual([18, 22, 19]);
    const golden = s.cells[1]!;
    expect([golden.met, golden.min, golden.median, golden.max]).toEqual([2, 109, 110, 130]);
    // A seed with no figure (no served invocation) counts as not met, and the range skips it.
    const p50 = s.cells[2]!;
    expect([p50.met, p50.min, p50.median, p50.max]).toEqual([2, 1000, 1000, 1100]);
    expect(s.perSeed.get('p')).toEqual({ met: [2, 1, 1], targeted: 3 });
  });

  it('keeps policy sets apart, and counts a cell one run lacks as missed there', () => {
    const two: SeedRun[] = [
      { seed: 4, rows: [row('warm', 1, 1, true, 0.05, 'a'), row('warm', 5, 9, false, 0.05, 'b')] },
      { seed: 5, rows: [row('warm', 2, 1, false, 0.05, 'a')] },
    ];
    const s = seedSpread(two);
    expect(s.perSeed.get('a')).toEqual({ met: [1, 0], targeted: 1 });
    expect(s.perSeed.get('b')).toEqual({ met: [0, 0], targeted: 1 });
    expect(s.cells.find((c) => c.policy === 'b')!.sims).toEqual([5, Number.NaN]);
    expect(() => seedSpread([])).toThrow(/no runs/);
  });

  it('writes every seed\'s targeted cells to fidelity-seeds.csv, and says the spread in words and in Markdown', () => {
    const rows = parse(seedSpreadCsv(runs), { columns: true }) as Record<string, string>[];
    expect(rows.length).toBe(9);
    expect(rows[0]).toEqual({ policy: 'p', metric: 'warm', seed: '1', sim: '18', real: '7', rel_error: '1.5714', target: '0.05', met: 'no' });
    expect(rows.find((r) => r.seed === '3' && r.metric === 'p50_ms')).toMatchObject({ sim: '', met: '' });
    const s = seedSpread(runs);
    expect(seedSpreadLines(s)).toEqual([
      'Over 3 seeds of the simulation (1-3, the same workload): p met 1-2 of 3 targeted cells (median 1, the run\'s own seed 2)',
      '  met by no seed: warm',
    ]);
    const md = seedSpreadMarkdown(s);
    expect(md).toContain('## The simulation over 3 seeds');
    expect(md).toContain('p: cells within target per seed 2, 1, 1 of 3.');
    expect(md).toContain('| warm | 7 | 18 | 18 / 19 / 22 | 0 of 3 |');
    expect(md).toContain('| p50_ms | 1,050 | 1,000 | 1,000 / 1,000 / 1,100 | 2 of 3 |');
  });
});
