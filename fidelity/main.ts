import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { flagValue, listValue, nonNegativeInt, oneOf, positiveNumber, readFlags } from '../cli/flags.ts';
import { EXIT_FAILED, EXIT_INTERRUPTED, onQuit } from '../cli/exit.ts';
import type { Io } from '../cli/io.ts';
import { UsageError } from '../cli/usage-error.ts';
import { REPO_ROOT, entryArgs } from '../cli/repo.ts';
import { loadScenarioFile } from '../scenarios/load.ts';
import { parseDuration } from '../scenarios/units.ts';
import { compareSummaries, fidelityCsv, runSample, type FidelityRow } from './compare.ts';
import { renderFidelityHtml, repliesFromCsv } from './html.ts';
import { DEFAULT_MAX_LOAD_PER_CPU, HostWatch, SYSTEM_PROBE, type HostLoad, type HostProbe } from './host-load.ts';
import { fidelityMarkdown } from './markdown.ts';
import { comparePrimitives } from './primitives.ts';
import { readPrimitiveLogs } from './primitive-log.ts';
import { DRIFT_BAND, DRIFT_REPEATS, driftNote, driftRows, type Drift } from './drift.ts';
import { samplesPathFor } from './calibrate/main.ts';
import { samplesFileSchema } from './calibrate/profile.ts';
import type { CalibrationSamples } from '../real/primitives.ts';
import { FIDELITY_RECORD, FidelityInputError, fidelityRecordJson, readCsvRows, readFidelityRecord, type FidelityRecord } from './record.ts';
import { besideNote, besideTheRun, cpuCount, cpuNote, cpuPoints, machineCost, modelledHostWorkMs, realCpuLines } from './cpu.ts';
import { failuresNote, realFailures, simFailures } from './failures.ts';
import { runSpread } from './spread.ts';
import { rowsByPolicy } from './csv-rows.ts';
import { seedSpread, seedSpreadCsv, seedSpreadLines, seedSpreadMarkdown, sweepSeeds, type SeedRun } from './seeds.ts';
import { COSTS_SCALE_RANGE } from '../scenarios/costs-scale.ts';
import { costsBand, costsBandLines, costsBandMarkdown, parseBandFactors, type BandRun } from './band.ts';
import { writeFidelityInputs, type FidelityInputOptions, type FidelityInputs } from './inputs.ts';
import { fidelityTimeseriesCsv, pairSeries, samplesByPolicy, seriesInterval, seriesRows, type PairedSample } from './series.ts';
import type { Reply } from '../core/types.ts';
import type { CostModel, Scenario } from '../scenarios/scenario.ts';
import type { SummaryRow } from '../reports/summary.ts';
import { checkReportDir, writeReport } from '../reports/write.ts';
import { checkedWorkload } from '../real/run.ts';
import { K8S_FLAG_OPTIONS, K8S_FLAGS_HELP, k8sFlagArgs, k8sFlagsFrom, k8sOnlyFlagsGiven, type K8sFlags } from '../real/k8s/flags.ts';

const HELP = `Usage: npm run fidelity -- --scenario FILE [options]

Runs one scenario twice, in the simulator with a calibrated cost profile and
on real workers (bench:cluster: local processes, or gVisor pods with
--backend k8s), on the same workload, seed and time compression, and
compares the two summaries row by row: latency percentiles, counts by path,
rejections, worker-seconds, resident actors (mean, peak, and over time),
each with its relative error. Writes to the
output folder:
  report.html              the fidelity table per policy set with each error and
                           whether it is within the target (p50 and p99 within
                           10%, counts by path and worker-seconds within 5%),
                           resident actors over time and latency CDFs, sim
                           against real, and the primitives against the profile
  fidelity.csv             one row per policy set and metric: sim, real, diff,
                           rel_error, target, met; resident_over_time and
                           workers_over_time hold the series' means and their
                           mean absolute error sum|sim - real| / sum real
  fidelity-timeseries.csv  both runs' workers and resident actors on the same
                           slots, scenario time since the span starts
  fidelity.md              the tables in Markdown
  fidelity.json            the resolved options and the context of fidelity.md, which
                           --against reads
  sim/, real/, inputs/     the two runs' own reports and the exact inputs
A real run that served none of a policy set's invocations but measured
cleanly (whole, every worker ready, the store kept, every counter agreeing)
is compared as it is, with a caveat: a collapse the simulation may share.
Exits 1 if either run fails otherwise or the real run is partial, 2 on a bad flag,
scenario or --out (before anything runs), 130 when interrupted: Ctrl-C or
SIGTERM stops the running half (the real run writes its partial report into
real/); its runs also stop when this process dies, even by SIGKILL.

Options:
  --scenario FILE    scenario file (required)
  --backend B        local: worker processes on this machine (default)
                     k8s: gVisor pods on a Kubernetes cluster (bench:cluster --backend k8s);
                     the cluster is checked before anything is run or written
  --profile P        cost profile for the simulation: a .yaml path or a name in
                     scenarios/profiles/ (default: local-calibrated, written by
                     npm run calibrate; with --backend k8s: k8s-gvisor-calibrated, written by
                     npm run calibrate -- --backend k8s)
  --speedup N        the real run's time compression, applied to the simulation too
                     (default: bench:cluster's, all policy sets in about a minute)
  --seed N           seed of the workload, placement and costs (default: the scenario's)
  --policies A,B     run only these policy sets
  --start T          scenario time at which the replayed span starts (default 0)
  --duration D       length of the replayed span, scenario time (default: to the scenario's end)
  --warmup W         warm-up, scenario time (default: the scenario's)
  --exec MODE        sleep | cpu: how real workers spend work (default sleep)
  --prime-golden D   wall time before the span; one extra actor per golden template is
                     invoked once halfway into it (default 5s; 0 for none): the
                     real workers publish a template's golden snapshot on its first
                     golden restore, and restores racing it each publish one too
  --sample-every D   time-series interval, scenario time (default: a round interval
                     giving at most 150 samples of the priming gap and span, at least 1s)
  --max-load N       1-minute load average per cpu above which the machine counts as busy
                     (default ${DEFAULT_MAX_LOAD_PER_CPU}): the load and CPU steal are recorded before and during
                     the real run (fidelity.json, fidelity.md), with a warning above it
  --refuse-busy      refuse to run (exit 1, nothing written) when the machine is busy before the start
  --no-drift-probe   skip the drift probe: by default, just before the real run, a short
                     calibration (${DRIFT_REPEATS} repeats at the snapshot size, one primitive at a time,
                     about half a minute locally) is set against the profile, primitive by
                     primitive, and fidelity.md says by how much this machine's speed has moved
                     since the profile was measured (flagged outside ${DRIFT_BAND[0]}-${DRIFT_BAND[1]}x); its files
                     are in OUT/drift/
  --keep-snapshot-size  simulate the template's snapshot size even though the real
                     worker moves the whole memory region (default: snapshot = memory)
  --out DIR          output folder (default: reports/runs/<time>-<scenario>-fidelity);
                     checked before anything runs: not a file, not /, not a folder
                     holding anything but an earlier report
  --allow-outside    let the scenario read include, costs and trace files outside
                     its own folder (refused by default)
  --against DIR      compare against the real run recorded in DIR (the output folder
                     of an earlier fidelity run) instead of running it again: only the
                     simulation runs, with --profile; real/ and real.log are copied
                     from DIR, and the reports say so. The span, seed, speedup,
                     warm-up, priming, snapshot size, policies, exec mode, backend and
                     sampling interval are DIR's (from DIR/fidelity.json): only
                     --profile and --out may be given (2 otherwise). Exits 1, writing
                     nothing, if DIR has no fidelity.json (written before this option,
                     or its run failed), its real run is missing or partial, or the
                     workload regenerated from the scenario file differs from DIR's
                     inputs/workload.csv (the scenario file changed since)
  --sim-seeds N      after the run's own simulation, simulate the same workload with the
                     next N seeds of the costs and placement (default 0) and say how many
                     seeds meet each targeted cell: none is the model's bias, some is a
                     draw. Allowed with --against. Writes OUT/seeds/<seed>/ and
                     fidelity-seeds.csv, and a section of fidelity.md
  --costs-band F,G   after the run's own simulation, simulate it again with every
                     primitive of the profile F and G times as long (simulate
                     --costs-scale; e.g. 0.8,1.25, the drift probe's band) and say,
                     cell by cell, whether the real figure lies within the simulated
                     range: inside, a machine of that speed gives it; outside, the
                     model misses it at any of them. Allowed with --against. Writes
                     OUT/band/<F>/ and a section of fidelity.md
  --spread A,B,...   compare recorded real runs with each other instead (output folders of
                     earlier fidelity runs of the same inputs: scenario, seed, span, speedup,
                     warm-up, priming, policies; the profile may differ): every ordered pair
                     by the same rule, one standing for the simulation, and how often each
                     targeted cell was met. A simulation is as close as a repeat of the real
                     run when it scores in that range. Runs nothing, writes nothing; exits 2
                     when a folder cannot be read or is not a repeat of the first
  -h, --help         this text

With --backend k8s, passed on to bench:cluster:
${K8S_FLAGS_HELP}`;

const REPO = REPO_ROOT;

/** The options of one fidelity run, as parsed from the command line. */
export interface FidelityOptions {
  backend: 'local' | 'k8s';
  /** k8s only: the cluster and image, passed on to bench:cluster. */
  k8s: K8sFlags;
  scenarioFile: string;
  profile: string;
  speedup: number | undefined;
  seed: number | undefined;
  policies: string[] | undefined;
  startMs: number;
  durationMs: number | undefined;
  warmupMs: number | undefined;
  exec: 'sleep' | 'cpu';
  primeMs: number;
  sampleEveryMs: number | undefined;
  snapshotAsMemory: boolean;
  /** --max-load: busy above this 1-minute load per cpu. */
  maxLoadPerCpu: number;
  /** --refuse-busy: refuse instead of warning. */
  refuseBusy: boolean;
  outDir: string;
  /** --allow-outside: the scenario may read files outside its folder. */
  allowOutside: boolean;
  /** --against: the earlier run whose real half is compared against instead of running it again. */
  against?: { dir: string; record: FidelityRecord };
  /** Run the drift probe before the real half (not --no-drift-probe; never with --against). */
  driftProbe: boolean;
  /** --sim-seeds: more simulations of the same workload with the next seeds, for the simulation's own spread (0: none). */
  simSeeds: number;
  /** --costs-band: the run's own simulation again at these machine speeds (simulate --costs-scale), ascending; none: empty. */
  costsBand: readonly number[];
}

/** The flags --against allows; every other option comes from the earlier run's record. */
const AGAINST_ALLOWS = new Set(['against', 'profile', 'out', 'allow-outside', 'sim-seeds', 'costs-band', 'help']);

/** Most --sim-seeds: each is a whole simulation, with its report kept. */
export const MAX_SIM_SEEDS = 200;

function duration(text: string, flag: string): number {
  return flagValue(text, flag, parseDuration);
}

/** Where profiles named without a path live. */
export const PROFILES_DIR = join(REPO, 'scenarios', 'profiles');

/** The profile each backend compares against unless --profile says otherwise: the one `npm run calibrate` writes for it. */
export const DEFAULT_FIDELITY_PROFILE = { local: 'local-calibrated', k8s: 'k8s-gvisor-calibrated' } as const;

/** Resolves --profile: a path (anything with a slash or ending in .yaml) or a name in `profilesDir`. */
function profilePath(p: string | undefined, backend: 'local' | 'k8s', profilesDir: string): string {
  const name = p ?? DEFAULT_FIDELITY_PROFILE[backend];
  const file = name.includes('/') || name.endsWith('.yaml') ? resolve(name) : join(profilesDir, `${name}.yaml`);
  if (!existsSync(file)) {
    if (p === undefined) {
      throw new UsageError(
        `--profile: ${file} does not exist; fidelity --backend ${backend} compares against a profile calibrated on the ${backend === 'k8s' ? 'cluster' : 'machine'} it runs on: ` +
          `run npm run calibrate -- --backend ${backend} first (it writes ${DEFAULT_FIDELITY_PROFILE[backend]}), or pass --profile NAME|FILE`,
      );
    }
    throw new UsageError(`--profile: ${file} does not exist`);
  }
  return file;
}

/** Parses argv; null for --help. `profilesDir` is where a profile named without a path is looked for (tests give their own). */
export function parseFidelityArgs(argv: readonly string[], io: Io, profilesDir: string = PROFILES_DIR): FidelityOptions | null {
  const v = readFlags(argv, {
    scenario: { type: 'string' },
    backend: { type: 'string' },
    profile: { type: 'string' },
    speedup: { type: 'string' },
    seed: { type: 'string' },
    policies: { type: 'string' },
    start: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    exec: { type: 'string' },
    'prime-golden': { type: 'string' },
    'sample-every': { type: 'string' },
    'keep-snapshot-size': { type: 'boolean' },
    'max-load': { type: 'string' },
    'refuse-busy': { type: 'boolean' },
    'no-drift-probe': { type: 'boolean' },
    out: { type: 'string' },
    'allow-outside': { type: 'boolean' },
    against: { type: 'string' },
    'sim-seeds': { type: 'string' },
    'costs-band': { type: 'string' },
    ...K8S_FLAG_OPTIONS,
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help === true) {
    io.out(HELP);
    return null;
  }
  const simSeeds = v['sim-seeds'] === undefined ? 0 : nonNegativeInt(v['sim-seeds'], '--sim-seeds');
  if (simSeeds > MAX_SIM_SEEDS) throw new UsageError(`--sim-seeds: at most ${MAX_SIM_SEEDS} (each is a whole simulation, its report kept), got ${simSeeds}`);
  const costsBand = v['costs-band'] === undefined ? [] : flagValue(v['costs-band'], '--costs-band', (t) => parseBandFactors(t, COSTS_SCALE_RANGE));
  const stamp = io.isoNow().replace(/[:.]/g, '-');
  const defaultOut = (scenarioFile: string): string => join('reports', 'runs', `${stamp}-${(scenarioFile.split('/').pop() ?? 'scenario').replace(/\.ya?ml$/, '')}-fidelity`);
  if (v.against !== undefined) {
    // The comparison means something only on the recorded run's workload, compression and sampling slots.
    const refused = Object.keys(v).filter((k) => !AGAINST_ALLOWS.has(k) && v[k as keyof typeof v] !== undefined);
    if (refused.length > 0) throw new UsageError(`--against: ${refused.map((k) => `--${k}`).join(', ')} cannot be given: the run takes them from ${join(v.against, FIDELITY_RECORD)} (only --profile and --out may change)`);
    const againstDir = resolve(v.against);
    if (v.out !== undefined && resolve(v.out) === againstDir) throw new UsageError('--out: must not be the --against folder, which is read');
    const record = readFidelityRecord(againstDir);
    const r = record.options;
    const outDir = resolve(v.out ?? defaultOut(r.scenarioFile));
    return {
      backend: r.backend,
      k8s: r.k8s,
      scenarioFile: r.scenarioFile,
      profile: profilePath(v.profile, r.backend, profilesDir),
      speedup: r.speedup,
      seed: r.seed,
      policies: r.policies === null ? undefined : [...r.policies],
      startMs: r.startMs,
      durationMs: r.durationMs ?? undefined,
      warmupMs: r.warmupMs ?? undefined,
      exec: r.exec,
      primeMs: r.primeMs,
      sampleEveryMs: r.sampleEveryMs,
      snapshotAsMemory: r.snapshotAsMemory,
      maxLoadPerCpu: DEFAULT_MAX_LOAD_PER_CPU,
      refuseBusy: false,
      outDir,
      allowOutside: v['allow-outside'] === true,
      against: { dir: againstDir, record },
      driftProbe: false,
      simSeeds,
      costsBand,
    };
  }
  const backend = oneOf(v.backend ?? 'local', '--backend', ['local', 'k8s']);
  if (backend === 'local') {
    const k8sOnly = k8sOnlyFlagsGiven(v);
    if (k8sOnly.length > 0) throw new UsageError(`${k8sOnly.join(', ')}: only with --backend k8s`);
  }
  if (v.scenario === undefined) throw new UsageError('--scenario is required');
  const speedup = v.speedup === undefined ? undefined : positiveNumber(v.speedup, '--speedup');
  const seed = v.seed === undefined ? undefined : nonNegativeInt(v.seed, '--seed');
  const exec = oneOf(v.exec ?? 'sleep', '--exec', ['sleep', 'cpu']);
  const durationMs = v.duration === undefined ? undefined : duration(v.duration, '--duration');
  if (durationMs !== undefined && durationMs <= 0) throw new UsageError('--duration: must be positive');
  const sampleEveryMs = v['sample-every'] === undefined ? undefined : duration(v['sample-every'], '--sample-every');
  if (sampleEveryMs !== undefined && !(sampleEveryMs > 0)) throw new UsageError('--sample-every: must be positive');
  return {
    backend,
    k8s: k8sFlagsFrom(v),
    scenarioFile: resolve(v.scenario),
    profile: profilePath(v.profile, backend, profilesDir),
    speedup,
    seed,
    policies: v.policies === undefined ? undefined : listValue(v.policies),
    startMs: v.start === undefined ? 0 : duration(v.start, '--start'),
    durationMs,
    warmupMs: v.warmup === undefined ? undefined : duration(v.warmup, '--warmup'),
    exec,
    primeMs: v['prime-golden'] === undefined ? 5000 : duration(v['prime-golden'], '--prime-golden'),
    sampleEveryMs,
    snapshotAsMemory: v['keep-snapshot-size'] !== true,
    maxLoadPerCpu: v['max-load'] === undefined ? DEFAULT_MAX_LOAD_PER_CPU : positiveNumber(v['max-load'], '--max-load'),
    refuseBusy: v['refuse-busy'] === true,
    outDir: resolve(v.out ?? defaultOut(v.scenario)),
    allowOutside: v['allow-outside'] === true,
    driftProbe: v['no-drift-probe'] !== true,
    simSeeds,
    costsBand,
  };
}

/**
 * Runs a CLI of this repository as a child process; resolves with its exit
 * code and output. The child dies with this process: its stdin is a pipe it
 * watches (ACTORSIM_EXIT_WITH_PARENT, see cli/shell.ts), which closes when
 * this process goes, even by SIGKILL; Ctrl-C or SIGTERM here (io.signal)
 * sends it SIGTERM, which a real run answers with its partial report.
 * Its output is relayed to stderr line by line, labelled, unless `relay` is
 * false (it is in the log either way).
 */
function runChild(label: string, entry: string, args: readonly string[], io: Io, relay = true): Promise<{ code: number; log: string; wallMs: number }> {
  return new Promise((done) => {
    const t0 = performance.now();
    // node itself, as the local runtime starts workers: no npm or tsx wrapper process to orphan.
    const child = spawn(process.execPath, [...entryArgs(entry), ...args], {
      cwd: REPO,
      env: { ...process.env, ACTORSIM_EXIT_WITH_PARENT: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stop = (): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    };
    const dropQuit = onQuit(stop);
    io.signal?.addEventListener('abort', stop);
    if (io.signal?.aborted === true) stop();
    let log = '';
    const take = (d: Buffer): void => {
      const text = d.toString();
      log += text;
      if (relay) for (const line of text.split('\n')) if (line.trim().length > 0) io.err(`  ${label}: ${line}\n`);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (err) => {
      log += `${String(err)}\n`;
    });
    child.on('close', (code, signal) => {
      dropQuit();
      io.signal?.removeEventListener('abort', stop);
      done({ code: code ?? (signal === null ? 1 : 128), log, wallMs: performance.now() - t0 });
    });
  });
}

/** The command line of the real run: bench:cluster on the fidelity run's backend, with its k8s flags, on the inputs' real scenario. */
export function realRunArgs(o: Pick<FidelityOptions, 'backend' | 'k8s' | 'exec'>, run: { scenario: string; seed: number; speedup: number; sampleEveryMs: number; out: string; policies?: readonly string[] | undefined }): string[] {
  return [
    '--backend',
    o.backend,
    ...(o.backend === 'k8s' ? k8sFlagArgs(o.k8s) : []),
    '--scenario',
    run.scenario,
    '--seed',
    String(run.seed),
    '--speedup',
    String(run.speedup),
    '--exec',
    o.exec,
    '--sample-every',
    `${run.sampleEveryMs}ms`,
    '--out',
    run.out,
    ...(run.policies === undefined ? [] : ['--policies', run.policies.join(',')]),
  ];
}

/** Runs `npm run fidelity` end to end; returns the exit code. `probe` reads the machine's load (tests give a fake). */
export async function runFidelity(argv: readonly string[], io: Io, probe: HostProbe = SYSTEM_PROBE): Promise<number> {
  // --spread compares recorded real runs with each other: nothing runs, nothing is written.
  if (argv.some((a) => a === '--spread' || a.startsWith('--spread=')) && !argv.some((a) => a === '--help' || a === '-h')) return runSpread(argv, io);
  const o = parseFidelityArgs(argv, io);
  if (o === null) return 0;
  // Before anything runs: a folder that cannot take the report is said now, not after both runs.
  checkReportDir(o.outDir);
  // The machine's load before anything runs; the steal share "before" spans the simulation.
  const watch = o.against === undefined ? new HostWatch(probe, o.maxLoadPerCpu) : undefined;
  const busy = watch?.before();
  if (busy !== undefined) {
    io.err(`fidelity: ${o.refuseBusy ? 'refusing: ' : 'warning: '}${busy}${o.refuseBusy ? '; nothing run or written (run on a quiet machine, or without --refuse-busy)' : ''}\n`);
    if (o.refuseBusy) return 1;
  }
  if (o.against !== undefined && !existsSync(o.scenarioFile)) {
    throw new FidelityInputError(`--against: the scenario file ${o.scenarioFile} of the run in ${o.against.dir} does not exist any more`);
  }
  const original = loadScenarioFile(o.scenarioFile, { allowOutside: o.allowOutside });
  const seed = o.seed ?? original.seed;
  if (o.policies !== undefined) {
    const known = new Set(original.policies.map((p) => p.name));
    const unknown = o.policies.filter((p) => !known.has(p));
    if (o.policies.length === 0 || unknown.length > 0) throw new UsageError(`--policies: unknown policy set(s) ${unknown.join(', ') || '(empty list)'} (known: ${[...known].join(', ')})`);
  }
  let k8sCapacity: ((actorTemplates: readonly string[]) => void) | undefined;
  if (o.backend === 'k8s' && o.against === undefined) {
    // The cluster is checked before anything is simulated or written, as bench:cluster checks it (it checks again when it runs).
    const { checkRunCapacity, connectCluster, planFor } = await import('../real/k8s/launch.ts');
    const cluster = await connectCluster(o.k8s, original.pools.map((p) => p.runtimeClass), io);
    // And whether the policy sets' pods fit the nodes, once the workload says how many actors there are.
    const policies = o.policies === undefined ? original.policies : original.policies.filter((p) => o.policies!.includes(p.name));
    k8sCapacity = (actorTemplates) => checkRunCapacity(cluster, { ...original, policies }, actorTemplates, planFor({ k8s: o.k8s, scenario: original }, 'capacity-check'), io);
  }
  const policyCount = o.policies?.length ?? original.policies.length;
  const spanMs = o.durationMs ?? original.durationMs - o.startMs;
  // bench:cluster's default: all the policy sets together replay in about a minute.
  const speedup = o.speedup ?? Math.max(1, (spanMs * policyCount) / 60_000);
  // A workload real workers would refuse (actor ids, template memory) is said before the simulation runs.
  if (o.against === undefined) {
    const workload = await checkedWorkload({ scenario: original, source: o.scenarioFile, seed });
    k8sCapacity?.(workload.actorTemplates);
  }
  const inputOptions = {
    scenarioFile: o.scenarioFile,
    allowOutside: o.allowOutside,
    profile: o.profile,
    seed,
    speedup,
    startMs: o.startMs,
    ...(o.durationMs === undefined ? {} : { durationMs: o.durationMs }),
    ...(o.warmupMs === undefined ? {} : { warmupMs: o.warmupMs }),
    snapshotAsMemory: o.snapshotAsMemory,
    primeMs: o.primeMs,
  };
  const inputs = o.against === undefined ? await writeInputs(o.outDir, inputOptions) : await regenerateInputs(o.outDir, inputOptions, o.against.dir);
  io.err(
    `fidelity: ${original.name}, ${inputs.invocations} invocations of ${inputs.actors} actors, ${policyCount} policy set(s), ` +
      `speedup ${Number(speedup.toFixed(3))} (${(inputs.durationMs / speedup / 1000).toFixed(1)} s per policy set)\n`,
  );
  // Both runs sample on the same slots of the copies' scenario time (priming gap, then span); the
  // simulator runs the compressed copy, so its interval and its times are divided by the speedup.
  const everyMs = o.sampleEveryMs ?? seriesInterval(inputs.primeGapMs + inputs.durationMs);
  const policyArgs = o.policies === undefined ? [] : ['--policies', o.policies.join(',')];
  const simDir = join(o.outDir, 'sim');
  const realDir = join(o.outDir, 'real');
  // The simulation first: it is quick, and would otherwise take cpu from the real run.
  // --worker-cpu sets the real worker pods' cpu (and limit, where the pool gives a cpu); the simulation gets the same pools.
  const cpuArgs = o.backend === 'k8s' && o.k8s.workerCpuMilli !== undefined ? ['--worker-cpu', `${o.k8s.workerCpuMilli}m`] : [];
  const sim = await runChild('sim', 'sim/cli.ts', ['--scenario', inputs.simScenario, '--seed', String(seed), '--jobs', '1', '--sample-every', `${everyMs / speedup}ms`, '--out', simDir, '--primitives', ...policyArgs, ...cpuArgs], io);
  if (interrupted(io)) {
    io.err('fidelity: interrupted during the simulation; nothing compared\n');
    return EXIT_INTERRUPTED;
  }
  if (sim.code !== 0) {
    io.err(`fidelity: the simulation failed (exit ${sim.code})\n`);
    return EXIT_FAILED;
  }
  let real: RealHalf;
  if (o.against !== undefined) {
    // The recorded real half, as it was: its report, log, wall time and the machine's load then.
    const { dir, record } = o.against;
    // Replaced whole, so no file of an earlier run in --out stays beside the copy.
    rmSync(realDir, { recursive: true, force: true });
    cpSync(join(dir, 'real'), realDir, { recursive: true });
    const recordedNone = cleanCollapse(readJsonOrNull(join(realDir, 'run.json')));
    real = {
      ...(recordedNone === null ? {} : { servedNone: recordedNone }),
      log: readFileSync(join(dir, 'real.log'), 'utf8'),
      wallMs: record.context.realWallMs,
      // The recorded run's probe, read again against this profile: it says how fast the machine was then.
      ...(record.context.drift === undefined ? {} : { probe: recordedProbe(dir, record.context.drift) }),
      ...(record.context.loadAverage === undefined ? {} : { loadAverage: record.context.loadAverage }),
      ...(record.context.hostLoad === undefined ? {} : { hostLoad: record.context.hostLoad }),
      recordedAt: record.realRecordedAt,
    };
    io.err(`fidelity: comparing against the real run recorded ${record.realRecordedAt} in ${dir} (not re-run)\n`);
  } else {
    // How fast the machine is now against the profile: a short calibration just before the real run.
    const probe = await runDriftProbe(o, Object.values(inputs.snapshotMiB)[0] ?? 0, io);
    if (interrupted(io)) {
      io.err('fidelity: interrupted during the drift probe; nothing compared\n');
      return EXIT_INTERRUPTED;
    }
    // The machine may be shared: its load during the real run is part of what the numbers mean.
    const before = loadavg();
    watch!.start();
    const run = await runChild('real', 'real/cli.ts', realRunArgs(o, { scenario: inputs.realScenario, seed, speedup, sampleEveryMs: everyMs, out: realDir, policies: o.policies }), io);
    const after = loadavg();
    const hostLoad = watch!.end();
    if (interrupted(io)) {
      io.err(`fidelity: interrupted; the real run's partial report is in ${realDir}; nothing compared\n`);
      return EXIT_INTERRUPTED;
    }
    for (const w of hostLoad.warnings.slice(busy === undefined ? 0 : 1)) io.err(`fidelity: warning: ${w}\n`);
    const runJson = readJsonOrNull(join(realDir, 'run.json')) as { partial?: boolean } | null;
    const servedNone = run.code === 1 ? cleanCollapse(runJson) : null;
    if ((run.code !== 0 && servedNone === null) || runJson === null) {
      io.err(`fidelity: the real run failed (exit ${run.code}${runJson === null ? ', no run.json' : ''})\n`);
      return 1;
    }
    if (servedNone !== null) io.err(`fidelity: the real run served none of ${servedNone.join(', ')}'s invocations, though it measured cleanly: compared as it is\n`);
    if (runJson.partial === true) {
      io.err('fidelity: the real run is partial\n');
      return 1;
    }
    real = { log: run.log, wallMs: run.wallMs, loadAverage: { before, after }, hostLoad, recordedAt: io.isoNow(), ...(probe === undefined ? {} : { probe }), ...(servedNone === null ? {} : { servedNone }) };
  }
  // More simulations of the same inputs (--sim-seeds, --costs-band), after the real run so as not to take its cpu.
  // Quiet: twenty simulations' reports would bury the run's own; a failed one's log is kept. A folder or an exit code.
  const simulateMore = async (flag: string, folder: string, name: string, what: string, args: readonly string[]): Promise<string | number> => {
    const dir = join(folder, name);
    const r = await runChild(`sim ${what}`, 'sim/cli.ts', ['--scenario', inputs.simScenario, ...args, '--jobs', '1', '--sample-every', `${everyMs / speedup}ms`, '--out', dir, ...policyArgs, ...cpuArgs], io, false);
    if (interrupted(io)) {
      io.err(`fidelity: interrupted during the simulations of ${flag}; nothing compared\n`);
      return EXIT_INTERRUPTED;
    }
    if (r.code !== 0) {
      io.err(`fidelity: the simulation ${what} (${flag}) failed (exit ${r.code}); its log: ${join(folder, `${name}.log`)}\n`);
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, `${name}.log`), r.log);
      return EXIT_FAILED;
    }
    return dir;
  };
  // The simulation's own spread: the next seeds on the same inputs.
  const seedsDir = join(o.outDir, 'seeds');
  // An earlier report's sweep or band in this folder is never left beside this run's.
  rmSync(seedsDir, { recursive: true, force: true });
  const sweep: { seed: number; dir: string }[] = [];
  const others = sweepSeeds(seed, o.simSeeds).slice(1);
  if (others.length > 0) io.err(`fidelity: --sim-seeds: simulating seeds ${others[0]}-${others.at(-1)} into ${seedsDir}\n`);
  for (const s of others) {
    const dir = await simulateMore('--sim-seeds', seedsDir, String(s), `with seed ${s}`, ['--seed', String(s)]);
    if (typeof dir === 'number') return dir;
    sweep.push({ seed: s, dir });
  }
  // --costs-band: the run's own simulation at other machine speeds, the same seed.
  const bandDir = join(o.outDir, 'band');
  rmSync(bandDir, { recursive: true, force: true });
  const band: { factor: number; dir: string }[] = [];
  if (o.costsBand.length > 0) io.err(`fidelity: --costs-band: simulating at ${o.costsBand.map((f) => `${f}x`).join(', ')} into ${bandDir}\n`);
  for (const f of o.costsBand) {
    const dir = await simulateMore('--costs-band', bandDir, String(f), `at ${f}x`, ['--seed', String(seed), '--costs-scale', String(f)]);
    if (typeof dir === 'number') return dir;
    band.push({ factor: f, dir });
  }
  return compareAndWrite(o, { original, inputs, seed, speedup, everyMs, sim, real, sweep, band }, io);
}

/** Whether Ctrl-C or SIGTERM came (read afresh: it changes while the children run). */
function interrupted(io: Io): boolean {
  return io.signal?.aborted === true;
}

/** The real half of a fidelity run: run now, or recorded by an earlier one (--against). */
interface RealHalf {
  log: string;
  wallMs: number;
  loadAverage?: { before: readonly number[]; after: readonly number[] };
  /** Load average and CPU steal before and during the real run (fidelity/host-load.ts). */
  hostLoad?: HostLoad;
  /** ISO time the real run ended. */
  recordedAt: string;
  /** The drift probe run before it (its samples are read against the profile when comparing). */
  probe?: DriftProbeRun;
  /** Policy sets the real run served none of, though it measured them cleanly (bench:cluster exits 1 for them): compared with a caveat. */
  servedNone?: readonly string[];
}

/**
 * The policy sets a real run that exited 1 served none of, when that is
 * its only failure: run.json whole (not partial), the store never lost,
 * every worker ready, every counter agreeing. Then the run measured a
 * collapse, which the simulation may or may not share, and is compared; for
 * any other failure (or no run.json: null) null: the run is not a measurement.
 */
export function cleanCollapse(runJson: unknown): string[] | null {
  if (typeof runJson !== 'object' || runJson === null) return null;
  const r = runJson as { partial?: unknown; failed?: unknown; failures?: unknown; policies?: unknown };
  if (r.partial !== false || r.failed !== true || !Array.isArray(r.failures) || !Array.isArray(r.policies)) return null;
  const none: string[] = [];
  for (const p of r.policies as { name?: unknown; partial?: unknown; invocations?: { served?: unknown; planned?: unknown }; workers?: { neverReady?: unknown }; storeLost?: unknown; counterCheck?: { mismatchCount?: unknown } | null }[]) {
    if (p.partial !== false || p.storeLost !== null || p.workers?.neverReady !== 0) return null;
    if (p.counterCheck !== null && p.counterCheck !== undefined && p.counterCheck.mismatchCount !== 0) return null;
    if (p.invocations?.served === 0 && typeof p.invocations.planned === 'number' && p.invocations.planned > 0) none.push(String(p.name));
  }
  // Every failure line is one of those policy sets serving none: nothing else went wrong.
  if (none.length === 0 || r.failures.length !== none.length) return null;
  return none;
}

/** Where a drift probe wrote its samples, or why it failed. */
interface DriftProbeRun {
  readonly file: string;
  readonly sizeMiB: number;
  readonly repeats: number;
  readonly failed?: string;
}

/** A recorded run's probe, its files looked for in the recorded folder (which may have moved since). */
function recordedProbe(dir: string, d: Drift): DriftProbeRun {
  return { file: join(dir, 'drift', basename(d.file)), sizeMiB: d.sizeMiB, repeats: d.repeats, ...(d.failed === undefined ? {} : { failed: d.failed }) };
}

/**
 * The drift probe: `npm run calibrate` at the snapshot size, a few repeats,
 * no sweeps, on the same backend (k8s: unlimited pods, as the profile's
 * one-at-a-time figures were measured), written to OUT/drift/. A failed
 * probe is reported, not fatal: it only qualifies the comparison.
 */
async function runDriftProbe(o: FidelityOptions, sizeMiB: number, io: Io): Promise<DriftProbeRun | undefined> {
  const dir = join(o.outDir, 'drift');
  // An earlier report's probe in this folder is never left beside this run's.
  rmSync(dir, { recursive: true, force: true });
  if (!o.driftProbe || !(sizeMiB > 0)) return undefined;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'probe.yaml');
  const k8sArgs = o.backend === 'k8s' ? k8sFlagArgs({ ...o.k8s, keepNamespace: false, workerCpuMilli: undefined }) : [];
  io.err(`fidelity: drift probe (${DRIFT_REPEATS} repeats at ${sizeMiB} MiB) before the real run\n`);
  const args = ['--backend', o.backend, ...k8sArgs, '--sizes', `${sizeMiB}Mi`, '--repeats', String(DRIFT_REPEATS), '--cold-size', `${sizeMiB}Mi`, '--out', file];
  const run = await runChild('drift', 'fidelity/calibrate/cli.ts', args, io);
  writeFileSync(join(dir, 'probe.log'), run.log);
  if (run.code !== 0) {
    const tail = run.log.trim().split('\n').slice(-2).join(' / ');
    io.err(`fidelity: warning: the drift probe failed (exit ${run.code}); the real run goes on without it\n`);
    return { file, sizeMiB, repeats: DRIFT_REPEATS, failed: `exit ${run.code}: ${tail}` };
  }
  return { file, sizeMiB, repeats: DRIFT_REPEATS };
}

/** The probe's samples against the profile the simulation used. */
function driftOf(p: DriftProbeRun, costs: CostModel): Drift {
  const base = { file: p.file, sizeMiB: p.sizeMiB, repeats: p.repeats };
  if (p.failed !== undefined) return { ...base, rows: [], failed: p.failed };
  const samplesFile = samplesPathFor(p.file);
  try {
    const parsed = samplesFileSchema.parse(JSON.parse(readFileSync(samplesFile, 'utf8')));
    return { ...base, rows: driftRows(parsed.samples as CalibrationSamples, costs, p.sizeMiB) };
  } catch (err) {
    return { ...base, rows: [], failed: `reading ${samplesFile}: ${(err as Error).message.split('\n')[0]}` };
  }
}

/** Writes the inputs of both runs into OUT/inputs. */
async function writeInputs(outDir: string, opts: Omit<FidelityInputOptions, 'dir'>): Promise<FidelityInputs> {
  const dir = join(outDir, 'inputs');
  mkdirSync(dir, { recursive: true });
  return writeFidelityInputs({ ...opts, dir });
}

/**
 * --against: regenerates the inputs from the recorded options beside OUT,
 * and moves them to OUT/inputs only if the workload is byte for byte the one
 * the recorded real run replayed; otherwise removes them and throws.
 */
async function regenerateInputs(outDir: string, opts: Omit<FidelityInputOptions, 'dir'>, againstDir: string): Promise<FidelityInputs> {
  mkdirSync(dirname(outDir), { recursive: true });
  const staging = mkdtempSync(join(dirname(outDir), `.${basename(outDir)}.inputs-`));
  let staged: FidelityInputs;
  try {
    staged = await writeFidelityInputs({ ...opts, dir: staging });
    const recorded = join(againstDir, 'inputs', 'workload.csv');
    if (!readFileSync(staged.trace).equals(readFileSync(recorded))) {
      throw new FidelityInputError(
        `--against: the workload regenerated from ${opts.scenarioFile} with seed ${opts.seed} differs from ${recorded}: the scenario file (or the workload generator) changed since that run; run fidelity without --against`,
      );
    }
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  const dir = join(outDir, 'inputs');
  mkdirSync(outDir, { recursive: true });
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  const moved = (f: string): string => join(dir, basename(f));
  return { ...staged, simScenario: moved(staged.simScenario), realScenario: moved(staged.realScenario), trace: moved(staged.trace) };
}

/**
 * Caveats of a k8s run whose worker pods carry a cpu limit: the pool's cpu,
 * or --worker-cpu in its place (real/k8s/worker-pod.ts). Calibrate's pods
 * have none. With a profile whose host model has `workerLimits`, the
 * simulation caps each worker at the same cpu (and is given --worker-cpu
 * too), which the note says; without it the simulation caps no worker while
 * each real transfer gets at most that share of a cpu: on the local cluster,
 * 200m made golden restores of 256 MiB take p50 26 s where the profile,
 * measured on unlimited pods, says 2.9 s alone. That is a warning.
 */
export function podCpuLimitNotes(scenario: Pick<Scenario, 'pools'>, k8s: Pick<K8sFlags, 'workerCpuMilli'>, costs?: Pick<CostModel, 'contention'>): { note: string; warn: boolean }[] {
  const notes: { note: string; warn: boolean }[] = [];
  const modelled = costs?.contention?.host?.workerLimits === true;
  for (const pool of scenario.pools) {
    if (pool.workerCpuMilli === undefined) continue;
    const limit = k8s.workerCpuMilli ?? pool.workerCpuMilli;
    const why = k8s.workerCpuMilli === undefined ? 'its pool\'s cpu' : `--worker-cpu, in place of the pool's ${pool.workerCpuMilli}m`;
    const ran = `the worker pods of pool "${pool.name}" ran with a cpu limit of ${limit}m each (${why})`;
    notes.push(
      modelled
        ? { note: `${ran}; the simulation capped each of its workers at the same ${limit}m (the profile's host model has workerLimits).`, warn: false }
        : {
            note:
              `${ran}; calibrate's pods have none and the profile's host model does not cap workers (no workerLimits), so each real restore and checkpoint got at most that ` +
              `share of a cpu and the simulated ones did not. For a like-for-like comparison, use a profile with workerLimits: true under contention.host, ` +
              `or run a copy of the scenario without the pool's worker cpu (its pods then request 100m and have no limit).`,
            warn: true,
          },
    );
  }
  return notes;
}

/**
 * Compares the two runs' reports in OUT/sim and OUT/real and writes the
 * fidelity report and its record; one path for a fresh real run and for
 * --against. Returns the exit code.
 */
async function compareAndWrite(
  o: FidelityOptions,
  run: {
    original: Scenario;
    inputs: FidelityInputs;
    seed: number;
    speedup: number;
    everyMs: number;
    sim: { wallMs: number; log: string };
    real: RealHalf;
    /** --sim-seeds: the other seeds' simulations, each in its own folder. */
    sweep: readonly { seed: number; dir: string }[];
    /** --costs-band: the run's own simulation at other machine speeds, each in its own folder. */
    band: readonly { factor: number; dir: string }[];
  },
  io: Io,
): Promise<number> {
  const { original, inputs, seed, speedup, everyMs, sim, real, sweep, band } = run;
  const simDir = join(o.outDir, 'sim');
  const realDir = join(o.outDir, 'real');
  const costs = loadScenarioFile(inputs.simScenario).costs;
  const limitNotes = o.backend === 'k8s' ? podCpuLimitNotes(original, o.k8s, costs) : [];
  for (const n of limitNotes) io.err(`fidelity: ${n.warn ? 'warning: ' : ''}${n.note}\n`);
  const notes: string[] = limitNotes.map((n) => n.note);
  for (const policy of real.servedNone ?? []) {
    notes.push(`${policy}: the real run served none of its invocations (bench:cluster counts that as a failed run, exit 1), though it measured cleanly: every worker became ready, the store held and every counter agreed. Compared as it is: a collapse, which the simulation shares if it served none either; the latency cells have no figure.`);
  }
  // The machine's speed just before the real run against the profile's.
  const drift = real.probe === undefined ? undefined : driftOf(real.probe, costs);
  const stale = drift === undefined ? undefined : driftNote(drift);
  if (stale !== undefined) {
    notes.push(stale);
    io.err(`fidelity: warning: ${stale}\n`);
  }
  const simRows = readCsvRows(join(simDir, 'summary.csv')) as unknown as SummaryRow[];
  const realRows = readCsvRows(join(realDir, 'summary.csv')) as unknown as SummaryRow[];
  // Time series in span time: the sim's compressed times scaled back, both shifted by the priming gap.
  const simSeries = samplesByPolicy(readCsvRows(join(simDir, 'timeseries.csv')), speedup, inputs.primeGapMs);
  const realSeries = samplesByPolicy(readCsvRows(join(realDir, 'timeseries.csv')), 1, inputs.primeGapMs);
  const series = new Map<string, PairedSample[]>();
  // Outcomes for the latency and overhead CDFs and the quantiles' intervals, in the runs' (compressed) time; the warm-up there includes the priming gap.
  const runWarmupMs = inputs.warmupMs > 0 ? (inputs.primeGapMs + inputs.warmupMs) / speedup : 0;
  const outcomes = new Map<string, { sim: Reply[]; real: Reply[] }>();
  const simInv = rowsByPolicy(join(simDir, 'invocations.csv'));
  const realInv = rowsByPolicy(join(realDir, 'invocations.csv'));
  const policies = [...new Set([...realRows.map((r) => String(r.policy)), ...simRows.map((r) => String(r.policy))])];
  for (const policy of policies) outcomes.set(policy, { sim: repliesFromCsv(simInv.get(policy) ?? []), real: repliesFromCsv(realInv.get(policy) ?? []) });
  const samples = new Map([...outcomes].map(([p, o]) => [p, { sim: runSample(o.sim, runWarmupMs), real: runSample(o.real, runWarmupMs) }]));
  const summaryRows = compareSummaries(simRows, realRows, { samples, seed });
  // Another simulation of the same inputs (its report in `dir`) against the same real run, by the same rule (the bootstrap seeded as the run's own).
  const compareMore = (dir: string): FidelityRow[] => {
    const inv = rowsByPolicy(join(dir, 'invocations.csv'));
    const mine = new Map([...samples].map(([p, x]) => [p, { sim: runSample(repliesFromCsv(inv.get(p) ?? []), runWarmupMs), real: x.real }]));
    return compareSummaries(readCsvRows(join(dir, 'summary.csv')) as unknown as SummaryRow[], realRows, { samples: mine, seed });
  };
  // --sim-seeds: each other seed's simulation against the same real run.
  const seedRuns: SeedRun[] = [{ seed, rows: summaryRows }];
  for (const s of sweep) seedRuns.push({ seed: s.seed, rows: compareMore(s.dir) });
  const spread = sweep.length === 0 ? undefined : seedSpread(seedRuns);
  // --costs-band: the same, at other machine speeds.
  const bandRuns: BandRun[] = [{ factor: 1, rows: summaryRows }];
  for (const b of band) bandRuns.push({ factor: b.factor, rows: compareMore(b.dir) });
  const speeds = band.length === 0 ? undefined : costsBand(bandRuns);
  const rows: FidelityRow[] = [];
  for (const policy of [...new Set(summaryRows.map((r) => r.policy))]) {
    const paired = pairSeries(simSeries.get(policy) ?? [], realSeries.get(policy) ?? [], everyMs, -inputs.primeGapMs);
    series.set(policy, paired);
    rows.push(...summaryRows.filter((r) => r.policy === policy), ...seriesRows(policy, paired, inputs.warmupMs, inputs.durationMs));
  }
  const sizes = Object.values(inputs.snapshotMiB);
  // The simulation's measured.csv: absent from a simulation run before it was written.
  const simMeasured = existsSync(join(simDir, 'measured.csv')) ? readCsvRows(join(simDir, 'measured.csv')) : [];
  const realMeasured = readCsvRows(join(realDir, 'measured.csv'));
  const primitives = comparePrimitives(realMeasured, costs, sizes[0] ?? 0, simMeasured);
  // Where the cpu went: the real run's (run.json, since issue 18) beside the host model's work.
  const realRun = readJsonOrNull(join(realDir, 'run.json'));
  const realCpu = realCpuLines(realRun, o.backend);
  const realFailed = realFailures(realRun);
  const simFailed = simFailures(readJsonOrNull(join(simDir, 'run.json')));
  // The real run's cpu second by second, where it wrote it (local runs since cpu.csv).
  const cpuRows = existsSync(join(realDir, 'cpu.csv')) ? readCsvRows(join(realDir, 'cpu.csv')) : undefined;
  for (const policy of cpuRows === undefined ? [] : policies) {
    const beside = besideNote(policy, besideTheRun(cpuRows!, policy));
    if (beside === undefined) continue;
    notes.push(beside);
    io.err(`fidelity: warning: ${beside}\n`);
  }
  const machineCosts: Record<string, { spentMs: number; chargedMs: number; ratio: number }> = {};
  for (const policy of policies) {
    const cost = machineCost(realRun, realMeasured, policy, costs, sizes[0] ?? 0, o.backend);
    if (cost !== undefined) machineCosts[policy] = { spentMs: Math.round(cost.spentMs), chargedMs: Math.round(cost.chargedMs), ratio: Math.round(cost.ratio * 1000) / 1000 };
    const n = cpuNote(policy, realCpu.get(policy), modelledHostWorkMs(simMeasured, policy, costs, sizes[0] ?? 0), cost);
    if (n !== undefined) notes.push(n);
    const f = failuresNote(policy, realFailed.get(policy), simFailed.get(policy), costs.requestTimeoutMs !== undefined);
    if (f !== undefined) notes.push(f);
  }
  const context = {
    backend: o.backend,
    scenario: original.name,
    scenarioFile: isAbsolute(o.scenarioFile) ? o.scenarioFile : resolve(o.scenarioFile),
    profile: o.profile,
    seed,
    speedup,
    startMs: o.startMs,
    durationMs: inputs.durationMs,
    warmupMs: inputs.warmupMs,
    invocations: inputs.invocations,
    actors: inputs.actors,
    snapshotMiB: inputs.snapshotMiB,
    primeGapMs: inputs.primeGapMs,
    primeActors: inputs.primeActors,
    drainMs: inputs.drainMs,
    snapshotAsMemory: o.snapshotAsMemory,
    simWallMs: sim.wallMs,
    realWallMs: real.wallMs,
    ...(real.loadAverage === undefined ? {} : { loadAverage: real.loadAverage }),
    ...(real.hostLoad === undefined ? {} : { hostLoad: real.hostLoad }),
    ...(o.against === undefined ? {} : { against: { dir: o.against.dir, recordedAt: real.recordedAt } }),
    ...(drift === undefined ? {} : { drift }),
    // The real machine's cpu against what the profile charges for the real run's own primitives (fidelity/cpu.ts machineCost).
    ...(Object.keys(machineCosts).length === 0 ? {} : { machineCost: machineCosts }),
    notes,
    ...(spread === undefined
      ? {}
      : {
          simSeeds: {
            seeds: spread.seeds,
            met: Object.fromEntries([...spread.perSeed].map(([p, x]) => [p, x.met])),
            targeted: Object.fromEntries([...spread.perSeed].map(([p, x]) => [p, x.targeted])),
          },
        }),
    ...(speeds === undefined ? {} : { costsBand: speeds }),
  };
  const record: FidelityRecord = {
    version: 1,
    options: {
      backend: o.backend,
      k8s: o.k8s,
      scenarioFile: context.scenarioFile,
      seed,
      speedup,
      policies: o.policies ?? null,
      startMs: o.startMs,
      durationMs: o.durationMs ?? null,
      warmupMs: o.warmupMs ?? null,
      exec: o.exec,
      primeMs: o.primeMs,
      sampleEveryMs: everyMs,
      snapshotAsMemory: o.snapshotAsMemory,
    },
    realRecordedAt: real.recordedAt,
    context,
  };
  // Every primitive of both halves (primitives.csv), where both have one: a real run recorded before it existed has none.
  const primitiveLog = readPrimitiveLogs(simDir, realDir, policies, inputs.durationMs / speedup);
  const md = fidelityMarkdown(rows, primitives, context, primitiveLog?.views) + (spread === undefined ? '' : `\n${seedSpreadMarkdown(spread)}`) + (speeds === undefined ? '' : `\n${costsBandMarkdown(speeds)}`);
  const realCpuSeries = cpuRows === undefined ? undefined : { points: cpuPoints(cpuRows), cpus: cpuCount(cpuRows) };
  const html = await renderFidelityHtml({
    rows,
    primitives,
    context,
    series,
    outcomes,
    runWarmupMs,
    ...(primitiveLog === undefined ? {} : { primitiveLog: primitiveLog.rows }),
    ...(realCpuSeries === undefined ? {} : { realCpu: realCpuSeries }),
    ...(spread === undefined ? {} : { seeds: spread }),
    ...(speeds === undefined ? {} : { band: speeds }),
  });
  const dir = writeReport(o.outDir, {
    'fidelity.csv': fidelityCsv(rows),
    'fidelity-timeseries.csv': fidelityTimeseriesCsv(series),
    'fidelity.md': md,
    ...(spread === undefined ? {} : { 'fidelity-seeds.csv': seedSpreadCsv(seedRuns) }),
    'report.html': html,
    'sim.log': sim.log,
    'real.log': real.log,
    // Last of the report, with it: only a complete run can be compared --against.
    [FIDELITY_RECORD]: fidelityRecordJson(record),
  });
  const targeted = rows.filter((r) => r.target !== undefined);
  io.out(`${targeted.filter((r) => r.met === true).length} of ${targeted.length} targeted cells within target\n`);
  for (const r of targeted) {
    io.out(`  ${r.policy} ${r.metric}: sim ${r.sim} real ${r.real} error ${Number.isFinite(r.relError) ? `${(r.relError * 100).toFixed(1)}%` : '-'}${r.met === false ? '  MISS' : ''}\n`);
  }
  if (spread !== undefined) io.out(`${seedSpreadLines(spread).join('\n')}\n`);
  if (speeds !== undefined) io.out(`${costsBandLines(speeds).join('\n')}\n`);
  io.out(`Fidelity: ${join(dir, 'report.html')}\n`);
  return 0;
}

/** A JSON file's value, or null when it is missing or not JSON (a run from before it recorded what is read). */
function readJsonOrNull(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch {
    return null;
  }
}
