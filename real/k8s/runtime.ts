import { GrantMinter } from '../store/grants.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, makeInformer, type Informer, type KubeConfig, type ObjectCache, type V1Pod } from '@kubernetes/client-node';
import type { RealRuntime, RuntimeEvent, WorkerMemorySample } from '../runtime.ts';
import type { RuntimeCommand } from '../../session/session.ts';
import { runWorkerRequest, type WorkerRequestContext } from '../worker-commands.ts';
import { serverUrl } from '../store/listen.ts';
import type { ExecuteMode } from '../worker/api.ts';
import { WorkerClient, WorkerError } from '../worker/client.ts';
import { PodMemoryReader } from './pod-memory.ts';
import { COMPONENT_LABEL, POLICY_LABEL, RUN_LABEL, WORKER_LABEL, labelValue, workerPodName } from './names.ts';
import type { RunPlan } from './plan.ts';
import { apiErrorText, apiStatus, describePod, ended, fatalWaiting, runningWithIp } from '../../cli/pod-status.ts';
import { workerPod } from './worker-pod.ts';

/** What the runtime needs of a pool beyond the core's startWorker. */
export interface K8sPoolShape {
  readonly actorSlots: number;
  readonly cpuMilli?: number;
  readonly runtimeClass: string;
  readonly nodeSelector: Readonly<Record<string, string>>;
}

/** Options of the k8s runtime: one instance per policy set, like the local runtime. */
export interface K8sRuntimeOptions {
  readonly kubeConfig: KubeConfig;
  readonly plan: RunPlan;
  readonly policyIndex: number;
  readonly policyName: string;
  readonly pools: Readonly<Record<string, K8sPoolShape>>;
  readonly templateMemoryMiB: Readonly<Record<string, number>>;
  /** The run's bearer token (workers read theirs from the Secret; the driver needs it to call them). */
  readonly token: string;
  /** The store's secret: the runtime mints each restore's and checkpoint's grant with it; workers never see it. */
  readonly storeToken: string;
  /** The store's URL as workers reach it. */
  readonly storeUrl: string;
  readonly execMode?: ExecuteMode;
  /** How often the driver asks a started pod's /healthz (default 50 ms). */
  readonly healthPollMs?: number;
  /** How long a request that found its worker unreachable waits for the pod's loss before it counts as failed (default 3 s). */
  readonly lossGraceMs?: number;
  /**
   * How long the driver waits for a restore, checkpoint or execute before giving it up (default
   * REQUEST_TIMEOUT_MS, as runs do; calibrate waits longer). When set, each worker may spend as long
   * on one read or write of the store: a store transfer is most of a restore's or checkpoint's time.
   */
  readonly requestTimeoutMs?: number;
  /**
   * Memory samples from the pods' cgroups (the kubelet's Summary API, see
   * pod-memory.ts) instead of the worker processes' RSS; falls back to RSS
   * for the rest of the run if the kubelet cannot be asked. Default off.
   */
  readonly podMemory?: boolean;
  readonly log?: (line: string) => void;
}

interface K8sWorker {
  readonly id: number;
  readonly name: string;
  /** Clock when the create request was sent: the start of the pod start latency. */
  readonly createdAt: number;
  state: 'pending' | 'probing' | 'ready' | 'stopping' | 'lost';
  client: WorkerClient | null;
  lastPod: V1Pod | null;
  timer: NodeJS.Timeout | null;
  readonly lost: Promise<void>;
  markLost: () => void;
}

/**
 * The k8s runtime: each worker is a pod (see worker-pod.ts) in the run's
 * namespace. An informer on the policy set's worker pods turns what the
 * cluster does into the core's events: a pod running with an IP is probed
 * until its server answers (workerReady, stamped with the time since the
 * create request: the pod start latency); a pod deleted, failed or stuck
 * (image, config) is workerLost, exactly once. Requests to workers go
 * straight to the pod IP with the run's token, as the NetworkPolicy admits
 * the driver and nothing else.
 */
export class K8sRuntime implements RealRuntime {
  readonly name = 'k8s';
  private sink: ((e: RuntimeEvent) => void) | null = null;
  private readonly workers = new Map<number, K8sWorker>();
  private readonly core: CoreV1Api;
  private informer: (Informer<V1Pod> & ObjectCache<V1Pod>) | null = null;
  private closed = false;
  private readonly selector: string;
  private readonly healthPollMs: number;
  private readonly lossGraceMs: number;

  private readonly requests: WorkerRequestContext;
  private readonly podMemory: PodMemoryReader | null;

  private constructor(private readonly options: K8sRuntimeOptions) {
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.selector = `${RUN_LABEL}=${labelValue(options.plan.runId)},${COMPONENT_LABEL}=worker,${POLICY_LABEL}=${options.policyIndex}`;
    this.healthPollMs = options.healthPollMs ?? 50;
    this.lossGraceMs = options.lossGraceMs ?? 3_000;
    this.podMemory = options.podMemory === true ? new PodMemoryReader(options.kubeConfig, options.log) : null;
    this.requests = {
      runtime: 'k8s',
      call: (worker, request, done) => this.call(worker, request, done),
      emit: (e) => this.emit(e),
      templateMemoryMiB: options.templateMemoryMiB,
      execMode: options.execMode ?? 'sleep',
      grants: new GrantMinter(options.storeToken),
    };
  }

  /** Starts the runtime: its pod informer listed and watching before the first worker is created. */
  static async start(options: K8sRuntimeOptions): Promise<K8sRuntime> {
    const rt = new K8sRuntime(options);
    await rt.startInformer();
    return rt;
  }

  private async startInformer(): Promise<void> {
    const { namespace } = this.options.plan;
    const informer = makeInformer<V1Pod>(
      this.options.kubeConfig,
      `/api/v1/namespaces/${namespace}/pods`,
      () => this.core.listNamespacedPod({ namespace, labelSelector: this.selector }),
      this.selector,
    );
    informer.on('add', (pod) => this.onPod(pod));
    informer.on('update', (pod) => this.onPod(pod));
    informer.on('delete', (pod) => this.onPodDeleted(pod));
    informer.on('error', (err: unknown) => {
      if (this.closed) return;
      // The informer stops on an error; a watch that broke is re-established (relisting reports what was missed).
      this.options.log?.(`pod watch failed (${apiErrorText(err)}); restarting it`);
      setTimeout(() => {
        if (!this.closed) informer.start().catch(() => {});
      }, 1_000).unref();
    });
    this.informer = informer;
    await informer.start();
  }

  attach(sink: (event: RuntimeEvent) => void): void {
    this.sink = sink;
  }

  private emit(e: RuntimeEvent): void {
    if (!this.closed) this.sink?.(e);
  }

  run(cmd: RuntimeCommand): void {
    switch (cmd.kind) {
      case 'startWorker':
        this.startWorker(cmd.worker, cmd.pool, cmd.node, cmd.memoryMiB);
        return;
      case 'stopWorker': {
        const w = this.workers.get(cmd.worker);
        if (w !== undefined) {
          this.forget(w, 'stopping');
          this.deletePod(w.name);
        }
        return;
      }
      case 'restore':
      case 'execute':
      case 'checkpoint':
        runWorkerRequest(cmd, this.requests);
        return;
    }
  }

  private startWorker(id: number, pool: string, node: string, memoryMiB: number): void {
    const shape = this.options.pools[pool];
    if (shape === undefined) throw new Error(`k8s runtime: unknown pool "${pool}"`);
    const { plan } = this.options;
    const body = workerPod({
      plan,
      policyIndex: this.options.policyIndex,
      policyName: this.options.policyName,
      worker: id,
      pool,
      node,
      actorSlots: shape.actorSlots,
      memoryMiB,
      ...(shape.cpuMilli === undefined ? {} : { cpuMilli: shape.cpuMilli }),
      runtimeClass: shape.runtimeClass,
      nodeSelector: shape.nodeSelector,
      storeUrl: this.options.storeUrl,
      ...(this.options.requestTimeoutMs === undefined ? {} : { storeTimeoutMs: this.options.requestTimeoutMs }),
    });
    let markLost: () => void = () => {};
    const lost = new Promise<void>((r) => {
      markLost = r;
    });
    const w: K8sWorker = { id, name: workerPodName(this.options.policyIndex, id), createdAt: performance.now(), state: 'pending', client: null, lastPod: null, timer: null, lost, markLost };
    this.workers.set(id, w);
    w.timer = setTimeout(() => {
      if (w.state !== 'pending' && w.state !== 'probing') return;
      const where = w.lastPod === null ? 'the pod was never seen' : describePod(w.lastPod);
      this.lose(w, `not ready ${Math.round(plan.startTimeoutMs / 1000)} s after its creation: ${where}`, true);
    }, plan.startTimeoutMs);
    // The watch may report the pod before this call returns: the worker is already in the map.
    this.core.createNamespacedPod({ namespace: plan.namespace, body }).then(
      () => {},
      (err: unknown) => this.lose(w, `creating pod ${w.name} failed: ${apiErrorText(err)}`, false),
    );
  }

  private onPod(pod: V1Pod): void {
    const w = this.workerOf(pod);
    if (w === undefined) return;
    w.lastPod = pod;
    if (w.state === 'stopping' || w.state === 'lost') return;
    if (pod.metadata?.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null) {
      this.lose(w, `pod ${w.name} is being deleted`, false);
      return;
    }
    if (ended(pod)) {
      this.lose(w, `pod ${w.name} ended: ${describePod(pod)}`, true);
      return;
    }
    const fatal = fatalWaiting(pod);
    if (fatal !== null) {
      this.lose(w, `pod ${w.name} cannot start: ${fatal}`, true);
      return;
    }
    if (w.state === 'pending' && runningWithIp(pod)) this.probe(w, pod.status!.podIP!);
  }

  private onPodDeleted(pod: V1Pod): void {
    const w = this.workerOf(pod);
    if (w === undefined || w.state === 'stopping' || w.state === 'lost') return;
    this.lose(w, `pod ${w.name} was deleted`, false);
  }

  private workerOf(pod: V1Pod): K8sWorker | undefined {
    const id = Number(pod.metadata?.labels?.[WORKER_LABEL]);
    const w = this.workers.get(id);
    return w !== undefined && w.name === pod.metadata?.name ? w : undefined;
  }

  /** Asks the worker's /healthz from here until it answers: from the driver's side of the NetworkPolicy, the worker is then ready. */
  private probe(w: K8sWorker, podIp: string): void {
    w.state = 'probing';
    const url = serverUrl(podIp, this.options.plan.workerPort);
    const health = new WorkerClient({ url, token: this.options.token, timeoutMs: 1_000 });
    const loop = async (): Promise<void> => {
      while (w.state === 'probing' && !this.closed) {
        if (await health.healthy()) {
          if (w.state !== 'probing' || this.closed) return;
          w.state = 'ready';
          w.client = new WorkerClient({ url, token: this.options.token, timeoutMs: this.options.requestTimeoutMs });
          if (w.timer !== null) clearTimeout(w.timer);
          w.timer = null;
          this.emit({ kind: 'workerReady', worker: w.id, startMs: performance.now() - w.createdAt });
          return;
        }
        await sleep(this.healthPollMs);
      }
    };
    void loop();
  }

  /** Ends a worker's life in this runtime: it stops counting as live and its pod events are ignored from now on. */
  private forget(w: K8sWorker, state: 'stopping' | 'lost'): void {
    w.state = state;
    if (w.timer !== null) clearTimeout(w.timer);
    w.timer = null;
    w.client = null;
    this.workers.delete(w.id);
    w.markLost();
  }

  /** Reports a worker lost, once; `deletePod` removes a pod that would otherwise linger (failed, stuck). */
  private lose(w: K8sWorker, why: string, deletePod: boolean): void {
    if (w.state === 'lost' || w.state === 'stopping') return;
    this.forget(w, 'lost');
    if (deletePod) this.deletePod(w.name);
    this.emit({ kind: 'workerLost', worker: w.id, why });
  }

  private deletePod(name: string, gracePeriodSeconds?: number): Promise<void> {
    return this.core.deleteNamespacedPod({ name, namespace: this.options.plan.namespace, ...(gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds }) }).then(
      () => {},
      (err: unknown) => {
        if (apiStatus(err) !== 404) this.options.log?.(`deleting pod ${name} failed: ${apiErrorText(err)}`);
      },
    );
  }

  /** Runs a request on a worker; a worker whose pod goes away under it reports workerLost instead of a failure. */
  private call<T>(worker: number, request: (c: WorkerClient) => Promise<T>, done: (ok: boolean, ms: number, error?: string, answer?: T) => void): void {
    const w = this.workers.get(worker);
    const t0 = performance.now();
    // The core only sends to ready workers; one missing here was lost in between and its workerLost is on the way.
    if (w === undefined || w.client === null) return;
    request(w.client).then(
      (answer) => done(true, performance.now() - t0, undefined, answer),
      async (err: unknown) => {
        if (err instanceof WorkerError && err.code === 'unreachable') {
          // A killed pod's connection resets before the watch reports it: give the loss a moment to cover this request.
          await Promise.race([w.lost, sleep(this.lossGraceMs)]);
          if (w.state === 'lost' || w.state === 'stopping') return;
        }
        done(false, performance.now() - t0, (err as Error).message);
      },
    );
  }

  liveWorkers(): number[] {
    return [...this.workers.values()].filter((w) => w.state === 'ready').map((w) => w.id);
  }

  kill(worker: number): void {
    const w = this.workers.get(worker);
    if (w === undefined) return;
    // Grace 0: the pod goes as abruptly as a node would; the watch reports the loss.
    void this.deletePod(w.name, 0);
    setTimeout(() => {
      if (this.workers.get(worker) === w) this.lose(w, `pod ${w.name} was killed and its deletion was not seen`, false);
    }, 30_000).unref();
  }

  /**
   * Each ready worker's memory and resident actors. With `podMemory`, the
   * memory is its pod's cgroup working set (a worker the kubelet has not
   * measured yet is left out of this sample), else the worker's RSS.
   */
  async sampleMemory(): Promise<WorkerMemorySample[]> {
    const live = [...this.workers.values()].filter((w) => w.state === 'ready' && w.client !== null);
    const pods = live.flatMap((w) => {
      const hostIp = w.lastPod?.status?.hostIP;
      const uid = w.lastPod?.metadata?.uid;
      return hostIp && uid ? [{ hostIp, uid }] : [];
    });
    const [podBytes, samples] = await Promise.all([
      this.podMemory === null || pods.length === 0 ? Promise.resolve(null) : this.podMemory.read(pods),
      Promise.all(
        live.map(async (w) => {
          try {
            const s = await w.client!.stats();
            return { worker: w.id, rssBytes: s.rssBytes, resident: s.resident, uid: w.lastPod?.metadata?.uid };
          } catch {
            return null;
          }
        }),
      ),
    ]);
    const out: WorkerMemorySample[] = [];
    for (const s of samples) {
      if (s === null) continue;
      if (podBytes === null) out.push({ worker: s.worker, rssBytes: s.rssBytes, resident: s.resident });
      else {
        const bytes = s.uid === undefined ? undefined : podBytes.get(s.uid);
        if (bytes !== undefined) out.push({ worker: s.worker, rssBytes: bytes, resident: s.resident });
      }
    }
    return out;
  }

  /** Resident actors of every ready worker, with their counters (for end-of-run checks). */
  async residentCounters(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const w of this.workers.values()) {
      if (w.client === null) continue;
      for (const a of await w.client.actors()) out.set(a.id, a.counter);
    }
    return out;
  }

  /** Deletes every worker pod of this policy set and waits (up to a minute) until they are gone, so the next set starts on a quiet cluster. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.workers.values()]) this.forget(w, 'stopping');
    const { namespace } = this.options.plan;
    const deadline = performance.now() + 60_000;
    try {
      for (;;) {
        const pods = await this.core.listNamespacedPod({ namespace, labelSelector: this.selector });
        const left = pods.items.filter((p) => p.metadata?.name !== undefined);
        if (left.length === 0 || performance.now() > deadline) break;
        await Promise.all(left.filter((p) => p.metadata?.deletionTimestamp === undefined || p.metadata.deletionTimestamp === null).map((p) => this.deletePod(p.metadata!.name!)));
        await sleep(500);
      }
    } catch (err) {
      this.options.log?.(`cleaning up worker pods failed: ${apiErrorText(err)}`);
    } finally {
      await this.informer?.stop();
    }
  }
}
