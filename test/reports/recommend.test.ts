import { describe, expect, it } from 'vitest';
import { checkSlo, recommend } from '../../reports/recommend.ts';
import { row } from './fixtures.ts';

describe('recommend', () => {
  it('names the cheapest policy set by GiB-seconds among those meeting the SLO', () => {
    const rows = [
      row('fast-expensive', { p99_ms: 500, gib_seconds: 900 }),
      row('cheap-slow', { p99_ms: 1500, gib_seconds: 100 }),
      row('middle', { p99_ms: 900, gib_seconds: 300 }),
    ];
    const rec = recommend(rows, { p99: 1000, maxRejected: 0 });
    expect(rec.kind).toBe('meets');
    expect(rec.policy).toBe('middle');
    expect(rec.meeting).toEqual(['middle', 'fast-expensive']);
    expect(rec.closest).toBeUndefined();
    expect(rec.reason).toMatch(/^middle is the cheapest policy set that meets the SLO: .*p99 900 ms vs 1 s goal/);
    expect(rec.reason).toContain('2 of 3 policy sets meet it');
  });

  it('breaks a GiB-seconds tie by worker-seconds, then by name', () => {
    const slo = { p99: 1000, maxRejected: 0 };
    expect(recommend([row('b', { gib_seconds: 100, worker_seconds: 50 }), row('a', { gib_seconds: 100, worker_seconds: 60 })], slo).policy).toBe('b');
    expect(recommend([row('b', { gib_seconds: 100, worker_seconds: 50 }), row('a', { gib_seconds: 100, worker_seconds: 50 })], slo).policy).toBe('a');
  });

  it('checks every latency the SLO sets, and only those', () => {
    const r = row('x', { p50_ms: 100, p90_ms: 400, p99_ms: 800, overhead_p99_ms: 300 });
    expect(checkSlo(r, { p99: 1000, maxRejected: 0 }).map((c) => c.metric)).toEqual(['p99', 'rejected']);
    expect(recommend([r], { p50: 200, p90: 500, p99: 1000, overheadP99: 300, maxRejected: 0 }).kind).toBe('meets');
    expect(recommend([r], { p90: 300, maxRejected: 0 }).kind).toBe('none');
    expect(recommend([r], { overheadP99: 299, maxRejected: 0 }).kind).toBe('none');
  });

  it('counts rejections against the allowed share, the limit itself allowed', () => {
    const rows = [row('cheap-rejecting', { gib_seconds: 10, rejected: 20, served: 980 }), row('dear', { gib_seconds: 99 })];
    expect(recommend(rows, { p99: 1000, maxRejected: 0.01 }).policy).toBe('dear');
    expect(recommend(rows, { p99: 1000, maxRejected: 0.02 }).policy).toBe('cheap-rejecting');
    expect(recommend(rows, { maxRejected: 0 }).policy).toBe('dear');
    expect(recommend([row('one-rejected', { rejected: 1, served: 999 })], { maxRejected: 0 }).kind).toBe('none');
  });

  it('says none meets it and names the one whose worst miss is smallest relative to its goal', () => {
    const rows = [
      // p99 1.9 s against 1 s: 90% over.
      row('near', { p99_ms: 1900, gib_seconds: 500 }),
      // p50 0.5 s against 0.2 s: 150% over, although its p99 meets the goal.
      row('far', { p50_ms: 500, p99_ms: 900, gib_seconds: 100 }),
    ];
    const rec = recommend(rows, { p50: 200, p99: 1000, maxRejected: 0 });
    expect(rec.kind).toBe('none');
    expect(rec.policy).toBe('near');
    expect(rec.meeting).toEqual([]);
    expect(rec.reason).toBe('No policy set meets the SLO; the closest is near (p99 1.9 s vs 1 s goal).');
    expect(rec.closest?.policy).toBe('near');
    expect(rec.closest?.worstExcess).toBeCloseTo(0.9);
    expect(rec.closest?.missed.map((m) => m.metric)).toEqual(['p99']);
  });

  it('lists every missed constraint of the closest, worst first', () => {
    const rec = recommend([row('x', { p99_ms: 1500, rejected: 50, served: 950 })], { p99: 1000, maxRejected: 0.01 });
    expect(rec.reason).toBe('No policy set meets the SLO; the closest is x (rejected 5% vs 1% allowed, p99 1.5 s vs 1 s goal).');
  });

  it('when all miss a no-rejection goal, the one rejecting least is closest, then the cheaper', () => {
    const rows = [
      row('many', { rejected: 30, served: 970, gib_seconds: 1 }),
      row('few', { rejected: 2, served: 998, gib_seconds: 50 }),
      row('few-dear', { rejected: 2, served: 998, gib_seconds: 60 }),
    ];
    const rec = recommend(rows, { p99: 1000, maxRejected: 0 });
    expect(rec.kind).toBe('none');
    expect(rec.policy).toBe('few');
    expect(rec.closest?.worstExcess).toBe(Number.POSITIVE_INFINITY);
  });

  it('never recommends a policy set that served nothing', () => {
    const rows = [row('served-nothing', { served: 0, rejected: 1000, p50_ms: Number.NaN, p90_ms: Number.NaN, p99_ms: Number.NaN, gib_seconds: 1 }), row('slow', { p99_ms: 5000 })];
    const rec = recommend(rows, { p99: 1000, maxRejected: 1 });
    expect(rec.kind).toBe('none');
    expect(rec.policy).toBe('slow');
  });

  it('reads rows whose cells are strings, as read back from summary.csv', () => {
    const rows = [row('a', { p99_ms: '800', gib_seconds: '200' }), row('b', { p99_ms: '700', gib_seconds: '100' })];
    expect(recommend(rows, { p99: 1000, maxRejected: 0 }).policy).toBe('b');
  });

  it('has nothing to recommend from no rows', () => {
    const rec = recommend([], { p99: 1000, maxRejected: 0 });
    expect(rec.kind).toBe('none');
    expect(rec.policy).toBe('');
  });
});
