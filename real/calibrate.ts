import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadScenarioFile } from '../scenarios/load.ts';
import { parseMemoryMiB } from '../scenarios/quantity.ts';
import { fitCalibration, renderProfile, renderSamples, type CalibrationMeta, type CalibrationSamples, type ConcurrencySample } from './calibrate-profile.ts';
import { LocalRuntime } from './local/runtime.ts';
import type { RuntimeCommand, RuntimeEvent } from './runtime.ts';

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
                    k8s: needs the Kubernetes runtime (not built yet)
  --sizes LIST      snapshot sizes, Kubernetes quantities (default: 16Mi,64Mi,256Mi)
  --repeats N       samples per size and primitive (default: 5)
  --concurrency K   also time restores and checkpoints with K workers at once, and K workers
                    started at once, for each K of a list such as 1,2,4,8; with 1 in the list
                    the profile gets a contention block fitted to the slowdowns (default: none)
  --concurrency-size S  snapshot size of that sweep (default: the largest of --sizes)
  --cold-size S     size at which the size-less coldBoot is evaluated (default: 64Mi)
  --out FILE        profile to write (default: scenarios/profiles/local-calibrated.yaml)
  -h, --help        this text
`;

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
}

/** Options of `npm run calibrate`. */
interface CalibrateOptions extends MeasureOptions {
  readonly out: string;
  readonly coldSizeMiB: number;
}

const REPO = fileURLToPath(new URL('../', import.meta.url));
/** The default profile written, loadable as `costs: local-calibrated`. */
export const DEFAULT_PROFILE_OUT = join(REPO, 'scenarios', 'profiles', 'local-calibrated.yaml');
const POOL = 'calibrate';
const NODE = 'node-0';

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
  const backend = v.backend ?? 'local';
  if (backend === 'k8s') {
    throw new CalibrateUsageError('--backend k8s: calibrating on Kubernetes needs the Kubernetes runtime (gVisor pods on kind), which is not built yet; use --backend local');
  }
  if (backend !== 'local') throw new CalibrateUsageError(`--backend: expected local or k8s, got "${backend}"`);
  const items = (v.sizes ?? '16Mi,64Mi,256Mi').split(',').filter((s) => s.trim().length > 0);
  if (items.length === 0) throw new CalibrateUsageError('--sizes: empty list');
  const sizesMiB = [...new Set(items.map((s) => size(s, '--sizes')))].sort((a, b) => a - b);
  const repeats = v.repeats === undefined ? 5 : positiveInt(v.repeats, '--repeats');
  const coldSizeMiB = v['cold-size'] === undefined ? 64 : size(v['cold-size'], '--cold-size');
  const out = resolve(v.out ?? DEFAULT_PROFILE_OUT);
  if (!out.endsWith('.yaml')) throw new CalibrateUsageError(`--out: the profile must be a .yaml file (the scenario loader reads a path ending in .yaml), got "${v.out}"`);
  const concurrency = v.concurrency === undefined ? [] : [...new Set(v.concurrency.split(',').filter((x) => x.trim() !== '').map((x) => positiveInt(x.trim(), '--concurrency')))].sort((a, b) => a - b);
  if (v.concurrency !== undefined && concurrency.length === 0) throw new CalibrateUsageError('--concurrency: empty list');
  const concurrencySizeMiB = v['concurrency-size'] === undefined ? sizesMiB[sizesMiB.length - 1]! : size(v['concurrency-size'], '--concurrency-size');
  return { sizesMiB, repeats, coldSizeMiB, out, concurrency, concurrencySizeMiB };
}

type Pending = { readonly worker: number; readonly resolve: (ms: number) => void; readonly reject: (err: Error) => void };

/**
 * The local runtime driven one command at a time: each call sends one
 * command and resolves with the time the runtime reports for it, the same
 * number bench:cluster's measured.csv records (dispatch: wall time from the
 * command to its completion, less the work, as the driver times it).
 */
class Probe {
  private op = 0;
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly runtime: LocalRuntime) {
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
    return new Promise((resolveMs, reject) => {
      this.pending.set(key, { worker, resolve: resolveMs, reject });
      this.runtime.run(cmd);
    });
  }

  startWorker(worker: number): Promise<number> {
    return this.send(`w${worker}`, worker, { kind: 'startWorker', worker, pool: POOL, node: NODE, memoryMiB: 0 });
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

/**
 * Measures every primitive on local worker processes: `repeats` worker
 * starts one after the other, then, per repeat and size (sizes interleaved so
 * drift spreads over all of them), on one worker: golden restore, dispatches,
 * checkpoint and restore through the node's folder, then through the store,
 * a last checkpoint to the node, and a cold boot of a second actor.
 */
export async function measureLocal(options: MeasureOptions): Promise<CalibrationSamples> {
  const log = options.log ?? (() => {});
  const dispatches = options.dispatchPerRepeat ?? 5;
  const workDir = mkdtempSync(join(tmpdir(), 'actorsim-calibrate-'));
  const samples: { -readonly [K in keyof CalibrationSamples]: CalibrationSamples[K] } = {
    workerStartMs: [],
    dispatch: [],
    restore: { local: [], external: [], golden: [], cold: [] },
    goldenFirst: [],
    checkpoint: { local: [], external: [] },
  };
  let runtime: LocalRuntime | null = null;
  try {
    runtime = await LocalRuntime.start({
      workDir,
      token: randomBytes(24).toString('hex'),
      poolSlots: { [POOL]: 2 },
      templateMemoryMiB: Object.fromEntries([...options.sizesMiB, ...(options.concurrencySizeMiB === undefined ? [] : [options.concurrencySizeMiB])].map((s) => [templateOf(s), s])),
      log,
    });
    const probe = new Probe(runtime);
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
  } finally {
    await runtime?.close();
    rmSync(workDir, { recursive: true, force: true });
  }
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

/** Runs `npm run calibrate` end to end; returns the exit code. */
export async function runCalibrate(argv: readonly string[], io: CalibrateIo): Promise<number> {
  const opts = parseCalibrateArgs(argv, io);
  if (opts === null) return 0;
  const date = io.isoNow();
  const t0 = performance.now();
  const loadBefore = loadavg();
  io.err(`calibrate: local workers, sizes ${opts.sizesMiB.map((s) => `${s} MiB`).join(', ')}, ${opts.repeats} repeats\n`);
  const samples = await measureLocal({ ...opts, log: (l) => io.err(`  ${l}\n`) });
  const cpu = cpus();
  const fits = fitCalibration(samples, opts.coldSizeMiB, cpu.length);
  const name = basename(opts.out, '.yaml');
  const samplesFile = samplesPathFor(opts.out);
  const meta: CalibrationMeta = {
    backend: 'local',
    cpuModel: cpu[0]?.model.trim() ?? 'unknown cpu',
    cpus: cpu.length,
    os: `${platform()} ${release()}`,
    node: process.version,
    memoryGiB: totalmem() / 2 ** 30,
    date,
    sizesMiB: opts.sizesMiB,
    repeats: opts.repeats,
    command: `npm run calibrate -- ${argv.join(' ')}`.trim(),
    wallMs: performance.now() - t0,
    loadAverage: { before: loadBefore, after: loadavg() },
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
