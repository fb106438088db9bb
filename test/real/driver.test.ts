import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../scenarios/load.ts';
import type { Scenario } from '../../scenarios/scenario.ts';
import { generateWorkload, type Workload } from '../../scenarios/workload.ts';
import { compressScenario, compressWorkload } from '../../real/compress.ts';
import { drive, type RealRunResult } from '../../real/driver.ts';
import { LocalRuntime } from '../../real/local/runtime.ts';
import { summarize } from '../../reports/summary.ts';
import { startStoreServer } from '../../real/store/server.ts';
import { runSimulate } from '../../sim/main.ts';
import { WAIT_CEILING_MS, waitFor } from '../helpers/wait.ts';

// A tiny scenario: 6 actors of 8 MiB on 2 workers x 2 slots, 40 s of traffic
// replayed 5x faster; short TTLs so actors suspend and resume many times.
// Parking waits up to 10 minutes: on a busy machine workers start late, and a
// parked invocation must wait for them, not be rejected for the machine's pace.
const TINY = `
name: tiny
seed: 5
duration: 40s
cluster: {nodes: [{name: node-a, memory: 4Gi}, {name: node-b, memory: 4Gi}]}
pools: [{name: p, replicas: 2, actorSlots: 2, worker: {memory: 64Mi}}]
templates: [{name: t, pool: p, memory: 8Mi, snapshot: 8Mi, work: {kind: constant, value: 250ms}}]
workload: [{template: t, actors: 6, arrivals: {kind: poisson, ratePerSec: 2}}]
costs: substrate-kind
policies:
  - {name: ttl-suspend, placement: p2c, idle: {kind: ttl, ttl: 2s, action: suspend}, admission: {parkTimeout: 10m, maxParked: 100}, maxAttempts: 5}
  - {name: immediate-pause, placement: locality, idle: {kind: immediate, action: pause}, admission: {parkTimeout: 10m, maxParked: 100}, maxAttempts: 5}
`;

const dirs: string[] = [];
function temp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `actorsim-${prefix}-`));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const TOKEN = 'test-token-0123456789abcdef';
// The store's secret differs from the workers' token: workers reach the store only with the driver's grants.
const STORE_SECRET = 'store-secret-fedcba9876543210';

async function setup(speedup: number): Promise<{ file: string; scenario: Scenario; workload: Workload }> {
  const dir = temp('scn');
  const file = join(dir, 'tiny.yaml');
  writeFileSync(file, TINY);
  const original = loadScenarioFile(file);
  const scenario = compressScenario(original, speedup);
  const workload = compressWorkload(await generateWorkload(original, original.seed), speedup);
  return { file, scenario, workload };
}

function servedPerActor(r: RealRunResult): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of r.replies) if (x.outcome === 'served') m.set(x.actor, (m.get(x.actor) ?? 0) + 1);
  return m;
}

async function run(
  scenario: Scenario,
  workload: Workload,
  policyIndex: number,
  extra: { killEveryMs?: number; sampleEveryMs?: number; store?: { url: string; token: string } } = {},
): Promise<{ result: RealRunResult; resident: Map<string, number> }> {
  const policy = scenario.policies[policyIndex]!;
  const runtime = await LocalRuntime.start({
    workDir: temp('run'),
    token: TOKEN,
    poolSlots: { p: 2 },
    templateMemoryMiB: { t: 8 },
    startTimeoutMs: WAIT_CEILING_MS,
    ...(extra.store === undefined ? {} : { store: extra.store }),
  });
  let resident = new Map<string, number>();
  const result = await drive(scenario, policy, workload, runtime, {
    seed: scenario.seed,
    clock: () => performance.now(),
    killEveryMs: extra.killEveryMs ?? 0,
    ...(extra.sampleEveryMs === undefined ? {} : { sampleEveryMs: extra.sampleEveryMs }),
    memoryEveryMs: 500,
    // A ceiling, not a pace: the run ends as soon as every invocation has its outcome.
    drainMs: WAIT_CEILING_MS,
    beforeClose: async () => {
      resident = await runtime.residentCounters();
    },
  });
  return { result, resident };
}

describe('real driver on the local runtime', () => {
  it('serves every invocation and advances each actor exactly once per served invocation', async () => {
    const { scenario, workload } = await setup(5);
    for (const p of [0, 1]) {
      const { result, resident } = await run(scenario, workload, p);
      expect(result.partial).toBe(false);
      expect(result.measured.errors).toEqual([]);
      expect(result.replies.length).toBe(workload.arrivalMs.length);
      expect(result.replies.filter((r) => r.outcome !== 'served')).toEqual([]);
      const served = servedPerActor(result);
      for (const [actor, v] of result.actors) {
        // The core's count of applied invocations is the number served, and the
        // worker's own counter agrees wherever the actor is still resident
        // (elsewhere the worker checked it when the checkpoint was taken).
        expect(v.version, actor).toBe(served.get(actor) ?? 0);
        if (resident.has(actor)) expect(resident.get(actor), actor).toBe(v.version);
      }
      // Measured: restores and checkpoints happened and were timed.
      const restores = Object.values(result.measured.restoreMs).flat();
      const checkpoints = Object.values(result.measured.checkpointMs).flat();
      expect(restores.length).toBeGreaterThan(0);
      expect(checkpoints.length).toBeGreaterThan(0);
      expect(result.measured.memory.length).toBeGreaterThan(0);
      // The log (primitives.csv): one record per primitive that completed, each with the times the aggregates hold.
      const log = result.measured.log;
      const count = (kind: string) => log.filter((x) => x.primitive === kind && x.ok).length;
      expect(count('restore')).toBe(restores.length);
      expect(count('checkpoint')).toBe(checkpoints.length);
      expect(count('execute')).toBe(result.measured.dispatchMs.length);
      expect(count('worker-start')).toBe(result.measured.workerStartMs.length);
      for (const x of log) {
        expect(x.endMs, `${x.primitive} of ${x.actor}`).toBeGreaterThanOrEqual(x.startMs);
        // The worker's own time is within the round trip (HTTP and queueing make up the rest).
        if (x.workerMs !== undefined) expect(x.workerMs).toBeLessThanOrEqual(x.endMs - x.startMs + 1);
      }
      // Checkpoints carry the worker's phases, each ending within its own time.
      for (const x of log.filter((r) => r.primitive === 'checkpoint' && r.ok)) {
        expect(x.phases?.seal, x.actor).toBeGreaterThanOrEqual(0);
        for (const v of Object.values(x.phases!)) expect(v).toBeLessThanOrEqual(x.workerMs! + 1e-6);
      }
    }
  });

  it('survives workers killed with SIGKILL: every invocation accounted for, no snapshot fails its checksum', async () => {
    const { scenario, workload } = await setup(5);
    const { result } = await run(scenario, workload, 0, { killEveryMs: 1500 });
    expect(result.kills).toBeGreaterThan(0);
    expect(result.counters.workersLost).toBeGreaterThan(0);
    expect(result.replies.length).toBe(workload.arrivalMs.length);
    expect(new Set(result.replies.map((r) => r.invocation)).size).toBe(workload.arrivalMs.length);
    for (const r of result.replies.filter((x) => x.outcome === 'rejected')) expect(['worker-lost', 'park-timeout', 'restore-failed']).toContain(r.reason);
    expect(result.measured.errors.filter((e) => /corrupt|version-mismatch/.test(e))).toEqual([]);
    // Work since an actor's last snapshot dies with its worker; work that was checkpointed never does.
    const served = servedPerActor(result);
    for (const [actor, v] of result.actors) expect(v.snapshotVersion, actor).toBeLessThanOrEqual(served.get(actor) ?? 0);
  });

  it('rides out a snapshot-store outage: checkpoints fail and are retried, nothing is lost', async () => {
    const { scenario, workload } = await setup(5);
    const storeDir = temp('store');
    // The outage is paced by the traffic, not the clock: it starts once a checkpoint reached the
    // store and ends once the store has refused one, so it falls mid-run however slow the machine.
    let phase: 'before' | 'outage' | 'after' = 'before';
    const store = await startStoreServer({
      dir: storeDir,
      token: STORE_SECRET,
      onRequest: ({ method, path, outage }) => {
        const checkpoint = method === 'PUT' && path.startsWith('/blobs/actors/');
        if (!checkpoint) return;
        if (phase === 'before') {
          phase = 'outage';
          queueMicrotask(() => store.setOutage(true));
        } else if (phase === 'outage' && outage) {
          phase = 'after';
          queueMicrotask(() => store.setOutage(false));
        }
      },
    });
    try {
      const { result } = await run(scenario, workload, 0, { store: { url: store.url, token: STORE_SECRET } });
      expect(phase).toBe('after');
      expect(result.counters.checkpointFailures).toBeGreaterThan(0);
      expect(result.replies.length).toBe(workload.arrivalMs.length);
      // Failed checkpoints leave actors resident; failed restores are retried; nothing is rejected.
      expect(result.replies.filter((r) => r.outcome !== 'served').map((r) => r.reason)).toEqual([]);
      const served = servedPerActor(result);
      for (const [actor, v] of result.actors) expect(v.version, actor).toBe(served.get(actor) ?? 0);
    } finally {
      await store.close();
    }
  });

  it('restarts its cost integrals at the end of the warm-up, as the simulator does', async () => {
    const { scenario: whole, workload } = await setup(5);
    // 8 s of run time; the first 2 s are warm-up.
    const scenario = { ...whole, warmupMs: 2000 };
    const { result } = await run(scenario, workload, 0, { sampleEveryMs: 500 });
    expect(result.partial).toBe(false);
    expect(result.counters.workersLost).toBe(0);
    // The pool's two workers exist from time 0 to the end (static replicas): counted from the warm-up's end, not from 0.
    expect(result.totals.workerMs).toBeCloseTo(2 * (result.endMs - 2000), 6);
    const row = summarize(result);
    expect(Number(row.worker_seconds)).toBeCloseTo((2 * (result.endMs - 2000)) / 1000, 2);
    expect(Number(row.mean_resident)).toBeLessThanOrEqual(Number(row.peak_resident));
    // The time series covers the whole run, warm-up included, as the simulator's does.
    const times = result.samples.map((x) => x.timeMs);
    expect(times[0]).toBe(0);
    expect(times.some((t) => t < 2000)).toBe(true);
  });

  it('samples workers, resident actors and parked invocations on its slots, up to the scenario end', async () => {
    const { scenario, workload } = await setup(5);
    const { result } = await run(scenario, workload, 1, { sampleEveryMs: 400 });
    const s = result.samples;
    // Slots at 0, 400, ..., 8000 ms; a late wake-up may skip one, never repeat one. How many are
    // skipped depends on how late the driver woke, which it measured: a gap between two samples,
    // or between the last and the end, is at most one slot plus that lateness.
    const lateMs = Math.max(0, ...result.measured.lagMs);
    expect(s.length).toBeGreaterThanOrEqual(2);
    expect(s.length).toBeLessThanOrEqual(21);
    expect(s[0]!.timeMs).toBe(0);
    const slots = s.map((x) => Math.floor(x.timeMs / 400));
    expect(new Set(slots).size).toBe(slots.length);
    for (let i = 1; i < s.length; i++) {
      expect(s[i]!.timeMs).toBeGreaterThan(s[i - 1]!.timeMs);
      expect(s[i]!.timeMs % 400).toBe(0);
      expect(s[i]!.timeMs - s[i - 1]!.timeMs).toBeLessThanOrEqual(400 + lateMs + 400);
    }
    expect(s[s.length - 1]!.timeMs).toBeLessThanOrEqual(scenario.durationMs);
    expect(s[s.length - 1]!.timeMs).toBeGreaterThanOrEqual(scenario.durationMs - 400 - lateMs - 400);
    for (const x of s) {
      // Two static workers of two slots each.
      expect(x.workers).toBe(2);
      expect(x.resident).toBeGreaterThanOrEqual(0);
      expect(x.resident).toBeLessThanOrEqual(4);
      expect(x.parked).toBeGreaterThanOrEqual(0);
    }
    expect(Math.max(...s.map((x) => x.resident))).toBeGreaterThan(0);
  });

  it('writes summary.csv with the same columns as the simulator for the same scenario', async () => {
    const { file } = await setup(1);
    const simOut = temp('sim');
    const benchOut = temp('bench');
    const io = { out: () => {}, err: () => {}, wallMs: () => performance.now(), isoNow: () => '2026-01-01T00:00:00.000Z' };
    expect(await runSimulate(['--scenario', file, '--out', simOut, '--policies', 'ttl-suspend'], io)).toBe(0);
    execFileSync(join('node_modules', '.bin', 'tsx'), ['real/cli.ts', '--scenario', file, '--speedup', '8', '--policies', 'ttl-suspend', '--sample-every', '2s', '--out', benchOut], { stdio: 'pipe' });
    const header = (d: string, f = 'summary.csv'): string => readFileSync(join(d, f), 'utf8').split('\n')[0]!;
    expect(header(benchOut)).toBe(header(simOut));
    expect(readFileSync(join(benchOut, 'measured.csv'), 'utf8')).toContain('restore,');
    // primitives.csv: bench:cluster always writes it; simulate with --primitives, in the same columns.
    const primOut = temp('sim-prim');
    expect(await runSimulate(['--scenario', file, '--out', primOut, '--policies', 'ttl-suspend', '--primitives'], io)).toBe(0);
    expect(header(benchOut, 'primitives.csv')).toBe(header(primOut, 'primitives.csv'));
    expect(existsSync(join(simOut, 'primitives.csv'))).toBe(false);
    // timeseries.csv: the simulator's columns, in scenario time (the run took 5 s of wall time for 40 s of scenario).
    expect(header(benchOut, 'timeseries.csv')).toBe(header(simOut, 'timeseries.csv'));
    const ts = parseCsv(readFileSync(join(benchOut, 'timeseries.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    // Slots every 2 s of scenario time (250 ms of run time at 8x); a late wake-up skips a slot,
    // so gaps are bounded by the driver's own measured lateness (measured.csv), in scenario time.
    const measured = parseCsv(readFileSync(join(benchOut, 'measured.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    const lateMs = 8 * Number(measured.find((m) => m.primitive === 'driver-lag')?.max_ms ?? 0);
    expect(ts.length).toBeGreaterThanOrEqual(2);
    expect(ts.length).toBeLessThanOrEqual(21);
    expect(ts[0]).toMatchObject({ policy: 'ttl-suspend', time_ms: '0', workers: '2', seed: '5' });
    const times = ts.map((r) => Number(r.time_ms));
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeLessThanOrEqual(2000 + lateMs + 2000);
    const last = times[times.length - 1]!;
    expect(last).toBeGreaterThanOrEqual(40_000 - 2000 - lateMs - 2000);
    expect(last).toBeLessThanOrEqual(40_000);
    // cpu.csv: where the cpu went, interval by interval, in real time (the run's 5 s): the store and both workers read.
    const cpu = parseCsv(readFileSync(join(benchOut, 'cpu.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(cpu.length).toBeGreaterThanOrEqual(2);
    expect(cpu.every((r) => r.policy === 'ttl-suspend' && Number(r.wall_ms) > 0 && r.store_ms !== '' && r.workers_ms !== '')).toBe(true);
    expect(cpu.reduce((t, r) => t + Number(r.workers_ms), 0)).toBeGreaterThan(0);
  });

  it('stops every worker on Ctrl-C and writes a partial report', async () => {
    const { file } = await setup(1);
    const own = temp('tmp'); // the child's TMPDIR: every worker it starts has this path in its arguments
    const out = join(temp('out'), 'r');
    const child = spawn(process.execPath, ['--import', 'tsx', 'real/cli.ts', '--scenario', file, '--speedup', '1', '--out', out], {
      env: { ...process.env, TMPDIR: own },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const workersOf = (): number => {
      const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
      return ps.split('\n').filter((l) => l.includes(own) && l.includes('real/worker/main.ts')).length;
    };
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    let code: number | null;
    try {
      // Wait until workers are up, then interrupt.
      await waitFor('the run to start its workers', () => workersOf() > 0);
      await new Promise((r) => setTimeout(r, 1500));
      child.kill('SIGINT');
      code = await exited;
    } finally {
      // A wait that failed leaves the run going: the child is node itself (no tsx wrapper to orphan it),
      // and its workers go when their stdin pipe from it closes.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    expect(code, stderr).toBe(130);
    const runJson = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { partial: boolean };
    expect(runJson.partial).toBe(true);
    expect(existsSync(join(out, 'summary.csv'))).toBe(true);
    // Every invocation is accounted for: served, rejected or run-ended.
    const summary = readFileSync(join(out, 'summary.csv'), 'utf8').split('\n')[1]!.split(',');
    expect(Number(summary[1])).toBeGreaterThan(0);
    // The workers go with the driver; on a loaded machine their exit takes a while.
    expect(await waitFor('every worker to exit', () => workersOf() === 0)).toBe(true);
  });
});
