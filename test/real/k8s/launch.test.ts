import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../../cli/io.ts';
import { parseRealRunArgs } from '../../../real/main.ts';
import { runOnK8s } from '../../../real/k8s/launch.ts';
import { REPO, removeTempDirs, tempDir } from '../helpers.ts';
import { exitCode, WAIT_CEILING_MS, waitFor } from '../../helpers/wait.ts';
import { FakeKube } from './fake-kube.ts';

const TINY = `
name: tiny-launch
seed: 3
duration: 40s
cluster: {nodes: [{name: node-a, memory: 4Gi}, {name: node-b, memory: 4Gi}]}
pools: [{name: p, replicas: 2, actorSlots: 2, worker: {memory: 64Mi}}]
templates: [{name: t, pool: p, memory: 8Mi, snapshot: 8Mi, work: {kind: constant, value: 250ms}}]
workload: [{template: t, actors: 5, arrivals: {kind: poisson, ratePerSec: 1.5}}]
costs: substrate-kind
policies:
  - {name: ttl-suspend, placement: p2c, idle: {kind: ttl, ttl: 2s, action: suspend}, admission: {parkTimeout: 30s, maxParked: 100}, maxAttempts: 5}
`;

const ADMIN = 'admin-token-for-launch-tests';
const IMAGE = 'actorsim:test';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

function capture(signal?: AbortSignal): Io & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    out: (t) => (out += t),
    err: (t) => (err += t),
    isoNow: () => new Date().toISOString(),
    ...(signal === undefined ? {} : { signal }),
    stdout: () => out,
    stderr: () => err,
  };
}

/** The digest the fake nodes list for IMAGE. */
const DIGEST = `sha256:${'ab'.repeat(32)}`;

let fake: FakeKube;
let dir: string;
let scenarioFile: string;
let kubeconfig: string;
beforeAll(async () => {
  dir = tempDir('k8s-launch');
  fake = await FakeKube.start({ repo: REPO, workDir: join(dir, 'cluster'), adminToken: ADMIN, images: [IMAGE], digests: { [IMAGE]: DIGEST } });
  scenarioFile = join(dir, 'tiny.yaml');
  writeFileSync(scenarioFile, TINY);
  kubeconfig = fake.kubeconfig(ADMIN, join(dir, 'admin.kubeconfig'));
});
afterAll(async () => {
  await fake?.close();
  removeTempDirs();
});

async function untilGone(namespace: string): Promise<boolean> {
  return waitFor(`namespace ${namespace} to go`, () => !fake.list('namespaces').some((n) => n.metadata.name === namespace));
}

const runningWorkers = () => fake.list('pods').filter((p) => p.metadata.labels?.['app.kubernetes.io/component'] === 'worker' && p.status?.phase === 'Running');

describe('bench:cluster --backend k8s against a fake cluster', () => {
  it('runs the driver as a Job, streams the report back through its log, writes it locally and deletes the namespace', async () => {
    const out = join(dir, 'report');
    const io = capture();
    const opts = parseRealRunArgs(['--backend', 'k8s', '--scenario', scenarioFile, '--speedup', '4', '--out', out, '--image', IMAGE, '--kubeconfig', kubeconfig], io)!;
    let deleted = '';
    const deleter = (async () => {
      // Mid-run, a worker pod is deleted from outside: as soon as both are up, so that on a slow
      // machine the run is still serving its backlog (it ends only when every invocation has an outcome).
      const running = await waitFor('two running worker pods', () => {
        const r = runningWorkers();
        return r.length >= 2 ? r : undefined;
      }).catch(() => []);
      if (running[0] === undefined) return;
      deleted = running[0].metadata.name;
      fake.deletePod(running[0].metadata.namespace, deleted);
    })();
    const code = await runOnK8s(opts, io, { workerPort: await freePort(), storePort: await freePort(), startTimeoutMs: WAIT_CEILING_MS });
    await deleter;
    if (process.env.K8S_TEST_DEBUG) console.log(`${io.stderr()}\n----\n${io.stdout()}`);
    expect(code, io.stderr()).toBe(0);
    expect(deleted).not.toBe('');
    for (const f of ['summary.csv', 'measured.csv', 'run.json', 'invocations.csv']) expect(existsSync(join(out, f)), f).toBe(true);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(run.backend).toBe('k8s');
    expect(run.partial).toBe(false);
    const [row] = parseCsv(readFileSync(join(out, 'summary.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(Number(row!.workers_lost)).toBe(1);
    expect(Number(row!.invocations)).toBeGreaterThan(20);
    const measured = parseCsv(readFileSync(join(out, 'measured.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    // The two first workers were timed; the replacement of the deleted one is
    // timed too when it comes up before the run ends, which a loaded machine
    // can delay past the end: so at least two.
    expect(Number(measured.find((m) => m.primitive === 'worker-start')!.count)).toBeGreaterThanOrEqual(2);
    // What the user sees: the driver's progress on stderr, the summary and the report folder on stdout.
    expect(io.stderr()).toContain(`pod ${deleted} is being deleted`);
    expect(io.stdout()).toMatch(/^ttl-suspend: served \d+\/\d+/m);
    expect(io.stdout()).toContain(`Report: ${out}`);
    expect(io.stdout()).not.toContain('@@actorsim-report');
    // The namespace is gone, with every pod in it.
    const ns = run.k8s.namespace as string;
    expect(await untilGone(ns)).toBe(true);
    expect(fake.list('pods', ns)).toEqual([]);
    // Who did what: the launcher as the user; the driver as its service account, within its Role.
    const driverCalls = fake.requests.filter((r) => r.user === `system:serviceaccount:${ns}:driver`);
    expect(driverCalls.length).toBeGreaterThan(5);
    expect(driverCalls.filter((r) => r.status === 403)).toEqual([]);
    expect(new Set(driverCalls.map((r) => r.path.split('?')[0]!.replace(/\/pods\/.*$/, '/pods/NAME')))).toEqual(new Set([`/api/v1/namespaces/${ns}/pods`, `/api/v1/namespaces/${ns}/pods/NAME`]));
    expect(fake.requests.some((r) => r.user === 'admin' && r.path.startsWith(`/api/v1/namespaces/${ns}/pods/driver-`) && r.path.includes('/log?') && r.path.includes('follow=true'))).toBe(true);
    // Every pod ran the image by the digest the nodes list for its tag: one build for the whole run.
    expect(io.stderr()).toContain(`k8s: image ${IMAGE} pinned to ${DIGEST}`);
    expect([...fake.podImages]).toEqual([`${IMAGE}@${DIGEST}`]);
    expect(fake.unhandled).toEqual([]);
  });

  it('on Ctrl-C deletes the namespace at once and still writes the partial report the driver streams as it stops', async () => {
    const out = join(dir, 'partial');
    const controller = new AbortController();
    const io = capture(controller.signal);
    const opts = parseRealRunArgs(['--backend', 'k8s', '--scenario', scenarioFile, '--speedup', '1', '--out', out, '--image', IMAGE, '--kubeconfig', kubeconfig], io)!;
    const aborter = (async () => {
      await waitFor('the run to be under way', () => /ttl-suspend|outcomes|lost/.test(io.stderr()) || runningWorkers().length > 0).catch(() => undefined);
      await sleep(3_000);
      controller.abort();
    })();
    const code = await runOnK8s(opts, io, { workerPort: await freePort(), storePort: await freePort(), startTimeoutMs: WAIT_CEILING_MS });
    await aborter;
    if (process.env.K8S_TEST_DEBUG) console.log(`${io.stderr()}\n----\n${io.stdout()}`);
    // The run ended on the interrupt (130, partial), whatever the time it took to get there.
    expect(code, io.stderr()).toBe(130);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(run.partial).toBe(true);
    expect(io.stdout()).toContain('(partial)');
    expect(await untilGone(run.k8s.namespace)).toBe(true);
  });

  it('says what is missing when the RuntimeClass or the image is not there', async () => {
    const bare = await FakeKube.start({ repo: REPO, workDir: join(dir, 'bare'), adminToken: ADMIN, images: [], runtimeClasses: [] });
    try {
      const kc = bare.kubeconfig(ADMIN, join(dir, 'bare.kubeconfig'));
      const io = capture();
      const opts = parseRealRunArgs(['--backend', 'k8s', '--scenario', scenarioFile, '--out', join(dir, 'none'), '--kubeconfig', kc], io)!;
      await expect(runOnK8s(opts, io)).rejects.toThrow(/no RuntimeClass "gvisor".*scripts\/cluster-up\.sh/s);
    } finally {
      await bare.close();
    }
    const noImage = await FakeKube.start({ repo: REPO, workDir: join(dir, 'no-image'), adminToken: ADMIN, images: [] });
    try {
      const kc = noImage.kubeconfig(ADMIN, join(dir, 'no-image.kubeconfig'));
      const io = capture();
      const opts = parseRealRunArgs(['--backend', 'k8s', '--scenario', scenarioFile, '--out', join(dir, 'none'), '--kubeconfig', kc], io)!;
      await expect(runOnK8s(opts, io)).rejects.toThrow(/ErrImageNeverPull[\s\S]*actorsim:dev[\s\S]*scripts\/cluster-up\.sh/);
      // The failed run cleaned up after itself.
      expect(noImage.list('namespaces').every((n) => n.status.phase === 'Terminating')).toBe(true);
    } finally {
      await noImage.close();
    }
  });
});

describe('bench:cluster --backend k8s without a cluster', () => {
  it('exits non-zero within seconds, naming scripts/cluster-up.sh and --backend local', async () => {
    const port = await freePort();
    const kc = join(tempDir('no-cluster'), 'kubeconfig');
    writeFileSync(
      kc,
      `apiVersion: v1\nkind: Config\nclusters: [{name: gone, cluster: {server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: gone, context: {cluster: gone, user: u}}]\ncurrent-context: gone\n`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', 'real/cli.ts', '--backend', 'k8s'], { cwd: REPO, env: { ...process.env, KUBECONFIG: kc }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    // It fails on the refused connection, not after a timeout of its own; how soon is the machine's business.
    const code = await exitCode(child);
    expect(code, stderr).toBe(1);
    expect(stderr).toContain('scripts/cluster-up.sh');
    expect(stderr).toContain('--backend local');
    expect(stderr).toContain(`127.0.0.1:${port}`);
    expect(stderr).not.toMatch(/^\s+at /m);
  });
});
