import type { V1Pod } from '@kubernetes/client-node';
import { OBJECT_NAMES, POLICY_LABEL, WORKER_LABEL, labelValue, runLabels, workerPodName } from './names.ts';
import { IMAGE_WORKDIR, NODE_DIR, TMP_DIR, TMP_EPHEMERAL_LIMIT, type RunPlan } from './plan.ts';
import { restrictedContainerSecurity, restrictedPodSecurity } from './pod-security.ts';
import type { PolicySet, Scenario } from '../../scenarios/scenario.ts';

/** What one worker pod is: the core's startWorker, resolved against its pool. */
export interface WorkerPodInput {
  readonly plan: RunPlan;
  readonly policyIndex: number;
  readonly policyName: string;
  /** The core's worker id. */
  readonly worker: number;
  readonly pool: string;
  /** The scenario node the core placed the worker on. */
  readonly node: string;
  readonly actorSlots: number;
  /** The pool's worker memory under this policy set. */
  readonly memoryMiB: number;
  readonly cpuMilli?: number;
  /** RuntimeClass of the pool (gvisor unless the scenario says otherwise). */
  readonly runtimeClass: string;
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** The store's URL as the worker reaches it. */
  readonly storeUrl: string;
  /** How long the worker's one read or write of the store may take (default the worker's, 60 s). */
  readonly storeTimeoutMs?: number;
}

/** What a pool's worker pods share under one policy set: slots, cpu, RuntimeClass and node selector. */
export type PoolShape = Pick<WorkerPodInput, 'actorSlots' | 'cpuMilli' | 'runtimeClass' | 'nodeSelector'>;

/** The shape of a pool's worker pods from the policy set's setup of it and the scenario's pool (gvisor unless it says otherwise). */
export function poolShape(setup: PolicySet['pools'][string], def: Scenario['pools'][number] | undefined): PoolShape {
  return {
    actorSlots: setup.mode === 'dedicated' ? 1 : setup.actorSlots,
    ...(def?.workerCpuMilli === undefined ? {} : { cpuMilli: def.workerCpuMilli }),
    runtimeClass: def?.runtimeClass ?? 'gvisor',
    nodeSelector: def?.nodeSelector ?? {},
  };
}

/** CPU a worker asks for when its pool names none. */
export const DEFAULT_WORKER_CPU_MILLI = 100;

/**
 * The pod of one worker: the worker server of `real/worker/main.ts` on its
 * pod IP, sandboxed by the pool's RuntimeClass, wearing the restricted
 * profile, with no service account token, its run token from the run's
 * Secret (never the store's secret: each restore and checkpoint brings a
 * grant for the one snapshot it touches), and its scenario node's disk as a shared volume (workers on one
 * scenario node share pauses, as on a real node).
 *
 * It has no readiness probe on purpose: the driver polls `/healthz` itself
 * from where the NetworkPolicy admits it, every 50 ms, which times the start
 * finer than a probe's 1 s period and does not depend on the CNI exempting
 * kubelet probes from the policy (kind's does not always).
 */
export function workerPod(input: WorkerPodInput): V1Pod {
  const { plan } = input;
  const claim = plan.nodeClaims[input.node];
  if (claim === undefined) throw new Error(`worker ${input.worker}: no volume claim for scenario node "${input.node}"`);
  // --worker-cpu replaces the pool's cpu: the request always, the limit only where the pool sets one.
  const cpu = plan.workerCpuMilli ?? input.cpuMilli ?? DEFAULT_WORKER_CPU_MILLI;
  const cpuLimit = input.cpuMilli === undefined ? undefined : (plan.workerCpuMilli ?? input.cpuMilli);
  const memory = `${Math.ceil(input.memoryMiB)}Mi`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: workerPodName(input.policyIndex, input.worker),
      namespace: plan.namespace,
      labels: {
        ...runLabels(plan.runId, plan.version, 'worker'),
        [WORKER_LABEL]: String(input.worker),
        [POLICY_LABEL]: String(input.policyIndex),
        'actorsim.dev/pool': labelValue(input.pool),
        'actorsim.dev/scenario-node': labelValue(input.node),
      },
      annotations: { 'actorsim.dev/policy': input.policyName, 'actorsim.dev/scenario-node': input.node },
    },
    spec: {
      runtimeClassName: input.runtimeClass,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 5,
      securityContext: restrictedPodSecurity(),
      ...(Object.keys(input.nodeSelector).length > 0 ? { nodeSelector: { ...input.nodeSelector } } : {}),
      containers: [
        {
          name: 'worker',
          image: plan.image,
          imagePullPolicy: plan.imagePullPolicy,
          workingDir: IMAGE_WORKDIR,
          command: ['node', '--import', 'tsx', 'real/worker/main.ts'],
          ports: [{ name: 'http', containerPort: plan.workerPort, protocol: 'TCP' }],
          env: [
            { name: 'ACTORSIM_TOKEN', valueFrom: { secretKeyRef: { name: OBJECT_NAMES.secret, key: 'token' } } },
            { name: 'ACTORSIM_HOST', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
            { name: 'ACTORSIM_PORT', value: String(plan.workerPort) },
            { name: 'ACTORSIM_WORKER_ID', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'ACTORSIM_ACTOR_SLOTS', value: String(input.actorSlots) },
            { name: 'ACTORSIM_STORE_URL', value: input.storeUrl },
            ...(input.storeTimeoutMs === undefined ? [] : [{ name: 'ACTORSIM_STORE_TIMEOUT_MS', value: String(input.storeTimeoutMs) }]),
            { name: 'ACTORSIM_NODE_DIR', value: NODE_DIR },
            { name: 'TMPDIR', value: TMP_DIR },
          ],
          resources: {
            requests: { memory, cpu: `${cpu}m`, 'ephemeral-storage': '64Mi' },
            limits: {
              memory: `${Math.ceil(input.memoryMiB) + plan.memoryOverheadMiB}Mi`,
              // Its only writable place is /tmp (256Mi) besides the node's claim, which does not count here.
              'ephemeral-storage': TMP_EPHEMERAL_LIMIT,
              ...(cpuLimit === undefined ? {} : { cpu: `${cpuLimit}m` }),
            },
          },
          securityContext: restrictedContainerSecurity(),
          volumeMounts: [
            { name: 'node-disk', mountPath: NODE_DIR },
            { name: 'tmp', mountPath: TMP_DIR },
          ],
        },
      ],
      volumes: [
        { name: 'node-disk', persistentVolumeClaim: { claimName: claim } },
        { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
      ],
    },
  };
}
