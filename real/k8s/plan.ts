import { z } from 'zod';

/**
 * What the launcher decided about a k8s run and the driver inside the
 * cluster must know: where things are and what they are called. It travels
 * in the run's ConfigMap as part of `bench.json`, so both sides build the
 * same manifests from the same values.
 */
export interface RunPlan {
  readonly runId: string;
  readonly namespace: string;
  /** Image of the worker, store and driver (one image, three commands). */
  readonly image: string;
  readonly imagePullPolicy: 'IfNotPresent' | 'Always' | 'Never';
  /** Port every worker listens on, on its pod IP. */
  readonly workerPort: number;
  /** Port of the snapshot store (pod and Service). */
  readonly storePort: number;
  /**
   * Memory a worker pod gets on top of its pool's worker memory: the Node.js
   * runtime and gVisor's Sentry live in the pod too, and the scenario's
   * worker memory accounts for the actors only.
   */
  readonly memoryOverheadMiB: number;
  /** Budget from creating a worker pod to its answering the driver, before it counts as lost. */
  readonly startTimeoutMs: number;
  /** Scenario node name → the claim standing for that node's local disk (pauses). */
  readonly nodeClaims: Readonly<Record<string, string>>;
  /** Harness version, for the app.kubernetes.io/version label. */
  readonly version: string;
  /** --worker-cpu: every worker pod's cpu request in millicores (and its limit, where its pool sets one); absent: the pool's own. */
  readonly workerCpuMilli?: number;
}

/** Schema of {@link RunPlan}, for the driver reading it back. */
export const runPlanSchema = z.strictObject({
  runId: z.string().regex(/^[a-z0-9-]+$/),
  namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(63),
  image: z.string().min(1),
  imagePullPolicy: z.enum(['IfNotPresent', 'Always', 'Never']),
  workerPort: z.number().int().min(1).max(65535),
  storePort: z.number().int().min(1).max(65535),
  memoryOverheadMiB: z.number().int().min(0),
  startTimeoutMs: z.number().int().min(1),
  nodeClaims: z.record(z.string(), z.string()),
  version: z.string(),
  workerCpuMilli: z.number().int().min(1).optional(),
});

/** Mount point of the run's ConfigMap in the driver pod. */
export const RUN_CONFIG_DIR = '/etc/actorsim/run';
/** Working directory of the image: the repository. */
export const IMAGE_WORKDIR = '/app';
/** Where a worker's node volume (its scenario node's local disk) is mounted. */
export const NODE_DIR = '/var/lib/actorsim/node';
/** Where the store keeps its blobs. */
export const STORE_DIR = '/var/lib/actorsim/store';
/** The only writable scratch space of every pod (tsx's cache, temp files). */
export const TMP_DIR = '/tmp';
/** Ephemeral storage of a pod whose only writable place is its 256Mi /tmp (besides any claim), plus its log. */
export const TMP_EPHEMERAL_LIMIT = '512Mi';
/** Non-root user every container runs as (the `node` user of the Node.js images). */
export const RUN_AS_USER = 1000;

/** The store's URL as pods in the run's namespace reach it: the Service, by its short name. */
export function storeUrl(plan: Pick<RunPlan, 'storePort'>, service: string): string {
  return `http://${service}:${plan.storePort}`;
}
