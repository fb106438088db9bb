import { reachCluster } from './cluster.ts';

/** Says once, for the whole run, when there is no cluster to test (each file then skips its tests). */
export default async function setup(): Promise<void> {
  const reach = await reachCluster();
  if (!reach.ok) console.log(`test:cluster: skipped, ${reach.why}; start one with scripts/local-cluster-up.sh (or set ACTORSIM_CLUSTER_CONTEXT)`);
  else console.log(`test:cluster: context ${reach.context}, Kubernetes ${reach.version}`);
}
