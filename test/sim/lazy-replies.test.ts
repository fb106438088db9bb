import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../scenarios/load.ts';
import { generateWorkload } from '../../scenarios/workload.ts';
import { simulate } from '../../sim/runtime.ts';
import { ReplyLog } from '../../session/reply-log.ts';
import { repoFile } from '../../cli/repo.ts';

describe('simulate', () => {
  it('builds the reply objects only when the result is read, and the same ones', async () => {
    const scenario = loadScenarioFile(repoFile('scenarios', 'small.yaml'));
    const policy = scenario.policies[0]!;
    const workload = await generateWorkload(scenario, scenario.seed);
    const built = ReplyLog.prototype.toReplies;
    let calls = 0;
    ReplyLog.prototype.toReplies = function (this: ReplyLog) {
      calls += 1;
      return built.call(this);
    };
    try {
      const r = simulate(scenario, policy, workload, { seed: scenario.seed, sampleEveryMs: 60_000, primitives: true });
      expect(calls).toBe(0);
      expect(Object.keys(r)).toEqual(['policy', 'replies', 'counters', 'totals', 'events', 'endMs', 'warmupMs', 'samples', 'seed', 'primitives']);
      expect(r.replies.length).toBeGreaterThan(0);
      expect(r.replies).toBe(r.replies);
      expect(calls).toBe(1);
      expect(JSON.parse(JSON.stringify(r)).replies).toEqual(r.replies);
    } finally {
      ReplyLog.prototype.toReplies = built;
    }
  });
});
