import { describe, expect, it } from 'vitest';
import { cdfSpec, coincidingLatencies, coincidingLines, costSpec, fidelityTimelineSpec, linearTimeTicks, markerHeights, timelineSpec } from '../../reports/charts.ts';
import { costModel } from '../../reports/cost.ts';
import { coincidingNote, drawnPolicies, renderHtmlReport } from '../../reports/html.ts';
import { recommend } from '../../reports/recommend.ts';
import type { ReportRun } from '../../reports/report-input.ts';
import { renderSvg } from '../../reports/vega-svg.ts';
import { input, replies, row } from './fixtures.ts';

function chart(html: string, key: string): string {
  const m = html.match(new RegExp(`<section class="chart" id="chart-${key}">([\\s\\S]*?)</section>`));
  expect(m, key).not.toBeNull();
  return m![1]!;
}

/** Every layer's data values and encodings of a spec, flattened (the spec's own structure varies by chart). */
function find(spec: unknown, pred: (o: Record<string, unknown>) => boolean, out: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (Array.isArray(spec)) for (const x of spec) find(x, pred, out);
  else if (spec !== null && typeof spec === 'object') {
    const o = spec as Record<string, unknown>;
    if (pred(o)) out.push(o);
    for (const v of Object.values(o)) find(v, pred, out);
  }
  return out;
}

describe('charts at scale (issue 14)', () => {
  it('render a report of 1,000 policy sets: every set in the cost chart, a dozen in the others', async () => {
    const given = input(1000, 40, { slo: { p99: 9000, maxRejected: 0 } });
    const html = await renderHtmlReport(given);
    // One point per set in each cost panel (front and off-front layers together).
    const cost = chart(html, 'cost');
    expect((cost.match(/<path/g) ?? []).length).toBeGreaterThanOrEqual(2000);
    expect(chart(html, 'cdf')).toContain('It shows 12 of the 1,000 policy sets');
    expect(chart(html, 'paths')).toContain('It shows 12 of the 1,000 policy sets');
    expect(chart(html, 'cost')).not.toContain('It shows 12');
  });

  it('build specs from series far longer than the call stack allows as arguments', () => {
    // 300,000 CDF points: Math.min(...all) threw RangeError here.
    const runs: ReportRun[] = Array.from({ length: 1500 }, (_, i) => ({ policy: `p${i}`, replies: replies(300, i + 1), samples: [] }));
    expect(() => cdfSpec(runs, runs.map((r) => r.policy), { p99: 5000, maxRejected: 0 }, 'policy set', undefined, { overhead: true })).not.toThrow();
    const points = Array.from({ length: 400_000 }, (_, i) => ({ timeMs: i * 1000, sim: i % 7, real: i % 5 }));
    const spec = fidelityTimelineSpec([{ policy: 'a', points }], 0);
    expect(find(spec, (o) => o.field === 'min' && o.scale !== undefined)[0]!.scale).toMatchObject({ domain: [0, (400_000 - 1) / 60] });
    const rows = Array.from({ length: 200_000 }, (_, i) => row(`s${i}`, { worker_seconds: 3600 * (1 + (i % 97)), p99_ms: 1000 + (i % 13) }));
    expect(() => costSpec(rows, rows.map((r) => String(r.policy)))).not.toThrow();
  });

  it('draws a long time series through the downsampler', async () => {
    const samples = Array.from({ length: 1_000_000 }, (_, i) => ({ timeMs: i * 1000, workers: 4 + (i % 3), resident: i % 11, parked: 0 }));
    const svg = await renderSvg(timelineSpec([{ policy: 'long', replies: [], samples }]), 't');
    expect(svg).toContain('<svg');
    expect(svg.length).toBeLessThan(200_000);
  });
});

describe('drawnPolicies', () => {
  it('keeps every set up to the limit, else the recommendation, the front, then the first', () => {
    const rows = [
      row('a', { worker_seconds: 50, p99_ms: 900 }),
      row('b', { worker_seconds: 10, p99_ms: 1000 }),
      row('c', { worker_seconds: 40, p99_ms: 500 }),
      row('d', { worker_seconds: 30, p99_ms: 2000 }),
      row('e', { worker_seconds: 60, p99_ms: 3000 }),
    ];
    const model = costModel();
    const rec = recommend(rows, { p99: 2500, maxRejected: 0 }, model);
    expect(rec.policy).toBe('b');
    expect(drawnPolicies(rows, rec, model, 5)).toEqual(['a', 'b', 'c', 'd', 'e']);
    // Front by worker-hours: b (10, 1 s), c (40, 0.5 s); then the first in order, a.
    expect(drawnPolicies(rows, rec, model, 3)).toEqual(['a', 'b', 'c']);
    expect(drawnPolicies(rows, rec, model, 2)).toEqual(['b', 'c']);
  });
});

describe('chart fixes (issue 16)', () => {
  it('gives each policy set its own dash pattern, and plots the overhead when asked', () => {
    const runs: ReportRun[] = ['a', 'b', 'c', 'd'].map((p, i) => ({ policy: p, replies: replies(500, i + 1), samples: [] }));
    const spec = cdfSpec(runs, ['a', 'b', 'c', 'd'], undefined, 'policy set', undefined, { overhead: true });
    const dashes = find(spec, (o) => o.field === 'policy' && (o.scale as { range?: unknown[] } | undefined)?.range?.every(Array.isArray) === true);
    const range = (dashes[0]!.scale as { range: number[][] }).range;
    expect(new Set(range.map((d) => d.join(','))).size).toBe(4);
    const titles = find(spec, (o) => typeof o.title === 'string' && o.width !== undefined).map((o) => o.title);
    expect(titles).toEqual(['All served invocations', 'The tail, from p90', 'Overhead: all served invocations', 'Overhead: the tail, from p90']);
  });

  it('ends the tail panel at the deepest percentile shown, not at a lone slowest invocation', () => {
    const rs = replies(1000, 3, 50, 2000);
    // One invocation 100 times slower than the rest: the maximum, at 1 - F = 0, off the top of the panel.
    const last = rs[rs.length - 1]!;
    rs[rs.length - 1] = { ...last, endMs: last.arrivalMs + 200_000 };
    const spec = cdfSpec([{ policy: 'a', replies: rs, samples: [] }], ['a']);
    const domains = find(spec, (o) => o.field === 'ms' && o.scale !== undefined).map((o) => (o.scale as { domain: number[] }).domain);
    const tail = domains[1]!;
    expect(tail[1]).toBeLessThan(2000 * 1.2);
    expect(domains[0]![1]).toBeGreaterThanOrEqual(200_000);
  });

  it('starts a linear p99 axis at zero, so 0.05 s over 20 s does not fill the chart', () => {
    const rows = [row('a', { worker_seconds: 3600 * 500, p99_ms: 20_450 }), row('b', { worker_seconds: 3600 * 600, p99_ms: 20_500 })];
    const spec = costSpec(rows, ['a', 'b'], undefined, 'a');
    const y = find(spec, (o) => o.field === 'p99' && o.scale !== undefined)[0]!;
    expect((y.scale as { domain: number[]; type: string }).type).toBe('linear');
    expect((y.scale as { domain: number[] }).domain[0]).toBe(0);
  });

  it('ticks a linear p99 axis at round durations (1 min, not 1.66667 min)', () => {
    // azure-like: every set's p99 is 5.2 min.
    const rows = [row('a', { worker_seconds: 3600 * 884, p99_ms: 312_000 }), row('b', { worker_seconds: 3600 * 884, p99_ms: 312_500 })];
    const y = find(costSpec(rows, ['a', 'b']), (o) => o.field === 'p99' && o.scale !== undefined)[0]!;
    expect((y.axis as { values: number[] }).values).toEqual([0, 60_000, 120_000, 180_000, 240_000, 300_000]);
    expect((y.axis as { labelExpr: string }).labelExpr).toMatch(/^datum\.value == 0 \? '0' : /);
    // The linear cost axis labels zero "0", not "0k" as a shared SI prefix made it.
    const x = find(costSpec(rows, ['a', 'b']), (o) => o.field === 'cost' && o.scale !== undefined)[0]!;
    expect((x.axis as { labelExpr: string }).labelExpr).toContain("datum.value == 0 ? '0'");
    expect(linearTimeTicks(20_500 * 1.1)).toEqual([0, 5000, 10_000, 15_000, 20_000]);
    expect(linearTimeTicks(900)).toEqual([0, 200, 400, 600, 800]);
    for (const hi of [3, 47, 1234, 99_999, 7_654_321]) expect(linearTimeTicks(hi).length, String(hi)).toBeLessThanOrEqual(7);
  });

  it('draws off-front sets as small pale dots and names the recommendation, even off the front', async () => {
    const rows = [
      row('front-cheap', { worker_seconds: 3600 * 10, p99_ms: 9000 }),
      row('front-fast', { worker_seconds: 3600 * 100, p99_ms: 1000 }),
      row('off-front', { worker_seconds: 3600 * 50, p99_ms: 9500 }),
    ];
    const svg = await renderSvg(costSpec(rows, rows.map((r) => String(r.policy)), undefined, 'off-front'), 'c');
    expect(svg).toContain('recommended: off-front');
    const pale = find(costSpec(rows, rows.map((r) => String(r.policy))), (o) => (o.mark as { type?: string } | undefined)?.type === 'circle');
    expect(pale).toHaveLength(2);
    expect((pale[0]!.mark as { opacity: number }).opacity).toBeLessThan(0.5);
    expect(find(costSpec(rows, rows.map((r) => String(r.policy))), (o) => (o.mark as { filled?: boolean } | undefined)?.filled === false)).toHaveLength(0);
  });
});

describe('coinciding CDF lines (issue 16: one of four policy sets was invisible)', () => {
  // Three sets: a and c with the same latencies (the agent's work dominates), b clearly slower.
  const same = replies(2000, 7);
  const slower = same.map((r) => ({ ...r, endMs: r.arrivalMs + (r.endMs - r.arrivalMs) * 1.5 }));
  const runs: ReportRun[] = [
    { policy: 'a', replies: same, samples: [] },
    { policy: 'b', replies: slower, samples: [] },
    { policy: 'c', replies: same.map((r) => ({ ...r })), samples: [] },
  ];

  it('finds lines closer than a few px everywhere, and only those', () => {
    const line = (k: number) => Array.from({ length: 50 }, (_, i) => ({ ms: 10 * 1.2 ** i * k, y: i / 49 }));
    // 1,000x over 485 px: 1% apart is under a px, 10% is about 7 px.
    const groups = coincidingLines([{ policy: 'x', line: line(1) }, { policy: 'y', line: line(1.1) }, { policy: 'z', line: line(1.01) }], [10, 10_000], 485, 0.01, 0.99);
    expect(groups).toEqual([['x', 'z']]);
    expect(coincidingLines([{ policy: 'x', line: line(1) }, { policy: 'y', line: line(1.1) }], [10, 10_000], 485, 0.01, 0.99)).toEqual([]);
    expect(coincidingLatencies(runs)).toEqual({ whole: [['a', 'c']], tail: [['a', 'c']], sets: 3 });
  });

  it('puts markers of each set’s own shape on its line, at heights no other set uses', () => {
    const spec = cdfSpec(runs, ['a', 'b', 'c'], undefined, 'policy set', undefined, { overhead: true });
    const shapes = find(spec, (o) => o.field === 'policy' && (o.scale as { range?: unknown[] } | undefined)?.range?.every((x) => typeof x === 'string' && !x.startsWith('#')) === true);
    expect(new Set((shapes[0]!.scale as { range: string[] }).range).size).toBe(3);
    const markerLayers = find(spec, (o) => (o.mark as { type?: string } | undefined)?.type === 'point');
    // Whole and tail panels, latency and overhead rows.
    expect(markerLayers).toHaveLength(4);
    const top = (markerLayers[0]!.data as { values: { policy: string; fraction: number }[] }).values;
    for (const p of ['a', 'b', 'c']) expect(top.filter((m) => m.policy === p).length, p).toBeGreaterThanOrEqual(3);
    // a and c coincide: their markers must not sit on one another.
    const heights = (p: string) => top.filter((m) => m.policy === p).map((m) => m.fraction);
    for (const h of heights('a')) for (const k of heights('c')) expect(Math.abs(h - k)).toBeGreaterThan(0.05);
    expect(markerHeights(0, 3, 4, 0, 1)).toEqual([1 / 24, 7 / 24, 13 / 24, 19 / 24].map((x) => expect.closeTo(x, 12)));
  });

  it('names the coinciding sets under the chart and draws their markers', async () => {
    expect(coincidingNote({ whole: [['a', 'c']], tail: [['a', 'b', 'c']], sets: 4 })).toBe(
      " Latency lines that lie on one another (told apart by their markers, each set's at its own heights): a and c in the whole distribution; these two and b in the tail.",
    );
    expect(coincidingNote({ whole: [], tail: [['a', 'b', 'c']], sets: 3 })).toContain(': all 3 sets in the tail.');
    expect(coincidingNote({ whole: [], tail: [], sets: 3 })).toBe('');
    const html = await renderHtmlReport({ scenario: { name: 's', description: '' }, seeds: [1], rows: runs.map((r) => row(r.policy)), runs });
    const cdf = chart(html, 'cdf');
    expect(cdf).toContain('a and c in the whole distribution');
    expect(cdf).toMatch(/<g class="mark-symbol role-mark/);
  });
});

