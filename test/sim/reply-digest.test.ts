import { describe, expect, it } from 'vitest';
import type { Reply } from '../../core/types.ts';
import { summarize } from '../../reports/summary.ts';
import { loadScenarioFile } from '../../scenarios/load.ts';
import { openWorkload } from '../../scenarios/workload.ts';
import { boundedInvocations, invocationFilter, parseInvocationsOption } from '../../sim/invocation-sample.ts';
import { ReplyDigest } from '../../sim/reply-digest.ts';
import { ReplyLog, replyToSink } from '../../session/reply-log.ts';
import { simulate } from '../../sim/runtime.ts';

const SCENARIOS = ['default', 'fleet-2000', 'thundering-herd', 'kagent-six-agents'].map((n) => new URL(`../../scenarios/${n}.yaml`, import.meta.url).pathname);

describe('replies without objects', () => {
  for (const file of SCENARIOS) {
    it(`a digest gives summarize()'s row and a log gives the core's replies: ${file.split('/').pop()}`, async () => {
      const scenario = loadScenarioFile(file);
      const workload = await openWorkload(scenario, scenario.seed);
      const keep = invocationFilter({ kind: 'sample', rows: 100 }, workload.size);
      for (const policy of scenario.policies.slice(0, 3)) {
        const emitted: Reply[] = [];
        const kept = simulate(scenario, policy, workload, {
          seed: scenario.seed,
          sampleEveryMs: 0,
          onCommand: (_t, c) => {
            if (c.kind === 'reply') emitted.push(c);
          },
        });
        // The default result keeps replies as columns and rebuilds them on read.
        expect(kept.replies).toEqual(emitted);
        const digest = new ReplyDigest({ actorNames: workload.actorNames, warmupMs: scenario.warmupMs, expected: workload.size, keep });
        const digested = simulate(scenario, policy, workload, { seed: scenario.seed, sampleEveryMs: 0, replies: digest });
        expect(digested.replies).toEqual([]);
        expect(digest.summaryRow(digested)).toEqual(summarize(kept));
        expect(digest.kept).toEqual(emitted.filter((r) => keep(r.invocation)));
        expect(digest.kept.length).toBeLessThanOrEqual(100);
      }
    });
  }

  it('a log keeps every bit: NaN start times and -0', () => {
    const log = new ReplyLog(['a'], 1);
    const r: Reply & { kind: 'reply' } = {
      kind: 'reply',
      invocation: 7,
      actor: 'a',
      outcome: 'rejected',
      reason: 'park-timeout',
      path: 'rejected',
      arrivalMs: -0,
      startMs: Number.NaN,
      endMs: 1.5,
      parts: { parkedMs: 1.5, workerStartMs: 0, restoreMs: 0, execMs: 0, queuedMs: -0 },
      attempts: 1,
    };
    for (let i = 0; i < 40; i++) replyToSink(log, r, () => 0);
    const back = log.reply(39);
    expect(back).toEqual(r);
    expect(Object.is(back.arrivalMs, -0)).toBe(true);
    expect(Object.is(back.parts.queuedMs, -0)).toBe(true);
    expect(log.length).toBe(40);
  });

  it('parses --invocations and samples evenly, the same ids whatever the policy', () => {
    expect(parseInvocationsOption('all')).toEqual({ kind: 'all' });
    expect(parseInvocationsOption('none')).toEqual({ kind: 'none' });
    expect(parseInvocationsOption('sample=1000')).toEqual({ kind: 'sample', rows: 1000 });
    for (const bad of ['sample=0', 'sample=', 'sample=-1', 'some', 'sample=1.5']) expect(() => parseInvocationsOption(bad)).toThrow(/expected all, none or sample=N/);
    const keep = invocationFilter({ kind: 'sample', rows: 1000 }, 51_765);
    let n = 0;
    for (let i = 0; i < 51_765; i++) if (keep(i)) n++;
    expect(n).toBeLessThanOrEqual(1000);
    expect(n).toBeGreaterThan(900);
    expect(invocationFilter({ kind: 'sample', rows: 10 }, 5)(4)).toBe(true);
  });

  it('holds the rows a study keeps to a budget: the default becomes an even sample, an explicit all is refused', () => {
    // Within the budget, or not all: unchanged, no note.
    expect(boundedInvocations({ kind: 'all' }, false, 50_000, 40, 2_000_000)).toEqual({ option: { kind: 'all' } });
    expect(boundedInvocations({ kind: 'none' }, true, 5e9, 200, 2_000_000)).toEqual({ option: { kind: 'none' } });
    expect(boundedInvocations({ kind: 'sample', rows: 5 }, true, 5e9, 200, 2_000_000)).toEqual({ option: { kind: 'sample', rows: 5 } });
    // fleet-2000-study: 200 runs of about 49,462 invocations.
    const d = boundedInvocations({ kind: 'all' }, false, 49_462, 200, 2_000_000);
    expect(d.option).toEqual({ kind: 'sample', rows: 10_000 });
    expect(d.note).toMatch(/about 9,892,400 rows .*200 run\(s\).*more than the 2,000,000.*sample of 10,000 per run/);
    expect(() => boundedInvocations({ kind: 'all' }, true, 49_462, 200, 2_000_000)).toThrow(/give sample=10000 \(rows per run\) or none/);
    // An overflowing estimate still gives at least one row per run.
    expect(boundedInvocations({ kind: 'all' }, false, Infinity, 3, 2_000_000).option).toEqual({ kind: 'sample', rows: 666_666 });
    expect(boundedInvocations({ kind: 'all' }, false, 1e9, 5_000_000, 2_000_000).option).toEqual({ kind: 'sample', rows: 1 });
  });
});
