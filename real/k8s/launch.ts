import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchV1Api, CoreV1Api, Log, NodeV1Api, dumpYaml, type KubeConfig, type V1Node, type V1Pod } from '@kubernetes/client-node';
import { checkReportDir, writeReport } from '../../reports/write.ts';
import { setStopGraceMs } from '../../cli/exit.ts';
import { packageVersion, type Io } from '../../cli/io.ts';
import { checkedWorkload, type RealRunOptions } from '../run.ts';
import type { Scenario } from '../../scenarios/scenario.ts';
import type { K8sFlags } from './flags.ts';
import { ManifestApplier } from './apply.ts';
import { loadCluster, probeCluster } from './cluster.ts';
import { ClusterCapacityError, K8sBenchError } from './errors.ts';
import { capacityText, clusterCapacity, fittingWorkerCpuMilli, isSchedulable, needTotals, policySetNeed, shortfalls, type CapacityNeed, type ClusterCapacity } from './capacity.ts';
import { RUN_KEY, jobConfigFiles } from './job-run.ts';
import { runManifests, STORE_SERVICE, type RunManifest } from './manifests.ts';
import { COMPONENT_LABEL, RUN_LABEL, labelValue, namespaceFor, newRunId, nodeClaimName } from './names.ts';
import { storeUrl, type RunPlan } from './plan.ts';
import { apiErrorText, apiStatus, describePod, ended, exitCode, fatalWaiting } from '../../cli/pod-status.ts';
import { ReportDecoder } from './report-stream.ts';
import { listNodesOrNull, pinImage } from '../../cli/image-pin.ts';
import { poolShape, workerPod } from './worker-pod.ts';

/** Settings of a run the command line does not expose (the tests' fake cluster needs its own ports). */
export type PlanTuning = Partial<Pick<RunPlan, 'workerPort' | 'storePort' | 'memoryOverheadMiB' | 'startTimeoutMs' | 'imagePullPolicy'>>;

/** What a run's plan is made from: the image, and the scenario nodes that get a claim each (a real run's scenario, or the calibration's one node). */
export interface PlanSource {
  readonly k8s: Pick<K8sFlags, 'image' | 'workerCpuMilli'>;
  readonly scenario: { readonly nodes: readonly { readonly name: string }[] };
}

/** The run's plan: names, ports and the scenario nodes' claims. */
export function planFor(opts: PlanSource, runId: string, tuning: PlanTuning = {}): RunPlan {
  return {
    runId,
    namespace: namespaceFor(runId),
    image: opts.k8s.image,
    imagePullPolicy: tuning.imagePullPolicy ?? 'IfNotPresent',
    workerPort: tuning.workerPort ?? 8080,
    storePort: tuning.storePort ?? 7070,
    memoryOverheadMiB: tuning.memoryOverheadMiB ?? 256,
    // Generous: the first pods of a fresh node also wait for the image to be unpacked.
    startTimeoutMs: tuning.startTimeoutMs ?? 180_000,
    nodeClaims: Object.fromEntries(opts.scenario.nodes.map((n, i) => [n.name, nodeClaimName(n.name, i)])),
    version: packageVersion(),
    ...(opts.k8s.workerCpuMilli === undefined ? {} : { workerCpuMilli: opts.k8s.workerCpuMilli }),
  };
}

/** How long the Job may run before Kubernetes stops it: three times the replay, plus half an hour of pod starts and drains. */
export function activeDeadlineSeconds(opts: RealRunOptions): number {
  const replayMs = (opts.scenario.durationMs / opts.speedup) * opts.scenario.policies.length;
  return Math.ceil((3 * replayMs) / 1000) + 1800;
}

/** One worker pod per pool and policy set, as the driver would create its first: what --dry-run shows of them. */
export function sampleWorkerPods(opts: RealRunOptions, plan: RunPlan): V1Pod[] {
  const defs = new Map(opts.scenario.pools.map((p) => [p.name, p]));
  const node = opts.scenario.nodes[0]?.name ?? '';
  const pods: V1Pod[] = [];
  opts.scenario.policies.forEach((policy, index) => {
    Object.entries(policy.pools).forEach(([pool, setup], k) => {
      const def = defs.get(pool);
      pods.push(
        workerPod({
          plan,
          policyIndex: index,
          policyName: policy.name,
          worker: k,
          pool,
          node,
          ...poolShape(setup, def),
          memoryMiB: setup.workerMemoryMiB,
          storeUrl: storeUrl(plan, STORE_SERVICE),
        }),
      );
    });
  });
  return pods;
}

/** The dry run's text: every manifest as YAML, in order, with comments saying what comes from where. */
export function dryRunText(opts: RealRunOptions, plan: RunPlan): string {
  const manifests = runManifests({ plan, token: 'generated-per-run', storeToken: 'generated-per-run-for-the-store', configFiles: jobConfigFiles(opts, plan), activeDeadlineSeconds: activeDeadlineSeconds(opts) });
  const doc = (m: RunManifest | V1Pod): string => `---\n${dumpYaml(m, { lineWidth: 160, noRefs: true })}`;
  return [
    `# bench:cluster --backend k8s --dry-run: the manifests of one run of scenario "${opts.scenario.name}" (${opts.scenario.policies.length} policy set(s)),`,
    `# in the order the launcher applies them to namespace ${plan.namespace} (a new namespace and token per run).`,
    '# Node claims are pinned to cluster nodes (volume.kubernetes.io/selected-node) at run time.',
    ...manifests.map(doc),
    '# Worker pods: the driver creates one for each startWorker of the scheduler core and deletes it on stopWorker.',
    '# One per pool and policy set follows, as the driver would create its first.',
    ...sampleWorkerPods(opts, plan).map(doc),
  ].join('\n');
}

/**
 * The k8s backend from the user's machine: checks the cluster, creates the
 * run's namespace with everything in it, lets the driver Job replay the
 * scenario inside the cluster (pod IPs are reachable only there), follows
 * its log, writes the report it streams back into the local report folder,
 * and deletes the namespace. Ctrl-C deletes the namespace at once; the
 * driver, terminated, still streams a partial report, which is written.
 */
export async function runOnK8s(opts: RealRunOptions, io: Io, tuning: PlanTuning = {}): Promise<number> {
  const runId = newRunId(new Date(io.isoNow()));
  let plan = planFor(opts, runId, { ...(opts.readyTimeoutMs === undefined ? {} : { startTimeoutMs: Math.ceil(opts.readyTimeoutMs) }), ...tuning });
  if (opts.dryRun) {
    io.out(`${dryRunText(opts, plan)}\n`);
    return 0;
  }
  // Before the cluster is even asked: a report folder that cannot take the report, a workload its workers would refuse.
  checkReportDir(opts.outDir);
  const workload = await checkedWorkload(opts);
  const cluster = await connectCluster(opts.k8s, opts.scenario.pools.map((p) => p.runtimeClass), io);
  // Before anything is applied: every policy set's pods at their peak must fit the nodes (exit 2 if not).
  checkRunCapacity(cluster, opts.scenario, workload.actorTemplates, plan, io);
  plan = { ...plan, image: cluster.image };
  const configFiles = jobConfigFiles(opts, plan);
  const job = await runDriverJob(cluster, { plan, flags: opts.k8s, configFiles, configKey: RUN_KEY, activeDeadlineSeconds: activeDeadlineSeconds(opts) }, io);
  const { 'stdout.txt': summary, ...files } = job.files;
  const dir = writeReport(opts.outDir, files);
  io.out(summary ?? '');
  io.out(`Report: ${dir}${job.partial ? ' (partial)' : ''}\n`);
  // Why the run failed, as the driver wrote it into run.json (a policy set that served nothing, the store lost).
  let failures: string[] = [];
  try {
    failures = ((JSON.parse(files['run.json'] ?? '{}') as { failures?: unknown }).failures as string[] | undefined) ?? [];
  } catch {
    failures = [];
  }
  for (const f of failures) io.err(`bench:cluster: run failed: ${f}\n`);
  return job.partial ? 130 : (job.exitCode === 0 || job.exitCode === null) && failures.length === 0 ? 0 : 1;
}

/** A cluster that answered the preflight checks, and what it is, for messages and profile headers. */
export interface ConnectedCluster {
  readonly kc: KubeConfig;
  readonly server: string;
  readonly context: string;
  /** The API server's gitVersion, e.g. v1.34.0. */
  readonly version: string;
  /** Schedulable nodes (no NoSchedule or NoExecute taint), sorted; null when the user may not list nodes. */
  readonly nodes: readonly string[] | null;
  /** The image every pod of the run names: --image pinned to the digest the nodes hold under its tag, when they say (cli/image-pin.ts). */
  readonly image: string;
  /** What the schedulable nodes can hold (capacity.ts); null when the user may not list nodes. */
  readonly capacity: ClusterCapacity | null;
}

/**
 * The preflight of every k8s command: loads the kubeconfig (--kubeconfig,
 * --context), asks the API server for its version within seconds, checks
 * that each RuntimeClass the run's worker pods name exists, and lists the
 * schedulable nodes, and pins --image to the digest the nodes hold under its
 * tag. Each failure is a {@link K8sBenchError} saying what to do.
 */
export async function connectCluster(flags: K8sFlags, runtimeClasses: readonly string[], io: Io): Promise<ConnectedCluster> {
  const cluster = loadCluster({ ...(flags.kubeconfig === undefined ? {} : { kubeconfig: flags.kubeconfig }), ...(flags.context === undefined ? {} : { context: flags.context }) });
  const version = await probeCluster(cluster);
  const { kc } = cluster;
  io.err(`k8s: cluster ${cluster.server} (context ${cluster.context}, Kubernetes ${version})\n`);
  await checkRuntimeClasses(kc, runtimeClasses);
  // Said once: without the nodes, claims are not pinned, the image is not pinned (said below) and whether the pods fit is not checked.
  const items = await listNodesOrNull(kc.makeApiClient(CoreV1Api), (err) =>
    io.err(`k8s: warning: cannot list nodes (${apiErrorText(err)}); node claims bind where their first worker lands, and whether the run's pods fit the nodes is not checked\n`),
  );
  const pin = pinImage(flags.image, items);
  if (pin.kind === 'conflict') throw new K8sBenchError(pin.message);
  io.err(`k8s: ${pin.note}\n`);
  return { kc, server: cluster.server, context: cluster.context, version, nodes: items === null ? null : schedulableNodes(items), image: pin.image, capacity: items === null ? null : clusterCapacity(items) };
}

/**
 * Refuses, before anything is applied, pods the cluster cannot hold: each
 * need (a policy set, a calibration phase) whose requests at their peak
 * exceed the schedulable nodes' allocatable is named with its pods x
 * request = total against the allocatable, per resource, followed by what
 * to do (`advice`, given the failing and fitting needs and the largest
 * --worker-cpu that makes every failing need's cpu fit, or null). Nothing is
 * checked when the nodes could not be listed (connectCluster said so).
 */
export function checkCapacity(
  capacity: ClusterCapacity | null,
  needs: readonly CapacityNeed[],
  advice: (failing: readonly string[], fitting: readonly string[], workerCpuMilli: number | null) => readonly string[],
  io: Pick<Io, 'err'>,
): void {
  if (capacity === null || needs.length === 0) return;
  if (capacity.nodes > 0 && capacity.cpuMilli === null && capacity.memoryMiB === null && capacity.pods === null) {
    io.err(`k8s: capacity: the nodes report no allocatable cpu, memory or pods; whether the pods fit is not checked\n`);
    return;
  }
  const failing = needs.map((need) => ({ need, why: shortfalls(need, capacity) })).filter((f) => f.why.length > 0);
  if (failing.length === 0) {
    const largest = needs.reduce((a, b) => (needTotals(b).cpuMilli > needTotals(a).cpuMilli ? b : a));
    const t = needTotals(largest);
    io.err(`k8s: capacity: ${capacityText(capacity)}; the most at once, ${largest.name}: ${t.pods} pods, ${Number(t.cpuMilli.toFixed(3))}m cpu, ${Math.ceil(t.memoryMiB)}Mi memory requested\n`);
    return;
  }
  // --worker-cpu only helps where cpu alone falls short; one value for every failing need.
  const cpuOnly = failing.every((f) => f.why.every((w) => w.startsWith('cpu:')));
  const cpus = failing.map((f) => fittingWorkerCpuMilli(f.need, capacity));
  const workerCpu = cpuOnly && cpus.every((c) => c !== null) ? Math.min(...(cpus as number[])) : null;
  const names = failing.map((f) => f.need.name);
  const fitting = needs.map((n) => n.name).filter((n) => !names.includes(n));
  throw new ClusterCapacityError(
    [
      `the cluster cannot hold the pods of ${names.map((n) => `"${n}"`).join(', ')} at once (${capacityText(capacity)}); they would stay Pending and their workers never become ready:`,
      ...failing.flatMap((f) => f.why.map((w) => `  ${f.need.name}: ${w}`)),
      `  What to do: ${advice(names, fitting, workerCpu).join('; ')}.`,
    ].join('\n'),
  );
}

/**
 * {@link checkCapacity} for a real run (bench:cluster, and fidelity before
 * its simulation): each policy set of `scenario` at its peak, with the
 * advice to skip it with --policies or to give the worker pods less cpu.
 */
export function checkRunCapacity(cluster: Pick<ConnectedCluster, 'capacity'>, scenario: Scenario, actorTemplates: readonly string[], plan: RunPlan, io: Pick<Io, 'err'>): void {
  checkCapacity(
    cluster.capacity,
    scenario.policies.map((p) => policySetNeed(scenario, p, actorTemplates, plan)),
    (failing, fitting, workerCpu) =>
      [
        fitting.length > 0 ? `skip ${failing.length === 1 ? 'it' : 'them'} with --policies ${fitting.join(',')}` : null,
        workerCpu === null ? null : `ask less cpu of every worker pod with --worker-cpu ${workerCpu}m (the most with which ${failing.length === 1 ? 'its' : 'their'} cpu fits)`,
        'or give the pools less worker memory or fewer replicas in the scenario',
      ].filter((x) => x !== null),
    io,
  );
}

/** What a driver Job runs, and with what. */
export interface DriverJobSpec {
  readonly plan: RunPlan;
  readonly flags: K8sFlags;
  /** Files of the run's ConfigMap; `configKey` is the one the driver reads (its size is logged). */
  readonly configFiles: Readonly<Record<string, string>>;
  readonly configKey: string;
  readonly activeDeadlineSeconds: number;
  /** The driver's command line in the image (default: the real run's, job-main.ts). */
  readonly driverCommand?: readonly string[];
}

/** What a driver Job streamed back. */
export interface DriverJobResult {
  /** The files of its report stream, by name. */
  readonly files: Record<string, string>;
  /** The driver container's exit code, null when it could not be read. */
  readonly exitCode: number | null;
  /** Interrupted (Ctrl-C) or ended by a signal: what it measured is incomplete. */
  readonly partial: boolean;
}

/**
 * Runs one driver Job on a connected cluster: creates the run's namespace
 * and everything in it (token, ConfigMap, RBAC, NetworkPolicies, node
 * claims pinned to nodes, store, the Job), follows the driver's log (its
 * lines go to stderr), decodes the report it streams, and deletes the
 * namespace (kept with --keep-namespace). Ctrl-C deletes the namespace at
 * once; the driver, terminated, still streams what it has. A driver that
 * ends without a complete stream is a {@link K8sBenchError}.
 */
export async function runDriverJob(cluster: ConnectedCluster, spec: DriverJobSpec, io: Io): Promise<DriverJobResult> {
  const { plan, configFiles } = spec;
  const { kc } = cluster;
  const core = kc.makeApiClient(CoreV1Api);
  const manifests = runManifests({
    plan,
    token: randomToken(),
    storeToken: randomToken(),
    configFiles,
    claimNodes: pinClaims(cluster.nodes ?? [], plan),
    activeDeadlineSeconds: spec.activeDeadlineSeconds,
    ...(spec.driverCommand === undefined ? {} : { driverCommand: spec.driverCommand }),
  });

  // After Ctrl-C the driver still streams its partial report, for up to a minute: the stop may take that long.
  setStopGraceMs(90_000);
  let namespaceDeleted = false;
  const deleteNamespace = async (): Promise<void> => {
    if (namespaceDeleted) return;
    namespaceDeleted = true;
    try {
      await core.deleteNamespace({ name: plan.namespace, propagationPolicy: 'Background' });
      io.err(`k8s: deleting namespace ${plan.namespace}\n`);
    } catch (err) {
      if (apiStatus(err) !== 404) io.err(`k8s: deleting namespace ${plan.namespace} failed (${apiErrorText(err)}); delete it with: kubectl delete namespace ${plan.namespace}\n`);
    }
  };
  let interrupted = false;
  let abortedAt = Number.POSITIVE_INFINITY;
  const onAbort = (): void => {
    interrupted = true;
    abortedAt = performance.now();
    io.err(`k8s: interrupted: deleting namespace ${plan.namespace}; the driver prints a partial report as it stops\n`);
    void deleteNamespace();
  };
  io.signal?.addEventListener('abort', onAbort);
  try {
    const applier = new ManifestApplier(kc);
    for (const m of manifests) {
      if (io.signal?.aborted === true) break;
      try {
        await applier.create(m);
      } catch (err) {
        throw new K8sBenchError(`creating ${m.kind} ${m.metadata?.name ?? ''} in ${plan.namespace} failed: ${apiErrorText(err)}`);
      }
    }
    io.err(`k8s: namespace ${plan.namespace}: store, ${Object.keys(plan.nodeClaims).length} node claim(s), driver job (image ${plan.image}); ${configFiles[spec.configKey]?.length ?? 0} bytes of ${spec.configKey}\n`);
    const pod = await waitForDriverPod(core, plan, io, () => interrupted);
    const decoder = new ReportDecoder();
    if (pod !== null) {
      io.err(`k8s: following the driver (pod ${pod})\n`);
      await followLogs(kc, core, plan.namespace, pod, (line) => {
        if (!decoder.feed(line)) io.err(`${line}\n`);
      }, () => performance.now() - abortedAt > 60_000);
    }
    const final = pod === null ? null : await readPod(core, plan.namespace, pod);
    const code = final === null ? null : exitCode(final);
    if (!decoder.done) {
      const why = final === null ? 'no driver pod' : describePod(final);
      throw new K8sBenchError(
        `the driver ended without a complete report (${why}); its log is above; ${spec.flags.keepNamespace ? `inspect with: kubectl -n ${plan.namespace} get pods,events` : 'rerun with --keep-namespace to inspect its pods'}`,
      );
    }
    return { files: decoder.files(), exitCode: code, partial: interrupted || code === 130 };
  } finally {
    io.signal?.removeEventListener('abort', onAbort);
    if (spec.flags.keepNamespace && !interrupted) io.err(`k8s: kept namespace ${plan.namespace}; delete it with: kubectl delete namespace ${plan.namespace}\n`);
    else await deleteNamespace();
  }
}

function randomToken(): string {
  return randomBytes(24).toString('hex');
}

/** Fails early, with the fix, when a pool's RuntimeClass is missing (the usual cause: the cluster was not made by scripts/cluster-up.sh). */
async function checkRuntimeClasses(kc: KubeConfig, runtimeClasses: readonly string[]): Promise<void> {
  const api = kc.makeApiClient(NodeV1Api);
  for (const name of new Set(runtimeClasses)) {
    try {
      await api.readRuntimeClass({ name });
    } catch (err) {
      const status = apiStatus(err);
      if (status === 404) {
        throw new K8sBenchError(`the cluster has no RuntimeClass "${name}" (the run's worker pods run on it): create the cluster with scripts/cluster-up.sh, which installs gVisor and RuntimeClass gvisor`);
      }
      // Not allowed to look (403) or another hiccup: the worker pods will say so if it is really missing.
      if (status !== 403) throw new K8sBenchError(`reading RuntimeClass ${name} failed: ${apiErrorText(err)}`);
    }
  }
}

/** The schedulable nodes' names, sorted. */
function schedulableNodes(items: readonly V1Node[]): string[] {
  return items
    .filter(isSchedulable)
    .map((n) => n.metadata?.name ?? '')
    .filter((n) => n.length > 0)
    .sort();
}

/**
 * Picks a cluster node for each scenario node's claim, round robin over the
 * schedulable nodes, so each claim is provisioned before the first worker
 * needs it, and scenario nodes spread over the cluster's nodes.
 */
function pinClaims(nodes: readonly string[], plan: RunPlan): Record<string, string> {
  if (nodes.length === 0) return {};
  return Object.fromEntries(Object.values(plan.nodeClaims).map((claim, i) => [claim, nodes[i % nodes.length]!]));
}

async function readPod(core: CoreV1Api, namespace: string, name: string): Promise<V1Pod | null> {
  try {
    return await core.readNamespacedPod({ namespace, name });
  } catch {
    return null;
  }
}

/** Waits until the driver's pod runs (or already ended); fails with the reason when it cannot start. */
async function waitForDriverPod(core: CoreV1Api, plan: RunPlan, io: Io, stop: () => boolean): Promise<string | null> {
  const selector = `${RUN_LABEL}=${labelValue(plan.runId)},${COMPONENT_LABEL}=driver`;
  const t0 = performance.now();
  let last = '';
  let errors = 0;
  while (!stop()) {
    let pod: V1Pod | undefined;
    try {
      pod = (await core.listNamespacedPod({ namespace: plan.namespace, labelSelector: selector })).items[0];
      errors = 0;
    } catch (err) {
      if (++errors > 10) throw new K8sBenchError(`watching for the driver pod failed: ${apiErrorText(err)}`);
    }
    if (pod !== undefined) {
      const name = pod.metadata?.name ?? '';
      const fatal = fatalWaiting(pod);
      if (fatal !== null) {
        throw new K8sBenchError(
          `the driver cannot start: ${fatal}\n  Is the image ${plan.image} loaded into the cluster? scripts/cluster-up.sh builds and loads it (scripts/build-image.sh alone after a code change).`,
        );
      }
      if (pod.status?.phase === 'Running' || ended(pod)) return name;
      const now = describePod(pod);
      if (now !== last && performance.now() - t0 > 10_000) io.err(`k8s: driver pod ${name}: ${now}\n`);
      last = now;
    }
    if (performance.now() - t0 > 300_000) {
      throw new K8sBenchError(`the driver pod did not start within 300 s (${last || 'no pod was created'}); see: kubectl -n ${plan.namespace} describe job driver`);
    }
    await sleep(1_000);
  }
  return null;
}

/**
 * Follows a pod's log to its end, line by line, through the API server.
 * If the stream breaks while the pod still runs, it reads the log again and
 * skips the lines already seen; once the pod has ended, one last read picks
 * up anything the stream missed.
 */
async function followLogs(kc: KubeConfig, core: CoreV1Api, namespace: string, pod: string, onLine: (line: string) => void, giveUp: () => boolean): Promise<void> {
  const log = new Log(kc);
  let seen = 0;
  for (let attempt = 0; attempt < 20; attempt++) {
    const current = await readPod(core, namespace, pod);
    const podEnded = current === null || ended(current);
    const stream = new PassThrough();
    let count = 0;
    const closed = new Promise<void>((resolve) => {
      const lines = createInterface({ input: stream });
      lines.on('line', (line) => {
        count += 1;
        if (count > seen) {
          seen = count;
          onLine(line);
        }
      });
      lines.on('close', resolve);
    });
    let controller: AbortController | null = null;
    try {
      controller = await log.log(namespace, pod, 'driver', stream, { follow: !podEnded, pretty: false, timestamps: false });
    } catch (err) {
      stream.end();
      if (current === null || apiStatus(err) === 404) return;
      await sleep(1_000);
      continue;
    }
    // A follow that hangs on a broken connection is cut once the pod is seen to have ended.
    const watchdog = setInterval(() => {
      void readPod(core, namespace, pod).then((p) => {
        if (p === null || ended(p) || giveUp()) {
          setTimeout(() => {
            controller?.abort();
            stream.end();
          }, 3_000).unref();
        }
      });
    }, 5_000);
    await closed;
    clearInterval(watchdog);
    if (podEnded || giveUp()) return;
    await sleep(500);
  }
}
