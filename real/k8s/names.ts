import { randomBytes } from 'node:crypto';

/**
 * Names and labels of the objects one k8s run creates. Every object carries
 * the `app.kubernetes.io/*` set and `actorsim.dev/run`, so one label
 * selector finds everything a run made, and deleting the run's namespace
 * removes it all.
 */

/** Label every object of every run carries. */
export const PART_OF = 'app.kubernetes.io/part-of';
/** Label naming the run (also the namespace's suffix). */
export const RUN_LABEL = 'actorsim.dev/run';
/** Label naming the role of a pod: worker, store or driver. */
export const COMPONENT_LABEL = 'app.kubernetes.io/component';
/** Label of a worker pod: the core's worker id. */
export const WORKER_LABEL = 'actorsim.dev/worker';
/** Label of a worker pod: the index of its policy set in the run. */
export const POLICY_LABEL = 'actorsim.dev/policy-index';

/** Names of the fixed objects of a run's namespace. */
export const OBJECT_NAMES = {
  secret: 'run-token',
  config: 'run-config',
  serviceAccount: 'driver',
  role: 'driver',
  roleBinding: 'driver',
  job: 'driver',
  store: 'store',
  denyIngress: 'default-deny-ingress',
  workerIngress: 'workers-admit-driver',
  storeIngress: 'store-admit-driver-and-workers',
  denyEgress: 'default-deny-egress',
  workerEgress: 'workers-reach-store-and-dns',
  driverEgress: 'driver-reaches-workers-store-dns-and-api',
} as const;

/** Pod roles, the values of {@link COMPONENT_LABEL}. */
export type Component = 'worker' | 'store' | 'driver';

/** A fresh run id: UTC time to the second and 4 random hex digits, e.g. `20261128-233012-a1b2`. */
export function newRunId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

/** The namespace of a run. */
export function namespaceFor(runId: string): string {
  return `actorsim-${runId}`;
}

/**
 * A DNS-1123 label (lower case alphanumerics and '-', at most `max`
 * characters) from any text; scenario names like `node-A_1` become `node-a-1`.
 */
export function dnsLabel(text: string, max = 63): string {
  const cleaned = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/g, '');
  return cleaned.length > 0 ? cleaned : 'x';
}

/** A label value (at most 63 characters of [A-Za-z0-9._-], alphanumeric at both ends). */
export function labelValue(text: string): string {
  const cleaned = text
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return cleaned.length > 0 ? cleaned : 'x';
}

/** Name of the worker pod of `worker` under the policy set at `policyIndex`. */
export function workerPodName(policyIndex: number, worker: number): string {
  return `w${policyIndex}-${worker}`;
}

/** Name of the volume claim standing for a scenario node's local disk. */
export function nodeClaimName(node: string, index: number): string {
  // The index keeps two scenario nodes whose names clean up alike (node_a, node-a) apart.
  return `node-${index}-${dnsLabel(node, 40)}`;
}

/** The labels every object of the run carries, plus the component's. */
export function runLabels(runId: string, version: string, component?: Component): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'actorsim',
    'app.kubernetes.io/instance': labelValue(`actorsim-${runId}`),
    'app.kubernetes.io/version': labelValue(version),
    'app.kubernetes.io/managed-by': 'actorsim-bench',
    [PART_OF]: 'actorsim',
    [RUN_LABEL]: labelValue(runId),
    ...(component === undefined ? {} : { [COMPONENT_LABEL]: component }),
  };
}
