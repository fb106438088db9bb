// Fixtures and helpers shared by the scenario loader's tests.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { loadScenarioFile } from '../../scenarios/load.ts';
import { ScenarioError } from '../../scenarios/errors.ts';

/** A scratch directory for fixture files; `cleanup` removes it. */
export interface Scratch {
  readonly dir: string;
  /** Writes `text` to `name` (relative to the directory) and returns the full path. */
  write(name: string, text: string): string;
  cleanup(): void;
}

export function scratch(prefix = 'load-test-'): Scratch {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    write(name, text) {
      const file = join(dir, name);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
      return file;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The 1-based `line:col` of `target` inside the only occurrence of `anchor`
 * in `text` (target defaults to the anchor itself): expected positions are
 * computed from the fixture rather than written down.
 */
export function loc(text: string, anchor: string, target: string = anchor): string {
  const a = text.indexOf(anchor);
  if (a < 0) throw new Error(`fixture: ${JSON.stringify(anchor)} not found`);
  if (text.indexOf(anchor, a + 1) >= 0) throw new Error(`fixture: ${JSON.stringify(anchor)} occurs more than once`);
  const t = text.indexOf(target, a);
  if (t < 0 || t >= a + anchor.length) throw new Error(`fixture: ${JSON.stringify(target)} not inside ${JSON.stringify(anchor)}`);
  const before = text.slice(0, t);
  const line = before.split('\n').length;
  const col = t - before.lastIndexOf('\n');
  return `${line}:${col}`;
}

/** `text` with the only occurrence of `from` replaced by `to`. */
export function edit(text: string, from: string, to: string): string {
  const i = text.indexOf(from);
  if (i < 0) throw new Error(`fixture: ${JSON.stringify(from)} not found`);
  if (text.indexOf(from, i + 1) >= 0) throw new Error(`fixture: ${JSON.stringify(from)} occurs more than once`);
  return text.slice(0, i) + to + text.slice(i + from.length);
}

/** Loads `file`, expecting a ScenarioError; returns it. */
export function loadError(file: string): ScenarioError {
  let thrown: unknown;
  try {
    loadScenarioFile(file);
  } catch (err) {
    thrown = err;
  }
  expect(thrown, `${file} should not load`).toBeInstanceOf(ScenarioError);
  return thrown as ScenarioError;
}

/** The problems of loading `file`, which must fail with a ScenarioError. */
export function problemsOf(file: string): readonly string[] {
  return loadError(file).problems;
}

/**
 * A small, valid scenario in the style of the shipped ones: every mistake
 * of the tests is one edit of this text.
 */
export const BASE = `# A small scenario for the loader's tests.
name: loader-test
description: "one shared pool, one template, two policy sets"
seed: 3
duration: 1h

cluster:
  nodes:
    - {name: node, count: 2, memory: 16Gi, cpu: "8"}

pools:
  - name: agents
    replicas: 2
    actorSlots: 4
    worker: {memory: 1280Mi, cpu: 500m}

templates:
  - name: agent
    pool: agents
    memory: 256Mi
    snapshot: 64Mi
    work: {kind: lognormal, median: 1s, p99: 8s}

workload:
  - template: agent
    actors: 20
    arrivals: {kind: poisson, ratePerSec: 0.5}

costs: substrate-kind

policies:
  - name: shared-p2c
    placement: p2c
    idle: {kind: ttl, ttl: 1m, action: suspend}
  - name: one-pod-per-agent
    pools: {agents: {mode: dedicated, worker: {memory: 512Mi}, dedicated: {variant: always-on}}}
    eviction: none
`;

/** A scenario whose pools and templates come from the Substrate manifests below. */
export const SUBSTRATE_SCENARIO = `# kagent's chat agent on a Substrate WorkerPool, pools and templates from the manifests.
name: kagent-on-substrate
description: "pools and templates read from ate.dev/v1alpha1 manifests"
seed: 5
duration: 10m

cluster:
  nodes:
    - {name: kind-worker, count: 2, memory: 16Gi, cpu: "8"}

workload:
  - template: chat
    actors: 12
    arrivals: {kind: poisson, ratePerSec: 0.2}
  - template: k8s-agent
    actors: 3
    arrivals: {kind: synchronized, at: 2m, window: 10s}

costs: substrate-kind

policies:
  - name: ttl-1m
    placement: p2c
    idle: {kind: ttl, ttl: 1m, action: suspend}
`;

/** A WorkerPool as Substrate users write it, with the simulator's annotations. */
export const WORKER_POOL = `apiVersion: ate.dev/v1alpha1
kind: WorkerPool
metadata:
  name: kagent-default
  namespace: kagent
  labels:
    app.kubernetes.io/part-of: kagent
  annotations:
    sim.actorsim.dev/actor-slots: "4"
    sim.actorsim.dev/worker-memory: 2Gi
    sim.actorsim.dev/worker-cpu: "1"
spec:
  replicas: 3
  sandboxClass: gvisor
  ateomImage: ghcr.io/agent-substrate/ateom-gvisor:v0.4.1@sha256:0f3c9a7e
  template:
    nodeSelector:
      ate.dev/sandbox: gvisor
    runtimeClassName: runsc
    tolerations:
      - {key: ate.dev/sandbox, operator: Exists, effect: NoSchedule}
  snapshotsConfig:
    location: gs://kagent-snapshots/workers/
    retention: 72h
`;

/** Two ActorTemplates on that pool: memory from a container limit, and from an annotation. */
export const ACTOR_TEMPLATES = `apiVersion: ate.dev/v1alpha1
kind: ActorTemplate
metadata:
  name: chat
  namespace: kagent
  annotations:
    sim.actorsim.dev/work: "{kind: lognormal, median: 2s, p99: 20s}"
    sim.actorsim.dev/snapshot: 96Mi
spec:
  workerPoolRef:
    name: kagent-default
  sandboxClass: gvisor
  pauseImage: registry.k8s.io/pause:3.10.2
  containers:
    - name: agent
      image: ghcr.io/kagent-dev/kagent/app:0.6.3
      command: ["python", "-m", "kagent.serve"]
      env:
        - {name: KAGENT_NAMESPACE, value: kagent}
      resources:
        requests: {cpu: 100m, memory: 256Mi}
        limits: {memory: 384Mi}
      readyz:
        httpGet: {path: /readyz, port: 8080}
    - name: log-shipper
      image: fluent/fluent-bit:3.1
      resources:
        limits: {cpu: 50m, memory: 64Mi}
  workerSelector:
    matchLabels: {app.kubernetes.io/part-of: kagent}
  snapshotsConfig:
    onPause: Full
    onCommit: Data
    location: gs://kagent-snapshots/actors/
---
apiVersion: ate.dev/v1alpha1
kind: ActorTemplate
metadata:
  name: k8s-agent
  namespace: kagent
  annotations:
    sim.actorsim.dev/memory: 300Mi
    sim.actorsim.dev/golden: "false"
    sim.actorsim.dev/work: "{kind: exponential, mean: 5s}"
spec:
  workerPoolRef: {name: kagent-default}
  containers:
    - name: agent
      image: ghcr.io/kagent-dev/kagent/app:0.6.3
      resources:
        requests: {memory: 1Gi}
`;

/** The problem-line forms every ScenarioError problem must take. */
export const PROBLEM_LINE = /^\S+(:\d+:\d+)? \S.*: .+/;
export const CANNOT_BE_READ = /^\S+: cannot be read: \S+/;
export const YAML_LINE = /^\S+:\d+:\d+ YAML: .+/;

/** Whether `line` has one of the documented problem forms (and is one line). */
export function wellFormed(line: string): boolean {
  return !line.includes('\n') && (PROBLEM_LINE.test(line) || CANNOT_BE_READ.test(line) || YAML_LINE.test(line));
}
