import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compressScenario } from '../../real/compress.ts';
import { loadScenarioFile } from '../../scenarios/load.ts';
import { generateWorkload } from '../../scenarios/workload.ts';
import { driverDrainMs, simDrainMs } from '../../session/session.ts';
import { simulate } from '../../sim/runtime.ts';

// `drain`: how long a run goes on after the scenario's end for what is pending.
// One worker with one slot, 4 s of work per invocation and two arrivals a
// second (five actors) for 20 s: most invocations are still parked when the arrivals end
// (the parking budget is an hour), so where the run stops decides them.
const dir = mkdtempSync(join(tmpdir(), 'actorsim-drain-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function scenario(drain: string | null): string {
  const file = join(dir, `s-${drain ?? 'none'}.yaml`);
  writeFileSync(
    file,
    [
      'name: drain-check',
      'duration: 20s',
      ...(drain === null ? [] : [`drain: ${drain}`]),
      'cluster: {nodes: [{name: n, memory: 4Gi}]}',
      'pools: [{name: p, replicas: 1, actorSlots: 1, worker: {memory: 512Mi}}]',
      'templates: [{name: t, pool: p, memory: 16Mi, work: {kind: constant, value: 4s}}]',
      'workload: [{template: t, actors: 5, arrivals: {kind: poisson, ratePerSec: 0.4}}]',
      'costs: {name: free, source: test, workerStart: {kind: constant, value: 0s}, coldBoot: {kind: constant, value: 0s}, ' +
        'restore: {local: {base: {kind: constant, value: 0s}, bandwidth: 1000Mi/s}, external: {base: {kind: constant, value: 0s}, bandwidth: 1000Mi/s}, golden: {base: {kind: constant, value: 0s}, bandwidth: 1000Mi/s}}, ' +
        'checkpoint: {local: {base: {kind: constant, value: 0s}, bandwidth: 1000Mi/s}, external: {base: {kind: constant, value: 0s}, bandwidth: 1000Mi/s}}, dispatch: {kind: constant, value: 0s}}',
      'policies: [{name: only, admission: {parkTimeout: 1h}, idle: {kind: ttl, ttl: 1h, action: suspend}}]',
      '',
    ].join('\n'),
  );
  return file;
}

async function run(drain: string | null) {
  const s = loadScenarioFile(scenario(drain));
  const workload = await generateWorkload(s, s.seed);
  const result = simulate(s, s.policies[0]!, workload, { seed: s.seed, sampleEveryMs: 60_000 });
  const replies = result.replies;
  return { s, result, replies, invocations: workload.arrivalMs.length };
}

describe('scenario drain', () => {
  it('is read in milliseconds, scaled by --speedup with the rest, and absent by default', () => {
    const s = loadScenarioFile(scenario('30s'));
    expect(s.drainMs).toBe(30_000);
    expect(compressScenario(s, 4).drainMs).toBe(7_500);
    expect(loadScenarioFile(scenario(null)).drainMs).toBeUndefined();
    expect(compressScenario(loadScenarioFile(scenario(null)), 4).drainMs).toBeUndefined();
  });

  it("gives the driver's rule and the simulator's: the scenario's drain, else max(10 s, duration) and max(1 h, duration)", () => {
    expect(driverDrainMs({ durationMs: 5_000 })).toBe(10_000);
    expect(driverDrainMs({ durationMs: 105_000 })).toBe(105_000);
    expect(driverDrainMs({ durationMs: 105_000, drainMs: 3_000 })).toBe(3_000);
    expect(simDrainMs({ durationMs: 20_000 })).toBe(3_600_000);
    expect(simDrainMs({ durationMs: 20_000, drainMs: 0 })).toBe(0);
  });

  it('without it the simulation serves everything; with it what is still pending at its end is run-ended, and worker-seconds end there', async () => {
    const all = await run(null);
    expect(all.invocations).toBeGreaterThan(10);
    const served = all.replies.filter((r) => r.outcome === 'served');
    expect(served).toHaveLength(all.invocations);
    // One slot serving 4 s each: the last ends long after the arrivals.
    const lastEnd = Math.max(...served.map((r) => r.endMs!));
    expect(lastEnd).toBeGreaterThan(30_000);

    const cut = await run('10s');
    const outcomes = cut.replies.map((r) => (r.outcome === 'served' ? 'served' : r.reason));
    const ended = outcomes.filter((o) => o === 'run-ended').length;
    expect(ended).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o !== 'served' && o !== 'run-ended')).toEqual([]);
    // Served are those whose end came by duration + drain (30 s).
    for (const r of cut.replies.filter((x) => x.outcome === 'served')) expect(r.endMs!).toBeLessThanOrEqual(30_000);
    expect(cut.replies.filter((r) => r.outcome === 'served').length + ended).toBe(cut.invocations);
    // The run ends at the drain's end, as the driver's does: 30 s of one worker.
    expect(cut.result.endMs).toBe(30_000);
    expect(cut.result.totals.workerMs).toBeCloseTo(30_000, 3);
    expect(all.result.totals.workerMs).toBeGreaterThan(30_000);
  });
});
