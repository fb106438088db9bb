import type {
  V1ConfigMap,
  V1Job,
  V1Namespace,
  V1NetworkPolicy,
  V1PersistentVolumeClaim,
  V1Pod,
  V1Role,
  V1RoleBinding,
  V1Secret,
  V1Service,
  V1ServiceAccount,
} from '@kubernetes/client-node';
import { COMPONENT_LABEL, OBJECT_NAMES, runLabels } from './names.ts';
import { IMAGE_WORKDIR, RUN_CONFIG_DIR, STORE_DIR, TMP_DIR, TMP_EPHEMERAL_LIMIT, storeUrl, type RunPlan } from './plan.ts';
import { restrictedContainerSecurity, restrictedPodSecurity } from './pod-security.ts';

/** Key of the store's secret in the run's Secret. */
export const STORE_TOKEN_KEY = 'store-token';

/** Any manifest a run applies. */
export type RunManifest = V1Namespace | V1Secret | V1ConfigMap | V1ServiceAccount | V1Role | V1RoleBinding | V1NetworkPolicy | V1PersistentVolumeClaim | V1Pod | V1Service | V1Job;

/** What the run's manifests are built from. */
export interface RunManifestInput {
  readonly plan: RunPlan;
  /** The run's bearer token for the workers' API; the dry run prints a placeholder. */
  readonly token: string;
  /** The store's secret, distinct from `token`: only the store and the driver mount it; the dry run prints a placeholder. */
  readonly storeToken: string;
  /** Files of the run's ConfigMap, by key (bench.json, traces). */
  readonly configFiles: Readonly<Record<string, string>>;
  /** Cluster node each node claim should be provisioned on (claim name → node); absent: where the first worker lands. */
  readonly claimNodes?: Readonly<Record<string, string>>;
  /** StorageClass of the node claims; absent: the cluster's default (kind: local-path). */
  readonly storageClass?: string;
  /** Upper bound of the driver's run; past it Kubernetes stops the Job. */
  readonly activeDeadlineSeconds: number;
  /** What the driver runs (default: the bench, {@link DRIVER_COMMAND}); the calibration runs its own. */
  readonly driverCommand?: readonly string[];
}

/** The Service of the store. */
export const STORE_SERVICE = OBJECT_NAMES.store;
/** Annotation that tells a WaitForFirstConsumer provisioner which node to provision on, as the scheduler would. */
export const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node';

const meta = (plan: RunPlan, name: string, component?: 'worker' | 'store' | 'driver') => ({
  name,
  namespace: plan.namespace,
  labels: runLabels(plan.runId, plan.version, component),
});

/** The run's namespace: restricted Pod Security enforced, and labels to find it by. */
export function namespaceManifest(plan: RunPlan): V1Namespace {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: plan.namespace,
      labels: {
        ...runLabels(plan.runId, plan.version),
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
        'pod-security.kubernetes.io/warn': 'restricted',
        'pod-security.kubernetes.io/audit': 'restricted',
      },
    },
  };
}

/**
 * The Secret holding the run's two secrets: `token`, the workers' API token
 * (workers and driver read it), and `store-token`, the store's secret (only
 * the store and the driver read it; workers get per-request grants instead).
 */
export function tokenSecret(plan: RunPlan, token: string, storeToken: string): V1Secret {
  if (token === storeToken) throw new Error('the store secret must differ from the workers\' token');
  return { apiVersion: 'v1', kind: 'Secret', metadata: meta(plan, OBJECT_NAMES.secret), type: 'Opaque', stringData: { token, [STORE_TOKEN_KEY]: storeToken } };
}

/** The ConfigMap carrying what the driver runs: bench.json and any trace files. */
export function runConfigMap(plan: RunPlan, files: Readonly<Record<string, string>>): V1ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(plan, OBJECT_NAMES.config), data: { ...files } };
}

/** The driver's identity. */
export function driverServiceAccount(plan: RunPlan): V1ServiceAccount {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(plan, OBJECT_NAMES.serviceAccount), automountServiceAccountToken: false };
}

/**
 * What the driver may do: exactly the calls of the k8s runtime, on pods of
 * its own namespace (create and delete workers, watch them, read one back).
 * Everything else (the namespace, the store, the RBAC itself) is made by the
 * launcher with the user's credentials.
 */
export function driverRole(plan: RunPlan): V1Role {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: meta(plan, OBJECT_NAMES.role),
    rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'create', 'delete'] }],
  };
}

/** Binds the driver's Role to its ServiceAccount. */
export function driverRoleBinding(plan: RunPlan): V1RoleBinding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: meta(plan, OBJECT_NAMES.roleBinding),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: OBJECT_NAMES.role },
    subjects: [{ kind: 'ServiceAccount', name: OBJECT_NAMES.serviceAccount, namespace: plan.namespace }],
  };
}

/** Ports of cluster DNS (kube-dns / CoreDNS in kube-system), the one egress exception every dialing pod needs. */
const DNS_PORTS = [
  { protocol: 'UDP', port: 53 },
  { protocol: 'TCP', port: 53 },
];
/**
 * Ports of the API server as a pod reaches it: 443 on the `kubernetes`
 * Service, 6443 once the CNI has rewritten it to the control plane's address
 * (where most policy engines look). Only the driver talks to it.
 */
const API_SERVER_PORTS = [
  { protocol: 'TCP', port: 443 },
  { protocol: 'TCP', port: 6443 },
];

/**
 * Traffic of the namespace, denied by default both ways. Ingress: workers
 * admit the driver on their port (nothing else ever dials a worker: the
 * store is dialed, it never dials); the store admits the driver and the
 * workers on its port. Egress: workers reach the store and DNS (they dial
 * the store by its Service name); the driver reaches workers, the store,
 * DNS and the API server; the store dials nothing.
 */
export function networkPolicies(plan: RunPlan): V1NetworkPolicy[] {
  const pods = (...components: string[]) => components.map((c) => ({ podSelector: { matchLabels: { [COMPONENT_LABEL]: c } } }));
  const policy = (name: string, spec: V1NetworkPolicy['spec']): V1NetworkPolicy => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta(plan, name), spec: spec! });
  const dns = { to: [{ namespaceSelector: {}, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: DNS_PORTS };
  const toStore = { to: pods('store'), ports: [{ protocol: 'TCP', port: plan.storePort }] };
  return [
    policy(OBJECT_NAMES.denyIngress, { podSelector: {}, policyTypes: ['Ingress'] }),
    policy(OBJECT_NAMES.workerIngress, {
      podSelector: { matchLabels: { [COMPONENT_LABEL]: 'worker' } },
      policyTypes: ['Ingress'],
      ingress: [{ _from: pods('driver'), ports: [{ protocol: 'TCP', port: plan.workerPort }] }],
    }),
    policy(OBJECT_NAMES.storeIngress, {
      podSelector: { matchLabels: { [COMPONENT_LABEL]: 'store' } },
      policyTypes: ['Ingress'],
      ingress: [{ _from: pods('driver', 'worker'), ports: [{ protocol: 'TCP', port: plan.storePort }] }],
    }),
    policy(OBJECT_NAMES.denyEgress, { podSelector: {}, policyTypes: ['Egress'] }),
    policy(OBJECT_NAMES.workerEgress, {
      podSelector: { matchLabels: { [COMPONENT_LABEL]: 'worker' } },
      policyTypes: ['Egress'],
      egress: [toStore, dns],
    }),
    policy(OBJECT_NAMES.driverEgress, {
      podSelector: { matchLabels: { [COMPONENT_LABEL]: 'driver' } },
      policyTypes: ['Egress'],
      // The API server is no pod: any address, its ports only.
      egress: [{ to: pods('worker'), ports: [{ protocol: 'TCP', port: plan.workerPort }] }, toStore, dns, { ports: API_SERVER_PORTS }],
    }),
  ];
}

/**
 * One claim per scenario node: that node's local disk, where pauses go.
 * The restricted profile forbids hostPath, and a ReadWriteOnce claim is
 * exactly "one node's disk": every pod mounting it runs on that node and
 * shares its files. With a node to pin it to, the claim is provisioned at
 * once, so no worker's start pays for provisioning.
 */
export function nodeClaims(plan: RunPlan, claimNodes: Readonly<Record<string, string>> = {}, storageClass?: string): V1PersistentVolumeClaim[] {
  return Object.entries(plan.nodeClaims).map(([scenarioNode, claim]) => {
    const pinned = claimNodes[claim];
    return {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        ...meta(plan, claim),
        annotations: { 'actorsim.dev/scenario-node': scenarioNode, ...(pinned === undefined ? {} : { [SELECTED_NODE_ANNOTATION]: pinned }) },
      },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '1Gi' } },
        ...(storageClass === undefined ? {} : { storageClassName: storageClass }),
      },
    };
  });
}

/**
 * The store's blobs: every external and golden snapshot of the run. A
 * ceiling, not a reservation: a run that outgrows it has its store evicted
 * (the driver reports the store lost) instead of filling the node's disk.
 */
export const STORE_BLOBS_LIMIT = '32Gi';
/** The store's whole ephemeral storage: the blobs, its 256Mi of temp files and its log. */
const STORE_EPHEMERAL_LIMIT = '33Gi';

const tokenEnv = { name: 'ACTORSIM_TOKEN', valueFrom: { secretKeyRef: { name: OBJECT_NAMES.secret, key: 'token' } } };
/** The store reads its secret as its own ACTORSIM_TOKEN; the driver as ACTORSIM_STORE_TOKEN, to mint grants. */
const storeSecretEnv = (name: string) => ({ name, valueFrom: { secretKeyRef: { name: OBJECT_NAMES.secret, key: STORE_TOKEN_KEY } } });

/**
 * The snapshot store: one pod (object storage stands outside the sandbox,
 * so it runs under the default runtime, not the workers' RuntimeClass), its
 * blobs on an emptyDir, restarted in place if it crashes.
 */
export function storePod(plan: RunPlan): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta(plan, OBJECT_NAMES.store, 'store'),
    spec: {
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 5,
      securityContext: restrictedPodSecurity(),
      containers: [
        {
          name: 'store',
          image: plan.image,
          imagePullPolicy: plan.imagePullPolicy,
          workingDir: IMAGE_WORKDIR,
          command: ['node', '--import', 'tsx', 'real/store/main.ts'],
          ports: [{ name: 'http', containerPort: plan.storePort, protocol: 'TCP' }],
          env: [
            storeSecretEnv('ACTORSIM_TOKEN'),
            { name: 'ACTORSIM_HOST', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
            { name: 'ACTORSIM_PORT', value: String(plan.storePort) },
            { name: 'ACTORSIM_STORE_DIR', value: STORE_DIR },
            { name: 'TMPDIR', value: TMP_DIR },
          ],
          // CPU is capped so a busy store cannot starve the workers it serves on a small node; its
          // disk (the blobs, its temp files, its log) is bounded like its memory.
          resources: {
            requests: { cpu: '100m', memory: '128Mi', 'ephemeral-storage': '1Gi' },
            limits: { cpu: '1', memory: '512Mi', 'ephemeral-storage': STORE_EPHEMERAL_LIMIT },
          },
          securityContext: restrictedContainerSecurity(),
          volumeMounts: [
            { name: 'blobs', mountPath: STORE_DIR },
            { name: 'tmp', mountPath: TMP_DIR },
          ],
        },
      ],
      volumes: [
        { name: 'blobs', emptyDir: { sizeLimit: STORE_BLOBS_LIMIT } },
        { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
      ],
    },
  };
}

/** The store's Service: the name workers and driver dial. */
export function storeService(plan: RunPlan): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(plan, STORE_SERVICE, 'store'),
    spec: {
      selector: { [COMPONENT_LABEL]: 'store', 'actorsim.dev/run': runLabels(plan.runId, plan.version)['actorsim.dev/run']! },
      ports: [{ name: 'http', port: plan.storePort, targetPort: plan.storePort, protocol: 'TCP' }],
    },
  };
}

/** The driver's command line inside the image. */
export const DRIVER_COMMAND = ['node', '--import', 'tsx', 'real/k8s/job-main.ts', '--bench', `${RUN_CONFIG_DIR}/bench.json`];

/**
 * The driver: a Job from the same image, run once (a benchmark is not
 * idempotent, so a failed driver is not retried), under the driver's
 * ServiceAccount; it prints the report to its log, which the launcher reads.
 */
export function driverJob(plan: RunPlan, activeDeadlineSeconds: number, command: readonly string[] = DRIVER_COMMAND): V1Job {
  const labels = runLabels(plan.runId, plan.version, 'driver');
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta(plan, OBJECT_NAMES.job, 'driver'),
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds,
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: OBJECT_NAMES.serviceAccount,
          // The driver is the one pod that talks to the API server.
          automountServiceAccountToken: true,
          enableServiceLinks: false,
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: 30,
          securityContext: restrictedPodSecurity(),
          containers: [
            {
              name: 'driver',
              image: plan.image,
              imagePullPolicy: plan.imagePullPolicy,
              workingDir: IMAGE_WORKDIR,
              command: [...command],
              env: [
                tokenEnv,
                storeSecretEnv('ACTORSIM_STORE_TOKEN'),
                { name: 'ACTORSIM_STORE_URL', value: storeUrl(plan, STORE_SERVICE) },
                { name: 'TMPDIR', value: TMP_DIR },
              ],
              resources: {
                requests: { cpu: '250m', memory: '256Mi', 'ephemeral-storage': '64Mi' },
                limits: { cpu: '1', memory: '1Gi', 'ephemeral-storage': TMP_EPHEMERAL_LIMIT },
              },
              securityContext: restrictedContainerSecurity(),
              volumeMounts: [
                { name: 'run-config', mountPath: RUN_CONFIG_DIR, readOnly: true },
                { name: 'tmp', mountPath: TMP_DIR },
              ],
            },
          ],
          volumes: [
            { name: 'run-config', configMap: { name: OBJECT_NAMES.config } },
            { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
          ],
        },
      },
    },
  };
}

/** Every manifest of a run, in the order they are applied (the namespace first, the driver last). */
export function runManifests(input: RunManifestInput): RunManifest[] {
  const { plan } = input;
  return [
    namespaceManifest(plan),
    tokenSecret(plan, input.token, input.storeToken),
    runConfigMap(plan, input.configFiles),
    driverServiceAccount(plan),
    driverRole(plan),
    driverRoleBinding(plan),
    ...networkPolicies(plan),
    ...nodeClaims(plan, input.claimNodes, input.storageClass),
    storePod(plan),
    storeService(plan),
    driverJob(plan, input.activeDeadlineSeconds, input.driverCommand),
  ];
}
