import type { IdlePolicySpec } from '../core/types.ts';
import type { PolicySet, Scenario } from '../scenarios/scenario.ts';
import type { Workload } from '../scenarios/workload.ts';

/**
 * Time compression for real runs: a scenario and its workload with the
 * durations that pace the traffic divided by `speedup` (arrivals, work,
 * think time, idle TTLs, idle stops, warm-up), so that a simulated day
 * replays in minutes. What the runtime does for real (a pod start, a
 * restore, a checkpoint) is not compressible and keeps its measured time;
 * that is the point of measuring it. For the same reason the parking budget
 * is not compressed: it bounds a wait on those real primitives, and a 5 s
 * budget squeezed to 14 ms would reject every resume. Reports of a
 * compressed run are in compressed time, and run.json records the factor.
 */
export function compressScenario(scenario: Scenario, speedup: number): Scenario {
  if (!(speedup > 0) || !Number.isFinite(speedup)) throw new Error(`speedup must be a positive number, got ${speedup}`);
  if (speedup === 1) return scenario;
  const k = 1 / speedup;
  const idle = (i: IdlePolicySpec): IdlePolicySpec => (i.kind === 'ttl' ? { ...i, ttlMs: i.ttlMs * k } : i);
  const policy = (p: PolicySet): PolicySet => ({
    ...p,
    idle: idle(p.idle),
    pools: Object.fromEntries(
      Object.entries(p.pools).map(([name, setup]) => [
        name,
        setup.dedicated === undefined ? setup : { ...setup, dedicated: { ...setup.dedicated, idleStopMs: setup.dedicated.idleStopMs * k } },
      ]),
    ),
  });
  return {
    ...scenario,
    durationMs: scenario.durationMs * k,
    warmupMs: scenario.warmupMs * k,
    ...(scenario.drainMs === undefined ? {} : { drainMs: scenario.drainMs * k }),
    policies: scenario.policies.map(policy),
  };
}

/** The workload with arrival times and work divided by `speedup`. */
export function compressWorkload(workload: Workload, speedup: number): Workload {
  if (speedup === 1) return workload;
  const k = 1 / speedup;
  return {
    ...workload,
    arrivalMs: workload.arrivalMs.map((t) => t * k),
    workMs: workload.workMs.map((w) => w * k),
  };
}
