import { describe, expect, it } from 'vitest';
import { costsBand, costsBandLines, costsBandMarkdown, parseBandFactors } from '../../fidelity/band.ts';
import type { FidelityRow } from '../../fidelity/compare.ts';

/** A row of fidelity.csv; `met` undefined: an untargeted row. */
const row = (metric: string, sim: number, real: number, met: boolean | undefined): FidelityRow => ({ policy: 'p', metric, sim, real, relError: (sim - real) / real, target: met === undefined ? undefined : 0.1, met });

describe('fidelity --costs-band', () => {
  it('parses factors other than 1 within the range, ascending, and refuses the rest naming the item', () => {
    expect(parseBandFactors('1.25, 0.8', [0.01, 100])).toEqual([0.8, 1.25]);
    expect(parseBandFactors('2', [0.01, 100])).toEqual([2]);
    expect(() => parseBandFactors('1', [0.01, 100])).toThrow(/1 is the run's own simulation/);
    expect(() => parseBandFactors('0.8,0.8', [0.01, 100])).toThrow(/0.8 is listed twice/);
    expect(() => parseBandFactors('0.8,', [0.01, 100])).toThrow(/"" is not a number/);
    expect(() => parseBandFactors('fast', [0.01, 100])).toThrow(/"fast" is not a number/);
    expect(() => parseBandFactors('200', [0.01, 100])).toThrow(/200: each factor between 0.01 and 100/);
  });

  it('puts each targeted cell\'s figures in the band\'s order and says whether the real one lies within their range', () => {
    const runs = [
      { factor: 1.3, rows: [row('p50_ms', 4800, 4000, false), row('warm', 92, 95, true), row('served', 190, 180, undefined)] },
      { factor: 1, rows: [row('p50_ms', 2100, 4000, false), row('warm', 134, 95, false), row('served', 209, 180, undefined)] },
      { factor: 0.8, rows: [row('p50_ms', 2000, 4000, false), row('warm', 136, 95, false)] },
    ];
    const b = costsBand(runs);
    expect(b.factors).toEqual([0.8, 1, 1.3]);
    // Untargeted rows (no target) are left out; cells come in the run's own order.
    expect(b.cells.map((c) => [c.metric, c.sims, c.inside, c.metAt])).toEqual([
      ['p50_ms', [2000, 2100, 4800], true, []],
      ['warm', [136, 134, 92], true, [1.3]],
    ]);
    // Outside the range: the real figure is beyond every simulated one.
    const out = costsBand([{ factor: 1, rows: [row('p99_ms', 10, 30, false)] }, { factor: 2, rows: [row('p99_ms', 20, 30, false)] }]);
    expect(out.cells[0]!.inside).toBe(false);
    expect(costsBandLines(out)).toEqual(["Over machine speeds 1x, 2x (--costs-band): p's real figure lies within the simulated range in 0 of 1 targeted cells; outside: p99_ms"]);
    // A factor that lacks the cell counts as no figure there; without any figure the cell is not inside.
    const missing = costsBand([{ factor: 1, rows: [row('p99_ms', Number.NaN, 30, false)] }, { factor: 2, rows: [] }]);
    expect(missing.cells[0]!.sims).toEqual([Number.NaN, Number.NaN]);
    expect(missing.cells[0]!.inside).toBe(false);
    const md = costsBandMarkdown(b);
    expect(md).toContain('| p: metric | real | sim at 0.8x | sim at 1x | sim at 1.3x | real within the range | within target at |');
    expect(md).toContain('| warm | 95 | 136 | 134 | 92 | yes | 1.3x |');
    expect(() => costsBand([{ factor: 2, rows: [] }])).toThrow(/factor 1\) is missing/);
  });
});
