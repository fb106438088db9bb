import { describe, expect, it } from 'vitest';
import { downsampleSamples, latencyCdf } from '../../reports/chart-data.ts';
import { percentile } from '../../reports/summary.ts';
import { replies, samples } from './fixtures.ts';

describe('latencyCdf', () => {
  const rs = replies(200_000, 3, 20, 60_000, 100);
  const served = rs.filter((r) => r.outcome === 'served').map((r) => r.endMs - r.arrivalMs).sort((a, b) => a - b);

  it('cuts 200k invocations down to about 200 points over served ones only', () => {
    const cdf = latencyCdf(rs, 0, 200);
    expect(cdf.served).toBe(served.length);
    expect(cdf.points.length).toBeGreaterThan(100);
    expect(cdf.points.length).toBeLessThanOrEqual(221);
  });

  it('rises monotonically to the maximum at 1, and holds the nearest-rank p99 and p99.9', () => {
    const { points } = latencyCdf(rs, 0, 200);
    for (let i = 1; i < points.length; i++) {
      expect(points[i]!.latencyMs).toBeGreaterThanOrEqual(points[i - 1]!.latencyMs);
      expect(points[i]!.fraction).toBeGreaterThan(points[i - 1]!.fraction);
    }
    expect(points.at(-1)).toEqual({ latencyMs: served.at(-1), fraction: 1 });
    for (const q of [0.99, 0.999]) {
      expect(points).toContainEqual({ latencyMs: percentile(served, q), fraction: Math.ceil(q * served.length) / served.length });
    }
  });

  it('leaves out replies arriving in the warm-up and clamps latencies to the log axis floor', () => {
    const few = replies(100, 1, 0.01, 10);
    const cdf = latencyCdf(few, 50_000, 200, 1);
    expect(cdf.served).toBe(50);
    expect(Math.min(...cdf.points.map((p) => p.latencyMs))).toBeGreaterThanOrEqual(1);
    expect(latencyCdf([], 0)).toEqual({ served: 0, points: [] });
  });
});

describe('downsampleSamples', () => {
  it('keeps short series as they are', () => {
    const s = samples(100, 5, 1);
    expect(downsampleSamples(s, 360)).toEqual(s);
  });

  it('cuts long series to at most the asked points, keeping peaks', () => {
    const s = samples(1440, 5, 1).map((x, i) => (i === 777 ? { ...x, workers: 99 } : x));
    const d = downsampleSamples(s, 300);
    expect(d.length).toBeLessThanOrEqual(300);
    expect(Math.max(...d.map((x) => x.workers))).toBe(99);
    expect(Math.max(...d.map((x) => x.resident))).toBe(Math.max(...s.map((x) => x.resident)));
    expect(d[0]!.timeMs).toBe(0);
  });
});
