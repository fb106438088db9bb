import { validateDistribution } from './distributions.ts';
import { planArrivals, type ArrivalPlan, type ArrivalStream } from './arrivals/index.ts';
import { importTrace } from './traces/index.ts';
import type { Scenario, ScenarioTemplate, TraceSpec } from './scenario.ts';
import type { ArrivalCursor, Workload, WorkloadStream } from './workload-types.ts';

export type { ArrivalCursor, Workload, WorkloadStream } from './workload-types.ts';

/** Number of invocations in a workload. */
export function workloadSize(w: Workload | WorkloadStream): number {
  return 'open' in w ? w.size : w.arrivalMs.length;
}

/** A cursor over a generated (materialised) workload. */
export function workloadCursor(w: Workload): ArrivalCursor {
  let k = -1;
  const n = w.arrivalMs.length;
  const cursor = {
    arrivalMs: 0,
    actor: 0,
    workMs: 0,
    next(): boolean {
      if (k + 1 >= n) return false;
      k += 1;
      cursor.arrivalMs = w.arrivalMs[k]!;
      cursor.actor = w.actor[k]!;
      cursor.workMs = w.workMs[k]!;
      return true;
    },
  };
  return cursor;
}

/** The random stream of workload group `index`: its own, so adding a group never shifts the traffic of the others. */
export function workloadStream(index: number): string {
  return index === 0 ? 'workload' : `workload/${index}`;
}

function templateOf(scenario: Scenario, name: string): ScenarioTemplate {
  const t = scenario.templates.find((x) => x.name === name);
  if (t === undefined) throw new Error(`workload: unknown template "${name}"`);
  return t;
}

function actorNames(template: string, count: number): string[] {
  const width = String(count - 1).length;
  return Array.from({ length: count }, (_, i) => `${template}-${String(i).padStart(width, '0')}`);
}

/** Invocations generateWorkload will hold: 50 million rows are about 1 GB of columns. */
export const HOLD_LIMIT = 50_000_000;

/**
 * The scenario's workload held as columns: openWorkload read once. For
 * callers that need random access or the rows twice (the real driver, the
 * reports); runs that only read in order take workloadFor. Throws a
 * RangeError above HOLD_LIMIT invocations rather than exhaust memory.
 */
export async function generateWorkload(scenario: Scenario, seed: number): Promise<Workload> {
  const stream = await openWorkload(scenario, seed);
  if (stream.size > HOLD_LIMIT) {
    throw new RangeError(`workload: ${stream.size.toLocaleString('en-US')} invocations are more than ${HOLD_LIMIT.toLocaleString('en-US')} to hold; shorten the run or lower the rates`);
  }
  return materialise(stream);
}

/** The workload's actors by name: groups of the same template share actors by name. */
class ActorRegistry {
  readonly names: string[] = [];
  readonly templates: string[] = [];
  private readonly index = new Map<string, number>();

  /** Maps a group's local actor numbers to global indices, creating actors on first sight; `template` is one for all or one per actor (a trace's). */
  register(gi: number, groupNames: readonly string[], templateOf: string | readonly string[]): number[] {
    const { names, templates, index } = this;
    return groupNames.map((n, i) => {
      const template = typeof templateOf === 'string' ? templateOf : templateOf[i]!;
      const known = index.get(n);
      if (known !== undefined) {
        if (templates[known] !== template) throw new Error(`workload[${gi}]: actor "${n}" has template "${template}" here and "${templates[known]}" in an earlier group`);
        return known;
      }
      index.set(n, names.length);
      names.push(n);
      templates.push(template);
      return names.length - 1;
    });
  }
}

/** One group of a streamed workload: its invocations in order, its actors as global indices. */
interface StreamGroup {
  readonly size: number;
  open(): ArrivalStream;
}

/**
 * Streams the scenario's workload (see WorkloadStream): arrival models from
 * their seeded streams, traces read from disk. Groups are merged by arrival,
 * ties to the earlier group. Groups of the same template share actors by
 * name (`agent-0` of two groups is one actor), so traffic can be layered:
 * daily sessions plus a morning wake-up of the same agents.
 */
export async function openWorkload(scenario: Scenario, seed: number): Promise<WorkloadStream> {
  const actors = new ActorRegistry();
  const groups: StreamGroup[] = [];
  for (const [gi, group] of scenario.workload.entries()) {
    if (group.kind === 'model') {
      const t = templateOf(scenario, group.template);
      const global = Int32Array.from(actors.register(gi, actorNames(t.name, group.actors), t.name));
      // The work distribution is checked before the arrivals, so a bad template is named before a bad group.
      validateDistribution(t.work, 'Sampler');
      const plan = planArrivals(group.arrivals, { seed, stream: workloadStream(gi), durationMs: scenario.durationMs, actors: group.actors, firstActor: 0, work: t.work });
      groups.push(globalActors(plan, global));
    } else {
      const w = await importGroupTrace(scenario, seed, group.trace);
      // Per actor: a native trace's rows may name their template.
      const global = actors.register(gi, w.actorNames, w.actorTemplates);
      groups.push(traceGroup(w, global, scenario.durationMs));
    }
  }
  const size = groups.reduce((s, g) => s + g.size, 0);
  return {
    actorNames: actors.names,
    actorTemplates: actors.templates,
    size,
    open: () => mergeGroups(groups.map((g) => g.open())),
  };
}

/**
 * Workloads up to this many invocations are worth holding: replaying columns
 * costs nothing per arrival where a stream draws each one again (a few
 * hundred nanoseconds), and 5 million rows take about 100 MB.
 */
export const MATERIALISE_LIMIT = 5_000_000;

/**
 * The workload in the form that runs fastest within memory: the columns of
 * generateWorkload up to MATERIALISE_LIMIT invocations, the stream of
 * openWorkload beyond. The invocations are the same either way.
 */
export async function workloadFor(scenario: Scenario, seed: number): Promise<Workload | WorkloadStream> {
  const stream = await openWorkload(scenario, seed);
  return stream.size <= MATERIALISE_LIMIT ? materialise(stream) : stream;
}

/** Reads a stream into columns. */
export function materialise(stream: WorkloadStream): Workload {
  const n = stream.size;
  const out = { arrivalMs: new Float64Array(n), actor: new Int32Array(n), workMs: new Float64Array(n) };
  const c = stream.open();
  for (let k = 0; k < n && c.next(); k++) {
    out.arrivalMs[k] = c.arrivalMs;
    out.actor[k] = c.actor;
    out.workMs[k] = c.workMs;
  }
  return { actorNames: stream.actorNames, actorTemplates: stream.actorTemplates, ...out };
}

/** A group's plan with its actors renumbered to the workload's. */
function globalActors(plan: ArrivalPlan, global: Int32Array): StreamGroup {
  // The first group's actors usually are the workload's first ones, in order: its stream is then used as
  // it is, which spares every arrival a load from a random place of `global` (a million entries at scale).
  let identity = true;
  for (let i = 0; i < global.length && identity; i++) identity = global[i] === i;
  if (identity) return plan;
  return {
    size: plan.size,
    open(): ArrivalStream {
      const s = plan.open();
      const cursor = {
        arrivalMs: 0,
        actor: 0,
        workMs: 0,
        next(): boolean {
          if (!s.next()) return false;
          cursor.arrivalMs = s.arrivalMs;
          cursor.actor = global[s.actor]!;
          cursor.workMs = s.workMs;
          return true;
        },
      };
      return cursor;
    },
  };
}

/** An imported trace's rows before the end of the run. */
function traceGroup(w: Workload, global: readonly number[], durationMs: number): StreamGroup {
  let size = 0;
  for (let k = 0; k < w.arrivalMs.length; k++) if (w.arrivalMs[k]! < durationMs) size += 1;
  return {
    size,
    open(): ArrivalStream {
      let k = -1;
      const cursor = {
        arrivalMs: 0,
        actor: 0,
        workMs: 0,
        next(): boolean {
          for (k += 1; k < w.arrivalMs.length; k += 1) {
            const at = w.arrivalMs[k]!;
            if (!(at < durationMs)) continue;
            cursor.arrivalMs = at;
            cursor.actor = global[w.actor[k]!]!;
            cursor.workMs = w.workMs[k]!;
            return true;
          }
          return false;
        },
      };
      return cursor;
    },
  };
}

/** Merges groups' streams by arrival, ties to the lower group. */
function mergeGroups(streams: ArrivalStream[]): ArrivalCursor {
  if (streams.length === 1) return streams[0]!;
  const live = streams.map((s) => s.next());
  const cursor = {
    arrivalMs: 0,
    actor: 0,
    workMs: 0,
    next(): boolean {
      let best = -1;
      for (let g = 0; g < streams.length; g++) {
        if (!live[g]) continue;
        if (best < 0 || streams[g]!.arrivalMs < streams[best]!.arrivalMs) best = g;
      }
      if (best < 0) return false;
      const s = streams[best]!;
      cursor.arrivalMs = s.arrivalMs;
      cursor.actor = s.actor;
      cursor.workMs = s.workMs;
      live[best] = s.next();
      return true;
    },
  };
  return cursor;
}

async function importGroupTrace(scenario: Scenario, seed: number, spec: TraceSpec): Promise<Workload> {
  const t = templateOf(scenario, spec.template);
  const imported = await importTrace({
    format: spec.format,
    files: [...spec.files],
    ...(spec.durations === undefined ? {} : { durationFiles: [...spec.durations] }),
    ...(spec.memory === undefined ? {} : { memoryFiles: [...spec.memory] }),
    template: t.name,
    defaultWork: t.work,
    actorBy: spec.actorBy,
    spread: spec.spread,
    ...(spec.sample === undefined ? {} : { sample: spec.sample }),
    ...(spec.window === undefined ? {} : { window: spec.window }),
    compression: spec.compression,
    templates: scenario.templates.map((x) => x.name),
    seed,
  });
  return imported.workload;
}
