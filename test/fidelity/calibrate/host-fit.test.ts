import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fitHostDemands, fitStoreDemands, predictBatch, type MixedObservation } from '../../../fidelity/calibrate/fit.ts';
import { makeRng } from '../../../scenarios/rng.ts';
import { STORE_GROUP, SharedResource } from '../../../sim/contention.ts';
import { EventQueue } from '../../../session/event-queue.ts';

const SOLO_R = 400;
const SOLO_C = 250;
const MIXES = [1, 2, 4, 8, 16, 32].flatMap((k) => [
  [k, 0],
  [0, k],
  [Math.ceil(k / 2), Math.floor(k / 2)],
]);

/** The sweep a host with these demands would give, each median off by up to ±noise (seeded). */
function sweep(dr: number, dc: number, cpus: number, noise: number, seed: number): MixedObservation[] {
  const rng = makeRng(seed, 'host-fit');
  return MIXES.map(([r, c]) => {
    const t = predictBatch([...Array.from({ length: r! }, () => ({ workMs: SOLO_R, demand: dr })), ...Array.from({ length: c! }, () => ({ workMs: SOLO_C, demand: dc }))], cpus);
    const jitter = (): number => 1 + noise * (2 * rng() - 1);
    return {
      restores: r!,
      checkpoints: c!,
      restoreMs: r! > 0 ? t[0]! * jitter() : Number.NaN,
      checkpointMs: c! > 0 ? t[r!]! * jitter() : Number.NaN,
      soloRestoreMs: SOLO_R,
      soloCheckpointMs: SOLO_C,
    };
  });
}

describe('predictBatch', () => {
  it("is what the simulator's shared resource does with the same jobs", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ workMs: fc.integer({ min: 1, max: 1000 }), demand: fc.double({ min: 0.1, max: 4, noNaN: true }) }), { minLength: 1, maxLength: 12 }),
        fc.double({ min: 0.5, max: 8, noNaN: true }),
        (jobs, capacity) => {
          const queue = new EventQueue(8);
          const res = new SharedResource(capacity, queue, 9, 0);
          jobs.forEach((j, i) => res.add(0, j.workMs, 0, 1, i, 0, 0, j.demand));
          const got = new Array<number>(jobs.length);
          while (queue.pop()) {
            if (queue.kind === 9) res.onDone(queue.timeMs, queue.b);
            else got[queue.a] = queue.timeMs;
          }
          const want = predictBatch(jobs, capacity);
          for (let i = 0; i < jobs.length; i++) expect(got[i]).toBeCloseTo(want[i]!, 6);
        },
      ),
      { numRuns: 200, seed: 18 },
    );
  });
});

describe('fitHostDemands', () => {
  it('recovers the demands of a noiseless mixed sweep', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.2, max: 3, noNaN: true }), fc.double({ min: 0.2, max: 3, noNaN: true }), (dr, dc) => {
        const f = fitHostDemands(sweep(dr, dc, 2, 0, 1), 2);
        expect(f.restore / dr).toBeCloseTo(1, 2);
        expect(f.checkpoint / dc).toBeCloseTo(1, 2);
        expect(f.rmsLogError).toBeLessThan(1e-3);
      }),
      { numRuns: 6, seed: 4 },
    );
  });

  it('stays within 10% of the demands with ±5% noise on every median, and says how far off it is', () => {
    for (const seed of [1, 2, 3]) {
      const f = fitHostDemands(sweep(1.3, 0.6, 2, 0.05, seed), 2);
      expect(Math.abs(f.restore / 1.3 - 1)).toBeLessThan(0.1);
      expect(Math.abs(f.checkpoint / 0.6 - 1)).toBeLessThan(0.1);
      expect(f.rmsLogError).toBeGreaterThan(0);
      expect(f.rmsLogError).toBeLessThan(0.05);
      expect(f.n).toBe(MIXES.reduce((s, [r, c]) => s + (r! > 0 ? 1 : 0) + (c! > 0 ? 1 : 0), 0));
    }
  });

  it('predicts and scores the restores from the node beside a batch, given their demand', () => {
    const SOLO_L = 300;
    const withLocal = (dr: number, dc: number, dl: number, observedLocal: (predicted: number) => number): MixedObservation[] =>
      [2, 8, 32].map((k) => {
        const r = Math.ceil(k / 2);
        const c = k - r;
        const t = predictBatch(
          [...Array.from({ length: r }, () => ({ workMs: SOLO_R, demand: dr })), ...Array.from({ length: c }, () => ({ workMs: SOLO_C, demand: dc })), { workMs: SOLO_L, demand: dl }],
          2,
        );
        return { restores: r, checkpoints: c, restoreMs: t[0]!, checkpointMs: t[r]!, soloRestoreMs: SOLO_R, soloCheckpointMs: SOLO_C, locals: 1, localMs: observedLocal(t[k]!), soloLocalMs: SOLO_L };
      });
    // As the model predicts them: the same demands, a perfect fit, three medians per batch.
    const exact = fitHostDemands(withLocal(1.3, 0.6, 1.1, (x) => x), 2, 1.1);
    expect(exact.restore / 1.3).toBeCloseTo(1, 2);
    expect(exact.rmsLogError).toBeLessThan(1e-3);
    expect(exact.n).toBe(9);
    // Far faster than the model shares the cpus (as at a real peak): the fit says so in its error, not in silence.
    const fast = fitHostDemands(withLocal(1.3, 0.6, 1.1, (x) => x / 4), 2, 1.1);
    expect(fast.rmsLogError).toBeGreaterThan(0.3);
    // Without their demand they are left out.
    expect(fitHostDemands(withLocal(1.3, 0.6, 1.1, (x) => x / 4), 2).n).toBe(6);
  });

  it('refuses no observations and no cpus', () => {
    expect(() => fitHostDemands([], 2)).toThrow(/no observations/);
    expect(() => fitHostDemands(sweep(1, 1, 2, 0, 1), 0)).toThrow(/cpus/);
  });
});

describe('fitHost (the profile from a mixed sweep)', () => {
  it('fits the demands from the sweep less the bases, and takes workerStart from the concurrency sweep when there is one', async () => {
    const { fitHost } = await import('../../../fidelity/calibrate/profile.ts');
    const { fitSizeCost } = await import('../../../fidelity/calibrate/fit.ts');
    // 10 ms + 2 ms/MiB (restores), 5 ms + 1 ms/MiB (checkpoints), at 100 MiB: solo size parts 200 and 100 ms.
    const restoreFit = fitSizeCost([10, 50, 100].map((s) => ({ sizeMiB: s, ms: 10 + 2 * s })));
    const checkpointFit = fitSizeCost([10, 50, 100].map((s) => ({ sizeMiB: s, ms: 5 + s })));
    const mixed = [2, 8, 32].map((k) => {
      const r = Math.ceil(k / 2);
      const t = predictBatch([...Array.from({ length: r }, () => ({ workMs: 200, demand: 1.5 })), ...Array.from({ length: k - r }, () => ({ workMs: 100, demand: 0.5 }))], 2);
      return { k, restores: r, checkpoints: k - r, sizeMiB: 100, restoreMs: [t[0]! + 10], checkpointMs: [t[r]! + 5] };
    });
    const samples = { workerStartMs: [], dispatch: [], restore: { local: [], external: [], golden: [], cold: [] }, goldenFirst: [], checkpoint: { local: [], external: [] }, mixed };
    const h = fitHost(samples, restoreFit, checkpointFit, undefined, 2)!;
    expect(h.restore).toBeCloseTo(1.5, 1);
    expect(h.checkpoint).toBeCloseTo(0.5, 1);
    expect(h).toMatchObject({ cpus: 2, workerStart: 1, workerStartFitted: false });
    const withStarts = fitHost(samples, restoreFit, checkpointFit, { workerStart: { capacity: 1.6, rmse: 0, n: 2, points: [], cpus: 2 } }, 2)!;
    expect(withStarts.workerStart).toBeCloseTo(1.25, 9);
    expect(fitHost({ ...samples, mixed: [] }, restoreFit, checkpointFit, undefined, 2)).toBeUndefined();
  });

  it('gives local restores and checkpoints demands of their own from their concurrency series, and none without sharing', async () => {
    const { fitHost, fitContention } = await import('../../../fidelity/calibrate/profile.ts');
    const { fitSizeCost } = await import('../../../fidelity/calibrate/fit.ts');
    const restoreFit = fitSizeCost([10, 50, 100].map((s) => ({ sizeMiB: s, ms: 10 + 2 * s })));
    const checkpointFit = fitSizeCost([10, 50, 100].map((s) => ({ sizeMiB: s, ms: 5 + s })));
    const mixed = [{ k: 2, restores: 1, checkpoints: 1, sizeMiB: 100, restoreMs: [210], checkpointMs: [105] }];
    // On 2 cpus, k local restores of demand 0.5 share nothing up to k = 4 and take k / 4 at 8; checkpoints of demand 1 take k / 2.
    const series = (primitive: 'restore' | 'checkpoint', demand: number) =>
      [1, 2, 4, 8].map((k) => ({ k, primitive, source: 'local' as const, sizeMiB: 100, ms: [100 * Math.max(1, (k * demand) / 2)] }));
    const sweep = [...series('restore', 0.5), ...series('checkpoint', 1)];
    const contention = fitContention(sweep, () => 0, 2);
    const samples = { workerStartMs: [], dispatch: [], restore: { local: [], external: [], golden: [], cold: [] }, goldenFirst: [], checkpoint: { local: [], external: [] }, mixed };
    const h = fitHost(samples, restoreFit, checkpointFit, contention, 2)!;
    expect(h.restoreLocal?.demand).toBeCloseTo(0.5, 6);
    expect(h.checkpointLocal?.demand).toBeCloseTo(1, 6);
    // No local series (older samples): the store's demands stand for them.
    expect(fitHost(samples, restoreFit, checkpointFit, fitContention(series('checkpoint', 1).map((p) => ({ ...p, source: 'golden' as const })), () => 0, 2), 2)).not.toHaveProperty('restoreLocal');
    // A series that never slowed down up to its largest k says only that the demand is below cpus / k: not fitted.
    const flat = fitContention([1, 2, 4].map((k) => ({ k, primitive: 'restore' as const, source: 'local' as const, sizeMiB: 100, ms: [100] })), () => 0, 2);
    expect(fitHost(samples, restoreFit, checkpointFit, flat, 2)).not.toHaveProperty('restoreLocal');
  });
});

describe('fitHost with the store model (local backend)', () => {
  it('writes the store only when it fits the mixed sweep better than the host alone', async () => {
    const { fitHost, fitContention } = await import('../../../fidelity/calibrate/profile.ts');
    const { fitSizeCost } = await import('../../../fidelity/calibrate/fit.ts');
    // 2 ms/MiB (restores) and 1 ms/MiB (checkpoints) alone: at 100 MiB, solo size parts 200 and 100 ms; bases 10 and 5.
    const restoreFit = fitSizeCost([10, 50, 100].map((s) => ({ sizeMiB: s, ms: 10 + 2 * s })));
    const checkpointFit = fitSizeCost([10, 50, 100].map((s) => ({ sizeMiB: s, ms: 5 + s })));
    // Local transfers of demand 0.5 on 2 cpus.
    const series = (primitive: 'restore' | 'checkpoint') => [1, 2, 4, 8].map((k) => ({ k, primitive, source: 'local' as const, sizeMiB: 100, ms: [100 * Math.max(1, (k * 0.5) / 2)] }));
    const contention = fitContention([...series('restore'), ...series('checkpoint')], () => 0, 2);
    // Made under the rule a local profile is written with (share: process).
    const sweepOf = (jobs: (r: number, c: number) => { workMs: number; demand: number; store?: number }[]) =>
      [2, 8, 32].map((k) => {
        const r = Math.ceil(k / 2);
        const t = predictBatch(jobs(r, k - r), 2, 1, 'process');
        return { k, restores: r, checkpoints: k - r, sizeMiB: 100, restoreMs: [t[0]! + 10], checkpointMs: [t[r]! + 5] };
      });
    const empty = { workerStartMs: [], dispatch: [], restore: { local: [], external: [], golden: [], cold: [] }, goldenFirst: [], checkpoint: { local: [], external: [] } };
    // A store-bound sweep: a restore keeps the one store thread 0.9 busy alone, a checkpoint 0.3, each with its worker's
    // side 0.5 (host demands 1.4 and 0.8). Alike store demands would not do: with one job per worker, a store shared by
    // k alike transfers slows them as a host of equal demands does, and the host alone fits it as well.
    const storeBound = sweepOf((r, c) => [...Array.from({ length: r }, () => ({ workMs: 200, demand: 1.4, store: 0.9 })), ...Array.from({ length: c }, () => ({ workMs: 100, demand: 0.8, store: 0.3 }))]);
    const s = fitHost({ ...empty, mixed: storeBound }, restoreFit, checkpointFit, contention, 2, true)!;
    expect(s.storeUsed).toBe(true);
    expect(s.share).toBe('process');
    expect(s.store!.share).toBe('process');
    expect(s.storeOther!.share).toBe('job');
    expect(s.store!.restore).toBeCloseTo(0.9, 1);
    expect(s.store!.rmsLogError).toBeLessThan(s.rmsLogError);
    // A host-bound sweep (no store in it): the store model fits worse and is not used.
    const hostBound = sweepOf((r, c) => [...Array.from({ length: r }, () => ({ workMs: 200, demand: 1.5 })), ...Array.from({ length: c }, () => ({ workMs: 100, demand: 0.3 }))]);
    const h = fitHost({ ...empty, mixed: hostBound }, restoreFit, checkpointFit, contention, 2, true)!;
    expect(h.storeUsed).toBe(false);
    // Not asked (k8s): no store at all.
    const k8s = fitHost({ ...empty, mixed: storeBound }, restoreFit, checkpointFit, contention, 2);
    expect(k8s).not.toHaveProperty('store');
    expect(k8s).not.toHaveProperty('share');
  });
});

describe('the host model of a k8s profile', () => {
  it('has scope machine on a single-node cluster (every pod shares its cpus), node on several, machine when the nodes are unknown', async () => {
    const { fitCalibration, renderProfile } = await import('../../../fidelity/calibrate/profile.ts');
    const { probeScenario } = await import('../../../fidelity/calibrate/main.ts');
    const { loadScenarioFile } = await import('../../../scenarios/load.ts');
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const sized = (ms: (s: number) => number) => [16, 64, 256].flatMap((s) => [0, 1, 2].map((i) => ({ sizeMiB: s, ms: ms(s) + i })));
    // Size parts 2 ms/MiB (restores) and 1 ms/MiB (checkpoints) alone; at 256 MiB, batches on 2 cpus with demands 1.5 and 0.5.
    const mixed = [2, 8].map((k) => {
      const r = Math.ceil(k / 2);
      const t = predictBatch([...Array.from({ length: r }, () => ({ workMs: 512, demand: 1.5 })), ...Array.from({ length: k - r }, () => ({ workMs: 256, demand: 0.5 }))], 2);
      return { k, restores: r, checkpoints: k - r, sizeMiB: 256, restoreMs: [t[0]! + 10], checkpointMs: [t[r]! + 5] };
    });
    const samples = {
      workerStartMs: [3000, 3100, 3200],
      dispatch: sized(() => 5),
      restore: { local: sized((s) => 8 + s), external: sized((s) => 10 + 2 * s), golden: sized((s) => 30 + 2 * s), cold: sized((s) => 2 + s) },
      goldenFirst: [],
      checkpoint: { local: sized((s) => 3 + s / 2), external: sized((s) => 5 + s) },
      mixed,
    };
    const fits = fitCalibration(samples, 64, 2, true);
    expect(fits.host).toBeDefined();
    const meta = (nodes: number | null) => ({
      backend: 'k8s' as const,
      cpuModel: 'test cpu', cpus: 2, os: 'test', node: 'v20', memoryGiB: 8, date: '2026-12-06T03:00:00.000Z', sizesMiB: [16, 64, 256], repeats: 3, command: 'test', wallMs: 1,
      loadAverage: { before: [0, 0, 0], after: [0, 0, 0] },
      cluster: { context: 'c', server: 'https://x', version: 'v1.34.4', nodes, runtimeClass: 'gvisor', image: 'actorsim:dev', namespace: 'ns' },
    });
    const one = renderProfile('one-node', fits, samples, meta(1), 'one-node.samples.json');
    expect(one).toMatch(/^# scope machine: a single-node cluster, whose worker pods, store and driver share one node's cpus/m);
    expect(one).toMatch(/^contention:\n {2}scope: machine\n {2}host: \{cpus: 2, restore: [\d.]+, checkpoint: [\d.]+, workerStart: 1, workerLimits: true\}$/m);
    // Its pods run under their pool's cpu as a limit (real/k8s/worker-pod.ts): said, and capped in the simulation.
    expect(one).toMatch(/^# workerLimits: a pool with a worker cpu gives its pods that cpu as a limit/m);
    expect(renderProfile('three', fits, samples, meta(3), 'three.samples.json')).toMatch(/^contention:\n {2}scope: node\n {2}host: /m);
    expect(renderProfile('unknown', fits, samples, meta(null), 'unknown.samples.json')).toMatch(/^contention:\n {2}scope: machine\n {2}host: /m);
    // The scenario loader reads it back with its host model.
    const dir = mkdtempSync(join(tmpdir(), 'k8s-host-profile-'));
    try {
      writeFileSync(join(dir, 'one-node.yaml'), one);
      writeFileSync(join(dir, 'uses.yaml'), probeScenario('one-node.yaml'));
      const contention = loadScenarioFile(join(dir, 'uses.yaml')).costs.contention;
      expect(contention?.scope).toBe('machine');
      expect(contention?.host?.cpus).toBe(2);
      expect(contention?.host?.workerLimits).toBe(true);
      expect(contention?.host?.inWorker).toBeUndefined();
      expect(one).toMatch(/^# inWorker not measured \(calibrate --limited 200m measures it\)/m);
      // With the --limited series: inWorker written, commented, and read back.
      const limited = { cpuMilli: 200, sizeMiB: 256, workerStartMs: [9000], restore: { golden: [6000], external: [6000], local: [900] }, checkpoint: { external: [3000], local: [500] }, pair: { golden: [9000, 9100], external: [6000, 6100] } };
      const withLimited = { ...samples, limited };
      const text = renderProfile('limited', fitCalibration(withLimited, 64, 2, true), withLimited, meta(1), 'limited.samples.json');
      expect(text).toMatch(/^# inWorker from the --limited series: each primitive alone on a pod limited to 200m, 256 MiB, n=1/m);
      expect(text).toMatch(/^# {3}two at once on the pod, n=2 each: golden restores 9 s each \(1\.5x one alone\),$/m);
      expect(text).toMatch(/^# {3}checkpoints to the store 6 s \(2x\); written as pairUnderLimit/m);
      // The pair's ratios are written as measured, within (1, 2]: 9000 / 6000 and 6000 / 3000.
      expect(text).toMatch(/^ {2}host: \{cpus: 2, .*workerLimits: true, inWorker: \{restore: [\d.]+, checkpoint: [\d.]+, workerStart: [\d.]+\}, pairUnderLimit: \{restore: 1\.5, checkpoint: 2\}\}$/m);
      writeFileSync(join(dir, 'limited.yaml'), text);
      writeFileSync(join(dir, 'uses-limited.yaml'), probeScenario('limited.yaml'));
      const readBack = loadScenarioFile(join(dir, 'uses-limited.yaml')).costs.contention?.host;
      expect(readBack?.pairUnderLimit).toEqual({ restore: 1.5, checkpoint: 2 });
      const inWorker = readBack?.inWorker;
      for (const x of [inWorker?.restore, inWorker?.checkpoint, inWorker?.workerStart]) {
        expect(x).toBeGreaterThan(0);
        expect(x).toBeLessThanOrEqual(10);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the shipped local profile (issue 18, fidelity at saturation)', () => {
  it('fitted to the mixed sweep alone, the host model predicts the concurrency sweep it was not fitted to within 1.5x', async () => {
    const { fitCalibration } = await import('../../../fidelity/calibrate/profile.ts');
    const { readFileSync } = await import('node:fs');
    // The samples of the local calibration of 2026-12-06 (19:52), kept here: the fitting is checked on
    // real data that holds together. The one shipped since (2026-12-07 05:37) does not: the machine
    // slowed while it measured, its mixed sweep (last, 05:52-06:05) ran far slower than its concurrency
    // sweep (05:45-05:52), and the host demands fitted to it (restore 2.35, checkpoint 2.54 on 2 cpus)
    // predict two golden restores at once at 1.66 s where the concurrency sweep measured 1.03 s.
    const raw = JSON.parse(readFileSync(new URL('./data/local-2026-12-06.samples.json', import.meta.url), 'utf8'));
    const samples = raw.samples;
    const fits = fitCalibration(samples, 64, raw.meta.cpus);
    const host = fits.host!;
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.ceil(xs.length / 2) - 1]!;
    const series: [string, string, { base: { medianMs: number }; msPerMiB: number }, number][] = [
      ['restore', 'golden', fits.restore.golden, host.restore],
      ['restore', 'external', fits.restore.external, host.restore],
      ['checkpoint', 'external', fits.checkpoint.external, host.checkpoint],
    ];
    let checked = 0;
    for (const [primitive, source, fit, demand] of series) {
      const rows = (samples.concurrency as { k: number; primitive: string; source: string; sizeMiB: number; ms: number[] }[]).filter((c) => c.primitive === primitive && c.source === source);
      for (const r of rows.filter((x) => x.k > 1)) {
        // As the simulator computes it: the profile's one alone (base + size / bandwidth), its size
        // part shared with k - 1 others. Not as a slowdown of the sweep's own k = 1: one checkpoint
        // alone measured 1.1-1.6 s in the one-at-a-time sweep and 0.85-0.93 s at k = 1 on
        // 2026-12-06, and the simulator only knows the former. (Shared by the total demand, the fit
        // made restores nearly free, 0.12 cpus: 8 restores at once predicted at 1.0x of one alone
        // where 4.9x was measured.)
        const predicted = fit.base.medianMs + predictBatch(Array.from({ length: r.k }, () => ({ workMs: r.sizeMiB * fit.msPerMiB, demand })), host.cpus)[0]!;
        const measured = median(r.ms);
        const say = `${primitive} ${source} k=${r.k}: predicted ${predicted.toFixed(0)} ms, measured ${measured.toFixed(0)} ms`;
        expect(predicted / measured, say).toBeGreaterThan(1 / 1.5);
        expect(predicted / measured, say).toBeLessThan(1.5);
        checked += 1;
      }
    }
    expect(checked).toBe(9);
  });

  it('on the sweep with restores from the node beside it (2026-12-07 14:27), the store model fits better than the host alone', async () => {
    const { fitCalibration } = await import('../../../fidelity/calibrate/profile.ts');
    const { readFileSync } = await import('node:fs');
    // The local calibration of 2026-12-07 14:27-15:01, kept here. Its 16+16 batch took 36.3 s per restore
    // and 39.5 s per checkpoint at the median while the two restores from the node beside it took 16.9 s:
    // the host alone, every job an equal share, cannot say both (it predicts 26.4 s from the node).
    const raw = JSON.parse(readFileSync(new URL('./data/local-2026-12-07-locals.samples.json', import.meta.url), 'utf8'));
    const host = fitCalibration(raw.samples, 64, raw.meta.cpus).host!;
    // Nine medians: restores, checkpoints and restores from the node of three batches.
    expect(host.n).toBe(9);
    expect(host.store!.n).toBe(9);
    expect(host.rmsLogError).toBeGreaterThan(0.15);
    expect(host.store!.rmsLogError).toBeLessThan(0.12);
    expect(host.storeUsed).toBe(true);
    // Fitted with its host demands free, not tied to the local transfers' (the tied fit gave rms 0.233 here).
    expect(host.store!.hostRestore).not.toBeCloseTo(host.restoreLocal!.demand + host.store!.restore, 2);
  });
});

describe('inWorker from the --limited series (a pod cpu limit caps only the part of a demand inside the worker)', () => {
  it('recovers the in-worker cpus from how much slower each primitive ran under the limit, and their share of the demand', async () => {
    const { fitInWorker } = await import('../../../fidelity/calibrate/profile.ts');
    const { fitSizeCost } = await import('../../../fidelity/calibrate/fit.ts');
    // Size parts of 256 MiB alone: golden and external restores 10 ms/MiB (2,560 ms), checkpoints 5 ms/MiB (1,280 ms); bases 100 and 50 ms.
    // Fitted, as calibrate fits them, to exact samples of base + size x ms per MiB.
    const fit = (msPerMiB: number, baseMs: number) => fitSizeCost([16, 64, 256].flatMap((s) => [0, 1, 2].map(() => ({ sizeMiB: s, ms: baseMs + msPerMiB * s }))));
    const restore = { golden: fit(10, 100), external: fit(10, 100) };
    const checkpoint = fit(5, 50);
    // Under 200m: a golden restore with 1.0 cpu inside the worker runs at 0.2 (size part 12,800 ms), an external one with
    // 1.2 cpus at 1/6 (15,360 ms); a checkpoint with 0.8 cpus at 0.25 (5,120 ms); a start of 2 s whose inside uses 0.1 cpu is not slowed.
    const limited = {
      cpuMilli: 200,
      sizeMiB: 256,
      workerStartMs: [2000, 2010, 1990],
      restore: { golden: [100 + 12_800, 100 + 12_800, 100 + 12_800], external: [100 + 15_360, 100 + 15_360, 100 + 15_360], local: [900, 900, 900] },
      checkpoint: { external: [50 + 5120, 50 + 5120, 50 + 5120], local: [700, 700, 700] },
    };
    const host = { restore: 1.3, checkpoint: 1.6, workerStart: 1 };
    const f = fitInWorker(limited, host, restore, checkpoint, [2000, 2000, 2000])!;
    expect(f.golden.cpus).toBeCloseTo(1.0, 9);
    expect(f.external.cpus).toBeCloseTo(1.2, 9);
    expect(f.checkpoint.cpus).toBeCloseTo(0.8, 9);
    expect([f.golden.bound, f.external.bound, f.checkpoint.bound, f.workerStart.bound]).toEqual([true, true, true, false]);
    // Restores average golden and external: 1.1 of 1.3; checkpoints 0.8 of 1.6; the start at most the limit, 0.2 of 1.
    expect(f.share.restore).toBeCloseTo(1.1 / 1.3, 9);
    expect(f.share.checkpoint).toBeCloseTo(0.5, 9);
    expect(f.share.workerStart).toBeCloseTo(0.2, 9);
    // More cpu under the limit than the host demand (throttling costs more than running free): the share says so, above 1.
    expect(fitInWorker(limited, { ...host, checkpoint: 0.5 }, restore, checkpoint, [2000])!.share.checkpoint).toBeCloseTo(1.6, 9);
    // A series missing a primitive fits nothing.
    expect(fitInWorker({ ...limited, workerStartMs: [] }, host, restore, checkpoint, [2000])).toBeUndefined();
  });

  it('makes the simulated primitive under the limit take what the limited series measured', async () => {
    const { fitInWorker } = await import('../../../fidelity/calibrate/profile.ts');
    const { fitSizeCost } = await import('../../../fidelity/calibrate/fit.ts');
    const { SharedResource } = await import('../../../sim/contention.ts');
    const { EventQueue } = await import('../../../session/event-queue.ts');
    const fit = fitSizeCost([16, 64, 256].flatMap((s) => [0, 1].map(() => ({ sizeMiB: s, ms: 100 + 10 * s }))));
    const limited = { cpuMilli: 250, sizeMiB: 256, workerStartMs: [1000], restore: { golden: [100 + 7000], external: [100 + 7000], local: [1] }, checkpoint: { external: [100 + 7000], local: [1] } };
    const host = { restore: 1.4, checkpoint: 1.4, workerStart: 1 };
    const f = fitInWorker(limited, host, { golden: fit, external: fit }, fit, [1000])!;
    // One restore alone on a worker capped at 250m, its in-worker part the fitted share of the demand: 2,560 ms of work take 7,000.
    const queue = new EventQueue(4);
    const res = new SharedResource(2, queue, 1, 0);
    res.add(0, 2560, 0, 2, 0, 0, 0, host.restore, 3, 0.25, host.restore * f.share.restore);
    let at = Number.NaN;
    while (queue.pop()) {
      if (queue.kind === 1) res.onDone(queue.timeMs, queue.b);
      else at = queue.timeMs;
    }
    expect(at).toBeCloseTo(7000, 6);
  });
  it('with the pair series: two simulated primitives at once on one limited worker each take the measured ratio of one alone', async () => {
    const { fitInWorker, pairRatio } = await import('../../../fidelity/calibrate/profile.ts');
    const { fitSizeCost } = await import('../../../fidelity/calibrate/fit.ts');
    const { SharedResource } = await import('../../../sim/contention.ts');
    const { EventQueue } = await import('../../../session/event-queue.ts');
    const fit = fitSizeCost([16, 64, 256].flatMap((s) => [0, 1].map(() => ({ sizeMiB: s, ms: 10 * s }))));
    // Alone under 200m: 10,000 ms; two at once: 17,400 ms each (1.74x); checkpoints 5,000 and 7,900 (1.58x).
    const limited = {
      cpuMilli: 200,
      sizeMiB: 256,
      workerStartMs: [1000],
      restore: { golden: [10_000, 10_000, 10_050], external: [10_000], local: [1] },
      checkpoint: { external: [5000], local: [1] },
      pair: { golden: [17_400, 17_300, 17_500, 17_400], external: [7900, 7900] },
    };
    const host = { restore: 1.4, checkpoint: 1.4, workerStart: 1 };
    const f = fitInWorker(limited, host, { golden: fit, external: fit }, fit, [1000])!;
    expect(f.pair!.measured.restore).toBeCloseTo(1.74, 9);
    expect(f.pair!.measured.checkpoint).toBeCloseTo(1.58, 9);
    expect(f.pair!.written).toEqual(f.pair!.measured);
    // The simulation: two restores of one worker capped at 200m, bound = ratio - 1; alone one takes 10,000 ms.
    const finish = (jobs: number): number[] => {
      const queue = new EventQueue(4);
      const res = new SharedResource(2, queue, 1, 0);
      for (let j = 0; j < jobs; j++) res.add(0, 2560, 0, 2, j, 0, 0, host.restore, 3, 0.2, host.restore * f.share.restore, f.pair!.written.restore - 1);
      const at: number[] = [];
      while (queue.pop()) {
        if (queue.kind === 1) res.onDone(queue.timeMs, queue.b);
        else at.push(queue.timeMs);
      }
      return at;
    };
    expect(finish(1)[0]).toBeCloseTo(10_000, 0);
    for (const t of finish(2)) expect(t).toBeCloseTo(17_400, 0);
    // Written within (1, 2]: a pair slower than equal sharing is written as equal sharing, one never slowed as 1.05.
    expect([pairRatio(2.3), pairRatio(0.9), pairRatio(1), pairRatio(1.5), pairRatio(Number.NaN)]).toEqual([2, 1.05, 1.05, 1.5, 2]);
    // Without a pair series, no pair.
    expect(fitInWorker({ ...limited, pair: undefined }, host, { golden: fit, external: fit }, fit, [1000])!.pair).toBeUndefined();
  });
});

describe('the store model (contention.host.store)', () => {
  it.each(['job', 'process'] as const)("predictBatch with the store, shared by %s, is what the simulator's shared resource does with the same jobs", (share) => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ workMs: fc.integer({ min: 1, max: 1000 }), demand: fc.double({ min: 0.1, max: 2, noNaN: true }), store: fc.option(fc.double({ min: 0.05, max: 1, noNaN: true }), { nil: undefined }) }),
          { minLength: 1, maxLength: 12 },
        ),
        fc.double({ min: 0.5, max: 4, noNaN: true }),
        (jobs, capacity) => {
          const queue = new EventQueue(8);
          const res = new SharedResource(capacity, queue, 9, 0, share === 'process');
          jobs.forEach((j, i) =>
            j.store === undefined ? res.add(0, j.workMs, 0, 1, i, 0, 0, j.demand, i) : res.add(0, j.workMs, 0, 1, i, 0, 0, j.demand, i, 1, j.store, 1, STORE_GROUP),
          );
          const got = new Array<number>(jobs.length);
          while (queue.pop()) {
            if (queue.kind === 9) res.onDone(queue.timeMs, queue.b);
            else got[queue.a] = queue.timeMs;
          }
          const want = predictBatch(jobs, capacity, 1, share);
          for (let i = 0; i < jobs.length; i++) expect(got[i]).toBeCloseTo(want[i]!, 6);
        },
      ),
      { numRuns: 200, seed: 30 },
    );
  });

  it('a local transfer does not wait for the store that the store transfers beside it queue for', () => {
    // Two cpus; one store thread. Two uploads (store demand 1, host demand 1) and a local restore (host demand 1), 1,000 ms of work each.
    // The store holds each upload to half speed (1,000 ms -> 2,000); they use one cpu between them, so the local restore has the other: 1,000.
    const t = predictBatch([{ workMs: 1000, demand: 1, store: 1 }, { workMs: 1000, demand: 1, store: 1 }, { workMs: 1000, demand: 1 }], 2, 1);
    expect(t[0]).toBeCloseTo(2000, 9);
    expect(t[1]).toBeCloseTo(2000, 9);
    expect(t[2]).toBeCloseTo(1000, 9);
    // On the host alone, all three share two cpus: 1,500 each.
    expect(predictBatch([{ workMs: 1000, demand: 1 }, { workMs: 1000, demand: 1 }, { workMs: 1000, demand: 1 }], 2)).toEqual([1500, 1500, 1500]);
  });

  it('fitStoreDemands recovers the store demands and the host demands of a noiseless mixed sweep, whatever the worker\'s side costs', () => {
    const local = { restore: 0.6, checkpoint: 0.9 };
    for (const [sr, sc, extra] of [
      [0.8, 0.5, 0],
      [0.3, 1, 0],
      [1, 0.7, 0],
      // The worker's side of a store transfer costing more than the same bytes from the node (as measured on 2026-12-07).
      [0.3, 0.5, 0.4],
    ] as const) {
      const host = (l: number, s: number) => Math.min(2, l + s + extra);
      const obs: MixedObservation[] = MIXES.map(([r, c]) => {
        const t = predictBatch(
          [...Array.from({ length: r! }, () => ({ workMs: SOLO_R, demand: host(local.restore, sr), store: sr })), ...Array.from({ length: c! }, () => ({ workMs: SOLO_C, demand: host(local.checkpoint, sc), store: sc }))],
          2,
          1,
        );
        return { restores: r!, checkpoints: c!, restoreMs: r! > 0 ? t[0]! : Number.NaN, checkpointMs: c! > 0 ? t[r!]! : Number.NaN, soloRestoreMs: SOLO_R, soloCheckpointMs: SOLO_C };
      });
      const f = fitStoreDemands(obs, 2, 1, local);
      // Four numbers from the medians: the same predictions (rms), though not always the same numbers: under
      // job sharing these mixes cannot tell every pair of host and store demands apart (the last case fits
      // as well with store demands 0.65 and 0.9, host demands 0.67 and 0.9).
      expect(f.rmsLogError, `${sr} ${sc} ${extra}`).toBeLessThan(1e-3);
      if (extra === 0 && sr < 1) {
        expect(Math.abs(f.restore / sr - 1), `${sr}`).toBeLessThan(0.05);
        expect(Math.abs(f.checkpoint / sc - 1), `${sc}`).toBeLessThan(0.05);
        expect(Math.abs(f.hostRestore / host(local.restore, sr) - 1)).toBeLessThan(0.05);
      }
      // In range: a store demand at most the threads (one alone runs at its measured speed), a host demand at least the store's.
      expect(f.restore).toBeLessThanOrEqual(1);
      expect(f.hostRestore).toBeGreaterThanOrEqual(f.restore);
      expect(f.hostCheckpoint).toBeGreaterThanOrEqual(f.checkpoint);
    }
    expect(() => fitStoreDemands([], 2, 1, local)).toThrow(/no observations/);
  });

  it('fitStoreDemands shared by process recovers the store demands of a noiseless mixed sweep made that way', () => {
    const local = { restore: 0.6, checkpoint: 0.9 };
    for (const [sr, sc] of [
      [0.8, 0.5],
      [0.3, 1],
    ] as const) {
      const host = (l: number, s: number) => Math.min(2, l + s);
      const obs: MixedObservation[] = MIXES.map(([r, c]) => {
        const t = predictBatch(
          [...Array.from({ length: r! }, () => ({ workMs: SOLO_R, demand: host(local.restore, sr), store: sr })), ...Array.from({ length: c! }, () => ({ workMs: SOLO_C, demand: host(local.checkpoint, sc), store: sc }))],
          2,
          1,
          'process',
        );
        return { restores: r!, checkpoints: c!, restoreMs: r! > 0 ? t[0]! : Number.NaN, checkpointMs: c! > 0 ? t[r!]! : Number.NaN, soloRestoreMs: SOLO_R, soloCheckpointMs: SOLO_C };
      });
      const f = fitStoreDemands(obs, 2, 1, local, 'process');
      expect(f.share).toBe('process');
      expect(f.rmsLogError).toBeLessThan(1e-3);
      expect(Math.abs(f.restore / sr - 1), `${sr}`).toBeLessThan(0.05);
      expect(Math.abs(f.checkpoint / sc - 1), `${sc}`).toBeLessThan(0.05);
    }
  });
});
