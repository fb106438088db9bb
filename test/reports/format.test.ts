import { describe, expect, it } from 'vitest';
import { formatCount, formatHours, formatMs, formatPercent, formatSlo } from '../../reports/format.ts';

describe('format', () => {
  it('shows latencies in the unit that reads best', () => {
    expect([0.4, 12, 999, 1000, 1900, 20_530, 90_000, 5_400_000, Number.NaN].map(formatMs)).toEqual(['0.4 ms', '12 ms', '999 ms', '1 s', '1.9 s', '20.5 s', '1.5 min', '1.5 h', '–']);
  });

  it('keeps small shares visible and counts grouped', () => {
    expect([0, 0.0004, 0.01, 0.123, 1].map(formatPercent)).toEqual(['0%', '0.04%', '1%', '12%', '100%']);
    expect(formatCount(51_765)).toBe('51,765');
  });

  it('shows seconds as hours with precision to fit', () => {
    expect([3600 * 24_000, 3600 * 12.34, 3600 * 5.2].map(formatHours)).toEqual(['24,000', '12.3', '5.2']);
  });

  it('writes an SLO on one line', () => {
    expect(formatSlo({ p99: 1000, overheadP99: 500, maxRejected: 0.01 })).toBe('p99 ≤ 1 s, overhead p99 ≤ 500 ms, rejected ≤ 1%');
    expect(formatSlo({ p50: 200, maxRejected: 0 })).toBe('p50 ≤ 200 ms, no rejections');
  });
});
