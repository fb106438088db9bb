import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cell } from '../../reports/format.ts';
import { costModel } from '../../reports/cost.ts';
import { paretoFront } from '../../reports/pareto.ts';
import type { SummaryRow } from '../../reports/summary.ts';
import { row } from './fixtures.ts';

// Cost first: the default cost model counts worker-hours.
const at = (policy: string, worker: number, p99: number, gib = 0): SummaryRow => row(policy, { worker_seconds: worker, p99_ms: p99, gib_seconds: gib });
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

  it('takes the front over worker-hours by default, over GiB-seconds when asked, over the price with prices', () => {
    const rows = [at('cheap-workers', 1 * 3600, 5, 100 * 3600), at('cheap-memory', 2 * 3600, 5, 10 * 3600)];
    expect(names(paretoFront(rows))).toEqual(['cheap-workers']);
    expect(names(paretoFront(rows, 'gib_seconds'))).toEqual(['cheap-memory']);
    // 0.05 x 1 + 0.005 x 100 = 0.55 against 0.05 x 2 + 0.005 x 10 = 0.15.
    expect(names(paretoFront(rows, costModel({ workerHour: 0.05, gibHour: 0.005 })))).toEqual(['cheap-memory']);
    expect(names(paretoFront(rows, costModel({ workerHour: 1, gibHour: 0.005 })))).toEqual(['cheap-workers']);
  });

  it('is exactly the non-dominated sets, for any rows', () => {
    const point = fc.record({ c: fc.integer({ min: 1, max: 20 }), p: fc.integer({ min: 1, max: 20 }) });
    fc.assert(
      fc.property(fc.array(point, { maxLength: 30 }), (points) => {
        const rows = points.map((x, i) => at(`s${i}`, x.c, x.p));
        const front = new Set(paretoFront(rows));
        const dominates = (a: SummaryRow, b: SummaryRow): boolean => {
          const [ca, pa, cb, pb] = [cell(a, 'worker_seconds'), cell(a, 'p99_ms'), cell(b, 'worker_seconds'), cell(b, 'p99_ms')];
          return ca <= cb && pa <= pb && (ca < cb || pa < pb);
        };
        for (const r of rows) expect(front.has(r)).toBe(!rows.some((o) => dominates(o, r)));
        const costs = paretoFront(rows).map((r) => cell(r, 'worker_seconds'));
        expect(costs).toEqual([...costs].sort((a, b) => a - b));
      }),
      { numRuns: 200 },
    );
  });
});
