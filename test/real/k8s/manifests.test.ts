import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runRealRun } from '../../../real/main.ts';
import { REPO } from '../helpers.ts';
import { WAIT_CEILING_MS } from '../../helpers/wait.ts';
import { podSpecOf, restrictedProblems, schemaProblems, yamlDocs, type Doc } from './manifest-checks.ts';

async function dryRun(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runRealRun(['--backend', 'k8s', '--dry-run', ...args], { out: (t) => (out += t), err: (t) => (err += t), isoNow: () => '2026-11-28T12:00:00.000Z' });
  return { code, out, err };
}

const SCENARIOS = readdirSync(join(REPO, 'scenarios')).filter((f) => f.endsWith('.yaml'));

describe('bench:cluster --backend k8s --dry-run', () => {
  it.each(SCENARIOS)('%s: every manifest validates against the Kubernetes schemas and wears the restricted profile', async (file) => {
    const { code, out } = await dryRun(['--scenario', join(REPO, 'scenarios', file)]);
    expect(code).toBe(0);
    const docs = yamlDocs(out);
    expect(docs.length).toBeGreaterThan(12);
    expect(docs.flatMap(schemaProblems)).toEqual([]);
    const pods = docs.map((d) => ({ d, spec: podSpecOf(d) })).filter((x): x is { d: Doc; spec: Doc } => x.spec !== null);
    expect(pods.flatMap(({ d, spec }) => restrictedProblems(spec, `${d.kind} ${d.metadata.name}`))).toEqual([]);
    for (const { d, spec } of pods) {
      // Only the driver talks to the API server.
      expect(spec.automountServiceAccountToken, `${d.kind} ${d.metadata.name}`).toBe(d.kind === 'Job');
    }
    const workers = docs.filter((d) => d.kind === 'Pod' && d.metadata.labels['app.kubernetes.io/component'] === 'worker');
    expect(workers.length).toBeGreaterThan(0);
    for (const w of workers) {
      expect(w.spec.runtimeClassName).toBe('gvisor');
      const c = w.spec.containers[0];
      expect(c.resources.requests.memory).toMatch(/^\d+Mi$/);
      expect(c.resources.limits.memory).toMatch(/^\d+Mi$/);
      expect(c.env.find((e: Doc) => e.name === 'ACTORSIM_TOKEN').valueFrom.secretKeyRef).toEqual({ name: 'run-token', key: 'token' });
      expect(c.env.find((e: Doc) => e.name === 'ACTORSIM_HOST').valueFrom.fieldRef.fieldPath).toBe('status.podIP');
      // A run's workers keep their own store timeout (60 s), as its driver gives a request up after 60 s.
      expect(c.env.find((e: Doc) => e.name === 'ACTORSIM_STORE_TIMEOUT_MS')).toBeUndefined();
    }
  });

  it('labels the namespace for restricted Pod Security and every object for its run', async () => {
    const { out } = await dryRun([]);
    const docs = yamlDocs(out);
    const ns = docs.find((d) => d.kind === 'Namespace')!;
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(ns.metadata.labels['app.kubernetes.io/part-of']).toBe('actorsim');
    const run = ns.metadata.labels['actorsim.dev/run'];
    expect(ns.metadata.name).toBe(`actorsim-${run}`);
    for (const d of docs) {
      expect(d.metadata.labels['actorsim.dev/run'], `${d.kind} ${d.metadata.name}`).toBe(run);
      expect(d.metadata.labels['app.kubernetes.io/part-of']).toBe('actorsim');
      if (d.kind !== 'Namespace') expect(d.metadata.namespace).toBe(ns.metadata.name);
    }
    // The token never appears in a dry run.
    expect(docs.find((d) => d.kind === 'Secret')!.stringData.token).toBe('generated-per-run');
    expect(docs.find((d) => d.kind === 'Secret')!.stringData['store-token']).toBe('generated-per-run-for-the-store');
  });

  it("mounts the store's secret in the store and the driver only; worker pods get their API token alone", async () => {
    const docs = yamlDocs((await dryRun([])).out);
    const secretKeysOf = (d: Doc): string[] =>
      (podSpecOf(d)?.containers ?? []).flatMap((c: Doc) => (c.env ?? []).map((e: Doc) => e.valueFrom?.secretKeyRef?.key).filter((k: unknown) => k !== undefined));
    const holders = docs.filter((d) => secretKeysOf(d).includes('store-token')).map((d) => `${d.kind} ${d.metadata.name}`);
    expect(holders.sort()).toEqual(['Job driver', 'Pod store']);
    const store = docs.find((d) => d.kind === 'Pod' && d.metadata.name === 'store')!;
    expect(secretKeysOf(store)).toEqual(['store-token']);
    const workers = docs.filter((d) => d.kind === 'Pod' && d.metadata.labels['app.kubernetes.io/component'] === 'worker');
    expect(workers.length).toBeGreaterThan(0);
    for (const w of workers) {
      expect(secretKeysOf(w)).toEqual(['token']);
      expect(JSON.stringify(w)).not.toMatch(/STORE_TOKEN|store-token/);
    }
  });

  it('grants the driver exactly the pod verbs the runtime uses, and admits only the driver to workers', async () => {
    const docs = yamlDocs((await dryRun([])).out);
    const role = docs.find((d) => d.kind === 'Role')!;
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'create', 'delete'] }]);
    const job = docs.find((d) => d.kind === 'Job')!;
    expect(job.spec.template.spec.serviceAccountName).toBe(docs.find((d) => d.kind === 'RoleBinding')!.subjects[0].name);
    expect(job.spec.backoffLimit).toBe(0);
    const policies = Object.fromEntries(docs.filter((d) => d.kind === 'NetworkPolicy').map((d) => [d.metadata.name, d.spec]));
    expect(policies['default-deny-ingress']).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
    expect(policies['workers-admit-driver'].ingress).toEqual([{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/component': 'driver' } } }], ports: [{ port: 8080, protocol: 'TCP' }] }]);
    expect(policies['store-admit-driver-and-workers'].ingress[0].from).toHaveLength(2);
    // Egress is denied by default too; workers reach only the store and DNS, the store nothing.
    expect(policies['default-deny-egress']).toEqual({ podSelector: {}, policyTypes: ['Egress'] });
    const workerEgress = policies['workers-reach-store-and-dns'];
    expect(workerEgress.podSelector).toEqual({ matchLabels: { 'app.kubernetes.io/component': 'worker' } });
    expect(workerEgress.egress).toHaveLength(2);
    expect(workerEgress.egress[0].to).toEqual([{ podSelector: { matchLabels: { 'app.kubernetes.io/component': 'store' } } }]);
    expect(workerEgress.egress[1].ports.map((p: { port: number }) => p.port)).toEqual([53, 53]);
    const driverEgress = policies['driver-reaches-workers-store-dns-and-api'];
    expect(driverEgress.egress.map((e: { to?: unknown[] }) => e.to?.length ?? 0)).toEqual([1, 1, 1, 0]);
    expect(Object.values(policies as Record<string, Doc>).filter((p) => p.policyTypes.includes('Egress') && p.podSelector.matchLabels?.['app.kubernetes.io/component'] === 'store')).toEqual([]);
  });

  it('bounds every pod: CPU on the store and the driver, ephemeral storage everywhere, a size on every emptyDir', async () => {
    const docs = yamlDocs((await dryRun([])).out);
    const specs = docs.filter((d) => d.kind === 'Pod' || d.kind === 'Job').map((d) => podSpecOf(d)!);
    expect(specs.length).toBeGreaterThanOrEqual(3);
    for (const spec of specs) {
      for (const v of spec.volumes ?? []) if (v.emptyDir !== undefined) expect(v.emptyDir.sizeLimit, v.name).toMatch(/^\d+[MG]i$/);
      for (const c of spec.containers) {
        expect(c.resources.requests['ephemeral-storage'], c.name).toBeDefined();
        expect(c.resources.limits['ephemeral-storage'], c.name).toBeDefined();
        if (c.name === 'store' || c.name === 'driver') expect(c.resources.limits.cpu, c.name).toBeDefined();
      }
    }
  });

  it('flags unknown fields and invalid values (the checks can fail)', () => {
    const pod: Doc = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { runtimeClass: 'gvisor', containers: [{ name: 'c', image: 'i' }] } };
    expect(schemaProblems(pod).join()).toContain('/spec/runtimeClass');
    const bad: Doc = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'i', resources: { limits: { memory: 'lots' } } }] } };
    expect(schemaProblems(bad).join()).toContain('quantity');
    expect(restrictedProblems(pod.spec, 'p').length).toBeGreaterThan(3);
  });

  it('runs as the npm script and exits 0 without a cluster', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'real/cli.ts', '--backend', 'k8s', '--dry-run'], {
      cwd: REPO,
      env: { ...process.env, KUBECONFIG: '/nonexistent/kubeconfig' },
      encoding: 'utf8',
      timeout: WAIT_CEILING_MS,
    });
    expect(yamlDocs(out).filter((d) => d.kind === 'Pod' && d.spec.runtimeClassName === 'gvisor').length).toBe(3);
  });
});
