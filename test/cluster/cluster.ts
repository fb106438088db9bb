// What every test of `npm run test:cluster` shares: the cluster it runs
// against (the current kubeconfig context, or ACTORSIM_CLUSTER_CONTEXT), found
// once, and skipped with one line when none answers.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { loadCluster, probeCluster } from '../../real/k8s/cluster.ts';
import { planFor } from '../../real/k8s/launch.ts';
import { newRunId } from '../../real/k8s/names.ts';
import type { RunPlan } from '../../real/k8s/plan.ts';

/** A reachable cluster, or why there is none. */
export type Reach = { readonly ok: true; readonly kc: KubeConfig; readonly context: string; readonly version: string } | { readonly ok: false; readonly why: string };

/** The cluster under test; asks its /version within 3 s. */
export async function reachCluster(): Promise<Reach> {
  try {
    const context = process.env.ACTORSIM_CLUSTER_CONTEXT;
    const cluster = loadCluster(context === undefined ? {} : { context });
    const version = await probeCluster(cluster, 3_000);
    return { ok: true, kc: cluster.kc, context: cluster.context, version };
  } catch (err) {
    return { ok: false, why: (err as Error).message.split('\n')[0]! };
  }
}

/** The cluster of this test file (global-setup.ts says once for the whole run when there is none). */
export const reach = await reachCluster();

/** The image the tests' pods run (what local-cluster-up.sh imports). */
export const IMAGE = process.env.ACTORSIM_IMAGE ?? 'actorsim:dev';

/** A run plan for a test: a fresh namespace, one scenario node, images never pulled (there is no registry). */
export function testPlan(): RunPlan {
  return planFor({ k8s: { image: IMAGE }, scenario: { nodes: [{ name: 'n0' }] } }, `${newRunId(new Date())}`, { imagePullPolicy: 'Never', startTimeoutMs: 240_000 });
}

/** Deletes a namespace and waits (up to `ms`) until it is gone. */
export async function deleteNamespace(kc: KubeConfig, name: string, ms = 120_000): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  try {
    await core.deleteNamespace({ name, gracePeriodSeconds: 0 });
  } catch {
    return;
  }
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      await core.readNamespace({ name });
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/** Polls `probe` every 250 ms until it returns a value, or fails after `ms` naming `what`. */
export async function eventually<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what}: not within ${ms / 1000} s${last === undefined ? '' : ` (last error: ${(last as Error).message})`}`);
}
