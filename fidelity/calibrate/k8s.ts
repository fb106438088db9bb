import { dumpYaml, type V1Pod } from '@kubernetes/client-node';
import type { Io } from '../../cli/io.ts';
import {
  CALIBRATE_NODE,
  CALIBRATE_REQUEST_TIMEOUT_MS,
  CALIBRATE_LIMITED_POOL,
  CALIBRATE_POOL,
  CALIBRATE_SLOTS,
  CalibrationInterruptedError,
  calibrationWorkerMemoryMiB,
  largestMixedK,
  mixedLocals,
  sweepWorkerMemoryMiB,
  type CalibrationSamples,
  type MachineFacts,
  type MeasureOptions,
} from '../../real/primitives.ts';
import { fittingWorkerCount, podRequests, runPodGroups, type CapacityNeed } from '../../real/k8s/capacity.ts';
import { K8sBenchError } from '../../real/k8s/errors.ts';
import type { K8sFlags } from '../../real/k8s/flags.ts';
import { CALIBRATION_COMMAND, CALIBRATION_KEY, DRIVER_FILE, SAMPLES_FILE, calibrationConfigFiles, type JobCalibration } from '../../real/k8s/job-calibration.ts';
import { checkCapacity, connectCluster, planFor, runDriverJob, type ConnectedCluster, type PlanTuning } from '../../real/k8s/launch.ts';
import { STORE_SERVICE, runManifests, type RunManifest } from '../../real/k8s/manifests.ts';
import { newRunId } from '../../real/k8s/names.ts';
import { storeUrl } from '../../real/k8s/plan.ts';
import { workerPod } from '../../real/k8s/worker-pod.ts';
import { driverFactsSchema, samplesSchema, type CalibrationCluster } from './profile.ts';

/** What a calibration on Kubernetes brings back to the launcher. */
export interface K8sCalibration {
  readonly samples: CalibrationSamples;
  /** The driver pod's view of its node. */
  readonly facts: MachineFacts;
  readonly cluster: CalibrationCluster;
}

/** What a calibration on Kubernetes measures, and on what: calibrate's options for --backend k8s. */
export interface K8sCalibrateOptions extends Pick<MeasureOptions, 'sizesMiB' | 'repeats' | 'concurrency' | 'concurrencySizeMiB' | 'mixed' | 'limitedCpuMilli'> {
  readonly k8s: K8sFlags;
  readonly runtimeClass: string;
  /** Print the manifests instead of applying them. */
  readonly dryRun: boolean;
}

/**
 * How long the calibration Job may run before Kubernetes stops it: half an
 * hour of pod starts, and two minutes per size and repeat and per sweep step.
 */
export function calibrationDeadlineSeconds(opts: Pick<K8sCalibrateOptions, 'sizesMiB' | 'repeats' | 'concurrency' | 'mixed' | 'limitedCpuMilli'>): number {
  return 1800 + 120 * opts.repeats * (opts.sizesMiB.length + (opts.concurrency?.length ?? 0) + (opts.mixed?.length ?? 0) + (opts.limitedCpuMilli === undefined ? 0 : 2));
}

/**
 * What a calibration runs at once, phase by phase, for the capacity check:
 * one worker pod while it measures one primitive at a time, then the
 * largest k of each sweep (k worker pods of the sweep's size on one node),
 * each beside the store and the driver.
 */
export function calibrationNeeds(job: JobCalibration): CapacityNeed[] {
  const fixed = runPodGroups(job.plan);
  const workers = (what: string, count: number, memoryMiB: number): CapacityNeed => ({
    name: what,
    groups: [{ what: 'worker pods', count, requests: podRequests(calibrationWorkerPod(job, memoryMiB).spec), worker: true }, ...fixed],
  });
  const needs = [workers('the one-at-a-time measuring', 1, calibrationWorkerMemoryMiB(job))];
  const sweepMiB = sweepWorkerMemoryMiB(job);
  if (job.concurrency.length > 0) needs.push(workers(`--concurrency ${Math.max(...job.concurrency)}`, Math.max(...job.concurrency), sweepMiB));
  // The mixed sweep's largest batch, and its restorers from the node beside it (real/primitives.ts mixedLocals).
  if ((job.mixed ?? []).length > 0) needs.push(workers(`--mixed ${Math.max(...job.mixed!)}`, Math.max(...job.mixed!) + mixedLocals(Math.max(...job.mixed!)), sweepMiB));
  if (job.limitedCpuMilli !== undefined) needs.push({ name: `--limited ${job.limitedCpuMilli}m`, groups: [{ what: 'worker pods', count: 1, requests: podRequests(calibrationWorkerPod(job, sweepMiB, true).spec), worker: true }, ...fixed] });
  return needs;
}

/** Refuses (exit 2, before anything is applied) a calibration whose worker pods the cluster cannot hold at once, saying the largest k that fits. */
function checkCalibrationCapacity(cluster: ConnectedCluster, job: JobCalibration, io: Io): void {
  const needs = calibrationNeeds(job);
  checkCapacity(
    cluster.capacity,
    needs,
    (failing, _fitting, workerCpu) => {
      const sweep = needs.filter((n) => failing.includes(n.name) && n.name.startsWith('--'));
      const pods = cluster.capacity === null || sweep.length === 0 ? null : fittingWorkerCount(sweep[0]!, cluster.capacity);
      // The mixed sweep's k leaves room for its restorers from the node beside it.
      const most = pods !== null && sweep[0]!.name.startsWith('--mixed') ? largestMixedK(pods) : pods;
      return [
        ...(sweep.length > 0 ? [`lower the largest k of ${sweep.map((n) => n.name.split(' ')[0]).join(' and ')}${most !== null && most >= 1 ? ` to ${most} (the most that fit with these requests)` : ''}`] : []),
        ...(workerCpu === null ? [] : [`ask less cpu of every worker pod with --worker-cpu ${workerCpu}m`]),
        `or ask less memory of each worker pod: it asks for 3x the largest size (--sizes; the sweeps' pods 3x --concurrency-size)`,
      ];
    },
    io,
  );
}

/**
 * `calibrate --backend k8s` from the user's machine: the same preflight and
 * driver Job as bench:cluster (real/k8s/launch.ts), with the calibration's
 * driver (real/k8s/job-calibrate.ts) measuring on worker pods inside the cluster,
 * where pod IPs are reachable; its raw samples come back through its log.
 * Returns null after a dry run (the manifests printed). Throws a
 * K8sBenchError when the cluster or the driver fails, and
 * CalibrationInterruptedError on Ctrl-C: the caller writes nothing then.
 */
export async function measureOnK8s(opts: K8sCalibrateOptions, io: Io, tuning: PlanTuning = {}): Promise<K8sCalibration | null> {
  let plan = planFor({ k8s: opts.k8s, scenario: { nodes: [{ name: CALIBRATE_NODE }] } }, newRunId(new Date(io.isoNow())), tuning);
  let job: JobCalibration = {
    plan,
    sizesMiB: opts.sizesMiB,
    repeats: opts.repeats,
    concurrency: opts.concurrency ?? [],
    concurrencySizeMiB: opts.concurrencySizeMiB ?? opts.sizesMiB[opts.sizesMiB.length - 1]!,
    ...((opts.mixed ?? []).length > 0 ? { mixed: opts.mixed } : {}),
    ...(opts.limitedCpuMilli === undefined ? {} : { limitedCpuMilli: opts.limitedCpuMilli }),
    runtimeClass: opts.runtimeClass,
  };
  let configFiles = calibrationConfigFiles(job);
  const activeDeadlineSeconds = calibrationDeadlineSeconds(opts);
  if (opts.dryRun) {
    const manifests = runManifests({ plan, token: 'generated-per-run', storeToken: 'generated-per-run-for-the-store', configFiles, activeDeadlineSeconds, driverCommand: CALIBRATION_COMMAND });
    const doc = (m: RunManifest | V1Pod): string => `---\n${dumpYaml(m, { lineWidth: 160, noRefs: true })}`;
    io.out(
      `${[
        `# calibrate --backend k8s --dry-run: the manifests of one calibration (${job.sizesMiB.map((s) => `${s} MiB`).join(', ')}, ${job.repeats} repeats${sweepText(job)}),`,
        `# in the order the launcher applies them to namespace ${plan.namespace} (a new namespace and token per run).`,
        `# The driver reads what to measure from calibration.json in the ConfigMap below (the Job's args name that file).`,
        ...manifests.map(doc),
        `# Worker pods: the driver creates them one after the other (each worker start is timed), as this one:`,
        doc(calibrationWorkerPod(job)),
        ...(job.concurrency.length > 0 || (job.mixed ?? []).length > 0
          ? [`# The sweeps' worker pods, up to ${Math.max(...job.concurrency, ...(job.mixed ?? []))} at once, ask for 3x the sweep's size of ${job.concurrencySizeMiB} MiB instead:`, doc(calibrationWorkerPod(job, sweepWorkerMemoryMiB(job)))]
          : []),
        ...(job.limitedCpuMilli === undefined ? [] : [`# The --limited series' one worker pod, with its cpu limit:`, doc(calibrationWorkerPod(job, sweepWorkerMemoryMiB(job), true))]),
      ].join('\n')}\n`,
    );
    return null;
  }
  const cluster = await connectCluster(opts.k8s, [opts.runtimeClass], io);
  // Before anything is applied: the largest sweep's k pods must fit the nodes (exit 2 if not).
  checkCalibrationCapacity(cluster, job, io);
  // The driver starts the worker pods from the plan it reads: they name the pinned image too.
  plan = { ...plan, image: cluster.image };
  job = { ...job, plan };
  configFiles = calibrationConfigFiles(job);
  let result;
  try {
    result = await runDriverJob(cluster, { plan, flags: opts.k8s, configFiles, configKey: CALIBRATION_KEY, activeDeadlineSeconds, driverCommand: CALIBRATION_COMMAND }, io);
  } catch (err) {
    // A driver stopped by Ctrl-C (its namespace deleted) may end before it says so.
    if (io.signal?.aborted === true) throw new CalibrationInterruptedError();
    throw err;
  }
  if (result.partial) throw new CalibrationInterruptedError();
  const samples = samplesSchema.safeParse(parseJson(result.files[SAMPLES_FILE], SAMPLES_FILE));
  const facts = driverFactsSchema.safeParse(parseJson(result.files[DRIVER_FILE], DRIVER_FILE));
  if (!samples.success || !facts.success) {
    const issues = [...(samples.error?.issues ?? []), ...(facts.error?.issues ?? [])].map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new K8sBenchError(`the calibration driver streamed samples this version cannot read (${issues.slice(0, 3).join('; ')}); is the image ${opts.k8s.image} built from this checkout? scripts/build-image.sh`);
  }
  return {
    samples: samples.data as CalibrationSamples,
    facts: facts.data,
    cluster: {
      context: cluster.context,
      server: cluster.server,
      version: cluster.version,
      nodes: cluster.nodes?.length ?? null,
      runtimeClass: opts.runtimeClass,
      image: plan.image,
      namespace: plan.namespace,
      ...(plan.workerCpuMilli === undefined ? {} : { workerCpu: `${plan.workerCpuMilli}m` }),
    },
  };
}

function parseJson(text: string | undefined, name: string): unknown {
  if (text === undefined) throw new K8sBenchError(`the calibration driver streamed no ${name}; is the image built from this checkout? scripts/build-image.sh`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new K8sBenchError(`the calibration driver's ${name} is not JSON: ${(err as Error).message}`);
  }
}

/** What the dry run's header says of the sweeps: ", --concurrency 1,2 and --mixed 2,8 at 256 MiB". */
function sweepText(job: JobCalibration): string {
  const sweeps = [...(job.concurrency.length > 0 ? [`--concurrency ${job.concurrency.join(',')}`] : []), ...((job.mixed ?? []).length > 0 ? [`--mixed ${job.mixed!.join(',')}`] : [])];
  return sweeps.length === 0 ? '' : `, ${sweeps.join(' and ')} at ${job.concurrencySizeMiB} MiB`;
}

/** A worker pod of the calibration, as its driver creates each one (of `memoryMiB`, default the one-at-a-time measuring's; `limited`: the --limited series' pod): what --dry-run shows. */
export function calibrationWorkerPod(job: JobCalibration, memoryMiB = calibrationWorkerMemoryMiB(job), limited = false): V1Pod {
  return workerPod({
    plan: job.plan,
    policyIndex: 0,
    policyName: 'calibrate',
    worker: 0,
    pool: limited ? CALIBRATE_LIMITED_POOL : CALIBRATE_POOL,
    ...(limited && job.limitedCpuMilli !== undefined ? { cpuMilli: job.limitedCpuMilli } : {}),
    node: CALIBRATE_NODE,
    actorSlots: CALIBRATE_SLOTS,
    memoryMiB,
    runtimeClass: job.runtimeClass,
    nodeSelector: {},
    storeUrl: storeUrl(job.plan, STORE_SERVICE),
    // As the calibration's driver runs them (real/k8s/job-calibrate.ts): a store transfer may take as long as the primitive.
    storeTimeoutMs: CALIBRATE_REQUEST_TIMEOUT_MS,
  });
}
