// Worker pods on a real cluster, through the k8s runtime as the driver uses
// it (from this machine: the local cluster's pod IPs are routed here, and its
// bridge CNI does not enforce the NetworkPolicy that would admit only the driver).
import { CoreV1Api, Exec, KubeConfig } from '@kubernetes/client-node';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManifestApplier } from '../../real/k8s/apply.ts';
import { namespaceManifest, nodeClaims, tokenSecret } from '../../real/k8s/manifests.ts';
import type { RunPlan } from '../../real/k8s/plan.ts';
import { K8sRuntime } from '../../real/k8s/runtime.ts';
import type { RuntimeEvent } from '../../real/runtime.ts';
import { deleteNamespace, eventually, reach, testPlan } from './cluster.ts';

const TOKEN = 'cluster-test-token';
const STORE_TOKEN = 'cluster-test-store-token';

/** Runs a command in a pod's container and returns its stdout. */
async function execIn(kc: KubeConfig, namespace: string, pod: string, container: string, command: string[]): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString('utf8')));
  await new Promise<void>((resolve, reject) => {
    new Exec(kc)
      .exec(namespace, pod, container, command, out, null, null, false, (status) => {
        if (status.status === 'Success') resolve();
        else reject(new Error(`exec ${command.join(' ')}: ${JSON.stringify(status)}`));
      })
      .catch(reject);
  });
  return text;
}

describe.skipIf(!reach.ok)('worker pods under gVisor on a real cluster', () => {
  const kc = reach.ok ? reach.kc : new KubeConfig();
  let plan: RunPlan;
  let runtime: K8sRuntime;
  const events: RuntimeEvent[] = [];

  beforeAll(async () => {
    plan = testPlan();
    const applier = new ManifestApplier(kc);
    for (const m of [namespaceManifest(plan), tokenSecret(plan, TOKEN, STORE_TOKEN), ...nodeClaims(plan)]) await applier.create(m);
    runtime = await K8sRuntime.start({
      kubeConfig: kc,
      plan,
      policyIndex: 0,
      policyName: 'cluster-test',
      pools: { p: { actorSlots: 2, runtimeClass: 'gvisor', nodeSelector: {} } },
      templateMemoryMiB: { t: 8 },
      token: TOKEN,
      storeToken: STORE_TOKEN,
      storeUrl: 'http://store:7070',
    });
    runtime.attach((e) => events.push(e));
  });
  afterAll(async () => {
    await runtime?.close();
    if (plan !== undefined) await deleteNamespace(kc, plan.namespace);
  });

  const readyOf = (worker: number) => events.find((e) => e.kind === 'workerReady' && e.worker === worker);
  const lostOf = (worker: number) => events.filter((e) => e.kind === 'workerLost' && e.worker === worker);

  it('starts a worker pod that runs under runsc: its kernel is gVisor’s', async () => {
    runtime.run({ kind: 'startWorker', worker: 1, pool: 'p', node: 'n0', memoryMiB: 64 });
    const ready = await eventually('worker 1 ready', 240_000, async () => readyOf(1));
    expect(ready).toMatchObject({ kind: 'workerReady', worker: 1 });
    const pod = (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: plan.namespace, labelSelector: 'actorsim.dev/worker=1' })).items[0]!;
    expect(pod.spec?.runtimeClassName).toBe('gvisor');
    const version = await execIn(kc, plan.namespace, pod.metadata!.name!, 'worker', ['node', '-e', "process.stdout.write(require('fs').readFileSync('/proc/version', 'utf8'))"]);
    // gVisor's Sentry answers /proc/version itself, with a fixed kernel of its own, not the host's.
    const host = (await import('node:os')).release();
    expect(version).not.toContain(host);
    expect(version).toMatch(/^Linux version \S*gvisor/);
  });

  it('reports a worker pod deleted under it as one workerLost, and starts a replacement', async () => {
    const name = (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: plan.namespace, labelSelector: 'actorsim.dev/worker=1' })).items[0]!.metadata!.name!;
    await kc.makeApiClient(CoreV1Api).deleteNamespacedPod({ name, namespace: plan.namespace, gracePeriodSeconds: 0 });
    await eventually('worker 1 lost', 60_000, async () => (lostOf(1).length > 0 ? true : undefined));
    // The deletion's later events (terminating, gone) must not report it again.
    await new Promise((r) => setTimeout(r, 5_000));
    expect(lostOf(1)).toHaveLength(1);
    expect(runtime.liveWorkers()).not.toContain(1);
    // The core answers a loss with a new startWorker: the replacement comes up.
    runtime.run({ kind: 'startWorker', worker: 2, pool: 'p', node: 'n0', memoryMiB: 64 });
    await eventually('replacement worker 2 ready', 240_000, async () => readyOf(2));
    expect(runtime.liveWorkers()).toEqual([2]);
  });
});
