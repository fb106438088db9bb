import { z } from 'zod';
import { hostLoadLine, type HostLoad } from '../host-load.ts';
import { REQUEST_TIMEOUT_MS } from '../../real/worker/client.ts';
import type { CalibrationSamples, ConcurrencySample, CpuSample, MachineFacts } from '../../real/primitives.ts';
import { localsOf } from '../../real/primitives.ts';
import { fitHostDemands, fitStoreDemands, fitLognormal, type StoreDemandFit, fitSharedCapacity, fitSizeCost, nearestRank, predictAt, type CapacityFit, type HostDemandFit, type MixedObservation, type LognormalFit, type SizedSample, type SizeFit, type SlowdownPoint } from './fit.ts';

export type { CalibrationSamples, ConcurrencySample } from '../../real/primitives.ts';

/** The cluster a k8s calibration measured on, as its profile header names it. */
export interface CalibrationCluster {
  readonly context: string;
  readonly server: string;
  /** The API server's version, e.g. v1.34.0. */
  readonly version: string;
  /** Schedulable nodes when it ran; null when they could not be listed. */
  readonly nodes: number | null;
  readonly runtimeClass: string;
  readonly image: string;
  readonly namespace: string;
  /** --worker-cpu, when given: the worker pods' cpu request (e.g. 100m); absent: the default. */
  readonly workerCpu?: string;
}

/** Where and how the samples were taken. */
export interface CalibrationMeta extends MachineFacts {
  readonly backend: 'local' | 'k8s';
  /** k8s only: the cluster; the machine fields are then the driver pod's view of its node. */
  readonly cluster?: CalibrationCluster;
  /** ISO date and time the calibration started. */
  readonly date: string;
  readonly sizesMiB: readonly number[];
  readonly repeats: number;
  /** The command line, for the record. */
  readonly command: string;
  readonly wallMs: number;
  /** Local only: load average and CPU steal before and sampled during the measuring (fidelity/host-load.ts). */
  readonly hostLoad?: HostLoad;
}

/** The fitted cost of every primitive. */
export interface CalibrationFits {
  readonly workerStart: LognormalFit;
  readonly dispatch: LognormalFit;
  /** Cold boots grow with the region written; the profile's coldBoot has no size, so it is this fit evaluated at `atMiB`. */
  readonly coldBoot: { readonly fit: SizeFit; readonly atMiB: number; readonly medianMs: number; readonly p99Ms: number };
  readonly restore: { readonly local: SizeFit; readonly external: SizeFit; readonly golden: SizeFit };
  readonly checkpoint: { readonly local: SizeFit; readonly external: SizeFit };
  /** Processor-sharing capacities fitted to the concurrency sweep, when there was one with k = 1. */
  readonly contention?: ContentionFit;
  /** The host model fitted to the mixed sweep (issue 18), when there was one: it replaces transfers and cpu in the profile. */
  readonly host?: HostFit;
}

/** The host model's demands (cpus used alone) fitted to the mixed sweep. */
export interface HostFit extends HostDemandFit {
  readonly cpus: number;
  /** From the worker-start series of the concurrency sweep (cpus / capacity), or 1 without one. */
  readonly workerStart: number;
  readonly workerStartFitted: boolean;
  /** From the concurrency sweep's series of local restores and checkpoints, when it has them. */
  readonly restoreLocal?: LocalDemandFit;
  readonly checkpointLocal?: LocalDemandFit;
  /** From the --limited series (k8s), when there was one: the share of each demand a pod's limit caps. */
  readonly inWorker?: InWorkerFit;
  /**
   * Local backend, with both local demands: the store as a server of one
   * thread (contention.host.store) fitted to the same mixed sweep (see
   * fitStoreDemands). The profile is written with it, its host demands for
   * store transfers the fit's, only when it fits the sweep clearly better
   * than the host alone (below STORE_GAIN times its rms: `storeUsed`);
   * otherwise its comment says how it fared.
   */
  readonly store?: StoreDemandFit;
  readonly storeUsed?: boolean;
  /** The store fitted under the other sharing rule (host.share: job), for the comment. */
  readonly storeOther?: StoreDemandFit;
  /**
   * Local backend: the cpus shared between processes (host.share: process),
   * as the kernel shares them between the workers' and the store's threads.
   * The sweeps cannot tell the rules apart (each of their workers runs one
   * primitive at a time, so each process holds one job); a peak can, where
   * a worker restores one actor from its disk while another's transfer
   * waits on the store (the README's Fidelity section has the runs that
   * chose it: 2026-12-07 13:00-13:22, fleet-2000, shared-8).
   */
  readonly share?: 'process';
}

/** One primitive's part inside the worker, from its time on a pod with a cpu limit against its time on one without. */
export interface InWorkerPart {
  /** Its speed under the limit, a fraction of the unlimited one (size parts for transfers, whole starts). */
  readonly speed: number;
  /** Cpus the in-worker part uses at full speed: the limit / speed; when the limit did not slow it (speed >= 1), the limit itself, an upper bound. */
  readonly cpus: number;
  /** Whether the limit slowed it clearly (speed below 0.9); otherwise `cpus` is only an upper bound. */
  readonly bound: boolean;
}

/** The shares of the host model's demands spent inside a worker (contention.host.inWorker). */
export interface InWorkerFit {
  readonly cpuMilli: number;
  readonly sizeMiB: number;
  readonly n: number;
  readonly golden: InWorkerPart;
  readonly external: InWorkerPart;
  readonly checkpoint: InWorkerPart;
  readonly workerStart: InWorkerPart;
  /** The shares written: in-worker cpus over the host demand (restore: golden and external averaged), at most 10. */
  readonly share: { readonly restore: number; readonly checkpoint: number; readonly workerStart: number };
  /**
   * From the pair series, when there was one: each of two primitives at once
   * on the limited pod over one alone (medians; golden restores for restore,
   * checkpoints to the store for checkpoint), as measured (`measured`) and
   * as written (`written`: within (1, 2], see {@link pairRatio}).
   */
  readonly pair?: { readonly measured: { readonly restore: number; readonly checkpoint: number }; readonly written: { readonly restore: number; readonly checkpoint: number } };
}

/** Lowest pair ratio written: a primitive never held by its limit (ratio 1) is not one the limit slows, as the single series showed. */
const PAIR_FLOOR = 1.05;

/**
 * A measured pair ratio as the profile writes it (contention.host.pairUnderLimit):
 * within [1.05, 2]. Above 2 (two at once slower than sharing the limit
 * equally: noise, or the pod's other costs) is written as 2, the limit
 * shared equally; at or below 1, as 1.05.
 */
export function pairRatio(measured: number): number {
  if (!Number.isFinite(measured)) return 2;
  return Math.min(2, Math.max(PAIR_FLOOR, measured));
}

/**
 * The shares of the host demands a pod's cpu limit caps, from the --limited
 * series: a primitive whose part inside the worker uses w cpus alone runs,
 * under a limit c < w, at c / w of its unlimited speed (the simulator's
 * rule: at most cap / inWorker). So w = c / speed, where speed is the size
 * part unlimited (size / the fitted bandwidth) over the size part limited
 * (the median less the fitted base), and the share is w / demand. Above 1,
 * the limit cost more than the demand alone explains (CFS throttling); the
 * share is kept, as the simulator's cap then reproduces the limited time.
 * A start is timed whole. Restores average golden and external (both from
 * the store, one demand in the host model); checkpoints are the store's.
 */
export function fitInWorker(
  limited: NonNullable<CalibrationSamples['limited']>,
  host: Pick<HostFit, 'restore' | 'checkpoint' | 'workerStart'>,
  restore: { readonly golden: SizeFit; readonly external: SizeFit },
  checkpointExternal: SizeFit,
  workerStartMs: readonly number[],
): InWorkerFit | undefined {
  const c = limited.cpuMilli / 1000;
  const part = (speed: number): InWorkerPart => {
    const s = Number.isFinite(speed) && speed > 0 ? speed : 1;
    return { speed: s, cpus: c / Math.min(1, s), bound: s < 0.9 };
  };
  const transfer = (ms: readonly number[], fit: SizeFit): InWorkerPart | undefined => {
    if (ms.length === 0 || !(fit.msPerMiB > 0)) return undefined;
    const limitedPart = nearestRank(ms, 0.5) - fit.base.medianMs;
    return part(limitedPart > 0 ? (limited.sizeMiB * fit.msPerMiB) / limitedPart : 1);
  };
  const golden = transfer(limited.restore.golden, restore.golden);
  const external = transfer(limited.restore.external, restore.external);
  const checkpoint = transfer(limited.checkpoint.external, checkpointExternal);
  if (golden === undefined || external === undefined || checkpoint === undefined || limited.workerStartMs.length === 0 || workerStartMs.length === 0) return undefined;
  const workerStart = part(nearestRank(workerStartMs, 0.5) / nearestRank(limited.workerStartMs, 0.5));
  const share = (cpus: number, demand: number): number => Math.min(10, cpus / demand);
  const p = limited.pair;
  const measured =
    p === undefined || p.golden.length === 0 || p.external.length === 0
      ? undefined
      : { restore: nearestRank(p.golden, 0.5) / nearestRank(limited.restore.golden, 0.5), checkpoint: nearestRank(p.external, 0.5) / nearestRank(limited.checkpoint.external, 0.5) };
  return {
    cpuMilli: limited.cpuMilli,
    sizeMiB: limited.sizeMiB,
    n: limited.restore.golden.length,
    golden,
    external,
    checkpoint,
    workerStart,
    share: { restore: share((golden.cpus + external.cpus) / 2, host.restore), checkpoint: share(checkpoint.cpus, host.checkpoint), workerStart: share(workerStart.cpus, host.workerStart) },
    ...(measured === undefined ? {} : { pair: { measured, written: { restore: pairRatio(measured.restore), checkpoint: pairRatio(measured.checkpoint) } } }),
  };
}

/** Threads of the snapshot store process (real/store: one Node.js event loop). */
const STORE_THREADS = 1;

/**
 * The store model is written only when its rms log error is below this
 * fraction of the host alone's: it has two more numbers fitted (the store's
 * demands) and, its host demands free, holds the host alone as a case (store
 * demands too small to bind), so on a sweep the store does not shape it
 * fits as well within rounding, and a tie is no reason for the larger model.
 */
const STORE_GAIN = 0.9;

/**
 * The host model from the mixed sweep: each batch's median restore and
 * checkpoint less their fitted base medians, against the size part of one
 * alone (size × ms per MiB of the one-at-a-time fit), by fitHostDemands.
 * Undefined without a sweep or a measured size term.
 */
export function fitHost(
  samples: CalibrationSamples,
  restoreExternal: SizeFit,
  checkpointExternal: SizeFit,
  contention: ContentionFit | undefined,
  cpus: number,
  withStore = false,
  restoreLocalFit?: SizeFit,
): HostFit | undefined {
  const mixed = samples.mixed ?? [];
  if (mixed.length === 0 || !(restoreExternal.msPerMiB > 0) || !(checkpointExternal.msPerMiB > 0) || !(cpus > 0)) return undefined;
  // Restores from the node beside a batch count where the sweep has them and their one-alone fit has a size term.
  const withLocals = restoreLocalFit !== undefined && restoreLocalFit.msPerMiB > 0;
  const obs: MixedObservation[] = mixed.map((m) => ({
    restores: m.restores,
    checkpoints: m.checkpoints,
    restoreMs: m.restoreMs.length > 0 ? nearestRank(m.restoreMs, 0.5) - restoreExternal.base.medianMs : Number.NaN,
    checkpointMs: m.checkpointMs.length > 0 ? nearestRank(m.checkpointMs, 0.5) - checkpointExternal.base.medianMs : Number.NaN,
    soloRestoreMs: m.sizeMiB * restoreExternal.msPerMiB,
    soloCheckpointMs: m.sizeMiB * checkpointExternal.msPerMiB,
    ...(withLocals && (m.localMs ?? []).length > 0
      ? { locals: localsOf(m), localMs: nearestRank(m.localMs!, 0.5) - restoreLocalFit.base.medianMs, soloLocalMs: m.sizeMiB * restoreLocalFit.msPerMiB }
      : {}),
  }));
  const start = contention?.workerStart;
  const restoreLocal = localDemand(contention, 'restore local', cpus);
  const checkpointLocal = localDemand(contention, 'checkpoint local', cpus);
  const f = fitHostDemands(obs, cpus, restoreLocal?.demand);
  // The store (a Node.js process: one thread) as a bottleneck of its own, where the worker's side of a transfer is known.
  // On one host (local) the cpus are shared between processes (host.share: process): the store is fitted under that
  // rule, and under the other for the comment.
  const local = restoreLocal !== undefined && checkpointLocal !== undefined ? { restore: restoreLocal.demand, checkpoint: checkpointLocal.demand } : undefined;
  const store = withStore && local !== undefined ? fitStoreDemands(obs, cpus, STORE_THREADS, local, 'process', f) : undefined;
  const storeOther = withStore && local !== undefined ? fitStoreDemands(obs, cpus, STORE_THREADS, local, 'job', f) : undefined;
  return {
    ...f,
    ...(withStore ? { share: 'process' as const } : {}),
    ...(store === undefined ? {} : { store, storeUsed: store.rmsLogError < STORE_GAIN * f.rmsLogError }),
    ...(storeOther === undefined ? {} : { storeOther }),
    cpus,
    workerStart: start === undefined ? 1 : start.cpus / start.capacity,
    workerStartFitted: start !== undefined,
    ...(restoreLocal === undefined ? {} : { restoreLocal }),
    ...(checkpointLocal === undefined ? {} : { checkpointLocal }),
  };
}

/**
 * The demand of a transfer of a snapshot kept on the node, from its own
 * series of the concurrency sweep: k equal jobs of demand d on `cpus` take
 * max(1, k d / cpus) times one alone, so d = cpus / C with C the series'
 * fitted capacity. Such a transfer never touches the store, so the mixed
 * sweep's demands (store transfers) say nothing of it: at the peak of
 * fleet-2000 a local restore ran 3.6x slower than alone while restores from
 * the store ran 25x. Undefined without the series (older samples) or when it
 * showed no sharing up to its largest k; the host's restore or checkpoint
 * demand then stands for it.
 */
function localDemand(contention: ContentionFit | undefined, series: string, cpus: number): LocalDemandFit | undefined {
  // With no store series swept the local ones are fitted as `transfers` (fitContention).
  const points = [...(contention?.transfers?.points ?? []), ...(contention?.localTransfers?.points ?? [])].filter((p) => p.series === series);
  if (points.length === 0) return undefined;
  const f = fitSharedCapacity(points);
  if (!Number.isFinite(f.capacity)) return undefined;
  return { demand: cpus / f.capacity, rmse: f.rmse, n: f.n };
}

/** A local transfer's demand fitted to its concurrency series (rmse of the slowdowns, n points). */
export interface LocalDemandFit {
  readonly demand: number;
  readonly rmse: number;
  readonly n: number;
}

/** A capacity fit with the slowdowns it was fitted to. */
export interface SweepFit extends CapacityFit {
  /** The slowdowns, each with the sweep series it came from ("restore golden", "workerStart none"). */
  readonly points: readonly (SlowdownPoint & { readonly series: string })[];
}

/**
 * What the concurrency sweep says about sharing: snapshot transfers through
 * the store (external and golden), transfers of local snapshots (the node's
 * own disk), and worker starts on `cpus` cpus.
 */
export interface ContentionFit {
  readonly transfers?: SweepFit;
  /** Local-snapshot transfers: a resource of their own when `separate`, else shown but sharing `transfers`. */
  readonly localTransfers?: SweepFit & { readonly separate: boolean };
  readonly workerStart?: SweepFit & { readonly cpus: number };
}

/**
 * Slowdowns of the sweep and the capacities fitted to them (fitSharedCapacity).
 * Transfers: per restore/checkpoint series, the median at k over the median
 * at k = 1, of the size part only (time less the fitted base median, which
 * the simulator does not share). Worker starts: the whole start. A series
 * without k = 1 gives no points.
 */
export function fitContention(
  sweep: readonly ConcurrencySample[],
  bases: (primitive: 'restore' | 'checkpoint', source: 'golden' | 'external' | 'local') => number,
  cpus: number,
  splitLocal = false,
): ContentionFit | undefined {
  const transfers: (SlowdownPoint & { series: string })[] = [];
  const localTransfers: (SlowdownPoint & { series: string })[] = [];
  const starts: (SlowdownPoint & { series: string })[] = [];
  const keys = [...new Set(sweep.map((c) => `${c.primitive} ${c.source}`))];
  for (const key of keys) {
    const rows = sweep.filter((c) => `${c.primitive} ${c.source}` === key);
    const one = rows.find((r) => r.k === 1);
    if (one === undefined) continue;
    const first = rows[0]!;
    const base = first.primitive === 'workerStart' || first.source === 'none' ? 0 : bases(first.primitive, first.source);
    const solo = nearestRank(one.ms, 0.5) - base;
    if (!(solo > 0)) continue;
    for (const r of [...rows].sort((a, b) => a.k - b.k)) {
      const point = { series: key, k: r.k, slowdown: (nearestRank(r.ms, 0.5) - base) / solo };
      (first.primitive === 'workerStart' ? starts : first.source === 'local' ? localTransfers : transfers).push(point);
    }
  }
  const fit = (points: (SlowdownPoint & { series: string })[]): SweepFit | undefined => {
    if (points.length === 0) return undefined;
    const f = fitSharedCapacity(points);
    return Number.isFinite(f.capacity) ? { ...f, points } : undefined;
  };
  // The capacity is fitted on the transfers that cross the store (golden, external), the
  // series a workload's resumes and suspends are made of. A local series (the node's disk,
  // its page cache absorbing writes: not even monotonic in k on this project's machine)
  // does not pull it. splitLocal (k8s: store and node disks are different machines) fits it
  // into a resource of its own; otherwise (one host, one set of cpus) local transfers share
  // the store's resource and their series is shown, not fitted. With no store series swept,
  // the local one stands for all transfers.
  const store = fit(transfers);
  const local = fit(localTransfers);
  const t = store ?? local;
  const l = store === undefined || local === undefined ? undefined : { ...local, separate: splitLocal };
  const w = fit(starts);
  if (t === undefined && w === undefined) return undefined;
  return { ...(t === undefined ? {} : { transfers: t }), ...(l === undefined ? {} : { localTransfers: l }), ...(w === undefined ? {} : { workerStart: { ...w, cpus } }) };
}

/**
 * Fits every primitive (rules in calibrate-fit.ts); coldBoot is evaluated at
 * `coldSizeMiB`; `cpus` of the machine, for the contention block, whose local
 * transfers get a resource of their own with `splitLocal` (see fitContention).
 */
export function fitCalibration(samples: CalibrationSamples, coldSizeMiB: number, cpus = 1, splitLocal = false): CalibrationFits {
  const cold = fitSizeCost(samples.restore.cold);
  const at = predictAt(cold, coldSizeMiB);
  const restore = { local: fitSizeCost(samples.restore.local), external: fitSizeCost(samples.restore.external), golden: fitSizeCost(samples.restore.golden) };
  const checkpoint = { local: fitSizeCost(samples.checkpoint.local), external: fitSizeCost(samples.checkpoint.external) };
  const contention = fitContention(
    samples.concurrency ?? [],
    (primitive, source) => (primitive === 'restore' ? restore[source] : checkpoint[source === 'golden' ? 'external' : source]).base.medianMs,
    cpus,
    splitLocal,
  );
  // The store model on one host (local): on k8s a transfer's worker limit caps it, which the store model does not combine with yet.
  const fitted = fitHost(samples, restore.external, checkpoint.external, contention, cpus, !splitLocal, restore.local);
  const inWorker = fitted === undefined || samples.limited === undefined ? undefined : fitInWorker(samples.limited, fitted, restore, checkpoint.external, samples.workerStartMs);
  const host = fitted === undefined || inWorker === undefined ? fitted : { ...fitted, inWorker };
  return {
    ...(host === undefined ? {} : { host }),
    workerStart: fitLognormal(samples.workerStartMs),
    dispatch: fitLognormal(samples.dispatch.map((s) => s.ms)),
    coldBoot: { fit: cold, atMiB: coldSizeMiB, medianMs: at.medianMs, p99Ms: at.p99Ms },
    restore,
    checkpoint,
    ...(contention === undefined ? {} : { contention }),
  };
}

/** A duration as the scenario format writes it, in ms with microsecond precision. */
export function durationText(ms: number): string {
  return `${Number(Math.max(0, ms).toFixed(3))}ms`;
}

function lognormalText(f: { medianMs: number; p99Ms: number }): string {
  return `{kind: lognormal, median: ${durationText(f.medianMs)}, p99: ${durationText(Math.max(f.medianMs, f.p99Ms))}}`;
}

function sizeCostText(f: SizeFit): string {
  return `{base: ${lognormalText(f.base)}, bandwidth: ${Number(f.mibPerSec.toFixed(1))}Mi/s}`;
}

/** Four significant digits: a capacity written so it never rounds to 0. */
function significant(x: number): string {
  return String(Number(x.toPrecision(4)));
}

/** An error message on one comment line: newlines folded, at most 300 characters. */
function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 297)}...` : flat;
}

function round(x: number, digits = 1): string {
  return Number.isFinite(x) ? String(Number(x.toFixed(digits))) : 'n/a';
}

/** "16 MiB 31.2 ms (fit 30.9), 64 MiB ...": observed medians by size next to what the fit predicts. */
function bySize(samples: readonly SizedSample[], fit: SizeFit): string {
  return fit.sizesMiB
    .map((s) => {
      const at = samples.filter((x) => x.sizeMiB === s).map((x) => x.ms);
      return `${s} MiB ${round(nearestRank(at, 0.5))} ms (fit ${round(predictAt(fit, s).medianMs)})`;
    })
    .join(', ');
}

function sizeComment(what: string, samples: readonly SizedSample[], fit: SizeFit): string {
  const law = fit.msPerMiB > 0 ? `${round(fit.base.medianMs)} ms + size / ${round(fit.mibPerSec, 0)} MiB/s` : `${round(fit.base.medianMs)} ms (no size dependence measured)`;
  return `  # ${what}: ${law}; n=${fit.n}, r2 ${round(fit.r2, 3)}. Medians by size: ${bySize(samples, fit)}.`;
}

/** What each primitive was on the backend measured, for the profile's comments. */
interface Wording {
  readonly where: string;
  readonly workerStart: string;
  readonly external: string;
  readonly local: string;
  readonly checkpointLocal: string;
  readonly dispatch: string;
}

function wordingOf(meta: CalibrationMeta): Wording {
  if (meta.cluster === undefined) {
    return {
      where: 'this machine',
      workerStart: 'Worker process from spawn to READY (node + tsx start-up, listening)',
      external: 'From the store process over loopback HTTP, checksum verified',
      local: "From the node's folder (page cache warm: written just before)",
      checkpointLocal: "To the node's folder: hash, write, fsync, rename",
      dispatch: '(HTTP round trip and a timer',
    };
  }
  return {
    where: 'this cluster',
    workerStart: `Worker pod from the driver's create request to its server answering the driver (scheduling, the ${meta.cluster.runtimeClass} sandbox, node + tsx start-up; /healthz polled every 50 ms)`,
    external: 'From the store pod over the pod network, checksum verified',
    local: "From the node's volume (the scenario node's claim; page cache warm: written just before)",
    checkpointLocal: "To the node's volume: hash, write, fsync, rename",
    dispatch: '(HTTP round trip from the driver pod over the pod network and a timer',
  };
}

/** The header lines that say where the samples were taken: the machine, or the cluster and the driver's view of its node. */
function whereLines(meta: CalibrationMeta): string[] {
  const machine = `${meta.cpuModel}, ${meta.cpus} cpus, ${round(meta.memoryGiB)} GiB, ${meta.os}, Node ${meta.node}`;
  const c = meta.cluster;
  if (c === undefined) return [`#   machine:  ${machine}`];
  return [
    `#   cluster:  context ${c.context} (${c.server}), Kubernetes ${c.version}, ${c.nodes === null ? 'unknown number of' : c.nodes} schedulable node(s)`,
    `#   pods:     runtime class ${c.runtimeClass}, image ${c.image}, namespace ${c.namespace} (deleted after)${c.workerCpu === undefined ? '' : `, worker cpu ${c.workerCpu} (--worker-cpu)`}`,
    `#   driver:   ${machine} (as the driver pod saw its node)`,
  ];
}

/**
 * The cost profile as YAML in the format of scenarios/profiles/ (loadable
 * by name or path), every number with a comment saying what was measured.
 * Raw samples go to `samplesFile` beside it: the profile schema is strict.
 */
export function renderProfile(name: string, fits: CalibrationFits, samples: CalibrationSamples, meta: CalibrationMeta, samplesFile: string): string {
  const w = wordingOf(meta);
  const c = meta.cluster;
  const lines = [
    `# Calibrated by \`npm run calibrate\` on ${c === undefined ? `${meta.backend} workers` : 'worker pods of a Kubernetes cluster'}: every number below was measured on`,
    `# ${w.where}, not taken from a publication. Re-run to refresh it; do not edit by hand.`,
    `#   command:  ${meta.command}`,
    ...whereLines(meta),
    `#   date:     ${meta.date} (${round(meta.wallMs / 1000)} s of measuring)`,
    `#   load:     load average (1/5/15 min) ${meta.loadAverage.before.map((x) => x.toFixed(2)).join('/')} before, ${meta.loadAverage.after.map((x) => x.toFixed(2)).join('/')} after (${meta.cpus} cpus)`,
    ...(meta.hostLoad === undefined ? [] : [`#   machine load: ${hostLoadLine(meta.hostLoad)}`, ...meta.hostLoad.warnings.map((w) => `#   BUSY:     ${w}`)]),
    `#   grid:     sizes ${meta.sizesMiB.map((s) => `${s} MiB`).join(', ')}; ${meta.repeats} repeats each, one primitive at a time on an otherwise idle worker${c === undefined ? '' : ' pod'}`,
    `#   samples:  ${samplesFile} (beside this file): every raw sample, in ms`,
    ...(samples.failed ?? []).map((f) => `#   INCOMPLETE: the ${f.series} sweep failed part way (${oneLine(f.error)}); what it measured before is fitted below`),
    ...cpuLines(samples),
    `# Fit (fidelity/calibrate/fit.ts): time = base + size / bandwidth, bandwidth by least squares over all`,
    `# sizes; base a lognormal whose median and p99 are the median and nearest-rank p99 of each sample's`,
    `# intercept (time - size / bandwidth); with few repeats the p99 is the worst intercept seen.`,
    ...(fits.contention === undefined
      ? [`# Primitives were measured alone: contention between concurrent restores, checkpoints and`, `# executions on a busy machine is not in these numbers.`]
      : [
          `# Primitives were measured alone; how concurrent transfers and worker starts slow each other`,
          `# down is the contention block at the end, fitted to the concurrency sweep (executions are not in it).`,
        ]),
    `name: ${name}`,
    `source: >-`,
    c === undefined
      ? `  Measured by npm run calibrate --backend ${meta.backend} on ${meta.cpuModel} (${meta.cpus} cpus), ${meta.date};`
      : `  Measured by npm run calibrate --backend k8s on cluster context ${c.context} (${c.nodes ?? '?'} nodes, runtime class ${c.runtimeClass}), ${meta.date};`,
    `  ${fits.restore.external.n} samples per restore source, raw samples in ${samplesFile}.`,
    `# ${w.workerStart}: n=${fits.workerStart.n},`,
    `# min ${round(Math.min(...samples.workerStartMs))} ms, max ${round(Math.max(...samples.workerStartMs))} ms. Started one at a time.`,
    `workerStart: ${lognormalText(fits.workerStart)}`,
    `# No snapshot: the worker writes a fresh region. Fitted as ${round(fits.coldBoot.fit.base.medianMs)} ms + size / ${round(fits.coldBoot.fit.mibPerSec, 0)} MiB/s`,
    `# (n=${fits.coldBoot.fit.n}; medians by size: ${bySize(samples.restore.cold, fits.coldBoot.fit)});`,
    `# coldBoot has no size in the format, so this is the fit at ${fits.coldBoot.atMiB} MiB (--cold-size).`,
    `coldBoot: ${lognormalText(fits.coldBoot)}`,
    `restore:`,
    sizeComment(w.external, samples.restore.external, fits.restore.external),
    `  external: ${sizeCostText(fits.restore.external)}`,
    sizeComment(w.local, samples.restore.local, fits.restore.local),
    `  local: ${sizeCostText(fits.restore.local)}`,
    sizeComment("The template's golden snapshot from the store, once it exists", samples.restore.golden, fits.restore.golden),
    samples.goldenFirst.length > 0
      ? `  # (The first golden restore of a template boots and publishes it: ${samples.goldenFirst.map((s) => `${s.sizeMiB} MiB ${round(s.ms)} ms`).join(', ')}; not fitted.)`
      : '  # (No first golden restore was timed.)',
    `  golden: ${sizeCostText(fits.restore.golden)}`,
    `checkpoint:`,
    sizeComment('Upload to the store, with a copy kept in the node folder (as the worker does)', samples.checkpoint.external, fits.checkpoint.external),
    `  external: ${sizeCostText(fits.checkpoint.external)}`,
    sizeComment(w.checkpointLocal, samples.checkpoint.local, fits.checkpoint.local),
    `  local: ${sizeCostText(fits.checkpoint.local)}`,
    `# An execute with workMs 0 on a resident actor, command to completion ${w.dispatch}`,
    `# turn): n=${fits.dispatch.n}, all sizes pooled.`,
    `dispatch: ${lognormalText(fits.dispatch)}`,
    `# The driver gives a restore or a checkpoint up after this long (real/worker/client.ts, not measured): the core sees a failure and`,
    `# retries, while the worker carries the primitive on and refuses the actor's other requests until it ends.`,
    `requestTimeout: ${REQUEST_TIMEOUT_MS}ms`,
    ...(fits.host === undefined && samples.limited !== undefined
      ? [`# The --limited series was measured (samples file) but not fitted: inWorker needs the host model, and the mixed sweep gave none.`]
      : []),
    ...(fits.host === undefined ? contentionLines(fits.contention, meta) : hostLines(fits.host, samples, meta)),
    ...concurrencyComment(samples.concurrency ?? [], fits.contention !== undefined),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * The concurrency sweep as comments: per primitive, the median time with k
 * at once against k = 1. A ratio near k means the primitives share one
 * resource (cpu, disk, loopback) and take turns, which the format (each
 * primitive drawn on its own) cannot say; the simulator will under-predict
 * them by that ratio whenever that many run at once.
 */
function concurrencyComment(sweep: readonly ConcurrencySample[], fitted: boolean): string[] {
  if (sweep.length === 0) return [];
  const lines = [`# Concurrency sweep (${fitted ? 'fitted into contention above' : 'not part of the model'}): median ms with k workers running the primitive at once.`];
  const keys = [...new Set(sweep.map((c) => `${c.primitive} ${c.source} ${c.sizeMiB}`))];
  for (const key of keys) {
    const rows = sweep.filter((c) => `${c.primitive} ${c.source} ${c.sizeMiB}` === key).sort((a, b) => a.k - b.k);
    const what = rows[0]!.primitive === 'workerStart' ? 'worker start (k started at once)' : `${key} MiB`;
    const one = rows.find((r) => r.k === 1);
    const base = one === undefined ? Number.NaN : nearestRank(one.ms, 0.5);
    const cells = rows.map((r) => {
      const m = nearestRank(r.ms, 0.5);
      return `k=${r.k} ${round(m, 0)}${Number.isFinite(base) && base > 0 ? ` (${round(m / base, 2)}x)` : ''}`;
    });
    lines.push(`#   ${what}: ${cells.join(', ')}`);
  }
  return lines;
}

/**
 * The scope of the contention block. The simulator keeps one set of
 * contended resources per scope key (sim/runtime.ts, Contention): `machine`
 * one for the whole run, `node` one per *scenario* node a worker was started
 * on. Locally every worker and the store share this host: machine. On
 * Kubernetes the launcher pins the scenario nodes' claims round robin over
 * the schedulable cluster nodes (real/k8s/launch.ts, pinClaims), so on a
 * single-node cluster every scenario node is that one node: its worker pods,
 * the store pod and the driver all share its cpus and disk, one set of
 * resources for the whole run, which is `machine`; `node` would give a
 * scenario with two nodes (scenarios/small.yaml) two nodes' worth of cpus
 * that do not exist, and the simulator would miss the contention a real run
 * has. With several schedulable nodes the scenario nodes spread over them and
 * `node` is the nearer (though the store still sits on one of them). Nodes
 * that could not be counted: machine, the choice that invents no capacity.
 */
export function contentionScope(meta: Pick<CalibrationMeta, 'backend' | 'cluster'>): 'machine' | 'node' {
  if (meta.backend !== 'k8s') return 'machine';
  const nodes = meta.cluster?.nodes ?? null;
  return nodes !== null && nodes > 1 ? 'node' : 'machine';
}

/** The comment line saying why the block has its scope. */
function scopeComment(meta: Pick<CalibrationMeta, 'backend' | 'cluster'>): string {
  if (meta.backend !== 'k8s') return `# scope machine: every local worker and the store share this one host.`;
  const nodes = meta.cluster?.nodes ?? null;
  if (nodes !== null && nodes > 1) return `# scope node: ${nodes} schedulable nodes, scenario nodes spread over them; the calibration's worker pods shared one node (and its storage claim).`;
  return nodes === 1
    ? `# scope machine: a single-node cluster, whose worker pods, store and driver share one node's cpus, whatever the scenario's nodes.`
    : `# scope machine: the cluster's nodes could not be counted; machine invents no capacity a single node would not have.`;
}

/** The `contention` block as one host model fitted to the mixed sweep, with a comment saying how. */
function hostLines(h: HostFit, samples: CalibrationSamples, meta: Pick<CalibrationMeta, 'backend' | 'cluster'>): string[] {
  const batches = (samples.mixed ?? [])
    .map(
      (m) =>
        `${m.restores}+${m.checkpoints}: ${round(nearestRank(m.restoreMs, 0.5), 0)}/${round(nearestRank(m.checkpointMs, 0.5), 0)}` +
        ((m.localMs ?? []).length > 0 ? `/${round(nearestRank(m.localMs!, 0.5), 0)} ms (${localsOf(m)} from the node)` : ' ms'),
    )
    .join(', ');
  const locals = (samples.mixed ?? []).some((m) => (m.localMs ?? []).length > 0);
  return [
    `# Contention: one host model (fidelity/calibrate/fit.ts fitHostDemands), fitted to the mixed sweep of`,
    locals
      ? `# restores + checkpoints from and to the store started together, every actor resident, with restores from the node beside them (median restore/checkpoint/from the node):`
      : `# restores + checkpoints from and to the store started together, every actor resident (median restore/checkpoint):`,
    `#   ${batches};`,
    `# restore and checkpoint demands (cpus each uses alone; the cpus shared max-min fairly, as the simulator shares them)`,
    `# by least squares of the log error, rms ${round(h.rmsLogError, 3)} (n=${h.n});`,
    ...(h.restore > h.cpus || h.checkpoint > h.cpus
      ? [
          `# WARNING: a demand above the ${h.cpus} cpus (restore ${significant(h.restore)}, checkpoint ${significant(h.checkpoint)}) slows even one primitive alone below its measured`,
          `# speed: the mixed sweep ran slower than the one-at-a-time figures allow (a machine that slowed while it was measured?).`,
        ]
      : []),
    h.workerStartFitted ? `# workerStart from the worker-start series of the concurrency sweep.` : `# workerStart not swept: taken as 1 cpu (run with --concurrency to fit it).`,
    localDemandComment(h),
    ...(h.store === undefined
      ? []
      : h.storeUsed === true
        ? [
            `# store: the snapshot store is one Node.js process, ${h.store.threads} thread, that every transfer through it shares (fitStoreDemands):`,
            `# each restore and checkpoint keeps ${significant(h.store.restore)} and ${significant(h.store.checkpoint)} of it busy alone, fitted to the same sweep (rms ${round(h.store.rmsLogError, 3)}, n=${h.store.n},`,
            `# the host alone ${round(h.rmsLogError, 3)}), its host demands fitted with them (${significant(h.store.hostRestore)} and ${significant(h.store.hostCheckpoint)}, written as restore and checkpoint)`,
            `# instead of the host-alone fit's ${significant(h.restore)} and ${significant(h.checkpoint)}. A local transfer does not wait for the store.`,
          ]
        : [
            `# store (not used): the store as one thread every store transfer shares (fitStoreDemands) fits the sweep no better (written below 0.9x), rms ${round(h.store.rmsLogError, 3)}`,
            `# (store demands ${significant(h.store.restore)} and ${significant(h.store.checkpoint)}, cpus shared by ${h.store.share}), the host alone ${round(h.rmsLogError, 3)}, so the host alone is written.`,
            ...(h.storeOther === undefined ? [] : [`# Shared by ${h.storeOther.share}, the store fits it with rms ${round(h.storeOther.rmsLogError, 3)}.`]),
          ]),
    ...(h.share === 'process'
      ? [
          `# share: process: the cpus are shared between processes (each worker, the store), as the kernel shares them between`,
          `# threads, and each process's between its own primitives (sim/contention.ts processRates). The sweeps cannot tell this`,
          `# from sharing by job (each of their workers runs one primitive at a time); real runs at a peak, where a worker restores`,
          `# one actor from its disk while another actor's transfer waits, can (README, Fidelity: the runs that chose it).`,
        ]
      : []),
    scopeComment(meta),
    ...(meta.backend === 'k8s'
      ? [
          `# workerLimits: a pool with a worker cpu gives its pods that cpu as a limit (real/k8s/worker-pod.ts), so the simulation caps each`,
          `# worker at it; these demands were measured on pods without a limit (calibrate sets only the request).`,
          ...inWorkerComment(h, samples),
        ]
      : []),
    'contention:',
    `  scope: ${contentionScope(meta)}`,
    `  host: {cpus: ${h.cpus}, restore: ${significant(h.storeUsed === true ? h.store!.hostRestore : h.restore)}, checkpoint: ${significant(h.storeUsed === true ? h.store!.hostCheckpoint : h.checkpoint)}, ${
      h.restoreLocal === undefined ? '' : `restoreLocal: ${significant(h.restoreLocal.demand)}, `
    }${h.checkpointLocal === undefined ? '' : `checkpointLocal: ${significant(h.checkpointLocal.demand)}, `}workerStart: ${significant(h.workerStart)}${meta.backend === 'k8s' ? ', workerLimits: true' : ''}${
      meta.backend === 'k8s' && h.inWorker !== undefined ? `, inWorker: {restore: ${share(h.inWorker.share.restore)}, checkpoint: ${share(h.inWorker.share.checkpoint)}, workerStart: ${share(h.inWorker.share.workerStart)}}` : ''
    }${
      meta.backend === 'k8s' && h.inWorker?.pair !== undefined ? `, pairUnderLimit: {restore: ${round(h.inWorker.pair.written.restore, 3)}, checkpoint: ${round(h.inWorker.pair.written.checkpoint, 3)}}` : ''
    }${h.storeUsed !== true ? '' : `, store: {threads: ${h.store!.threads}, restore: ${significant(h.store!.restore)}, checkpoint: ${significant(h.store!.checkpoint)}}`}${h.share === 'process' ? ', share: process' : ''}}`,
  ];
}

/** A share as the profile writes it: three decimals, never 0. */
function share(x: number): string {
  return String(Math.max(0.001, Number(x.toFixed(3))));
}

/** How the inWorker shares were fitted from the --limited series, or why there are none. */
function inWorkerComment(h: HostFit, samples: CalibrationSamples): string[] {
  const f = h.inWorker;
  if (f === undefined) return samples.limited === undefined ? [`# inWorker not measured (calibrate --limited 200m measures it): a pod's limit caps all of each demand.`] : [`# inWorker not fitted: the --limited series lacks a primitive or a size term to compare with.`];
  const med = (ms: readonly number[]): string => `${round(nearestRank(ms, 0.5) / 1000, 2)} s`;
  const l = samples.limited!;
  const p = (name: string, ms: readonly number[], x: InWorkerPart): string => `${name} ${med(ms)} (${round(x.speed, 2)}x the unlimited speed: ${x.bound ? '' : 'at most '}${round(x.cpus, 2)} cpus in the worker)`;
  return [
    `# inWorker from the --limited series: each primitive alone on a pod limited to ${f.cpuMilli}m, ${f.sizeMiB} MiB, n=${f.n} (medians):`,
    `#   ${p('golden restore', l.restore.golden, f.golden)}, ${p('restore from the store', l.restore.external, f.external)},`,
    `#   ${p('checkpoint to the store', l.checkpoint.external, f.checkpoint)}, ${p('worker start', l.workerStartMs, f.workerStart)};`,
    `#   node-folder restore ${med(l.restore.local)} and checkpoint ${med(l.checkpoint.local)} (shown, not fitted);`,
    ...(f.pair === undefined || l.pair === undefined
      ? []
      : [
          `#   two at once on the pod, n=${l.pair.golden.length} each: golden restores ${med(l.pair.golden)} each (${round(f.pair.measured.restore, 2)}x one alone),`,
          `#   checkpoints to the store ${med(l.pair.external)} (${round(f.pair.measured.checkpoint, 2)}x); written as pairUnderLimit (within 1.05-2; 2 is the limit shared`,
          `#   equally): n at once share their limit as if it were n / (1 + (n - 1)(ratio - 1)) times larger (sim/contention.ts limitGain);`,
          `#   worker starts were not paired: they share it equally.`,
        ]),
    `# the shares are those cpus over the demands (restore: golden and external averaged; above 1, the limit costs more than the demand:`,
    `# CFS throttling); a limit that did not slow a`,
    `# primitive (speed 0.9 or more) gives only an upper bound.`,
  ];
}

/** Where the local transfers' demands come from, or why the store's stand for them. */
function localDemandComment(h: HostFit): string {
  const part = (name: string, f: LocalDemandFit | undefined, fallback: string): string =>
    f === undefined ? `${name} not fitted (no series of its own, or no sharing seen): ${fallback} stands for it` : `${name} from its own series (rmse ${round(f.rmse, 2)}, n=${f.n})`;
  return `# ${part('restoreLocal', h.restoreLocal, 'restore')}; ${part('checkpointLocal', h.checkpointLocal, 'checkpoint')} (concurrency sweep, snapshots kept on the node).`;
}

/** The `contention` block fitted to the sweep, with a comment saying how; none without a sweep. */
function contentionLines(c: ContentionFit | undefined, meta: Pick<CalibrationMeta, 'backend' | 'cluster'>): string[] {
  if (c === undefined) return [];
  // "restore golden 1.49/2.9/5.7x at k=2/4/8": one group per series, k = 1 (always 1x) left out.
  const slowdowns = (f: SweepFit): string => {
    const groups = [...new Set(f.points.map((p) => p.series))].map((series) => {
      const ps = f.points.filter((p) => p.series === series && p.k !== 1);
      const name = series === 'workerStart none' ? '' : `${series} `;
      return `${name}${ps.map((p) => round(p.slowdown, 2)).join('/')}x at k=${ps.map((p) => p.k).join('/')}`;
    });
    return groups.join('; ');
  };
  const lines = [
    `# Contention, fitted to the concurrency sweep below (fidelity/calibrate/fit.ts fitSharedCapacity): k at once`,
    `# take max(1, k / capacity) times one alone, capacity by least squares over the sweep's medians.`,
    scopeComment(meta),
  ];
  if (c.transfers !== undefined) {
    lines.push(
      `# transfers: size part of each restore/checkpoint (median less the fitted base), slowdowns`,
      `#   ${slowdowns(c.transfers)};`,
      `#   streams ${round(c.transfers.capacity, 3)}, rmse ${round(c.transfers.rmse, 2)} (n=${c.transfers.n}).`,
    );
  }
  if (c.localTransfers?.separate === true) {
    lines.push(
      `# transfers.local: local snapshots (the node's disk, not the store), fitted apart, slowdowns`,
      `#   ${slowdowns(c.localTransfers)};`,
      `#   local ${round(c.localTransfers.capacity, 3)}, rmse ${round(c.localTransfers.rmse, 2)} (n=${c.localTransfers.n}).`,
    );
  } else if (c.localTransfers !== undefined) {
    lines.push(
      `# Local snapshots share that resource (one host, one set of cpus) but their sweep is not in the fit:`,
      `#   ${slowdowns(c.localTransfers)} (alone they would fit ${round(c.localTransfers.capacity, 3)}); the node's page cache`,
      `#   absorbs those writes, so they say little of the capacity the store-bound transfers share.`,
    );
  }
  if (c.workerStart !== undefined) {
    lines.push(
      `# cpu: k workers started at once, slowdowns ${slowdowns(c.workerStart)}; ${round(c.workerStart.capacity, 3)} starts`,
      `#   at full speed on ${c.workerStart.cpus} cpus, so one start uses ${round(c.workerStart.cpus / c.workerStart.capacity, 3)} cpus; rmse ${round(c.workerStart.rmse, 2)} (n=${c.workerStart.n}).`,
    );
  }
  lines.push('contention:', `  scope: ${contentionScope(meta)}`);
  if (c.transfers !== undefined) {
    const local = c.localTransfers?.separate === true ? `, local: ${significant(c.localTransfers.capacity)}` : '';
    lines.push(`  transfers: {streams: ${significant(c.transfers.capacity)}${local}}`);
  }
  if (c.workerStart !== undefined) lines.push(`  cpu: {cpus: ${c.workerStart.cpus}, workerStart: ${significant(c.workerStart.cpus / c.workerStart.capacity)}}`);
  return lines;
}

/**
 * What the store process and the workers spent in cpu per MiB moved, from
 * the one-at-a-time transfers (least squares through the origin over the
 * sizes), and per mixed batch: recorded for the host model to be fitted to
 * (issue 18: at the fleet-2000 peak the store's one thread saturated), not
 * used by the simulator yet. None without cpu samples (k8s, or older files).
 */
export function cpuLines(samples: CalibrationSamples): string[] {
  const cpu = samples.cpu ?? [];
  if (cpu.length === 0) return [];
  const perMiB = (xs: readonly CpuSample[], of: 'storeMs' | 'workersMs'): number | undefined => {
    const ok = xs.filter((x) => x[of] !== null && x.sizeMiB > 0);
    const sxx = ok.reduce((a, x) => a + x.sizeMiB * x.sizeMiB, 0);
    return ok.length === 0 || sxx === 0 ? undefined : ok.reduce((a, x) => a + x.sizeMiB * x[of]!, 0) / sxx;
  };
  const ms = (x: number | undefined): string => (x === undefined ? '?' : round(x, 2).toString());
  const kinds: [CpuSample['primitive'], CpuSample['source'], string][] = [
    ['restore', 'golden', 'golden restore'],
    ['restore', 'external', 'restore from the store'],
    ['checkpoint', 'external', 'checkpoint to the store'],
    ['restore', 'local', 'restore from the node'],
    ['checkpoint', 'local', 'checkpoint to the node'],
  ];
  const one = kinds
    .map(([p, src, label]) => ({ label, xs: cpu.filter((x) => x.primitive === p && x.source === src && x.k === 1) }))
    .filter((x) => x.xs.length > 0)
    .map((x) => `#     ${x.label}: store ${ms(perMiB(x.xs, 'storeMs'))}, workers ${ms(perMiB(x.xs, 'workersMs'))} (n=${x.xs.length})`);
  const batches = [...new Set(cpu.filter((x) => x.primitive === 'mixed').map((x) => x.k))].sort((a, b) => a - b).map((k) => {
    const xs = cpu.filter((x) => x.primitive === 'mixed' && x.k === k);
    const mean = (of: 'storeMs' | 'workersMs'): number | undefined => {
      const v = xs.map((x) => x[of]).filter((x): x is number => x !== null);
      return v.length === 0 ? undefined : v.reduce((a, b) => a + b, 0) / v.length;
    };
    return `${k}: store ${ms(mean('storeMs'))}, workers ${ms(mean('workersMs'))} ms`;
  });
  return [
    `# Cpu time (user + system, from /proc) per MiB moved, one transfer at a time, ms per MiB; not used by`,
    `# the simulator yet:`,
    ...one,
    ...(batches.length === 0 ? [] : [`#   per mixed batch (mean over repeats): ${batches.join('; ')}`]),
  ];
}

/** The raw samples and the fits as JSON, written beside the profile. */
export function renderSamples(name: string, fits: CalibrationFits, samples: CalibrationSamples, meta: CalibrationMeta): string {
  const round3 = (s: SizedSample): SizedSample => ({ sizeMiB: s.sizeMiB, ms: Number(s.ms.toFixed(3)) });
  const sized = (xs: readonly SizedSample[]): SizedSample[] => xs.map(round3);
  const ms3 = (xs: readonly number[]): number[] => xs.map((x) => Number(x.toFixed(3)));
  return `${JSON.stringify(
    {
      profile: name,
      meta,
      fits,
      samples: {
        workerStartMs: samples.workerStartMs.map((x) => Number(x.toFixed(3))),
        dispatch: sized(samples.dispatch),
        restore: { local: sized(samples.restore.local), external: sized(samples.restore.external), golden: sized(samples.restore.golden), cold: sized(samples.restore.cold) },
        goldenFirst: sized(samples.goldenFirst),
        checkpoint: { local: sized(samples.checkpoint.local), external: sized(samples.checkpoint.external) },
        concurrency: (samples.concurrency ?? []).map((c) => ({ ...c, ms: c.ms.map((x) => Number(x.toFixed(3))) })),
        ...(samples.mixed === undefined
          ? {}
          : {
              mixed: samples.mixed.map((m) => ({
                ...m,
                restoreMs: m.restoreMs.map((x) => Number(x.toFixed(3))),
                checkpointMs: m.checkpointMs.map((x) => Number(x.toFixed(3))),
                ...(m.localMs === undefined ? {} : { localMs: m.localMs.map((x) => Number(x.toFixed(3))) }),
              })),
            }),
        ...(samples.limited === undefined
          ? {}
          : {
              limited: {
                ...samples.limited,
                workerStartMs: ms3(samples.limited.workerStartMs),
                restore: { golden: ms3(samples.limited.restore.golden), external: ms3(samples.limited.restore.external), local: ms3(samples.limited.restore.local) },
                checkpoint: { external: ms3(samples.limited.checkpoint.external), local: ms3(samples.limited.checkpoint.local) },
                ...(samples.limited.pair === undefined ? {} : { pair: { golden: ms3(samples.limited.pair.golden), external: ms3(samples.limited.pair.external) } }),
              },
            }),
        ...(samples.cpu === undefined ? {} : { cpu: samples.cpu }),
        ...(samples.failed === undefined ? {} : { failed: samples.failed }),
      },
    },
    null,
    2,
  )}\n`;
}

const sized = z.array(z.object({ sizeMiB: z.number(), ms: z.number().min(0) }));

/** Schema of the samples the driver streams back (the launcher checks them before fitting: the image may be another version). */
export const samplesSchema = z.object({
  workerStartMs: z.array(z.number().min(0)),
  dispatch: sized,
  restore: z.object({ local: sized, external: sized, golden: sized, cold: sized }),
  goldenFirst: sized,
  checkpoint: z.object({ local: sized, external: sized }),
  concurrency: z
    .array(z.object({ k: z.number().int().min(1), primitive: z.enum(['restore', 'checkpoint', 'workerStart']), source: z.enum(['golden', 'external', 'local', 'none']), sizeMiB: z.number(), ms: z.array(z.number().min(0)) }))
    .optional(),
  mixed: z
    .array(z.object({ k: z.number().int().min(1), restores: z.number().int().min(0), checkpoints: z.number().int().min(0), sizeMiB: z.number(), restoreMs: z.array(z.number().min(0)), checkpointMs: z.array(z.number().min(0)), locals: z.number().int().min(0).optional(), localMs: z.array(z.number().min(0)).optional() }))
    .optional(),
  limited: z
    .object({
      cpuMilli: z.number().int().min(1),
      sizeMiB: z.number().positive(),
      workerStartMs: z.array(z.number().min(0)),
      restore: z.object({ golden: z.array(z.number().min(0)), external: z.array(z.number().min(0)), local: z.array(z.number().min(0)) }),
      checkpoint: z.object({ external: z.array(z.number().min(0)), local: z.array(z.number().min(0)) }),
      pair: z.object({ golden: z.array(z.number().min(0)), external: z.array(z.number().min(0)) }).optional(),
    })
    .optional(),
  cpu: z
    .array(
      z.object({
        primitive: z.enum(['restore', 'checkpoint', 'mixed']),
        source: z.enum(['golden', 'external', 'local', 'mixed']),
        sizeMiB: z.number(),
        k: z.number().int().min(1),
        storeMs: z.number().nullable(),
        workersMs: z.number().nullable(),
      }),
    )
    .optional(),
  failed: z.array(z.object({ series: z.enum(['concurrency', 'mixed', 'limited']), error: z.string() })).optional(),
});

/** Schema of the driver's view of its node. */
export const driverFactsSchema = z.object({
  cpuModel: z.string(),
  cpus: z.number().int().min(0),
  os: z.string(),
  node: z.string(),
  memoryGiB: z.number().min(0),
  loadAverage: z.object({ before: z.array(z.number()), after: z.array(z.number()) }),
});

/** Schema of a `<profile>.samples.json` as renderSamples writes it (the fits are recomputed, not read). */
export const samplesFileSchema = z.object({
  profile: z.string(),
  meta: driverFactsSchema.extend({
    backend: z.enum(['local', 'k8s']),
    cluster: z
      .object({ context: z.string(), server: z.string(), version: z.string(), nodes: z.number().int().nullable(), runtimeClass: z.string(), image: z.string(), namespace: z.string(), workerCpu: z.string().optional() })
      .optional(),
    date: z.string(),
    sizesMiB: z.array(z.number().positive()),
    repeats: z.number().int().min(1),
    command: z.string(),
    wallMs: z.number().min(0),
    // Written since issue 18; NaN steal shares are null in JSON.
    hostLoad: z.any().optional(),
  }),
  samples: samplesSchema,
});
