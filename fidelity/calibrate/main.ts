import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { flagValue, oneOf, positiveInt, positiveNumber, readFlags } from '../../cli/flags.ts';
import { cpuMilliValue } from '../../scenarios/cpu-flag.ts';
import type { Io } from '../../cli/io.ts';
import { UsageError } from '../../cli/usage-error.ts';
import { REPO_ROOT } from '../../cli/repo.ts';
import { loadScenarioFile } from '../../scenarios/load.ts';
import { parseMemoryMiB } from '../../scenarios/quantity.ts';
import { LocalRuntime } from '../../real/local/runtime.ts';
import { CALIBRATE_POOL, CALIBRATE_REQUEST_TIMEOUT_MS, CALIBRATE_SLOTS, CalibrationInterruptedError, calibrationTemplates, machineFacts, measure, type CalibrationSamples, type MachineFacts, type MeasureOptions } from '../../real/primitives.ts';
import { K8S_FLAG_OPTIONS, K8S_FLAGS_HELP, k8sFlagsFrom, k8sOnlyFlagsGiven, type K8sFlags } from '../../real/k8s/flags.ts';
import type { PlanTuning } from '../../real/k8s/launch.ts';
import { DEFAULT_MAX_LOAD_PER_CPU, HostWatch, SYSTEM_PROBE, hostLoadJson, type HostLoad, type HostProbe } from '../host-load.ts';
import { fitCalibration, renderProfile, renderSamples, samplesFileSchema, type CalibrationMeta } from './profile.ts';

/** The RuntimeClass of the calibration's worker pods unless --runtime-class says otherwise: the scenarios' default. */
export const DEFAULT_CALIBRATE_RUNTIME_CLASS = 'gvisor';

const HELP = `Usage: npm run calibrate -- [options]

Measures the runtime's primitives on real workers, one at a time, and writes
a cost profile that any scenario can name with \`costs: <path>\` (or by name
when written to scenarios/profiles/): worker start; restore by snapshot size
from the node (local), the store (external), the template's golden snapshot
and cold; checkpoint by size to the node and to the store; dispatch of an
execute with no work on a resident actor. Each size-dependent primitive is
fitted as base + size / bandwidth (fidelity/calibrate/fit.ts); the raw samples go
to <profile>.samples.json beside the profile.

Options:
  --backend B       local: worker processes on this machine (default)
                    k8s: worker pods on a Kubernetes cluster (kind with gVisor: scripts/cluster-up.sh);
                    the measuring runs inside the cluster as a Job, as bench:cluster's driver does,
                    and the profile is written here; worker start is then pod create to ready
  --sizes LIST      snapshot sizes, Kubernetes quantities (default: 16Mi,64Mi,256Mi)
  --repeats N       samples per size and primitive (default: 5)
  --concurrency K   also time restores and checkpoints with K workers at once, and K workers
                    started at once, for each K of a list such as 1,2,4,8; with 1 in the list
                    the profile gets a contention block fitted to the slowdowns (default: none)
  --mixed K         also time, for each K of a list such as 2,8,32, K workers holding a resident
                    actor of which half restore from the store while the others checkpoint to it,
                    all at once, with one more worker per 16 (at least one) restoring an actor
                    from the node's folder beside them, and write the profile's contention as
                    one host model fitted to it (contention.host); with --backend k8s, those
                    worker pods on one node
  --concurrency-size S  snapshot size of that sweep (default: the largest of --sizes)
  --limited Q       k8s only: also time each primitive, one at a time at --concurrency-size, on a
                    worker pod with a cpu limit of Q (a quantity: 200m), as a run's pods get when their
                    pool gives a cpu, and fit the share of each host demand spent inside the worker
                    (contention.host.inWorker; needs --mixed); then two golden restores and two
                    checkpoints at once on that pod, written as contention.host.pairUnderLimit
                    (each one's time over one alone). With --worker-cpu, Q must equal it:
                    that is the limit every such pod of a run gets then
  --max-load N      1-minute load average per cpu above which the machine counts as busy
                    (default ${DEFAULT_MAX_LOAD_PER_CPU}); local only: the load and CPU steal before and during
                    the measuring go into the profile's header and samples file, with a warning above it
  --refuse-busy     refuse to measure (exit 1, nothing written) when the machine is busy before the start
  --cold-size S     size at which the size-less coldBoot is evaluated (default: 64Mi)
  --out FILE        profile to write (default: scenarios/profiles/local-calibrated.yaml,
                    with --backend k8s scenarios/profiles/k8s-gvisor-calibrated.yaml)
  --refit FILE      measure nothing: fit the raw samples of an earlier calibration
                    (<profile>.samples.json) again and rewrite the profile beside it (or --out);
                    for when the fitting changed, not the machine
  -h, --help        this text

Ctrl-C stops between two primitives and writes nothing (exit 130). A sweep (--concurrency, --mixed,
--limited) in which a primitive fails or times out (10 minutes each) keeps what it measured and the
next sweep runs; calibrate then writes no profile but every sample in <profile>.partial.samples.json,
says which sweep failed and why, and exits 1: --refit that file for a profile marked INCOMPLETE.
A failure in the one-at-a-time grid ends the calibration (exit 1, nothing written).

With --backend k8s, the cluster is checked first, as by bench:cluster: a cluster that does not
answer, or lacks the RuntimeClass, fails within seconds and nothing is written. Each worker pod
asks for 3x the largest size of memory (two actors and a snapshot in flight) plus 256 MiB of
limit for Node.js and the sandbox; the sweeps' pods 3x --concurrency-size. Where the nodes can be
listed, a calibration whose largest sweep (k pods at once, with the store and the driver) asks
for more cpu or memory than the schedulable nodes' allocatable is refused before anything is
applied (exit 2), naming the largest k that fits. The image must be built from this checkout
(scripts/build-image.sh after a code change): its driver runs real/k8s/job-calibrate.ts.

Options of --backend k8s (bench:cluster's, plus the RuntimeClass):
  --runtime-class N  RuntimeClass of the worker pods (default: ${DEFAULT_CALIBRATE_RUNTIME_CLASS})
  --dry-run          print every manifest the calibration would apply, as YAML, and exit
${K8S_FLAGS_HELP}`;

/** Options of `npm run calibrate`. */
export interface CalibrateOptions extends MeasureOptions {
  readonly backend: 'local' | 'k8s';
  readonly out: string;
  readonly coldSizeMiB: number;
  /** k8s only: the cluster and image (bench:cluster's flags). */
  readonly k8s: K8sFlags;
  /** k8s only: the RuntimeClass of the worker pods. */
  readonly runtimeClass: string;
  /** k8s only: print the manifests instead of applying them. */
  readonly dryRun: boolean;
  /** Measure nothing: fit the raw samples in this `<profile>.samples.json` again. */
  readonly refit?: string;
  /** --max-load: busy above this 1-minute load per cpu. */
  readonly maxLoadPerCpu?: number;
  /** --refuse-busy: refuse instead of warning. */
  readonly refuseBusy?: boolean;
}

const REPO = REPO_ROOT;
/** The default profile written, loadable as `costs: local-calibrated`. */
export const DEFAULT_PROFILE_OUT = join(REPO, 'scenarios', 'profiles', 'local-calibrated.yaml');
/** The default profile of `--backend k8s`, loadable as `costs: k8s-gvisor-calibrated`. */
export const DEFAULT_K8S_PROFILE_OUT = join(REPO, 'scenarios', 'profiles', 'k8s-gvisor-calibrated.yaml');

/** Wall time between the two /proc/stat readings that give the steal share before measuring. */
export const STEAL_WINDOW_MS = 1000;

function size(text: string, flag: string): number {
  const mib = flagValue(text.trim(), flag, parseMemoryMiB);
  // The worker lays a region out in whole pages, at least two; below 1 MiB the fit would be all base.
  if (!(mib >= 1) || !Number.isFinite(mib)) throw new UsageError(`${flag}: expected at least 1Mi, got "${text}"`);
  return mib;
}

/** Parses argv; null for --help (already printed). */
export function parseCalibrateArgs(argv: readonly string[], io: Io): CalibrateOptions | null {
  const v = readFlags(argv, {
    backend: { type: 'string' },
    sizes: { type: 'string' },
    repeats: { type: 'string' },
    'cold-size': { type: 'string' },
    concurrency: { type: 'string' },
    mixed: { type: 'string' },
    'concurrency-size': { type: 'string' },
    limited: { type: 'string' },
    out: { type: 'string' },
    'runtime-class': { type: 'string' },
    'dry-run': { type: 'boolean' },
    refit: { type: 'string' },
    'max-load': { type: 'string' },
    'refuse-busy': { type: 'boolean' },
    ...K8S_FLAG_OPTIONS,
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help === true) {
    io.out(HELP);
    return null;
  }
  if (v.refit !== undefined) {
    // The samples say what was measured and where: only the output and the cold-boot size are the user's.
    const measuring = k8sOnlyFlagsGiven(v, ['backend', 'sizes', 'repeats', 'concurrency', 'mixed', 'concurrency-size', 'limited', 'runtime-class', 'dry-run', ...Object.keys(K8S_FLAG_OPTIONS)]);
    if (measuring.length > 0) throw new UsageError(`${measuring.join(', ')}: not with --refit (it measures nothing; the samples say what was measured)`);
    const refit = resolve(v.refit);
    if (!refit.endsWith('.samples.json')) throw new UsageError(`--refit: expected the raw samples of a calibration, a <profile>.samples.json file, got "${v.refit}"`);
    const out = resolve(v.out ?? refit.replace(/\.samples\.json$/, '.yaml'));
    if (!out.endsWith('.yaml')) throw new UsageError(`--out: the profile must be a .yaml file (the scenario loader reads a path ending in .yaml), got "${v.out}"`);
    checkProfileOut(out);
    const coldSizeMiB = v['cold-size'] === undefined ? 64 : size(v['cold-size'], '--cold-size');
    return { backend: 'local', sizesMiB: [], repeats: 1, coldSizeMiB, out, concurrency: [], concurrencySizeMiB: 0, k8s: k8sFlagsFrom({}), runtimeClass: DEFAULT_CALIBRATE_RUNTIME_CLASS, dryRun: false, refit };
  }
  const backend = oneOf(v.backend ?? 'local', '--backend', ['local', 'k8s']);
  if (backend === 'local') {
    const k8sOnly = k8sOnlyFlagsGiven(v, ['runtime-class', 'dry-run', 'limited', ...Object.keys(K8S_FLAG_OPTIONS)]);
    if (k8sOnly.length > 0) throw new UsageError(`${k8sOnly.join(', ')}: only with --backend k8s`);
  }
  const runtimeClass = v['runtime-class'] ?? DEFAULT_CALIBRATE_RUNTIME_CLASS;
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(runtimeClass) || runtimeClass.length > 253) {
    throw new UsageError(`--runtime-class: expected a RuntimeClass name (lower case DNS subdomain), got "${runtimeClass}"`);
  }
  const items = (v.sizes ?? '16Mi,64Mi,256Mi').split(',').filter((s) => s.trim().length > 0);
  if (items.length === 0) throw new UsageError('--sizes: empty list');
  const sizesMiB = [...new Set(items.map((s) => size(s, '--sizes')))].sort((a, b) => a - b);
  const repeats = v.repeats === undefined ? 5 : positiveInt(v.repeats, '--repeats');
  const coldSizeMiB = v['cold-size'] === undefined ? 64 : size(v['cold-size'], '--cold-size');
  const out = resolve(v.out ?? (backend === 'k8s' ? DEFAULT_K8S_PROFILE_OUT : DEFAULT_PROFILE_OUT));
  if (!out.endsWith('.yaml')) throw new UsageError(`--out: the profile must be a .yaml file (the scenario loader reads a path ending in .yaml), got "${v.out}"`);
  if (v['dry-run'] !== true) checkProfileOut(out);
  const concurrency = v.concurrency === undefined ? [] : [...new Set(v.concurrency.split(',').filter((x) => x.trim() !== '').map((x) => positiveInt(x.trim(), '--concurrency')))].sort((a, b) => a - b);
  if (v.concurrency !== undefined && concurrency.length === 0) throw new UsageError('--concurrency: empty list');
  const mixed = v.mixed === undefined ? [] : [...new Set(v.mixed.split(',').filter((x) => x.trim() !== '').map((x) => positiveInt(x.trim(), '--mixed')))].sort((a, b) => a - b);
  if (v.mixed !== undefined && mixed.length === 0) throw new UsageError('--mixed: empty list');
  const concurrencySizeMiB = v['concurrency-size'] === undefined ? sizesMiB[sizesMiB.length - 1]! : size(v['concurrency-size'], '--concurrency-size');
  const maxLoadPerCpu = v['max-load'] === undefined ? DEFAULT_MAX_LOAD_PER_CPU : positiveNumber(v['max-load'], '--max-load');
  const k8s = k8sFlagsFrom(v);
  const limitedCpuMilli = v.limited === undefined ? undefined : cpuMilliValue(v.limited, '--limited');
  if (limitedCpuMilli !== undefined) {
    if (mixed.length === 0) throw new UsageError('--limited: fits the share of the host model\'s demands spent inside a worker, so it needs --mixed (which fits those demands)');
    if (k8s.workerCpuMilli !== undefined && k8s.workerCpuMilli !== limitedCpuMilli) {
      throw new UsageError(`--limited ${v.limited} with --worker-cpu ${k8s.workerCpuMilli}m: a pod whose pool gives a cpu gets --worker-cpu as its limit, so the limited pod would run under ${k8s.workerCpuMilli}m; give --limited ${k8s.workerCpuMilli}m, or leave out --worker-cpu`);
    }
  }
  return {
    backend,
    sizesMiB,
    repeats,
    coldSizeMiB,
    out,
    concurrency,
    concurrencySizeMiB,
    k8s,
    runtimeClass,
    dryRun: v['dry-run'] === true,
    mixed,
    maxLoadPerCpu,
    refuseBusy: v['refuse-busy'] === true,
    ...(limitedCpuMilli === undefined ? {} : { limitedCpuMilli }),
  };
}

/** Measures every primitive on local worker processes: {@link measure} on a local runtime made for it. */
export async function measureLocal(options: MeasureOptions): Promise<CalibrationSamples> {
  const log = options.log ?? (() => {});
  const workDir = mkdtempSync(join(tmpdir(), 'actorsim-calibrate-'));
  let runtime: LocalRuntime | null = null;
  try {
    runtime = await LocalRuntime.start({
      workDir,
      token: randomBytes(24).toString('hex'),
      poolSlots: { [CALIBRATE_POOL]: CALIBRATE_SLOTS },
      templateMemoryMiB: calibrationTemplates(options),
      requestTimeoutMs: CALIBRATE_REQUEST_TIMEOUT_MS,
      log,
    });
    return await measure(runtime, options);
  } finally {
    await runtime?.close();
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** Writes `text` to `file` through a temp file beside it, so a reader never sees half a profile. */
function writeAtomic(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.partial`);
  try {
    writeFileSync(temp, text);
    renameSync(temp, file);
  } finally {
    if (existsSync(temp)) rmSync(temp, { force: true });
  }
}

/** The sibling file that keeps a profile's raw samples: `x.yaml` -> `x.samples.json`. */
export function samplesPathFor(profile: string): string {
  return profile.replace(/\.yaml$/, '.samples.json');
}

/** Where a calibration whose sweep failed part way keeps its samples: `x.yaml` -> `x.partial.samples.json` (its --refit writes `x.partial.yaml`). */
export function partialSamplesPathFor(profile: string): string {
  return profile.replace(/\.yaml$/, '.partial.samples.json');
}

/**
 * Runs `npm run calibrate` end to end; returns the exit code. `tuning`
 * sets what the command line does not expose of a k8s run (the tests' fake
 * cluster needs its own ports); `measureHere` measures for --backend local
 * (tests give it a runtime whose primitives fail).
 */
export async function runCalibrate(
  argv: readonly string[],
  io: Io,
  tuning: PlanTuning = {},
  probe: HostProbe = SYSTEM_PROBE,
  measureHere: (options: MeasureOptions) => Promise<CalibrationSamples> = measureLocal,
): Promise<number> {
  const opts = parseCalibrateArgs(argv, io);
  if (opts === null) return 0;
  if (opts.refit !== undefined) return refitCalibration(opts.refit, opts.out, opts.coldSizeMiB, io);
  const date = io.isoNow();
  const t0 = performance.now();
  const grid = `sizes ${opts.sizesMiB.map((s) => `${s} MiB`).join(', ')}, ${opts.repeats} repeats`;
  const measureOptions: MeasureOptions = { ...opts, log: (l) => io.err(`  ${l}\n`), ...(io.signal === undefined ? {} : { signal: io.signal }) };
  let samples: CalibrationSamples;
  let facts: MachineFacts;
  let cluster: CalibrationMeta['cluster'];
  let hostLoad: HostLoad | undefined;
  try {
    if (opts.backend === 'k8s') {
      // Loaded only here: the local path never pays for the Kubernetes client.
      const { measureOnK8s } = await import('./k8s.ts');
      if (!opts.dryRun) io.err(`calibrate: worker pods (runtime class ${opts.runtimeClass}, image ${opts.k8s.image}), ${grid}\n`);
      const measured = await measureOnK8s(opts, io, tuning);
      if (measured === null) return 0;
      ({ samples, facts, cluster } = measured);
    } else {
      const watch = new HostWatch(probe, opts.maxLoadPerCpu ?? DEFAULT_MAX_LOAD_PER_CPU);
      const busy = watch.before();
      if (busy !== undefined) {
        io.err(`calibrate: ${opts.refuseBusy === true ? 'refusing: ' : 'warning: '}${busy}${opts.refuseBusy === true ? '; nothing measured or written (run on a quiet machine, or without --refuse-busy)' : ''}\n`);
        if (opts.refuseBusy === true) return 1;
      }
      // A second /proc/stat reading a second later: the steal share before the measuring.
      await new Promise((r) => setTimeout(r, STEAL_WINDOW_MS));
      const loadBefore = loadavg();
      io.err(`calibrate: local workers, ${grid}\n`);
      watch.start();
      try {
        samples = await measureHere(measureOptions);
      } finally {
        hostLoad = watch.end();
      }
      for (const w of hostLoad.warnings.slice(busy === undefined ? 0 : 1)) io.err(`calibrate: warning: ${w}\n`);
      facts = machineFacts(loadBefore);
    }
  } catch (err) {
    if (!(err instanceof CalibrationInterruptedError)) throw err;
    io.err(`calibrate: ${err.message}\n`);
    return 130;
  }
  // The CPU pool of the contention block: the machine's CPUs (k8s: those the driver pod's node reports).
  // On k8s the store and the nodes' disks are different machines: local transfers get a resource of their own.
  const fits = fitCalibration(samples, opts.coldSizeMiB, facts.cpus, opts.backend === 'k8s');
  const name = basename(opts.out, '.yaml');
  const samplesFile = samplesPathFor(opts.out);
  const meta: CalibrationMeta = {
    backend: opts.backend,
    ...facts,
    date,
    sizesMiB: opts.sizesMiB,
    repeats: opts.repeats,
    command: `npm run calibrate -- ${argv.join(' ')}`.trim(),
    wallMs: performance.now() - t0,
    ...(cluster === undefined ? {} : { cluster }),
    ...(hostLoad === undefined ? {} : { hostLoad: hostLoadJson(hostLoad) as HostLoad }),
  };
  if (samples.failed !== undefined && samples.failed.length > 0) {
    // A sweep failed part way: no profile (it would lack what was asked for), but every sample
    // taken is kept, in a file of its own, for --refit or for a look.
    const partial = partialSamplesPathFor(opts.out);
    writeAtomic(partial, renderSamples(name, fits, samples, meta));
    for (const f of samples.failed) io.err(`calibrate: the ${f.series} sweep failed part way: ${f.error}\n`);
    io.err(
      `calibrate: everything else was measured; every sample taken is in ${partial}\n` +
        `  npm run calibrate -- --refit ${partial}   fits a profile from them (${basename(partial.replace(/\.samples\.json$/, '.yaml'))}, marked INCOMPLETE; --out to name another),\n` +
        `  or measure again. No profile was written at ${opts.out}.\n`,
    );
    return 1;
  }
  const profile = renderProfile(name, fits, samples, meta, basename(samplesFile));
  // Refuse to write a profile the scenario loader would not read back.
  checkLoadable(profile, opts.out);
  writeAtomic(samplesFile, renderSamples(name, fits, samples, meta));
  writeAtomic(opts.out, profile);
  // The samples of an earlier calibration to this profile that failed part way no longer belong beside it.
  const stalePartial = partialSamplesPathFor(opts.out);
  if (existsSync(stalePartial)) {
    rmSync(stalePartial, { force: true });
    io.err(`calibrate: removed ${stalePartial} (an earlier, incomplete calibration to this profile)\n`);
  }
  const line = (what: string, f: { base: { medianMs: number; p99Ms: number }; mibPerSec: number }): string =>
    `  ${what.padEnd(20)} base p50 ${f.base.medianMs.toFixed(1)} ms, p99 ${f.base.p99Ms.toFixed(1)} ms, ${f.mibPerSec.toFixed(0)} MiB/s\n`;
  io.out(`worker start         p50 ${fits.workerStart.medianMs.toFixed(1)} ms, p99 ${fits.workerStart.p99Ms.toFixed(1)} ms\n`);
  io.out(line('restore external', fits.restore.external));
  io.out(line('restore local', fits.restore.local));
  io.out(line('restore golden', fits.restore.golden));
  io.out(line('restore cold', fits.coldBoot.fit));
  io.out(line('checkpoint external', fits.checkpoint.external));
  io.out(line('checkpoint local', fits.checkpoint.local));
  io.out(`dispatch             p50 ${fits.dispatch.medianMs.toFixed(2)} ms, p99 ${fits.dispatch.p99Ms.toFixed(2)} ms\n`);
  io.out(`Profile: ${opts.out}\nSamples: ${samplesFile}\n`);
  return 0;
}

/**
 * Checks before any measuring that the profile can be written where --out
 * says: not an existing folder or other non-file, in a writable folder
 * (created if missing, as writeAtomic does). A usage error (exit 2).
 */
export function checkProfileOut(out: string): void {
  let st;
  try {
    st = statSync(out);
  } catch {
    st = null;
  }
  if (st !== null && !st.isFile()) throw new UsageError(`--out ${out}: exists and is not a file`);
  let dir = dirname(out);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  if (!statSync(dir).isDirectory()) throw new UsageError(`--out ${out}: ${dir} is not a folder`);
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch {
    throw new UsageError(`--out ${out}: ${dir} is not writable`);
  }
}

/** A minimal scenario naming a profile by path, to check a profile loads as a scenario's `costs`. */
export function probeScenario(profilePath: string): string {
  return [
    'name: profile-check',
    'duration: 1m',
    'cluster: {nodes: [{name: n, memory: 1Gi}]}',
    'pools: [{name: p, worker: {memory: 128Mi}}]',
    'templates: [{name: t, pool: p, memory: 16Mi, work: {kind: constant, value: 1s}}]',
    'workload: [{template: t, actors: 1, arrivals: {kind: poisson, ratePerSec: 1}}]',
    `costs: ${JSON.stringify(profilePath)}`,
    'policies: [{name: only}]',
    '',
  ].join('\n');
}

/** Loads the profile text through the scenario loader (as `costs: <path>`); throws its ScenarioError if refused. */
function checkLoadable(text: string, file: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'actorsim-profile-check-'));
  try {
    const path = join(dir, basename(file));
    writeFileSync(path, text);
    const scenario = join(dir, 'check.yaml');
    writeFileSync(scenario, probeScenario(path));
    loadScenarioFile(scenario);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A samples file that cannot be refitted: exit 1, nothing written. */
export class RefitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefitError';
  }
}

/**
 * `calibrate --refit`: the raw samples of an earlier calibration fitted again
 * (as today's fidelity/calibrate/fit.ts fits them) into a profile and a samples
 * file with the new fits. The header keeps the original measurement: its
 * command, machine or cluster, date and load.
 */
export function refitCalibration(samplesFile: string, out: string, coldSizeMiB: number, io: Pick<Io, 'out' | 'err'>): number {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(samplesFile, 'utf8'));
  } catch (err) {
    throw new RefitError(`${samplesFile}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not JSON (${(err as Error).message})`}`);
  }
  const parsed = samplesFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new RefitError(`${samplesFile}: not the raw samples of a calibration (${issues.join('; ')})`);
  }
  const { meta, samples } = parsed.data as { meta: CalibrationMeta; samples: CalibrationSamples };
  const fits = fitCalibration(samples, coldSizeMiB, meta.cpus, meta.backend === 'k8s');
  const name = basename(out, '.yaml');
  const outSamples = samplesPathFor(out);
  const profile = renderProfile(name, fits, samples, meta, basename(outSamples));
  checkLoadable(profile, out);
  writeAtomic(outSamples, renderSamples(name, fits, samples, meta));
  writeAtomic(out, profile);
  io.err(`calibrate: refitted the samples of ${meta.date} (${meta.backend}) with today's fitting\n`);
  for (const f of samples.failed ?? []) io.err(`calibrate: warning: the ${f.series} sweep of those samples failed part way (${f.error}); the profile fits what it measured and says INCOMPLETE\n`);
  io.out(`Profile: ${out}\nSamples: ${outSamples}\n`);
  return 0;
}
