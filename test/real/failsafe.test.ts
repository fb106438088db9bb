import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Io } from '../../cli/io.ts';
import { UsageError } from '../../cli/usage-error.ts';
import { runRealRun, parseRealRunArgs } from '../../real/main.ts';
import { checkedWorkload, counterCheck, runFailures } from '../../real/run.ts';
import { failureClass } from '../../real/driver.ts';
import { ReportDirError } from '../../reports/write.ts';
import { ScenarioError } from '../../scenarios/errors.ts';
import { loadScenarioFile } from '../../scenarios/load.ts';
import { parseSimulateArgs, runSimulate } from '../../sim/main.ts';
import { runFidelity } from '../../fidelity/main.ts';

// Issue 14's runtime half: bad --out, bounds and worker rules refused before
// any work; runs that went wrong say so and exit 1; Ctrl-C to the process
// group gives a partial report and removes the temp folder; children die
// with their parent. Real processes; every wait polls with a generous ceiling.

const dirs: string[] = [];
function temp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `actorsim-fs-${prefix}-`));
  dirs.push(d);
  return d;
}

// Every child here is node itself (node --import tsx), never the tsx or npm wrapper, which does not relay
// SIGKILL and would leave the real process orphaned: what a test kills is the process it means to kill.
// A test that fails before its child ended leaves it to this clean-up: its whole process group when it
// has one of its own, else the child, whose workers and store go with it (their stdin pipe closes).
const started: { child: ChildProcess; group: boolean }[] = [];
function track<C extends ChildProcess>(child: C, group = false): C {
  started.push({ child, group });
  return child;
}
afterAll(() => {
  for (const { child, group } of started) {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) continue;
    try {
      if (group) process.kill(-child.pid, 'SIGKILL');
      else child.kill('SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const TINY = `
name: tiny
seed: 5
duration: 40s
cluster: {nodes: [{name: node-a, memory: 4Gi}]}
pools: [{name: p, replicas: 2, actorSlots: 2, worker: {memory: 64Mi}}]
templates: [{name: t, pool: p, memory: 8Mi, snapshot: 8Mi, work: {kind: constant, value: 250ms}}]
workload: [{template: t, actors: 6, arrivals: {kind: poisson, ratePerSec: 2}}]
costs: substrate-kind
policies:
  - {name: ttl-suspend, placement: p2c, idle: {kind: ttl, ttl: 2s, action: suspend}, admission: {parkTimeout: 2s, maxParked: 100}, maxAttempts: 2}
`;

function scenarioFile(text = TINY): string {
  const file = join(temp('scn'), 'tiny.yaml');
  writeFileSync(file, text);
  return file;
}

interface Captured extends Io {
  readonly text: () => { out: string; err: string };
}
function captured(): Captured & { wallMs: () => number } {
  let out = '';
  let err = '';
  return { out: (t) => void (out += t), err: (t) => void (err += t), isoNow: () => '2026-01-01T00:00:00.000Z', wallMs: () => performance.now(), text: () => ({ out, err }) };
}

/** The three kinds of --out every command must refuse before it runs anything. */
function badOuts(): { what: string; out: string }[] {
  const file = join(temp('out'), 'a-file');
  writeFileSync(file, 'x');
  const foreign = temp('out');
  writeFileSync(join(foreign, 'notes.txt'), 'mine');
  return [
    { what: 'an existing file', out: file },
    { what: 'the root', out: '/' },
    { what: 'a folder holding other things', out: foreign },
  ];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(what: string, cond: () => boolean, ceilingMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ceilingMs) throw new Error(`not within ${ceilingMs} ms: ${what}`);
    await sleep(200);
  }
}
/** Processes whose command line holds `mark` (every process of a run started with TMPDIR=mark does), as `pid ppid args`. */
function processesWith(mark: string): string[] {
  return execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(mark) && !l.includes('ps -eo'));
}

describe('--out is checked before any work', () => {
  it('simulate, bench:cluster (local and k8s) and fidelity refuse a file, / and a foreign folder without starting anything', async () => {
    const file = scenarioFile();
    for (const { what, out } of badOuts()) {
      const sim = captured();
      await expect(runSimulate(['--scenario', file, '--out', out], sim), what).rejects.toThrow(ReportDirError);
      expect(sim.text().err, what).toBe('');
      const real = captured();
      await expect(runRealRun(['--scenario', file, '--out', out], real), what).rejects.toThrow(ReportDirError);
      expect(real.text().err, what).toBe('');
      // k8s: after the dry-run return, before the cluster is asked (there is none here).
      const k8s = captured();
      await expect(runRealRun(['--backend', 'k8s', '--scenario', file, '--out', out], k8s), what).rejects.toThrow(ReportDirError);
      const fid = captured();
      await expect(runFidelity(['--scenario', file, '--profile', 'substrate-kind', '--out', out], fid), what).rejects.toThrow(ReportDirError);
      expect(fid.text().err, what).toBe('');
    }
  });

  it('exits 2 with the reason as a process, for each command', () => {
    const file = scenarioFile();
    const foreign = badOuts()[2]!.out;
    for (const entry of ['sim/cli.ts', 'real/cli.ts', 'fidelity/cli.ts']) {
      const extra = entry === 'fidelity/cli.ts' ? ['--profile', 'substrate-kind'] : [];
      const r = spawnSync(process.execPath, ['--import', 'tsx', entry, '--scenario', file, '--out', foreign, ...extra], { encoding: 'utf8' });
      expect(r.status, `${entry}: ${r.stderr}`).toBe(2);
      expect(r.stderr, entry).toContain(`--out ${foreign}: is a folder holding other things than a report (notes.txt)`);
      expect(r.stderr, entry).not.toMatch(/^\s+at /m);
    }
  });
});

describe('bounds and the real workers rules, before any work', () => {
  it('refuses --sample-every 1ns, --jobs 1000 and too many seeds as usage errors', () => {
    const file = scenarioFile();
    const io = captured();
    expect(() => parseSimulateArgs(['--scenario', file, '--sample-every', '1ns'], io)).toThrow(/--sample-every: .* samples per run, more than 10,000,000/);
    expect(() => parseSimulateArgs(['--scenario', file, '--jobs', '1000'], io)).toThrow(UsageError);
    const seeds = Array.from({ length: 1001 }, (_, i) => i).join(',');
    expect(() => parseSimulateArgs(['--scenario', file, '--seeds', seeds], io)).toThrow(/--seeds: 1,001 seeds, more than 1,000/);
    expect(() => parseRealRunArgs(['--scenario', file, '--sample-every', '1ns'], io)).toThrow(UsageError);
  });

  it('refuses a template a real worker would refuse, located, before a real run starts a worker', async () => {
    const file = scenarioFile();
    const loaded = loadScenarioFile(file);
    // The scenario checks refuse memory 0 already; the real run checks again whatever the scenario came through.
    const scenario = { ...loaded, templates: loaded.templates.map((t) => ({ ...t, memoryMiB: 0 })) };
    const err = await checkedWorkload({ scenario, source: file, seed: 5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as Error).message).toContain(`${file}:1:1 templates: template "t" has 0 MiB of memory`);
  });

  it('reads a costs file outside the scenario folder only with --allow-outside', () => {
    const root = temp('outside');
    mkdirSync(join(root, 's'));
    mkdirSync(join(root, 'p'));
    writeFileSync(join(root, 'p', 'mine.yaml'), readFileSync('scenarios/profiles/substrate-kind.yaml'));
    const file = join(root, 's', 'x.yaml');
    writeFileSync(file, TINY.replace('costs: substrate-kind', 'costs: ../p/mine.yaml'));
    const io = captured();
    expect(() => parseSimulateArgs(['--scenario', file], io)).toThrow(/outside the scenario's folder/);
    expect(parseSimulateArgs(['--scenario', file, '--allow-outside'], io)!.allowOutside).toBe(true);
    expect(() => parseRealRunArgs(['--scenario', file], io)).toThrow(/--allow-outside/);
    expect(parseRealRunArgs(['--scenario', file, '--allow-outside'], io)!.allowOutside).toBe(true);
  });
});

describe('runs that went wrong say so', () => {
  it('classes failed requests by op and code', () => {
    expect(failureClass('restore', 'POST http://x/actors/a/restore failed: 503 store-failed: no store')).toBe('restore store-failed');
    expect(failureClass('checkpoint', 'POST http://x failed: timed out after 60000 ms')).toBe('checkpoint timeout');
    expect(failureClass('execute', 'POST http://x failed: fetch failed (ECONNREFUSED)')).toBe('execute unreachable');
  });

  it('the counter check counts rolled-back work and flags work applied twice', () => {
    const replies = [
      { actor: 'a', outcome: 'served' },
      { actor: 'a', outcome: 'served' },
      { actor: 'a', outcome: 'served' },
      { actor: 'b', outcome: 'served' },
    ] as never;
    const actors = new Map([
      ['a', { state: 'SUSPENDED', version: 1, snapshotVersion: 1 }],
      ['b', { state: 'RUNNING', version: 2, snapshotVersion: 0 }],
    ]);
    const c = counterCheck({ replies, actors }, new Map([['b', 3]]));
    expect(c.rolledBack).toBe(2);
    expect(c.actorsRolledBack).toBe(1);
    expect(c.mismatchCount).toBe(2);
    const f = runFailures({ policy: 'x', partial: false, replies, measured: { lost: [], failures: {} } as never }, c);
    expect(f.join('\n')).toContain('x: 2 actor(s) whose counters disagree');
  });

  it('a run whose workers never become ready serves nothing, says why and exits 1', async () => {
    const file = scenarioFile();
    const out = join(temp('never'), 'r');
    const io = captured();
    const code = await runRealRun(['--scenario', file, '--speedup', '4', '--ready-timeout', '1ms', '--invocations', 'none', '--out', out], io);
    expect(code, io.text().err).toBe(1);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as {
      failed: boolean;
      failures: string[];
      policies: { invocations: { planned: number; arrived: number; served: number }; workers: { neverReady: number } }[];
    };
    expect(run.failed).toBe(true);
    expect(run.failures[0]).toMatch(/ttl-suspend: served none of its \d+ invocations \(\d+ worker\(s\) never became ready/);
    expect(run.policies[0]!.workers.neverReady).toBeGreaterThan(0);
    expect(run.policies[0]!.invocations.served).toBe(0);
    expect(run.policies[0]!.invocations.arrived).toBe(run.policies[0]!.invocations.planned);
    expect(io.text().err).toContain('bench:cluster: run failed: ttl-suspend: served none');
    // No NaN anywhere a person reads: "-" on the terminal, empty cells in the CSV.
    expect(io.text().out).not.toContain('NaN');
    expect(io.text().out).toContain('p50 -,');
    expect(readFileSync(join(out, 'summary.csv'), 'utf8')).not.toContain('NaN');
  });

  it('a run whose store is killed reports the store lost and exits 1', async () => {
    const own = temp('store');
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = own;
    try {
      const file = scenarioFile();
      const out = join(temp('storeout'), 'r');
      const io = captured();
      const running = runRealRun(['--scenario', file, '--speedup', '4', '--out', out], io);
      const stores = (): string[] => processesWith(own).filter((l) => l.includes('real/store/main.ts'));
      // Workers start once the store reported READY: then kill it.
      await until('the store and a worker are up', () => stores().length > 0 && processesWith(own).some((l) => l.includes('real/worker/main.ts')));
      // The store the local runtime (in this process) started: node itself, the real server, no wrapper between.
      const [pid, ppid] = stores()[0]!.trim().split(/\s+/).map(Number) as [number, number];
      expect(ppid).toBe(process.pid);
      process.kill(pid, 'SIGKILL');
      const code = await running;
      expect(code, io.text().err).toBe(1);
      const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { failures: string[]; policies: { storeLost: string | null }[] };
      expect(run.policies[0]!.storeLost).toMatch(/store process exited \(SIGKILL\)/);
      expect(run.failures.join('\n')).toContain('the snapshot store was lost');
      expect(readdirSync(own).filter((n) => n.startsWith('actorsim-real-'))).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });
});

describe('signals and children', () => {
  it('Ctrl-C to the process group of bench:cluster, relayed once more, gives a partial report and removes the temp folder', async () => {
    const own = temp('group');
    const file = scenarioFile();
    const out = join(own, 'report');
    // Its own process group, as a terminal's foreground job: the signal reaches the driver, its store and its workers.
    // (node --import tsx, not npm run: under load tsx's wrapper SIGKILLs a child that does not acknowledge a signal within 30 ms.)
    const child = track(
      spawn(process.execPath, ['--import', 'tsx', 'real/cli.ts', '--scenario', file, '--speedup', '1', '--out', out], {
        env: { ...process.env, TMPDIR: own },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      }),
      true,
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
    const workers = (): number => processesWith(own).filter((l) => l.includes('real/worker/main.ts')).length;
    await until('workers are up', () => workers() > 0);
    process.kill(-child.pid!, 'SIGINT');
    // What npm and tsx do: relay the same Ctrl-C to the driver again.
    process.kill(child.pid!, 'SIGINT');
    expect(await exited, stderr).toBe(130);
    expect(stderr).toContain('SIGINT: stopping workers and writing a partial report');
    expect(stderr).not.toContain('again: quitting at once');
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { partial: boolean; policies: { invocations: { planned: number; arrived: number } }[] };
    expect(run.partial).toBe(true);
    expect(run.policies[0]!.invocations.arrived).toBeLessThanOrEqual(run.policies[0]!.invocations.planned);
    await until('every worker and the store are gone', () => processesWith(own).length === 0);
    expect(readdirSync(own).filter((n) => n.startsWith('actorsim-real-'))).toEqual([]);
  });

  it('a Ctrl-C relayed within a second is one; a later one quits at once and still runs the clean-ups', async () => {
    const dir = temp('shell');
    const doomed = join(dir, 'doomed');
    // .mts: an ES module wherever it lies (top-level await), as the project's own files are.
    const script = join(dir, 'stubborn.mts');
    const shell = join(process.cwd(), 'cli', 'shell.ts');
    const exit = join(process.cwd(), 'cli', 'exit.ts');
    writeFileSync(
      script,
      `import { mkdirSync, rmSync } from 'node:fs';
import { runCli } from ${JSON.stringify(shell)};
import { onQuit } from ${JSON.stringify(exit)};
await runCli('stubborn', async () => {
  mkdirSync(${JSON.stringify(doomed)});
  onQuit(() => rmSync(${JSON.stringify(doomed)}, { recursive: true, force: true }));
  process.stdout.write('READY\\n');
  // Ignores the abort: only quitting ends it.
  await new Promise(() => setInterval(() => {}, 1000));
  return 0;
}, { onInterrupt: (s) => s + ': stopping' });
`,
    );
    const child = track(spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    await until('it is ready', () => stdout.includes('READY') || child.exitCode !== null);
    expect(stdout, stderr).toContain('READY');
    child.kill('SIGINT');
    child.kill('SIGINT');
    await until('the first Ctrl-C is taken', () => stderr.includes('SIGINT: stopping'));
    // Beyond the duplicate window: a deliberate second Ctrl-C.
    await sleep(1500);
    expect(child.exitCode).toBe(null);
    expect(existsSync(doomed)).toBe(true);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain('SIGINT again: quitting at once');
    expect(stderr.match(/SIGINT: stopping/g)).toHaveLength(1);
    expect(existsSync(doomed)).toBe(false);
  });

  it("fidelity killed by SIGKILL takes its real run and that run's workers with it, and their temp folder", async () => {
    const own = temp('fid');
    const file = join(own, 'tiny.yaml');
    writeFileSync(file, TINY.replace('duration: 40s', 'duration: 2m'));
    // Node itself, so the SIGKILL below hits fidelity, not a wrapper that would leave fidelity running.
    const child = track(
      spawn(process.execPath, ['--import', 'tsx', 'fidelity/cli.ts', '--scenario', file, '--profile', 'substrate-kind', '--speedup', '1', '--prime-golden', '0', '--out', join(own, 'fid')], {
        env: { ...process.env, TMPDIR: own },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const workers = (): number => processesWith(own).filter((l) => l.includes('real/worker/main.ts')).length;
    await until('the real run has workers', () => workers() > 0, 120_000);
    child.kill('SIGKILL');
    await exited;
    await until('the real run, its workers and its store are gone', () => processesWith(own).length === 0);
    expect(readdirSync(own).filter((n) => n.startsWith('actorsim-real-')), stderr).toEqual([]);
  });
});
