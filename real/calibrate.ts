import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadScenarioFile } from '../scenarios/load.ts';
import { parseMemoryMiB } from '../scenarios/quantity.ts';
import { fitCalibration, renderProfile, renderSamples, samplesFileSchema, type CalibrationMeta, type CalibrationSamples, type ConcurrencySample } from './calibrate-profile.ts';
import { LocalRuntime } from './local/runtime.ts';
import type { RealRuntime, RuntimeCommand, RuntimeEvent } from './runtime.ts';
import { K8S_FLAG_OPTIONS, K8S_FLAGS_HELP, k8sFlagsFrom, k8sOnlyFlagsGiven, type K8sFlags } from './k8s/flags.ts';
import type { PlanTuning } from './k8s/launch.ts';

/** The RuntimeClass of the calibration's worker pods unless --runtime-class says otherwise: the scenarios' default. */
export const DEFAULT_CALIBRATE_RUNTIME_CLASS = 'gvisor';

const HELP = `Usage: npm run calibrate -- [options]

Measures the runtime's primitives on real workers, one at a time, and writes
a cost profile that any scenario can name with \`costs: <path>\` (or by name
when written to scenarios/profiles/): worker start; restore by snapshot size
from the node (local), the store (external), the template's golden snapshot
and cold; checkpoint by size to the node and to the store; dispatch of an
execute with no work on a resident actor. Each size-dependent primitive is
fitted as base + size / bandwidth (real/calibrate-fit.ts); the raw samples go
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
  --concurrency-size S  snapshot size of that sweep (default: the largest of --sizes)
  --cold-size S     size at which the size-less coldBoot is evaluated (default: 64Mi)
  --out FILE        profile to write (default: scenarios/profiles/local-calibrated.yaml,
                    with --backend k8s scenarios/profiles/k8s-calibrated.yaml)
  --refit FILE      measure nothing: fit the raw samples of an earlier calibration
                    (<profile>.samples.json) again and rewrite the profile beside it (or --out);
                    for when the fitting changed, not the machine
  -h, --help        this text

Ctrl-C stops between two primitives and writes nothing (exit 130).

With --backend k8s, the cluster is checked first, as by bench:cluster: a cluster that does not
answer, or lacks the RuntimeClass, fails within seconds and nothing is written. Each worker pod
asks for 3x the largest size of memory (two actors and a snapshot in flight) plus 256 MiB of
limit for Node.js and the sandbox. The image must be built from this checkout
(scripts/build-image.sh after a code change): its driver runs real/k8s/job-calibrate.ts.

Options of --backend k8s (bench:cluster's, plus the RuntimeClass):
  --runtime-class N  RuntimeClass of the worker pods (default: ${DEFAULT_CALIBRATE_RUNTIME_CLASS})
  --dry-run          print every manifest the calibration would apply, as YAML, and exit
${K8S_FLAGS_HELP}`;

/** A usage error: exit code 2. */
export class CalibrateUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CalibrateUsageError';
  }
}

/** Where the command writes; injectable for tests. */
export interface CalibrateIo {
  out(text: string): void;
  err(text: string): void;
  isoNow(): string;
  /** Aborts the calibration (Ctrl-C): nothing is written. */
  readonly signal?: AbortSignal;
}

/** The calibration was interrupted before it measured everything: nothing is written (exit code 130). */
export class CalibrationInterruptedError extends Error {
  constructor(message = 'interrupted before every primitive was measured; nothing written') {
    super(message);
    this.name = 'CalibrationInterruptedError';
  }
}

/** What to measure. */
export interface MeasureOptions {
  readonly sizesMiB: readonly number[];
  readonly repeats: number;
  /** Executes of workMs 0 timed per size and repeat. */
  readonly dispatchPerRepeat?: number;
  /** Worker counts of the concurrency sweep (empty: none). */
  readonly concurrency?: readonly number[];
  readonly concurrencySizeMiB?: number;
  readonly log?: (line: string) => void;
  /** Aborts the measuring between two primitives (Ctrl-C, or SIGTERM to the driver pod). */
  readonly signal?: AbortSignal;
}

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
}

const REPO = fileURLToPath(new URL('../', import.meta.url));
/** The default profile written, loadable as `costs: local-calibrated`. */
export const DEFAULT_PROFILE_OUT = join(REPO, 'scenarios', 'profiles', 'local-calibrated.yaml');
/** The default profile of `--backend k8s`, loadable as `costs: k8s-calibrated`. */
export const DEFAULT_K8S_PROFILE_OUT = join(REPO, 'scenarios', 'profiles', 'k8s-calibrated.yaml');
/** The one pool every calibration worker belongs to. */
export const CALIBRATE_POOL = 'calibrate';
/** The one scenario node of a calibration: every worker shares its disk (on k8s, one node claim). */
export const CALIBRATE_NODE = 'node-0';
/** Resident actors a calibration worker holds at most: the measured actor and a cold one. */
export const CALIBRATE_SLOTS = 2;

function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new CalibrateUsageError(`${flag}: expected a positive integer, got "${text}"`);
  return n;
}

function size(text: string, flag: string): number {
  let mib: number;
  try {
    mib = parseMemoryMiB(text.trim());
  } catch (err) {
    throw new CalibrateUsageError(`${flag}: ${(err as Error).message}`);
  }
  // The worker lays a region out in whole pages, at least two; below 1 MiB the fit would be all base.
  if (!(mib >= 1) || !Number.isFinite(mib)) throw new CalibrateUsageError(`${flag}: expected at least 1Mi, got "${text}"`);
  return mib;
}

/** Parses argv; null for --help (already printed). */
export function parseCalibrateArgs(argv: readonly string[], io: CalibrateIo): CalibrateOptions | null {
  let v;
  try {
    ({ values: v } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        backend: { type: 'string' },
        sizes: { type: 'string' },
        repeats: { type: 'string' },
        'cold-size': { type: 'string' },
        concurrency: { type: 'string' },
        'concurrency-size': { type: 'string' },
        out: { type: 'string' },
        'runtime-class': { type: 'string' },
        'dry-run': { type: 'boolean' },
        refit: { type: 'string' },
        ...K8S_FLAG_OPTIONS,
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new CalibrateUsageError((err as Error).message);
  }
  if (v.help === true) {
    io.out(HELP);
    return null;
  }
  if (v.refit !== undefined) {
    // The samples say what was measured and where: only the output and the cold-boot size are the user's.
    const measuring = k8sOnlyFlagsGiven(v, ['backend', 'sizes', 'repeats', 'concurrency', 'concurrency-size', 'runtime-class', 'dry-run', ...Object.keys(K8S_FLAG_OPTIONS)]);
    if (measuring.length > 0) throw new CalibrateUsageError(`${measuring.join(', ')}: not with --refit (it measures nothing; the samples say what was measured)`);
    const refit = resolve(v.refit);
    if (!refit.endsWith('.samples.json')) throw new CalibrateUsageError(`--refit: expected the raw samples of a calibration, a <profile>.samples.json file, got "${v.refit}"`);
    const out = resolve(v.out ?? refit.replace(/\.samples\.json$/, '.yaml'));
    if (!out.endsWith('.yaml')) throw new CalibrateUsageError(`--out: the profile must be a .yaml file (the scenario loader reads a path ending in .yaml), got "${v.out}"`);
    const coldSizeMiB = v['cold-size'] === undefined ? 64 : size(v['cold-size'], '--cold-size');
    return { backend: 'local', sizesMiB: [], repeats: 1, coldSizeMiB, out, concurrency: [], concurrencySizeMiB: 0, k8s: k8sFlagsFrom({}), runtimeClass: DEFAULT_CALIBRATE_RUNTIME_CLASS, dryRun: false, refit };
  }
  const backend = v.backend ?? 'local';
  if (backend !== 'local' && backend !== 'k8s') throw new CalibrateUsageError(`--backend: expected local or k8s, got "${backend}"`);
  if (backend === 'local') {
    const k8sOnly = k8sOnlyFlagsGiven(v, ['runtime-class', 'dry-run', ...Object.keys(K8S_FLAG_OPTIONS)]);
    if (k8sOnly.length > 0) throw new CalibrateUsageError(`${k8sOnly.join(', ')}: only with --backend k8s`);
  }
  const runtimeClass = v['runtime-class'] ?? DEFAULT_CALIBRATE_RUNTIME_CLASS;
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(runtimeClass) || runtimeClass.length > 253) {
    throw new CalibrateUsageError(`--runtime-class: expected a RuntimeClass name (lower case DNS subdomain), got "${runtimeClass}"`);
  }
  const items = (v.sizes ?? '16Mi,64Mi,256Mi').split(',').filter((s) => s.trim().length > 0);
  if (items.length === 0) throw new CalibrateUsageError('--sizes: empty list');
  const sizesMiB = [...new Set(items.map((s) => size(s, '--sizes')))].sort((a, b) => a - b);
  const repeats = v.repeats === undefined ? 5 : positiveInt(v.repeats, '--repeats');
  const coldSizeMiB = v['cold-size'] === undefined ? 64 : size(v['cold-size'], '--cold-size');
  const out = resolve(v.out ?? (backend === 'k8s' ? DEFAULT_K8S_PROFILE_OUT : DEFAULT_PROFILE_OUT));
  if (!out.endsWith('.yaml')) throw new CalibrateUsageError(`--out: the profile must be a .yaml file (the scenario loader reads a path ending in .yaml), got "${v.out}"`);
  const concurrency = v.concurrency === undefined ? [] : [...new Set(v.concurrency.split(',').filter((x) => x.trim() !== '').map((x) => positiveInt(x.trim(), '--concurrency')))].sort((a, b) => a - b);
  if (v.concurrency !== undefined && concurrency.length === 0) throw new CalibrateUsageError('--concurrency: empty list');
  const concurrencySizeMiB = v['concurrency-size'] === undefined ? sizesMiB[sizesMiB.length - 1]! : size(v['concurrency-size'], '--concurrency-size');
  return { backend, sizesMiB, repeats, coldSizeMiB, out, concurrency, concurrencySizeMiB, k8s: k8sFlagsFrom(v), runtimeClass, dryRun: v['dry-run'] === true };
}

type Pending = { readonly worker: number; readonly resolve: (ms: number) => void; readonly reject: (err: Error) => void };

/**
 * A runtime (local processes or pods) driven one command at a time: each
 * call sends one command and resolves with the time the runtime reports for
 * it, the same number bench:cluster's measured.csv records (worker start:
 * spawn or pod create to ready; dispatch: wall time from the command to its
 * completion, less the work, as the driver times it).
 */
class Probe {
  private op = 0;
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly runtime: RealRuntime,
    /** Memory of each worker (the pod's request on k8s; the local runtime does not limit it). */
    private readonly workerMemoryMiB: number,
    private readonly signal?: AbortSignal,
  ) {
    runtime.attach((e) => this.onEvent(e));
  }

  private onEvent(e: RuntimeEvent): void {
    if (e.kind === 'workerLost') {
      for (const [key, p] of this.pending) {
        if (p.worker === e.worker) {
          this.pending.delete(key);
          p.reject(new Error(`worker ${e.worker} lost: ${e.why}`));
        }
      }
      return;
    }
    const key = e.kind === 'workerReady' ? `w${e.worker}` : `op${e.op}`;
    const p = this.pending.get(key);
    if (p === undefined) return;
    this.pending.delete(key);
    switch (e.kind) {
      case 'workerReady':
        p.resolve(e.startMs);
        return;
      case 'restoreDone':
        if (e.ok) p.resolve(e.restoreMs);
        else p.reject(new Error(`restore failed: ${e.error ?? '?'}`));
        return;
      case 'checkpointDone':
        if (e.ok) p.resolve(e.checkpointMs);
        else p.reject(new Error(`checkpoint failed: ${e.error ?? '?'}`));
        return;
      case 'executionDone':
        if (e.ok) p.resolve(e.execMs);
        else p.reject(new Error(`execute failed: ${e.error ?? '?'}`));
        return;
    }
  }

  private send(key: string, worker: number, cmd: RuntimeCommand): Promise<number> {
    if (this.signal?.aborted === true) return Promise.reject(new CalibrationInterruptedError());
    return new Promise((resolveMs, reject) => {
      this.pending.set(key, { worker, resolve: resolveMs, reject });
      this.runtime.run(cmd);
    });
  }

  startWorker(worker: number): Promise<number> {
    return this.send(`w${worker}`, worker, { kind: 'startWorker', worker, pool: CALIBRATE_POOL, node: CALIBRATE_NODE, memoryMiB: this.workerMemoryMiB });
  }

  stopWorker(worker: number): void {
    this.runtime.run({ kind: 'stopWorker', worker });
  }

  restore(worker: number, actor: string, template: string, sizeMiB: number, source: 'local' | 'external' | 'golden' | 'cold', version: number): Promise<number> {
    const op = ++this.op;
    return this.send(`op${op}`, worker, { kind: 'restore', op, actor, actorIndex: 0, worker, source, version, snapshotBytes: sizeMiB * 2 ** 20, template });
  }

  checkpoint(worker: number, actor: string, sizeMiB: number, target: 'local' | 'external', version: number): Promise<number> {
    const op = ++this.op;
    return this.send(`op${op}`, worker, { kind: 'checkpoint', op, actor, actorIndex: 0, worker, target, version, snapshotBytes: sizeMiB * 2 ** 20 });
  }

  async dispatch(worker: number, actor: string, invocation: number): Promise<number> {
    const op = ++this.op;
    const t0 = performance.now();
    await this.send(`op${op}`, worker, { kind: 'execute', op, actor, actorIndex: 0, worker, invocation, workMs: 0 });
    return performance.now() - t0;
  }
}

function templateOf(sizeMiB: number): string {
  return `cal-${String(sizeMiB).replace('.', 'p')}`;
}

/** Template name → memory of every template a calibration restores (one per size). */
export function calibrationTemplates(options: Pick<MeasureOptions, 'sizesMiB' | 'concurrencySizeMiB'>): Record<string, number> {
  return Object.fromEntries([...options.sizesMiB, ...(options.concurrencySizeMiB === undefined ? [] : [options.concurrencySizeMiB])].map((s) => [templateOf(s), s]));
}

/**
 * Memory a calibration worker needs: its slots of the largest size, and one
 * more for a snapshot being read or written beside them. On k8s it is the
 * worker pod's memory request (the limit adds the plan's overhead for
 * Node.js and the sandbox), as a scenario pool's worker memory is.
 */
export function calibrationWorkerMemoryMiB(options: Pick<MeasureOptions, 'sizesMiB' | 'concurrencySizeMiB'>): number {
  const largest = Math.max(...options.sizesMiB, options.concurrencySizeMiB ?? 0);
  return Math.ceil((CALIBRATE_SLOTS + 1) * largest);
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
      log,
    });
    return await measure(runtime, options);
  } finally {
    await runtime?.close();
    rmSync(workDir, { recursive: true, force: true });
  }
}

/**
 * Measures every primitive on a runtime whose pool {@link CALIBRATE_POOL}
 * has {@link CALIBRATE_SLOTS} slots and knows {@link calibrationTemplates}:
 * `repeats` worker starts one after the other, then, per repeat and size
 * (sizes interleaved so drift spreads over all of them), on one worker:
 * golden restore, dispatches, checkpoint and restore through the node's
 * folder, then through the store, a last checkpoint to the node, and a cold
 * boot of a second actor. The caller closes the runtime.
 */
export async function measure(runtime: RealRuntime, options: MeasureOptions): Promise<CalibrationSamples> {
  const log = options.log ?? (() => {});
  const dispatches = options.dispatchPerRepeat ?? 5;
  const samples: { -readonly [K in keyof CalibrationSamples]: CalibrationSamples[K] } = {
    workerStartMs: [],
    dispatch: [],
    restore: { local: [], external: [], golden: [], cold: [] },
    goldenFirst: [],
    checkpoint: { local: [], external: [] },
  };
  const probe = new Probe(runtime, calibrationWorkerMemoryMiB(options), options.signal);
  // Worker starts first, one at a time, each stopped before the next: an uncontended start.
  for (let r = 0; r < options.repeats; r++) {
    const id = 1000 + r;
    samples.workerStartMs.push(await probe.startWorker(id));
    probe.stopWorker(id);
  }
  log(`worker start: ${samples.workerStartMs.map((x) => x.toFixed(0)).join(', ')} ms`);
  const w = 0;
  await probe.startWorker(w);
  // The first golden restore of a template creates the golden snapshot: timed apart.
  for (const s of options.sizesMiB) {
    const actor = `prime-${templateOf(s)}`;
    samples.goldenFirst.push({ sizeMiB: s, ms: await probe.restore(w, actor, templateOf(s), s, 'golden', 0) });
    await probe.checkpoint(w, actor, s, 'local', 0);
  }
  let invocation = 0;
  for (let r = 0; r < options.repeats; r++) {
    for (const s of options.sizesMiB) {
      const t = templateOf(s);
      const actor = `${t}-${r}`;
      samples.restore.golden.push({ sizeMiB: s, ms: await probe.restore(w, actor, t, s, 'golden', 0) });
      let version = 0;
      for (let d = 0; d < dispatches; d++) {
        samples.dispatch.push({ sizeMiB: s, ms: await probe.dispatch(w, actor, invocation++) });
        version += 1;
      }
      samples.checkpoint.local.push({ sizeMiB: s, ms: await probe.checkpoint(w, actor, s, 'local', version) });
      samples.restore.local.push({ sizeMiB: s, ms: await probe.restore(w, actor, t, s, 'local', version) });
      samples.checkpoint.external.push({ sizeMiB: s, ms: await probe.checkpoint(w, actor, s, 'external', version) });
      samples.restore.external.push({ sizeMiB: s, ms: await probe.restore(w, actor, t, s, 'external', version) });
      samples.checkpoint.local.push({ sizeMiB: s, ms: await probe.checkpoint(w, actor, s, 'local', version) });
      const cold = `${actor}-cold`;
      samples.restore.cold.push({ sizeMiB: s, ms: await probe.restore(w, cold, t, s, 'cold', 0) });
      samples.checkpoint.local.push({ sizeMiB: s, ms: await probe.checkpoint(w, cold, s, 'local', 0) });
      log(`repeat ${r + 1}/${options.repeats}, ${s} MiB done`);
    }
  }
  probe.stopWorker(w);
  const sweep = options.concurrency ?? [];
  if (sweep.length > 0) samples.concurrency = await measureConcurrency(probe, sweep, options.concurrencySizeMiB ?? options.sizesMiB[options.sizesMiB.length - 1]!, options.repeats, log);
  return samples;
}

/**
 * The concurrency sweep: for each k, k workers started at the same moment
 * (then stopped), and k workers (one actor each, as k pods on one node)
 * running each primitive at the same moment: golden restore, checkpoint to
 * the store, restore from it, checkpoint to the node.
 */
async function measureConcurrency(probe: Probe, ks: readonly number[], sizeMiB: number, repeats: number, log: (line: string) => void): Promise<ConcurrencySample[]> {
  const t = templateOf(sizeMiB);
  const out: ConcurrencySample[] = [];
  const add = (k: number, primitive: ConcurrencySample['primitive'], source: ConcurrencySample['source'], ms: number[], size = sizeMiB): void => {
    const row = out.find((c) => c.k === k && c.primitive === primitive && c.source === source);
    if (row === undefined) out.push({ k, primitive, source, sizeMiB: size, ms: [...ms] });
    else row.ms.push(...ms);
  };
  // Worker starts first, on an otherwise idle machine: k spawned together, all stopped before the next k.
  let id = 3000;
  for (let r = 0; r < repeats; r++) {
    for (const k of ks) {
      const set = Array.from({ length: k }, () => id++);
      add(k, 'workerStart', 'none', await Promise.all(set.map((w) => probe.startWorker(w))), 0);
      for (const w of set) probe.stopWorker(w);
      log(`worker starts ${k} at once, repeat ${r + 1}/${repeats} done`);
    }
  }
  const workers: number[] = [];
  const maxK = Math.max(...ks);
  // Started one by one so their start-up does not overlap the timings.
  for (let i = 0; i < maxK; i++) {
    await probe.startWorker(2000 + i);
    workers.push(2000 + i);
  }
  // The golden snapshot exists before the sweep, so golden restores read it rather than race to publish it.
  await probe.restore(workers[0]!, `conc-prime-${t}`, t, sizeMiB, 'golden', 0);
  await probe.checkpoint(workers[0]!, `conc-prime-${t}`, sizeMiB, 'local', 0);
  for (let r = 0; r < repeats; r++) {
    for (const k of ks) {
      const set = workers.slice(0, k).map((w, i) => ({ w, actor: `conc-${k}-${r}-${i}` }));
      add(k, 'restore', 'golden', await Promise.all(set.map((x) => probe.restore(x.w, x.actor, t, sizeMiB, 'golden', 0))));
      add(k, 'checkpoint', 'external', await Promise.all(set.map((x) => probe.checkpoint(x.w, x.actor, sizeMiB, 'external', 0))));
      add(k, 'restore', 'external', await Promise.all(set.map((x) => probe.restore(x.w, x.actor, t, sizeMiB, 'external', 0))));
      add(k, 'checkpoint', 'local', await Promise.all(set.map((x) => probe.checkpoint(x.w, x.actor, sizeMiB, 'local', 0))));
      log(`concurrency ${k}, repeat ${r + 1}/${repeats} done`);
    }
  }
  for (const w of workers) probe.stopWorker(w);
  return out;
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

/** What a calibration says of the machine it measured from (local: this one; k8s: the driver pod's view of its node). */
export type MachineFacts = Pick<CalibrationMeta, 'cpuModel' | 'cpus' | 'os' | 'node' | 'memoryGiB' | 'loadAverage'>;

/** This machine's facts, with the load average taken before measuring and now. */
export function machineFacts(loadBefore: readonly number[]): MachineFacts {
  const cpu = cpus();
  return {
    cpuModel: cpu[0]?.model.trim() ?? 'unknown cpu',
    cpus: cpu.length,
    os: `${platform()} ${release()}`,
    node: process.version,
    memoryGiB: totalmem() / 2 ** 30,
    loadAverage: { before: [...loadBefore], after: loadavg() },
  };
}

/**
 * Runs `npm run calibrate` end to end; returns the exit code. `tuning`
 * sets what the command line does not expose of a k8s run (the tests' fake
 * cluster needs its own ports).
 */
export async function runCalibrate(argv: readonly string[], io: CalibrateIo, tuning: PlanTuning = {}): Promise<number> {
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
  try {
    if (opts.backend === 'k8s') {
      // Loaded only here: the local path never pays for the Kubernetes client.
      const { measureOnK8s } = await import('./k8s/calibrate-launch.ts');
      if (!opts.dryRun) io.err(`calibrate: worker pods (runtime class ${opts.runtimeClass}, image ${opts.k8s.image}), ${grid}\n`);
      const measured = await measureOnK8s(opts, io, tuning);
      if (measured === null) return 0;
      ({ samples, facts, cluster } = measured);
    } else {
      const loadBefore = loadavg();
      io.err(`calibrate: local workers, ${grid}\n`);
      samples = await measureLocal(measureOptions);
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
  };
  const profile = renderProfile(name, fits, samples, meta, basename(samplesFile));
  // Refuse to write a profile the scenario loader would not read back.
  checkLoadable(profile, opts.out);
  writeAtomic(samplesFile, renderSamples(name, fits, samples, meta));
  writeAtomic(opts.out, profile);
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
 * (as today's real/calibrate-fit.ts fits them) into a profile and a samples
 * file with the new fits. The header keeps the original measurement: its
 * command, machine or cluster, date and load.
 */
export function refitCalibration(samplesFile: string, out: string, coldSizeMiB: number, io: Pick<CalibrateIo, 'out' | 'err'>): number {
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
  io.out(`Profile: ${out}\nSamples: ${outSamples}\n`);
  return 0;
}
