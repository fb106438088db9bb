import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../scenarios/load.ts';
import type { Scenario } from '../../scenarios/scenario.ts';
import { generateWorkload, type Workload } from '../../scenarios/workload.ts';
import { EventQueue } from '../../session/event-queue.ts';
import { RunSession, SAMPLE, SHELL_KINDS, type RuntimeCommand } from '../../session/session.ts';

// Workers never come up (the runtime below carries out nothing), so every
// invocation parks and ends rejected: by its park timeout or at the end.
const NO_WORKERS = `
name: no-workers
seed: 3
duration: 40s
warmup: 10s
cluster: {nodes: [{name: node-a, memory: 4Gi}]}
pools: [{name: p, replicas: 2, actorSlots: 1, worker: {memory: 64Mi}}]
templates: [{name: t, pool: p, memory: 8Mi, snapshot: 8Mi, work: {kind: constant, value: 250ms}}]
workload: [{template: t, actors: 4, arrivals: {kind: poisson, ratePerSec: 1}}]
costs: substrate-kind
policies:
  - {name: parked, placement: p2c, idle: {kind: ttl, ttl: 2s, action: suspend}, admission: {parkTimeout: 5s, maxParked: 100}, maxAttempts: 1}
`;

const dir = mkdtempSync(join(tmpdir(), 'actorsim-session-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function setup(): Promise<{ scenario: Scenario; workload: Workload }> {
  const file = join(dir, 'no-workers.yaml');
  writeFileSync(file, NO_WORKERS);
  const scenario = loadScenarioFile(file);
  return { scenario, workload: await generateWorkload(scenario, scenario.seed) };
}

function open(scenario: Scenario, workload: Workload, ran: RuntimeCommand[]): RunSession {
  const queue = new EventQueue(4);
  return new RunSession(scenario, scenario.policies[0]!, workload, queue, { seed: 11, sampleEveryMs: 5000 }, { run: (cmd) => ran.push(cmd) });
}

describe('RunSession', () => {
  it('runs arrivals, timers, samples and the warm-up from one heap, and gives every invocation one outcome', async () => {
    const { scenario, workload } = await setup();
    const ran: RuntimeCommand[] = [];
    const session = open(scenario, workload, ran);
    session.begin();
    expect(ran.filter((c) => c.kind === 'startWorker')).toHaveLength(2);
    let events = 0;
    let last = 0;
    while (session.queue.pop()) {
      const t = session.queue.timeMs;
      expect(session.queue.kind).toBeLessThan(SHELL_KINDS);
      expect(t).toBeGreaterThanOrEqual(last);
      last = t;
      events += 1;
      session.handle(t);
      session.execute(t);
    }
    expect(session.arrivalsDone).toBe(true);
    expect(session.arrived).toBe(workload.arrivalMs.length);
    const endMs = Math.max(last, scenario.durationMs);
    const result = session.end(endMs, events);
    expect(result.samples.map((s) => s.timeMs)).toEqual([0, 5000, 10000, 15000, 20000, 25000, 30000, 35000, 40000]);
    expect(result.replies.map((r) => r.invocation).sort((a, b) => a - b)).toEqual(Array.from(workload.arrivalMs, (_, i) => i));
    expect(result.replies.every((r) => r.outcome === 'rejected')).toBe(true);
    expect(result).toMatchObject({ policy: 'parked', seed: 11, events, endMs, warmupMs: 10000 });
    // Two starting workers, counted from the warm-up's end only.
    expect(result.totals.workerMs).toBe(2 * (endMs - 10000));
  });

  it('takes a sample late at its slot time and skips the slots it missed, as a real wake-up does', async () => {
    const { scenario, workload } = await setup();
    const session = open(scenario, workload, []);
    session.begin();
    const q = session.queue;
    // Pop up to the first sample, then handle it 12 s late.
    while (q.pop() && q.kind !== SAMPLE) {
      session.handle(q.timeMs);
      session.execute(q.timeMs);
    }
    session.markWarmup(12_000);
    session.handle(12_000);
    expect(session.samples).toEqual([{ timeMs: 0, workers: 2, resident: 0, parked: expect.any(Number) }]);
    const next: number[] = [];
    while (q.pop()) if (q.kind === SAMPLE) next.push(q.timeMs);
    expect(next).toEqual([15000]);
  });
});
