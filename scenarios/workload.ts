import { makeRng, type Rng } from './rng.ts';
import { Sampler, sampleExponential, sampleStandardNormal } from './distributions.ts';
import type { Scenario, SessionWorkload, PoissonWorkload } from './scenario.ts';

/**
 * A generated workload, as columns sorted by arrival time (ties by actor
 * order, then turn order), so every policy set replays exactly the same
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

/** Generates the scenario's workload from the `workload` stream of `seed`. */
export function generateWorkload(scenario: Scenario, seed: number): Workload {
  const rng = makeRng(seed, 'workload');
  const spec = scenario.workload;
  const template = scenario.templates.find((t) => t.name === spec.template);
  if (template === undefined) throw new Error(`workload.template: unknown template "${spec.template}"`);
  const work = new Sampler(template.work, rng);
  const rows =
    spec.kind === 'sessions'
      ? sessions(spec, scenario.durationMs, rng, work)
      : poisson(spec, scenario.durationMs, rng, work);
  const order = rows.arrival.map((_, i) => i);
  // Stable: equal times keep generation order (actor, then turn).
  order.sort((i, j) => rows.arrival[i]! - rows.arrival[j]!);
  const n = order.length;
  const arrivalMs = new Float64Array(n);
  const actor = new Int32Array(n);
  const workMs = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    arrivalMs[k] = rows.arrival[i]!;
    actor[k] = rows.actor[i]!;
    workMs[k] = rows.work[i]!;
  }
  const names = Array.from({ length: spec.actors }, (_, i) => `${spec.template}-${String(i).padStart(String(spec.actors - 1).length, '0')}`);
  return { actorNames: names, actorTemplates: names.map(() => spec.template), arrivalMs, actor, workMs };
}

interface Rows {
  arrival: number[];
  actor: number[];
  work: number[];
}

/**
 * Agent sessions. Session starts follow a non-homogeneous Poisson process per
 * agent, rate(t) = base * (1 + a*cos(2*pi*(t - peak)/period)) with
 * a = (r - 1)/(r + 1) for a peak-to-trough ratio r, drawn by thinning (Lewis
 * and Shedler). Turns are open-loop: the next turn arrives after this turn's
 * work plus think time, whatever the latency, so that every policy set sees
 * the same arrivals.
 */
function sessions(spec: SessionWorkload, durationMs: number, rng: Rng, work: Sampler): Rows {
  const rows: Rows = { arrival: [], actor: [], work: [] };
  const think = new Sampler(spec.think, rng);
  const a = (spec.peakToTrough - 1) / (spec.peakToTrough + 1);
  const dayMs = 86_400_000;
  const pExtra = spec.meanExtraTurns / (1 + spec.meanExtraTurns); // geometric on {0,1,..} with this mean
  for (let actor = 0; actor < spec.actors; actor++) {
    const perDay = spec.sessionsPerDay.median * Math.exp(spec.sessionsPerDay.sigma * sampleStandardNormal(rng));
    const baseRatePerMs = perDay / dayMs;
    const maxRatePerMs = baseRatePerMs * (1 + a);
    if (maxRatePerMs <= 0) continue;
    let t = 0;
    for (;;) {
      t += sampleExponential(rng, 1 / maxRatePerMs);
      if (t >= durationMs) break;
      const rate = baseRatePerMs * (1 + a * Math.cos((2 * Math.PI * (t - spec.peakAtMs)) / spec.periodMs));
      if (rng() * maxRatePerMs > rate) continue;
      let turnAt = t;
      for (;;) {
        const w = work.sample();
        rows.arrival.push(turnAt);
        rows.actor.push(actor);
        rows.work.push(w);
        if (rng() >= pExtra) break;
        turnAt += w + think.sample();
        if (turnAt >= durationMs) break;
      }
    }
  }
  return rows;
}

/** Poisson arrivals at a total rate, each to a uniformly chosen actor. */
function poisson(spec: PoissonWorkload, durationMs: number, rng: Rng, work: Sampler): Rows {
  const rows: Rows = { arrival: [], actor: [], work: [] };
  const meanGapMs = 1000 / spec.ratePerSec;
  let t = sampleExponential(rng, meanGapMs);
  while (t < durationMs) {
    rows.arrival.push(t);
    rows.actor.push(Math.min(spec.actors - 1, Math.floor(rng() * spec.actors)));
    rows.work.push(work.sample());
    t += sampleExponential(rng, meanGapMs);
  }
  return rows;
}
