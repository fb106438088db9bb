import { makeRng } from './rng.ts';
import { Sampler } from './distributions.ts';
import { generateArrivals } from './arrivals/index.ts';
import { importTrace } from './traces/index.ts';
import type { Scenario, ScenarioTemplate, WorkloadGroup } from './scenario.ts';

/**
 * A generated workload, as columns sorted by arrival time (ties by group,
 * then generation order), so every policy set replays exactly the same
 * invocations.
 */
export interface Workload {
  readonly actorNames: readonly string[];
  readonly actorTemplates: readonly string[];
  readonly arrivalMs: Float64Array;
  readonly actor: Int32Array;
  readonly workMs: Float64Array;
}

/** Number of invocations in a workload. */
export function workloadSize(w: Workload): number {
  return w.arrivalMs.length;
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

/**
 * Generates the scenario's workload: arrival models from their seeded
 * streams, traces read from disk (streamed). Groups of the same template
 * share actors by name (`agent-0` of two groups is one actor), so traffic can
 * be layered: daily sessions plus a morning wake-up of the same agents.
 */
export async function generateWorkload(scenario: Scenario, seed: number): Promise<Workload> {
  const names: string[] = [];
  const templates: string[] = [];
  const index = new Map<string, number>();
  const arrival: number[] = [];
  const actor: number[] = [];
  const work: number[] = [];
  for (const [gi, group] of scenario.workload.entries()) {
    await addGroup(scenario, seed, gi, group, (a, i, w) => {
      arrival.push(a);
      actor.push(i);
      work.push(w);
    }, (groupNames, template) => {
      // Map the group's local actor numbers to global indices, creating actors on first sight.
      return groupNames.map((n) => {
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
    });
  }
  const order = arrival.map((_, i) => i);
  order.sort((i, j) => arrival[i]! - arrival[j]!); // stable: ties keep group and generation order
  const n = order.length;
  const out = { arrivalMs: new Float64Array(n), actor: new Int32Array(n), workMs: new Float64Array(n) };
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    out.arrivalMs[k] = arrival[i]!;
    out.actor[k] = actor[i]!;
    out.workMs[k] = work[i]!;
  }
  return { actorNames: names, actorTemplates: templates, ...out };
}

async function addGroup(
  scenario: Scenario,
  seed: number,
  gi: number,
  group: WorkloadGroup,
  emit: (arrivalMs: number, actor: number, workMs: number) => void,
  register: (names: readonly string[], template: string) => number[],
): Promise<void> {
  if (group.kind === 'model') {
    const rng = makeRng(seed, workloadStream(gi));
    const t = templateOf(scenario, group.template);
    const work = new Sampler(t.work, rng);
    const global = register(actorNames(t.name, group.actors), t.name);
    generateArrivals(
      group.arrivals,
      { rng, durationMs: scenario.durationMs, actors: group.actors, firstActor: 0, work: () => work.sample() },
      (a, i, w) => emit(a, global[i]!, w),
    );
    return;
  }
  const spec = group.trace;
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
    seed,
  });
  const w = imported.workload;
  const global = register(w.actorNames, t.name);
  for (let k = 0; k < w.arrivalMs.length; k++) {
    const at = w.arrivalMs[k]!;
    if (at < scenario.durationMs) emit(at, global[w.actor[k]!]!, w.workMs[k]!);
  }
}
