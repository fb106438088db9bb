import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { AGGREGATE_COLUMNS, AGGREGATE_METRICS, aggregateCsv, aggregateRows, meanCi } from '../../reports/aggregate.ts';
import type { SummaryRow } from '../../reports/summary.ts';

function row(policy: string, seed: number, values: Partial<Record<(typeof AGGREGATE_METRICS)[number], number | string>>): SummaryRow {
  const r: Record<string, string | number> = { policy, seed };
  for (const m of AGGREGATE_METRICS) r[m] = 0;
  return { ...r, ...values } as SummaryRow;
}

describe('meanCi', () => {
  it('gives the mean, the sample sd and the Student t half-width, by hand', () => {
    // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sum of squares 32, sd sqrt(32 / 7).
    const s = meanCi([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(s.n).toBe(8);
    expect(s.mean).toBe(5);
    expect(s.sd).toBeCloseTo(Math.sqrt(32 / 7), 12);
    // t(0.975, 7) = 2.364624251592784 (scipy.stats.t.ppf).
    expect(s.halfWidth).toBeCloseTo((2.364624251592784 * Math.sqrt(32 / 7)) / Math.sqrt(8), 10);
  });

  it('uses t with n - 1 degrees of freedom: three seeds take t(0.975, 2) = 4.303', () => {
    const s = meanCi([10, 12, 17]);
    expect(s.mean).toBe(13);
    expect(s.sd).toBeCloseTo(Math.sqrt((9 + 1 + 16) / 2), 12);
    expect(s.halfWidth).toBeCloseTo((4.302652729749462 * s.sd) / Math.sqrt(3), 10);
  });

  it('leaves NaN out and has no interval below two values', () => {
    expect(meanCi([])).toMatchObject({ n: 0, mean: Number.NaN });
    const one = meanCi([3, Number.NaN]);
    expect(one.n).toBe(1);
    expect(one.mean).toBe(3);
    expect(one.sd).toBeNaN();
    expect(one.halfWidth).toBeNaN();
    expect(meanCi([4, 4, 4]).halfWidth).toBe(0);
  });

  it('takes the confidence level', () => {
    // t(0.95, 4) = 2.1318467863266495: a 90% interval.
    const s = meanCi([1, 2, 3, 4, 5], 0.9);
    expect(s.halfWidth).toBeCloseTo((2.1318467863266495 * Math.sqrt(2.5)) / Math.sqrt(5), 10);
  });
});

describe('aggregate.csv', () => {
  const rows = [
    row('a', 1, { p99_ms: 100, warm: 10, worker_seconds: 1.5 }),
    row('a', 2, { p99_ms: 110, warm: 12, worker_seconds: 1.5 }),
    row('a', 3, { p99_ms: 120, warm: 17, worker_seconds: 1.5 }),
    row('b', 1, { p99_ms: 'NaN', warm: 1 }),
    row('b', 2, { p99_ms: 50, warm: 3 }),
  ];

  it('has one row per policy set and metric, in order, with n, mean, sd and the 95% interval', () => {
    const out = aggregateRows(rows);
    expect(out.length).toBe(2 * AGGREGATE_METRICS.length);
    expect(out.map((r) => `${r.policy}/${r.metric}`)).toEqual([...AGGREGATE_METRICS.map((m) => `a/${m}`), ...AGGREGATE_METRICS.map((m) => `b/${m}`)]);
    const p99 = out.find((r) => r.policy === 'a' && r.metric === 'p99_ms')!;
    const half = (4.302652729749462 * 10) / Math.sqrt(3);
    expect(p99).toEqual({ policy: 'a', metric: 'p99_ms', n: 3, mean: 110, sd: 10, ci95_low: Math.round((110 - half) * 1000) / 1000, ci95_high: Math.round((110 + half) * 1000) / 1000, ci95_half_width: Math.round(half * 1000) / 1000 });
    const same = out.find((r) => r.policy === 'a' && r.metric === 'worker_seconds')!;
    expect(same).toMatchObject({ n: 3, mean: 1.5, sd: 0, ci95_low: 1.5, ci95_high: 1.5, ci95_half_width: 0 });
    // A percentile undefined for one seed counts out of n; one value has no interval.
    const b = out.find((r) => r.policy === 'b' && r.metric === 'p99_ms')!;
    expect(b).toEqual({ policy: 'b', metric: 'p99_ms', n: 1, mean: 50, sd: '', ci95_low: '', ci95_high: '', ci95_half_width: '' });
  });

  it('renders with the header', () => {
    const text = aggregateCsv(aggregateRows(rows));
    expect(text.split('\n')[0]).toBe(AGGREGATE_COLUMNS.join(','));
    const parsed = parse(text, { columns: true }) as Record<string, string>[];
    expect(parsed.find((r) => r.policy === 'a' && r.metric === 'warm')).toMatchObject({ n: '3', mean: '13' });
  });
});
