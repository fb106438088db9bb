import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../temp-dirs.ts';
import { runSimulate, UsageError, type Io } from '../../sim/main.ts';
import { SUMMARY_COLUMNS, INVOCATION_COLUMNS } from '../../reports/summary.ts';

afterAll(removeTempDirs);

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

function tmp(): string {
  return tempDir('simulate-');
}

type Row = Record<string, string>;

function csv(file: string): Row[] {
  return parse(readFileSync(file, 'utf8'), { columns: true }) as Row[];
}

describe('simulate CLI', () => {
  it('writes summary.csv and invocations.csv with the contract columns, byte-identical for the same seed', async () => {
    const a = tmp();
    const b = tmp();
    const c = tmp();
    expect(await runSimulate(['--duration', '3h', '--out', a], io())).toBe(0);
    expect(await runSimulate(['--duration', '3h', '--out', b], io())).toBe(0);
    expect(await runSimulate(['--duration', '3h', '--seed', '2', '--out', c], io())).toBe(0);
    for (const f of ['summary.csv', 'invocations.csv', 'timeseries.csv']) {
      expect(readFileSync(join(a, f))).toEqual(readFileSync(join(b, f)));
    }
    expect(readFileSync(join(a, 'invocations.csv'), 'utf8')).not.toEqual(readFileSync(join(c, 'invocations.csv'), 'utf8'));
    const header = readFileSync(join(a, 'summary.csv'), 'utf8').split('\n')[0]!.split(',');
    expect(header).toEqual([...SUMMARY_COLUMNS]);
    expect(header.at(-1)).toBe('seed');
    expect(header.slice(0, 18)).toEqual(
      'policy, invocations, served, rejected, p50_ms, p90_ms, p99_ms, max_ms, warm, resume_local, resume_external, golden, cold_boot, worker_seconds, gib_seconds, snapshot_bytes_written, snapshot_bytes_read, sim_events'.split(', '),
    );
    const invHeader = readFileSync(join(a, 'invocations.csv'), 'utf8').split('\n')[0]!.split(',');
    expect(invHeader.slice(0, 13)).toEqual(
      'policy, invocation, actor, arrival_ms, start_ms, end_ms, path, parked_ms, worker_start_ms, restore_ms, exec_ms, outcome, reason'.split(', '),
    );
    expect(invHeader).toEqual([...INVOCATION_COLUMNS]);
    expect(invHeader.at(-1)).toBe('seed');
    const run = JSON.parse(readFileSync(join(a, 'run.json'), 'utf8')) as { seed: number; scenario: { sha256: string }; partial: boolean };
    expect(run.seed).toBe(1);
    expect(run.scenario.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(run.partial).toBe(false);
  });

  it('the summary agrees with invocations.csv', async () => {
    const out = tmp();
    await runSimulate(['--duration', '2h', '--out', out], io());
    const summary = csv(join(out, 'summary.csv'));
    const invocations = csv(join(out, 'invocations.csv'));
    for (const s of summary) {
      const rows = invocations.filter((r) => r.policy === s.policy);
      expect(rows.length).toBe(Number(s.invocations));
      expect(rows.filter((r) => r.outcome === 'served').length).toBe(Number(s.served));
      for (const [path, col] of [['warm', 'warm'], ['resume-local', 'resume_local'], ['resume-external', 'resume_external'], ['golden', 'golden'], ['cold-boot', 'cold_boot']] as const) {
        expect(rows.filter((r) => r.path === path).length).toBe(Number(s[col]));
      }
      const lat = rows.filter((r) => r.outcome === 'served').map((r) => Number(r.end_ms) - Number(r.arrival_ms));
      expect(Math.max(...lat)).toBeCloseTo(Number(s.max_ms), 2);
    }
  });

  it('the default day shows the trade-off: always-on has the lowest p99 and the most worker-seconds', async () => {
    const out = tmp();
    const o = io();
    expect(await runSimulate(['--invocations', 'none', '--out', out], o)).toBe(0);
    expect(existsSync(join(out, 'invocations.csv'))).toBe(false);
    const rows = new Map(csv(join(out, 'summary.csv')).map((r) => [r.policy!, r]));
    const always = rows.get('dedicated-always-on')!;
    const shared = [rows.get('shared-random-ttl-suspend')!, rows.get('shared-p2c-ttl-pause')!];
    const s2z = rows.get('dedicated-scale-to-zero')!;
    for (const r of [...shared, s2z]) {
      expect(Number(always.p99_ms)).toBeLessThan(Number(r.p99_ms));
      expect(Number(always.overhead_p99_ms)).toBeLessThan(Number(r.overhead_p99_ms));
      expect(Number(always.worker_seconds)).toBeGreaterThan(Number(r.worker_seconds));
    }
    for (const r of shared) {
      // Several times fewer worker-seconds.
      expect(Number(always.worker_seconds) / Number(r.worker_seconds)).toBeGreaterThan(5);
      expect(Number(r.rejected)).toBe(0);
      // A shared pool resumes faster than a scale-to-zero pod cold-starts.
      expect(Number(r.overhead_p99_ms)).toBeLessThan(Number(s2z.overhead_p99_ms));
    }
    expect(o.stdout).toContain('dedicated-always-on');
    // The terminal table and its legend fit 100 columns, with the report's units: warm as a share, separators in counts.
    const table = o.stdout.slice(0, o.stdout.indexOf('Report: '));
    // Every line, the answer at the end too (it was 165 columns on one line).
    for (const line of o.stdout.split('\n')) expect([...line].length, line).toBeLessThanOrEqual(100);
    const answer = o.stdout.slice(o.stdout.indexOf('Recommended: '));
    expect(answer.trimEnd().split('\n').length).toBeGreaterThan(1);
    expect(answer.trimEnd().replaceAll('\n', ' ')).toMatch(/^Recommended: \S+ meets .* at [\d,]+ worker-hours \([\d,]+ GiB-hours\), [\d,]+ times cheaper than dedicated-always-on\.$/);
    expect(table).toMatch(/\ndedicated-always-on +0 +[\d.]+ s +0 ms +100% +48,000 +24,000 +2,000 +1\n/);
  });

  it('runs a scenario file and --policies selects policy sets', async () => {
    const out = tmp();
    expect(await runSimulate(['--scenario', 'scenarios/small.yaml', '--policies', 'shared-locality-immediate-pause', '--out', out], io())).toBe(0);
    const rows = csv(join(out, 'summary.csv'));
    expect(rows.map((r) => r.policy)).toEqual(['shared-locality-immediate-pause']);
  });

  it('--invocations none and sample=N reduce outcomes to statistics without changing summary.csv', async () => {
    const all = tmp();
    const none = tmp();
    const sample = tmp();
    const base = ['--scenario', 'scenarios/fleet-2000.yaml', '--duration', '3h', '--policies', 'shared-4,shared-16', '--jobs', '1'];
    expect(await runSimulate([...base, '--out', all], io())).toBe(0);
    expect(await runSimulate([...base, '--invocations', 'none', '--out', none], io())).toBe(0);
    expect(await runSimulate([...base, '--invocations', 'sample=100', '--out', sample], io())).toBe(0);
    // fleet-2000 has a warm-up: the digest must leave it out exactly as summarize() does.
    expect(readFileSync(join(none, 'summary.csv'), 'utf8')).toBe(readFileSync(join(all, 'summary.csv'), 'utf8'));
    expect(readFileSync(join(sample, 'summary.csv'), 'utf8')).toBe(readFileSync(join(all, 'summary.csv'), 'utf8'));
    expect(existsSync(join(none, 'invocations.csv'))).toBe(false);
    const rows = csv(join(sample, 'invocations.csv'));
    const perPolicy = new Map<string, number>();
    for (const r of rows) perPolicy.set(r.policy!, (perPolicy.get(r.policy!) ?? 0) + 1);
    expect([...perPolicy.keys()]).toEqual(['shared-4', 'shared-16']);
    for (const n of perPolicy.values()) {
      expect(n).toBeGreaterThan(50);
      expect(n).toBeLessThanOrEqual(100);
    }
    // The sampled rows are the same invocations in both policy sets, identical to the full file's rows.
    const full = new Map(csv(join(all, 'invocations.csv')).map((r) => [`${r.policy}/${r.invocation}`, r]));
    for (const r of rows) expect(full.get(`${r.policy}/${r.invocation}`)).toEqual(r);
    const run = JSON.parse(readFileSync(join(none, 'run.json'), 'utf8')) as { runs: { invocations: number }[] };
    const runAll = JSON.parse(readFileSync(join(all, 'run.json'), 'utf8')) as { runs: { invocations: number }[] };
    expect(run.runs.map((r) => r.invocations)).toEqual(runAll.runs.map((r) => r.invocations));
    await expect(runSimulate(['--invocations', 'sample=0'], io())).rejects.toThrow(UsageError);
  });

  it('--primitives writes primitives.csv, the same on every run and with the other files unchanged; it needs every invocation kept', async () => {
    const plain = tmp();
    const a = tmp();
    const b = tmp();
    const base = ['--scenario', 'scenarios/fleet-2000.yaml', '--duration', '1h', '--policies', 'shared-4,shared-16', '--seeds', '1,2', '--jobs', '2'];
    expect(await runSimulate([...base, '--out', plain], io())).toBe(0);
    expect(await runSimulate([...base, '--primitives', '--out', a], io())).toBe(0);
    expect(await runSimulate([...base, '--primitives', '--jobs', '1', '--out', b], io())).toBe(0);
    expect(existsSync(join(plain, 'primitives.csv'))).toBe(false);
    for (const f of ['summary.csv', 'invocations.csv', 'measured.csv', 'timeseries.csv']) expect(readFileSync(join(a, f), 'utf8'), f).toBe(readFileSync(join(plain, f), 'utf8'));
    // Threads or not, the same rows in the same order.
    expect(readFileSync(join(a, 'primitives.csv'), 'utf8')).toBe(readFileSync(join(b, 'primitives.csv'), 'utf8'));
    const rows = csv(join(a, 'primitives.csv'));
    expect([...new Set(rows.map((r) => `${r.policy}/${r.seed}`))]).toEqual(['shared-4/1', 'shared-4/2', 'shared-16/1', 'shared-16/2']);
    // Every successful restore of measured.csv is a row, for each policy set (seeds pooled there as here).
    const measured = csv(join(a, 'measured.csv'));
    for (const m of measured.filter((r) => r.primitive === 'restore')) {
      expect(rows.filter((r) => r.policy === m.policy && r.primitive === 'restore' && r.source === m.source && r.ok === '1').length, `${m.policy} ${m.source}`).toBe(Number(m.count));
    }
    await expect(runSimulate([...base, '--primitives', '--invocations', 'none'], io())).rejects.toThrow(/--primitives: .*--invocations is none/);
  });

  it('--sample-every sets the interval of timeseries.csv and leaves the outcomes alone', async () => {
    const every = tmp();
    const minute = tmp();
    const base = ['--scenario', 'scenarios/small.yaml', '--duration', '1h', '--policies', 'shared-locality-immediate-pause'];
    expect(await runSimulate([...base, '--sample-every', '15m', '--out', every], io())).toBe(0);
    expect(await runSimulate([...base, '--out', minute], io())).toBe(0);
    expect(csv(join(every, 'timeseries.csv')).map((r) => r.time_ms)).toEqual(['0', '900000', '1800000', '2700000', '3600000']);
    // The default is a sample a minute; the samples at 15-minute slots are the same moments in both runs.
    const perMinute = csv(join(minute, 'timeseries.csv'));
    expect(perMinute.length).toBe(61);
    const at = new Map(perMinute.map((r) => [r.time_ms, r]));
    for (const r of csv(join(every, 'timeseries.csv'))) expect(at.get(r.time_ms)).toEqual(r);
    expect(readFileSync(join(every, 'invocations.csv'), 'utf8')).toBe(readFileSync(join(minute, 'invocations.csv'), 'utf8'));
    for (const bad of ['0s', '15', 'soon']) await expect(runSimulate([...base, '--sample-every', bad], io()), bad).rejects.toThrow(UsageError);
  });

  it('writes report.html and summary.md, with the recommendation for --slo', async () => {
    const out = tmp();
    const o = io();
    expect(await runSimulate(['--duration', '2h', '--invocations', 'none', '--slo', 'p99=30s,rejected=0', '--out', out], o)).toBe(0);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain('| ');
    // The answer is wrapped to 100 columns: read it back as one line.
    const answer = o.stdout.slice(o.stdout.indexOf('\nRecommended: ') + 1).trimEnd().replaceAll('\n', ' ');
    expect(answer).toMatch(/^Recommended: \S+ meets p99 ≤ 30 s, no rejections at [\d.,]+ worker-hours .*\.$/);
    await expect(runSimulate(['--slo', 'p98=1s'], io())).rejects.toThrow(UsageError);
  });

  it('--costs-scale makes every primitive that many times as long and run.json says so', async () => {
    // fleet-scaling's costs are constants (a resume 0.3 s, a checkpoint 0.1 s) and its overhead is one resume: 400 ms at 1x.
    const runAt = async (argv: string[]): Promise<{ row: Row; run: Record<string, unknown> }> => {
      const out = tmp();
      expect(await runSimulate(['--scenario', 'scenarios/fleet-scaling.yaml', '--duration', '20m', '--out', out, ...argv], io())).toBe(0);
      return { row: csv(join(out, 'summary.csv'))[0]!, run: JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as Record<string, unknown> };
    };
    const plain = await runAt([]);
    const slow = await runAt(['--costs-scale', '2']);
    expect(Number(plain.row.overhead_p99_ms)).toBeGreaterThan(0);
    expect(Number(slow.row.overhead_p50_ms)).toBe(2 * Number(plain.row.overhead_p50_ms));
    expect(Number(slow.row.overhead_p99_ms)).toBe(2 * Number(plain.row.overhead_p99_ms));
    expect(slow.run.costsScale).toBe(2);
    expect('costsScale' in plain.run).toBe(false);
    await expect(runSimulate(['--costs-scale', '0'], io())).rejects.toThrow(/--costs-scale: expected a positive number, got "0"/);
    await expect(runSimulate(['--costs-scale', '101'], io())).rejects.toThrow(/--costs-scale: between 0.01 and 100/);
  });

  it('refuses bad flags and values with a usage error', async () => {
    const bad: string[][] = [
      ['--bogus'],
      ['--seed', 'abc'],
      ['--seed', '-1'],
      ['--duration', '90'],
      ['--duration', '0s'],
      ['--policies', 'nope'],
      ['--invocations', 'some'],
      ['--worker-cpu', '0'],
      ['--worker-cpu', '0.5m'],
      ['--worker-cpu', 'lots'],
      ['--costs-scale', '0'],
      ['--costs-scale', 'slow'],
      ['--costs-scale', '1000'],
      ['extra'],
    ];
    for (const argv of bad) await expect(runSimulate(argv, io()), argv.join(' ')).rejects.toThrow(UsageError);
  });
});

describe('the rows a study keeps', () => {
  it('samples invocations.csv by default when a study would keep too many rows, and refuses an explicit all', async () => {
    // fleet-2000-study: 200 runs of a day, about 9.9 million rows (it ran out of heap before this bound).
    const o = io();
    await expect(runSimulate(['--scenario', 'scenarios/fleet-2000-study.yaml', '--invocations', 'all', '--out', join(tmp(), 'r')], o)).rejects.toThrow(
      /--invocations: all: about 9,892,\d{3} rows .* give sample=10000 \(rows per run\) or none/,
    );
    // The same study cut to 3 seeds of 20 minutes stays whole; at a day with 3 seeds (60 runs) it is sampled
    // (checked on the parse alone: nothing runs).
    const { parseSimulateArgs } = await import('../../sim/main.ts');
    const day = parseSimulateArgs(['--scenario', 'scenarios/fleet-2000-study.yaml', '--seeds', '1,2,3', '--out', join(tmp(), 'r')], io());
    expect(day?.invocations).toEqual({ kind: 'sample', rows: 33_333 });
    expect(day?.invocationsNote).toMatch(/even sample of 33,333 per run/);
    const short = parseSimulateArgs(['--scenario', 'scenarios/fleet-2000-study.yaml', '--seeds', '1,2,3', '--duration', '20m', '--out', join(tmp(), 'r')], io());
    expect(short?.invocations).toEqual({ kind: 'all' });
    expect(short?.invocationsNote).toBeUndefined();
  });
});

describe('simulate as a process', () => {
  const tsx = join('node_modules', '.bin', 'tsx');

  it('exits 2 on a bad flag and writes nothing', async () => {
    const out = join(tmp(), 'r');
    const r = spawnSync(tsx, ['sim/cli.ts', '--seed', 'x', '--out', out], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--seed: expected a non-negative integer, got "x"');
    expect(existsSync(out)).toBe(false);
  });

  it('exits 2 on an invalid scenario, naming the file, line, column and field, and writes nothing', async () => {
    const dir = tmp();
    const file = join(dir, 'bad.yaml');
    const text = readFileSync('scenarios/small.yaml', 'utf8').replace('actorSlots: 4', 'actorSlots: two').replace('    pool: agents\n', '    pool: agents\n    golden: yes\n');
    writeFileSync(file, text);
    const out = join(dir, 'r');
    const r = spawnSync(tsx, ['sim/cli.ts', '--scenario', file, '--out', out], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    const line = text.split('\n').findIndex((l) => l.includes('actorSlots: two')) + 1;
    expect(r.stderr).toContain(`${file}:${line}:17 pools[0].actorSlots: expected a positive integer, got "two"`);
    expect(r.stderr).toMatch(new RegExp(`${file}:\\d+:\\d+ templates\\[0\\]\\.golden`));
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir)).toEqual(['bad.yaml']);
  });

  it('exits 2 when the scenario file does not exist', async () => {
    const r = spawnSync(tsx, ['sim/cli.ts', '--scenario', 'no/such.json'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('no/such.json:1:1 (root): cannot be read: ENOENT');
  });

  it('prints help', async () => {
    const text = execFileSync(tsx, ['sim/cli.ts', '--help'], { encoding: 'utf8' });
    expect(text).toContain('--scenario FILE');
  });
});
