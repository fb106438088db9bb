import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../temp-dirs.ts';
import { AGGREGATE_COLUMNS, AGGREGATE_METRICS, aggregateCsv, aggregateRows } from '../../reports/aggregate.ts';
import { invocationsCsv, summaries, summaryCsv } from '../../reports/write.ts';
import { SUMMARY_COLUMNS } from '../../reports/summary.ts';
import { loadScenarioFile } from '../../scenarios/load.ts';
import { runSimulate, UsageError, type Io } from '../../sim/main.ts';
import { runStudy } from '../../sim/study-runner.ts';
import { applyScenarioOverrides } from '../../sim/study-scenario.ts';

afterAll(removeTempDirs);

// A study in the shape of scenarios/small.yaml: 2 x 2 policy sets, 3 seeds, 40 minutes.
const STUDY_YAML = `
name: study-test
description: "a 2 x 2 study over three seeds"
seed: 7
duration: 40m
cluster:
  nodes:
    - {name: node-a, memory: 16Gi, cpu: "8"}
    - {name: node-b, memory: 16Gi, cpu: "8"}
pools:
  - name: agents
    replicas: 3
    actorSlots: 4
    worker: {memory: 320Mi, cpu: 500m}
templates:
  - name: agent
    pool: agents
    memory: 64Mi
    snapshot: 64Mi
    work: {kind: lognormal, median: 1s, p99: 8s}
workload:
  - template: agent
    actors: 20
    arrivals:
      kind: sessions
      sessionsPerDay: {median: 48, sigma: 0.5}
      peakToTrough: 1
      meanExtraTurns: 3
      think: {kind: exponential, mean: 15s}
costs: substrate-kind
study:
  base:
    idle: {kind: ttl, ttl: 1m, action: suspend}
  matrix:
    replicas: [2, 4]
    placement: [random, p2c]
  seeds: [1, 2, 3]
`;

const POLICIES = ['r2.random', 'r2.p2c', 'r4.random', 'r4.p2c'];

function io(): Io & { stdout: string; stderr: string } {
  let clock = 0;
  const o = {
    stdout: '',
    stderr: '',
    out(t: string) {
      o.stdout += t;
    },
    err(t: string) {
      o.stderr += t;
    },
    wallMs: () => (clock += 1),
    isoNow: () => '2026-01-01T00:00:00.000Z',
  };
  return o;
}

function studyFile(): string {
  const dir = tempDir('study-');
  const file = join(dir, 'study.yaml');
  writeFileSync(file, STUDY_YAML);
  return file;
}

type Row = Record<string, string>;
const csv = (file: string): Row[] => parse(readFileSync(file, 'utf8'), { columns: true }) as Row[];

describe('a study: every policy set with every seed', () => {
  const file = studyFile();
  const out1 = join(tempDir('study-j1-'), 'r');
  const out2 = join(tempDir('study-j2-'), 'r');
  const io1 = io();
  const io2 = io();
  const codes: number[] = [];
  beforeAll(async () => {
    codes.push(await runSimulate(['--scenario', file, '--jobs', '1', '--out', out1], io1));
    codes.push(await runSimulate(['--scenario', file, '--jobs', '2', '--out', out2], io2));
  });

  it('gives byte-identical reports with --jobs 1 (this thread only) and --jobs 2 (this thread and a worker)', async () => {
    expect(codes).toEqual([0, 0]);
    expect(io1.stderr).toContain('in this thread');
    expect(io2.stderr).toContain('2 threads (this one and 1 worker)');
    for (const f of ['summary.csv', 'aggregate.csv', 'invocations.csv', 'timeseries.csv']) {
      expect(readFileSync(join(out2, f)).equals(readFileSync(join(out1, f))), f).toBe(true);
    }
    expect(io2.stdout.replace(out2, 'OUT')).toBe(io1.stdout.replace(out1, 'OUT'));
  });

  it('writes one summary row per (policy set, seed), in policy order then seed order, seed last', async () => {
    const text = readFileSync(join(out1, 'summary.csv'), 'utf8');
    expect(text.split('\n')[0]!.split(',')).toEqual([...SUMMARY_COLUMNS]);
    expect(SUMMARY_COLUMNS.at(-1)).toBe('seed');
    const rows = csv(join(out1, 'summary.csv'));
    expect(rows.map((r) => `${r.policy}@${r.seed}`)).toEqual(POLICIES.flatMap((p) => ['1', '2', '3'].map((s) => `${p}@${s}`)));
    // Seeds change the traffic; the policy sets of one seed see the same invocations.
    const invocations = (p: string, s: string) => rows.find((r) => r.policy === p && r.seed === s)!.invocations;
    expect(new Set(POLICIES.map((p) => invocations(p, '1'))).size).toBe(1);
    expect(new Set(['1', '2', '3'].map((s) => invocations('r2.random', s))).size).toBeGreaterThan(1);
    // invocations.csv: the same order, and the rows of each (policy, seed) agree with its summary row.
    const inv = csv(join(out1, 'invocations.csv'));
    const keys: string[] = [];
    for (const r of inv) if (keys.at(-1) !== `${r.policy}@${r.seed}`) keys.push(`${r.policy}@${r.seed}`);
    expect(keys).toEqual(rows.map((r) => `${r.policy}@${r.seed}`));
    for (const s of rows) {
      const mine = inv.filter((r) => r.policy === s.policy && r.seed === s.seed);
      expect(mine.length).toBe(Number(s.invocations));
      expect(mine.filter((r) => r.path === 'warm').length).toBe(Number(s.warm));
    }
    const ts = csv(join(out1, 'timeseries.csv'));
    expect(new Set(ts.map((r) => `${r.policy}@${r.seed}`)).size).toBe(12);
  });

  it('aggregate.csv is the mean, sd and Student t 95% interval of summary.csv over the seeds', async () => {
    const summary = csv(join(out1, 'summary.csv'));
    const agg = csv(join(out1, 'aggregate.csv'));
    expect(readFileSync(join(out1, 'aggregate.csv'), 'utf8').split('\n')[0]).toBe(AGGREGATE_COLUMNS.join(','));
    expect(agg.map((r) => `${r.policy}/${r.metric}`)).toEqual(POLICIES.flatMap((p) => AGGREGATE_METRICS.map((m) => `${p}/${m}`)));
    const t975df2 = 4.302652729749462; // three seeds: two degrees of freedom
    let spread = 0;
    for (const a of agg) {
      const xs = summary.filter((r) => r.policy === a.policy).map((r) => Number(r[a.metric!]));
      expect(xs.length).toBe(3);
      expect(Number(a.n)).toBe(3);
      const mean = (xs[0]! + xs[1]! + xs[2]!) / 3;
      const sd = Math.sqrt(((xs[0]! - mean) ** 2 + (xs[1]! - mean) ** 2 + (xs[2]! - mean) ** 2) / 2);
      const half = (t975df2 * sd) / Math.sqrt(3);
      expect(Number(a.mean)).toBeCloseTo(mean, 2);
      expect(Number(a.sd)).toBeCloseTo(sd, 2);
      expect(Number(a.ci95_half_width)).toBeCloseTo(half, 2);
      expect(Number(a.ci95_low)).toBeCloseTo(mean - half, 2);
      expect(Number(a.ci95_high)).toBeCloseTo(mean + half, 2);
      spread += sd;
    }
    expect(spread).toBeGreaterThan(0);
  });

  it('run.json lists the seeds and the wall time of every run; the table shows mean ± half-width', async () => {
    const run = JSON.parse(readFileSync(join(out1, 'run.json'), 'utf8')) as {
      seed: number | null;
      seeds: number[];
      runs: { policy: string; seed: number; wallMs: number; events: number }[];
      jobs: number;
    };
    expect(run.seeds).toEqual([1, 2, 3]);
    expect(run.seed).toBeNull();
    expect(run.jobs).toBe(1);
    expect(run.runs.map((r) => `${r.policy}@${r.seed}`)).toEqual(POLICIES.flatMap((p) => [1, 2, 3].map((s) => `${p}@${s}`)));
    for (const r of run.runs) {
      expect(r.wallMs).toBeGreaterThanOrEqual(0);
      expect(r.events).toBeGreaterThan(0);
    }
    expect(io1.stdout).toContain('Mean over 3 seeds (1, 2, 3)');
    expect(io1.stdout).toMatch(/r2\.random.*±/);
  });
});

describe('runs on worker threads', () => {
  it('give the same results, reports and order as runs in this thread', async () => {
    const file = studyFile();
    const scenario = applyScenarioOverrides(loadScenarioFile(file), { durationMs: 20 * 60_000 });
    const req = { scenarioFile: file, overrides: { durationMs: 20 * 60_000 }, scenario, seeds: [1, 2, 3], sampleEveryMs: 60_000 };
    const here = (await runStudy(req, { jobs: 1 })).runs;
    const seen: number[] = [];
    const thereOutcome = await runStudy(req, { jobs: 3, useThisThread: false, onRun: (_r, done) => seen.push(done) });
    const there = thereOutcome.runs;
    expect(thereOutcome.workerThreads).toBe(3);
    expect(here.every((r) => r.thread === 0)).toBe(true);
    expect(there.every((r) => r.thread >= 1 && r.thread <= 3)).toBe(true);
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(there.map((r) => `${r.result.policy}@${r.seed}`)).toEqual(POLICIES.flatMap((p) => [1, 2, 3].map((s) => `${p}@${s}`)));
    expect(JSON.stringify(there.map((r) => r.result))).toBe(JSON.stringify(here.map((r) => r.result)));
    const a = here.map((r) => r.result);
    const b = there.map((r) => r.result);
    expect(summaryCsv(summaries(b))).toBe(summaryCsv(summaries(a)));
    expect(aggregateCsv(aggregateRows(summaries(b)))).toBe(aggregateCsv(aggregateRows(summaries(a))));
    expect(invocationsCsv(b)).toBe(invocationsCsv(a));
    // This thread and two workers; this thread also runs what workers have queued
    // once nothing is left to hand out: each run still counts once.
    const counted: number[] = [];
    const mixed = (await runStudy(req, { jobs: 3, onRun: (_r, done) => counted.push(done) })).runs;
    expect(counted).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(JSON.stringify(mixed.map((r) => r.result))).toBe(JSON.stringify(a));
  });
});

describe('starting worker threads only when worth it', () => {
  it('starts none while the runs left look short, and starts them once they look long', async () => {
    const file = studyFile();
    const scenario = applyScenarioOverrides(loadScenarioFile(file), { durationMs: 10 * 60_000 });
    const req = { scenarioFile: file, overrides: { durationMs: 10 * 60_000 }, scenario, seeds: [1, 2], sampleEveryMs: 0 };
    const never = await runStudy(req, { jobs: 2, workersWorthMs: 1e9 });
    expect(never.workerThreads).toBe(0);
    expect(never.runs.every((r) => r.thread === 0)).toBe(true);
    // Worth it after the first run: a worker starts; this thread keeps going meanwhile.
    const soon = await runStudy(req, { jobs: 2, workersWorthMs: 0 });
    expect(soon.workerThreads).toBe(1);
    expect(soon.runs[0]!.thread).toBe(0);
    expect(JSON.stringify(soon.runs.map((r) => r.result))).toBe(JSON.stringify(never.runs.map((r) => r.result)));
  });
});

describe('seeds and jobs on the command line', () => {
  const file = studyFile();

  it('--seeds replaces the study seeds; --seed runs one seed and writes no aggregate', async () => {
    const a = join(tempDir('study-'), 'r');
    expect(await runSimulate(['--scenario', file, '--seeds', '5,6', '--policies', 'r4.p2c', '--duration', '10m', '--jobs', '2', '--out', a], io())).toBe(0);
    expect(csv(join(a, 'summary.csv')).map((r) => `${r.policy}@${r.seed}`)).toEqual(['r4.p2c@5', 'r4.p2c@6']);
    expect(csv(join(a, 'aggregate.csv')).every((r) => r.n === '2')).toBe(true);
    const b = join(tempDir('study-'), 'r');
    const o = io();
    expect(await runSimulate(['--scenario', file, '--seed', '5', '--policies', 'r4.p2c', '--duration', '10m', '--out', b], o)).toBe(0);
    expect(csv(join(b, 'summary.csv')).map((r) => `${r.policy}@${r.seed}`)).toEqual(['r4.p2c@5']);
    expect(() => readFileSync(join(b, 'aggregate.csv'))).toThrow();
    expect(o.stdout).not.toContain('±');
    // The same (policy set, seed) gives the same row whichever other seeds ran beside it.
    expect(csv(join(b, 'summary.csv'))[0]).toEqual(csv(join(a, 'summary.csv'))[0]);
  });

  it('refuses bad --seeds and --jobs', async () => {
    for (const argv of [['--jobs', '0'], ['--jobs', 'two'], ['--jobs', '1.5'], ['--seeds', '1,1'], ['--seeds', ','], ['--seeds', '1,x'], ['--seed', '1', '--seeds', '2']]) {
      await expect(runSimulate(['--scenario', file, ...argv], io()), argv.join(' ')).rejects.toThrow(UsageError);
    }
  });

  it('a worker thread that loads a different scenario than the main thread fails the study', async () => {
    const scenario = loadScenarioFile(file);
    const other = { ...scenario, durationMs: scenario.durationMs / 2 };
    await expect(runStudy({ scenarioFile: file, overrides: {}, scenario: other, seeds: [1, 2], sampleEveryMs: 0 }, { jobs: 2, useThisThread: false })).rejects.toThrow(
      /scenario changed on disk/,
    );
  });
});
