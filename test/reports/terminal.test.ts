import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../scenarios/load.ts';
import { repoFile } from '../../cli/repo.ts';
import { summaryTable, TERMINAL_WIDTH } from '../../reports/terminal.ts';
import type { SummaryRow } from '../../reports/summary.ts';

/** A row as wide as the default day's widest: counts in the tens of thousands, seconds, shares. */
function row(policy: string, seed = 1): SummaryRow {
  return {
    policy, seed, invocations: 51765, served: 51765, rejected: 0, p50_ms: 2010, p90_ms: 7217, p99_ms: 20454, overhead_p99_ms: 8163.9,
    warm: 40452, worker_seconds: 172_800_000, gib_seconds: 86_400_000, peak_workers: 2000, mean_actors_per_pod: 0.993,
  } as unknown as SummaryRow;
}

describe('summaryTable (the terminal table)', () => {
  const scenarios = readdirSync(repoFile('scenarios')).filter((f) => f.endsWith('.yaml'));
  it.each(scenarios)('fits %s in 100 columns', (file) => {
    const s = loadScenarioFile(repoFile('scenarios', file));
    const text = summaryTable(s.policies.map((p) => row(p.name)), s.slo);
    for (const line of text.split('\n')) expect([...line].length, line).toBeLessThanOrEqual(TERMINAL_WIDTH);
  });

  it('prints counts with thousands separators and warm as a share, as report.html does', () => {
    const text = summaryTable([row('always-on')], { p99: 25_000, maxRejected: 0 });
    expect(text).toMatch(/always-on +0 +20\.5 s +8\.16 s +78% +48,000 +24,000 +2,000 +0\.99\n/);
    expect(text).not.toContain('40452');
  });

  it('shows the percentiles the SLO sets (p99 when it sets none) and, over seeds, ± only where it is not zero', () => {
    expect(summaryTable([row('a')], { p50: 900, maxRejected: 0 }).split('\n')[1]).toMatch(/ p50 +p99 +warm/);
    const two = summaryTable([row('a', 1), { ...row('a', 2), p99_ms: 22454 } as SummaryRow]);
    expect(two).toMatch(/a +0 +21\.5 s ± 12\.7 s +8\.16 s +78%/);
  });
});
