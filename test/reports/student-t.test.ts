import { describe, expect, it } from 'vitest';
import { studentTQuantile } from '../../reports/student-t.ts';

// Reference values: scipy.stats.t.ppf (the same as R's qt), to 12+ digits.
const REFERENCE: [p: number, df: number, t: number][] = [
  [0.975, 1, 12.706204736174694],
  [0.975, 2, 4.302652729749462],
  [0.975, 3, 3.1824463052837078],
  [0.975, 4, 2.7764451051977934],
  [0.975, 5, 2.5705818356363146],
  [0.975, 9, 2.262157162798205],
  [0.975, 29, 2.045229642132703],
  [0.975, 30, 2.0422724563012378],
  [0.975, 100, 1.9839715185235518],
  [0.975, 1e6, 1.959966356814107],
  [0.975, 2.5, 3.5746548420036817],
  [0.95, 10, 1.8124611228116756],
  [0.995, 5, 4.032142983555228],
  [0.999, 3, 10.214531852407383],
  [0.9, 1, 3.0776835371752544],
];

describe('studentTQuantile', () => {
  it('matches published quantiles, t(0.975, 4) = 2.776 among them', () => {
    expect(studentTQuantile(0.975, 4).toFixed(3)).toBe('2.776');
    for (const [p, df, t] of REFERENCE) expect(studentTQuantile(p, df), `t(${p}, ${df})`).toBeCloseTo(t, 9);
  });

  it('is antisymmetric about the median and increasing in p', () => {
    expect(studentTQuantile(0.5, 7)).toBe(0);
    for (const df of [1, 2, 3, 8]) expect(studentTQuantile(0.025, df)).toBeCloseTo(-studentTQuantile(0.975, df), 12);
    let last = -Infinity;
    for (let p = 0.01; p < 1; p += 0.01) {
      const t = studentTQuantile(p, 6);
      expect(t).toBeGreaterThan(last);
      last = t;
    }
  });

  it('refuses p outside (0, 1) and df <= 0', () => {
    for (const [p, df] of [[0, 3], [1, 3], [Number.NaN, 3], [0.9, 0], [0.9, -1], [0.9, Number.NaN]] as const) {
      expect(() => studentTQuantile(p, df)).toThrow(RangeError);
    }
  });
});
