import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../cli/usage-error.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { parseFidelityArgs, podCpuLimitNotes, realRunArgs, runFidelity } from '../../fidelity/main.ts';
import { ClusterUnreachableError } from '../../real/k8s/errors.ts';

const root = mkdtempSync(join(tmpdir(), 'actorsim-fidelity-k8s-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SCENARIO = join(root, 'tiny.yaml');
writeFileSync(
  SCENARIO,
  `name: tiny-k8s-fidelity
duration: 20s
cluster: {nodes: [{name: n, memory: 4Gi}]}
pools: [{name: p, replicas: 1, worker: {memory: 64Mi}}]
templates: [{name: t, pool: p, memory: 4Mi, work: {kind: constant, value: 100ms}}]
workload: [{template: t, actors: 2, arrivals: {kind: poisson, ratePerSec: 1}}]
costs: substrate-kind
policies: [{name: only}]
`,
);
const KIND = new URL('../../scenarios/profiles/substrate-kind.yaml', import.meta.url).pathname;

function io(): { out(t: string): void; err(t: string): void; isoNow(): string } {
  return { out: () => {}, err: () => {}, isoNow: () => '2026-11-29T01:00:00.000Z' };
}

/** A profiles folder, with the named profiles in it. */
function profilesDir(...names: string[]): string {
  const dir = mkdtempSync(join(root, 'profiles-'));
  for (const n of names) writeFileSync(join(dir, `${n}.yaml`), readFileSync(KIND, 'utf8').replace('name: substrate-kind', `name: ${n}`));
  return dir;
}

describe('fidelity --backend k8s flags', () => {
  it('compares against k8s-gvisor-calibrated by default, and says which profile it needs when there is none', () => {
    const none = profilesDir('local-calibrated');
    expect(() => parseFidelityArgs(['--scenario', SCENARIO, '--backend', 'k8s'], io(), none)).toThrow(UsageError);
    expect(() => parseFidelityArgs(['--scenario', SCENARIO, '--backend', 'k8s'], io(), none)).toThrow(/k8s-gvisor-calibrated\.yaml does not exist.*npm run calibrate -- --backend k8s.*--profile/);
    const both = profilesDir('local-calibrated', 'k8s-gvisor-calibrated');
    expect(parseFidelityArgs(['--scenario', SCENARIO, '--backend', 'k8s'], io(), both)!.profile).toBe(join(both, 'k8s-gvisor-calibrated.yaml'));
    expect(parseFidelityArgs(['--scenario', SCENARIO], io(), both)!.profile).toBe(join(both, 'local-calibrated.yaml'));
    // A profile given by name or path is used as given, on either backend.
    expect(parseFidelityArgs(['--scenario', SCENARIO, '--backend', 'k8s', '--profile', 'local-calibrated'], io(), none)!.profile).toBe(join(none, 'local-calibrated.yaml'));
    expect(parseFidelityArgs(['--scenario', SCENARIO, '--backend', 'k8s', '--profile', KIND], io(), none)!.profile).toBe(KIND);
    expect(() => parseFidelityArgs(['--scenario', SCENARIO, '--backend', 'k8s', '--profile', 'nope'], io(), none)).toThrow(/nope\.yaml does not exist/);
  });

  it('passes the backend and its k8s flags on to the real run (bench:cluster)', () => {
    const dir = profilesDir('k8s-gvisor-calibrated', 'local-calibrated');
    const o = parseFidelityArgs(['--scenario', SCENARIO, '--backend', 'k8s', '--image', 'reg/actorsim:1', '--kubeconfig', '/k/config', '--context', 'kind-x', '--keep-namespace', '--worker-cpu', '0.1', '--exec', 'cpu'], io(), dir)!;
    expect(o.backend).toBe('k8s');
    expect(realRunArgs(o, { scenario: '/in/real.yaml', seed: 7, speedup: 2.5, sampleEveryMs: 5000, out: '/out/real', policies: ['a', 'b'] })).toEqual([
      '--backend', 'k8s', '--image', 'reg/actorsim:1', '--kubeconfig', '/k/config', '--context', 'kind-x', '--keep-namespace', '--worker-cpu', '100m',
      '--scenario', '/in/real.yaml', '--seed', '7', '--speedup', '2.5', '--exec', 'cpu', '--sample-every', '5000ms', '--out', '/out/real', '--policies', 'a,b',
    ]);
    // The default image, and no cluster flags the user did not give.
    const plain = parseFidelityArgs(['--scenario', SCENARIO, '--backend', 'k8s'], io(), dir)!;
    expect(realRunArgs(plain, { scenario: 's', seed: 1, speedup: 1, sampleEveryMs: 1000, out: 'o' }).slice(0, 5)).toEqual(['--backend', 'k8s', '--image', 'actorsim:dev', '--scenario']);
    const local = parseFidelityArgs(['--scenario', SCENARIO], io(), dir)!;
    expect(realRunArgs(local, { scenario: 's', seed: 1, speedup: 1, sampleEveryMs: 1000, out: 'o' })).toEqual(['--backend', 'local', '--scenario', 's', '--seed', '1', '--speedup', '1', '--exec', 'sleep', '--sample-every', '1000ms', '--out', 'o']);
  });

  it('notes a per-pod cpu limit, warns when the profile does not cap workers, and only where there is one', () => {
    const pools = [
      { name: 'agents', workerCpuMilli: 1000 },
      { name: 'unlimited' },
    ] as unknown as Parameters<typeof podCpuLimitNotes>[0]['pools'];
    const [byFlag, ...rest] = podCpuLimitNotes({ pools }, { workerCpuMilli: 200 });
    expect(rest).toEqual([]);
    expect(byFlag!.warn).toBe(true);
    expect(byFlag!.note).toMatch(/pool "agents" ran with a cpu limit of 200m each \(--worker-cpu, in place of the pool's 1000m\)/);
    expect(byFlag!.note).toMatch(/calibrate's pods have none/);
    expect(podCpuLimitNotes({ pools }, {})).toEqual([{ note: expect.stringMatching(/limit of 1000m each \(its pool's cpu\)/), warn: true }]);
    expect(podCpuLimitNotes({ pools: [pools[1]!] }, { workerCpuMilli: 200 })).toEqual([]);
    // A host model that caps workers: the same limit in the simulation, said, not warned about.
    const capping = { contention: { scope: 'machine', host: { cpus: 2, restore: 1, checkpoint: 1, workerStart: 1, workerLimits: true } } } as const;
    expect(podCpuLimitNotes({ pools }, { workerCpuMilli: 200 }, capping)).toEqual([{ note: expect.stringMatching(/simulation capped each of its workers at the same 200m/), warn: false }]);
    const notCapping = { contention: { scope: 'machine', host: { cpus: 2, restore: 1, checkpoint: 1, workerStart: 1 } } } as const;
    expect(podCpuLimitNotes({ pools }, { workerCpuMilli: 200 }, notCapping)[0]!.warn).toBe(true);
  });

  it('refuses k8s flags without --backend k8s, and an unknown backend', () => {
    const dir = profilesDir('local-calibrated');
    expect(() => parseFidelityArgs(['--scenario', SCENARIO, '--image', 'x'], io(), dir)).toThrow(/--image: only with --backend k8s/);
    expect(() => parseFidelityArgs(['--scenario', SCENARIO, '--backend', 'local', '--kubeconfig', 'k', '--keep-namespace'], io(), dir)).toThrow(/--kubeconfig, --keep-namespace: only with --backend k8s/);
    expect(() => parseFidelityArgs(['--scenario', SCENARIO, '--backend', 'docker'], io(), dir)).toThrow(/expected local or k8s, got "docker"/);
  });

  it('checks the cluster before anything is simulated or written', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const kc = join(root, 'gone.kubeconfig');
    writeFileSync(
      kc,
      `apiVersion: v1\nkind: Config\nclusters: [{name: gone, cluster: {server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: gone, context: {cluster: gone, user: u}}]\ncurrent-context: gone\n`,
    );
    const out = join(root, 'never', 'fidelity');
    mkdirSync(join(root, 'never'));
    await expect(runFidelity(['--scenario', SCENARIO, '--backend', 'k8s', '--profile', KIND, '--kubeconfig', kc, '--out', out], io())).rejects.toBeInstanceOf(ClusterUnreachableError);
    expect(existsSync(out)).toBe(false);
  });
});
