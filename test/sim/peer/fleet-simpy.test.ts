import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoFile } from '../../../cli/repo.ts';
import { summarize } from '../../../reports/summary.ts';
import { loadScenarioFile } from '../../../scenarios/load.ts';
import type { Scenario } from '../../../scenarios/scenario.ts';
import { generateWorkload } from '../../../scenarios/workload.ts';
import { agreement, peerParams, runSimpyPeer, simpyPython, writeTrace } from '../../../sim/peer/peer.ts';
import { simulate } from '../../../sim/runtime.ts';

// The SimPy peer (issue 15) and the simulator, fed the same traffic, describe
// the same system: a small fleet of fleet-scaling.yaml's model (200 actors on
// 4 workers, 1 h), bounded by its invocation count. Skipped without a python3
// that imports simpy (Debian: python3-simpy3).
const python = simpyPython();

describe.skipIf(python === null)('SimPy peer of the fleet model', () => {
  it('agrees with the simulator on served, paths, evictions and latency percentiles', async () => {
    const full = loadScenarioFile(repoFile('scenarios', 'fleet-scaling.yaml'));
    const scenario: Scenario = {
      ...full,
      durationMs: 3_600_000,
      pools: full.pools.map((p) => ({ ...p, replicas: 4 })),
      workload: full.workload.map((g) => (g.kind === 'model' ? { ...g, actors: 200 } : g)),
      policies: full.policies.map((p) => ({ ...p, pools: Object.fromEntries(Object.entries(p.pools).map(([n, s]) => [n, s.mode === 'shared' ? { ...s, replicas: 4 } : s])) })),
    };
    const policy = scenario.policies[0]!;
    const workload = await generateWorkload(scenario, scenario.seed);
    expect(workload.arrivalMs.length).toBeGreaterThan(100);
    expect(workload.arrivalMs.length).toBeLessThan(5_000);
    const row = summarize(simulate(scenario, policy, workload, { seed: scenario.seed, sampleEveryMs: 60_000 }));
    const dir = mkdtempSync(join(tmpdir(), 'actorsim-peer-test-'));
    try {
      const trace = join(dir, 'trace.bin');
      writeTrace(workload, trace);
      const peer = runSimpyPeer(python!, trace, peerParams(scenario, policy, workload.actorNames.length));
      expect(peer.invocations).toBe(workload.arrivalMs.length);
      const rows = agreement(row, peer);
      expect(rows.filter((a) => !a.ok)).toEqual([]);
      // Evictions happen in this fleet: the comparison covers the LRU path, not only warm and first resumes.
      expect(peer.evictions).toBeGreaterThan(0);
      expect(peer.laterResume).toBeGreaterThan(0);
      // Three runs from fresh environments give the same outcomes; the wall is their median.
      const thrice = runSimpyPeer(python!, trace, peerParams(scenario, policy, workload.actorNames.length), 3);
      expect(thrice.runs).toBe(3);
      expect({ ...thrice, wallMs: 0, runs: 1 }).toEqual({ ...peer, wallMs: 0 });
      expect(() => runSimpyPeer(python!, trace, peerParams(scenario, policy, workload.actorNames.length), 0)).toThrow(/positive integer/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
