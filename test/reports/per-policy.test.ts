import { describe, expect, it } from 'vitest';
import { rowsPerPolicy, runsPerPolicy } from '../../reports/per-policy.ts';
import { replies, row, samples } from './fixtures.ts';

describe('rowsPerPolicy', () => {
  it('keeps one row per policy set as it is', () => {
    const rows = [row('a'), row('b')];
    expect(rowsPerPolicy(rows)).toEqual(rows);
  });

  it('averages the seeds of a policy set, in order of first appearance, leaving out NaN', () => {
    const rows = [
      row('a', { p99_ms: 100, gib_seconds: 10, seed: 1 }),
      row('b', { p99_ms: 5, seed: 1 }),
      row('a', { p99_ms: 300, gib_seconds: '30', seed: 2 }),
      row('a', { p99_ms: Number.NaN, gib_seconds: 20, seed: 3 }),
    ];
    const out = rowsPerPolicy(rows);
    expect(out.map((r) => r.policy)).toEqual(['a', 'b']);
    expect(out[0]!.p99_ms).toBe(200);
    expect(out[0]!.gib_seconds).toBe(20);
  });
});

describe('runsPerPolicy', () => {
  it('pools the replies of a policy set’s seeds after each one’s warm-up, with the first seed’s series', () => {
    const a1 = { policy: 'a', replies: replies(10, 1), samples: samples(5, 1, 1), warmupMs: 5000 };
    const a2 = { policy: 'a', replies: replies(10, 2), samples: samples(5, 2, 2), warmupMs: 5000 };
    const b = { policy: 'b', replies: replies(3, 3), samples: samples(5, 3, 3) };
    const out = runsPerPolicy([a1, b, a2]);
    expect(out.map((r) => r.policy)).toEqual(['a', 'b']);
    expect(out[0]!.replies).toHaveLength(10);
    expect(out[0]!.samples).toBe(a1.samples);
    expect(out[1]).toBe(b);
  });
});
