import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../../scenarios/load.ts';
import { generateWorkload } from '../../../scenarios/workload.ts';
import { compressScenario, compressWorkload } from '../../../real/compress.ts';
import { drive } from '../../../real/driver.ts';
import type { RealRuntime, RuntimeEvent } from '../../../real/runtime.ts';
import { StoreClient } from '../../../real/store/client.ts';
import { ManifestApplier } from '../../../real/k8s/apply.ts';
import { runManifests } from '../../../real/k8s/manifests.ts';
import { namespaceFor } from '../../../real/k8s/names.ts';
import type { RunPlan } from '../../../real/k8s/plan.ts';
import { K8sRuntime } from '../../../real/k8s/runtime.ts';
import { REPO, removeTempDirs, tempDir } from '../helpers.ts';
import { WAIT_CEILING_MS, waitFor } from '../../helpers/wait.ts';
import { FakeKube } from './fake-kube.ts';

// 6 actors of 8 MiB on 2 shared workers x 2 slots, 40 s of traffic replayed
// 4x faster; a 2 s TTL so actors suspend to the store and resume. Parking
// waits up to 10 minutes: on a busy machine the pods start late, and a
// parked invocation must wait for them, not be rejected for the machine's pace.
const TINY = `
name: tiny-k8s
seed: 5
duration: 40s
cluster: {nodes: [{name: node-a, memory: 4Gi}, {name: node-b, memory: 4Gi}]}
pools: [{name: p, replicas: 2, actorSlots: 2, worker: {memory: 64Mi, cpu: 250m}}]
templates: [{name: t, pool: p, memory: 8Mi, snapshot: 8Mi, work: {kind: constant, value: 250ms}}]
workload: [{template: t, actors: 6, arrivals: {kind: poisson, ratePerSec: 2}}]
costs: substrate-kind
policies:
  - {name: ttl-suspend, placement: p2c, idle: {kind: ttl, ttl: 2s, action: suspend}, admission: {parkTimeout: 10m, maxParked: 100}, maxAttempts: 5}
`;

const ADMIN = 'admin-token-for-tests';
const TOKEN = 'run-token-0123456789abcdef';
const STORE_TOKEN = 'store-secret-fedcba9876543210';
const IMAGE = 'actorsim:test';

/** A port free on every loopback address (workers of every pod IP share it). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

let fake: FakeKube;
beforeAll(async () => {
  fake = await FakeKube.start({ repo: REPO, workDir: tempDir('fake-kube'), adminToken: ADMIN, images: [IMAGE] });
});
afterAll(async () => {
  await fake?.close();
  removeTempDirs();
});

/** Records what a runtime reports, on its way to the driver. */
function recording(rt: RealRuntime, events: RuntimeEvent[]): RealRuntime {
  return {
    name: rt.name,
    attach: (sink) => rt.attach((e) => {
      events.push(e);
      sink(e);
    }),
    run: (c) => rt.run(c),
    liveWorkers: () => rt.liveWorkers(),
    kill: (w) => rt.kill(w),
    sampleMemory: () => rt.sampleMemory(),
    close: () => rt.close(),
  };
}

describe('k8s runtime against a fake API server, with worker pods backed by real worker processes', () => {
  it('starts worker pods, serves the workload through them, and turns a pod deleted mid-run into one workerLost', async () => {
    const dir = tempDir('k8s-rt');
    const file = join(dir, 'tiny.yaml');
    writeFileSync(file, TINY);
    const original = loadScenarioFile(file);
    const scenario = compressScenario(original, 4);
    const workload = compressWorkload(await generateWorkload(original, original.seed), 4);
    const runId = '20261128-120000-beef';
    const plan: RunPlan = {
      runId,
      namespace: namespaceFor(runId),
      image: IMAGE,
      imagePullPolicy: 'IfNotPresent',
      workerPort: await freePort(),
      storePort: await freePort(),
      memoryOverheadMiB: 256,
      startTimeoutMs: WAIT_CEILING_MS,
      nodeClaims: { 'node-a': 'node-0-node-a', 'node-b': 'node-1-node-b' },
      version: '0.1.0',
    };
    // The launcher's part, with the user's credentials: everything but the driver Job.
    const admin = new KubeConfig();
    admin.loadFromFile(fake.kubeconfig(ADMIN, join(dir, 'admin.kubeconfig')));
    const applier = new ManifestApplier(admin);
    for (const m of runManifests({ plan, token: TOKEN, storeToken: STORE_TOKEN, configFiles: {}, activeDeadlineSeconds: 600 })) if (m.kind !== 'Job') await applier.create(m);
    const storePod = fake.list('pods', plan.namespace).find((p) => p.metadata.name === 'store')!;
    const storeUrl = `http://${storePod.metadata.annotations['fake.actorsim.dev/ip']}:${plan.storePort}`;
    await waitFor('the store to answer', () =>
      new StoreClient({ url: storeUrl, token: STORE_TOKEN, timeoutMs: 10_000 }).head('probe').then(
        () => true,
        () => false,
      ),
    );

    // The driver's part, with the driver's service account: RBAC is enforced by the fake.
    const driver = new KubeConfig();
    driver.loadFromFile(fake.serviceAccountKubeconfig(plan.namespace, 'driver', join(dir, 'driver.kubeconfig')));
    const policy = scenario.policies[0]!;
    const runtime = await K8sRuntime.start({
      kubeConfig: driver,
      plan,
      policyIndex: 0,
      policyName: policy.name,
      pools: { p: { actorSlots: 2, cpuMilli: 250, runtimeClass: 'gvisor', nodeSelector: {} } },
      templateMemoryMiB: { t: 8 },
      token: TOKEN,
      storeToken: STORE_TOKEN,
      storeUrl: `http://store:${plan.storePort}`,
    });
    const events: RuntimeEvent[] = [];
    let deleted = '';
    const readyCount = (): number => events.filter((e) => e.kind === 'workerReady').length;
    // Mid-run, someone deletes a ready worker's pod: as soon as both are ready, while the run still
    // has its invocations to serve (it ends only when each has an outcome).
    const deleter = (async () => {
      await waitFor('two ready workers', () => readyCount() >= 2).catch(() => undefined);
      const victim = fake.list('pods', plan.namespace).find((p) => p.metadata.labels['app.kubernetes.io/component'] === 'worker' && p.status?.phase === 'Running');
      if (victim !== undefined) {
        deleted = victim.metadata.name;
        fake.deletePod(plan.namespace, deleted);
      }
    })();
    const result = await drive(scenario, policy, workload, recording(runtime, events), {
      seed: scenario.seed,
      clock: () => performance.now(),
      memoryEveryMs: 500,
      // A ceiling: the run ends when every invocation has its outcome.
      drainMs: WAIT_CEILING_MS,
      // The replacement of the deleted worker may come up after the last invocation on a slow
      // machine: wait for it (its workerReady is recorded, not fed to the ended run).
      beforeClose: async () => {
        await deleter;
        if (deleted !== '') await waitFor('the replacement worker to be ready', () => readyCount() >= 3);
      },
    });
    await deleter;

    expect(deleted).not.toBe('');
    const lost = events.filter((e) => e.kind === 'workerLost');
    expect(lost.map((e) => e.kind === 'workerLost' && e.why)).toEqual([`pod ${deleted} is being deleted`]);
    expect(result.counters.workersLost).toBe(1);
    // Two workers at the start and the one that replaced the lost one, each timed from create to answering.
    const ready = events.filter((e) => e.kind === 'workerReady');
    expect(ready.length).toBeGreaterThanOrEqual(3);
    expect(result.measured.workerStartMs.every((ms) => ms > 0 && ms < plan.startTimeoutMs)).toBe(true);
    // Every invocation has exactly one outcome; losses are retried, not dropped.
    expect(result.replies.length).toBe(workload.arrivalMs.length);
    expect(new Set(result.replies.map((r) => r.invocation)).size).toBe(workload.arrivalMs.length);
    expect(result.replies.filter((r) => r.outcome === 'served').length).toBeGreaterThan(workload.arrivalMs.length * 0.8);
    expect(Object.values(result.measured.restoreMs).flat().length).toBeGreaterThan(0);
    expect(Object.values(result.measured.checkpointMs).flat().length).toBeGreaterThan(0);
    expect(result.measured.memory.length).toBeGreaterThan(0);
    expect(result.measured.errors.filter((e) => /corrupt|version-mismatch/.test(e))).toEqual([]);

    // The worker pods were real: sandboxed, labelled, and gone after close.
    const created = fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/pods') && r.user.startsWith('system:serviceaccount'));
    expect(created.length).toBe(ready.length);
    if (process.env.K8S_TEST_DEBUG) console.log({ ready: ready.length, startMs: result.measured.workerStartMs.map(Math.round), served: result.replies.filter((r) => r.outcome === 'served').length, of: result.replies.length, restores: result.measured.restoreMs, requests: fake.requests.length });
    expect(fake.list('pods', plan.namespace).filter((p) => p.metadata.labels['app.kubernetes.io/component'] === 'worker')).toEqual([]);
    // The driver stayed within its Role, and made no call the fake does not know.
    expect(fake.requests.filter((r) => r.user.startsWith('system:serviceaccount') && r.status === 403)).toEqual([]);
    expect(fake.unhandled).toEqual([]);
    // It watched: the informer's watch request carried its label selector.
    expect(fake.requests.some((r) => r.path.includes('watch=true') && r.path.includes('actorsim.dev%2Fpolicy-index%3D0'))).toBe(true);
  });
});
