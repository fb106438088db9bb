import { afterAll, describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../scenarios/load.ts';
import { generateWorkload, workloadSize } from '../../scenarios/workload.ts';
import { simulate } from '../../sim/runtime.ts';
import { ACTOR_TEMPLATES, edit, loadError, loc, problemsOf, scratch, SUBSTRATE_SCENARIO as SCENARIO, WORKER_POOL, wellFormed } from './load-fixtures.ts';

/*
 * Substrate manifests as scenario input: a scenario document with the
 * traffic, cluster, costs and policies, whose pools and templates come only
 * from WorkerPool and ActorTemplate documents, either in the same file or in
 * files listed under `include:`. The manifests carry the fields a real one
 * does (most of which the simulator ignores) plus sim.actorsim.dev/
 * annotations for what Substrate does not say.
 */

/** The whole scenario in one multi-document file. */
const ONE_FILE = `${SCENARIO}---\n${WORKER_POOL}---\n${ACTOR_TEMPLATES}`;

const tmp = scratch('manifests-test-');
afterAll(() => tmp.cleanup());
let counter = 0;

/** Writes the scenario either as one file or as a scenario that includes the manifests; returns the scenario's path. */
function write(layout: 'one file' | 'include', pool = WORKER_POOL, templates = ACTOR_TEMPLATES): { file: string; manifests: string } {
  const dir = `case-${counter++}`;
  if (layout === 'one file') {
    const file = tmp.write(`${dir}/scenario.yaml`, `${SCENARIO}---\n${pool}---\n${templates}`);
    return { file, manifests: file };
  }
  const manifests = tmp.write(`${dir}/substrate/kagent.yaml`, `# kubectl apply -f this file\n${pool}---\n${templates}`);
  const file = tmp.write(`${dir}/scenario.yaml`, edit(SCENARIO, 'costs: substrate-kind', 'include: [substrate/kagent.yaml]\ncosts: substrate-kind'));
  return { file, manifests };
}

/** The text of the file holding the manifests in `layout`. */
function manifestText(layout: 'one file' | 'include', pool = WORKER_POOL, templates = ACTOR_TEMPLATES): string {
  return layout === 'one file' ? `${SCENARIO}---\n${pool}---\n${templates}` : `# kubectl apply -f this file\n${pool}---\n${templates}`;
}

const LAYOUTS = ['one file', 'include'] as const;

describe.each(LAYOUTS)('a WorkerPool and ActorTemplates (%s)', (layout) => {
  it('become the pool and the templates', () => {
    const s = loadScenarioFile(write(layout).file);
    expect(s.pools).toEqual([
      {
        name: 'kagent-default',
        mode: 'shared',
        replicas: 3,
        actorSlots: 4,
        workerMemoryMiB: 2048,
        workerCpuMilli: 1000,
        runtimeClass: 'gvisor',
        nodeSelector: { 'ate.dev/sandbox': 'gvisor' },
      },
    ]);
    expect(s.templates).toEqual([
      // Memory: the largest container limit; snapshot from the annotation.
      { name: 'chat', pool: 'kagent-default', memoryMiB: 384, snapshotMiB: 96, golden: true, work: { kind: 'lognormal', medianMs: 2000, p99Ms: 20_000 } },
      // Memory: the annotation, over the container's request; snapshot defaults to the memory.
      { name: 'k8s-agent', pool: 'kagent-default', memoryMiB: 300, snapshotMiB: 300, golden: false, work: { kind: 'exponential', meanMs: 5000 } },
    ]);
    expect(s.policies[0]!.pools).toEqual({ 'kagent-default': { mode: 'shared', replicas: 3, actorSlots: 4, workerMemoryMiB: 2048 } });
  });

  it('simulate: every invocation is served', async () => {
    const s = loadScenarioFile(write(layout).file);
    const workload = await generateWorkload(s, s.seed);
    const n = workloadSize(workload);
    // 12 actors at 0.2/s for 10 min, plus the 3 synchronized ones.
    expect(n).toBeGreaterThan(50);
    expect(new Set(workload.actorTemplates)).toEqual(new Set(['chat', 'k8s-agent']));
    const result = simulate(s, s.policies[0]!, workload, { seed: s.seed, sampleEveryMs: 0, maxEvents: 1_000_000 });
    expect(result.replies).toHaveLength(n);
    const served = result.replies.filter((r) => r.outcome === 'served');
    expect(served).toHaveLength(n);
    expect(result.totals).toBeDefined();
  });
});

describe('manifest details', () => {
  it('unknown spec and metadata fields are tolerated', () => {
    const pool = edit(WORKER_POOL, '  replicas: 3\n', '  replicas: 3\n  futureField: {nested: [1, 2, 3]}\n  minReadySeconds: 5\n');
    const templates = edit(ACTOR_TEMPLATES, '  sandboxClass: gvisor\n', '  sandboxClass: gvisor\n  durableDir: {path: /data, size: 1Gi}\n  onResume: {fromData: Golden}\n');
    expect(loadScenarioFile(write('one file', pool, templates).file).pools[0]!.replicas).toBe(3);
  });

  it('a microvm sandbox class runs on kata, and the defaults are Substrate\'s (one replica, one actor slot)', () => {
    let pool = edit(WORKER_POOL, 'sandboxClass: gvisor', 'sandboxClass: microvm');
    pool = edit(pool, '    sim.actorsim.dev/actor-slots: "4"\n', '');
    pool = edit(pool, '  replicas: 3\n', '');
    const s = loadScenarioFile(write('one file', pool).file);
    expect(s.pools[0]).toMatchObject({ runtimeClass: 'kata', replicas: 1, actorSlots: 1 });
  });

  it('a container with only a memory request uses the request', () => {
    const templates = edit(ACTOR_TEMPLATES, '    sim.actorsim.dev/memory: 300Mi\n', '');
    expect(loadScenarioFile(write('one file', WORKER_POOL, templates).file).templates[1]!.memoryMiB).toBe(1024);
  });

  it('manifests and inline pools can be mixed', () => {
    const text = edit(ONE_FILE, 'costs: substrate-kind', 'pools:\n  - {name: batch, worker: {memory: 1Gi}}\ntemplates:\n  - {name: job, pool: batch, memory: 256Mi, work: {kind: constant, value: 1s}}\ncosts: substrate-kind');
    const s = loadScenarioFile(tmp.write(`mixed-${counter++}.yaml`, text));
    expect(s.pools.map((p) => p.name)).toEqual(['batch', 'kagent-default']);
    expect(s.templates.map((t) => t.name)).toEqual(['job', 'chat', 'k8s-agent']);
  });
});

/** Loads `layout` with the given manifests; returns the problems and where the manifests are. */
function failing(layout: 'one file' | 'include', pool = WORKER_POOL, templates = ACTOR_TEMPLATES): { problems: readonly string[]; manifests: string; text: string } {
  const { file, manifests } = write(layout, pool, templates);
  return { problems: problemsOf(file), manifests, text: manifestText(layout, pool, templates) };
}

describe.each(LAYOUTS)('manifest mistakes (%s), reported in the manifest', (layout) => {
  it('a WorkerPool without the worker-memory annotation', () => {
    const pool = edit(WORKER_POOL, '    sim.actorsim.dev/worker-memory: 2Gi\n', '');
    const { problems, manifests, text } = failing(layout, pool);
    expect(problems).toContain(
      `${manifests}:${loc(text, 'sim.actorsim.dev/actor-slots')} metadata.annotations: WorkerPool kagent-default: add annotation sim.actorsim.dev/worker-memory (e.g. "2Gi"): the manifest does not say how much memory a worker has`,
    );
  });

  it('a WorkerPool without annotations at all', () => {
    const pool = edit(WORKER_POOL, '  annotations:\n    sim.actorsim.dev/actor-slots: "4"\n    sim.actorsim.dev/worker-memory: 2Gi\n    sim.actorsim.dev/worker-cpu: "1"\n', '');
    const { problems, manifests, text } = failing(layout, pool);
    expect(problems).toContain(
      `${manifests}:${loc(text, '  name: kagent-default\n  namespace: kagent\n  labels', 'name')} metadata.annotations: WorkerPool kagent-default: add annotation sim.actorsim.dev/worker-memory (e.g. "2Gi"): the manifest does not say how much memory a worker has`,
    );
  });

  it('an ActorTemplate without the work annotation', () => {
    const templates = edit(ACTOR_TEMPLATES, '    sim.actorsim.dev/work: "{kind: lognormal, median: 2s, p99: 20s}"\n', '');
    const { problems, manifests, text } = failing(layout, WORKER_POOL, templates);
    expect(problems).toContain(
      `${manifests}:${loc(text, 'sim.actorsim.dev/snapshot: 96Mi', 'sim')} metadata.annotations: ActorTemplate chat: add annotation sim.actorsim.dev/work (e.g. "{kind: lognormal, median: 2s, p99: 20s}"): the manifest does not say how long an invocation works`,
    );
  });

  it('a work annotation with both p99 and sigma', () => {
    const templates = edit(ACTOR_TEMPLATES, 'median: 2s, p99: 20s}', 'median: 2s, p99: 20s, sigma: 1}');
    const { problems, manifests, text } = failing(layout, WORKER_POOL, templates);
    expect(problems).toContain(
      `${manifests}:${loc(text, 'sim.actorsim.dev/work: "{kind: lognormal', '"')} metadata.annotations.sim.actorsim.dev/work: work: lognormal needs exactly one of p99 or sigma`,
    );
  });

  it('a work annotation with a bare number as a duration', () => {
    const templates = edit(ACTOR_TEMPLATES, '"{kind: exponential, mean: 5s}"', '"{kind: exponential, mean: 5}"');
    const { problems, manifests, text } = failing(layout, WORKER_POOL, templates);
    expect(problems).toContain(
      `${manifests}:${loc(text, 'sim.actorsim.dev/work: "{kind: exponential', '"')} metadata.annotations.sim.actorsim.dev/work: mean: expected a duration with a unit (e.g. 250ms, 5m, 24h), got 5`,
    );
  });

  it('a worker-memory annotation that is not a quantity', () => {
    const pool = edit(WORKER_POOL, 'worker-memory: 2Gi', 'worker-memory: two gigs');
    const { problems, manifests, text } = failing(layout, pool);
    expect(problems).toContain(
      `${manifests}:${loc(text, 'worker-memory: two gigs', 'two')} metadata.annotations.sim.actorsim.dev/worker-memory: "two gigs" is not a Kubernetes quantity (e.g. 512Mi, 2Gi, 1.5G, 500m)`,
    );
  });

  it('an unsupported ate.dev kind', () => {
    const sandbox = `apiVersion: ate.dev/v1alpha1\nkind: SandboxConfig\nmetadata:\n  name: gvisor-default\nspec:\n  sandboxClass: gvisor\n  default: true\n`;
    const { problems, manifests, text } = failing(layout, `${sandbox}---\n${WORKER_POOL}`);
    expect(problems).toEqual([`${manifests}:${loc(text, 'kind: SandboxConfig', 'SandboxConfig')} kind: unsupported ate.dev kind "SandboxConfig" (WorkerPool and ActorTemplate are read)`]);
  });

  // One mistake, one line: a manifest that could not be read must not also
  // make every reference to it an "unknown" name.
  it('a broken WorkerPool does not also make its templates name an "unknown pool"', () => {
    const pool = edit(WORKER_POOL, '    sim.actorsim.dev/worker-memory: 2Gi\n', '');
    expect(failing(layout, pool).problems).toHaveLength(1);
  });

  it('a broken ActorTemplate does not also make the workload name an "unknown template"', () => {
    const templates = edit(ACTOR_TEMPLATES, '    sim.actorsim.dev/work: "{kind: lognormal, median: 2s, p99: 20s}"\n', '');
    expect(failing(layout, WORKER_POOL, templates).problems).toHaveLength(1);
  });

  it('a work annotation that is not YAML: one problem, on one line', () => {
    const templates = edit(ACTOR_TEMPLATES, '"{kind: lognormal, median: 2s, p99: 20s}"', '"{kind: lognormal, median: 2s"');
    const { problems, manifests, text } = failing(layout, WORKER_POOL, templates);
    const own = problems.filter((p) => p.includes('sim.actorsim.dev/work'));
    expect(own).toEqual([expect.stringMatching(new RegExp(`^${esc(manifests)}:${loc(text, 'sim.actorsim.dev/work: "{kind: lognormal', '"')} metadata\\.annotations\\.sim\\.actorsim\\.dev/work: .+$`))]);
    expect(problems.filter((p) => !wellFormed(p))).toEqual([]);
  });

  // Cross-references of manifests point into the manifests, not at the scenario.
  it('an ActorTemplate naming an unknown WorkerPool is reported at its workerPoolRef', () => {
    const templates = edit(ACTOR_TEMPLATES, 'workerPoolRef: {name: kagent-default}', 'workerPoolRef: {name: kagent}');
    const { problems, manifests, text } = failing(layout, WORKER_POOL, templates);
    expect(problems).toEqual([
      expect.stringMatching(new RegExp(`^${esc(manifests)}:${loc(text, 'workerPoolRef: {name: kagent}', 'kagent')} \\S+: unknown pool "kagent" \\(known: kagent-default\\)$`)),
    ]);
  });

  it('an ActorTemplate too big for its WorkerPool\'s workers is reported at the template\'s memory or the pool\'s', () => {
    const templates = edit(ACTOR_TEMPLATES, 'limits: {memory: 384Mi}', 'limits: {memory: 3Gi}');
    const { problems, manifests, text } = failing(layout, WORKER_POOL, templates);
    const where = [loc(text, 'limits: {memory: 3Gi}', '3Gi'), loc(text, 'worker-memory: 2Gi', '2Gi')].join('|');
    expect(problems).toEqual([expect.stringMatching(new RegExp(`^${esc(manifests)}:(${where}) \\S+: a worker of 2048 MiB cannot hold template "chat" \\(3072 MiB\\)$`))]);
  });
});

describe('a pool defined both inline and by a manifest', () => {
  it('is reported at the second definition, in the manifest', () => {
    const text = edit(ONE_FILE, 'costs: substrate-kind', 'pools:\n  - {name: kagent-default, worker: {memory: 1Gi}}\ncosts: substrate-kind');
    const file = tmp.write(`dup-${counter++}.yaml`, text);
    expect(problemsOf(file)).toEqual([`${file}:${loc(text, '  name: kagent-default\n  namespace', 'kagent-default')} metadata.name: pool "kagent-default" is defined twice`]);
  });
});

describe('an included file', () => {
  it('that is not a manifest is reported there', () => {
    const file = tmp.write('inc-bad/scenario.yaml', edit(SCENARIO, 'costs: substrate-kind', 'include: [other.yaml]\ncosts: substrate-kind'));
    const other = tmp.write('inc-bad/other.yaml', '# not a manifest\nname: other\n');
    expect(loadError(file).problems).toContain(`${other}:2:1 apiVersion: included files hold ate.dev/v1alpha1 manifests only`);
  });
});

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
