import { createHash } from 'node:crypto';
import type { Scenario } from '../scenarios/scenario.ts';
import { scaleCosts } from '../scenarios/costs-scale.ts';
import { UsageError } from '../cli/usage-error.ts';
import { applySizingProbes, type SizingProbes } from './sizing-knob.ts';

/**
 * What the command line changes in a scenario file: plain data, so a study
 * worker thread can load the file and apply the same changes itself.
 */
export interface ScenarioOverrides {
  /** --duration, in milliseconds. */
  readonly durationMs?: number;
  /** --policies: the policy sets to keep, in this order. */
  readonly policies?: readonly string[];
  /**
   * --worker-cpu, in millicores: the worker cpu of every pool that gives one,
   * as bench:cluster --backend k8s --worker-cpu sets its pods' cpu limit.
   */
  readonly workerCpuMilli?: number;
  /** --size: one round of probes, each policy set at one value of the knob (applied after --policies). */
  readonly probes?: SizingProbes;
  /** --costs-scale: every primitive of the cost model takes this many times as long (scenarios/costs-scale.ts). */
  readonly costsScale?: number;
}

/** Applies command-line overrides to a loaded scenario; an unknown policy set is a UsageError. */
export function applyScenarioOverrides(scenario: Scenario, overrides: ScenarioOverrides): Scenario {
  let s = scenario;
  if (overrides.durationMs !== undefined) s = { ...s, durationMs: overrides.durationMs };
  const wanted = overrides.policies;
  if (wanted !== undefined) {
    if (wanted.length === 0) throw new UsageError('--policies: empty list');
    const known = new Map(s.policies.map((p) => [p.name, p]));
    const unknown = wanted.filter((w) => !known.has(w));
    if (unknown.length > 0) {
      throw new UsageError(`--policies: unknown policy set(s) ${unknown.map((u) => `"${u}"`).join(', ')} (known: ${[...known.keys()].join(', ')})`);
    }
    s = { ...s, policies: wanted.map((w) => known.get(w)!) };
  }
  const cpu = overrides.workerCpuMilli;
  if (cpu !== undefined) s = { ...s, pools: s.pools.map((p) => (p.workerCpuMilli === undefined ? p : { ...p, workerCpuMilli: cpu })) };
  if (overrides.probes !== undefined) s = applySizingProbes(s, overrides.probes);
  if (overrides.costsScale !== undefined) s = { ...s, costs: scaleCosts(s.costs, overrides.costsScale) };
  return s;
}

/** The sha256 of a scenario as resolved (run.json's, and how a study worker checks it loaded the same scenario). */
export function scenarioSha256(scenario: Scenario): string {
  return createHash('sha256').update(JSON.stringify(scenario)).digest('hex');
}
