import type { Scenario, Slo } from '../scenarios/scenario.ts';
import { UsageError } from '../cli/usage-error.ts';
import { summarize, type SummaryRow } from '../reports/summary.ts';
import { judgeProbe, monotoneWarnings, type SizingOutcome, type SizingPoint, type SizingReport } from '../reports/sizing.ts';
import { MAX_RUNS } from '../scenarios/limits.ts';
import type { InvocationsOption } from './invocation-sample.ts';
import { MonotoneSearch } from './sizing-search.ts';
import type { SizeSpec } from './sizing-knob.ts';
import { runStudy, type StudyOptions, type StudyRun } from './study-runner.ts';
import { applyScenarioOverrides, type ScenarioOverrides } from './study-scenario.ts';

// Defined beside the knobs so that the help text (sim/simulate-help.ts) needs no study code.
export { DEFAULT_MAX_PROBES } from './sizing-knob.ts';

/** What `simulate --size` searches. */
export interface SizingRequest {
  readonly scenarioFile: string;
  /** The command line's other changes (--duration, --policies). */
  readonly overrides: ScenarioOverrides;
  /** The scenario with `overrides` applied. */
  readonly scenario: Scenario;
  readonly seeds: readonly number[];
  readonly size: SizeSpec;
  readonly slo: Slo;
  readonly maxProbes: number;
  readonly sampleEveryMs: number;
  readonly invocations: InvocationsOption;
  /** --allow-outside, passed on to the worker threads that load the scenario again. */
  readonly allowOutside?: boolean;
}

/** What a sizing produced: the report of the search, and the runs of each policy set at its answer (or the closest value) for the usual report files. */
export interface SizingRunOutcome {
  readonly report: SizingReport;
  /** Per sized policy set, its runs (one per seed) at the smallest value that meets the SLO, else at the largest probed; in policy then seed order. */
  readonly runs: readonly StudyRun[];
  /** Every probe run's wall time, summed, and the rounds run. */
  readonly rounds: number;
  readonly probeRuns: number;
  /** Most worker threads any round started. */
  readonly workerThreads: number;
}

/**
 * Searches, for each policy set of the scenario, the smallest value of one
 * knob that meets the SLO across the seeds (reports/sizing.ts SIZING_RULE),
 * with a {@link MonotoneSearch} each. A round runs the next probe of every
 * policy set still searching, with every seed, as one parallel study.
 */
export async function runSizing(req: SizingRequest, options: StudyOptions & { readonly onRound?: (round: number, probes: number) => void } = {}): Promise<SizingRunOutcome> {
  const { knob, lo, hi } = req.size;
  const searches = new Map<string, MonotoneSearch>();
  const skipped = new Map<string, string>();
  for (const p of req.scenario.policies) {
    const set = knob.apply(p, lo);
    if ('skip' in set) skipped.set(p.name, set.skip);
    else searches.set(p.name, new MonotoneSearch(lo, hi, req.maxProbes));
  }
  if (searches.size === 0) {
    throw new UsageError(`--size: no policy set has ${knob.path}: ${[...skipped].map(([p, why]) => `${p} (${why})`).join(', ')}`);
  }
  if (searches.size * req.seeds.length * req.maxProbes > MAX_RUNS) {
    throw new UsageError(
      `--size: ${searches.size} policy set(s) x ${req.seeds.length} seed(s) x ${req.maxProbes} probes could take ${(searches.size * req.seeds.length * req.maxProbes).toLocaleString('en-US')} runs, over the limit of ${MAX_RUNS.toLocaleString('en-US')}; use fewer seeds, --policies or --size-probes`,
    );
  }
  const points = new Map<string, SizingPoint[]>([...searches.keys()].map((p) => [p, []]));
  // The runs kept for the report: per policy set, those at its smallest meeting value so far and at its largest value so far.
  const kept = new Map<string, { meet?: { value: number; runs: StudyRun[] }; top?: { value: number; runs: StudyRun[] } }>();
  let rounds = 0;
  let probeRuns = 0;
  let workerThreads = 0;
  for (;;) {
    const round: { policy: string; value: number }[] = [];
    for (const [policy, s] of searches) {
      const v = s.next();
      if (v !== undefined) round.push({ policy, value: v });
    }
    if (round.length === 0) break;
    rounds += 1;
    options.onRound?.(rounds, round.length);
    const overrides: ScenarioOverrides = { ...req.overrides, probes: { path: knob.path, points: round } };
    const scenario = applyScenarioOverrides(req.scenario, { probes: overrides.probes! });
    const study = await runStudy({ scenarioFile: req.scenarioFile, overrides, scenario, seeds: req.seeds, sampleEveryMs: req.sampleEveryMs, invocations: req.invocations, allowOutside: req.allowOutside === true }, options);
    probeRuns += study.runs.length;
    workerThreads = Math.max(workerThreads, study.workerThreads);
    round.forEach(({ policy, value }, i) => {
      const runs = study.runs.filter((r) => r.policyIndex === i);
      const rows: SummaryRow[] = runs.map((r) => summarize(r.result));
      const { checks, meets } = judgeProbe(rows, req.slo);
      const search = searches.get(policy)!;
      search.record(value, meets);
      points.get(policy)!.push({ value, probe: search.probed, rows, checks, meets });
      const k = kept.get(policy) ?? {};
      if (meets && (k.meet === undefined || value < k.meet.value)) k.meet = { value, runs };
      if (k.top === undefined || value > k.top.value) k.top = { value, runs };
      // Only what the report may still use stays in memory.
      if (k.meet !== undefined && k.top !== undefined && k.top.value > k.meet.value) delete k.top;
      kept.set(policy, k);
    });
  }
  const outcomes: SizingOutcome[] = [];
  const runs: StudyRun[] = [];
  for (const p of req.scenario.policies) {
    const why = skipped.get(p.name);
    if (why !== undefined) {
      outcomes.push({ policy: p.name, status: 'skipped', reason: why, points: [], warnings: [] });
      continue;
    }
    const result = searches.get(p.name)!.result();
    const sorted = [...points.get(p.name)!].sort((a, b) => a.value - b.value);
    const warnings = monotoneWarnings(sorted, knob.unit);
    outcomes.push({ policy: p.name, status: result.kind, ...(result.value === undefined ? {} : { value: result.value }), points: sorted, warnings });
    const k = kept.get(p.name)!;
    const chosen = k.meet ?? k.top!;
    // Their policy is already the probe's name ("shared-p2c replicas=12"), which the report shows.
    runs.push(...chosen.runs);
  }
  return { report: { path: knob.path, unit: knob.unit, lo, hi, seeds: req.seeds, slo: req.slo, maxProbes: req.maxProbes, outcomes }, runs, rounds, probeRuns, workerThreads };
}
