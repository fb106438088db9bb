import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { isMap, isScalar, isSeq, parseDocument, stringify } from 'yaml';
import { ACTOR_TEMPLATES, BASE, edit, SUBSTRATE_SCENARIO, WORKER_POOL, wellFormed } from './load-fixtures.ts';
import { LoadSandbox, type LoadCase, type LoadOutcome } from './load-sandbox.ts';

/*
 * Whatever a scenario file holds, loadScenarioFile returns a Scenario or
 * throws a ScenarioError whose problems are one line each in the documented
 * forms; it never throws anything else and never hangs. The loader runs in a
 * worker (load-sandbox.ts) so that a hang or a blown heap is reported as
 * such instead of stalling the test run.
 *
 * Each input class has two properties: one for the error type and time, one
 * for the form of the problems, so that a bug of one kind does not hide the
 * other.
 */

/** Each property runs exactly this many cases: bounded by count, never cut by time (a busy machine is slow, not wrong). */
const RUNS = Number(process.env.PROP_RUNS ?? 500);
/**
 * Per load, the ceiling that tells a hang from a slow machine: a load takes a
 * few milliseconds, so a minute is a hang even at a load average in the hundreds.
 */
const LOAD_TIMEOUT_MS = 60_000;

/** One sandbox (worker) per test, so that the properties can run side by side. */
const sandboxes: LoadSandbox[] = [];
function newSandbox(): LoadSandbox {
  const s = new LoadSandbox(LOAD_TIMEOUT_MS);
  sandboxes.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(sandboxes.map((s) => s.close()));
});

const SCENARIOS_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../scenarios');
const SHIPPED: LoadCase[] = readdirSync(SCENARIOS_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => ({ files: { [f]: readFileSync(join(SCENARIOS_DIR, f), 'utf8') }, entry: f }));

/** Seeds of the mutations: the shipped scenarios, plus Substrate manifests in one file and included. */
const SEEDS: LoadCase[] = [
  ...SHIPPED,
  { files: { 'base.yaml': BASE }, entry: 'base.yaml' },
  { files: { 'kagent.yaml': `${SUBSTRATE_SCENARIO}---\n${WORKER_POOL}---\n${ACTOR_TEMPLATES}` }, entry: 'kagent.yaml' },
  {
    files: {
      'scenario.yaml': edit(SUBSTRATE_SCENARIO, 'costs: substrate-kind', 'include: [substrate/kagent.yaml]\ncosts: substrate-kind'),
      'substrate/kagent.yaml': `${WORKER_POOL}---\n${ACTOR_TEMPLATES}`,
    },
    entry: 'scenario.yaml',
  },
];

type Check = 'type' | 'form';

/** Fails unless `outcome` honours the loader's contract; `check` selects which half. */
function verify(c: LoadCase, outcome: LoadOutcome, check: Check): void {
  const input = () => `input:\n${Object.entries(c.files).map(([n, t]) => `--- ${n}\n${t}`).join('\n')}`;
  if (check === 'type') {
    if (outcome.kind === 'other-error') throw new Error(`threw ${outcome.name}, not ScenarioError: ${outcome.message}\n${outcome.stack}\n${input()}`);
    if (outcome.kind === 'timeout') throw new Error(`did not return within ${outcome.afterMs} ms\n${input()}`);
    if (outcome.kind === 'crash') throw new Error(`the loader's worker died: ${outcome.message}\n${input()}`);
    if (outcome.kind === 'scenario-error' && outcome.problems.length === 0) throw new Error(`ScenarioError without problems\n${input()}`);
    return;
  }
  if (outcome.kind !== 'scenario-error') return;
  if (!outcome.file.endsWith(`/${c.entry}`)) throw new Error(`ScenarioError.file is ${outcome.file}, not the file loaded\n${input()}`);
  const bad = outcome.problems.filter((p) => !wellFormed(p));
  if (bad.length > 0) throw new Error(`malformed problem line(s):\n${bad.map((p) => JSON.stringify(p)).join('\n')}\n${input()}`);
}

async function assertProperty(arb: fc.Arbitrary<LoadCase>, check: Check): Promise<void> {
  const sandbox = newSandbox();
  const property = fc.asyncProperty(arb, async (c) => verify(c, await sandbox.load(c), check));
  await fc.assert(property, { numRuns: RUNS });
}

// ---------------------------------------------------------------------------
// (a) Random YAML-ish documents.

const SCENARIO_KEYS = ['kind', 'name', 'description', 'seed', 'duration', 'warmup', 'include', 'cluster', 'pools', 'templates', 'workload', 'costs', 'faults', 'policies'];

const anything = fc.anything({ maxDepth: 3, maxKeys: 5 });

/** A document of the scenario's top-level keys with random values, so the schema is reached below the root. */
const scenarioShaped = fc.dictionary(fc.constantFrom(...SCENARIO_KEYS), anything, { maxKeys: 8 });

/** A Substrate-like manifest with random metadata and spec. */
const manifestShaped = fc.record({
  apiVersion: fc.constantFrom('ate.dev/v1alpha1', 'ate.dev/v1'),
  kind: fc.oneof(fc.constantFrom('WorkerPool', 'ActorTemplate', 'SandboxConfig'), anything),
  metadata: fc.oneof(
    anything,
    fc.record({
      name: fc.oneof(fc.constantFrom('kagent-default', 'chat'), anything),
      annotations: fc.dictionary(
        fc.constantFrom('actor-slots', 'worker-memory', 'worker-cpu', 'memory', 'snapshot', 'golden', 'work').map((k) => `sim.actorsim.dev/${k}`),
        fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('2Gi', '4', '{kind: constant, value: 1s}', '{kind: lognormal'), anything),
      ),
    }),
  ),
  spec: anything,
});

function text(value: unknown): string {
  return stringify(value) ?? '';
}

const yamlish: fc.Arbitrary<LoadCase> = fc
  .oneof(
    anything.map((v) => text(v)),
    fc.object({ maxDepth: 3, maxKeys: 6 }).map((v) => text(v)),
    scenarioShaped.map((v) => text(v)),
    fc.array(fc.oneof(scenarioShaped, manifestShaped, anything), { minLength: 1, maxLength: 4 }).map((docs) => docs.map((d) => text(d)).join('---\n')),
  )
  .map((t) => ({ files: { 'random.yaml': t }, entry: 'random.yaml' }));

// ---------------------------------------------------------------------------
// (b) Mutations of real scenarios.

type Key = string | number;

/** Paths to every map entry, scalar and sequence in a parsed document. */
function sites(doc: ReturnType<typeof parseDocument>): { pairs: Key[][]; scalars: { path: Key[]; value: unknown }[]; seqs: { path: Key[]; length: number }[] } {
  const out = { pairs: [] as Key[][], scalars: [] as { path: Key[]; value: unknown }[], seqs: [] as { path: Key[]; length: number }[] };
  const walk = (node: unknown, path: Key[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (typeof key !== 'string' && typeof key !== 'number') continue;
        out.pairs.push([...path, key]);
        walk(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      out.seqs.push({ path, length: node.items.length });
      node.items.forEach((item, i) => walk(item, [...path, i]));
    } else if (isScalar(node)) {
      out.scalars.push({ path, value: node.value });
    }
  };
  walk(doc.contents, []);
  return out;
}

function typeOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** A mutation: what to do, and the random choices it uses. */
type Mutation =
  | { readonly op: 'delete'; readonly pick: number }
  | { readonly op: 'retype'; readonly pick: number; readonly value: unknown }
  | { readonly op: 'duplicate'; readonly pick: number; readonly item: number }
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'insert'; readonly at: number; readonly atValue: boolean; readonly chars: string };

/** Characters that mean something in YAML (and in the fields' grammars), with some that do not. */
const SPICY = [':', ' ', '-', '#', '&', '*', '&a ', '*a', '!', '!!str ', '|', '>', "'", '"', '%', '@', '`', '{', '}', '[', ']', ',', '?', '\n', '\t', '---\n', '...\n', '<<', '~', '0', '9', 'e', 'Mi', 'h', 'é', '\u0000'];
const insertChars = fc
  .array(fc.oneof({ arbitrary: fc.constantFrom(...SPICY), weight: 4 }, { arbitrary: fc.string({ maxLength: 2 }), weight: 1 }), { minLength: 1, maxLength: 4 })
  .map((a) => a.join(''));

const otherValue = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.double({ noDefaultInfinity: false }),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 8 }),
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 4 })), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.integer(), fc.string({ maxLength: 4 })), { maxKeys: 3 }),
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('retype' as const), pick: fc.nat(), value: otherValue }),
  fc.record({ op: fc.constant('duplicate' as const), pick: fc.nat(), item: fc.nat() }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), atValue: fc.boolean(), chars: insertChars }),
);

/** Applies `m` to every document of `source`; returns null when it does not apply (nothing to pick). */
function mutate(source: string, m: Mutation): string | null {
  if (m.op === 'truncate') return source.slice(0, m.at % (source.length + 1));
  if (m.op === 'insert') {
    // Anywhere, or where a value starts (after "key: " or "- "), where YAML's indicators mean most.
    const starts = m.atValue ? [...source.matchAll(/(?::|^\s*-) (?=\S)/gm)].map((x) => x.index + x[0].length) : [];
    const at = starts.length > 0 ? starts[m.at % starts.length]! : m.at % (source.length + 1);
    return source.slice(0, at) + m.chars + source.slice(at);
  }
  try {
    return mutateStructure(source, m);
  } catch {
    // The YAML library refuses to print some documents (an alias left unresolved by an earlier insertion).
    return null;
  }
}

/** Deletes, retypes or duplicates a node of one document of the stream, chosen by the pick. */
function mutateStructure(source: string, m: Exclude<Mutation, { op: 'truncate' | 'insert' }>): string | null {
  const parts = source.split(/^---\n/m);
  const di = m.pick % parts.length;
  const doc = parseDocument(parts[di]!);
  if (doc.errors.length > 0) return null;
  const s = sites(doc);
  if (m.op === 'delete') {
    if (s.pairs.length === 0) return null;
    doc.deleteIn(s.pairs[Math.floor(m.pick / parts.length) % s.pairs.length]!);
  } else if (m.op === 'retype') {
    if (s.scalars.length === 0) return null;
    const site = s.scalars[Math.floor(m.pick / parts.length) % s.scalars.length]!;
    if (typeOf(site.value) === typeOf(m.value)) return null;
    if (site.path.length === 0) doc.contents = doc.createNode(m.value) as typeof doc.contents;
    else doc.setIn(site.path, doc.createNode(m.value));
  } else {
    const seqs = s.seqs.filter((q) => q.length > 0);
    if (seqs.length === 0) return null;
    const site = seqs[Math.floor(m.pick / parts.length) % seqs.length]!;
    const seq = site.path.length === 0 ? doc.contents : doc.getIn(site.path, true);
    if (!isSeq(seq)) return null;
    const i = m.item % seq.items.length;
    const item = seq.items[i];
    seq.items.splice(i + 1, 0, (item !== null && typeof item === 'object' && 'clone' in item ? (item as { clone(): unknown }).clone() : item) as (typeof seq.items)[number]);
  }
  parts[di] = doc.toString();
  return parts.join('---\n');
}

const mutated: fc.Arbitrary<LoadCase> = fc
  .record({ seed: fc.nat({ max: SEEDS.length - 1 }), file: fc.nat(), mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }) })
  .map(({ seed, file, mutations }) => {
    const base = SEEDS[seed]!;
    const names = Object.keys(base.files);
    const name = names[file % names.length]!;
    let t = base.files[name]!;
    for (const m of mutations) t = mutate(t, m) ?? t;
    return { files: { ...base.files, [name]: t }, entry: base.entry };
  });

// ---------------------------------------------------------------------------

describe('the seeds', () => {
  it('load as they are', async () => {
    const sandbox = newSandbox();
    for (const c of SEEDS) expect(await sandbox.load(c), c.entry).toMatchObject({ kind: 'scenario' });
  });

  it('each mutation applies to them', () => {
    const base = SEEDS[0]!.files[SEEDS[0]!.entry]!;
    expect(mutate(base, { op: 'delete', pick: 3 })).not.toBe(base);
    expect(mutate(base, { op: 'retype', pick: 5, value: [1, 2] })).not.toBe(base);
    expect(mutate(base, { op: 'duplicate', pick: 0, item: 0 })).not.toBe(base);
    expect(mutate(base, { op: 'truncate', at: 10 })).toHaveLength(10);
    expect(mutate(base, { op: 'insert', at: 0, atValue: false, chars: '#' })).toBe(`#${base}`);
    expect(mutate('a: b\n', { op: 'insert', at: 0, atValue: true, chars: '*' })).toBe('a: *b\n');
  });
});

// The properties run side by side, each with its own worker.
describe.concurrent('loadScenarioFile on any input', () => {
  it('random YAML-ish documents give a Scenario or a ScenarioError, never another error, never a hang', async () => {
    await assertProperty(yamlish, 'type');
  });

  it('random YAML-ish documents give problems in the documented one-line forms', async () => {
    await assertProperty(yamlish, 'form');
  });

  it('mutations of real scenarios give a Scenario or a ScenarioError, never another error, never a hang', async () => {
    await assertProperty(mutated, 'type');
  });

  it('mutations of real scenarios give problems in the documented one-line forms', async () => {
    await assertProperty(mutated, 'form');
  });

  it('a cluster of a hundred million nodes is refused or loaded, not left to exhaust memory', async () => {
    const sandbox = newSandbox();
    const c: LoadCase = { files: { 'huge.yaml': edit(BASE, '{name: node, count: 2,', '{name: node, count: 100000000,') }, entry: 'huge.yaml' };
    verify(c, await sandbox.load(c), 'type');
  });

  it('a study whose matrix multiplies out to millions of policy sets is refused or loaded, not left to exhaust memory', async () => {
    const sandbox = newSandbox();
    const list = (values: readonly string[]) => `[${Array.from({ length: 60 }, (_, i) => values[i % values.length]).join(', ')}]`;
    const study = [
      'study:',
      '  matrix:',
      `    replicas: [${Array.from({ length: 60 }, (_, i) => i + 1).join(', ')}]`,
      `    placement: ${list(['random', 'p2c', 'least-loaded', 'binpack', 'locality'])}`,
      `    eviction: ${list(['lru', 'none'])}`,
      `    idle: ${list(['{kind: never}', '{kind: ttl, ttl: 1m}'])}`,
      '',
    ].join('\n');
    const c: LoadCase = { files: { 'study.yaml': BASE + study }, entry: 'study.yaml' };
    verify(c, await sandbox.load(c), 'type');
  });
});
