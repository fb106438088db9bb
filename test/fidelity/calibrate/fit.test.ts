import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fitLognormal, fitSharedCapacity, fitSizeCost, MIN_BASE_MS, nearestRank, predictAt, UNMEASURED_MIB_PER_SEC, type SizedSample } from '../../../fidelity/calibrate/fit.ts';
import { fitCalibration, fitContention, renderProfile, type CalibrationMeta, type CalibrationSamples, type ConcurrencySample } from '../../../fidelity/calibrate/profile.ts';
import { probeScenario } from '../../../fidelity/calibrate/main.ts';
import { loadScenarioFile } from '../../../scenarios/load.ts';

describe('fitSizeCost', () => {
  it('recovers base and bandwidth of an exact line', () => {
    // 20 ms + size / 200 MiB/s = 20 ms + 5 ms per MiB.
    const samples = [16, 64, 256].flatMap((s) => [0, 1, 2].map(() => ({ sizeMiB: s, ms: 20 + 5 * s })));
    const f = fitSizeCost(samples);
    expect(f.msPerMiB).toBeCloseTo(5, 9);
    expect(f.mibPerSec).toBeCloseTo(200, 6);
    expect(f.base.medianMs).toBeCloseTo(20, 9);
    expect(f.base.p99Ms).toBeCloseTo(20, 9);
    expect(f.r2).toBeCloseTo(1, 9);
    expect(f.sizesMiB).toEqual([16, 64, 256]);
    expect(predictAt(f, 128).medianMs).toBeCloseTo(20 + 640, 6);
  });

  it('fits the line through per-size medians, so one outlier does not tilt it', () => {
    const samples = [
      ...[16, 64, 256].flatMap((s) => [10, 12, 14].map((b) => ({ sizeMiB: s, ms: b + 2 * s }))),
      { sizeMiB: 256, ms: 10_000 },
    ];
    const f = fitSizeCost(samples);
    expect(f.msPerMiB).toBeCloseTo(2, 1);
    expect(f.base.medianMs).toBeGreaterThan(9);
    expect(f.base.medianMs).toBeLessThan(15);
    // The outlier stays in the tail of the base.
    expect(f.base.p99Ms).toBeGreaterThan(1000);
  });

  it('takes the size term as nil with one size or a falling line', () => {
    const one = fitSizeCost([{ sizeMiB: 8, ms: 30 }, { sizeMiB: 8, ms: 40 }]);
    expect(one.msPerMiB).toBe(0);
    expect(one.mibPerSec).toBe(UNMEASURED_MIB_PER_SEC);
    expect(one.base.medianMs).toBe(30);
    expect(one.base.p99Ms).toBe(40);
    const falling = fitSizeCost([{ sizeMiB: 4, ms: 50 }, { sizeMiB: 8, ms: 40 }]);
    expect(falling.mibPerSec).toBe(UNMEASURED_MIB_PER_SEC);
    expect(Number.isNaN(falling.r2)).toBe(true);
  });

  it('floors a base the line pushes below zero', () => {
    // Convex times: the line's intercept is negative.
    const f = fitSizeCost([{ sizeMiB: 1, ms: 1 }, { sizeMiB: 2, ms: 2 }, { sizeMiB: 100, ms: 1000 }]);
    expect(f.base.medianMs).toBe(MIN_BASE_MS);
    expect(f.base.p99Ms).toBeGreaterThanOrEqual(f.base.medianMs);
  });
});

describe('fitLognormal', () => {
  it('takes the median and the nearest-rank p99', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(fitLognormal(values)).toEqual({ medianMs: 50, p99Ms: 99, n: 100 });
    expect(nearestRank([3, 1, 2], 0.5)).toBe(2);
    expect(() => fitLognormal([])).toThrow(/no samples/);
  });
});

describe('fitSharedCapacity', () => {
  const exact = (capacity: number, ks: number[]) => ks.map((k) => ({ k, slowdown: Math.max(1, k / capacity) }));

  it.each([1.25, 0.8, 3])('recovers the capacity %d of exact processor-sharing slowdowns', (capacity) => {
    const f = fitSharedCapacity(exact(capacity, [1, 2, 4, 8]));
    expect(f.capacity).toBeCloseTo(capacity, 9);
    expect(f.rmse).toBeCloseTo(0, 9);
    expect(f.n).toBe(4);
  });

  it('is the least-squares capacity of noisy points (hand-computed)', () => {
    // Points (1, 1), (2, 2), (4, 4.4). With C < 1 all three share: 1/C = (1 + 4 + 17.6) / (1 + 4 + 16),
    // SSE 0.0381; with C in [1, 2) the best is C = 1 (SSE 0.16); above, worse still.
    const f = fitSharedCapacity([
      { k: 1, slowdown: 1 },
      { k: 2, slowdown: 2 },
      { k: 4, slowdown: 4.4 },
    ]);
    expect(f.capacity).toBeCloseTo(21 / 22.6, 9);
    const x = 22.6 / 21;
    expect(f.rmse).toBeCloseTo(Math.sqrt(((1 - x) ** 2 + (2 - 2 * x) ** 2 + (4.4 - 4 * x) ** 2) / 3), 9);
  });

  it('says Infinity when the sweep shows no sharing, and refuses no points', () => {
    expect(fitSharedCapacity(exact(100, [1, 2, 4])).capacity).toBe(Number.POSITIVE_INFINITY);
    expect(() => fitSharedCapacity([])).toThrow(/no points/);
  });
});

describe('fitContention', () => {
  it('fits transfers on the size part (less the base) and worker starts whole', () => {
    const sample = (k: number, primitive: ConcurrencySample['primitive'], source: ConcurrencySample['source'], ms: number): ConcurrencySample => ({ k, primitive, source, sizeMiB: primitive === 'workerStart' ? 0 : 256, ms: [ms, ms + 1, ms - 1] });
    // Base 20 ms, transfer 100 ms alone, capacity 1.25: k at once take 20 + 100 * max(1, k / 1.25).
    const sweep = [1, 2, 4, 8].flatMap((k) => [
      sample(k, 'restore', 'golden', 20 + 100 * Math.max(1, k / 1.25)),
      sample(k, 'checkpoint', 'external', 20 + 100 * Math.max(1, k / 1.25)),
      // Worker starts of 200 ms, 1.6 at full speed.
      sample(k, 'workerStart', 'none', 200 * Math.max(1, k / 1.6)),
    ]);
    const f = fitContention(sweep, () => 20, 2)!;
    expect(f.transfers!.capacity).toBeCloseTo(1.25, 9);
    expect(f.transfers!.points).toHaveLength(8);
    expect(f.workerStart!.capacity).toBeCloseTo(1.6, 9);
    expect(f.workerStart!.cpus).toBe(2);
    // Without subtracting the base the slowdowns would be smaller, and so the fit a larger capacity.
    expect(fitContention(sweep, () => 0, 2)!.transfers!.capacity).toBeGreaterThan(1.3);
    // A local series is fitted apart (the node's disk): it leaves the store's capacity alone.
    const withLocal = [...sweep, ...[1, 2, 4, 8].map((k) => sample(k, 'checkpoint', 'local', 20 + 100 * Math.max(1, k / 2)))];
    const shared = fitContention(withLocal, () => 20, 2)!;
    expect(shared.transfers!.capacity).toBeCloseTo(1.25, 9);
    expect(shared.localTransfers).toMatchObject({ separate: false });
    // splitLocal (k8s): a resource of its own.
    const split = fitContention(withLocal, () => 20, 2, true)!;
    expect(split.transfers!.capacity).toBeCloseTo(1.25, 9);
    expect(split.localTransfers!.capacity).toBeCloseTo(2, 9);
    expect(split.localTransfers!.separate).toBe(true);
    expect(split.localTransfers!.points.every((p) => p.series === 'checkpoint local')).toBe(true);
    // Only a local series swept: it stands for every transfer.
    const onlyLocal = fitContention(withLocal.filter((s) => s.source === 'local'), () => 20, 2, true)!;
    expect(onlyLocal.transfers!.capacity).toBeCloseTo(2, 9);
    expect(onlyLocal.localTransfers).toBeUndefined();
    // No k = 1, nothing to compare with: no block.
    expect(fitContention(sweep.filter((s) => s.k !== 1), () => 20, 2)).toBeUndefined();
  });

  it('ends up as a contention block that loads with the profile', () => {
    const sized = (ms: (s: number) => number): SizedSample[] => [16, 64, 256].flatMap((s) => [0, 1, 2].map((i) => ({ sizeMiB: s, ms: ms(s) + i })));
    const samples: CalibrationSamples = {
      workerStartMs: [200, 201, 202],
      dispatch: sized(() => 2),
      restore: { local: sized((s) => 8 + s / 0.75), external: sized((s) => 18 + s / 0.35), golden: sized((s) => 30 + s / 0.4), cold: sized((s) => 2 + s / 1.3) },
      goldenFirst: [{ sizeMiB: 16, ms: 170 }],
      checkpoint: { local: sized((s) => 3 + s / 0.5), external: sized((s) => 1 + s / 0.2) },
      concurrency: [1, 2, 4, 8].flatMap((k) => [
        { k, primitive: 'restore' as const, source: 'golden' as const, sizeMiB: 256, ms: new Array<number>(k).fill(30 + 640 * Math.max(1, k / 1.1)) },
        { k, primitive: 'workerStart' as const, source: 'none' as const, sizeMiB: 0, ms: new Array<number>(k).fill(200 * Math.max(1, k / 1.4)) },
        { k, primitive: 'checkpoint' as const, source: 'local' as const, sizeMiB: 256, ms: new Array<number>(k).fill(3 + 512 * Math.max(1, k / 1.8)) },
      ]),
    };
    const fits = fitCalibration(samples, 64, 2, true);
    const meta: CalibrationMeta = {
      backend: 'local', cpuModel: 'test cpu', cpus: 2, os: 'test', node: 'v20', memoryGiB: 1, date: '2025-01-02T03:04:05.000Z',
      sizesMiB: [16, 64, 256], repeats: 3, command: 'test', wallMs: 1, loadAverage: { before: [0, 0, 0], after: [0, 0, 0] },
    };
    const text = renderProfile('synthetic', fits, samples, meta, 'synthetic.samples.json');
    // The golden base is fitted at about 31 ms (the samples add 0-2 ms), so the transfer slowdowns are near, not at, k / 1.1.
    expect(text).toMatch(/^contention:\n {2}scope: machine\n {2}transfers: \{streams: 1\.\d+, local: 1\.\d+\}\n {2}cpu: \{cpus: 2, workerStart: 1\.429\}$/m);
    expect(text).toMatch(/^# Concurrency sweep \(fitted into contention above\)/m);
    // Without the split (one host), local transfers share the store's resource: shown, not fitted.
    const oneHost = renderProfile('synthetic', fitCalibration(samples, 64, 2), samples, meta, 'synthetic.samples.json');
    expect(oneHost).toMatch(/^ {2}transfers: \{streams: 1\.\d+\}$/m);
    expect(oneHost).toMatch(/^# Local snapshots share that resource .* not in the fit:$/m);
    expect(text).toMatch(/^# {3}worker start \(k started at once\): k=1 200 \(1x\), k=2 286 \(1\.43x\)/m);
    const dir = mkdtempSync(join(tmpdir(), 'calibrate-fit-test-'));
    try {
      writeFileSync(join(dir, 'synthetic.yaml'), text);
      writeFileSync(join(dir, 's.yaml'), probeScenario('synthetic.yaml'));
      const contention = loadScenarioFile(join(dir, 's.yaml')).costs.contention!;
      expect(contention.scope).toBe('machine');
      expect(contention.transfers!.streams).toBeCloseTo(1.1, 2);
      expect(contention.transfers!.local).toBeCloseTo(1.8, 2);
      expect(contention.cpu).toEqual({ cpus: 2, workerStart: 1.429 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
