import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSimulate, type Io } from '../../sim/main.ts';
import { runStudyPod, STUDY_SPEC_KEY } from '../../sim/study-pod.ts';
import { STUDY_DIR } from '../../sim/k8s-study.ts';
import { packEncoded, readShareLog, STUDY_PREFIX, unpackEncoded } from '../../sim/study-shares.ts';
import { encodeSimResult } from '../../sim/study-codec.ts';
import { REPO, removeTempDirs, tempDir } from '../real/helpers.ts';
import { FakeKube, type IndexedPodContext } from '../real/k8s/fake-kube.ts';
import { exitCode } from '../helpers/wait.ts';
import { K8sStudyError } from '../../sim/k8s-study-flags.ts';
import { podSpecOf, restrictedProblems, schemaProblems, yamlDocs } from '../real/k8s/manifest-checks.ts';

// `simulate --backend k8s` against the fake API server: its Indexed Job
// controller runs each pod's entry point (sim/study-pod.ts) in this process,
// one call per index, with Kubernetes' retry rules; the reports must equal a
// local `--jobs 1` run byte for byte.

const ADMIN = 'admin-token-for-study-tests';
const IMAGE = 'actorsim:test';
const NS = 'studies';
const SCENARIO = join(REPO, 'scenarios/fleet-2000-study.yaml');

/** How each in-process pod behaves, by index and attempt: run normally, or fail. */
let behaviour: (ctx: IndexedPodContext) => 'run' | 'fail-halfway' | 'fail' = () => 'run';
let podCalls = 0;

async function indexedPod(ctx: IndexedPodContext): Promise<number> {
  podCalls += 1;
  // The ConfigMap's files where the pod mounts them.
  const dir = tempDir('study-pod');
  for (const [path, text] of Object.entries(ctx.files)) {
    if (!path.startsWith(`${STUDY_DIR}/`)) throw new Error(`unexpected mount ${path}`);
    writeFileSync(join(dir, path.slice(STUDY_DIR.length + 1)), text);
  }
  const what = behaviour(ctx);
  if (what === 'fail') {
    ctx.writeLine('study-pod: simulated crash');
    return 1;
  }
  let lines = 0;
  try {
    await runStudyPod(join(dir, STUDY_SPEC_KEY), ctx.env.JOB_COMPLETION_INDEX, (line) => {
      // A pod killed halfway through its log: some framed lines written, then gone.
      if (what === 'fail-halfway' && lines++ === 3) throw new Error('OOMKilled (simulated) after 3 lines');
      ctx.writeLine(line);
    }, (t) => ctx.writeLine(t.trimEnd()));
  } catch (err) {
    ctx.writeLine(`study-pod: ${(err as Error).message}`);
    return 1;
  }
  return 0;
}

let fake: FakeKube;
let dir: string;
let kubeconfig: string;
beforeAll(async () => {
  dir = tempDir('k8s-study');
  fake = await FakeKube.start({ repo: REPO, workDir: join(dir, 'cluster'), adminToken: ADMIN, images: [IMAGE], indexedPod });
  kubeconfig = fake.kubeconfig(ADMIN, join(dir, 'admin.kubeconfig'));
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  await kc.makeApiClient(CoreV1Api).createNamespace({
    body: { metadata: { name: NS, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } },
  });
});
afterAll(async () => {
  await fake?.close();
  removeTempDirs();
});

function capture(signal?: AbortSignal): Io & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    out: (t) => (out += t),
    err: (t) => (err += t),
    isoNow: () => '2026-12-05T12:00:00.000Z',
    wallMs: () => performance.now(),
    ...(signal === undefined ? {} : { signal }),
    stdout: () => out,
    stderr: () => err,
  };
}

const k8sArgs = (): string[] => ['--backend', 'k8s', '--kubeconfig', kubeconfig, '--namespace', NS, '--image', IMAGE];

/** run.json without what differs between any two runs (wall times, threads) and the k8s backend's own block. */
function comparableRunJson(text: string): unknown {
  const j = JSON.parse(text) as Record<string, unknown> & { runs: Record<string, unknown>[]; policies: Record<string, unknown>[] };
  for (const k of ['wallTimeMs', 'simWallMs', 'workloadWallMs', 'eventsPerSec', 'threads', 'jobs', 'backend', 'startedAt']) delete j[k];
  for (const r of j.runs) for (const k of ['wallMs', 'workloadMs', 'thread']) delete r[k];
  for (const p of j.policies) delete p.wallMs;
  return j;
}

function expectSameReports(local: string, k8s: string): void {
  const files = readdirSync(local).sort();
  expect(readdirSync(k8s).sort()).toEqual(files);
  for (const f of files) {
    if (f === 'run.json') continue;
    if (f === 'report.html') {
      // Vega numbers its clip paths with a counter global to the process (two local runs in one
      // process differ the same way; in separate processes they are equal): compared without it.
      const unclip = (t: string): string => t.replace(/clip\d+/g, 'clip#');
      expect(unclip(readFileSync(join(k8s, f), 'utf8')) === unclip(readFileSync(join(local, f), 'utf8')), f).toBe(true);
      continue;
    }
    // Byte for byte (Buffer.equals: a mismatch prints no 10 MB diff).
    expect(readFileSync(join(k8s, f)).equals(readFileSync(join(local, f))), f).toBe(true);
  }
  expect(comparableRunJson(readFileSync(join(k8s, 'run.json'), 'utf8'))).toEqual(comparableRunJson(readFileSync(join(local, 'run.json'), 'utf8')));
}

describe('the framed share log', () => {
  it('packs the thread codec into bytes and back with every bit, and rejects a damaged, cut or foreign log', async () => {
    const { StudyExecutor } = await import('../../sim/study-executor.ts');
    const { loadScenarioFile } = await import('../../scenarios/load.ts');
    const { applyScenarioOverrides } = await import('../../sim/study-scenario.ts');
    const scenario = applyScenarioOverrides(loadScenarioFile(SCENARIO), { durationMs: 120_000, policies: ['r4.p2c', 'r8.binpack'] });
    const executor = new StudyExecutor(scenario, 60_000, { kind: 'all' }, () => 0);
    const out = await executor.run({ policyIndex: 0, seed: 3 });
    const { message } = encodeSimResult(out.result);
    const back = unpackEncoded(packEncoded(message));
    expect(Buffer.from(back.replyNumbers.buffer).equals(Buffer.from(message.replyNumbers.buffer))).toBe(true);
    expect({ ...back, replyNumbers: null, replyStrings: null, samples: null }).toEqual({ ...message, replyNumbers: null, replyStrings: null, samples: null });

    const { runShare } = await import('../../sim/study-shares.ts');
    const tasks = [
      { policyIndex: 0, seed: 3, slot: 0 },
      { policyIndex: 1, seed: 3, slot: 1 },
    ];
    const lines: string[] = [];
    await runShare(executor, 5, tasks, (l) => void lines.push(l));
    const log = ['pod says hello', ...lines].join('\n');
    expect(readShareLog(5, log, tasks).map((r) => [r.policyIndex, r.seed])).toEqual([
      [0, 3],
      [1, 3],
    ]);
    const dataAt = lines.findIndex((l) => l.startsWith(`${STUDY_PREFIX}D `));
    // One character of one data line changed: the sha256 (or gzip's own check) says so.
    const flipped = [...lines];
    const d = flipped[dataAt]!;
    const k = d.length - 10;
    flipped[dataAt] = `${d.slice(0, k)}${d[k] === 'A' ? 'B' : 'A'}${d.slice(k + 1)}`;
    expect(() => readShareLog(5, flipped.join('\n'), tasks)).toThrow(/index 5: run of policy set #0 seed 3 (arrived corrupt|is damaged)/);
    // A line dropped (a truncated log): the run no longer checks out.
    expect(() => readShareLog(5, lines.filter((_, i) => i !== dataAt).join('\n'), tasks)).toThrow(/index 5: run of policy set #0 seed 3/);
    // Cut short: no DONE.
    expect(() => readShareLog(5, lines.slice(0, -1).join('\n'), tasks)).toThrow(/without its DONE line/);
    // Another index's log, or runs it was not given.
    expect(() => readShareLog(4, log, tasks)).toThrow(/index 4: log line 2: bad BEGIN/);
    expect(() => readShareLog(5, log, tasks.slice(0, 1))).toThrow(/index 5: .*no more runs/);
  });
});

describe('simulate --backend k8s against the fake API server', () => {
  it('--dry-run prints a ConfigMap and an Indexed Job that pass the schemas and Pod Security restricted', async () => {
    const io = capture();
    expect(await runSimulate(['--scenario', SCENARIO, ...k8sArgs(), '--parallelism', '3', '--dry-run'], io)).toBe(0);
    const docs = yamlDocs(io.stdout());
    expect(docs.map((d) => d.kind)).toEqual(['ConfigMap', 'Job']);
    for (const d of docs) expect(schemaProblems(d)).toEqual([]);
    const job = docs[1]!;
    expect(restrictedProblems(podSpecOf(job)!, 'study pod')).toEqual([]);
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', parallelism: 3, backoffLimitPerIndex: 2, maxFailedIndexes: 0 });
    expect(job.spec.completions * JSON.parse(docs[0]!.data[STUDY_SPEC_KEY]).runsPerShare).toBeGreaterThanOrEqual(200);
    expect(podSpecOf(job)!.runtimeClassName).toBe('gvisor');
    expect(podSpecOf(job)!.containers[0].resources.requests.memory).toMatch(/^\d+Mi$/);
    const noGvisor = capture();
    expect(await runSimulate(['--scenario', SCENARIO, ...k8sArgs(), '--no-gvisor', '--dry-run'], noGvisor)).toBe(0);
    expect(podSpecOf(yamlDocs(noGvisor.stdout())[1]!)!.runtimeClassName).toBeUndefined();
  });

  it('runs the 200-run study (fleet-2000 x 20 policy sets x 10 seeds) with one index failing once, and writes the local --jobs 1 reports byte for byte', async () => {
    const base = ['--scenario', SCENARIO, '--duration', '10m'];
    const local = join(dir, 'local-200');
    expect(await runSimulate([...base, '--jobs', '1', '--out', local], capture())).toBe(0);
    // Index 1's first pod dies after three lines of its log; Kubernetes retries the index.
    behaviour = (ctx) => (ctx.index === 1 && ctx.attempt === 0 ? 'fail-halfway' : 'run');
    podCalls = 0;
    const io = capture();
    const k8s = join(dir, 'k8s-200');
    expect(await runSimulate([...base, ...k8sArgs(), '--parallelism', '2', '--out', k8s], io)).toBe(0);
    const runJson = JSON.parse(readFileSync(join(k8s, 'run.json'), 'utf8')) as { backend: { indexes: number; retries: number }; runs: unknown[] };
    expect(runJson.runs).toHaveLength(200);
    expect(runJson.backend.retries).toBe(1);
    expect(podCalls).toBe(runJson.backend.indexes + 1);
    expectSameReports(local, k8s);
    // Done: the Job and its ConfigMap are gone.
    expect(fake.list('jobs', NS)).toEqual([]);
    expect(fake.list('configmaps', NS)).toEqual([]);
  }, 600_000);

  const small = (): string[] => ['--scenario', SCENARIO, '--duration', '5m', '--policies', 'r4.p2c,r8.random,r16.binpack', '--seeds', '1,2', '--invocations', 'none'];

  it('fails naming the index and its pod\'s last log lines when an index exhausts its retries', async () => {
    behaviour = (ctx) => (ctx.index === 2 ? 'fail' : 'run');
    podCalls = 0;
    const out = join(dir, 'exhausted');
    await expect(runSimulate([...small(), ...k8sArgs(), '--out', out], capture())).rejects.toThrow(/index 2 failed after 2 retries[\s\S]*study-pod: simulated crash/);
    expect(existsSync(out)).toBe(false);
    expect(fake.list('jobs', NS)).toEqual([]);
  }, 120_000);

  it('refuses a log whose framed lines were damaged, naming the index', async () => {
    behaviour = () => 'run';
    fake.onIndexedPodExit = (ns, pod, index) => {
      if (index !== 0) return;
      fake.corruptLog(ns, pod, (lines) => lines.map((l) => (l.startsWith(`${STUDY_PREFIX}D `) ? `${l.slice(0, -8)}AAAAAAAA` : l)));
    };
    const out = join(dir, 'corrupt');
    try {
      await expect(runSimulate([...small(), ...k8sArgs(), '--out', out], capture())).rejects.toThrow(/the log of index 0 \(pod .*\) does not hold its runs intact: index 0: run of policy set #0 seed 1/);
    } finally {
      fake.onIndexedPodExit = null;
    }
    expect(existsSync(out)).toBe(false);
  }, 120_000);

  it('on Ctrl-C deletes the Job with its pods and exits 130 without a report', async () => {
    const controller = new AbortController();
    behaviour = () => {
      // The first pod to start stands for Ctrl-C arriving while the Job runs.
      if (!controller.signal.aborted) setImmediate(() => controller.abort());
      return 'run';
    };
    const before = fake.requests.length;
    const out = join(dir, 'interrupted');
    const code = await runSimulate([...small(), ...k8sArgs(), '--out', out], capture(controller.signal));
    expect(code).toBe(130);
    expect(existsSync(out)).toBe(false);
    expect(fake.list('jobs', NS)).toEqual([]);
    expect(fake.list('pods', NS).filter((p) => p.metadata.labels?.['app.kubernetes.io/component'] === 'study')).toEqual([]);
    // The launcher deleted it (not the end of the Job), before any index could be gathered.
    expect(fake.requests.slice(before).filter((r) => r.method === 'DELETE' && r.path.includes('/jobs/'))).toHaveLength(1);
  }, 120_000);

  // The image by a digest no node holds (a rebuilt image's old digest): the fake's pods sit in
  // ImagePullBackOff for ever, as the real cluster's did while the study waited silently.
  const gone = `${IMAGE}@sha256:${'e'.repeat(64)}`;
  const goneArgs = (): string[] => ['--backend', 'k8s', '--kubeconfig', kubeconfig, '--namespace', NS, '--image', gone];
  const literal = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const stuckMessage = new RegExp(
    `index \\d+ cannot start: pod actorsim-study-\\S+, container share: ImagePullBackOff: Back-off pulling image "${literal(gone)}"[^\\n]*\\n` +
      `  image: ${literal(gone)}\\n` +
      `  The node cannot get this image\\. .*scripts/local-cluster-up\\.sh.*scripts/build-image\\.sh.*--image NAME@sha256:\\.\\.\\.`,
  );

  it('fails at once when a pod cannot pull its image: names pod, reason, message and image, deletes the Job, writes no report', async () => {
    behaviour = () => 'run';
    podCalls = 0;
    const before = fake.requests.length;
    const out = join(dir, 'image-gone');
    const io = capture();
    const err = await runSimulate([...small(), ...goneArgs(), '--out', out], io).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(K8sStudyError);
    expect((err as Error).message).toMatch(stuckMessage);
    expect(io.stderr()).toContain('k8s: a pod cannot start: deleting job');
    expect(podCalls).toBe(0);
    expect(existsSync(out)).toBe(false);
    expect(fake.list('jobs', NS)).toEqual([]);
    expect(fake.list('configmaps', NS)).toEqual([]);
    expect(fake.list('pods', NS).filter((p) => p.metadata.labels?.['app.kubernetes.io/component'] === 'study')).toEqual([]);
    // Fast means in few polls, not in some seconds: the first listing that shows the pod stuck
    // ends the wait (the pod exists before the Job's creation is answered; one more for slack).
    const seen = fake.requests.slice(before);
    const deleteAt = seen.findIndex((r) => r.method === 'DELETE' && r.path.includes('/jobs/'));
    expect(deleteAt).toBeGreaterThan(0);
    expect(seen.filter((r) => r.method === 'DELETE' && r.path.includes('/jobs/'))).toHaveLength(1);
    expect(seen.slice(0, deleteAt).filter((r) => r.method === 'GET' && r.path.includes('/pods?')).length).toBeLessThanOrEqual(2);
    // Deleted as on Ctrl-C: pods first.
    expect(seen[deleteAt]!.path).toContain('propagationPolicy=Foreground');
  }, 120_000);

  it('exits 1 from the command line with that message and no report', async () => {
    const { spawn } = await import('node:child_process');
    const out = join(dir, 'image-gone-cli');
    const child = spawn(process.execPath, ['--import', 'tsx', 'sim/cli.ts', ...small(), ...goneArgs(), '--out', out], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    expect(await exitCode(child), stderr).toBe(1);
    expect(stderr).toMatch(new RegExp(`simulate: ${stuckMessage.source}`));
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(out)).toBe(false);
    expect(fake.list('jobs', NS)).toEqual([]);
  });
});


describe('the pod entry point as a program', () => {
  it('runs its share from JOB_COMPLETION_INDEX and exits 0 with a log readShareLog accepts; exit 3 for another scenario', async () => {
    const { spawnSync } = await import('node:child_process');
    const { loadScenarioFile } = await import('../../scenarios/load.ts');
    const { applyScenarioOverrides, scenarioSha256 } = await import('../../sim/study-scenario.ts');
    const pod = tempDir('study-pod-process');
    writeFileSync(join(pod, 'scenario.yaml'), readFileSync(SCENARIO, 'utf8'));
    const overrides = { durationMs: 120_000, policies: ['r4.p2c', 'r8.random'] };
    const sha = scenarioSha256(applyScenarioOverrides(loadScenarioFile(SCENARIO), overrides));
    const spec = { scenarioFile: 'scenario.yaml', overrides, scenarioSha256: sha, seeds: [1, 2], sampleEveryMs: 60_000, invocations: { kind: 'none' }, runsPerShare: 3 };
    writeFileSync(join(pod, STUDY_SPEC_KEY), JSON.stringify(spec));
    const run = (index: string) => spawnSync(process.execPath, ['--import', 'tsx', 'sim/study-pod.ts', '--study', join(pod, STUDY_SPEC_KEY)], { cwd: REPO, encoding: 'utf8', env: { ...process.env, JOB_COMPLETION_INDEX: index } });
    const r = run('1');
    expect(r.status, r.stderr).toBe(0);
    // Hand-out order is seed-major: index 1 of shares of 3 holds the last run, policy set #1 with seed 2.
    expect(readShareLog(1, r.stdout, [{ policyIndex: 1, seed: 2, slot: 3 }]).map((x) => [x.policyIndex, x.seed])).toEqual([[1, 2]]);
    writeFileSync(join(pod, STUDY_SPEC_KEY), JSON.stringify({ ...spec, scenarioSha256: '0'.repeat(64) }));
    const other = run('0');
    expect(other.status).toBe(3);
    expect(other.stderr).toMatch(/resolves differently in this image/);
  }, 120_000);

  it('takes --worker-cpu and --costs-scale from the study, as the machine that started it applied them (its schema once refused both)', async () => {
    const { loadScenarioFile } = await import('../../scenarios/load.ts');
    const { applyScenarioOverrides, scenarioSha256 } = await import('../../sim/study-scenario.ts');
    const pod = tempDir('study-pod-overrides');
    writeFileSync(join(pod, 'scenario.yaml'), readFileSync(SCENARIO, 'utf8'));
    const overrides = { durationMs: 60_000, policies: ['r4.p2c'], workerCpuMilli: 200, costsScale: 1.5 };
    const sha = scenarioSha256(applyScenarioOverrides(loadScenarioFile(SCENARIO), overrides));
    expect(sha).not.toBe(scenarioSha256(applyScenarioOverrides(loadScenarioFile(SCENARIO), { durationMs: 60_000, policies: ['r4.p2c'] })));
    writeFileSync(join(pod, STUDY_SPEC_KEY), JSON.stringify({ scenarioFile: 'scenario.yaml', overrides, scenarioSha256: sha, seeds: [1], sampleEveryMs: 60_000, invocations: { kind: 'none' }, runsPerShare: 1 }));
    const lines: string[] = [];
    await runStudyPod(join(pod, STUDY_SPEC_KEY), '0', (line) => void lines.push(line), () => {});
    expect(readShareLog(0, lines.join('\n'), [{ policyIndex: 0, seed: 1, slot: 0 }])).toHaveLength(1);
  });
});
