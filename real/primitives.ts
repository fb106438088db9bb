import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import type { RealRuntime, RuntimeEvent } from './runtime.ts';
import type { RuntimeCommand } from '../session/session.ts';

// The runtime's own measuring of its primitives (worker start, restore,
// checkpoint, dispatch), one command at a time, on any RealRuntime: what
// `npm run calibrate` (fidelity/calibrate/) fits into a cost profile. It
// lives here because the calibration's driver Job (k8s/job-calibrate.ts)
// runs it inside the cluster, from the image, which holds the runtime only.

/** One timed primitive at a snapshot size. */
export interface SizedSample {
  readonly sizeMiB: number;
  readonly ms: number;
}

/** Every timed sample of a calibration, in milliseconds as the driver would see them. */
export interface CalibrationSamples {
  /** Worker process spawn to its READY line (k8s: pod create request to its server answering). */
  readonly workerStartMs: number[];
  /** An execute of workMs 0 on a resident actor, command to completion. */
  readonly dispatch: SizedSample[];
  readonly restore: { readonly local: SizedSample[]; readonly external: SizedSample[]; readonly golden: SizedSample[]; readonly cold: SizedSample[] };
  /** The first golden restore of a template boots the region and publishes it: kept, not fitted (a run pays it once per template). */
  readonly goldenFirst: SizedSample[];
  readonly checkpoint: { readonly local: SizedSample[]; readonly external: SizedSample[] };
  /** Optional sweep: the same primitive run by k workers at once, fitted into the profile's `contention`. */
  readonly concurrency?: ConcurrencySample[];
  /** Optional mixed sweep (issue 18): restores and checkpoints from the store started together, fitted into `contention.host`. */
  readonly mixed?: MixedSample[];
  /** Optional (k8s, --limited): the primitives again on a worker pod under a cpu limit, fitted into `contention.host.inWorker`. */
  readonly limited?: LimitedSample;
  /**
   * Cpu time the store process and the workers spent on each one-at-a-time snapshot transfer and
   * on each mixed batch, where the runtime can read it (local: /proc). Recorded, not yet fitted.
   */
  readonly cpu?: CpuSample[];
  /**
   * The sweeps that failed part way (a primitive that failed or timed out): what each had
   * measured before is kept above, the rest of it is missing. Absent when everything was measured.
   */
  readonly failed?: SeriesFailure[];
}

/** A sweep of the calibration that ended with an error: the rest of the calibration was measured all the same. */
export interface SeriesFailure {
  readonly series: 'concurrency' | 'mixed' | 'limited';
  /** The error, as the runtime or the worker said it. */
  readonly error: string;
}

/** Runs `run`, recording the store's and the workers' cpu time across it as one CpuSample where the runtime can read it. */
type WithCpu = <T>(primitive: CpuSample['primitive'], source: CpuSample['source'], sizeMiB: number, k: number, run: () => Promise<T>) => Promise<T>;

/** Cpu time (user + system, ms) of the store and of the workers across one primitive or one mixed batch. */
export interface CpuSample {
  /** restore or checkpoint (one at a time), or mixed (a batch of `k`). */
  readonly primitive: 'restore' | 'checkpoint' | 'mixed';
  readonly source: 'golden' | 'external' | 'local' | 'mixed';
  readonly sizeMiB: number;
  /** Batch size: 1 for one at a time. */
  readonly k: number;
  readonly storeMs: number | null;
  readonly workersMs: number | null;
}

/**
 * The primitives measured once more, one at a time, on a worker pod whose
 * cpu limit is `cpuMilli` (at `sizeMiB`): how much slower each runs than on
 * an unlimited pod says how much of its cpu is spent inside the worker, and
 * so under a run's pod limit, rather than in the store or the runtime.
 */
export interface LimitedSample {
  readonly cpuMilli: number;
  readonly sizeMiB: number;
  readonly workerStartMs: number[];
  readonly restore: { readonly golden: number[]; readonly external: number[]; readonly local: number[] };
  readonly checkpoint: { readonly external: number[]; readonly local: number[] };
  /**
   * Two at once on the one limited pod (its two slots): golden restores of two
   * actors, then their checkpoints to the store, each pair's two times. How the
   * limit is shared by the primitives of one worker, against one alone.
   */
  readonly pair?: { readonly golden: number[]; readonly external: number[] };
}

/**
 * One batch size of the mixed sweep: k workers, each holding a resident
 * actor; `restores` of them restore from the store while the rest checkpoint
 * to it, all at once; beside them `locals` more workers each restore an actor
 * from the node's own folder (absent in samples from before they were
 * measured: none).
 */
export interface MixedSample {
  readonly k: number;
  readonly restores: number;
  readonly checkpoints: number;
  readonly sizeMiB: number;
  readonly restoreMs: number[];
  readonly checkpointMs: number[];
  readonly locals?: number;
  readonly localMs?: number[];
}

/** How many restores from the node ran beside a mixed batch: as recorded, else one per time it kept (samples before `locals` was written). */
export function localsOf(m: MixedSample): number {
  return m.locals ?? m.localMs?.length ?? 0;
}

/**
 * Restores from the node run beside a mixed batch of k store transfers: one
 * per 16 (at least one). At the peak of fleet-2000 a local restore ran 3.4 to
 * 5.6 times slower than alone beside some 26 store transfers that ran 14 to 27
 * times slower; a sweep without local restores cannot show whether the host
 * shares its cpus that way.
 */
export function mixedLocals(k: number): number {
  return Math.max(1, Math.round(k / 16));
}

/** The largest batch k of the mixed sweep whose workers, with its restorers from the node, number at most `workers` (0: none fits). */
export function largestMixedK(workers: number): number {
  let k = workers;
  while (k > 0 && k + mixedLocals(k) > workers) k -= 1;
  return k;
}

/** Times of one primitive when `k` workers ran it at the same moment, each on its own actor (worker starts: k workers started at once, size 0). */
export interface ConcurrencySample {
  readonly k: number;
  readonly primitive: 'restore' | 'checkpoint' | 'workerStart';
  readonly source: 'golden' | 'external' | 'local' | 'none';
  readonly sizeMiB: number;
  readonly ms: number[];
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
  /** Batch sizes of the mixed sweep (empty: none), at concurrencySizeMiB. */
  readonly mixed?: readonly number[];
  /**
   * k8s only: measure the primitives again, at concurrencySizeMiB, on a worker
   * of {@link CALIBRATE_LIMITED_POOL}, whose pods have this cpu limit (the
   * runtime must give that pool this cpu).
   */
  readonly limitedCpuMilli?: number;
  readonly log?: (line: string) => void;
  /** Aborts the measuring between two primitives (Ctrl-C, or SIGTERM to the driver pod). */
  readonly signal?: AbortSignal;
}

/** The one pool every calibration worker belongs to. */
export const CALIBRATE_POOL = 'calibrate';
/** The pool of the --limited series: its pods get a cpu limit (k8s). */
export const CALIBRATE_LIMITED_POOL = 'calibrate-limited';
/** The one scenario node of a calibration: every worker shares its disk (on k8s, one node claim). */
export const CALIBRATE_NODE = 'node-0';
/** Resident actors a calibration worker holds at most: the measured actor and a cold one. */
export const CALIBRATE_SLOTS = 2;
/**
 * How long a calibration waits for one primitive: ten minutes, where a run
 * gives a request up after REQUEST_TIMEOUT_MS (60 s). A calibration exists
 * to measure how long primitives take, the slowest included (two golden
 * restores at once on a pod limited to 200m took 34 s each on this project's
 * cluster, and over 60 s once on a busier machine), so a run's timeout would
 * turn its slowest samples into a failure that loses every other one. The
 * runtimes give each worker as long for one read or write of the store (a
 * worker's own default is 60 s, which a 256 MiB golden restore on a pod
 * limited to 200m passed on this project's AMD VM).
 */
export const CALIBRATE_REQUEST_TIMEOUT_MS = 600_000;

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
  /** Workers started and not stopped: what a failed sweep leaves behind. */
  private readonly live = new Set<number>();

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
    // A lost store fails each pending request on its own, with its error.
    if (e.kind === 'storeLost') return;
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

  /** Starts a worker of `memoryMiB` (default: the calibration's, for its largest size) in `pool`. */
  startWorker(worker: number, memoryMiB = this.workerMemoryMiB, pool = CALIBRATE_POOL): Promise<number> {
    this.live.add(worker);
    return this.send(`w${worker}`, worker, { kind: 'startWorker', worker, pool, node: CALIBRATE_NODE, memoryMiB });
  }

  stopWorker(worker: number): void {
    this.live.delete(worker);
    this.runtime.run({ kind: 'stopWorker', worker });
  }

  /** Stops every worker still running, and forgets what they were asked: after a failed sweep, so the next one has the node to itself. */
  stopAll(): void {
    for (const w of [...this.live]) this.stopWorker(w);
    this.pending.clear();
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

/**
 * Memory of a worker of the concurrency and mixed sweeps: the same rule at
 * the sweep's one size. Those sweeps hold up to their largest k workers at
 * once (on k8s, k pods on one node), so they ask no more than their size
 * needs: --concurrency-size below the largest of --sizes makes them fit a
 * smaller node.
 */
export function sweepWorkerMemoryMiB(options: Pick<MeasureOptions, 'sizesMiB' | 'concurrencySizeMiB'>): number {
  return Math.ceil((CALIBRATE_SLOTS + 1) * (options.concurrencySizeMiB ?? options.sizesMiB[options.sizesMiB.length - 1]!));
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
  const cpu: CpuSample[] = [];
  // Reads the store's and the workers' cpu time around `run` (local only), recording the difference.
  const withCpu: WithCpu = async (primitive, source, sizeMiB, k, run) => {
    const before = runtime.cpuMs?.();
    const result = await run();
    const after = runtime.cpuMs?.();
    if (before !== undefined && after !== undefined) {
      const diff = (a: number | undefined, b: number | undefined): number | null => (a === undefined || b === undefined ? null : Math.round((b - a) * 1000) / 1000);
      cpu.push({ primitive, source, sizeMiB, k, storeMs: diff(before.storeMs, after.storeMs), workersMs: diff(before.workersMs, after.workersMs) });
    }
    return result;
  };
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
      // The same actor every repeat: its snapshot (one file on the node, one blob in the store)
      // is overwritten rather than kept, so the disk a calibration uses does not grow with repeats.
      const actor = `${t}-probe`;
      samples.restore.golden.push({ sizeMiB: s, ms: await withCpu('restore', 'golden', s, 1, () => probe.restore(w, actor, t, s, 'golden', 0)) });
      let version = 0;
      for (let d = 0; d < dispatches; d++) {
        samples.dispatch.push({ sizeMiB: s, ms: await probe.dispatch(w, actor, invocation++) });
        version += 1;
      }
      samples.checkpoint.local.push({ sizeMiB: s, ms: await withCpu('checkpoint', 'local', s, 1, () => probe.checkpoint(w, actor, s, 'local', version)) });
      samples.restore.local.push({ sizeMiB: s, ms: await withCpu('restore', 'local', s, 1, () => probe.restore(w, actor, t, s, 'local', version)) });
      samples.checkpoint.external.push({ sizeMiB: s, ms: await withCpu('checkpoint', 'external', s, 1, () => probe.checkpoint(w, actor, s, 'external', version)) });
      samples.restore.external.push({ sizeMiB: s, ms: await withCpu('restore', 'external', s, 1, () => probe.restore(w, actor, t, s, 'external', version)) });
      samples.checkpoint.local.push({ sizeMiB: s, ms: await probe.checkpoint(w, actor, s, 'local', version) });
      const cold = `${t}-cold`;
      samples.restore.cold.push({ sizeMiB: s, ms: await probe.restore(w, cold, t, s, 'cold', 0) });
      samples.checkpoint.local.push({ sizeMiB: s, ms: await probe.checkpoint(w, cold, s, 'local', 0) });
      log(`repeat ${r + 1}/${options.repeats}, ${s} MiB done`);
    }
  }
  probe.stopWorker(w);
  const sweep = options.concurrency ?? [];
  const sweepSize = options.concurrencySizeMiB ?? options.sizesMiB[options.sizesMiB.length - 1]!;
  const sweepMemoryMiB = sweepWorkerMemoryMiB(options);
  // Each sweep fills its samples as it goes. One that fails part way (a primitive failed or timed
  // out) keeps what it measured, is named in `failed`, and the next sweep runs: an hour of
  // calibration is not thrown away for one late sample. Ctrl-C still stops everything.
  const failed: SeriesFailure[] = [];
  const series = async (name: SeriesFailure['series'], run: () => Promise<void>): Promise<void> => {
    try {
      await run();
    } catch (err) {
      if (err instanceof CalibrationInterruptedError || options.signal?.aborted === true) throw err;
      const error = (err as Error).message;
      failed.push({ series: name, error });
      log(`${name}: failed (${error}); what it measured is kept, the next sweep runs`);
      probe.stopAll();
    }
  };
  if (sweep.length > 0) {
    const out: ConcurrencySample[] = [];
    samples.concurrency = out;
    await series('concurrency', () => measureConcurrency(probe, sweep, sweepSize, sweepMemoryMiB, options.repeats, log, out));
  }
  const mixed = options.mixed ?? [];
  if (mixed.length > 0) {
    const out: MixedSample[] = [];
    samples.mixed = out;
    await series('mixed', () => measureMixed(probe, mixed, sweepSize, sweepMemoryMiB, options.repeats, log, withCpu, out));
  }
  if (options.limitedCpuMilli !== undefined) {
    const out = emptyLimited(options.limitedCpuMilli, sweepSize);
    samples.limited = out;
    await series('limited', () => measureLimited(probe, out, sweepMemoryMiB, options.repeats, log));
  }
  if (cpu.length > 0) samples.cpu = cpu;
  if (failed.length > 0) samples.failed = failed;
  return samples;
}

/** The --limited series' samples before the first one: filled as they are taken. */
function emptyLimited(cpuMilli: number, sizeMiB: number): LimitedSample & { pair: NonNullable<LimitedSample['pair']> } {
  return { cpuMilli, sizeMiB, workerStartMs: [], restore: { golden: [], external: [], local: [] }, checkpoint: { external: [], local: [] }, pair: { golden: [], external: [] } };
}

/**
 * The --limited series: `repeats` starts of a worker pod with a cpu limit
 * (each stopped before the next), then on one such worker, per repeat, the
 * one-at-a-time sequence at one size: golden restore, checkpoint and restore
 * through the store, then through the node's folder. The golden snapshot
 * exists already (the main measuring published it). Fills `out` as it goes.
 */
async function measureLimited(probe: Probe, out: ReturnType<typeof emptyLimited>, memoryMiB: number, repeats: number, log: (line: string) => void): Promise<void> {
  const { cpuMilli, sizeMiB } = out;
  const t = templateOf(sizeMiB);
  for (let r = 0; r < repeats; r++) {
    const id = 5000 + r;
    out.workerStartMs.push(await probe.startWorker(id, memoryMiB, CALIBRATE_LIMITED_POOL));
    probe.stopWorker(id);
  }
  const w = 5100;
  await probe.startWorker(w, memoryMiB, CALIBRATE_LIMITED_POOL);
  const actor = `limited-${t}`;
  for (let r = 0; r < repeats; r++) {
    out.restore.golden.push(await probe.restore(w, actor, t, sizeMiB, 'golden', 0));
    out.checkpoint.external.push(await probe.checkpoint(w, actor, sizeMiB, 'external', 0));
    out.restore.external.push(await probe.restore(w, actor, t, sizeMiB, 'external', 0));
    out.checkpoint.local.push(await probe.checkpoint(w, actor, sizeMiB, 'local', 0));
    out.restore.local.push(await probe.restore(w, actor, t, sizeMiB, 'local', 0));
    // Untimed: the actor leaves (a checkpoint to the node), so the next repeat's golden restore finds it away.
    await probe.checkpoint(w, actor, sizeMiB, 'local', 0);
    log(`limited to ${cpuMilli}m, repeat ${r + 1}/${repeats} done`);
  }
  const { pair } = out;
  const two = [`limited-${t}-a`, `limited-${t}-b`];
  for (let r = 0; r < repeats; r++) {
    pair.golden.push(...(await Promise.all(two.map((a) => probe.restore(w, a, t, sizeMiB, 'golden', 0)))));
    pair.external.push(...(await Promise.all(two.map((a) => probe.checkpoint(w, a, sizeMiB, 'external', 0)))));
    log(`limited to ${cpuMilli}m, two at once, repeat ${r + 1}/${repeats} done`);
  }
  probe.stopWorker(w);
}

/**
 * The mixed sweep: for each k, k workers each checkpoint an actor to the
 * store (untimed), then hold one resident (the first ceil(k / 2) another
 * actor, the others that one restored again); then, at the same moment, the
 * first ceil(k / 2) restore their actor from the store beside the resident
 * one while the others checkpoint theirs: transfers both ways, hashing and
 * resident memory together, as at a peak. Beside each batch, mixedLocals(k)
 * other workers restore an actor kept on the node (its snapshot put in the
 * node's folder untimed), as a worker does at a peak while the store's
 * transfers wait. Fills `out` batch by batch.
 */
async function measureMixed(
  probe: Probe,
  ks: readonly number[],
  sizeMiB: number,
  memoryMiB: number,
  repeats: number,
  log: (line: string) => void,
  withCpu: WithCpu,
  out: MixedSample[],
): Promise<void> {
  const t = templateOf(sizeMiB);
  const maxK = Math.max(...ks);
  const workers: number[] = [];
  for (let i = 0; i < maxK; i++) {
    await probe.startWorker(4000 + i, memoryMiB);
    workers.push(4000 + i);
  }
  // The restorers from the node: workers of their own, each with one actor suspended to the node's folder.
  const localWorkers: number[] = [];
  for (let j = 0; j < mixedLocals(maxK); j++) {
    await probe.startWorker(4000 + maxK + j, memoryMiB);
    localWorkers.push(4000 + maxK + j);
  }
  await probe.restore(workers[0]!, `mixed-prime-${t}`, t, sizeMiB, 'golden', 0);
  await probe.checkpoint(workers[0]!, `mixed-prime-${t}`, sizeMiB, 'local', 0);
  for (const [j, w] of localWorkers.entries()) {
    await probe.restore(w, `mixed-local-${j}`, t, sizeMiB, 'golden', 0);
    await probe.checkpoint(w, `mixed-local-${j}`, sizeMiB, 'local', 0);
  }
  for (let r = 0; r < repeats; r++) {
    for (const k of ks) {
      // Worker i always holds the actors mixed-i and mixed-i-held: every batch overwrites the same
      // snapshots, so the sweep's disk is bounded by its largest k, whatever the repeats.
      const set = workers.slice(0, k).map((w, i) => ({ w, actor: `mixed-${i}` }));
      const restores = Math.ceil(k / 2);
      // Untimed set-up, one worker at a time so it does not overlap itself: each actor's snapshot in
      // the store (a checkpoint to the store leaves the worker); a restorer then holds a second actor
      // resident (its other slot), a checkpointer its own actor again.
      for (const [i, x] of set.entries()) {
        await probe.restore(x.w, x.actor, t, sizeMiB, 'golden', 0);
        await probe.checkpoint(x.w, x.actor, sizeMiB, 'external', 0);
        if (i < restores) await probe.restore(x.w, `${x.actor}-held`, t, sizeMiB, 'golden', 0);
        else await probe.restore(x.w, x.actor, t, sizeMiB, 'external', 0);
      }
      const locals = localWorkers.slice(0, mixedLocals(k)).map((w, j) => ({ w, actor: `mixed-local-${j}` }));
      const times = await withCpu('mixed', 'mixed', sizeMiB, k, () =>
        Promise.all([
          ...set.map((x, i) => (i < restores ? probe.restore(x.w, x.actor, t, sizeMiB, 'external', 0) : probe.checkpoint(x.w, x.actor, sizeMiB, 'external', 0))),
          ...locals.map((x) => probe.restore(x.w, x.actor, t, sizeMiB, 'local', 0)),
        ]),
      );
      const row = out.find((m) => m.k === k);
      const target = row ?? { k, restores, checkpoints: k - restores, sizeMiB, restoreMs: [], checkpointMs: [], locals: locals.length, localMs: [] };
      target.restoreMs.push(...times.slice(0, restores));
      target.checkpointMs.push(...times.slice(restores, k));
      target.localMs?.push(...times.slice(k));
      if (row === undefined) out.push(target);
      // Untimed: the actors restored from the node go back to its folder, away for the next batch.
      for (const x of locals) await probe.checkpoint(x.w, x.actor, sizeMiB, 'local', 0);
      // Untimed: the restorers' two actors leave (a checkpoint to the store evicts), so the next batch finds free slots.
      for (const x of set.slice(0, restores)) {
        await probe.checkpoint(x.w, x.actor, sizeMiB, 'external', 0);
        await probe.checkpoint(x.w, `${x.actor}-held`, sizeMiB, 'external', 0);
      }
      log(`mixed ${restores} restores + ${k - restores} checkpoints + ${locals.length} from the node, repeat ${r + 1}/${repeats} done`);
    }
  }
  for (const w of [...workers, ...localWorkers]) probe.stopWorker(w);
}

/**
 * The concurrency sweep: for each k, k workers started at the same moment
 * (then stopped), and k workers (one actor each, as k pods on one node)
 * running each primitive at the same moment: golden restore, checkpoint to
 * the store, restore from it, checkpoint to the node, restore from the node.
 * Fills `out` as it goes.
 */
async function measureConcurrency(probe: Probe, ks: readonly number[], sizeMiB: number, memoryMiB: number, repeats: number, log: (line: string) => void, out: ConcurrencySample[]): Promise<void> {
  const t = templateOf(sizeMiB);
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
      add(k, 'workerStart', 'none', await Promise.all(set.map((w) => probe.startWorker(w, memoryMiB))), 0);
      for (const w of set) probe.stopWorker(w);
      log(`worker starts ${k} at once, repeat ${r + 1}/${repeats} done`);
    }
  }
  const workers: number[] = [];
  const maxK = Math.max(...ks);
  // Started one by one so their start-up does not overlap the timings.
  for (let i = 0; i < maxK; i++) {
    await probe.startWorker(2000 + i, memoryMiB);
    workers.push(2000 + i);
  }
  // The golden snapshot exists before the sweep, so golden restores read it rather than race to publish it.
  await probe.restore(workers[0]!, `conc-prime-${t}`, t, sizeMiB, 'golden', 0);
  await probe.checkpoint(workers[0]!, `conc-prime-${t}`, sizeMiB, 'local', 0);
  for (let r = 0; r < repeats; r++) {
    for (const k of ks) {
      // Worker i always measures actor conc-i (bounded disk, as in the mixed sweep).
      const set = workers.slice(0, k).map((w, i) => ({ w, actor: `conc-${i}` }));
      add(k, 'restore', 'golden', await Promise.all(set.map((x) => probe.restore(x.w, x.actor, t, sizeMiB, 'golden', 0))));
      add(k, 'checkpoint', 'external', await Promise.all(set.map((x) => probe.checkpoint(x.w, x.actor, sizeMiB, 'external', 0))));
      add(k, 'restore', 'external', await Promise.all(set.map((x) => probe.restore(x.w, x.actor, t, sizeMiB, 'external', 0))));
      add(k, 'checkpoint', 'local', await Promise.all(set.map((x) => probe.checkpoint(x.w, x.actor, sizeMiB, 'local', 0))));
      // Restores of the copies just kept on the node, then suspended there again (untimed) so
      // the next repeat's golden restore finds every actor away.
      add(k, 'restore', 'local', await Promise.all(set.map((x) => probe.restore(x.w, x.actor, t, sizeMiB, 'local', 0))));
      await Promise.all(set.map((x) => probe.checkpoint(x.w, x.actor, sizeMiB, 'local', 0)));
      log(`concurrency ${k}, repeat ${r + 1}/${repeats} done`);
    }
  }
  for (const w of workers) probe.stopWorker(w);
}

/** What a calibration says of the machine it measured from (local: this one; k8s: the driver pod's view of its node). */
export interface MachineFacts {
  readonly cpuModel: string;
  readonly cpus: number;
  readonly os: string;
  readonly node: string;
  readonly memoryGiB: number;
  /** os.loadavg() (1, 5, 15 min) before and after measuring: on a shared machine, how busy it was. */
  readonly loadAverage: { readonly before: readonly number[]; readonly after: readonly number[] };
}

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
