// A run's manifests against a real API server: admitted with Pod Security
// `restricted` enforced, a privileged pod refused, and the driver's
// ServiceAccount allowed exactly what its Role says.
import { AuthorizationV1Api, BatchV1Api, CoreV1Api, KubeConfig, NetworkingV1Api, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManifestApplier } from '../../real/k8s/apply.ts';
import { driverRole, runManifests } from '../../real/k8s/manifests.ts';
import type { RunPlan } from '../../real/k8s/plan.ts';
import { deleteNamespace, reach, testPlan } from './cluster.ts';

describe.skipIf(!reach.ok)('a run namespace on a real API server', () => {
  const kc = reach.ok ? reach.kc : new KubeConfig();
  let plan: RunPlan;

  beforeAll(async () => {
    plan = testPlan();
    const applier = new ManifestApplier(kc);
    const manifests = runManifests({ plan, token: 'test-token', storeToken: 'test-store-token', configFiles: { 'bench.json': '{}\n' }, activeDeadlineSeconds: 600 });
    for (const m of manifests) {
      // The driver Job would run a bench: it is checked by a dry run below, not created.
      if (m.kind !== 'Job') await applier.create(m);
    }
  });
  afterAll(async () => {
    if (plan !== undefined) await deleteNamespace(kc, plan.namespace);
  });

  it('enforces Pod Security restricted on the namespace', async () => {
    const ns = await kc.makeApiClient(CoreV1Api).readNamespace({ name: plan.namespace });
    expect(ns.metadata?.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it('admits the store pod and the driver Job (server-side dry run) under restricted', async () => {
    const pods = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: plan.namespace });
    expect(pods.items.map((p) => p.metadata?.name)).toContain('store');
    const job = runManifests({ plan, token: 't', storeToken: 's', configFiles: {}, activeDeadlineSeconds: 600 }).find((m) => m.kind === 'Job') as V1Job;
    const dry = await kc.makeApiClient(BatchV1Api).createNamespacedJob({ namespace: plan.namespace, body: job, dryRun: 'All' });
    expect(dry.spec?.template.spec?.securityContext?.runAsNonRoot).toBe(true);
    // Pod Security checks pods, not Jobs: a pod of the Job's template must pass too.
    const pod: V1Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'driver-dry-run', namespace: plan.namespace }, spec: job.spec!.template.spec! };
    await kc.makeApiClient(CoreV1Api).createNamespacedPod({ namespace: plan.namespace, body: pod, dryRun: 'All' });
  });

  it('refuses a privileged pod in the run namespace', async () => {
    const pod: V1Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'privileged', namespace: plan.namespace },
      spec: { containers: [{ name: 'c', image: plan.image, imagePullPolicy: 'Never', securityContext: { privileged: true } }] },
    };
    const err = await kc
      .makeApiClient(CoreV1Api)
      .createNamespacedPod({ namespace: plan.namespace, body: pod })
      .then(() => null, (e: unknown) => e as { code?: number; body?: string });
    expect(err?.code).toBe(403);
    // The body is the API Status as JSON: its quotes arrive escaped.
    expect(String(err?.body)).toMatch(/violates PodSecurity .{0,2}restricted:latest.*privileged/);
  });

  it('accepts the NetworkPolicies (whether the CNI enforces them is the CNI’s: the local cluster’s bridge does not)', async () => {
    const list = await kc.makeApiClient(NetworkingV1Api).listNamespacedNetworkPolicy({ namespace: plan.namespace });
    expect(list.items.map((p) => p.metadata?.name).sort()).toEqual(['default-deny-egress', 'default-deny-ingress', 'driver-reaches-workers-store-dns-and-api', 'store-admit-driver-and-workers', 'workers-admit-driver', 'workers-reach-store-and-dns']);
  });

  it("lets the driver's ServiceAccount do exactly what its Role says", async () => {
    const token = await kc.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({ name: 'driver', namespace: plan.namespace, body: { spec: { audiences: [], expirationSeconds: 600 } } });
    const cluster = kc.getCurrentCluster()!;
    const asDriver = new KubeConfig();
    asDriver.loadFromOptions({
      clusters: [cluster],
      users: [{ name: 'driver', token: token.status!.token }],
      contexts: [{ name: 'driver', cluster: cluster.name, user: 'driver' }],
      currentContext: 'driver',
    });
    const authz = asDriver.makeApiClient(AuthorizationV1Api);
    const can = async (verb: string, resource: string, namespace = plan.namespace, subresource?: string): Promise<boolean> => {
      const r = await authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { verb, resource, namespace, ...(subresource === undefined ? {} : { subresource }) } } } });
      return r.status?.allowed === true;
    };
    const granted = driverRole(plan).rules!.flatMap((r) => r.resources!.flatMap((res) => r.verbs.map((v) => `${v} ${res}`)));
    expect(granted.sort()).toEqual(['create pods', 'delete pods', 'get pods', 'list pods', 'watch pods']);
    for (const g of granted) {
      const [verb, resource] = g.split(' ') as [string, string];
      expect(await can(verb, resource), `${g} in the run namespace`).toBe(true);
    }
    const refused: [string, string, string?, string?][] = [
      ['update', 'pods'],
      ['patch', 'pods'],
      ['deletecollection', 'pods'],
      ['create', 'pods', 'default'],
      ['list', 'pods', 'kube-system'],
      ['create', 'pods', plan.namespace, 'exec'],
      ['get', 'secrets'],
      ['get', 'configmaps'],
      ['create', 'services'],
      ['create', 'networkpolicies'],
      ['delete', 'namespaces', ''],
    ];
    for (const [verb, resource, namespace, sub] of refused) {
      expect(await can(verb, resource, namespace ?? plan.namespace, sub), `${verb} ${resource}${sub ? `/${sub}` : ''} in ${namespace ?? 'the run namespace'}`).toBe(false);
    }
  });
});
