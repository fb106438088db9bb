import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Node } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../../cli/io.ts';
import { UsageError } from '../../../cli/usage-error.ts';
import { parseRealRunArgs } from '../../../real/main.ts';
import { clusterCapacity, fittingWorkerCpuMilli, peakWorkers, policySetNeed, shortfalls } from '../../../real/k8s/capacity.ts';
import { ClusterCapacityError } from '../../../real/k8s/errors.ts';
import { planFor, runOnK8s } from '../../../real/k8s/launch.ts';
import { loadScenarioFile } from '../../../scenarios/load.ts';
import type { PolicySet } from '../../../scenarios/scenario.ts';
import { REPO, removeTempDirs, tempDir } from '../helpers.ts';
import { exitCode } from '../../helpers/wait.ts';
import { FakeKube } from './fake-kube.ts';
import { yamlDocs, type Doc } from './manifest-checks.ts';

const ADMIN = 'admin-token-for-capacity-tests';
const SMALL = join(REPO, 'scenarios', 'small.yaml');
/** scenarios/small.yaml's 20 actors, all of template agent (pool agents). */
const ACTORS = new Array<string>(20).fill('agent');
/** A single-node cluster of two cpus, as this project's local cluster. */
const TWO_CPUS = { name: 'solo', allocatable: { cpu: '2', memory: '8Gi', pods: '110' } };

function capture(): Io & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return { out: (t) => (out += t), err: (t) => (err += t), isoNow: () => '2026-12-06T03:00:00.000Z', stdout: () => out, stderr: () => err };
}

const node = (name: string, allocatable?: Record<string, string>, spec: V1Node['spec'] = {}): V1Node => ({ metadata: { name }, spec, ...(allocatable === undefined ? {} : { status: { allocatable } }) });

describe('the capacity of a cluster and what a policy set asks of it', () => {
  it('sums the schedulable nodes\' allocatable and leaves out cordoned and tainted ones', () => {
    const cap = clusterCapacity([
      node('a', { cpu: '2', memory: '8Gi', pods: '110' }),
      node('b', { cpu: '1500m', memory: '4Gi', pods: '110' }),
      node('cordoned', { cpu: '64', memory: '1Ti', pods: '110' }, { unschedulable: true }),
      node('control-plane', { cpu: '64', memory: '1Ti', pods: '110' }, { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }),
    ]);
    expect(cap).toEqual({ nodes: 2, cpuMilli: 3500, memoryMiB: 12 * 1024, pods: 220, nodeCpuMilli: 2000, nodeMemoryMiB: 8192 });
    // A node that does not report a resource makes that resource unknown, not zero.
    expect(clusterCapacity([node('a', { cpu: '2' }), node('b')])).toMatchObject({ nodes: 2, cpuMilli: null, memoryMiB: null, pods: null });
  });

  it('counts one worker pod per actor in a dedicated pool, replicas in a shared one, maxReplicas under scaling', () => {
    const small = loadScenarioFile(SMALL);
    const byName = new Map(small.policies.map((p) => [p.name, p]));
    expect(peakWorkers(small, byName.get('dedicated-always-on')!, 'agents', ACTORS)).toEqual({ count: 20, why: 'dedicated, one per actor' });
    expect(peakWorkers(small, byName.get('shared-least-loaded-ttl-suspend')!, 'agents', ACTORS)).toEqual({ count: 3, why: 'replicas' });
    const scaling: PolicySet = { ...byName.get('shared-least-loaded-ttl-suspend')!, scaling: { kind: 'parking', step: 1, minReplicas: 1, maxReplicas: 12, quietMs: 60_000, intervalMs: 5_000 } };
    expect(peakWorkers(small, scaling, 'agents', ACTORS)).toEqual({ count: 12, why: 'parking scaling up to maxReplicas' });
    // Never more than the scenario's nodes hold: the core places workers by memory (2 x 16Gi of 320Mi workers: 2 x 51).
    const huge: PolicySet = { ...scaling, scaling: { kind: 'parking', step: 1, minReplicas: 1, maxReplicas: 500, quietMs: 60_000, intervalMs: 5_000 } };
    expect(peakWorkers(small, huge, 'agents', ACTORS).count).toBe(102);
  });

  it('reads the requests off the pods the driver would create, --worker-cpu included, and says what falls short', () => {
    const small = loadScenarioFile(SMALL);
    const dedicated = small.policies.find((p) => p.name === 'dedicated-always-on')!;
    const plan = planFor({ k8s: { image: 'actorsim:dev' }, scenario: small }, 'r1');
    const need = policySetNeed(small, dedicated, ACTORS, plan);
    expect(need.groups.map((g) => [g.what, g.count, g.requests])).toEqual([
      ['worker pods of pool agents (dedicated, one per actor)', 20, { cpuMilli: 500, memoryMiB: 128 }],
      ['store', 1, { cpuMilli: 100, memoryMiB: 128 }],
      ['driver', 1, { cpuMilli: 250, memoryMiB: 256 }],
    ]);
    const cap = clusterCapacity([node('solo', TWO_CPUS.allocatable)]);
    expect(shortfalls(need, cap)).toEqual([
      'cpu: 20 worker pods of pool agents (dedicated, one per actor) x 500m + store 100m + driver 250m = 10350m requested, 2000m allocatable on 1 schedulable node(s)',
    ]);
    // The most every worker pod may ask for so that the set fits: (2000m - 350m) / 20.
    expect(fittingWorkerCpuMilli(need, cap)).toBe(82);
    const lighter = policySetNeed(small, dedicated, ACTORS, planFor({ k8s: { image: 'actorsim:dev', workerCpuMilli: 82 }, scenario: small }, 'r1'));
    expect(lighter.groups[0]!.requests.cpuMilli).toBe(82);
    expect(shortfalls(lighter, cap)).toEqual([]);
    // The shared sets fit as they are: 3 x 500m + 350m.
    for (const p of small.policies.filter((x) => x.name.startsWith('shared'))) expect(shortfalls(policySetNeed(small, p, ACTORS, plan), cap)).toEqual([]);
  });

  it('refuses --worker-cpu values that are not a cpu quantity in whole millicores', () => {
    for (const bad of ['0', 'lots', '0.5m', '-1']) expect(() => parseRealRunArgs(['--backend', 'k8s', '--worker-cpu', bad], capture()), bad).toThrow(UsageError);
    expect(parseRealRunArgs(['--backend', 'k8s', '--worker-cpu', '0.1'], capture())!.k8s.workerCpuMilli).toBe(100);
    expect(() => parseRealRunArgs(['--worker-cpu', '100m'], capture())).toThrow(/--worker-cpu: only with --backend k8s/);
  });
});

describe('bench:cluster --backend k8s: the capacity check against a fake cluster', () => {
  let dir: string;
  let small: FakeKube;
  let forbidden: FakeKube;
  beforeAll(async () => {
    dir = tempDir('k8s-capacity');
    // No image on the nodes: a run that gets past the check applies its manifests, and its driver fails at once (ErrImageNeverPull), starting no process.
    small = await FakeKube.start({ repo: REPO, workDir: join(dir, 'small'), adminToken: ADMIN, images: [], nodes: [TWO_CPUS] });
    forbidden = await FakeKube.start({ repo: REPO, workDir: join(dir, 'forbidden'), adminToken: ADMIN, images: [], nodes: [TWO_CPUS], nodesForbidden: true });
  });
  afterAll(async () => {
    await small?.close();
    await forbidden?.close();
    removeTempDirs();
  });
  const creates = (fake: FakeKube) => fake.requests.filter((r) => r.method === 'POST');

  it('refuses a policy set that cannot fit before any object is created, naming it, its pods x request against the allocatable, and what to do', async () => {
    const io = capture();
    const kc = small.kubeconfig(ADMIN, join(dir, 'small.kubeconfig'));
    const opts = parseRealRunArgs(['--backend', 'k8s', '--out', join(dir, 'refused'), '--kubeconfig', kc], io)!;
    const err = await runOnK8s(opts, io).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ClusterCapacityError);
    const message = (err as Error).message;
    expect(message).toContain('"dedicated-always-on"');
    expect(message).toContain('dedicated-always-on: cpu: 20 worker pods of pool agents (dedicated, one per actor) x 500m + store 100m + driver 250m = 10350m requested, 2000m allocatable on 1 schedulable node(s)');
    expect(message).toContain('--policies shared-least-loaded-ttl-suspend,shared-locality-immediate-pause');
    expect(message).toContain('--worker-cpu 82m');
    // The sets that fit are not named as failing.
    expect(message).not.toContain('shared-least-loaded-ttl-suspend: cpu');
    expect(creates(small)).toEqual([]);
    expect(small.list('namespaces')).toEqual([]);
  });

  it('exits 2 from the command line, saying nothing was applied', async () => {
    const kc = small.kubeconfig(ADMIN, join(dir, 'small.kubeconfig'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'real/cli.ts', '--backend', 'k8s', '--kubeconfig', kc, '--out', join(dir, 'cli-refused')], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    expect(await exitCode(child), stderr).toBe(2);
    expect(stderr).toContain('bench:cluster: the cluster cannot hold the pods of "dedicated-always-on" at once');
    expect(stderr).toMatch(/What to do: .*\.\nNothing was applied\.$/m);
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(creates(small)).toEqual([]);
  });

  it('with --worker-cpu the set fits: the run goes on, and the driver gets the override in its plan', async () => {
    const io = capture();
    const kc = small.kubeconfig(ADMIN, join(dir, 'small.kubeconfig'));
    const opts = parseRealRunArgs(['--backend', 'k8s', '--worker-cpu', '80m', '--keep-namespace', '--out', join(dir, 'fits'), '--kubeconfig', kc], io)!;
    // Past the check, the manifests are applied; the driver cannot start on these nodes without the image.
    await expect(runOnK8s(opts, io)).rejects.toThrow(/ErrImageNeverPull/);
    expect(io.stderr()).toMatch(/k8s: capacity: 1 schedulable node\(s\), 2000m cpu, 8192Mi memory, 110 pods allocatable; the most at once, dedicated-always-on: 22 pods, 1950m cpu/);
    const [config] = small.list('configmaps').filter((c) => c.data?.['bench.json'] !== undefined);
    expect(JSON.parse(config!.data['bench.json']).plan.workerCpuMilli).toBe(80);
  });

  it('warns once and goes on where the nodes cannot be listed', async () => {
    const io = capture();
    const kc = forbidden.kubeconfig(ADMIN, join(dir, 'forbidden.kubeconfig'));
    const opts = parseRealRunArgs(['--backend', 'k8s', '--out', join(dir, 'unchecked'), '--kubeconfig', kc], io)!;
    await expect(runOnK8s(opts, io)).rejects.toThrow(/ErrImageNeverPull/);
    expect(io.stderr().match(/cannot list nodes/g)).toHaveLength(1);
    expect(io.stderr()).toMatch(/k8s: warning: cannot list nodes \(.*forbidden.*\); .*whether the run's pods fit the nodes is not checked/);
    expect(io.stderr()).not.toContain('k8s: capacity:');
    expect(creates(forbidden).length).toBeGreaterThan(0);
  });
});

describe('bench:cluster --backend k8s --dry-run --worker-cpu', () => {
  const workerPods = (text: string): Doc[] => yamlDocs(text).filter((d) => d.kind === 'Pod' && d.metadata.labels?.['app.kubernetes.io/component'] === 'worker');

  it('prints the worker pods with the overridden cpu request, and limit where the pool sets one', async () => {
    const io = capture();
    const opts = parseRealRunArgs(['--backend', 'k8s', '--dry-run', '--worker-cpu', '100m'], io)!;
    expect(await runOnK8s(opts, io)).toBe(0);
    const pods = workerPods(io.stdout());
    expect(pods).toHaveLength(3);
    for (const p of pods) expect(p.spec.containers[0].resources).toMatchObject({ requests: { cpu: '100m' }, limits: { cpu: '100m' } });
    // The ConfigMap carries it to the driver.
    expect(io.stdout()).toContain('"workerCpuMilli": 100');
    // Without the flag: the pool's 500m.
    const plain = capture();
    expect(await runOnK8s(parseRealRunArgs(['--backend', 'k8s', '--dry-run'], plain)!, plain)).toBe(0);
    for (const p of workerPods(plain.stdout())) expect(p.spec.containers[0].resources).toMatchObject({ requests: { cpu: '500m' }, limits: { cpu: '500m' } });
  });

  it('sets no cpu limit where the pool has none: only the request changes', async () => {
    const dir = tempDir('k8s-dry-cpu');
    const file = join(dir, 'no-cpu.yaml');
    writeFileSync(
      file,
      [
        'name: no-cpu',
        'duration: 1m',
        'cluster: {nodes: [{name: n, memory: 4Gi}]}',
        'pools: [{name: p, replicas: 2, actorSlots: 2, worker: {memory: 128Mi}}]',
        'templates: [{name: t, pool: p, memory: 16Mi, work: {kind: constant, value: 1s}}]',
        'workload: [{template: t, actors: 2, arrivals: {kind: poisson, ratePerSec: 1}}]',
        'costs: substrate-kind',
        'policies: [{name: only}]',
        '',
      ].join('\n'),
    );
    const io = capture();
    expect(await runOnK8s(parseRealRunArgs(['--backend', 'k8s', '--dry-run', '--scenario', file, '--worker-cpu', '250m'], io)!, io)).toBe(0);
    const [pod] = workerPods(io.stdout());
    expect(pod!.spec.containers[0].resources.requests.cpu).toBe('250m');
    expect(pod!.spec.containers[0].resources.limits.cpu).toBeUndefined();
  });
  afterAll(() => removeTempDirs());
});
