import { describe, expect, it } from 'vitest';
import { renderMarkdownSummary } from '../../reports/markdown.ts';
import { input, row } from './fixtures.ts';

describe('renderMarkdownSummary', () => {
  it('has the recommendation, the table, the Pareto front and a line per chart', () => {
    const md = renderMarkdownSummary(input(3, 1000, { slo: { p99: 11_000, maxRejected: 0.05 } }));
    expect(md).toMatch(/^# fixture-3\n\nA fixture & &lt;its> "description"\n/);
    expect(md).toContain('SLO: p99 ≤ 11 s, rejected ≤ 5%.');
    expect(md).toMatch(/\*\*Recommended: `policy-1-immediate`\*\*, the cheapest policy set that meets the SLO: 80 worker-h, 140 GiB-h, p99 10\.4 s vs 11 s goal, 0% rejected \(2 of 3 policy sets meet it\)\.\n/);
    expect(md).toContain('| `policy-0-ttl` | 1,000 | 0 | 100 ms |');
    expect(md).toContain('| policy set | served | rejected | p50 | p90 | p99 | overhead p99 | worker-h | GiB-h | peak workers | warm | resumed | golden / cold |');
    expect(md).toContain('| :-- | --: |');
    expect(md).toContain('| `policy-2-hybrid` | 980 | 20 (2%) | 100 ms | 300 ms | 9.23 s |');
    expect(md).toMatch(/## Pareto front \(worker-hours against p99\)\n\n.*\n\n1\. `policy-0-ttl`: 50 worker-h, 100 GiB-h, p99 12 s\n2\. `policy-1-immediate`: 80 worker-h, 140 GiB-h, p99 10\.4 s\n3\. `policy-2-hybrid`: 110 worker-h, 260 GiB-h, p99 9\.23 s\n/);
    // The line the terminal ends with, and how cost is counted.
    expect(md).toContain('Recommended: policy-1-immediate meets p99 ≤ 11 s, rejected ≤ 5% at 80 worker-hours (140 GiB-hours).');
    expect(md).toContain('Cost is worker-hours, ties broken by GiB-hours');
    // warm: a share as in the terminal, its count beside it.
    expect(md).toMatch(/\| `policy-0-ttl` \|.*\| 50% \(500\) \|/);
    expect(md).toContain('warm is the share of invocations that found their actor resident (the count in brackets)');
    expect(md.match(/^- \*\*/gm)).toHaveLength(4);
    expect(md).toContain('- **Latency distribution.**');
  });

  it('says when there is no SLO and when none meets it', () => {
    expect(renderMarkdownSummary(input(1))).toContain('No SLO given, so nothing is recommended: pass --slo');
    expect(renderMarkdownSummary(input(2, 100, { slo: { p99: 1, maxRejected: 0 } }))).toMatch(/\*\*No policy set meets the SLO\.\*\* The closest is `policy-1-immediate`\. It misses by the least: p99 10\.4 s vs 1 ms goal\./);
  });

  it('keeps a pipe in a policy name from breaking the table', () => {
    const md = renderMarkdownSummary({ scenario: { name: 's', description: '' }, seeds: [1], rows: [row('a|b')], runs: [] });
    expect(md).toContain('| `a\\|b` |');
  });
});
