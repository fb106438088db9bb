import { describe, expect, it } from 'vitest';
import type { Reply } from '../../core/types.ts';
import { FIDELITY_SOURCES, cdfSpec, fidelityTimelineSpec } from '../../reports/charts.ts';
import { renderFidelityHtml, repliesFromCsv } from '../../fidelity/html.ts';
import type { FidelityRow } from '../../fidelity/compare.ts';
import { pairSeries } from '../../fidelity/series.ts';
import { renderSvg } from '../../reports/vega-svg.ts';

function reply(i: number, latencyMs: number): Reply {
  return {
    invocation: i,
    actor: `a${i % 5}`,
    outcome: 'served',
    reason: '',
    path: 'warm',
    arrivalMs: i * 100,
    startMs: i * 100,
    endMs: i * 100 + latencyMs,
    parts: { parkedMs: 0, workerStartMs: 0, restoreMs: 0, execMs: latencyMs, queuedMs: 0 },
    attempts: 1,
  };
}

const row = (metric: string, sim: number, real: number, relError: number, target?: number): FidelityRow => ({
  policy: 'pool-a',
  metric,
  sim,
  real,
  relError,
  target,
  met: target === undefined ? undefined : Math.abs(relError) <= target,
});

describe('fidelity report.html', () => {
  it('renders its charts without a Vega warning', async () => {
    const warnings: string[] = [];
    const points = Array.from({ length: 40 }, (_, k) => ({ timeMs: -10_000 + k * 5000, sim: k % 7, real: (k + 1) % 7 }));
    await renderSvg(fidelityTimelineSpec([{ policy: 'a', points }, { policy: 'b', points }], 30_000), 't', warnings);
    const runs = FIDELITY_SOURCES.domain.map((policy, j) => ({ policy, replies: Array.from({ length: 300 }, (_, i) => reply(i, 50 + ((i * 37 + j * 11) % 900))), samples: [] }));
    await renderSvg(cdfSpec(runs, FIDELITY_SOURCES.domain, undefined, 'run', FIDELITY_SOURCES.range), 'c', warnings);
    expect(warnings).toEqual([]);
  });

  it('carries every row with its flag, marks a miss, and says how many targeted cells are within target', async () => {
    const rows = [row('invocations', 120, 120, 0), row('p50_ms', 500, 520, -20 / 520, 0.1), row('warm', 80, 100, -0.2, 0.05), row('resident_over_time', 10.5, 10, 0.08)];
    const series = new Map([['pool-a', pairSeries([{ timeMs: 0, workers: 2, resident: 1, parked: 0 }], [{ timeMs: 3, workers: 2, resident: 1, parked: 0 }], 1000)]]);
    const outcomes = new Map([['pool-a', { sim: Array.from({ length: 120 }, (_, i) => reply(i, 400 + i)), real: Array.from({ length: 120 }, (_, i) => reply(i, 420 + i)) }]]);
    const html = await renderFidelityHtml({
      rows,
      primitives: [],
      series,
      outcomes,
      runWarmupMs: 0,
      context: { scenario: 'scn', scenarioFile: '/s.yaml', profile: '/p.yaml', seed: 3, speedup: 4, startMs: 0, durationMs: 60_000, warmupMs: 0, invocations: 120, actors: 5, snapshotMiB: { t: 8 }, snapshotAsMemory: true, simWallMs: 10, realWallMs: 15_000 },
    });
    expect(html).toContain('1 of 2</p>');
    const trs = [...html.matchAll(/<tr data-metric="([^"]+)">(.*?)<\/tr>/g)].map((m) => [m[1], m[2]!] as const);
    expect(trs.map(([m]) => m)).toEqual(['invocations', 'p50_ms', 'warm', 'resident_over_time']);
    const tr = new Map(trs);
    expect(tr.get('p50_ms')).toContain('<td>500 ms</td><td>520 ms</td><td>−3.8%</td><td>±10%</td>');
    expect(tr.get('p50_ms')).toContain('badge-meets');
    expect(tr.get('warm')).toContain('<td class="miss">−20%</td>');
    expect(tr.get('warm')).toContain('badge-miss');
    expect(tr.get('resident_over_time')).toContain('8%<span class="sub">mean abs.</span>');
    expect(tr.get('invocations')).not.toContain('badge');
    // 120 served: p99 is not the maximum, so no warning about it.
    expect(html).not.toContain('is its maximum');
    expect(html.match(/<svg/g)?.length).toBe(2);
    // The overhead CDFs of both runs, under the latency ones, and the rule of "within target".
    expect(html).toContain('Overhead: all served invocations');
    expect(html).toContain('id="fidelity-rule"');
  });

  it('reads invocations.csv rows back as replies', () => {
    const [r] = repliesFromCsv([
      { policy: 'p', invocation: '4', actor: 'x', arrival_ms: '10', start_ms: '', end_ms: '30.5', path: 'rejected', parked_ms: '20.5', worker_start_ms: '0', restore_ms: '0', exec_ms: '0', outcome: 'rejected', reason: 'park-timeout', queued_ms: '0', attempts: '1' },
    ]);
    expect(r).toEqual({ invocation: 4, actor: 'x', outcome: 'rejected', reason: 'park-timeout', path: 'rejected', arrivalMs: 10, startMs: Number.NaN, endMs: 30.5, parts: { parkedMs: 20.5, workerStartMs: 0, restoreMs: 0, execMs: 0, queuedMs: 0 }, attempts: 1 });
  });
});
