import { parse as parseYaml } from 'yaml';
import { durationDistribution, isName } from './fields.ts';
import { MAX_NAME_CHARS, MAX_WORKERS_PER_POOL } from './limits.ts';
import { parseCpuMilli, parseMemoryMiB } from './quantity.ts';
import type { PoolFile, TemplateFile } from './file-schema.ts';

/**
 * Agent Substrate manifests (`apiVersion: ate.dev/v1alpha1`) as scenario
 * input, so a user can simulate the WorkerPool and ActorTemplate documents
 * they are about to apply. What those documents do not carry comes from
 * annotations under `sim.actorsim.dev/`:
 *
 * WorkerPool: `spec.replicas` → replicas; `spec.template.nodeSelector` →
 *   nodeSelector; `spec.sandboxClass` (gvisor, microvm) → runtimeClass
 *   (gvisor, kata). Annotations: `actor-slots` (default 1, Substrate's),
 *   `worker-memory` (required: a quantity such as 2Gi), `worker-cpu`.
 * ActorTemplate: `spec.workerPoolRef.name` → pool. Memory: annotation
 *   `memory`, else the largest container memory limit (or request). Snapshot
 *   size: annotation `snapshot`, else the memory. Golden: true (Substrate
 *   snapshots a golden actor per template) unless annotation `golden: "false"`.
 *   Work time: annotation `work`, a distribution in the scenario's form, e.g.
 *   `"{kind: lognormal, median: 2s, p99: 20s}"` (required).
 * Traffic always comes from the scenario's `workload` section.
 */

/** The annotation prefix for what Substrate manifests do not carry. */
export const ANNOTATION_PREFIX = 'sim.actorsim.dev/';

/** A problem in a manifest: message and the path inside the document. */
export interface ManifestProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function get(o: unknown, path: readonly string[]): unknown {
  let cur = o;
  for (const k of path) {
    if (!isObj(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}


/** A value for a message: JSON, cut to 80 characters. */
function shortJson(v: unknown): string {
  const json = JSON.stringify(v) ?? String(v);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

function annotations(doc: Obj): Obj {
  const a = get(doc, ['metadata', 'annotations']);
  return isObj(a) ? a : {};
}

function metaName(doc: Obj, problems: ManifestProblem[]): string {
  const n = get(doc, ['metadata', 'name']);
  if (typeof n !== 'string' || !isName(n)) {
    problems.push({ path: ['metadata', 'name'], message: `expected a Kubernetes name (at most ${MAX_NAME_CHARS} characters, without ".."), got ${shortJson(n)}` });
    return 'invalid';
  }
  return n;
}

function quantity(v: unknown, path: (string | number)[], parse: (s: string) => number, problems: ManifestProblem[]): number | undefined {
  if (v === undefined) return undefined;
  // A bare number would mean bytes for memory: almost never what was meant in an annotation.
  if (parse === parseMemoryMiB && /^\s*\d+(\.\d+)?\s*$/.test(String(v))) {
    problems.push({ path, message: `expected a memory quantity with a unit (e.g. 2Gi, 512Mi), got ${JSON.stringify(v)}` });
    return undefined;
  }
  try {
    const n = parse(String(v));
    if (!Number.isFinite(n) || n < 0) throw new Error('must be >= 0');
    return n;
  } catch (err) {
    problems.push({ path, message: (err as Error).message });
    return undefined;
  }
}

/** Converts a WorkerPool document into a pool entry. */
export function workerPoolToPool(doc: Obj): { pool: PoolFile | null; problems: ManifestProblem[] } {
  const problems: ManifestProblem[] = [];
  const name = metaName(doc, problems);
  const ann = annotations(doc);
  const replicas = get(doc, ['spec', 'replicas']);
  if (replicas !== undefined && (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)) {
    problems.push({ path: ['spec', 'replicas'], message: `expected a non-negative integer, got ${shortJson(replicas)}` });
  } else if (typeof replicas === 'number' && replicas > MAX_WORKERS_PER_POOL) {
    problems.push({ path: ['spec', 'replicas'], message: `at most ${MAX_WORKERS_PER_POOL.toLocaleString('en-US')} workers per pool, got ${replicas}` });
  }
  const slotsText = ann[`${ANNOTATION_PREFIX}actor-slots`];
  let actorSlots = 1;
  if (slotsText !== undefined) {
    actorSlots = Number(slotsText);
    if (!Number.isInteger(actorSlots) || actorSlots < 1) {
      problems.push({ path: ['metadata', 'annotations', `${ANNOTATION_PREFIX}actor-slots`], message: `expected a positive integer, got ${JSON.stringify(slotsText)}` });
    }
  }
  const memPath = ['metadata', 'annotations', `${ANNOTATION_PREFIX}worker-memory`];
  const memText = ann[`${ANNOTATION_PREFIX}worker-memory`];
  if (memText === undefined) problems.push({ path: ['metadata', 'annotations'], message: `WorkerPool ${name}: add annotation ${ANNOTATION_PREFIX}worker-memory (e.g. "2Gi"): the manifest does not say how much memory a worker has` });
  const memory = quantity(memText, memPath, parseMemoryMiB, problems);
  const cpu = quantity(ann[`${ANNOTATION_PREFIX}worker-cpu`], ['metadata', 'annotations', `${ANNOTATION_PREFIX}worker-cpu`], parseCpuMilli, problems);
  const sandbox = get(doc, ['spec', 'sandboxClass']);
  const selector = get(doc, ['spec', 'template', 'nodeSelector']);
  if (problems.length > 0 || memory === undefined) return { pool: null, problems };
  return {
    pool: {
      name,
      mode: 'shared',
      replicas: typeof replicas === 'number' ? replicas : 1,
      actorSlots,
      worker: { memory, ...(cpu === undefined ? {} : { cpu }) },
      runtimeClass: sandbox === 'microvm' ? 'kata' : 'gvisor',
      nodeSelector: isObj(selector) ? Object.fromEntries(Object.entries(selector).map(([k, v]) => [k, String(v)])) : {},
    },
    problems,
  };
}

/** Converts an ActorTemplate document into a template entry. */
export function actorTemplateToTemplate(doc: Obj): { template: TemplateFile | null; problems: ManifestProblem[]; memoryPath?: (string | number)[] } {
  const problems: ManifestProblem[] = [];
  const name = metaName(doc, problems);
  const ann = annotations(doc);
  const pool = get(doc, ['spec', 'workerPoolRef', 'name']);
  if (typeof pool !== 'string' || !isName(pool)) {
    problems.push({ path: ['spec', 'workerPoolRef', 'name'], message: `expected the name of a WorkerPool, got ${shortJson(pool)}` });
  }
  let memoryPath: (string | number)[] = ['metadata', 'annotations', `${ANNOTATION_PREFIX}memory`];
  let memory = quantity(ann[`${ANNOTATION_PREFIX}memory`], memoryPath, parseMemoryMiB, problems);
  if (memory === undefined) {
    const containers = get(doc, ['spec', 'containers']);
    if (Array.isArray(containers)) {
      containers.forEach((c, i) => {
        const which = get(c, ['resources', 'limits', 'memory']) !== undefined ? 'limits' : 'requests';
        const path = ['spec', 'containers', i, 'resources', which, 'memory'];
        const m = quantity(get(c, ['resources', which, 'memory']), path, parseMemoryMiB, problems);
        if (m !== undefined && m > (memory ?? -1)) {
          memory = m;
          memoryPath = path;
        }
      });
    }
  }
  if (memory === 0) {
    problems.push({ path: memoryPath, message: 'must be more than 0 (a real worker refuses an actor without memory)' });
  } else if (memory === undefined) {
    problems.push({ path: ['metadata', 'annotations'], message: `ActorTemplate ${name}: no memory: add annotation ${ANNOTATION_PREFIX}memory (e.g. "256Mi") or a container memory limit` });
  }
  const snapshot = quantity(ann[`${ANNOTATION_PREFIX}snapshot`], ['metadata', 'annotations', `${ANNOTATION_PREFIX}snapshot`], parseMemoryMiB, problems);
  const goldenText = ann[`${ANNOTATION_PREFIX}golden`];
  const workText = ann[`${ANNOTATION_PREFIX}work`];
  const workPath = ['metadata', 'annotations', `${ANNOTATION_PREFIX}work`];
  let work: TemplateFile['work'] | undefined;
  if (workText === undefined) {
    problems.push({ path: ['metadata', 'annotations'], message: `ActorTemplate ${name}: add annotation ${ANNOTATION_PREFIX}work (e.g. "{kind: lognormal, median: 2s, p99: 20s}"): the manifest does not say how long an invocation works` });
  } else {
    let parsed: unknown;
    let yamlOk = true;
    try {
      parsed = parseYaml(String(workText), { prettyErrors: false });
    } catch (err) {
      yamlOk = false;
      problems.push({ path: workPath, message: `not YAML: ${(err as Error).message.split('\n')[0]}` });
    }
    if (yamlOk) {
      const r = durationDistribution.safeParse(parsed);
      if (r.success) work = r.data;
      else for (const i of r.error.issues) problems.push({ path: workPath, message: `${i.path.join('.') || 'work'}: ${i.message}` });
    }
  }
  if (problems.length > 0 || memory === undefined || work === undefined || typeof pool !== 'string') return { template: null, problems };
  return {
    template: { name, pool, memory, snapshot: snapshot ?? memory, golden: goldenText === undefined ? true : String(goldenText) !== 'false', work },
    problems,
    memoryPath,
  };
}
