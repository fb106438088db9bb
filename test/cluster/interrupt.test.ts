// Ctrl-C during `bench:cluster --backend k8s` on a real cluster: the run's
// namespace is deleted at once, and the command ends with a partial report
// (or, if the driver had not started, the error saying so), not a hang.
import { spawn } from 'node:child_process';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { REPO } from '../real/helpers.ts';
import { eventually, reach } from './cluster.ts';

describe.skipIf(!reach.ok)('Ctrl-C during bench:cluster --backend k8s', () => {
  const kc = reach.ok ? reach.kc : new KubeConfig();

  it('deletes the run namespace and ends', async () => {
    const context = reach.ok ? reach.context : '';
    // One shared-pool set (3 worker pods of 500m): the dedicated one's 20 would not fit a 2-cpu node, and bench:cluster refuses it before creating anything.
    const args = ['--backend', 'k8s', '--context', context, '--policies', 'shared-least-loaded-ttl-suspend', '--out', 'reports/runs/cluster-test-interrupt'];
    const child = spawn(process.execPath, ['--import', 'tsx', 'real/cli.ts', ...args], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.stdout.on('data', () => {});
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const namespace = await eventually('the run namespace to be created', 120_000, async () => /k8s: namespace (actorsim-[a-z0-9-]+):/.exec(err)?.[1]);
    child.kill('SIGINT');
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 150_000))]);
    if (code === 'hung') child.kill('SIGKILL');
    expect(err).toContain(`k8s: interrupted: deleting namespace ${namespace}`);
    // Deleted: gone, or terminating (its pods get their grace period).
    const core = kc.makeApiClient(CoreV1Api);
    const ns = await core.readNamespace({ name: namespace }).catch(() => null);
    expect(ns === null || ns.metadata?.deletionTimestamp !== undefined).toBe(true);
    expect(code).not.toBe('hung');
    expect([130, 1]).toContain(code);
  });
});
