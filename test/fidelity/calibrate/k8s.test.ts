import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../../cli/io.ts';
import { UsageError } from '../../../cli/usage-error.ts';
import { ClusterCapacityError } from '../../../real/k8s/errors.ts';
import { probeScenario, runCalibrate, samplesPathFor } from '../../../fidelity/calibrate/main.ts';
import { loadScenarioFile } from '../../../scenarios/load.ts';
import { REPO, removeTempDirs, tempDir } from '../../real/helpers.ts';
import { FakeKube } from '../../real/k8s/fake-kube.ts';
import { exitCode, WAIT_CEILING_MS, waitFor } from '../../helpers/wait.ts';
import { podSpecOf, restrictedProblems, schemaProblems, yamlDocs, type Doc } from '../../real/k8s/manifest-checks.ts';

const ADMIN = 'admin-token-for-calibrate-tests';
const IMAGE = 'actorsim:test';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

function capture(): Io & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return { out: (t) => (out += t), err: (t) => (err += t), isoNow: () => '2026-11-29T01:02:03.000Z', stdout: () => out, stderr: () => err };
}

let fake: FakeKube;
let dir: string;
let kubeconfig: string;
beforeAll(async () => {
  dir = tempDir('k8s-calibrate');
  fake = await FakeKube.start({ repo: REPO, workDir: join(dir, 'cluster'), adminToken: ADMIN, images: [IMAGE], nodes: ['kind-worker', 'kind-worker2', 'kind-worker3'] });
  kubeconfig = fake.kubeconfig(ADMIN, join(dir, 'admin.kubeconfig'));
});
afterAll(async () => {
  await fake?.close();
  removeTempDirs();
});

async function untilGone(namespace: string): Promise<boolean> {
  return waitFor(`namespace ${namespace} to go`, () => !fake.list('namespaces').some((n) => n.metadata.name === namespace));
}

describe('calibrate --backend k8s against a fake cluster', () => {
  it('measures a tiny grid on worker pods through the driver Job and writes a profile the scenario loader reads', async () => {
    const out = join(dir, 'profiles', 'tiny-k8s.yaml');
    const io = capture();
    const code = await runCalibrate(['--backend', 'k8s', '--sizes', '4Mi', '--repeats', '2', '--concurrency', '1,2', '--mixed', '2', '--limited', '100m', '--out', out, '--image', IMAGE, '--kubeconfig', kubeconfig], io, {
      workerPort: await freePort(),
      storePort: await freePort(),
      startTimeoutMs: WAIT_CEILING_MS,
    });
    if (process.env.K8S_TEST_DEBUG) console.log(`${io.stderr()}\n----\n${io.stdout()}`);
    expect(code, io.stderr()).toBe(0);
    const text = readFileSync(out, 'utf8');
    if (process.env.K8S_TEST_DEBUG) console.log(text);
    // The header says what was measured: the cluster, its nodes, the runtime class and image, not this machine.
    expect(text).toMatch(new RegExp(`^# {3}cluster: {2}context fake \\(${fake.url.replace(/[.]/g, '\\.')}\\), Kubernetes v1\\.34\\.0-fake, 3 schedulable node\\(s\\)$`, 'm'));
    expect(text).toMatch(/^# {3}pods: {5}runtime class gvisor, image actorsim:test, namespace actorsim-20261129-010203-[0-9a-f]{4} \(deleted after\)$/m);
    expect(text).toMatch(/^# {3}driver: {3}.+, \d+ cpus, .+ \(as the driver pod saw its node\)$/m);
    expect(text).not.toMatch(/^# {3}machine:/m);
    expect(text).toMatch(/^# Worker pod from the driver's create request to its server answering the driver/m);
    expect(text).toContain('2026-11-29T01:02:03.000Z');
    // The concurrency sweep came back through the driver's log (worker starts included) and was fitted, per node.
    expect(text).toMatch(/^contention:\n {2}scope: node\n/m);
    expect(text).toMatch(/^# {3}worker start \(k started at once\): k=1 /m);
    // Loadable as `costs: <path>`.
    const scenario = join(dir, 'uses-k8s-profile.yaml');
    writeFileSync(scenario, probeScenario('profiles/tiny-k8s.yaml'));
    const costs = loadScenarioFile(scenario).costs;
    expect(costs.name).toBe('tiny-k8s');
    expect(costs.workerStart.kind).toBe('lognormal');
    for (const c of [costs.restore.local, costs.restore.external, costs.restore.golden, costs.checkpoint.local, costs.checkpoint.external]) expect(c.mibPerSec).toBeGreaterThan(0);
    // The raw samples: 2 worker starts, 2 of each restore source, 6 local checkpoints, 10 dispatches.
    const raw = JSON.parse(readFileSync(samplesPathFor(out), 'utf8'));
    expect(raw.meta.backend).toBe('k8s');
    expect(raw.meta.cluster).toMatchObject({ context: 'fake', nodes: 3, runtimeClass: 'gvisor', image: IMAGE });
    expect(raw.samples.workerStartMs).toHaveLength(2);
    for (const src of ['local', 'external', 'golden', 'cold']) expect(raw.samples.restore[src]).toHaveLength(2);
    expect(raw.samples.checkpoint.local).toHaveLength(6);
    expect(raw.samples.dispatch).toHaveLength(10);
    // The mixed sweep ran in the driver Job too: k = 2, one restore and one checkpoint at once, per repeat.
    expect(raw.samples.mixed.map((m: { k: number; restores: number; checkpoints: number; restoreMs: number[]; checkpointMs: number[] }) => [m.k, m.restores, m.checkpoints, m.restoreMs.length, m.checkpointMs.length])).toEqual([[2, 1, 1, 2, 2]]);
    expect(io.stderr()).toMatch(/calibrate on worker pods in namespace \S+: sizes 4 MiB, 2 repeats, concurrency 1,2, mixed 2, limited to 100m at 4 MiB/);
    // The --limited series: 2 starts and 2 of each transfer on a pod limited to 100m, fitted into the host model's inWorker.
    expect(raw.samples.limited).toMatchObject({ cpuMilli: 100, sizeMiB: 4 });
    expect([raw.samples.limited.workerStartMs, ...Object.values(raw.samples.limited.restore), ...Object.values(raw.samples.limited.checkpoint)].map((x) => (x as number[]).length)).toEqual([2, 2, 2, 2, 2, 2]);
    // And two at once on that pod, per repeat: 2 x 2 golden restores, then their 2 x 2 checkpoints.
    expect([raw.samples.limited.pair.golden.length, raw.samples.limited.pair.external.length]).toEqual([4, 4]);
    // At 4 MiB the fake cluster's mixed sweep fits no host model, so there is nothing to fit the series into, and the profile says so
    // (fitInWorker and its rendering are tested on their own, in host-fit.test.ts).
    expect(text).toMatch(/^# The --limited series was measured \(samples file\) but not fitted: inWorker needs the host model/m);
    // Worker pods were created by the driver (its service account, within its Role), sandboxed.
    const ns = raw.meta.cluster.namespace as string;
    const driver = `system:serviceaccount:${ns}:driver`;
    const creates = fake.requests.filter((r) => r.method === 'POST' && r.path === `/api/v1/namespaces/${ns}/pods` && r.user === driver);
    // 2 timed starts and the measuring worker; the sweep's starts (2 repeats of 1 + 2 at once) and its 2 transfer workers; the mixed sweep's 2
    // and its one restoring from the node; the limited series' 2 timed starts and its worker, each with a cpu limit of 100m.
    expect(creates.map((r) => r.status)).toEqual(new Array(3 + 2 * (1 + 2) + 2 + 2 + 1 + 3).fill(201));
    const limits = creates.map((r) => (r.body as { spec?: { containers?: { resources?: { limits?: { cpu?: string } } }[] } } | undefined)?.spec?.containers?.[0]?.resources?.limits?.cpu);
    expect(limits.filter((c) => c !== undefined)).toEqual(['100m', '100m', '100m']);
    // Each worker may read or write the store for as long as the driver waits for a primitive (10 minutes), not its own 60 s.
    const storeTimeouts = creates.map((r) => (r.body as { spec: { containers: { env: { name: string; value?: string }[] }[] } }).spec.containers[0]!.env.find((e) => e.name === 'ACTORSIM_STORE_TIMEOUT_MS')?.value);
    expect(new Set(storeTimeouts)).toEqual(new Set(['600000']));
    expect(fake.requests.filter((r) => r.user === driver && r.status === 403)).toEqual([]);
    expect(fake.unhandled).toEqual([]);
    // The driver ran the calibration's command, and everything is gone after.
    expect(io.stderr()).toContain('calibrate on worker pods in namespace');
    expect(await untilGone(ns)).toBe(true);
    expect(io.stdout()).toContain(`Profile: ${out}`);
  });

  it('on Ctrl-C deletes the namespace, stops the driver between two primitives and writes nothing (exit 130)', async () => {
    const out = join(dir, 'interrupted', 'k8s.yaml');
    const controller = new AbortController();
    const io = { ...capture(), signal: controller.signal };
    let stderr = '';
    io.err = (t: string) => void (stderr += t);
    const aborter = (async () => {
      // Once the driver has timed its first worker starts, mid-grid.
      await waitFor('the first worker starts to be timed', () => stderr.includes('worker start:')).catch(() => undefined);
      controller.abort();
    })();
    const code = await runCalibrate(['--backend', 'k8s', '--sizes', '4Mi', '--repeats', '20', '--out', out, '--image', IMAGE, '--kubeconfig', kubeconfig], io, {
      workerPort: await freePort(),
      storePort: await freePort(),
      startTimeoutMs: WAIT_CEILING_MS,
    });
    await aborter;
    expect(stderr).toContain('worker start:');
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/nothing written/);
    expect(existsSync(join(dir, 'interrupted'))).toBe(false);
    const ns = /namespace (actorsim-\S+):/.exec(stderr)![1]!;
    expect(await untilGone(ns)).toBe(true);
  });

  it('refuses a cluster without the RuntimeClass before creating anything, and writes nothing', async () => {
    const out = join(dir, 'never', 'kata.yaml');
    const before = fake.list('namespaces').length;
    await expect(runCalibrate(['--backend', 'k8s', '--runtime-class', 'kata', '--sizes', '4Mi', '--repeats', '1', '--out', out, '--image', IMAGE, '--kubeconfig', kubeconfig], capture())).rejects.toThrow(
      /no RuntimeClass "kata".*scripts\/cluster-up\.sh/s,
    );
    expect(fake.list('namespaces').length).toBe(before);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });
});

describe('calibrate --backend k8s without a cluster', () => {
  it('exits 1 within seconds naming the cluster it tried and what to do, and writes nothing', async () => {
    const port = await freePort();
    const here = tempDir('calibrate-no-cluster');
    const kc = join(here, 'kubeconfig');
    writeFileSync(
      kc,
      `apiVersion: v1\nkind: Config\nclusters: [{name: gone, cluster: {server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: gone, context: {cluster: gone, user: u}}]\ncurrent-context: gone\n`,
    );
    const out = join(here, 'profiles', 'k8s.yaml');
    const child = spawn(process.execPath, ['--import', 'tsx', 'fidelity/calibrate/cli.ts', '--backend', 'k8s', '--sizes', '4Mi', '--repeats', '1', '--out', out], {
      cwd: REPO,
      env: { ...process.env, KUBECONFIG: kc },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    // It fails on the refused connection, not after a timeout of its own; how soon is the machine's business.
    const code = await exitCode(child);
    expect(code, stderr).toBe(1);
    expect(stderr).toContain('no reachable Kubernetes cluster');
    expect(stderr).toContain(`127.0.0.1:${port}`);
    expect(stderr).toContain('scripts/cluster-up.sh');
    expect(stderr).toContain('No profile was written.');
    expect(stderr).toContain('--backend local');
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(join(here, 'profiles'))).toBe(false);
  });
});

describe('calibrate --backend k8s --dry-run and flags', () => {
  it('prints manifests that validate against the Kubernetes schemas and wear the restricted profile, with the calibration driver', async () => {
    const io = capture();
    expect(await runCalibrate(['--backend', 'k8s', '--dry-run', '--sizes', '16Mi,64Mi', '--runtime-class', 'gvisor'], io)).toBe(0);
    const docs = yamlDocs(io.stdout());
    expect(docs.flatMap(schemaProblems)).toEqual([]);
    const pods = docs.map((d) => ({ d, spec: podSpecOf(d) })).filter((x): x is { d: Doc; spec: Doc } => x.spec !== null);
    expect(pods.flatMap(({ d, spec }) => restrictedProblems(spec, `${d.kind} ${d.metadata.name}`))).toEqual([]);
    const job = docs.find((d) => d.kind === 'Job')!;
    expect(job.spec.template.spec.containers[0].command).toEqual(['node', '--import', 'tsx', 'real/k8s/job-calibrate.ts', '--calibration', '/etc/actorsim/run/calibration.json']);
    const config = JSON.parse(docs.find((d) => d.kind === 'ConfigMap')!.data['calibration.json']);
    expect(config).toMatchObject({ sizesMiB: [16, 64], repeats: 5, runtimeClass: 'gvisor' });
    const worker = docs.find((d) => d.kind === 'Pod' && d.metadata.labels['app.kubernetes.io/component'] === 'worker')!;
    expect(worker.spec.runtimeClassName).toBe('gvisor');
    // Two slots of the largest size and one snapshot in flight.
    expect(worker.spec.containers[0].resources.requests.memory).toBe('192Mi');
    expect(worker.spec.containers[0].env.find((e: Doc) => e.name === 'ACTORSIM_STORE_TIMEOUT_MS').value).toBe('600000');
    expect(docs.find((d) => d.kind === 'Secret')!.stringData.token).toBe('generated-per-run');
  });

  it('--mixed: the dry run says so, calibration.json carries it to the driver, and the sweeps\' pods are sized to their own size', async () => {
    const io = capture();
    expect(await runCalibrate(['--backend', 'k8s', '--dry-run', '--sizes', '16Mi,64Mi', '--concurrency-size', '16Mi', '--mixed', '2,8'], io)).toBe(0);
    expect(io.stdout()).toMatch(/^# calibrate --backend k8s --dry-run: .*, --mixed 2,8 at 16 MiB\),$/m);
    const docs = yamlDocs(io.stdout());
    expect(JSON.parse(docs.find((d) => d.kind === 'ConfigMap')!.data['calibration.json'])).toMatchObject({ mixed: [2, 8], concurrencySizeMiB: 16 });
    const workers = docs.filter((d) => d.kind === 'Pod' && d.metadata.labels['app.kubernetes.io/component'] === 'worker');
    expect(workers.map((w) => w.spec.containers[0].resources.requests.memory)).toEqual(['192Mi', '48Mi']);
    // --limited: carried to the driver, and its one pod shown with its limit.
    const lim = capture();
    expect(await runCalibrate(['--backend', 'k8s', '--dry-run', '--sizes', '16Mi', '--mixed', '2', '--limited', '200m'], lim)).toBe(0);
    const limDocs = yamlDocs(lim.stdout());
    expect(JSON.parse(limDocs.find((d) => d.kind === 'ConfigMap')!.data['calibration.json'])).toMatchObject({ limitedCpuMilli: 200 });
    const limited = limDocs.filter((d) => d.kind === 'Pod' && d.metadata.labels['actorsim.dev/pool'] === 'calibrate-limited');
    expect(limited.map((w) => w.spec.containers[0].resources.limits.cpu)).toEqual(['200m']);
    // Without sweeps calibration.json has no mixed key (an older image reads it still).
    const plain = capture();
    expect(await runCalibrate(['--backend', 'k8s', '--dry-run', '--sizes', '16Mi'], plain)).toBe(0);
    expect(JSON.parse(yamlDocs(plain.stdout()).find((d) => d.kind === 'ConfigMap')!.data['calibration.json']).mixed).toBeUndefined();
  });

  it('refuses a sweep whose k pods the nodes cannot hold, before creating anything, naming the largest k that fits', async () => {
    const small = await FakeKube.start({ repo: REPO, workDir: join(dir, 'small-cluster'), adminToken: ADMIN, images: [IMAGE], nodes: [{ name: 'solo', allocatable: { cpu: '2', memory: '4Gi', pods: '110' } }] });
    try {
      const kc = small.kubeconfig(ADMIN, join(dir, 'small.kubeconfig'));
      const out = join(dir, 'refused', 'k8s.yaml');
      const err = await runCalibrate(['--backend', 'k8s', '--sizes', '64Mi', '--repeats', '1', '--mixed', '2,32', '--out', out, '--image', IMAGE, '--kubeconfig', kc], capture()).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ClusterCapacityError);
      const message = (err as Error).message;
      // 32 pods of 100m (no pool cpu) and 192Mi and the two restoring from the node beside them, with the store and the driver, on 2 cpus and 4Gi.
      expect(message).toContain('--mixed 32: cpu: 34 worker pods x 100m + store 100m + driver 250m = 3750m requested, 2000m allocatable on 1 schedulable node(s)');
      expect(message).toContain('--mixed 32: memory: 34 worker pods x 192Mi + store 128Mi + driver 256Mi = 6912Mi requested, 4096Mi allocatable');
      // cpu: (2000 - 350) / 100 = 16 pods; memory: (4096 - 384) / 192 = 19; 15 of them the batch, one restoring from the node.
      expect(message).toContain('lower the largest k of --mixed to 15');
      expect(small.requests.filter((r) => r.method === 'POST')).toEqual([]);
      expect(existsSync(join(dir, 'refused'))).toBe(false);
      // With --worker-cpu and a smaller k it fits (the dry-run-free check passes; nothing else is asked of the fake here).
      const { calibrationNeeds } = await import('../../../fidelity/calibrate/k8s.ts');
      const { planFor } = await import('../../../real/k8s/launch.ts');
      const { clusterCapacity, shortfalls } = await import('../../../real/k8s/capacity.ts');
      const plan = planFor({ k8s: { image: IMAGE, workerCpuMilli: 50 }, scenario: { nodes: [{ name: 'node-0' }] } }, 'r1');
      const cap = clusterCapacity([{ metadata: { name: 'solo' }, status: { allocatable: { cpu: '2', memory: '4Gi', pods: '110' } } }]);
      const needs = calibrationNeeds({ plan, sizesMiB: [64], repeats: 1, concurrency: [], concurrencySizeMiB: 64, mixed: [2, 16], runtimeClass: 'gvisor' });
      expect(needs.map((n) => [n.name, shortfalls(n, cap)])).toEqual([
        ['the one-at-a-time measuring', []],
        ['--mixed 16', []],
      ]);
    } finally {
      await small.close();
    }
  });

  it('refuses k8s flags without --backend k8s, and a bad RuntimeClass name, as usage errors', async () => {
    await expect(runCalibrate(['--image', 'x'], capture())).rejects.toThrow(/--image: only with --backend k8s/);
    await expect(runCalibrate(['--backend', 'local', '--runtime-class', 'gvisor', '--context', 'c'], capture())).rejects.toThrow(/--runtime-class, --context: only with --backend k8s/);
    await expect(runCalibrate(['--backend', 'k8s', '--runtime-class', 'Not_A_Name'], capture())).rejects.toBeInstanceOf(UsageError);
    await expect(runCalibrate(['--backend', 'nomad'], capture())).rejects.toThrow(/expected local or k8s/);
    await expect(runCalibrate(['--limited', '200m', '--mixed', '2'], capture())).rejects.toThrow(/--limited: only with --backend k8s/);
    await expect(runCalibrate(['--backend', 'k8s', '--dry-run', '--limited', '200m'], capture())).rejects.toThrow(/--limited: .* needs --mixed/);
    await expect(runCalibrate(['--backend', 'k8s', '--dry-run', '--mixed', '2', '--limited', '0.1m'], capture())).rejects.toThrow(/--limited: expected a cpu quantity/);
    await expect(runCalibrate(['--backend', 'k8s', '--dry-run', '--mixed', '2', '--limited', '200m', '--worker-cpu', '100m'], capture())).rejects.toThrow(/give --limited 100m, or leave out --worker-cpu/);
  });
});
