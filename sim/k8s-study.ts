import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import cliProgress from 'cli-progress';
import { BatchV1Api, CoreV1Api, KubeConfig, dumpYaml, type V1ConfigMap, type V1Job, type V1Pod } from '@kubernetes/client-node';
import type { Io } from '../cli/io.ts';
import { K8sStudyError, type K8sStudyFlags } from './k8s-study-flags.ts';
import { expectedInvocations } from '../scenarios/bounds.ts';
import type { Scenario } from '../scenarios/scenario.ts';
import type { ProgressStream } from './study-progress.ts';
import type { StudyOutcome, StudyRequest, StudyRun } from './study-runner.ts';
import { scenarioSha256 } from './study-scenario.ts';
import { EXIT_MISMATCH, STUDY_SPEC_KEY, type StudyShareSpec } from './study-pod.ts';
import { listNodesOrNull, pinImage } from '../cli/image-pin.ts';
import { ended, stuckContainer, type StuckContainer } from '../cli/pod-status.ts';
import { readShareLog, shareCount, shareTasks, studyRunOf, studyTasks, type ShareTask } from './study-shares.ts';

// `simulate --backend k8s`: the study as one Kubernetes Indexed Job. Each
// completion index simulates its share of the runs (sim/study-pod.ts) and
// writes them framed and checksummed to its log; this side reads each
// completed index's log, checks and decodes it, and hands the runs to the
// same report code as a local study. Only the scenario file and study.json
// travel (a ConfigMap); the pods need no API access (no token mounted).
//
// It talks to the API server with @kubernetes/client-node directly rather
// than through real/k8s: sim/ and real/ never import each other
// (ARCHITECTURE.md).

/** Retries of a failed index before the study fails (Kubernetes' backoffLimitPerIndex). */
export const BACKOFF_LIMIT_PER_INDEX = 2;
/** A share's log is kept under this (the kubelet rotates container logs at 10 MiB by default, and a rotated log loses its head). */
const LOG_BUDGET_BYTES = 6 * 1024 * 1024;
const MIB = 1024 * 1024;

/**
 * Memory of one pod, MiB: conservative, from the scenario's size alone. A pod
 * holds one seed's workload and one run at a time (each run is written out
 * and dropped before the next), so it is a base plus per-actor and
 * per-invocation costs of one run, times 1.5, rounded up to 64 MiB. The base
 * (256 MiB: Node, tsx and the modules) and the per-item costs are above what
 * bench:sim measured (README "Performance": about 200 bytes per dormant actor;
 * million.yaml's 58 million invocations in 1,387 MiB with --invocations none,
 * under 24 bytes each); with every invocation kept, a reply object, its
 * columns and its encoded copy are counted at 600 bytes.
 */
export function podMemoryMiB(scenario: Scenario, invocations: StudyRequest['invocations']): number {
  const { actors, invocationsPerRun } = scenarioSize(scenario);
  const perInvocation = (invocations ?? { kind: 'all' }).kind === 'all' ? 600 : 64;
  const bytes = 256 * MIB + actors * 1024 + invocationsPerRun * perInvocation;
  return Math.ceil((bytes * 1.5) / (64 * MIB)) * 64;
}

function scenarioSize(scenario: Scenario): { actors: number; invocationsPerRun: number } {
  let actors = 0;
  let invocationsPerRun = 0;
  for (const g of scenario.workload) {
    if (g.kind !== 'model') continue;
    actors += g.actors;
    invocationsPerRun += expectedInvocations(g.arrivals, g.actors, scenario.durationMs);
  }
  return { actors, invocationsPerRun };
}

/**
 * Runs per index: enough indexes for four rounds of `parallelism` pods (so a
 * slow index does not hold the end back for long), but few enough runs that a
 * share's log stays within the budget (estimated at 60 bytes of log per
 * invocation kept: 96 bytes of columns, gzipped, base64'd).
 */
export function runsPerShareFor(scenario: Scenario, total: number, parallelism: number, invocations: StudyRequest['invocations']): number {
  const wanted = Math.max(1, Math.ceil(total / (4 * parallelism)));
  const { invocationsPerRun } = scenarioSize(scenario);
  const kept = (invocations ?? { kind: 'all' }).kind === 'all' ? invocationsPerRun : Math.min(invocationsPerRun, 20_000);
  const logPerRun = Math.max(1, kept * 60);
  return Math.max(1, Math.min(wanted, Math.floor(LOG_BUDGET_BYTES / logPerRun)));
}

/** Everything the Job is made of. */
export interface StudyJobPlan {
  readonly name: string;
  readonly namespace: string;
  readonly completions: number;
  readonly runsPerShare: number;
  readonly memoryMiB: number;
  readonly configMap: V1ConfigMap;
  readonly job: V1Job;
}

/** Mount point of the study's ConfigMap in the pods. */
export const STUDY_DIR = '/etc/actorsim/study';
const RUN_AS_USER = 1000;

/** The ConfigMap and the Indexed Job of a study. */
export function studyJobPlan(req: StudyRequest, flags: K8sStudyFlags, name: string, namespace: string): StudyJobPlan {
  const { scenario } = req;
  if (scenario.workload.some((g) => g.kind !== 'model')) {
    throw new K8sStudyError(`${req.scenarioFile}: --backend k8s ships the scenario file alone, and this one reads trace files; use --backend local`);
  }
  const total = scenario.policies.length * req.seeds.length;
  const runsPerShare = runsPerShareFor(scenario, total, flags.parallelism, req.invocations);
  const completions = shareCount(total, runsPerShare);
  const memoryMiB = podMemoryMiB(scenario, req.invocations);
  const scenarioKey = `scenario-${basename(req.scenarioFile).replace(/[^A-Za-z0-9._-]+/g, '_')}`.slice(0, 200);
  const spec: StudyShareSpec = {
    scenarioFile: scenarioKey,
    overrides: req.overrides,
    scenarioSha256: scenarioSha256(scenario),
    seeds: req.seeds,
    sampleEveryMs: req.sampleEveryMs,
    invocations: req.invocations ?? { kind: 'all' },
    runsPerShare,
  };
  const labels = { 'app.kubernetes.io/part-of': 'actorsim', 'app.kubernetes.io/component': 'study', 'actorsim.dev/study': name };
  const configMap: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, labels },
    data: { [scenarioKey]: readFileSync(req.scenarioFile, 'utf8'), [STUDY_SPEC_KEY]: `${JSON.stringify(spec, null, 2)}\n` },
  };
  const job: V1Job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace, labels },
    spec: {
      completionMode: 'Indexed',
      completions,
      parallelism: Math.min(flags.parallelism, completions),
      // A failed index is retried on its own; one that fails past that fails the study.
      backoffLimitPerIndex: BACKOFF_LIMIT_PER_INDEX,
      maxFailedIndexes: 0,
      podFailurePolicy: {
        rules: [
          // Another scenario or image than the user's: no retry can help.
          { action: 'FailJob', onExitCodes: { containerName: 'share', operator: 'In', values: [EXIT_MISMATCH] } },
          // Evicted or preempted: not the share's fault, not counted.
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
        ],
      },
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          ...(flags.gvisor ? { runtimeClassName: 'gvisor' } : {}),
          securityContext: { runAsNonRoot: true, runAsUser: RUN_AS_USER, runAsGroup: RUN_AS_USER, fsGroup: RUN_AS_USER, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'share',
              image: flags.image,
              imagePullPolicy: 'IfNotPresent',
              workingDir: '/app',
              command: ['node', '--import', 'tsx', 'sim/study-pod.ts', '--study', `${STUDY_DIR}/${STUDY_SPEC_KEY}`],
              env: [{ name: 'TMPDIR', value: '/tmp' }],
              // One simulation thread; memory from the scenario (podMemoryMiB).
              resources: { requests: { cpu: '1', memory: `${memoryMiB}Mi` }, limits: { memory: `${memoryMiB}Mi` } },
              securityContext: {
                runAsNonRoot: true,
                runAsUser: RUN_AS_USER,
                runAsGroup: RUN_AS_USER,
                allowPrivilegeEscalation: false,
                privileged: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
                seccompProfile: { type: 'RuntimeDefault' },
              },
              volumeMounts: [
                { name: 'study', mountPath: STUDY_DIR, readOnly: true },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'study', configMap: { name } },
            { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
          ],
        },
      },
    },
  };
  return { name, namespace, completions, runsPerShare, memoryMiB, configMap, job };
}

/** The dry run's text: the ConfigMap and the Job as YAML. */
export function studyDryRunText(req: StudyRequest, plan: StudyJobPlan): string {
  const total = req.scenario.policies.length * req.seeds.length;
  return [
    `# simulate --backend k8s --dry-run: ${total} run(s) of "${req.scenario.name}" as ${plan.completions} index(es) of ${plan.runsPerShare} run(s),`,
    `# ${plan.memoryMiB} MiB per pod (sim/k8s-study.ts podMemoryMiB), in namespace ${plan.namespace}.`,
    `---\n${dumpYaml(plan.configMap, { lineWidth: 160, noRefs: true })}`,
    `---\n${dumpYaml(plan.job, { lineWidth: 160, noRefs: true })}`,
  ].join('\n');
}

/** What the k8s study needs of the command's Io. */
export interface K8sStudyIo extends Io {
  readonly progress?: ProgressStream;
}

/** Tuning the tests need (a fast poll). */
export interface K8sStudyTuning {
  readonly pollMs?: number;
}

/** The label the Job controller puts on its pods, and the annotation with the index. */
const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
const INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';

/**
 * Runs the study as an Indexed Job and returns its runs in report order;
 * null when interrupted (Ctrl-C: the Job is deleted with its pods, no report).
 * An index that fails past its retries, a Job that fails, a log that does
 * not hold its share intact, or a pod whose container cannot start (its image
 * cannot be pulled, a config error: the Job is deleted with its pods) is a
 * {@link K8sStudyError} naming the index.
 */
export async function runStudyOnK8s(req: StudyRequest, flags: K8sStudyFlags, io: K8sStudyIo, tuning: K8sStudyTuning = {}): Promise<StudyOutcome | null> {
  const kc = new KubeConfig();
  try {
    if (flags.kubeconfig !== undefined) kc.loadFromFile(flags.kubeconfig);
    else kc.loadFromDefault();
    if (flags.context !== undefined) kc.setCurrentContext(flags.context);
  } catch (err) {
    throw new K8sStudyError(`cannot load the kubeconfig: ${(err as Error).message}`);
  }
  const namespace = flags.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  const stamp = io.isoNow().replace(/[-:TZ.]/g, '').slice(0, 14);
  const name = `actorsim-study-${stamp}-${Math.floor(Math.random() * 0xffff).toString(16).padStart(4, '0')}`;
  if (flags.dryRun) {
    io.out(`${studyDryRunText(req, studyJobPlan(req, flags, name, namespace))}\n`);
    return null;
  }
  const core = kc.makeApiClient(CoreV1Api);
  // The pods name the image by the digest the nodes hold under its tag, when they say (cli/image-pin.ts).
  const pin = pinImage(flags.image, await listNodesOrNull(core, (err) => io.err(`k8s: cannot list nodes (${apiText(err)})\n`)));
  if (pin.kind === 'conflict') throw new K8sStudyError(pin.message);
  io.err(`k8s: ${pin.note}\n`);
  const image = pin.image;
  const plan = studyJobPlan(req, { ...flags, image }, name, namespace);
  const batch = kc.makeApiClient(BatchV1Api);
  const server = kc.getCurrentCluster()?.server ?? '?';
  const tasks = studyTasks(req.scenario.policies.length, req.seeds);
  // Polls often at first and while indexes complete, then every pollMs (default 2 s).
  const pollMs = tuning.pollMs ?? 2000;
  let idle = 0;
  let seen = -1;
  try {
    await core.createNamespacedConfigMap({ namespace, body: plan.configMap });
    await batch.createNamespacedJob({ namespace, body: plan.job });
  } catch (err) {
    await deleteStudy(core, batch, plan, io, 'Background');
    throw new K8sStudyError(`creating the study's Job in namespace ${namespace} on ${server} failed: ${apiText(err)}`);
  }
  io.err(`k8s: job ${namespace}/${name}: ${tasks.length} run(s) in ${plan.completions} index(es), ${plan.job.spec!.parallelism} at once, ${plan.memoryMiB} MiB per pod, image ${image}\n`);
  const gathered = new Map<number, StudyRun[]>();
  const failedPods = new Set<string>();
  const lastLines = new Map<number, string>();
  const progress = studyJobProgress(io.progress, plan.completions);
  const t0 = performance.now();
  let interrupted = io.signal?.aborted === true;
  // A pod that cannot start leaves its siblings Pending too: the Job goes as on Ctrl-C, pods first.
  let stuck = false;
  const onAbort = (): void => {
    interrupted = true;
  };
  io.signal?.addEventListener('abort', onAbort);
  let ok = false;
  try {
    while (!interrupted && gathered.size < plan.completions) {
      const pods = (await core.listNamespacedPod({ namespace, labelSelector: `${JOB_NAME_LABEL}=${name}` })).items;
      for (const pod of pods) {
        const index = podIndex(pod);
        if (index === null) continue;
        const podName = pod.metadata?.name ?? '';
        if (pod.status?.phase === 'Succeeded' && !gathered.has(index)) {
          const log = await core.readNamespacedPodLog({ namespace, name: podName, container: 'share' });
          const expected: ShareTask[] = shareTasks(tasks, plan.runsPerShare, index);
          try {
            gathered.set(index, readShareLog(index, log, expected).map((r) => studyRunOf(r, index)));
          } catch (err) {
            throw new K8sStudyError(`the log of index ${index} (pod ${podName}) does not hold its runs intact: ${(err as Error).message}`);
          }
          if (!progress.active) io.err(`k8s: index ${index} done (${gathered.size}/${plan.completions})\n`);
        } else if (pod.status?.phase === 'Failed' && !failedPods.has(podName)) {
          failedPods.add(podName);
          lastLines.set(index, await tail(core, namespace, podName));
          if (!progress.active) io.err(`k8s: index ${index} failed in pod ${podName} (${failedPods.size} failure(s) so far); Kubernetes retries it up to ${BACKOFF_LIMIT_PER_INDEX} times\n`);
        } else if (!ended(pod)) {
          const why = stuckContainer(pod);
          // Waiting longer does not help (bench:cluster's rule, cli/pod-status.ts), but
          // CrashLoopBackOff is left to the Job: with restartPolicy Never a container that
          // fails fails its pod, which backoffLimitPerIndex retries.
          if (why !== null && why.reason !== 'CrashLoopBackOff') {
            stuck = true;
            throw new K8sStudyError(stuckText(index, podName, why, namespace));
          }
        }
      }
      progress.update(gathered.size, failedPods.size, performance.now() - t0);
      if (gathered.size === plan.completions) break;
      const job = await batch.readNamespacedJob({ namespace, name });
      const failedIndexes = parseIndexes(job.status?.failedIndexes ?? '');
      const failed = job.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
      if (failedIndexes.length > 0 || failed !== undefined) {
        const index = failedIndexes[0] ?? [...lastLines.keys()].pop();
        const lines = index === undefined ? '' : (lastLines.get(index) ?? (await lastPodLog(core, namespace, name, index)));
        throw new K8sStudyError(
          `${index === undefined ? 'the study' : `index ${index}`} failed${failedIndexes.length > 0 ? ` after ${BACKOFF_LIMIT_PER_INDEX} retries` : ''}` +
            `${failed !== undefined ? ` (Job ${failed.reason ?? 'Failed'}${failed.message ? `: ${failed.message}` : ''})` : ''}; the pod's last log lines:\n${indent(lines)}`,
        );
      }
      const now = gathered.size * 1000 + failedPods.size;
      idle = now === seen ? idle + 1 : 0;
      seen = now;
      // Ctrl-C ends the wait at once (and adds no listener per poll).
      await sleep(Math.min(pollMs, 50 * 2 ** idle), undefined, io.signal === undefined ? {} : { signal: io.signal }).catch(() => {});
    }
    ok = !interrupted;
  } finally {
    progress.stop();
    io.signal?.removeEventListener('abort', onAbort);
    if (interrupted) io.err(`k8s: interrupted: deleting job ${namespace}/${name} and its pods (no report is written)\n`);
    else if (stuck) io.err(`k8s: a pod cannot start: deleting job ${namespace}/${name} and its pods (no report is written)\n`);
    await deleteStudy(core, batch, plan, io, interrupted || stuck ? 'Foreground' : 'Background');
  }
  if (!ok) return null;
  const runs = new Array<StudyRun>(tasks.length);
  for (const list of gathered.values()) for (const run of list) runs[run.policyIndex * req.seeds.length + req.seeds.indexOf(run.seed)] = run;
  return { runs, workerThreads: 0, indexes: plan.completions, retries: failedPods.size, job: `${namespace}/${name}`, image } as StudyOutcome & K8sStudyFacts;
}

/** What run.json records of a k8s study. */
export interface K8sStudyFacts {
  readonly indexes: number;
  readonly retries: number;
  readonly job: string;
  readonly image: string;
}

async function deleteStudy(core: CoreV1Api, batch: BatchV1Api, plan: StudyJobPlan, io: Io, propagationPolicy: 'Foreground' | 'Background'): Promise<void> {
  const { namespace, name } = plan;
  try {
    await batch.deleteNamespacedJob({ namespace, name, propagationPolicy });
  } catch (err) {
    if (apiStatus(err) !== 404) io.err(`k8s: deleting job ${namespace}/${name} failed (${apiText(err)}); delete it with: kubectl -n ${namespace} delete job ${name} --cascade=foreground\n`);
  }
  try {
    await core.deleteNamespacedConfigMap({ namespace, name });
  } catch (err) {
    if (apiStatus(err) !== 404) io.err(`k8s: deleting configmap ${namespace}/${name} failed (${apiText(err)})\n`);
  }
  if (propagationPolicy !== 'Foreground') return;
  // Foreground: the Job goes once its pods are gone; wait for that (bounded), so Ctrl-C leaves nothing running.
  for (let i = 0; i < 120; i++) {
    try {
      await batch.readNamespacedJob({ namespace, name });
    } catch (err) {
      if (apiStatus(err) === 404) return;
    }
    await sleep(250);
  }
  io.err(`k8s: job ${namespace}/${name} is still being deleted\n`);
}

/** Why a pod cannot start and what to do: for an image, get it onto the nodes or name one they hold. */
function stuckText(index: number, pod: string, why: StuckContainer, namespace: string): string {
  const head = `index ${index} cannot start: pod ${pod}, container ${why.container}: ${why.reason}${why.message ? `: ${why.message}` : ''}\n  image: ${why.image}\n`;
  if (why.imageProblem) {
    return (
      `${head}  The node cannot get this image. Build it from this checkout and load it into the cluster (scripts/local-cluster-up.sh for the local cluster, ` +
      `scripts/build-image.sh for kind), or pass --image NAME@sha256:... naming a digest the nodes hold (kubectl get nodes -o jsonpath='{.items[*].status.images[*].names}').`
    );
  }
  return `${head}  Waiting longer does not help; see: kubectl -n ${namespace} describe pod ${pod}`;
}

function podIndex(pod: V1Pod): number | null {
  const text = pod.metadata?.annotations?.[INDEX_ANNOTATION] ?? pod.metadata?.labels?.[INDEX_ANNOTATION];
  return text === undefined || !/^\d+$/.test(text) ? null : Number(text);
}

/** "1,3-5" as [1, 3, 4, 5]. */
export function parseIndexes(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(',').filter((p) => p.length > 0)) {
    const [a, b] = part.split('-').map(Number);
    for (let i = a!; i <= (b ?? a!); i++) out.push(i);
  }
  return out;
}

async function tail(core: CoreV1Api, namespace: string, name: string): Promise<string> {
  try {
    const log = await core.readNamespacedPodLog({ namespace, name, container: 'share', tailLines: 200 });
    // The framed lines are data, not what a person needs to see.
    return log.split('\n').filter((l) => !l.includes('@@actorsim-study ') && l.length > 0).slice(-15).join('\n');
  } catch (err) {
    return `(its log could not be read: ${apiText(err)})`;
  }
}

async function lastPodLog(core: CoreV1Api, namespace: string, job: string, index: number): Promise<string> {
  const pods = (await core.listNamespacedPod({ namespace, labelSelector: `${JOB_NAME_LABEL}=${job}` })).items.filter((p) => podIndex(p) === index);
  const last = pods.pop();
  return last === undefined ? '(no pod left)' : tail(core, namespace, last.metadata?.name ?? '');
}

function indent(text: string): string {
  return text.split('\n').map((l) => `  ${l}`).join('\n');
}

function apiStatus(err: unknown): number | null {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : null;
}

function apiText(err: unknown): string {
  const e = err as { code?: number; body?: unknown; message?: string };
  if (typeof e.code === 'number') {
    let message = '';
    try {
      message = (typeof e.body === 'string' ? (JSON.parse(e.body) as { message?: string }) : (e.body as { message?: string } | undefined))?.message ?? '';
    } catch {
      message = String(e.body ?? '');
    }
    return `HTTP ${e.code}${message ? `: ${message}` : ''}`;
  }
  return e.message ?? String(err);
}

/** The terminal's view of the Job: indexes done / total, failures, time left at the pace so far. */
function studyJobProgress(stream: ProgressStream | undefined, total: number): { active: boolean; update(done: number, failures: number, elapsedMs: number): void; stop(): void } {
  if (stream === undefined || stream.isTTY !== true) return { active: false, update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar({ stream, format: 'indexes {bar} {value}/{total} | failures {failures} | elapsed {elapsed} | ETA {left}', hideCursor: false, fps: 2 });
  bar.start(total, 0, { failures: 0, elapsed: '0s', left: '?' });
  let stopped = false;
  return {
    active: true,
    update: (done, failures, elapsedMs) => bar.update(done, { failures, elapsed: clock(elapsedMs / 1000), left: done > 0 ? clock(((elapsedMs / 1000) * (total - done)) / done) : '?' }),
    stop: () => {
      if (!stopped) bar.stop();
      stopped = true;
    },
  };
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
