import { existsSync, readdirSync, statSync, type Stats } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { repoFile } from '../cli/repo.ts';
import { LineCounter, isMap, parseAllDocuments, visit, type Document } from 'yaml';
import type { z } from 'zod';
import { costProfileSchema, modelGroupSchema, scenarioFileSchema, traceGroupSchema, type CostProfileFile, type ModelGroupFile, type PoolFile, type ScenarioFile, type TemplateFile, type TraceFile } from './file-schema.ts';
import { actorTemplateToTemplate, workerPoolToPool } from './manifests.ts';
import { parseMemoryMiB } from './quantity.ts';
import type { CostModel, PolicySet, PoolDefinition, PoolSetup, Scenario, SizeCost, WorkloadGroup } from './scenario.ts';
import { ScenarioError } from './errors.ts';
import { formatDuration } from './units.ts';
import { expandStudy } from './study.ts';
import { MAX_ACTORS, MAX_INVOCATIONS, MAX_NODES, MAX_RUNS, MAX_TICKS_PER_RUN, MAX_WORKERS_PER_POOL } from './limits.ts';
import { readBoundedFile, realOrSelf, statKind, type LoadDependency } from './read-file.ts';
import { countText, expectedInvocations } from './bounds.ts';
import type { IdlePolicySpec, ScalingSpec } from '../core/types.ts';

/** Folder of the named cost profiles shipped with the project. */
export const PROFILES_DIR = repoFile('scenarios', 'profiles');

export { readBoundedFile, type LoadDependency } from './read-file.ts';

interface Source {
  readonly file: string;
  readonly lines: LineCounter;
  /**
   * A file the scenario names (a profile, an include) rather than the
   * scenario itself: problems in it never quote its values or odd keys, so
   * naming a file cannot turn an error message into a way to read it.
   */
  readonly named?: boolean;
}

/** How loadScenarioFile may read. */
export interface LoadOptions {
  /**
   * Read include, costs and trace files outside the scenario's folder (and
   * outside scenarios/profiles/): the CLIs' --allow-outside. Default false.
   */
  readonly allowOutside?: boolean;
  /**
   * Told of everything the result depends on besides the loader's own code,
   * as the load meets it: the text of each file read, each trace file checked
   * to be a regular file, each real path looked up. Only observes: the load
   * is the same with it or without it. A listing cache keys on these.
   */
  readonly onDependency?: (dependency: LoadDependency) => void;
}

type Path = readonly PropertyKey[];

function pathString(path: Path): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? String(p) : `.${String(p)}`;
  return s === '' ? '(root)' : s;
}

/** Finds line:col of the deepest node on `path` that exists in the document. */
function position(doc: Document, src: Source, path: Path): string {
  for (let n = path.length; n >= 0; n--) {
    let node: unknown;
    try {
      node = doc.getIn(path.slice(0, n) as unknown[], true);
    } catch {
      node = undefined;
    }
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (Array.isArray(range)) {
      const { line, col } = src.lines.linePos(range[0]);
      return `${line}:${col}`;
    }
  }
  return '1:1';
}

/** line:col of a key in the map at `path` (where a misspelt field is), else of the map. */
function keyPosition(doc: Document, src: Source, path: Path, key: string): string {
  let map: unknown;
  try {
    map = doc.getIn(path as unknown[], true);
  } catch {
    map = undefined;
  }
  if (isMap(map)) {
    for (const pair of map.items) {
      const k = pair.key as { value?: unknown; range?: [number, number, number] } | null;
      if (k !== null && k.value === key && Array.isArray(k.range)) {
        const { line, col } = src.lines.linePos(k.range[0]);
        return `${line}:${col}`;
      }
    }
  }
  return position(doc, src, path);
}

/** Where a pool or template was defined: a scenario entry, or a manifest document. */
interface Origin {
  readonly src: Source;
  readonly doc: Document;
  /** Path of the entry in its document ([] for a manifest, which is the whole document). */
  readonly path: Path;
  readonly manifest: boolean;
}

/** Collects problems in the `file:line:col path: message` form. */
class Problems {
  readonly list: string[] = [];
  add(src: Source, doc: Document | null, path: Path, message: string): void {
    const where = doc === null ? ':1:1' : `:${position(doc, src, path)}`;
    this.list.push(`${src.file}${where} ${pathString(path)}: ${message}`);
  }
  /** A problem with no document to point into (unreadable file, empty file). */
  addFile(file: string, message: string): void {
    this.list.push(`${file}:1:1 (root): ${message}`);
  }
  addZod(src: Source, doc: Document, error: z.ZodError, base: Path = []): void {
    for (const issue of error.issues) {
      const path = [...base, ...issue.path];
      if (issue.code === 'unrecognized_keys') {
        // Point at the misspelt key itself, with its parent's path.
        for (const key of issue.keys) {
          const shown = src.named !== true || /^[A-Za-z][A-Za-z0-9_-]{0,39}$/.test(key) ? `"${key}"` : '(a key not shown: it is not a field name)';
          this.list.push(`${src.file}:${keyPosition(doc, src, path, key)} ${pathString(path)}: unknown field(s) ${shown}`);
        }
        continue;
      }
      this.add(src, doc, path, describe(issue, doc, path, src.named === true));
    }
  }
}

function show(value: unknown): string {
  if (typeof value === 'number') return String(value); // Infinity and NaN, which JSON shows as null
  const json = JSON.stringify(value);
  return json === undefined ? String(value) : json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

/** What kind of value `v` is, for messages that must not quote it. */
function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'a map' : `a ${typeof v}`;
}

/**
 * Whether a value of a named file (a profile, an include) may be quoted: a
 * number, a boolean or one short word, which a mistake is made of; not a
 * line of text, which a file that is not a profile at all is made of.
 */
function quotable(v: unknown): boolean {
  return typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined || (typeof v === 'string' && /^[A-Za-z0-9._+-]{0,32}$/.test(v));
}

function describe(issue: z.core.$ZodIssue, doc: Document, path: Path, namedFile: boolean): string {
  let value: unknown;
  try {
    value = doc.getIn(path as unknown[]);
  } catch {
    value = undefined;
  }
  const quote = !namedFile || quotable(value);
  if (value === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_union' || issue.message === 'required')) {
    return `required${issue.message === 'required' ? '' : ` (${issue.message.replace(/^Invalid input: /, '').replace(/, (received|got) undefined$/, '')})`}`;
  }
  if (issue.code === 'invalid_type' || issue.code === 'invalid_value' || issue.code === 'invalid_union') {
    // Our own field types already quote the value; zod's built-in messages do not.
    if (!quote) return `${issue.message.replace(/^Invalid input: /, '').replace(/, (received|got) .*$/, '')}, got ${kindOf(value)}`;
    const got = value === undefined || issue.message.includes(', got ') ? '' : `, got ${show(value)}`;
    return `${issue.message.replace(/^Invalid input: /, '').replace(/, received \w+$/, '')}${got}`;
  }
  if (quote) return issue.message;
  // Our own field types quote the value in their message: take it out again.
  let message = issue.message.replace(/, got .*$/, '');
  if (typeof value === 'string' && value.length > 0) message = message.split(JSON.stringify(value)).join('(a value not shown)').split(value).join('(a value not shown)');
  return message;
}

function readSource(file: string, problems: Problems, scope: ReadScope): { text: string; src: Source } | null {
  const r = scope.read(file);
  if ('problem' in r) {
    problems.list.push(`${file}:1:1 (root): ${r.problem}`);
    return null;
  }
  return { text: r.text, src: { file, lines: new LineCounter() } };
}

/** Whether `target` is `root` or inside it. */
function within(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * Where a scenario may read from: its own folder and the shipped profiles,
 * each also by its real path, so a symbolic link inside the folder that
 * points out of it counts as outside. With allowOutside, anywhere.
 */
class ReadScope {
  private readonly roots: string[];
  constructor(
    scenarioFile: string,
    readonly allowOutside: boolean,
    private readonly onDependency: (dependency: LoadDependency) => void = () => {},
  ) {
    const dir = resolve(dirname(scenarioFile));
    this.roots = [dir, this.realPath(dir), PROFILES_DIR, this.realPath(PROFILES_DIR)];
    this.folder = displayPath(dir) || '.';
  }
  /** readBoundedFile, telling onDependency the text read. */
  read(path: string): ReturnType<typeof readBoundedFile> {
    const r = readBoundedFile(path);
    if ('text' in r) this.onDependency({ kind: 'text', path: resolve(path), text: r.text });
    return r;
  }
  /** `path` was found to be a regular file (a trace, read later). */
  regularFile(path: string): void {
    this.onDependency({ kind: 'regular-file', path: resolve(path) });
  }
  private realPath(path: string): string {
    const real = realOrSelf(path);
    this.onDependency({ kind: 'real-path', path: resolve(path), real });
    return real;
  }
  /** The scenario's folder as messages show it. */
  readonly folder: string;
  /** Why `path` may not be read, or null. Checked on the path as written and on its real path. */
  problem(path: string, shown: string): string | null {
    if (this.allowOutside) return null;
    const abs = resolve(path);
    const inside = (p: string): boolean => this.roots.some((r) => within(r, p));
    if (inside(abs) && inside(this.realPath(abs))) return null;
    return `${shown} is outside the scenario's folder (${this.folder}); files outside it are read only when allowed explicitly (--allow-outside)`;
  }
}

function parseDocs(text: string, src: Source, problems: Problems): Document[] {
  const docs = parseAllDocuments(text, { lineCounter: src.lines, prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [];
  for (const d of list) {
    for (const e of d.errors) {
      const { line, col } = src.lines.linePos(e.pos[0]);
      problems.list.push(`${src.file}:${line}:${col} YAML: ${e.message.split('\n')[0]}`);
    }
  }
  return list.filter((d) => d.contents !== null);
}

/**
 * The document as plain data, or null with a problem: an alias to no anchor,
 * or more alias expansions than a scenario needs (a "billion laughs" file),
 * must not escape as the YAML library's own errors.
 */
function toData(doc: Document, src: Source, problems: Problems): { value: unknown } | null {
  let bad: { node: { range?: [number, number, number] | null }; source: string } | null = null;
  visit(doc, {
    Alias(_, node) {
      if (bad === null && node.resolve(doc) === undefined) bad = { node, source: node.source };
    },
  });
  if (bad !== null) {
    const b = bad as { node: { range?: [number, number, number] | null }; source: string };
    const at = Array.isArray(b.node.range) ? src.lines.linePos(b.node.range[0]) : { line: 1, col: 1 };
    problems.list.push(`${src.file}:${at.line}:${at.col} YAML: alias *${b.source} refers to no anchor`);
    return null;
  }
  try {
    return { value: doc.toJS({ maxAliasCount: 1000 }) };
  } catch (err) {
    problems.add(src, doc, [], `YAML: ${(err as Error).message.split('\n')[0]} (aliases expand to too much)`);
    return null;
  }
}

interface Manifest {
  readonly doc: Document;
  readonly src: Source;
  readonly index: number;
}

function isSubstrate(doc: Document): boolean {
  const api = doc.get('apiVersion');
  return typeof api === 'string' && api.startsWith('ate.dev/');
}

function bandwidthMiBPerSec(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi)\/s$/.exec(text)!;
  return parseMemoryMiB(`${m[1]}${m[2]}`);
}

function sizeCost(c: CostProfileFile['restore']['local']): SizeCost {
  return { base: c.base, mibPerSec: bandwidthMiBPerSec(c.bandwidth) };
}

function toCostModel(p: CostProfileFile): CostModel {
  return {
    name: p.name,
    source: p.source,
    workerStart: p.workerStart,
    coldBoot: p.coldBoot,
    restore: { local: sizeCost(p.restore.local), external: sizeCost(p.restore.external), golden: sizeCost(p.restore.golden) },
    checkpoint: { local: sizeCost(p.checkpoint.local), external: sizeCost(p.checkpoint.external) },
    dispatch: p.dispatch,
    // Only when written: a profile without it gives the same model object as before.
    ...(p.contention === undefined ? {} : { contention: p.contention }),
    ...(p.requestTimeout === undefined ? {} : { requestTimeoutMs: p.requestTimeout }),
  };
}

/** Loads a cost profile by name (from scenarios/profiles/) or by path. */
export function loadCostProfile(nameOrPath: string, relativeTo: string, problems: Problems, at: { src: Source; doc: Document }, scope: ReadScope): CostModel | null {
  const candidates = nameOrPath.endsWith('.yaml') || nameOrPath.includes('/')
    ? [isAbsolute(nameOrPath) ? nameOrPath : resolve(relativeTo, nameOrPath)]
    : [join(PROFILES_DIR, `${nameOrPath}.yaml`)];
  const file = candidates[0]!;
  const refused = scope.problem(file, `cost profile file ${nameOrPath}`);
  if (refused !== null) {
    problems.add(at.src, at.doc, ['costs'], refused);
    return null;
  }
  if (!existsSync(file)) {
    const known = existsSync(PROFILES_DIR) ? readdirNames(PROFILES_DIR) : [];
    const byPath = nameOrPath.endsWith('.yaml') || nameOrPath.includes('/');
    problems.add(
      at.src,
      at.doc,
      ['costs'],
      byPath ? `cost profile file ${nameOrPath} not found (looked at ${file})` : `unknown cost profile "${nameOrPath}" (known: ${known.join(', ')}; or a path to a .yaml file)`,
    );
    return null;
  }
  const bounded = scope.read(file);
  if ('problem' in bounded) {
    problems.add(at.src, at.doc, ['costs'], `cost profile file ${nameOrPath} ${bounded.problem}`);
    return null;
  }
  const read = { text: bounded.text, src: { file: displayPath(file), lines: new LineCounter(), named: true } };
  const docs = parseDocs(read.text, read.src, problems);
  const doc = docs[0];
  if (doc === undefined) {
    problems.addFile(read.src.file, 'empty cost profile');
    return null;
  }
  const data = toData(doc, read.src, problems);
  if (data === null) return null;
  if (data.value === null || typeof data.value !== 'object' || Array.isArray(data.value)) {
    // Not a profile at all (a text file, say): say so without quoting it.
    problems.addFile(read.src.file, `expected a cost profile (a map of fields), got ${kindOf(data.value)}`);
    return null;
  }
  const r = costProfileSchema.safeParse(data.value);
  if (!r.success) {
    problems.addZod(read.src, doc, r.error);
    return null;
  }
  return toCostModel(r.data);
}

function readdirNames(dir: string): string[] {
  return (readdirSyncSafe(dir) ?? []).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -'.yaml'.length));
}

function readdirSyncSafe(dir: string): string[] | null {
  try {
    return readdirSync(dir);
  } catch {
    return null;
  }
}

function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}

function applyOverride(base: PoolFile, o: ScenarioFile['policies'][number]['pools'][string] | undefined): PoolSetup {
  const mode = o?.mode ?? base.mode;
  const dedicated = o?.dedicated ?? base.dedicated;
  return {
    mode,
    replicas: o?.replicas ?? base.replicas,
    actorSlots: o?.actorSlots ?? base.actorSlots,
    workerMemoryMiB: o?.worker?.memory ?? base.worker.memory,
    ...(dedicated === undefined ? {} : { dedicated: { variant: dedicated.variant, idleStopMs: dedicated.idleStop } }),
  };
}

function idleSpec(i: ScenarioFile['policies'][number]['idle']): IdlePolicySpec {
  switch (i.kind) {
    case 'ttl':
      return { kind: 'ttl', ttlMs: i.ttl, action: i.action };
    case 'hybrid-histogram':
      return {
        kind: 'hybrid-histogram',
        action: i.action,
        binMs: i.bin,
        rangeMs: i.range,
        headPercentile: i.headPercentile,
        tailPercentile: i.tailPercentile,
        margin: i.margin,
        cvThreshold: i.cvThreshold,
        minSamples: i.minSamples,
        fallbackTtlMs: i.fallbackTtl,
      };
    default:
      return i;
  }
}

function scalingSpec(s: ScenarioFile['policies'][number]['scaling']): ScalingSpec {
  switch (s.kind) {
    case 'static':
      return s;
    case 'target-utilization':
      return { kind: s.kind, target: s.target, minReplicas: s.minReplicas, maxReplicas: s.maxReplicas, stabilizationMs: s.stabilization, intervalMs: s.interval };
    case 'parking':
      return { kind: s.kind, step: s.step, minReplicas: s.minReplicas, maxReplicas: s.maxReplicas, quietMs: s.quiet, intervalMs: s.interval };
    case 'scale-to-zero':
      return { kind: s.kind, maxReplicas: s.maxReplicas, idleMs: s.idle, intervalMs: s.interval };
  }
}

/**
 * The upper bounds of limits.ts that need the whole scenario: actors and
 * nodes in all, a dedicated pool's workers (one per actor), the invocations
 * the model groups are expected to generate, runs (policy sets x seeds) and
 * the ticks of scaling intervals. Each is reported at the field that pushes
 * past it, before anything is generated.
 */
function boundProblems(
  s: ScenarioFile,
  groups: readonly ({ kind: 'model'; g: ModelGroupFile } | { kind: 'trace'; g: TraceFile })[],
  templates: readonly TemplateFile[],
  pools: readonly PoolFile[],
  policies: readonly { policy: ScenarioFile['policies'][number]; path: Path }[],
  problems: Problems,
  src: Source,
  doc: Document,
): void {
  let nodes = 0;
  s.cluster.nodes.forEach((g, i) => {
    nodes += g.count;
    if (nodes > MAX_NODES && nodes - g.count <= MAX_NODES) problems.add(src, doc, ['cluster', 'nodes', i, 'count'], `brings the cluster to ${countText(nodes)} nodes, more than ${countText(MAX_NODES)}`);
  });
  // Model groups only: a trace's actors and invocations are bounded by its own budget while it is read.
  const modelIndex = groups.map((g, i) => ({ g, i })).filter((x): x is { g: { kind: 'model'; g: ModelGroupFile }; i: number } => x.g.kind === 'model');
  let actors = 0;
  for (const { g, i } of modelIndex) {
    actors += g.g.actors;
    if (actors > MAX_ACTORS && actors - g.g.actors <= MAX_ACTORS) problems.add(src, doc, ['workload', i, 'actors'], `brings the workload to ${countText(actors)} actors, more than ${countText(MAX_ACTORS)}`);
  }
  // A dedicated pool starts a worker per actor (per actor name: layered groups of a template share them).
  const actorsOf = new Map<string, number>();
  for (const { g } of modelIndex) actorsOf.set(g.g.template, Math.max(actorsOf.get(g.g.template) ?? 0, g.g.actors));
  for (const { policy, path } of policies) {
    for (const pool of pools) {
      const mode = policy.pools[pool.name]?.mode ?? pool.mode;
      if (mode !== 'dedicated') continue;
      const workers = templates.filter((t) => t.pool === pool.name).reduce((n, t) => n + (actorsOf.get(t.name) ?? 0), 0);
      if (workers > MAX_WORKERS_PER_POOL) {
        problems.add(src, doc, path[0] === 'policies' ? [...path, 'name'] : path, `dedicated pool "${pool.name}" would start ${countText(workers)} workers (one per actor), more than ${countText(MAX_WORKERS_PER_POOL)}`);
      }
    }
    const every = policy.scaling.kind === 'static' ? undefined : policy.scaling.interval;
    if (every !== undefined && !(s.duration / every <= MAX_TICKS_PER_RUN)) {
      problems.add(
        src,
        doc,
        path[0] === 'policies' ? [...path, 'scaling', 'interval'] : path,
        `a scaling interval of ${formatDuration(every)} over ${formatDuration(s.duration)} is ${countText(s.duration / every)} ticks, more than ${countText(MAX_TICKS_PER_RUN)}`,
      );
    }
  }
  const expected = modelIndex.map(({ g }) => expectedInvocations(g.g.arrivals, g.g.actors, s.duration));
  const total = expected.reduce((a, b) => a + b, 0);
  if (!(total <= MAX_INVOCATIONS)) {
    // At the group that contributes most: that is where the rate or the actors need lowering.
    const most = expected.reduce((best, e, k) => (!(e <= expected[best]!) ? k : best), 0);
    const i = modelIndex[most]!.i;
    problems.add(
      src,
      doc,
      ['workload', i, 'arrivals'],
      `about ${countText(expected[most]!)} invocations over ${formatDuration(s.duration)}${expected.length > 1 ? ` (${countText(total)} with the other groups)` : ''}, more than ${countText(MAX_INVOCATIONS)} a workload may have: lower the rate, the actors or the duration`,
    );
  }
  const seeds = s.study?.seeds?.length ?? 1;
  const runs = policies.length * seeds;
  if (runs > MAX_RUNS) {
    problems.add(src, doc, s.study !== undefined ? ['study'] : ['policies'], `${countText(policies.length)} policy set(s) x ${seeds} seed(s) = ${countText(runs)} runs, more than ${countText(MAX_RUNS)}`);
  }
}

/** Most policy sets a study may expand to: a bigger matrix is a mistake, not a plan. */
const MAX_STUDY_SETS = 10_000;

/**
 * Reads, validates and resolves a scenario file: YAML (or JSON), with
 * Substrate WorkerPool and ActorTemplate documents alongside or included.
 * Every problem found is reported, one line each, in a single ScenarioError;
 * problems that follow from another one (a template naming a pool whose
 * manifest was refused) are not reported again.
 */
export function loadScenarioFile(file: string, options: LoadOptions = {}): Scenario {
  const problems = new Problems();
  const scope = new ReadScope(file, options.allowOutside === true, options.onDependency);
  const fail = (): never => {
    throw new ScenarioError(file, problems.list);
  };
  const read = readSource(file, problems, scope);
  if (read === null) fail();
  const { src } = read!;
  const docs = parseDocs(read!.text, src, problems);
  if (problems.list.length > 0) fail();
  const scenarioDocs = docs.filter((d) => !isSubstrate(d));
  const manifests: Manifest[] = docs.filter(isSubstrate).map((doc, index) => ({ doc, src, index }));
  if (scenarioDocs.length === 0) {
    problems.addFile(file, docs.length === 0 ? 'empty: no scenario document' : 'no scenario document (only ate.dev/v1alpha1 manifests)');
    fail();
  }
  if (scenarioDocs.length > 1) {
    problems.add(src, scenarioDocs[1]!, [], `expected exactly one scenario document (the others must be ate.dev/v1alpha1 manifests), found ${scenarioDocs.length}`);
    fail();
  }
  const doc = scenarioDocs[0]!;
  const data = toData(doc, src, problems);
  if (data === null) fail();
  const parsed = scenarioFileSchema.safeParse(data!.value);
  if (!parsed.success) {
    problems.addZod(src, doc, parsed.error);
    fail();
  }
  const s = parsed.data!;
  const baseDir = dirname(file);

  // Workload groups and an inline cost profile, one by one, for precise paths.
  const groups: ({ kind: 'model'; g: ModelGroupFile } | { kind: 'trace'; g: TraceFile })[] = [];
  s.workload.forEach((raw, i) => {
    const isTrace = typeof raw === 'object' && raw !== null && 'trace' in raw;
    const r = isTrace ? traceGroupSchema.safeParse(raw) : modelGroupSchema.safeParse(raw);
    if (!r.success) problems.addZod(src, doc, r.error, ['workload', i]);
    else groups.push('trace' in r.data ? { kind: 'trace', g: r.data.trace } : { kind: 'model', g: r.data });
  });
  let costs: CostModel | null = null;
  if (typeof s.costs === 'string' && s.costs.length > 0) {
    costs = loadCostProfile(s.costs, baseDir, problems, { src, doc }, scope);
  } else {
    const r = costProfileSchema.safeParse(s.costs);
    if (r.success) costs = toCostModel(r.data);
    else problems.addZod(src, doc, r.error, ['costs']);
  }

  s.include.forEach((inc, i) => {
    const path = resolve(baseDir, inc);
    const refused = scope.problem(path, inc);
    if (refused !== null) {
      problems.add(src, doc, ['include', i], refused);
      return;
    }
    const bounded = scope.read(path);
    if ('problem' in bounded) {
      problems.add(src, doc, ['include', i], bounded.problem.startsWith('cannot be read: ') ? `cannot read ${inc}: ${bounded.problem.slice('cannot be read: '.length)}` : `${inc} ${bounded.problem}`);
      return;
    }
    const incRead = { text: bounded.text, src: { file: displayPath(path), lines: new LineCounter(), named: true } };
    for (const d of parseDocs(incRead.text, incRead.src, problems)) {
      if (!isSubstrate(d)) problems.add(incRead.src, d, ['apiVersion'], 'included files hold ate.dev/v1alpha1 manifests only');
      else manifests.push({ doc: d, src: incRead.src, index: manifests.length });
    }
  });

  const pools: { pool: PoolFile; origin: Origin }[] = s.pools.map((pool, i) => ({ pool, origin: { src, doc, path: ['pools', i], manifest: false } }));
  const templates: { template: TemplateFile; origin: Origin; memoryPath?: Path }[] = s.templates.map((template, i) => ({ template, origin: { src, doc, path: ['templates', i], manifest: false } }));
  // Names of manifests that were refused: what refers to them is not reported again.
  const refusedPools = new Set<string>();
  const refusedTemplates = new Set<string>();
  for (const m of manifests) {
    const kind = m.doc.get('kind');
    const data = toData(m.doc, m.src, problems);
    if (data === null) continue;
    const js = data.value as Record<string, unknown>;
    if (js === null || typeof js !== 'object') {
      problems.add(m.src, m.doc, [], 'expected a manifest (a map)');
      continue;
    }
    const metaName = (js.metadata as { name?: unknown } | undefined)?.name;
    const origin: Origin = { src: m.src, doc: m.doc, path: [], manifest: true };
    if (kind === 'WorkerPool') {
      const r = workerPoolToPool(js);
      for (const p of r.problems) problems.add(m.src, m.doc, p.path, p.message);
      if (r.pool !== null) pools.push({ pool: r.pool, origin });
      else if (typeof metaName === 'string') refusedPools.add(metaName);
    } else if (kind === 'ActorTemplate') {
      const r = actorTemplateToTemplate(js);
      for (const p of r.problems) problems.add(m.src, m.doc, p.path, p.message);
      if (r.template !== null) templates.push({ template: r.template, origin, memoryPath: r.memoryPath });
      else if (typeof metaName === 'string') refusedTemplates.add(metaName);
    } else {
      problems.add(m.src, m.doc, ['kind'], `unsupported ate.dev kind ${show(kind)} (WorkerPool and ActorTemplate are read)`);
    }
  }

  // Cross-references, each reported where the naming field is.
  const at = (o: Origin, field: Path, manifestField: Path): [Source, Document, Path] => [o.src, o.doc, o.manifest ? manifestField : [...o.path, ...field]];
  const poolByName = new Map<string, { pool: PoolFile; origin: Origin }>();
  for (const entry of pools) {
    const { pool, origin } = entry;
    if (poolByName.has(pool.name)) problems.add(...at(origin, ['name'], ['metadata', 'name']), `pool "${pool.name}" is defined twice`);
    else poolByName.set(pool.name, entry);
    if (pool.mode === 'dedicated' && pool.dedicated === undefined) problems.add(...at(origin, ['dedicated'], ['metadata', 'name']), 'a dedicated pool needs dedicated.variant');
  }
  const templateNames = new Set<string>();
  for (const { template: t, origin, memoryPath } of templates) {
    if (templateNames.has(t.name)) problems.add(...at(origin, ['name'], ['metadata', 'name']), `template "${t.name}" is defined twice`);
    templateNames.add(t.name);
    const pool = poolByName.get(t.pool);
    if (pool === undefined) {
      if (!refusedPools.has(t.pool)) problems.add(...at(origin, ['pool'], ['spec', 'workerPoolRef', 'name']), `unknown pool "${t.pool}" (known: ${[...poolByName.keys()].join(', ') || 'none'})`);
    } else if (t.memory > pool.pool.worker.memory) {
      // Once, at the template's memory, not once per policy set.
      problems.add(
        ...at(origin, ['memory'], memoryPath ?? ['metadata', 'name']),
        `a worker of ${pool.pool.worker.memory} MiB cannot hold template "${t.name}" (${t.memory} MiB)`,
      );
    }
  }
  groups.forEach((grp, i) => {
    const t = grp.kind === 'trace' ? grp.g.template : grp.g.template;
    const path = grp.kind === 'trace' ? ['workload', i, 'trace', 'template'] : ['workload', i, 'template'];
    if (!templateNames.has(t) && !refusedTemplates.has(t)) problems.add(src, doc, path, `unknown template "${t}" (known: ${[...templateNames].join(', ') || 'none'})`);
  });

  const policyNames = new Set<string>();
  const policies: PolicySet[] = [];
  const sharedPools = pools.filter((p) => p.pool.mode === 'shared').map((p) => p.pool.name);
  let studySets: ReturnType<typeof expandStudy> = [];
  if (s.study !== undefined) {
    const m = s.study.matrix;
    const size = [m.replicas, m.placement, m.idle, m.eviction, m.scaling].reduce((k, v) => k * (v?.length ?? 1), 1);
    if (size > MAX_STUDY_SETS) problems.add(src, doc, ['study', 'matrix'], `expands to ${size} policy sets, more than ${MAX_STUDY_SETS}`);
    else studySets = expandStudy(s.study, sharedPools);
  }
  if (s.policies.length + studySets.length === 0) problems.add(src, doc, ['policies'], 'at least one policy set is needed (or a study)');
  const all = [...s.policies.map((p, i) => ({ p, path: ['policies', i] as Path })), ...studySets.map((p) => ({ p, path: ['study'] as Path }))];
  for (const { p, path } of all) {
    if (policyNames.has(p.name)) problems.add(src, doc, [...path, ...(path[0] === 'policies' ? ['name'] : [])], `policy set "${p.name}" is defined twice`);
    policyNames.add(p.name);
    for (const name of Object.keys(p.pools)) {
      if (!poolByName.has(name) && !refusedPools.has(name)) {
        problems.add(src, doc, path[0] === 'policies' ? [...path, 'pools', name] : path, `unknown pool "${name}" (known: ${[...poolByName.keys()].join(', ')})`);
      }
    }
    const resolved: Record<string, PoolSetup> = {};
    for (const { pool: base } of poolByName.values()) {
      const o = p.pools[base.name];
      const setup = applyOverride(base, o);
      // Only what this policy set changes is reported here; the pool's own problems were reported above.
      const overridePath = path[0] === 'policies' ? [...path, 'pools', base.name] : path;
      if (setup.mode === 'dedicated' && setup.dedicated === undefined && o?.mode === 'dedicated') {
        problems.add(src, doc, overridePath, `pool "${base.name}" is dedicated here and needs dedicated.variant`);
      }
      if (o?.worker?.memory !== undefined) {
        for (const { template: t } of templates) {
          if (t.pool === base.name && t.memory > setup.workerMemoryMiB) {
            problems.add(src, doc, path[0] === 'policies' ? [...overridePath, 'worker', 'memory'] : path, `a worker of ${setup.workerMemoryMiB} MiB cannot hold template "${t.name}" (${t.memory} MiB)`);
          }
        }
      }
      resolved[base.name] = setup;
    }
    policies.push({
      name: p.name,
      pools: resolved,
      placement: p.placement,
      idle: idleSpec(p.idle),
      admission: { parkTimeoutMs: p.admission.parkTimeout, maxParked: p.admission.maxParked },
      eviction: p.eviction,
      scaling: scalingSpec(p.scaling),
      maxAttempts: p.maxAttempts,
    });
  }
  if (s.warmup >= s.duration) problems.add(src, doc, ['warmup'], `must be shorter than duration (${formatDuration(s.duration)})`);
  boundProblems(s, groups, templates.map((t) => t.template), pools.map((p) => p.pool), all.map(({ p, path }) => ({ policy: p, path })), problems, src, doc);
  // Trace files are streamed later; what can be known now (where they are, what they are) is checked now.
  groups.forEach((grp, i) => {
    if (grp.kind !== 'trace') return;
    const lists = [['files', grp.g.files], ['durations', grp.g.durations ?? []], ['memory', grp.g.memory ?? []]] as const;
    for (const [field, list] of lists) {
      list.forEach((f, k) => {
        const path = ['workload', i, 'trace', field, k];
        const abs = resolve(baseDir, f);
        const refused = scope.problem(abs, f);
        if (refused !== null) return problems.add(src, doc, path, refused);
        let st: Stats;
        try {
          st = statSync(abs);
        } catch (err) {
          return problems.add(src, doc, path, `cannot read ${f}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
        }
        if (!st.isFile()) problems.add(src, doc, path, `${f} is ${statKind(st)}, not a regular file`);
        else scope.regularFile(abs);
      });
    }
  });
  if (problems.list.length > 0 || costs === null) fail();

  const nodes = s.cluster.nodes.flatMap((g) =>
    Array.from({ length: g.count }, (_, k) => ({
      name: g.count === 1 ? g.name : `${g.name}-${String(k).padStart(String(g.count - 1).length, '0')}`,
      memoryMiB: g.memory,
      ...(g.cpu === undefined ? {} : { cpuMilli: g.cpu }),
    })),
  );
  const poolDefs: PoolDefinition[] = [...poolByName.values()].map(({ pool: p }) => ({
    name: p.name,
    ...applyOverride(p, undefined),
    ...(p.worker.cpu === undefined ? {} : { workerCpuMilli: p.worker.cpu }),
    runtimeClass: p.runtimeClass,
    nodeSelector: p.nodeSelector,
  }));
  const workload: WorkloadGroup[] = groups.map((grp) => {
    if (grp.kind === 'model') return { kind: 'model', template: grp.g.template, actors: grp.g.actors, arrivals: grp.g.arrivals };
    const t = grp.g;
    return {
      kind: 'trace',
      trace: {
        format: t.format,
        files: t.files.map((f) => resolve(baseDir, f)),
        ...(t.durations === undefined ? {} : { durations: t.durations.map((f) => resolve(baseDir, f)) }),
        ...(t.memory === undefined ? {} : { memory: t.memory.map((f) => resolve(baseDir, f)) }),
        template: t.template,
        actorBy: t.actorBy,
        spread: t.spread,
        ...(t.sample === undefined ? {} : { sample: t.sample }),
        ...(t.window === undefined ? {} : { window: { startMs: t.window.start, endMs: t.window.end } }),
        compression: t.compression,
      },
    };
  });
  return {
    name: s.name,
    description: s.description,
    seed: s.seed,
    durationMs: s.duration,
    warmupMs: s.warmup,
    ...(s.drain === undefined ? {} : { drainMs: s.drain }),
    nodes,
    pools: poolDefs,
    templates: templates.map(({ template: t }) => ({ name: t.name, pool: t.pool, memoryMiB: t.memory, snapshotMiB: t.snapshot ?? t.memory, golden: t.golden, work: t.work })),
    workload,
    costs: costs!,
    ...(s.faults === undefined
      ? {}
      : { faults: { restoreFailureRate: s.faults.restoreFailureRate, checkpointFailureRate: s.faults.checkpointFailureRate, workerMtbfMs: s.faults.workerMtbf } }),
    policies,
    seeds: s.study?.seeds ?? [s.seed],
    ...(s.slo === undefined ? {} : { slo: { ...s.slo } }),
    ...(s.prices === undefined ? {} : { prices: { ...s.prices } }),
  };
}
