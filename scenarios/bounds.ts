import type { ArrivalSpec } from './arrivals/index.ts';
import type { Scenario } from './scenario.ts';
import { formatDuration } from './units.ts';
import { MAX_INVOCATIONS, MAX_RUNS, MAX_SEEDS, MAX_TICKS_PER_RUN, MAX_JOBS_FLOOR } from './limits.ts';

/** Checks of a scenario and a run against the bounds in limits.ts, and the real worker's rules mirrored. */
/**
 * The rule real workers apply to an actor id (real/worker/requests.ts,
 * real/store/keys.ts), mirrored here so a scenario is refused before a real
 * run rather than by 400s on every restore: 1-256 characters of
 * `[A-Za-z0-9._-]`, not `.`, without `..` anywhere.
 */
export const MAX_ACTOR_ID_CHARS = 256;
const ACTOR_ID = /^[A-Za-z0-9._-]+$/;
/** Largest actor memory a real worker takes: a region is one Buffer (real/worker/requests.ts). */
export const MAX_WORKER_ACTOR_MEMORY_MIB = 4095;

/** Why a real worker would refuse `id` as an actor id, or null if it accepts it. Never quotes the id. */
export function actorIdProblem(id: string): string | null {
  if (id.length === 0) return 'is empty';
  if (id.length > MAX_ACTOR_ID_CHARS) return `is ${id.length} characters long, more than ${MAX_ACTOR_ID_CHARS}`;
  if (!ACTOR_ID.test(id)) {
    const bad = [...id].find((c) => !/[A-Za-z0-9._-]/.test(c))!;
    const cp = bad.codePointAt(0)!;
    const shown = cp >= 0x21 && cp <= 0x7e ? `"${bad}"` : `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
    return `holds ${shown}: a real worker takes only letters, digits, ".", "_" and "-"`;
  }
  if (id === '.' || id.includes('..')) return 'holds "..": a real worker refuses it';
  return null;
}

/**
 * Checks the actors of a generated workload against the real workers' rules
 * (actor ids, template memory): the problems, at most `limit` of them and one
 * line each, naming the actor by its index and template, not by its id (which
 * may be anything a trace held). Empty when a real run can take the workload.
 */
export function workerWorkloadProblems(
  source: string,
  workload: { readonly actorNames: readonly string[]; readonly actorTemplates: readonly string[] },
  templates: readonly { readonly name: string; readonly memoryMiB: number }[],
  limit = 10,
): string[] {
  const out: string[] = [];
  for (const t of templates) {
    if (!(t.memoryMiB > 0 && t.memoryMiB <= MAX_WORKER_ACTOR_MEMORY_MIB)) {
      out.push(`${source}:1:1 templates: template "${t.name}" has ${t.memoryMiB} MiB of memory; a real worker takes (0, ${MAX_WORKER_ACTOR_MEMORY_MIB}] MiB`);
    }
  }
  let refused = 0;
  for (let i = 0; i < workload.actorNames.length; i++) {
    const why = actorIdProblem(workload.actorNames[i]!);
    if (why === null) continue;
    refused += 1;
    if (refused <= limit) out.push(`${source}:1:1 workload: actor ${i} (template "${workload.actorTemplates[i]}") has an id that ${why}`);
  }
  if (refused > limit) out.push(`${source}:1:1 workload: ${refused - limit} more actor(s) with ids a real worker refuses`);
  return out;
}

// Standard normal CDF by the complementary error function (Numerical Recipes' erfcc, |error| < 1.2e-7).
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const erfc =
    t *
    Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/** E[min(X, cap)] of X lognormal with this median and sigma: the mean of a capped per-actor rate. */
function cappedLognormalMean(median: number, sigma: number, cap: number): number {
  if (!(median > 0)) return 0;
  if (sigma === 0) return Math.min(median, cap);
  const mu = Math.log(median);
  const c = Math.log(cap);
  const below = Math.exp(mu + (sigma * sigma) / 2) * normalCdf((c - mu - sigma * sigma) / sigma);
  return below + cap * (1 - normalCdf((c - mu) / sigma));
}

/**
 * The number of invocations a model group is expected to generate over
 * `durationMs`: its mean rate times its actors times the duration (a
 * synchronized group: its actors times its rounds). Computed from the spec
 * alone, without drawing anything; Infinity when the spec's numbers overflow.
 */
export function expectedInvocations(spec: ArrivalSpec, actors: number, durationMs: number): number {
  const hours = durationMs / 3_600_000;
  switch (spec.kind) {
    case 'poisson':
      return spec.ratePerSec * (spec.perActor ? actors : 1) * (durationMs / 1000);
    case 'diurnal':
      return spec.ratePerHour * actors * hours;
    case 'onoff': {
      const on = spec.meanOnMs + spec.meanOffMs > 0 ? spec.meanOnMs / (spec.meanOnMs + spec.meanOffMs) : 1;
      return (spec.onRatePerMin * on + spec.offRatePerMin * (1 - on)) * actors * (durationMs / 60_000);
    }
    case 'sessions': {
      const perDay = spec.sessionsPerDay.median * Math.exp((spec.sessionsPerDay.sigma * spec.sessionsPerDay.sigma) / 2);
      return perDay * (durationMs / 86_400_000) * actors * (1 + spec.meanExtraTurns);
    }
    case 'heavy-tailed':
      return cappedLognormalMean(spec.medianRatePerHour, spec.sigma, spec.maxRatePerHour) * actors * hours;
    case 'synchronized': {
      if (spec.atMs >= durationMs) return 0;
      const woken = Math.min(actors, spec.count ?? actors);
      const rounds = spec.repeatEveryMs === undefined || !(spec.repeatEveryMs > 0) ? 1 : Math.floor((durationMs - spec.atMs) / spec.repeatEveryMs) + 1;
      return woken * rounds;
    }
  }
}

/** Invocations the model groups of a workload are expected to generate over the scenario's duration (traces not counted). */
export function expectedModelInvocations(scenario: Pick<Scenario, 'durationMs' | 'workload'>): number {
  let expected = 0;
  for (const g of scenario.workload) if (g.kind === 'model') expected += expectedInvocations(g.arrivals, g.actors, scenario.durationMs);
  return expected;
}

/** A count as "1,234,567" (fixed locale: the same message on every machine). */
export function countText(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'infinitely many';
}

/** What a run asks for beyond the scenario: the flags of simulate and bench. */
export interface RunRequest {
  /** The scenario as it will run (after --duration and --policies). */
  readonly scenario: Pick<Scenario, 'durationMs' | 'policies' | 'workload'>;
  /** The seeds it runs with. */
  readonly seeds: readonly number[];
  /** Threads asked for (--jobs); absent when the command has none. */
  readonly jobs?: number;
  /** Interval of timeseries.csv in scenario time (--sample-every). */
  readonly sampleEveryMs?: number;
  /** The machine's cpus (os.availableParallelism()). */
  readonly cpus: number;
}

/** Largest --jobs on a machine with `cpus` cpus. */
export function maxJobs(cpus: number): number {
  return Math.max(MAX_JOBS_FLOOR, Math.floor(cpus));
}

/**
 * Checks the bounds a run's flags can break (seeds, runs, threads, sample
 * interval, and the workload's invocations again, since --duration may have
 * changed the duration): one line per problem, naming the flag; empty when
 * the run may start. Nothing is generated or allocated.
 */
export function runBoundProblems(r: RunRequest): string[] {
  const out: string[] = [];
  if (r.seeds.length > MAX_SEEDS) out.push(`--seeds: ${countText(r.seeds.length)} seeds, more than ${countText(MAX_SEEDS)}`);
  const runs = r.scenario.policies.length * r.seeds.length;
  if (runs > MAX_RUNS) {
    out.push(`${r.scenario.policies.length} policy set(s) x ${r.seeds.length} seed(s) = ${countText(runs)} runs, more than ${countText(MAX_RUNS)}: narrow the study or the seeds`);
  }
  if (r.jobs !== undefined && r.jobs > maxJobs(r.cpus)) out.push(`--jobs: ${r.jobs} threads, more than ${maxJobs(r.cpus)} (the larger of ${MAX_JOBS_FLOOR} and this machine's ${r.cpus} cpus)`);
  if (r.sampleEveryMs !== undefined) {
    const ticks = r.scenario.durationMs / r.sampleEveryMs;
    if (!(ticks <= MAX_TICKS_PER_RUN)) {
      out.push(
        `--sample-every: ${formatDuration(r.sampleEveryMs)} over ${formatDuration(r.scenario.durationMs)} is ${countText(ticks)} samples per run, more than ${countText(MAX_TICKS_PER_RUN)}; ` +
          `use at least ${formatDuration(r.scenario.durationMs / MAX_TICKS_PER_RUN)}`,
      );
    }
  }
  const expected = expectedModelInvocations(r.scenario);
  if (!(expected <= MAX_INVOCATIONS)) {
    out.push(`workload: about ${countText(expected)} invocations over ${formatDuration(r.scenario.durationMs)}, more than ${countText(MAX_INVOCATIONS)}: lower the rates, the actors or the duration`);
  }
  return out;
}
