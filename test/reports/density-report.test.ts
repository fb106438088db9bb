import { describe, expect, it } from 'vitest';
import { renderHtmlReport } from '../../reports/html.ts';
import { renderMarkdownSummary } from '../../reports/markdown.ts';
import type { SummaryRow } from '../../reports/summary.ts';
import { input } from './fixtures.ts';

/** The fixture's rows with the density cells summaries() writes for a 2-node cluster without cpu. */
function withDensity(rows: readonly SummaryRow[]): SummaryRow[] {
  return rows.map((r, i) => ({ ...r, nodes: 2, node_vcpus: '', node_gib: 64, peak_active_per_node: 20 + i, mean_active_per_node: 5, peak_active_per_vcpu: '', mean_active_per_vcpu: '', peak_active_per_gib: 0.625, mean_active_per_gib: 0.043, peak_actors_per_pod: 4, mean_actors_per_pod: 1.24, peak_active_per_measured_gib: '', mean_active_per_measured_gib: '' }) as SummaryRow);
}

describe('density in summary.md and report.html', () => {
  const base = input(2, 1000);
  const given = { ...base, rows: withDensity(base.rows) };

  it('summary.md has a density table, peak / mean, without the columns no row has', () => {
    const md = renderMarkdownSummary(given);
    expect(md).toContain('## Density\n\n| policy set | actors per node | per GiB | actors per pod |\n| :-- | --: | --: | --: |\n| `policy-0-ttl` | 20 / 5 | 0.63 / 0.043 | 4 / 1.24 |');
    expect(md).not.toContain('per vCPU |');
  });

  it('report.html has the same table', async () => {
    const html = await renderHtmlReport(given);
    expect(html).toContain('<section id="density">');
    expect(html).toMatch(/<th scope="row"><span class="policy">policy-1-immediate<\/span><\/th><td>21 \/ 5<\/td><td>0\.63 \/ 0\.043<\/td><td>4 \/ 1\.24<\/td><\/tr>/);
  });

  it('neither has one when no row has a density (no cluster nodes, no pods)', async () => {
    const none = { ...base, rows: base.rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, /_per_|^node/.test(k) ? '' : v])) as SummaryRow) };
    expect(renderMarkdownSummary(none)).not.toContain('## Density');
    expect(await renderHtmlReport(none)).not.toContain('id="density"');
  });
});
