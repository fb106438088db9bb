import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import type { z } from 'zod';
import { costProfileSchema, scenarioFileSchema, type CostProfileFile, type PoolFile, type ScenarioFile, type TemplateFile } from './file-schema.ts';
import { actorTemplateToTemplate, workerPoolToPool } from './manifests.ts';
import { parseMemoryMiB } from './quantity.ts';
import type { CostModel, PolicySet, PoolDefinition, PoolSetup, Scenario, SizeCost, WorkloadGroup } from './scenario.ts';
import { ScenarioError } from './errors.ts';
import { expandStudy } from './study.ts';
import type { IdlePolicySpec, ScalingSpec } from '../core/types.ts';

/** Folder of the named cost profiles shipped with the project. */
export const PROFILES_DIR = join(dirname(fileURLToPath(import.meta.url)), 'profiles');

interface Source {
  readonly file: string;
  readonly lines: LineCounter;
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
    const node = doc.getIn(path.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
    if (node !== undefined && node !== null && typeof node === 'object' && Array.isArray(node.range)) {
      const { line, col } = src.lines.linePos(node.range[0]);
      return `${line}:${col}`;
    }
  }
  return '1:1';
}

/** Collects problems in the `file:line:col path: message` form. */
class Problems {
  readonly list: string[] = [];
  add(src: Source, doc: Document | null, path: Path, message: string): void {
    const where = doc === null ? '' : `:${position(doc, src, path)}`;
    this.list.push(`${src.file}${where} ${pathString(path)}: ${message}`);
  }
  addZod(src: Source, doc: Document, error: z.ZodError, base: Path = []): void {
    for (const issue of error.issues) this.add(src, doc, [...base, ...issue.path], describe(issue, doc, [...base, ...issue.path]));
  }
}

function describe(issue: z.core.$ZodIssue, doc: Document, path: Path): string {
  const value = doc.getIn(path as unknown[]);
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_type' && value === undefined) return `required (${issue.message.replace(/^Invalid input: /, '')})`;
  if (issue.code === 'invalid_type' || issue.code === 'invalid_value' || issue.code === 'invalid_union') {
    // Our own field types already quote the value; zod's built-in messages do not.
    const got = value === undefined || issue.message.includes(', got ') ? '' : `, got ${JSON.stringify(value)}`;
    return `${issue.message.replace(/^Invalid input: /, '').replace(/, received \w+$/, '')}${got}`;
  }
  return issue.message;
}

function readSource(file: string, problems: Problems): { text: string; src: Source } | null {
  try {
    return { text: readFileSync(file, 'utf8'), src: { file, lines: new LineCounter() } };
  } catch (err) {
    problems.list.push(`${file}: cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    return null;
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
  };
}

/** Loads a cost profile by name (from scenarios/profiles/) or by path. */
export function loadCostProfile(nameOrPath: string, relativeTo: string, problems: Problems, at: { src: Source; doc: Document }): CostModel | null {
  const candidates = nameOrPath.endsWith('.yaml') || nameOrPath.includes('/')
    ? [isAbsolute(nameOrPath) ? nameOrPath : resolve(relativeTo, nameOrPath)]
    : [join(PROFILES_DIR, `${nameOrPath}.yaml`)];
  const file = candidates[0]!;
  if (!existsSync(file)) {
    const known = existsSync(PROFILES_DIR) ? readdirNames(PROFILES_DIR) : [];
    problems.add(at.src, at.doc, ['costs'], `unknown cost profile "${nameOrPath}" (known: ${known.join(', ')}; or a path to a .yaml file)`);
    return null;
  }
  const read = readSource(displayPath(file), problems);
  if (read === null) return null;
  const docs = parseDocs(read.text, read.src, problems);
  const doc = docs[0];
  if (doc === undefined) {
    problems.list.push(`${read.src.file}: empty cost profile`);
    return null;
  }
  const r = costProfileSchema.safeParse(doc.toJS());
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
 * Reads, validates and resolves a scenario file: YAML (or JSON), with
 * Substrate WorkerPool and ActorTemplate documents alongside or included.
 * Every problem found is reported, one line each, in a single ScenarioError.
 */
export function loadScenarioFile(file: string): Scenario {
  const problems = new Problems();
  const read = readSource(file, problems);
  if (read === null) throw new ScenarioError(file, problems.list);
  const docs = parseDocs(read.text, read.src, problems);
  if (problems.list.length > 0) throw new ScenarioError(file, problems.list);
  const scenarioDocs = docs.filter((d) => !isSubstrate(d));
  const manifests: Manifest[] = docs.filter(isSubstrate).map((doc, index) => ({ doc, src: read.src, index }));
  if (scenarioDocs.length !== 1) {
    throw new ScenarioError(file, [`${file}: expected exactly one scenario document (the others must be ate.dev/v1alpha1 manifests), found ${scenarioDocs.length}`]);
  }
  const doc = scenarioDocs[0]!;
  const parsed = scenarioFileSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    problems.addZod(read.src, doc, parsed.error);
    throw new ScenarioError(file, problems.list);
  }
  const s = parsed.data;
  const baseDir = dirname(file);

  s.include.forEach((inc, i) => {
    const path = resolve(baseDir, inc);
    const incRead = readSource(displayPath(path), problems);
    if (incRead === null) {
      problems.add(read.src, doc, ['include', i], `cannot read ${inc}`);
      return;
    }
    for (const d of parseDocs(incRead.text, incRead.src, problems)) {
      if (!isSubstrate(d)) problems.add(incRead.src, d, ['apiVersion'], 'included files hold ate.dev/v1alpha1 manifests only');
      else manifests.push({ doc: d, src: incRead.src, index: manifests.length });
    }
  });

  const pools: PoolFile[] = [...s.pools];
  const templates: TemplateFile[] = [...s.templates];
  for (const m of manifests) {
    const kind = m.doc.get('kind');
    const js = m.doc.toJS() as Record<string, unknown>;
    if (kind === 'WorkerPool') {
      const r = workerPoolToPool(js);
      for (const p of r.problems) problems.add(m.src, m.doc, p.path, p.message);
      if (r.pool !== null) pools.push(r.pool);
    } else if (kind === 'ActorTemplate') {
      const r = actorTemplateToTemplate(js);
      for (const p of r.problems) problems.add(m.src, m.doc, p.path, p.message);
      if (r.template !== null) templates.push(r.template);
    } else {
      problems.add(m.src, m.doc, ['kind'], `unsupported ate.dev kind ${JSON.stringify(kind)} (WorkerPool and ActorTemplate are read)`);
    }
  }

  // Cross-references, with the path of the field that names the missing thing.
  const poolNames = new Map<string, number>();
  pools.forEach((p, i) => {
    if (poolNames.has(p.name)) problems.add(read.src, doc, ['pools', i, 'name'], `pool "${p.name}" is defined twice`);
    poolNames.set(p.name, i);
    if (p.mode === 'dedicated' && p.dedicated === undefined) problems.add(read.src, doc, ['pools', i, 'dedicated'], 'a dedicated pool needs dedicated.variant');
  });
  const templateNames = new Set<string>();
  templates.forEach((t, i) => {
    if (templateNames.has(t.name)) problems.add(read.src, doc, ['templates', i, 'name'], `template "${t.name}" is defined twice`);
    templateNames.add(t.name);
    if (!poolNames.has(t.pool)) problems.add(read.src, doc, ['templates', i, 'pool'], `unknown pool "${t.pool}" (known: ${[...poolNames.keys()].join(', ') || 'none'})`);
  });
  s.workload.forEach((g, i) => {
    const t = 'trace' in g ? g.trace.template : g.template;
    const path = 'trace' in g ? ['workload', i, 'trace', 'template'] : ['workload', i, 'template'];
    if (!templateNames.has(t)) problems.add(read.src, doc, path, `unknown template "${t}" (known: ${[...templateNames].join(', ') || 'none'})`);
  });
  const policyNames = new Set<string>();
  const policies: PolicySet[] = [];
  // Study-generated sets come after the listed ones; their problems point at `study`.
  const studySets = s.study === undefined ? [] : expandStudy(s.study, pools.filter((p) => p.mode === 'shared').map((p) => p.name));
  if (s.policies.length + studySets.length === 0) problems.add(read.src, doc, ['policies'], 'at least one policy set is needed (or a study)');
  [...s.policies, ...studySets].forEach((p, i) => {
    if (policyNames.has(p.name)) problems.add(read.src, doc, ['policies', i, 'name'], `policy set "${p.name}" is defined twice`);
    policyNames.add(p.name);
    for (const name of Object.keys(p.pools)) {
      if (!poolNames.has(name)) problems.add(read.src, doc, ['policies', i, 'pools', name], `unknown pool "${name}" (known: ${[...poolNames.keys()].join(', ')})`);
    }
    const resolved: Record<string, PoolSetup> = {};
    for (const base of pools) {
      const setup = applyOverride(base, p.pools[base.name]);
      if (setup.mode === 'dedicated' && setup.dedicated === undefined) {
        problems.add(read.src, doc, ['policies', i, 'pools', base.name], `pool "${base.name}" is dedicated here and needs dedicated.variant`);
      }
      for (const t of templates) {
        if (t.pool === base.name && t.memory > setup.workerMemoryMiB) {
          problems.add(read.src, doc, ['policies', i, 'pools', base.name], `a worker of ${setup.workerMemoryMiB} MiB cannot hold template "${t.name}" (${t.memory} MiB)`);
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
  });
  if (s.warmup >= s.duration) problems.add(read.src, doc, ['warmup'], `must be shorter than duration (${s.duration} ms)`);

  const costs = typeof s.costs === 'string' ? loadCostProfile(s.costs, baseDir, problems, { src: read.src, doc }) : toCostModel(s.costs);
  if (problems.list.length > 0 || costs === null) throw new ScenarioError(file, problems.list);

  const nodes = s.cluster.nodes.flatMap((g) =>
    Array.from({ length: g.count }, (_, k) => ({
      name: g.count === 1 ? g.name : `${g.name}-${String(k).padStart(String(g.count - 1).length, '0')}`,
      memoryMiB: g.memory,
      ...(g.cpu === undefined ? {} : { cpuMilli: g.cpu }),
    })),
  );
  const poolDefs: PoolDefinition[] = pools.map((p) => ({
    name: p.name,
    ...applyOverride(p, undefined),
    ...(p.worker.cpu === undefined ? {} : { workerCpuMilli: p.worker.cpu }),
    runtimeClass: p.runtimeClass,
    nodeSelector: p.nodeSelector,
  }));
  const workload: WorkloadGroup[] = s.workload.map((g) =>
    'trace' in g
      ? {
          kind: 'trace',
          trace: {
            format: g.trace.format,
            files: g.trace.files.map((f) => resolve(baseDir, f)),
            ...(g.trace.durations === undefined ? {} : { durations: g.trace.durations.map((f) => resolve(baseDir, f)) }),
            ...(g.trace.memory === undefined ? {} : { memory: g.trace.memory.map((f) => resolve(baseDir, f)) }),
            template: g.trace.template,
            actorBy: g.trace.actorBy,
            spread: g.trace.spread,
            ...(g.trace.sample === undefined ? {} : { sample: g.trace.sample }),
            ...(g.trace.window === undefined ? {} : { window: { startMs: g.trace.window.start, endMs: g.trace.window.end } }),
            compression: g.trace.compression,
          },
        }
      : { kind: 'model', template: g.template, actors: g.actors, arrivals: g.arrivals },
  );
  return {
    name: s.name,
    description: s.description,
    seed: s.seed,
    durationMs: s.duration,
    warmupMs: s.warmup,
    nodes,
    pools: poolDefs,
    templates: templates.map((t) => ({ name: t.name, pool: t.pool, memoryMiB: t.memory, snapshotMiB: t.snapshot ?? t.memory, golden: t.golden, work: t.work })),
    workload,
    costs,
    ...(s.faults === undefined
      ? {}
      : { faults: { restoreFailureRate: s.faults.restoreFailureRate, checkpointFailureRate: s.faults.checkpointFailureRate, workerMtbfMs: s.faults.workerMtbf } }),
    policies,
    seeds: s.study?.seeds ?? [s.seed],
    ...(s.slo === undefined ? {} : { slo: { ...s.slo } }),
  };
}
