// Failed requests of both halves side by side (issue 18): the real run's
// run.json counts each class of failed restore, execute and checkpoint request
// (real/driver.ts), and since request timeouts are simulated the simulation's
// run.json counts the requests it gave up or had refused in the same classes.
// At a saturated peak the two can part ways there first.

import { failureClassesText } from '../sim/worker-view.ts';

/** Class ("restore timeout") to count, per policy set, from a real run's run.json (`policies[].failures`). */
export function realFailures(runJson: unknown): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  const policies = (runJson as { policies?: unknown } | null)?.policies;
  if (!Array.isArray(policies)) return out;
  for (const p of policies as { name?: unknown; failures?: unknown }[]) {
    if (typeof p.name === 'string' && typeof p.failures === 'object' && p.failures !== null) out.set(p.name, counts(p.failures));
  }
  return out;
}

/** The same from a simulation's run.json (`runs[].failedRequests`, summed over the seeds); absent where timeouts are not simulated. */
export function simFailures(runJson: unknown): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  const runs = (runJson as { runs?: unknown } | null)?.runs;
  if (!Array.isArray(runs)) return out;
  for (const r of runs as { policy?: unknown; failedRequests?: unknown }[]) {
    if (typeof r.policy !== 'string' || typeof r.failedRequests !== 'object' || r.failedRequests === null) continue;
    const sum = out.get(r.policy) ?? {};
    for (const [k, n] of Object.entries(counts(r.failedRequests))) sum[k] = (sum[k] ?? 0) + n;
    out.set(r.policy, sum);
  }
  return out;
}

function counts(x: object): Record<string, number> {
  return Object.fromEntries(Object.entries(x).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1])));
}

const text = (c: Record<string, number> | undefined): string => failureClassesText(c) || 'none';

/**
 * The caveat line of a policy set, or undefined when neither half failed a
 * request; where the profile has no requestTimeout it says the simulation
 * gives no request up.
 */
export function failuresNote(policy: string, real: Record<string, number> | undefined, sim: Record<string, number> | undefined, simulated: boolean): string | undefined {
  const any = (c: Record<string, number> | undefined): boolean => Object.values(c ?? {}).some((n) => n > 0);
  if (!any(real) && !any(sim)) return undefined;
  return `Failed requests, ${policy}: real ${text(real)}; ${simulated ? `simulated ${text(sim)}` : 'the simulation gives no request up (its profile has no requestTimeout)'}.`;
}
