import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'csv-stringify/sync';
import { loadScenarioFile } from '../scenarios/load.ts';
import type { PolicySet, Scenario } from '../scenarios/scenario.ts';
import { formatDuration, parseDuration } from '../scenarios/units.ts';
import { generateWorkload } from '../scenarios/workload.ts';
import { invocationsCsv, summaries, summaryCsv, writeReport } from '../reports/write.ts';
import { MEASURED_COLUMNS, density, measuredRows, type Density } from '../reports/measured.ts';
import { TIMESERIES_COLUMNS, ms } from '../reports/summary.ts';
import { compressScenario, compressWorkload } from './compress.ts';
import { drive, type RealRunResult } from './driver.ts';
import { LocalRuntime } from './local/runtime.ts';
import type { RealRuntime } from './runtime.ts';
import type { ExecuteMode } from './worker/api.ts';
import { K8S_FLAG_OPTIONS, K8S_FLAGS_HELP, k8sFlagsFrom, k8sOnlyFlagsGiven, type K8sFlags } from './k8s/flags.ts';

export { DEFAULT_K8S_IMAGE, type K8sFlags } from './k8s/flags.ts';

const HELP = `Usage: npm run bench:cluster -- [options]

Runs a scenario's policy sets on real workers, in wall-clock time, with the
same scheduler core as the simulator, and writes the same report (summary.csv,
invocations.csv, timeseries.csv, run.json) plus what it measured (measured.csv:
worker start, restore, checkpoint and dispatch latencies; density in run.json).
Times in invocations.csv are run (compressed) time; timeseries.csv is in
scenario time (run time x speedup), as the simulator writes it, so the two
series can be laid over each other.

Options:
  --backend B        local: worker processes on this machine (default)
                     k8s: gVisor pods on a Kubernetes cluster (kind: scripts/cluster-up.sh);
                     the driver runs there as a Job and the report is written here
  --scenario FILE    scenario file (default: scenarios/small.yaml)
  --speedup N        divide every scenario duration by N: arrivals, work, TTLs,
                     parking budgets (default: all policy sets in about a minute)
  --seed N           seed (default: the scenario's)
  --out DIR          report folder (default: reports/runs/<time>-<scenario>-local)
  --policies A,B     run only these policy sets
  --duration D       scenario time to replay before compression (e.g. 30m)
  --chaos SPEC       worker-kill=30s: SIGKILL a random worker this often (wall time)
  --exec MODE        sleep | cpu: how a worker spends an invocation's work (default: sleep)
  --invocations W    all | none: rows of invocations.csv (default: all)
  --sample-every D   timeseries.csv interval, scenario time (default 60s, the
                     simulator's); each sample is taken when its slot comes due
                     and stamped with the time it was taken
  -h, --help         this text

With --backend k8s:
  --dry-run          print every manifest the run would apply, as YAML, and exit
${K8S_FLAGS_HELP}
Ctrl-C stops every worker, writes what was measured so far and marks the
report partial in run.json.
`;

/** A usage error: exit code 2. */
export class BenchUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchUsageError';
  }
}

/** Where the bench writes, and its clock; injectable for tests. */
export interface BenchIo {
  out(text: string): void;
  err(text: string): void;
  isoNow(): string;
  /** Aborts the run (Ctrl-C). */
  readonly signal?: AbortSignal;
}

/** The default scenario of the real benchmark. */
export const DEFAULT_BENCH_SCENARIO = fileURLToPath(new URL('../scenarios/small.yaml', import.meta.url));

/** The options of one bench run, as parsed from the command line. */
export interface BenchOptions extends BenchRun {
  backend: 'local' | 'k8s';
  /** k8s only: print the manifests instead of applying them. */
  dryRun: boolean;
  outDir: string;
  k8s: K8sFlags;
}

/** What is measured and how: the part of the options the driver needs, wherever it runs. */
export interface BenchRun {
  scenario: Scenario;
  source: string;
  seed: number;
  speedup: number;
  killEveryMs: number;
  /** timeseries.csv interval in scenario time (the driver samples every sampleEveryMs / speedup of run time). */
  sampleEveryMs: number;
  exec: ExecuteMode;
  invocations: 'all' | 'none';
}

function positive(text: string, flag: string): number {
  const n = Number(text);
  if (!(n > 0) || !Number.isFinite(n)) throw new BenchUsageError(`${flag}: expected a positive number, got "${text}"`);
  return n;
}

/** Parses argv; null for --help. */
export function parseBenchArgs(argv: readonly string[], io: BenchIo): BenchOptions | null {
  let v;
  try {
    ({ values: v } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        backend: { type: 'string' },
        scenario: { type: 'string' },
        speedup: { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string' },
        policies: { type: 'string' },
        duration: { type: 'string' },
        chaos: { type: 'string' },
        exec: { type: 'string' },
        invocations: { type: 'string' },
        'sample-every': { type: 'string' },
        'dry-run': { type: 'boolean' },
        ...K8S_FLAG_OPTIONS,
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new BenchUsageError((err as Error).message);
  }
  if (v.help === true) {
    io.out(HELP);
    return null;
  }
  const backend = v.backend ?? 'local';
  if (backend !== 'local' && backend !== 'k8s') throw new BenchUsageError(`--backend: expected local or k8s, got "${backend}"`);
  if (backend === 'local') {
    const k8sOnly = k8sOnlyFlagsGiven(v, ['dry-run', ...Object.keys(K8S_FLAG_OPTIONS)]);
    if (k8sOnly.length > 0) throw new BenchUsageError(`${k8sOnly.join(', ')}: only with --backend k8s`);
  }
  const source = v.scenario ?? DEFAULT_BENCH_SCENARIO;
  let scenario = loadScenarioFile(source);
  if (v.duration !== undefined) {
    let d: number;
    try {
      d = parseDuration(v.duration);
    } catch (err) {
      throw new BenchUsageError(`--duration: ${(err as Error).message}`);
    }
    if (d <= 0) throw new BenchUsageError(`--duration: must be positive, got "${v.duration}"`);
    scenario = { ...scenario, durationMs: d };
  }
  if (v.policies !== undefined) {
    const wanted = v.policies.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    const known = new Map(scenario.policies.map((p) => [p.name, p]));
    const unknown = wanted.filter((w) => !known.has(w));
    if (wanted.length === 0 || unknown.length > 0) {
      throw new BenchUsageError(`--policies: unknown policy set(s) ${unknown.map((u) => `"${u}"`).join(', ') || '(empty list)'} (known: ${[...known.keys()].join(', ')})`);
    }
    scenario = { ...scenario, policies: wanted.map((w) => known.get(w)!) };
  }
  const seed = v.seed === undefined ? scenario.seed : Number(v.seed);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new BenchUsageError(`--seed: expected a non-negative integer, got "${v.seed}"`);
  // By default all the policy sets together replay in about a minute.
  const speedup = v.speedup === undefined ? Math.max(1, (scenario.durationMs * scenario.policies.length) / 60_000) : positive(v.speedup, '--speedup');
  let killEveryMs = 0;
  if (v.chaos !== undefined) {
    const m = /^worker-kill=(.+)$/.exec(v.chaos);
    if (m === null) throw new BenchUsageError(`--chaos: expected worker-kill=DURATION (e.g. worker-kill=30s), got "${v.chaos}"`);
    try {
      killEveryMs = parseDuration(m[1]!);
    } catch (err) {
      throw new BenchUsageError(`--chaos: ${(err as Error).message}`);
    }
    if (killEveryMs <= 0) throw new BenchUsageError('--chaos: the interval must be positive');
  }
  let sampleEveryMs = 60_000;
  if (v['sample-every'] !== undefined) {
    try {
      sampleEveryMs = parseDuration(v['sample-every']);
    } catch (err) {
      throw new BenchUsageError(`--sample-every: ${(err as Error).message}`);
    }
    if (!(sampleEveryMs > 0)) throw new BenchUsageError(`--sample-every: must be positive, got "${v['sample-every']}"`);
  }
  const exec = v.exec ?? 'sleep';
  if (exec !== 'sleep' && exec !== 'cpu') throw new BenchUsageError(`--exec: expected sleep or cpu, got "${exec}"`);
  const invocations = v.invocations ?? 'all';
  if (invocations !== 'all' && invocations !== 'none') throw new BenchUsageError(`--invocations: expected all or none, got "${invocations}"`);
  const stamp = io.isoNow().replace(/[:.]/g, '-');
  const outDir = v.out ?? join('reports', 'runs', `${stamp}-${scenario.name}-${backend}`);
  const k8s: K8sFlags = k8sFlagsFrom(v);
  return { backend, dryRun: v['dry-run'] === true, scenario, source, seed, speedup, outDir, killEveryMs, sampleEveryMs, exec, invocations, k8s };
}

/** The harness version, from package.json. */
export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Where a bench runs its workers: a runtime per policy set, and what run.json says about it. */
export interface BenchBackend {
  readonly name: 'local' | 'k8s';
  /** How the first log line says where the workers are, e.g. "on local workers". */
  readonly where: string;
  /** Starts the runtime of the policy set at `index` (of the compressed scenario). */
  start(policy: PolicySet, index: number): Promise<RealRuntime>;
  /** Extra fields of run.json. */
  readonly info?: Readonly<Record<string, unknown>>;
}

/** What a measured bench produced: the report's files and the summary lines to print. */
export interface BenchOutcome {
  readonly files: Record<string, string>;
  /** Lines for stdout, each ending in a newline (the report folder is added by whoever writes it). */
  readonly lines: string[];
  readonly interrupted: boolean;
}

/**
 * Runs every policy set of the scenario on a backend, one after the other,
 * and builds the report: the measuring half of the bench, shared by the
 * local backend and the driver Job of the k8s backend.
 */
export async function measureBench(opts: BenchRun, io: BenchIo, backend: BenchBackend): Promise<BenchOutcome> {
  const startedAt = io.isoNow();
  const scenario = compressScenario(opts.scenario, opts.speedup);
  const workload = compressWorkload(await generateWorkload(opts.scenario, opts.seed), opts.speedup);
  io.err(
    `${scenario.name} ${backend.where}: ${workload.actorNames.length} actors, ${workload.arrivalMs.length} invocations, ` +
      `${formatDuration(opts.scenario.durationMs)} of scenario in ${formatDuration(Math.round(scenario.durationMs))} (speedup ${opts.speedup.toFixed(1)}), ` +
      `${scenario.policies.length} policy set(s)\n`,
  );
  const results: RealRunResult[] = [];
  const densities: Record<string, Density> = {};
  const t0 = performance.now();
  let interrupted = false;
  for (const [i, policy] of scenario.policies.entries()) {
    if (io.signal?.aborted === true) {
      interrupted = true;
      break;
    }
    const runtime = await backend.start(policy, i);
    const tp = performance.now();
    const r = await drive(scenario, policy, workload, runtime, {
      seed: opts.seed,
      clock: () => performance.now(),
      killEveryMs: opts.killEveryMs,
      memoryEveryMs: 1000,
      sampleEveryMs: opts.sampleEveryMs / opts.speedup,
      drainMs: Math.max(10_000, scenario.durationMs),
      ...(io.signal === undefined ? {} : { signal: io.signal }),
      log: (l) => io.err(`  ${l}\n`),
    });
    results.push(r);
    densities[policy.name] = density(r.measured.memory);
    io.err(`  ${policy.name}: ${r.replies.length} outcomes in ${((performance.now() - tp) / 1000).toFixed(1)} s${r.partial ? ' (partial)' : ''}\n`);
    if (r.partial) {
      interrupted = true;
      break;
    }
  }
  const rows = summaries(results);
  const measured = results.flatMap((r) =>
    measuredRows({ policy: r.policy, workerStartMs: r.measured.workerStartMs, restoreMs: r.measured.restoreMs, checkpointMs: r.measured.checkpointMs, dispatchMs: r.measured.dispatchMs, lagMs: r.measured.lagMs, memory: r.measured.memory }),
  );
  const files: Record<string, string> = {
    'summary.csv': summaryCsv(rows),
    'measured.csv': stringify(measured, { header: true, columns: [...MEASURED_COLUMNS] }),
    'timeseries.csv': timeseriesCsv(results, opts.speedup, opts.seed),
    'run.json': `${JSON.stringify(
      {
        kind: 'bench',
        backend: backend.name,
        partial: interrupted,
        scenario: { name: opts.scenario.name, source: opts.source, sha256: createHash('sha256').update(JSON.stringify(opts.scenario)).digest('hex') },
        seed: opts.seed,
        speedup: opts.speedup,
        exec: opts.exec,
        durationMs: scenario.durationMs,
        chaos: opts.killEveryMs > 0 ? { workerKillEveryMs: opts.killEveryMs, kills: Object.fromEntries(results.map((r) => [r.policy, r.kills])) } : null,
        policies: results.map((r) => ({ name: r.policy, partial: r.partial, events: r.events, errors: r.measured.errors.slice(0, 20), errorCount: r.measured.errors.length })),
        density: densities,
        wallTimeMs: Math.round(performance.now() - t0),
        startedAt,
        versions: { node: process.version, harness: packageVersion() },
        ...(backend.info ?? {}),
      },
      null,
      2,
    )}\n`,
  };
  if (opts.invocations === 'all') files['invocations.csv'] = invocationsCsv(results);
  const lines: string[] = [];
  for (const r of rows) {
    lines.push(
      `${r.policy}: served ${r.served}/${r.invocations}, p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms, warm ${r.warm}, resumed ${Number(r.resume_local) + Number(r.resume_external)}, ` +
        `golden/cold ${Number(r.golden) + Number(r.cold_boot)}, worker-s ${r.worker_seconds}\n`,
    );
  }
  for (const m of measured) if (Number(m[3]) > 0 && m[1] !== 'driver-lag') lines.push(`  ${m[0]} ${m[1]}${m[2] ? ` (${m[2]})` : ''}: n=${m[3]} p50 ${m[4]} ms p99 ${m[6]} ms\n`);
  for (const [p, d] of Object.entries(densities)) lines.push(`  ${p} density: worker ${d.workerBaseMiB} MiB + ${d.perActorMiB} MiB per resident actor (${d.samples} samples)\n`);
  return { files, lines, interrupted };
}

/**
 * timeseries.csv of real runs, in the simulator's columns and time base:
 * scenario time, i.e. the run's time multiplied back by the speedup.
 */
export function timeseriesCsv(results: readonly Pick<RealRunResult, 'policy' | 'samples'>[], speedup: number, seed: number): string {
  return stringify(
    results.flatMap((r) => r.samples.map((s) => [r.policy, ms(s.timeMs * speedup), s.workers, s.resident, s.parked, seed])),
    { header: true, columns: [...TIMESERIES_COLUMNS] },
  );
}

/** Runs the real benchmark end to end; returns the exit code (130 when interrupted). */
export async function runBench(argv: readonly string[], io: BenchIo): Promise<number> {
  const opts = parseBenchArgs(argv, io);
  if (opts === null) return 0;
  if (opts.backend === 'k8s') {
    // Loaded only here: the local path never pays for the Kubernetes client.
    const { runK8sBench } = await import('./k8s/launch.ts');
    return runK8sBench(opts, io);
  }
  const token = randomBytes(24).toString('hex');
  const root = mkdtempSync(join(tmpdir(), 'actorsim-bench-'));
  let outcome: BenchOutcome;
  try {
    outcome = await measureBench(opts, io, {
      name: 'local',
      where: 'on local workers',
      start: (policy, i) => {
        const poolSlots = Object.fromEntries(Object.entries(policy.pools).map(([name, p]) => [name, p.mode === 'dedicated' ? 1 : p.actorSlots]));
        const templateMemoryMiB = Object.fromEntries(opts.scenario.templates.map((t) => [t.name, t.memoryMiB]));
        return LocalRuntime.start({ workDir: join(root, String(i)), token, poolSlots, templateMemoryMiB, execMode: opts.exec, log: (l) => io.err(`  ${l}\n`) });
      },
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const dir = writeReport(opts.outDir, outcome.files);
  for (const line of outcome.lines) io.out(line);
  io.out(`Report: ${dir}${outcome.interrupted ? ' (partial)' : ''}\n`);
  return outcome.interrupted ? 130 : 0;
}
