import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenarioFile, PROFILES_DIR } from '../../scenarios/load.ts';
import { BASE, edit, loadError, loc, problemsOf, scratch, wellFormed } from './load-fixtures.ts';

const SCENARIOS_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../scenarios');
const SHIPPED = readdirSync(SCENARIOS_DIR).filter((f) => f.endsWith('.yaml')).sort();
const PROFILES = readdirSync(PROFILES_DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -'.yaml'.length)).sort();

const tmp = scratch();
afterAll(() => tmp.cleanup());

let counter = 0;
/** Writes a fixture under a fresh name. */
function fixture(text: string, name = `s${counter++}.yaml`): string {
  return tmp.write(name, text);
}

/** A cost profile written in full, for tests of profiles given by path. */
const PROFILE_TEXT = `name: mine
workerStart: {kind: lognormal, median: 3s, p99: 8s}
coldBoot: {kind: constant, value: 1500ms}
restore:
  external: {base: {kind: lognormal, median: 150ms, p99: 500ms}, bandwidth: 640Mi/s}
  local: {base: {kind: constant, value: 60ms}, bandwidth: 2Gi/s}
  golden: {base: {kind: constant, value: 80ms}, bandwidth: 2000Mi/s}
checkpoint:
  external: {base: {kind: constant, value: 100ms}, bandwidth: 400Mi/s}
  local: {base: {kind: constant, value: 40ms}, bandwidth: 1500Mi/s}
`;

describe('shipped scenarios', () => {
  it('there are some', () => {
    expect(SHIPPED.length).toBeGreaterThanOrEqual(6);
    expect(PROFILES.length).toBeGreaterThanOrEqual(4);
  });

  it.each(SHIPPED)('%s loads and hangs together', (name) => {
    const s = loadScenarioFile(join(SCENARIOS_DIR, name));
    expect(s.name).toMatch(/^[a-z0-9][-a-z0-9.]*$/);
    expect(s.durationMs).toBeGreaterThan(0);
    expect(s.warmupMs).toBeLessThan(s.durationMs);
    expect(s.nodes.length).toBeGreaterThan(0);
    expect(s.policies.length).toBeGreaterThan(0);
    const pools = new Set(s.pools.map((p) => p.name));
    const templates = new Set(s.templates.map((t) => t.name));
    for (const t of s.templates) expect(pools.has(t.pool), `template ${t.name}`).toBe(true);
    for (const g of s.workload) expect(templates.has(g.kind === 'model' ? g.template : g.trace.template)).toBe(true);
    for (const p of s.policies) {
      expect(Object.keys(p.pools).sort()).toEqual([...pools].sort());
      for (const t of s.templates) expect(t.memoryMiB).toBeLessThanOrEqual(p.pools[t.pool]!.workerMemoryMiB);
    }
    expect(PROFILES).toContain(s.costs.name);
  });

  it.each(PROFILES)('profile %s loads when a scenario names it', (profile) => {
    const s = loadScenarioFile(fixture(edit(BASE, 'costs: substrate-kind', `costs: ${profile}`)));
    expect(s.costs.name).toBe(profile);
    expect(s.costs.source.length).toBeGreaterThan(0);
    for (const c of [s.costs.restore.local, s.costs.restore.external, s.costs.restore.golden, s.costs.checkpoint.local, s.costs.checkpoint.external]) {
      expect(c.mibPerSec).toBeGreaterThan(0);
      expect(['constant', 'lognormal', 'exponential', 'uniform', 'empirical']).toContain(c.base.kind);
    }
  });

  it('a profile can also be named by path, relative to the scenario or absolute', () => {
    const abs = join(PROFILES_DIR, 'substrate-cloud.yaml');
    expect(loadScenarioFile(fixture(edit(BASE, 'costs: substrate-kind', `costs: ${abs}`))).costs.name).toBe('substrate-cloud');
    tmp.write('profiles/mine.yaml', PROFILE_TEXT);
    const s = loadScenarioFile(fixture(edit(BASE, 'costs: substrate-kind', 'costs: profiles/mine.yaml')));
    expect(s.costs.name).toBe('mine');
    expect(s.costs.restore.external).toEqual({ base: { kind: 'lognormal', medianMs: 150, p99Ms: 500 }, mibPerSec: 640 });
    expect(s.costs.dispatch).toEqual({ kind: 'constant', valueMs: 0 });
    // No contention block, no contention key: the model is what it was before the field existed.
    expect('contention' in s.costs).toBe(false);
  });
});

describe('contention in a cost profile', () => {
  /** Writes PROFILE_TEXT plus `block` as a profile and a scenario using it; returns both paths and the profile text. */
  function withContention(block: string): { file: string; profile: string; text: string } {
    const text = `${PROFILE_TEXT}${block}\n`;
    const name = `profiles/contention-${counter++}.yaml`;
    const profile = tmp.write(name, text);
    return { file: fixture(edit(BASE, 'costs: substrate-kind', `costs: ${name}`)), profile, text };
  }

  it('is parsed into the model, and every part is optional but one', () => {
    const both = withContention('contention:\n  scope: machine\n  transfers: {streams: 1.15}\n  cpu: {cpus: 2, workerStart: 1.4}');
    expect(loadScenarioFile(both.file).costs.contention).toEqual({ scope: 'machine', transfers: { streams: 1.15 }, cpu: { cpus: 2, workerStart: 1.4 } });
    const cpu = withContention('contention: {scope: node, cpu: {cpus: 8, workerStart: 0.5}}');
    expect(loadScenarioFile(cpu.file).costs.contention).toEqual({ scope: 'node', cpu: { cpus: 8, workerStart: 0.5 } });
  });

  it.each([
    ['an unknown scope', 'contention: {scope: rack, transfers: {streams: 1}}', 'rack', 'contention.scope: Invalid option: expected one of "machine"|"node", got "rack"'],
    ['zero streams', 'contention:\n  scope: machine\n  transfers: {streams: 0}', '0}', 'contention.transfers.streams: expected a positive number, got 0'],
    ['negative cpus', 'contention:\n  scope: machine\n  cpu: {cpus: -2, workerStart: 1}', '-2', 'contention.cpu.cpus: expected a positive number, got -2'],
    ['a word for a number', 'contention:\n  scope: node\n  cpu: {cpus: 2, workerStart: lots}', 'lots', 'contention.cpu.workerStart: expected a positive number, got "lots"'],
    ['a misspelt field', 'contention: {scope: machine, transfers: {streams: 2, stream: 2}}', 'stream: 2}', 'contention.transfers: unknown field(s) "stream"'],
    ['neither transfers nor cpu', 'contention: {scope: machine}', '{scope', 'contention: contention needs transfers, cpu or both, or host'],
    ['host beside transfers', 'contention: {scope: machine, transfers: {streams: 1}, host: {cpus: 2, restore: 1, checkpoint: 1, workerStart: 1}}', '{scope', 'contention: contention.host replaces transfers and cpu: give one or the other'],
  ])('%s is reported at the field in the profile file', (_title, block, target, message) => {
    const { file, profile, text } = withContention(block);
    const anchor = block.split('\n').find((l) => l.includes(target))!;
    expect(problemsOf(file)).toEqual([`${profile}:${loc(text, anchor, target)} ${message}`]);
  });
});

describe('the base fixture', () => {
  it('resolves units, defaults and per-policy overrides', () => {
    const s = loadScenarioFile(fixture(BASE));
    expect(s).toMatchObject({ name: 'loader-test', seed: 3, durationMs: 3_600_000, warmupMs: 0 });
    expect(s.nodes).toEqual([
      { name: 'node-0', memoryMiB: 16_384, cpuMilli: 8000 },
      { name: 'node-1', memoryMiB: 16_384, cpuMilli: 8000 },
    ]);
    expect(s.pools).toEqual([
      { name: 'agents', mode: 'shared', replicas: 2, actorSlots: 4, workerMemoryMiB: 1280, workerCpuMilli: 500, runtimeClass: 'gvisor', nodeSelector: {} },
    ]);
    expect(s.templates).toEqual([
      { name: 'agent', pool: 'agents', memoryMiB: 256, snapshotMiB: 64, golden: true, work: { kind: 'lognormal', medianMs: 1000, p99Ms: 8000 } },
    ]);
    expect(s.workload).toEqual([{ kind: 'model', template: 'agent', actors: 20, arrivals: { kind: 'poisson', ratePerSec: 0.5, perActor: false } }]);
    expect(s.policies.map((p) => p.name)).toEqual(['shared-p2c', 'one-pod-per-agent']);
    expect(s.policies[0]).toMatchObject({
      placement: 'p2c',
      idle: { kind: 'ttl', ttlMs: 60_000, action: 'suspend' },
      admission: { parkTimeoutMs: 5000, maxParked: 2048 },
      eviction: 'lru',
      maxAttempts: 3,
      pools: { agents: { mode: 'shared', replicas: 2, actorSlots: 4, workerMemoryMiB: 1280 } },
    });
    expect(s.policies[1]!.pools.agents).toEqual({ mode: 'dedicated', replicas: 2, actorSlots: 4, workerMemoryMiB: 512, dedicated: { variant: 'always-on', idleStopMs: 0 } });
  });
});

/**
 * One mistake per case, as an edit of BASE; the expected problems are
 * computed from the edited text: `at(anchor, target)` is the line:col of
 * `target` inside `anchor`.
 */
interface Mistake {
  readonly title: string;
  readonly text: string;
  /** The problems expected (exactly, or by pattern), given the file name and a locator into the text. */
  readonly expected: (file: string, at: (anchor: string, target?: string) => string) => (string | RegExp)[];
}

function mistake(title: string, text: string, expected: Mistake['expected']): Mistake {
  return { title, text, expected };
}

const PROFILE_LIST = `${PROFILES.join(', ')}; or a path to a .yaml file`;

const MISTAKES: Mistake[] = [
  mistake('a misspelt top-level field, located at the field', edit(BASE, 'seed: 3', 'sed: 3'), (f, at) => [`${f}:${at('sed: 3', 'sed')} (root): unknown field(s) "sed"`]),
  mistake('a misspelt nested field, located at the field', edit(BASE, 'actorSlots: 4', 'actorSlot: 4'), (f, at) => [
    `${f}:${at('actorSlot: 4', 'actorSlot')} pools[0]: unknown field(s) "actorSlot"`,
  ]),
  mistake('a word for a number', edit(BASE, 'actorSlots: 4', 'actorSlots: two'), (f, at) => [
    `${f}:${at('actorSlots: two', 'two')} pools[0].actorSlots: expected a positive integer, got "two"`,
  ]),
  mistake('a negative replica count', edit(BASE, 'replicas: 2', 'replicas: -2'), (f, at) => [
    `${f}:${at('replicas: -2', '-2')} pools[0].replicas: expected a non-negative integer, got -2`,
  ]),
  mistake('a fractional actor count', edit(BASE, 'actors: 20', 'actors: 2.5'), (f, at) => [
    `${f}:${at('actors: 2.5', '2.5')} workload[0].actors: expected a positive integer, got 2.5`,
  ]),
  mistake('a bare number as a duration', edit(BASE, 'ttl: 1m', 'ttl: 30'), (f, at) => [
    `${f}:${at('ttl: 30', '30')} policies[0].idle.ttl: expected a duration with a unit (e.g. 250ms, 5m, 24h), got 30`,
  ]),
  mistake('a duration in words', edit(BASE, 'duration: 1h', 'duration: one hour'), (f, at) => [
    `${f}:${at('duration: one hour', 'one hour')} duration: expected a duration (e.g. 250ms, 5m, 24h): "one hour" is not a duration (use a number with a unit: ns, us, ms, s, m, h, d, e.g. 250ms, 1h30m)`,
  ]),
  mistake('a memory quantity that is not one', edit(BASE, 'memory: 256Mi', 'memory: lots'), (f, at) => [
    `${f}:${at('memory: lots', 'lots')} templates[0].memory: expected a memory quantity (e.g. 512Mi, 2Gi): "lots" is not a Kubernetes quantity (e.g. 512Mi, 2Gi, 1.5G, 500m)`,
  ]),
  mistake('a cpu quantity that is not one', edit(BASE, 'cpu: 500m', 'cpu: half'), (f, at) => [
    `${f}:${at('cpu: half', 'half')} pools[0].worker.cpu: expected a cpu quantity (e.g. 500m, 2): "half" is not a Kubernetes quantity (e.g. 512Mi, 2Gi, 1.5G, 500m)`,
  ]),
  mistake('an unknown placement', edit(BASE, 'placement: p2c', 'placement: nearest'), (f, at) => [
    // The list of options grows with the simulator; its start and the value given are what matter.
    new RegExp(`^${esc(f)}:${at('placement: nearest', 'nearest')} policies\\[0\\]\\.placement: Invalid option: expected one of "random"\\|"p2c"\\|.*, got "nearest"$`),
  ]),
  mistake('an unknown idle kind', edit(BASE, 'kind: ttl,', 'kind: timeout,'), (f, at) => [
    new RegExp(`^${esc(f)}:${at('kind: timeout', 'timeout')} policies\\[0\\]\\.idle\\.kind: Invalid discriminator value\\. Expected 'never' \\| 'ttl' \\| .*, got "timeout"$`),
  ]),
  mistake('an upper-case name', edit(BASE, 'name: loader-test', 'name: Loader_Test'), (f, at) => [
    `${f}:${at('name: Loader_Test', 'Loader_Test')} name: expected a lowercase name of letters, digits, "-" and "." (as Kubernetes names), at most 63 characters, without ".."`,
  ]),
  mistake('an unknown template in the workload', edit(BASE, '- template: agent', '- template: agnet'), (f, at) => [
    `${f}:${at('template: agnet', 'agnet')} workload[0].template: unknown template "agnet" (known: agent)`,
  ]),
  mistake('a template naming an unknown pool', edit(BASE, 'pool: agents', 'pool: agent-pool'), (f, at) => [
    `${f}:${at('pool: agent-pool', 'agent-pool')} templates[0].pool: unknown pool "agent-pool" (known: agents)`,
  ]),
  mistake('a policy overriding an unknown pool', edit(BASE, 'pools: {agents: {mode: dedicated', 'pools: {agent: {mode: dedicated'), (f, at) => [
    `${f}:${at('pools: {agent: {mode', '{mode')} policies[1].pools.agent: unknown pool "agent" (known: agents)`,
  ]),
  mistake('two policy sets of one name', edit(BASE, 'name: one-pod-per-agent', 'name: shared-p2c'), (f, at) => [
    `${f}:${at('shared-p2c\n    pools:', 'shared-p2c')} policies[1].name: policy set "shared-p2c" is defined twice`,
  ]),
  mistake('two pools of one name', edit(BASE, '    worker: {memory: 1280Mi, cpu: 500m}\n', '    worker: {memory: 1280Mi, cpu: 500m}\n  - {name: agents, worker: {memory: 2Gi}}\n'), (f, at) => [
    `${f}:${at('{name: agents, worker', 'agents')} pools[1].name: pool "agents" is defined twice`,
  ]),
  mistake('two templates of one name', edit(BASE, '\nworkload:', '  - {name: agent, pool: agents, memory: 128Mi, work: {kind: constant, value: 1s}}\n\nworkload:'), (f, at) => [
    `${f}:${at('{name: agent, pool', 'agent')} templates[1].name: template "agent" is defined twice`,
  ]),
  mistake('a policy whose worker cannot hold the template', edit(BASE, 'worker: {memory: 512Mi}', 'worker: {memory: 128Mi}'), (f, at) => [
    `${f}:${at('memory: 128Mi}', '128Mi')} policies[1].pools.agents.worker.memory: a worker of 128 MiB cannot hold template "agent" (256 MiB)`,
  ]),
  mistake('a warm-up as long as the run', edit(BASE, 'duration: 1h\n', 'duration: 1h\nwarmup: 60m\n'), (f, at) => [
    `${f}:${at('warmup: 60m', '60m')} warmup: must be shorter than duration (1h)`,
  ]),
  mistake('a warm-up longer than the run', edit(BASE, 'duration: 1h\n', 'duration: 1h\nwarmup: 2h\n'), (f, at) => [
    `${f}:${at('warmup: 2h', '2h')} warmup: must be shorter than duration (1h)`,
  ]),
  mistake('an unknown cost profile', edit(BASE, 'costs: substrate-kind', 'costs: substrate-gke'), (f, at) => [
    `${f}:${at('costs: substrate-gke', 'substrate-gke')} costs: unknown cost profile "substrate-gke" (known: ${PROFILE_LIST})`,
  ]),
  mistake('YAML: a reserved character', edit(BASE, 'memory: 256Mi', 'memory: @256Mi'), (f, at) => [
    `${f}:${at('memory: @256Mi', '@')} YAML: Plain value cannot start with reserved character @`,
  ]),
  mistake('YAML: a colon inside a plain value', edit(BASE, 'seed: 3', 'seed: 3: 4'), (f, at) => [
    `${f}:${at('seed: 3: 4', '3: 4')} YAML: Nested mappings are not allowed in compact mappings`,
  ]),
  mistake('YAML: a key given twice', edit(BASE, 'seed: 3\n', 'seed: 3\nseed: 4\n'), (f, at) => [`${f}:${at('seed: 4')} YAML: Map keys must be unique`]),
  mistake('a lognormal with both p99 and sigma', edit(BASE, 'p99: 8s}', 'p99: 8s, sigma: 1.2}'), (f, at) => [
    `${f}:${at('work: {kind: lognormal', '{kind')} templates[0].work: lognormal needs exactly one of p99 or sigma`,
  ]),
  mistake('a lognormal with its p99 under its median', edit(BASE, 'p99: 8s}', 'p99: 500ms}'), (f, at) => [
    `${f}:${at('p99: 500ms', '500ms')} templates[0].work.p99: must be >= median`,
  ]),
  mistake('a pool without its worker', edit(BASE, '    worker: {memory: 1280Mi, cpu: 500m}\n', ''), (f, at) => [
    `${f}:${at('- name: agents', 'name')} pools[0].worker: required (expected object)`,
  ]),
  mistake('a scenario without a name', edit(BASE, 'name: loader-test\n', ''), (f, at) => [
    `${f}:${at('description:')} name: required (expected string)`,
  ]),
  mistake('a policy set made dedicated without a variant', edit(BASE, "placement: p2c", "pools: {agents: {mode: dedicated}}\n    placement: p2c"), (f, at) => [
    `${f}:${at('pools: {agents: {mode: dedicated}}', '{mode')} policies[0].pools.agents: pool "agents" is dedicated here and needs dedicated.variant`,
  ]),
];

describe('mistakes: one problem each, at the offending value', () => {
  it.each(MISTAKES.map((m) => [m.title, m] as const))('%s', (_title, m) => {
    const file = fixture(m.text);
    const err = loadError(file);
    expect(err.file).toBe(file);
    const expected = m.expected(file, (anchor, target) => loc(m.text, anchor, target));
    expect(err.problems).toEqual(expected.map((e) => (typeof e === 'string' ? e : expect.stringMatching(e))));
    expect(err.message).toBe(err.problems.join('\n'));
  });

  // The cases below either accept more than one reasonable location, or
  // match the message by pattern where its wording is not the point.

  it('a required duration that is missing says "required"', () => {
    const text = edit(BASE, 'duration: 1h\n', '');
    const file = fixture(text);
    expect(problemsOf(file)).toEqual([expect.stringMatching(new RegExp(`^${esc(file)}:${loc(text, 'name: loader-test', 'name')} duration: required\\b`))]);
  });

  it('a pool worker too small for its template: one problem, at the template memory or the worker memory', () => {
    const text = edit(BASE, 'worker: {memory: 1280Mi, cpu: 500m}', 'worker: {memory: 200Mi, cpu: 500m}');
    const file = fixture(text);
    const message = 'a worker of 200 MiB cannot hold template "agent" (256 MiB)';
    const problems = problemsOf(file);
    expect(problems).toHaveLength(1);
    expect([
      `${file}:${loc(text, 'memory: 256Mi', '256Mi')} templates[0].memory: ${message}`,
      `${file}:${loc(text, 'memory: 200Mi', '200Mi')} pools[0].worker.memory: ${message}`,
    ]).toContain(problems[0]);
  });

  it('a dedicated pool without a variant: one problem, at the pool', () => {
    const text = edit(BASE, '    replicas: 2\n', '    mode: dedicated\n    replicas: 2\n');
    const file = fixture(text);
    const problems = problemsOf(file);
    expect(problems).toHaveLength(1);
    expect([
      `${file}:${loc(text, '- name: agents', 'name')} pools[0].dedicated: a dedicated pool needs dedicated.variant`,
      `${file}:${loc(text, 'mode: dedicated\n', 'dedicated')} pools[0].dedicated: a dedicated pool needs dedicated.variant`,
    ]).toContain(problems[0]);
  });

  it('two scenario documents in one file: one problem, at the second', () => {
    const second = edit(edit(BASE, 'name: loader-test', 'name: another'), "# A small scenario for the loader's tests.\n", '');
    const text = `${BASE}---\n${second}`;
    const file = fixture(text);
    const lines = [loc(text, '---\nname: another', '---'), loc(text, 'name: another')].map((l) => l.split(':')[0]).join('|');
    expect(problemsOf(file)).toEqual([expect.stringMatching(new RegExp(`^${esc(file)}:(${lines}):1 \\S+: .*exactly one scenario document.*found 2$`))]);
  });

  it('a misspelt arrival field is named, not the whole workload group', () => {
    const text = edit(BASE, 'ratePerSec: 0.5', 'ratePerSecond: 0.5');
    const file = fixture(text);
        // The misspelt field, and the field it should have been, which is now missing.
    const problems = problemsOf(file);
    expect(problems).toHaveLength(2);
    expect(problems).toEqual(expect.arrayContaining([
      `${file}:${loc(text, 'ratePerSecond')} workload[0].arrivals: unknown field(s) "ratePerSecond"`,
      expect.stringMatching(new RegExp(`^${esc(file)}:\\d+:\\d+ workload\\[0\\]\\.arrivals\\.ratePerSec: required\\b`)),
    ]));
  });

  it('an unknown arrival kind is reported at the kind', () => {
    const text = edit(BASE, 'kind: poisson', 'kind: poison');
    const file = fixture(text);
    expect(problemsOf(file)).toEqual([expect.stringMatching(new RegExp(`^${esc(file)}:${loc(text, 'kind: poison', 'poison')} workload\\[0\\]\\.arrivals\\.kind: .*"poison"`))]);
  });

  it('an inline cost profile with a missing field names the field', () => {
    const text = edit(BASE, 'costs: substrate-kind', `costs:\n${PROFILE_TEXT.replace('coldBoot: {kind: constant, value: 1500ms}\n', '').replace(/^/gm, '  ').trimEnd()}`);
    const file = fixture(text);
    expect(problemsOf(file)).toEqual([expect.stringMatching(new RegExp(`^${esc(file)}:\\d+:\\d+ costs\\.coldBoot: required\\b`))]);
  });
});

describe('several mistakes', () => {
  it('are all reported, one line each, when the fields are wrong', () => {
    let text = BASE;
    text = edit(text, 'replicas: 2', 'replicas: -1');
    text = edit(text, 'memory: 256Mi', 'memory: lots');
    text = edit(text, 'ttl: 1m', 'ttl: 30');
    text = edit(text, 'placement: p2c', 'placement: nearest');
    const file = fixture(text);
    const problems = problemsOf(file);
    expect(problems).toHaveLength(4);
    expect(problems).toEqual(
      expect.arrayContaining([
        `${file}:${loc(text, 'replicas: -1', '-1')} pools[0].replicas: expected a non-negative integer, got -1`,
        expect.stringMatching(new RegExp(`^${esc(file)}:${loc(text, 'memory: lots', 'lots')} templates\\[0\\]\\.memory: `)),
        expect.stringMatching(new RegExp(`^${esc(file)}:${loc(text, 'ttl: 30', '30')} policies\\[0\\]\\.idle\\.ttl: `)),
        expect.stringMatching(new RegExp(`^${esc(file)}:${loc(text, 'placement: nearest', 'nearest')} policies\\[0\\]\\.placement: `)),
      ]),
    );
  });

  it('are all reported, one line each, when the names do not match', () => {
    let text = BASE;
    text = edit(text, 'pool: agents', 'pool: agent-pool');
    text = edit(text, '- template: agent', '- template: agnet');
    text = edit(text, 'pools: {agents: {mode: dedicated', 'pools: {agent: {mode: dedicated');
    text = edit(text, 'duration: 1h\n', 'duration: 1h\nwarmup: 2h\n');
    const file = fixture(text);
    expect([...problemsOf(file)].sort()).toEqual(
      [
        `${file}:${loc(text, 'pool: agent-pool', 'agent-pool')} templates[0].pool: unknown pool "agent-pool" (known: agents)`,
        `${file}:${loc(text, 'template: agnet', 'agnet')} workload[0].template: unknown template "agnet" (known: agent)`,
        `${file}:${loc(text, 'pools: {agent: {mode', '{mode')} policies[1].pools.agent: unknown pool "agent" (known: agents)`,
        `${file}:${loc(text, 'warmup: 2h', '2h')} warmup: must be shorter than duration (1h)`,
      ].sort(),
    );
  });
});

describe('files', () => {
  it('a file that cannot be read is a ScenarioError naming it', () => {
    const file = join(tmp.dir, 'missing.yaml');
    const err = loadError(file);
    expect(err.file).toBe(file);
    expect(err.problems).toEqual([`${file}:1:1 (root): cannot be read: ENOENT`]);
    expect(err.name).toBe('ScenarioError');
  });

  it('a directory is a ScenarioError naming it', () => {
    expect(problemsOf(tmp.dir)).toEqual([`${tmp.dir}:1:1 (root): is a folder, not a regular file`]);
  });

  it('an include that cannot be read is reported at the include', () => {
    const text = edit(BASE, 'costs: substrate-kind', 'include: [manifests/missing.yaml]\ncosts: substrate-kind');
    const file = fixture(text);
    expect(problemsOf(file)).toContain(`${file}:${loc(text, 'manifests/missing.yaml')} include[0]: cannot read manifests/missing.yaml: ENOENT`);
  });

  it('a cost profile given by path that is wrong is reported in the profile, at the value', () => {
    const profile = PROFILE_TEXT.replace('bandwidth: 640Mi/s', 'bandwidth: fast');
    tmp.write('profiles/broken.yaml', profile);
    const file = fixture(edit(BASE, 'costs: substrate-kind', 'costs: profiles/broken.yaml'));
    // The profile's name is shown relative to the working directory when it is below it.
    const problems = problemsOf(file);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^\\S*${esc('profiles/broken.yaml')}:${loc(profile, 'bandwidth: fast', 'fast')} restore\\.external\\.bandwidth: expected a bandwidth such as 640Mi/s$`));
  });

  it('an empty file is a ScenarioError with a well-formed problem', () => {
    const file = fixture('# nothing here\n');
    const problems = problemsOf(file);
    expect(problems).toHaveLength(1);
    expect(problems.filter((p) => !wellFormed(p))).toEqual([]);
  });
});

describe('YAML features that must not escape as other errors', () => {
  it('an alias to an anchor that is not defined', () => {
    const text = edit(BASE, 'costs: substrate-kind', 'costs: *profile');
    const file = fixture(text);
    const problems = problemsOf(file);
    expect(problems).toEqual([expect.stringMatching(new RegExp(`^${esc(file)}:${loc(text, '*profile')} \\S+: .*alias`))]);
  });

  it('an alias bomb (more aliases than the YAML library resolves)', () => {
    const ten = (alias: string): string => `[${Array(10).fill(alias).join(', ')}]`;
    const bomb = `bomb:\n  a: &a ${ten('x')}\n  b: &b ${ten('*a')}\n  c: &c ${ten('*b')}\n  d: ${ten('*c')}\n`;
    const err = loadError(fixture(`${BASE}${bomb}`));
    expect(err.problems.filter((p) => !wellFormed(p))).toEqual([]);
  });

  it('an alias to an undefined anchor in a cost profile', () => {
    tmp.write('profiles/alias.yaml', PROFILE_TEXT.replace('coldBoot: {kind: constant, value: 1500ms}', 'coldBoot: *boot'));
    const file = fixture(edit(BASE, 'costs: substrate-kind', 'costs: profiles/alias.yaml'));
    expect(loadError(file).problems.filter((p) => !wellFormed(p))).toEqual([]);
  });

  it('anchors and aliases that resolve are fine', () => {
    let text = edit(BASE, 'work: {kind: lognormal', 'work: &work {kind: lognormal');
    text = edit(text, '\nworkload:', '  - {name: helper, pool: agents, memory: 128Mi, work: *work}\n\nworkload:');
    const s = loadScenarioFile(fixture(text));
    expect(s.templates.map((t) => t.work)).toEqual([
      { kind: 'lognormal', medianMs: 1000, p99Ms: 8000 },
      { kind: 'lognormal', medianMs: 1000, p99Ms: 8000 },
    ]);
  });
});

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
