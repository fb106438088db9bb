// simulate --backend k8s on a real cluster: a small study as an Indexed Job of
// gVisor pods (the image must hold this checkout's sim/: rebuild it after a
// change, scripts/local-cluster-up.sh or scripts/build-image.sh), its reports
// equal to the local --jobs 1 run's (run.json aside: wall times, threads, backend).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSimulate } from '../../sim/main.ts';
import { REPO, removeTempDirs, tempDir } from '../real/helpers.ts';
import { deleteNamespace, IMAGE, reach } from './cluster.ts';

describe.skipIf(!reach.ok)('simulate --backend k8s on a real cluster', () => {
  const kc = reach.ok ? reach.kc : new KubeConfig();
  const namespace = `actorsim-study-test-${Date.now().toString(36)}`;
  let dir: string;

  beforeAll(async () => {
    dir = tempDir('cluster-study');
    await kc.makeApiClient(CoreV1Api).createNamespace({
      body: { metadata: { name: namespace, labels: { 'app.kubernetes.io/part-of': 'actorsim', 'pod-security.kubernetes.io/enforce': 'restricted' } } },
    });
  });
  afterAll(async () => {
    await deleteNamespace(kc, namespace);
    removeTempDirs();
  });

  it('runs 3 policy sets x 2 seeds of fleet-2000-study in gVisor pods, two at a time, and writes the local reports byte for byte', async () => {
    const base = ['--scenario', join(REPO, 'scenarios/fleet-2000-study.yaml'), '--duration', '5m', '--policies', 'r4.p2c,r8.random,r16.binpack', '--seeds', '1,2'];
    const io = { out: () => {}, err: (t: string) => process.stderr.write(t), isoNow: () => new Date().toISOString(), wallMs: () => performance.now() };
    const local = join(dir, 'local');
    const k8s = join(dir, 'k8s');
    expect(await runSimulate([...base, '--jobs', '1', '--out', local], io)).toBe(0);
    const context = reach.ok ? reach.context : '';
    expect(await runSimulate([...base, '--backend', 'k8s', '--context', context, '--namespace', namespace, '--image', IMAGE, '--parallelism', '2', '--out', k8s], io)).toBe(0);
    for (const f of readdirSync(local)) {
      if (f === 'run.json') continue;
      // report.html: Vega's clip-path counter is global to the process (see test/sim/k8s-study.test.ts).
      const norm = (t: string): string => (f === 'report.html' ? t.replace(/clip\d+/g, 'clip#') : t);
      expect(norm(readFileSync(join(k8s, f), 'utf8')) === norm(readFileSync(join(local, f), 'utf8')), f).toBe(true);
    }
  }, 900_000);
});
