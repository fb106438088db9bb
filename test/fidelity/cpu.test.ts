import { describe, expect, it } from 'vitest';
import { besideNote, besideTheRun, cpuCount, cpuNote, cpuPoints, machineCost, modelledHostWorkMs, realCpuLines } from '../../fidelity/cpu.ts';
import { cpuUsed } from '../../real/run.ts';
import { machineCpu } from '../../real/local/proc-cpu.ts';
import type { CostModel } from '../../scenarios/scenario.ts';

describe('where the cpu went (issue 18)', () => {
  it('reads /proc/stat\'s cpu line by kind, nice counted as user', () => {
    const stat = 'cpu  100 20 50 1000 7 3 2 1 0 0\ncpu0 50 10 25 500 3 1 1 0 0 0\n';
    expect(machineCpu(stat, 100)).toEqual({ userMs: 1200, systemMs: 500, idleMs: 10_000, iowaitMs: 70, irqMs: 50, stealMs: 10 });
    expect(machineCpu('intr 1 2 3\n', 100)).toBeUndefined();
  });

  it('a real run\'s cpu between two readings, and its line: busy of available, the driver, the store, the workers and the rest', () => {
    const at = (atMs: number, busy: number, driverUs: number, store: number, workers: number) => ({
      atMs,
      machine: { userMs: busy * 0.6, systemMs: busy * 0.4, idleMs: 2 * atMs - busy, iowaitMs: 0, irqMs: 0, stealMs: 0 },
      driver: { user: driverUs, system: 0 },
      store,
      workers,
    });
    const used = cpuUsed(at(1000, 100, 5_000_000, 300, 0), at(121_000, 220_100, 35_000_000, 40_300, 110_000));
    expect(used).toEqual({ wallMs: 120_000, machine: { userMs: 132_000, systemMs: 88_000, iowaitMs: 0, irqMs: 0, stealMs: 0, idleMs: 20_000 }, driverMs: 30_000, storeMs: 40_000, workersMs: 110_000 });
    const line = realCpuLines({ policies: [{ name: 'shared-8', cpu: used }, { name: 'old' }] }, 'local');
    expect([...line.keys()]).toEqual(['shared-8']);
    expect(line.get('shared-8')).toBe(
      'the real run kept this machine busy 220.0 of 240.0 cpu-s over 120.0 s (2.0 cpus; user 132.0, system 88.0, irq 0.0, steal 0.0; iowait 0.0 more): its driver 30.0, the store 40.0, the workers 110.0, the rest (kernel threads, page reclaim, other processes) 40.0',
    );
    // On Kubernetes the machine figures are the driver pod's sandbox's: only its own cpu is said.
    expect(realCpuLines({ policies: [{ name: 'p', cpu: { ...used, storeMs: null, workersMs: null } }] }, 'k8s').get('p')).toBe('the real run took 120.0 s: its driver 30.0 cpu-s');
    expect(realCpuLines(null, 'local').size).toBe(0);
  });

  it('the host model\'s work: each completed primitive\'s solo part times its demand', () => {
    const size = (mibPerSec: number) => ({ base: { kind: 'constant', valueMs: 0 }, mibPerSec }) as const;
    const costs = {
      name: 'c',
      source: '',
      workerStart: { kind: 'lognormal', medianMs: 2000, p99Ms: 3000 },
      coldBoot: { kind: 'constant', valueMs: 0 },
      restore: { local: size(400), external: size(100), golden: size(100) },
      checkpoint: { local: size(400), external: size(200) },
      dispatch: { kind: 'constant', valueMs: 5 },
      contention: { scope: 'machine', host: { cpus: 2, restore: 1.5, checkpoint: 1, workerStart: 1 } },
    } as unknown as CostModel;
    const measured = [
      { policy: 'p', primitive: 'worker-start', source: '', count: '2', p50_ms: '2500' },
      { policy: 'p', primitive: 'restore', source: 'golden', count: '3', p50_ms: '9000' },
      { policy: 'p', primitive: 'restore', source: 'external', count: '1', p50_ms: '9000' },
      { policy: 'p', primitive: 'checkpoint', source: 'external', count: '4', p50_ms: '9000' },
      { policy: 'q', primitive: 'checkpoint', source: 'external', count: '40', p50_ms: '9000' },
    ];
    // 100 MiB: restores 1 s alone x 1.5 (4 of them), checkpoints 0.5 s x 1 (4), starts 2 s x 1 (2).
    const w = modelledHostWorkMs(measured, 'p', costs, 100)!;
    expect(w.workMs).toBeCloseTo(4 * 1000 * 1.5 + 4 * 500 + 2 * 2000, 9);
    expect(w.cpus).toBe(2);
    expect(w.parts).toBe('restores from the store 6.0, checkpoints to the store 2.0, worker starts 4.0');
    expect(modelledHostWorkMs(measured, 'p', { ...costs, contention: undefined }, 100)).toBeUndefined();
    expect(cpuNote('p', undefined, w)).toBe('Cpu, p: the simulation\'s host model put 12.0 cpu-s of work on its 2 cpus (restores from the store 6.0, checkpoints to the store 2.0, worker starts 4.0).');
    expect(cpuNote('p', undefined, undefined)).toBeUndefined();

    // The machine's cost: the real run's store and workers against what the model charges for the real run's own primitives (12 cpu-s).
    const run = (storeMs: number | null, workersMs: number | null) => ({ policies: [{ name: 'p', cpu: { wallMs: 1, machine: null, driverMs: 500, storeMs, workersMs } }] });
    expect(machineCost(run(3000, 9000), measured, 'p', costs, 100, 'local')).toEqual({ spentMs: 12_000, chargedMs: 12_000, ratio: 1 });
    const dear = machineCost(run(3000, 12_000), measured, 'p', costs, 100, 'local')!;
    expect(dear.ratio).toBe(1.25);
    expect(cpuNote('p', undefined, w, dear)).toBe(
      "Cpu, p: the simulation's host model put 12.0 cpu-s of work on its 2 cpus (restores from the store 6.0, checkpoints to the store 2.0, worker starts 4.0); " +
        "for the real run's own primitives the host model charges 12.0 cpu-s; its store and workers spent 15.0 (1.25x): the machine did the same work at a higher cost than when it was calibrated, " +
        'so the real timings run slow for a reason the profile does not hold (the machine, not the policies).',
    );
    // At 1.05x it is said without the caveat.
    expect(cpuNote('p', undefined, undefined, machineCost(run(3000, 9600), measured, 'p', costs, 100, 'local'))).toBe(
      "Cpu, p: for the real run's own primitives the host model charges 12.0 cpu-s; its store and workers spent 12.6 (1.05x).",
    );
    // Nothing to say on k8s (the driver's sandbox sees no processes), without the processes' cpu, for another policy set, or without a host model.
    expect(machineCost(run(3000, 9000), measured, 'p', costs, 100, 'k8s')).toBeUndefined();
    expect(machineCost(run(null, 9000), measured, 'p', costs, 100, 'local')).toBeUndefined();
    expect(machineCost(run(3000, 9000), measured, 'r', costs, 100, 'local')).toBeUndefined();
    expect(machineCost(run(3000, 9000), measured, 'p', { ...costs, contention: undefined }, 100, 'local')).toBeUndefined();
    expect(machineCost(null, measured, 'p', costs, 100, 'local')).toBeUndefined();
  });

  it('cpu.csv as the chart\'s points: each part in cpus, everything else busy as "other", iowait as idle, unreadable parts left out', () => {
    const row = (over: Record<string, string>) => ({ policy: 'p', at_ms: '1000', wall_ms: '1000', user_ms: '1200', system_ms: '600', iowait_ms: '50', irq_ms: '100', steal_ms: '0', idle_ms: '50', driver_ms: '100', store_ms: '500', workers_ms: '1000', ...over });
    const points = cpuPoints([row({}), row({ at_ms: '2000', store_ms: '', user_ms: '' }), row({ policy: 'q', wall_ms: '0' })]);
    expect([...points.keys()]).toEqual(['p']);
    const byPart = (at: number) => Object.fromEntries(points.get('p')!.filter((x) => x.atMs === at).map((x) => [x.part, x.cpus]));
    expect(byPart(1000)).toEqual({ store: 0.5, workers: 1, driver: 0.1, other: 0.3, idle: 0.1 });
    // No store figure and no machine figure: neither is drawn (nor "other", which needs the machine's).
    expect(byPart(2000)).toEqual({ workers: 1, driver: 0.1, idle: 0.1 });
    expect(cpuCount([row({}), row({}), row({ wall_ms: '500' })])).toBe(2);
    expect(cpuCount([])).toBe(1);
  });

  it('cpu beside the run: busy time no process of the run accounts for, said above 5% of the machine with its busiest 10 s', () => {
    // 30 intervals of 1 s on 2 cpus; the run's processes account for all of the busy time but 0.02 cpus, except 10 s from 12 s where 0.6 more is busy.
    const rows = Array.from({ length: 30 }, (_, i) => {
      const extra = i >= 12 && i < 22 ? 600 : 20;
      return { policy: 'p', at_ms: String((i + 1) * 1000), wall_ms: '1000', user_ms: String(800 + extra), system_ms: '500', irq_ms: '0', steal_ms: '0', idle_ms: String(700 - extra), iowait_ms: '0', driver_ms: '100', store_ms: '400', workers_ms: '800' };
    });
    const b = besideTheRun(rows, 'p')!;
    expect(b.besideMs).toBe(20 * 20 + 10 * 600);
    expect(b.machineMs).toBe(60_000);
    expect(b.share).toBeCloseTo(6400 / 60_000, 12);
    expect([b.fromMs, b.toMs]).toEqual([12_000, 22_000]);
    expect(besideNote('p', b)).toBe(
      "Cpu beside the run, p: something other than the run's own processes kept the machine busy 6.4 of its 60.0 cpu-s (10.7%, most between 12.0 and 22.0 s into the run): " +
        "kernel work, or another program on the machine; the real timings are not the run's alone (real/cpu.csv, and the cpu chart in report.html).",
    );
    // The run's own kernel work alone (2% here, 1.2-2.6% in the real runs of 2026-12-07) is not called out.
    const quiet = rows.map((r) => ({ ...r, user_ms: '820', idle_ms: '680' }));
    expect(besideNote('p', besideTheRun(quiet, 'p'))).toBeUndefined();
    expect(besideTheRun(rows, 'q')).toBeUndefined();
    expect(besideTheRun(rows.map((r) => ({ ...r, store_ms: '' })), 'p')).toBeUndefined();
  });
});
