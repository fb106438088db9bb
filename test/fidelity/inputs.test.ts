import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compressScenario } from '../../real/compress.ts';
import { writeFidelityInputs } from '../../fidelity/inputs.ts';
import { loadScenarioFile } from '../../scenarios/load.ts';
import { generateWorkload } from '../../scenarios/workload.ts';

const root = mkdtempSync(join(tmpdir(), 'actorsim-fidelity-scn-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Sessions with think time, a dedicated scale-to-zero pool with an idle stop,
// TTLs, a manifest after the document and one included: every time field the
// real run's compression touches, and every relative path the copies must keep.
const SCENARIO = `
name: copy-me
seed: 3
duration: 2h
warmup: 10m
include: [manifests/pool.yaml]
cluster: {nodes: [{name: n, count: 2, memory: 8Gi}]}
templates: [{name: agent, pool: shared, memory: 64Mi, snapshot: 16Mi, work: {kind: lognormal, median: 2s, p99: 20s}}]
workload:
  - template: agent
    actors: 30
    arrivals: {kind: sessions, sessionsPerDay: {median: 24, sigma: 1}, peakToTrough: 2, meanExtraTurns: 3, think: {kind: lognormal, median: 20s, p99: 2m}}
costs: substrate-kind
policies:
  - {name: ttl, placement: p2c, idle: {kind: ttl, ttl: 2m, action: suspend}}
  - {name: s2z, pools: {shared: {mode: dedicated, worker: {memory: 128Mi}, dedicated: {variant: scale-to-zero, idleStop: 5m}}}, admission: {parkTimeout: 1m}}
---
apiVersion: ate.dev/v1alpha1
kind: ActorTemplate
metadata: {name: helper, annotations: {sim.actorsim.dev/snapshot: 8Mi, sim.actorsim.dev/memory: 32Mi, sim.actorsim.dev/work: "{kind: constant, value: 1s}"}}
spec: {workerPoolRef: {name: shared}}
`;
const POOL = `apiVersion: ate.dev/v1alpha1
kind: WorkerPool
metadata: {name: shared, annotations: {sim.actorsim.dev/worker-memory: 512Mi, sim.actorsim.dev/actor-slots: "4"}}
spec: {replicas: 3}
`;

describe('writeFidelityInputs', () => {
  it('writes a real copy and a simulated copy compressed by the speedup, replaying one workload', async () => {
    const src = join(root, 'src');
    mkdirSync(join(src, 'manifests'), { recursive: true });
    writeFileSync(join(src, 'scn.yaml'), SCENARIO);
    writeFileSync(join(src, 'manifests', 'pool.yaml'), POOL);
    const profile = join(root, 'p.yaml');
    writeFileSync(profile, readFileSync(new URL('../../scenarios/profiles/substrate-kind.yaml', import.meta.url), 'utf8').replace('name: substrate-kind', 'name: mine'));
    const dir = join(root, 'out');
    mkdirSync(dir);
    const speedup = 40;
    const inputs = await writeFidelityInputs({ scenarioFile: join(src, 'scn.yaml'), profile, dir, seed: 3, speedup, startMs: 30 * 60_000, durationMs: 60 * 60_000, snapshotAsMemory: true });
    const sim = loadScenarioFile(inputs.simScenario);
    const real = loadScenarioFile(inputs.realScenario);
    expect(sim.costs.name).toBe('mine');
    expect(real.durationMs).toBe(3_600_000);
    expect(sim.durationMs).toBeCloseTo(3_600_000 / speedup, 9);
    expect(real.warmupMs).toBe(600_000);
    expect(sim.warmupMs).toBeCloseTo(600_000 / speedup, 9);
    // Both copies end the same wall time after the span: the driver's drain of the compressed copy,
    // max(10 s, 90 s) here, so the simulation ends what is pending where the real run ends it.
    expect(sim.drainMs).toBeCloseTo(3_600_000 / speedup, 9);
    expect(compressScenario(real, speedup).drainMs).toBeCloseTo(sim.drainMs!, 9);
    expect(inputs.drainMs).toBeCloseTo(sim.drainMs!, 9);
    const ttl = (s: typeof sim) => (s.policies[0]!.idle.kind === 'ttl' ? s.policies[0]!.idle.ttlMs : Number.NaN);
    expect(ttl(sim)).toBeCloseTo(ttl(real) / speedup, 9);
    expect(sim.policies[1]!.pools.shared!.dedicated!.idleStopMs).toBeCloseTo(300_000 / speedup, 9);
    // The parking budget is not compressed, as in real/compress.ts.
    expect(sim.policies[1]!.admission.parkTimeoutMs).toBe(60_000);
    // The included pool came through; snapshots are the memory size.
    expect(sim.pools.map((p) => p.name)).toEqual(['shared']);
    expect(Object.fromEntries(sim.templates.map((t) => [t.name, t.snapshotMiB]))).toEqual({ agent: 64, helper: 32 });
    expect(inputs.snapshotMiB).toEqual({ agent: 64, helper: 32 });

    // The same invocations: the original's workload in [30m, 90m), rebased, then compressed.
    const original = loadScenarioFile(join(src, 'scn.yaml'));
    const full = await generateWorkload({ ...original, durationMs: 90 * 60_000 }, 3);
    const want: [string, number, number][] = [];
    for (let i = 0; i < full.arrivalMs.length; i++) {
      const at = full.arrivalMs[i]!;
      if (at >= 30 * 60_000) want.push([full.actorNames[full.actor[i]!]!, (at - 30 * 60_000) / speedup, full.workMs[i]! / speedup]);
    }
    const simW = await generateWorkload(sim, 3);
    const realW = await generateWorkload(real, 3);
    expect(want.length).toBeGreaterThan(20);
    expect(inputs.invocations).toBe(want.length);
    expect(simW.arrivalMs.length).toBe(want.length);
    expect(realW.arrivalMs.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) {
      const [actor, at, work] = want[i]!;
      expect(simW.actorNames[simW.actor[i]!]).toBe(actor);
      expect(simW.arrivalMs[i]).toBeCloseTo(at, 6);
      expect(simW.workMs[i]).toBeCloseTo(work, 6);
      // bench:cluster divides the real copy's times by the speedup.
      expect(realW.arrivalMs[i]! / speedup).toBeCloseTo(at, 6);
      expect(realW.workMs[i]! / speedup).toBeCloseTo(work, 6);
    }
  });

  it('primes each golden template with one invocation before the span', async () => {
    const src = join(root, 'p');
    mkdirSync(src);
    writeFileSync(join(src, 'scn.yaml'), SCENARIO.replace('include: [manifests/pool.yaml]', 'pools: [{name: shared, worker: {memory: 512Mi}, actorSlots: 4}]').replace(/---[\s\S]*$/, ''));
    const dir = join(src, 'out');
    mkdirSync(dir);
    const plain = await writeFidelityInputs({ scenarioFile: join(src, 'scn.yaml'), profile: join(root, 'p.yaml'), dir, seed: 3, speedup: 10, durationMs: 30 * 60_000, warmupMs: 0 });
    const plainW = await generateWorkload(loadScenarioFile(plain.simScenario), 3);
    const primed = await writeFidelityInputs({ scenarioFile: join(src, 'scn.yaml'), profile: join(root, 'p.yaml'), dir, seed: 3, speedup: 10, durationMs: 30 * 60_000, warmupMs: 0, primeMs: 2000 });
    expect(primed.primeGapMs).toBe(20_000);
    expect(primed.primeActors).toEqual(['fidelity-prime-agent']);
    const sim = loadScenarioFile(primed.simScenario);
    expect(sim.durationMs).toBeCloseTo((30 * 60_000 + 20_000) / 10, 9);
    const w = await generateWorkload(sim, 3);
    expect(w.arrivalMs.length).toBe(plainW.arrivalMs.length + 1);
    expect(w.actorNames[w.actor[0]!]).toBe('fidelity-prime-agent');
    // Halfway into the 2 s of wall time before the span.
    expect(w.arrivalMs[0]).toBe(1000);
    expect(w.workMs[0]).toBe(0);
    // Wall time 2 s before the span.
    for (let i = 0; i < plainW.arrivalMs.length; i++) expect(w.arrivalMs[i + 1]).toBeCloseTo(plainW.arrivalMs[i]! + 2000, 6);
  });

  it('refuses a warm-up as long as the span', async () => {
    const src = join(root, 'w');
    mkdirSync(src);
    writeFileSync(join(src, 'scn.yaml'), SCENARIO.replace('include: [manifests/pool.yaml]', 'pools: [{name: shared, worker: {memory: 512Mi}, actorSlots: 4}]'));
    await expect(writeFidelityInputs({ scenarioFile: join(src, 'scn.yaml'), profile: 'x.yaml', dir: src, seed: 1, speedup: 2, durationMs: 5 * 60_000 })).rejects.toThrow(/--warmup/);
  });
});
