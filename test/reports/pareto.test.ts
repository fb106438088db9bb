import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cell } from '../../reports/format.ts';
import { paretoFront } from '../../reports/pareto.ts';
import type { SummaryRow } from '../../reports/summary.ts';
import { row } from './fixtures.ts';

const at = (policy: string, gib: number, p99: number, worker = 0): SummaryRow => row(policy, { gib_seconds: gib, p99_ms: p99, worker_seconds: worker });
const names = (rows: SummaryRow[]): string[] => rows.map((r) => String(r.policy));

describe('paretoFront', () => {
  it('keeps the sets no other beats on both cost and p99, cheapest first', () => {
    const rows = [at('a', 1, 10), at('c-dominated', 3, 7), at('b', 2, 5), at('d', 4, 1), at('e-dominated', 2, 6)];
    expect(names(paretoFront(rows))).toEqual(['a', 'b', 'd']);
  });

  it('drops a set that only ties on one measure, keeps exact duplicates', () => {
    expect(names(paretoFront([at('a', 1, 5), at('same-cost-slower', 1, 6), at('same-p99-dearer', 2, 5)]))).toEqual(['a']);
    expect(names(paretoFront([at('a', 1, 5), at('twin', 1, 5), at('b', 2, 3)]))).toEqual(['a', 'twin', 'b']);
  });

  it('leaves out sets with no p99 (nothing served)', () => {
    expect(names(paretoFront([at('none-served', 0.1, Number.NaN), at('a', 1, 5)]))).toEqual(['a']);
    expect(paretoFront([])).toEqual([]);
  });

  it('takes the front over worker-seconds when asked', () => {
    const rows = [at('cheap-memory', 1, 5, 100), at('cheap-workers', 2, 5, 10)];
    expect(names(paretoFront(rows))).toEqual(['cheap-memory']);
    expect(names(paretoFront(rows, 'worker_seconds'))).toEqual(['cheap-workers']);
  });

  it('is exactly the non-dominated sets, for any rows', () => {
    const point = fc.record({ c: fc.integer({ min: 1, max: 20 }), p: fc.integer({ min: 1, max: 20 }) });
    fc.assert(
      fc.property(fc.array(point, { maxLength: 30 }), (points) => {
        const rows = points.map((x, i) => at(`s${i}`, x.c, x.p));
        const front = new Set(paretoFront(rows));
        const dominates = (a: SummaryRow, b: SummaryRow): boolean => {
          const [ca, pa, cb, pb] = [cell(a, 'gib_seconds'), cell(a, 'p99_ms'), cell(b, 'gib_seconds'), cell(b, 'p99_ms')];
          return ca <= cb && pa <= pb && (ca < cb || pa < pb);
        };
        for (const r of rows) expect(front.has(r)).toBe(!rows.some((o) => dominates(o, r)));
        const costs = paretoFront(rows).map((r) => cell(r, 'gib_seconds'));
        expect(costs).toEqual([...costs].sort((a, b) => a - b));
      }),
      { numRuns: 200 },
    );
  });
});
