import { describe, expect, it } from 'vitest';
import { cdfSpec, costSpec, pathsSpec, timelineSpec } from '../../reports/charts.ts';
import { renderHtmlReport } from '../../reports/html.ts';
import type { ReportInput } from '../../reports/report-input.ts';
import { renderSvg } from '../../reports/vega-svg.ts';
import { input } from './fixtures.ts';

/** The inline SVG of one chart section. */
function chart(html: string, key: string): string {
  const m = new RegExp(`<section class="chart" id="chart-${key}">([\\s\\S]*?)</section>`).exec(html);
  expect(m, `section chart-${key}`).not.toBeNull();
  return m![1]!;
}

/** Paths drawn inside mark groups of a kind (data marks, not axes or legends). */
function marks(svg: string, kind: string): number {
  let n = 0;
  for (const m of svg.matchAll(new RegExp(`<g class="mark-${kind} role-mark[^"]*"[^>]*>((?:<path[^>]*/>)+)`, 'g'))) n += (m[1]!.match(/<path/g) ?? []).length;
  return n;
}

async function check(given: ReportInput): Promise<string> {
  const html = await renderHtmlReport(given);
  const k = new Set(given.rows.map((r) => r.policy)).size;
  for (const key of ['cdf', 'cost', 'timeline', 'paths']) expect((chart(html, key).match(/<svg/g) ?? []).length, key).toBe(1);
  expect((html.match(/<svg/g) ?? []).length).toBe(4);
  // One line per policy set in each CDF panel (four); a point per set in each cost panel; per set, the resident area (with its
  // outline, a line) and the workers' line; a bar segment per path and set.
  // Four CDF panels: latency and overhead, each whole and tail.
  expect(marks(chart(html, 'cdf'), 'line')).toBe(4 * k);
  expect(marks(chart(html, 'cost'), 'symbol')).toBeGreaterThanOrEqual(2 * k);
  expect(marks(chart(html, 'timeline'), 'area')).toBe(k);
  expect(marks(chart(html, 'timeline'), 'line')).toBe(2 * k);
  expect(marks(chart(html, 'paths'), 'rect')).toBe(6 * k);
  return html;
}

describe('renderHtmlReport', () => {
  it('renders every chart for one policy set and a single seed', async () => {
    const html = await check(input(1));
    expect(html).toContain('<dt>Seed</dt><dd>1</dd>');
    expect(html).toContain('No SLO was given');
  });

  it('renders every chart for six policy sets, with the recommendation highlighted', async () => {
    const html = await check(input(6, 2000, { slo: { p99: 9000, maxRejected: 0 } }));
    // policy-3 is the cheapest with p99 ≤ 9 s (policy-2 rejects); see the fixture's costs and latencies.
    expect(html).toMatch(/class="rec rec-meets"[\s\S]*<p class="rec-policy">policy-3-ttl<\/p>/);
    expect(html).toMatch(/<tr class="row-rec"><th scope="row"><span class="policy">policy-3-ttl<\/span>/);
    expect(html).toContain('class="miss"');
    expect((html.match(/<tbody>[\s\S]*?<\/tbody>/)![0].match(/<tr/g) ?? []).length).toBe(6);
  });

  it('shows warm as the terminal does, a share, with the count under it', async () => {
    const html = await renderHtmlReport(input(3, 1000));
    expect(html).toMatch(/<tr><th scope="row"><span class="policy">policy-0-ttl<\/span>.*<td>50%<span class="sub">500<\/span><\/td>/);
    expect(html).toContain('title="share of invocations that found their actor resident (count below)">warm</th>');
  });

  it('names the closest when none meets the SLO', async () => {
    const html = await check(input(3, 500, { slo: { p99: 100, maxRejected: 0 } }));
    expect(html).toContain('class="rec rec-none"');
    expect(html).toContain('<tr class="row-closest">');
  });

  it('averages several seeds per policy set', async () => {
    const one = input(3, 500);
    const two = input(3, 500);
    const given: ReportInput = { ...one, seeds: [1, 2], rows: [...one.rows, ...two.rows], runs: [...one.runs, ...two.runs] };
    const html = await check(given);
    expect(html).toContain('<dt>Seeds</dt><dd>1, 2 (figures are means over seeds)</dd>');
  });

  it('is self-contained: no scripts, no external styles, fonts, images or links', async () => {
    const html = await renderHtmlReport(input(4, 500, { slo: { p99: 9000, maxRejected: 0.05 } }));
    expect(html).not.toMatch(/<script|<link|<iframe|<img|@import|@font-face/i);
    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?\/\//i);
    expect(html).not.toMatch(/url\(\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?\/\//i);
    // The only absolute URLs are SVG namespace names, which browsers never fetch.
    const urls = [...html.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((m) => m[0]);
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg', 'http://www.w3.org/1999/xlink']));
  });

  it('keeps element ids unique across its charts, so one chart’s clip paths cannot clip another', async () => {
    const html = await renderHtmlReport(input(4, 500));
    const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(4);
    expect(new Set(ids).size).toBe(ids.length);
    for (const m of html.matchAll(/url\(#([^)]+)\)/g)) expect(ids).toContain(m[1]);
  });

  it('escapes text from the scenario and the policy names', async () => {
    const html = await renderHtmlReport(input(1));
    expect(html).toContain('A fixture &#38; &#60;its&#62; &#34;description&#34;');
    expect(html).not.toContain('<its>');
  });

  it('stays small for 200k invocations', async () => {
    const html = await renderHtmlReport(input(2, 200_000));
    expect(html.length).toBeLessThan(400_000);
  });

  it('builds chart specs that Vega-Lite and Vega render without a warning', async () => {
    for (const k of [1, 6, 12]) {
      const given = input(k, 300, { slo: { p50: 1000, p99: 9000, maxRejected: 0 } });
      const policies = given.rows.map((r) => String(r.policy));
      const warnings: string[] = [];
      for (const spec of [cdfSpec(given.runs, policies, given.slo), costSpec(given.rows, policies, given.slo, policies[0]), timelineSpec(given.runs), pathsSpec(given.rows)]) {
        await renderSvg(spec, 'x', warnings);
      }
      expect(warnings, `${k} policy sets`).toEqual([]);
    }
  });
});
