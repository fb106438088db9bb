import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { loadScenarioFile } from '../scenarios/load.ts';
import { ScenarioError } from '../scenarios/errors.ts';
import type { Scenario, Slo } from '../scenarios/scenario.ts';
import { formatDuration, parseDuration } from '../scenarios/units.ts';
import { checkReportDir, invocationsCsvChunks, summaries, summaryCsv, writeReport, type ReportFile } from '../reports/write.ts';
import { expectedModelInvocations, runBoundProblems } from '../scenarios/bounds.ts';
import { availableParallelism } from 'node:os';
import { renderMarkdownSummary } from '../reports/markdown.ts';
import { answerLine, wrapAnswer } from '../reports/answer.ts';
import { costModel } from '../reports/cost.ts';
import { parseSloFlag } from '../reports/slo-flag.ts';
import { TIMESERIES_COLUMNS } from '../reports/summary.ts';
import { MEASURED_COLUMNS, measuredRows } from '../reports/measured.ts';
import { primitiveLogCsv } from '../reports/primitive-log.ts';
import { noPrimitives, type SimPrimitives, type SimResult } from './runtime.ts';
import { failureClassesText } from './worker-view.ts';
import { aggregateCsv, aggregateRows } from '../reports/aggregate.ts';
import { summaryTable, TERMINAL_WIDTH } from '../reports/terminal.ts';
import { defaultJobs, runStudy, type StudyOutcome } from './study-runner.ts';
import { createStudyProgress, type ProgressStream } from './study-progress.ts';
import { applyScenarioOverrides, scenarioSha256, type ScenarioOverrides } from './study-scenario.ts';
import { UsageError } from '../cli/usage-error.ts';
import { COSTS_SCALE_RANGE } from '../scenarios/costs-scale.ts';
import { flagValue, listValue, nonNegativeInt, positiveInt, positiveNumber, positiveValue, readFlags } from '../cli/flags.ts';
import { workerCpuValue } from '../scenarios/cpu-flag.ts';
import { packageVersion, type Io as CommandIo } from '../cli/io.ts';
import { EXIT_INTERRUPTED } from '../cli/exit.ts';
import { boundedInvocations, parseInvocationsOption, type InvocationsOption } from './invocation-sample.ts';
import { MAX_KEPT_INVOCATIONS } from '../scenarios/limits.ts';
import { parseSizeFlag, SIZING_PATHS, type SizeSpec } from './sizing-knob.ts';
import { DEFAULT_MAX_PROBES, runSizing } from './sizing.ts';
import { sizingCsv, sizingText, type SizingReport } from '../reports/sizing.ts';
import { simulateHelp } from './simulate-help.ts';
import { DEFAULT_SCENARIO_FILE } from './simulate-list.ts';
import { K8S_STUDY_FLAG_OPTIONS, k8sStudyFlagsFrom, type K8sStudyFlags } from './k8s-study-flags.ts';
import type { K8sStudyFacts } from './k8s-study.ts';

export { UsageError } from '../cli/usage-error.ts';


/**
 * Without --jobs, worker threads start only once the runs left are estimated
 * to take longer than this in one thread: starting one takes about half a
 * second of a core (tsx and the module graph), which the built-in scenario's
 * four runs of about 0.2 s each would not win back on a 2-core machine.
 */
const WORKERS_WORTH_MS = 2000;

export { DEFAULT_SCENARIO_FILE } from './simulate-list.ts';

/** Where `simulate` writes; injectable for tests. */
export interface Io extends CommandIo {
  /** Wall clock for run.json only; never reaches a simulation. */
  wallMs(): number;
  /** Where a progress bar may be drawn (stderr); it is drawn only if this is a terminal. */
  readonly progress?: ProgressStream;
}

/** Parsed options of `simulate`. */
export interface SimulateOptions {
  scenario: Scenario;
  scenarioSource: string;
  /** The command line's changes to the scenario file (worker threads apply them too). */
  overrides: ScenarioOverrides;
  /** Seeds every policy set runs with, in report order. */
  seeds: readonly number[];
  /** Threads at most; 1 runs in the main thread only. */
  jobs: number;
  /** Whether --jobs was given (else worker threads start only for a study big enough). */
  jobsGiven: boolean;
  outDir: string;
  /** Rows of invocations.csv: all, none, or an even sample (then outcomes are reduced to statistics as they come). */
  invocations: InvocationsOption;
  /** Why `invocations` is a sample the user did not ask for (the study would keep too many rows). */
  invocationsNote?: string;
  /** The latency goal of the report's recommendation: --slo, else the scenario's. */
  slo?: Slo;
  /** Interval of timeseries.csv in simulated time. */
  sampleEveryMs: number;
  /** --allow-outside: the scenario may read files outside its folder (worker threads load it so too). */
  allowOutside: boolean;
  /** --size: the knob and range to search (an SLO is then required). */
  size?: SizeSpec;
  /** --size-probes. */
  maxProbes: number;
  /** --backend k8s: the study as a Kubernetes Indexed Job (sim/k8s-study.ts); null: threads here. */
  k8s?: K8sStudyFlags | null;
}

function parseSeeds(text: string): number[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.every((s) => s.length === 0)) throw new UsageError('--seeds: empty list');
  const seeds = items.map((s) => nonNegativeInt(s, '--seeds'));
  const twice = seeds.find((x, i) => seeds.indexOf(x) !== i);
  if (twice !== undefined) throw new UsageError(`--seeds: seed ${twice} is listed twice`);
  return seeds;
}

function costsScaleValue(text: string): number {
  const f = positiveNumber(text, '--costs-scale');
  const [lo, hi] = COSTS_SCALE_RANGE;
  if (f < lo || f > hi) throw new UsageError(`--costs-scale: between ${lo} and ${hi} (every primitive's time is multiplied by it), got "${text}"`);
  return f;
}

/** Parses argv into options, or returns null for --help / --list (already printed). */
export function parseSimulateArgs(argv: readonly string[], io: Io): SimulateOptions | null {
  const v = readFlags(argv, {
    scenario: { type: 'string' },
    seed: { type: 'string' },
    seeds: { type: 'string' },
    jobs: { type: 'string' },
    out: { type: 'string' },
    policies: { type: 'string' },
    duration: { type: 'string' },
    invocations: { type: 'string' },
    primitives: { type: 'boolean' },
    slo: { type: 'string' },
    'sample-every': { type: 'string' },
    'allow-outside': { type: 'boolean' },
    size: { type: 'string' },
    'size-probes': { type: 'string' },
    'worker-cpu': { type: 'string' },
    'costs-scale': { type: 'string' },
    list: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
    ...K8S_STUDY_FLAG_OPTIONS,
  });
  if (v.help === true) {
    io.out(simulateHelp());
    return null;
  }
  // Flags first, so a bad flag is a usage error whatever the scenario.
  if (v.seed !== undefined && v.seeds !== undefined) throw new UsageError('--seed and --seeds: give one or the other');
  const flagSeeds = v.seeds !== undefined ? parseSeeds(v.seeds) : v.seed !== undefined ? [nonNegativeInt(v.seed, '--seed')] : undefined;
  const jobs = v.jobs === undefined ? defaultJobs() : positiveInt(v.jobs, '--jobs');
  const askedInvocations = flagValue(v.invocations ?? 'all', '--invocations', parseInvocationsOption);
  const durationMs = v.duration === undefined ? undefined : positiveValue(v.duration, '--duration', parseDuration);
  const sampleEveryMs = v['sample-every'] === undefined ? 60_000 : positiveValue(v['sample-every'], '--sample-every', parseDuration);
  const policies = v.policies === undefined ? undefined : listValue(v.policies);
  const workerCpuMilli = v['worker-cpu'] === undefined ? undefined : workerCpuValue(v['worker-cpu']);
  const costsScale = v['costs-scale'] === undefined ? undefined : costsScaleValue(v['costs-scale']);
  // A report folder that cannot take the report is said before the scenario is even read.
  if (v.out !== undefined && v.list !== true) checkReportDir(v.out);
  const maxProbes = v['size-probes'] === undefined ? DEFAULT_MAX_PROBES : positiveInt(v['size-probes'], '--size-probes');
  if (v['size-probes'] !== undefined && v.size === undefined) throw new UsageError('--size-probes: only with --size');
  const k8s = k8sStudyFlagsFrom(v);
  if (k8s && v.size !== undefined) throw new UsageError('--size: runs its probes on this machine; leave out --backend k8s (or run each probe as its own study)');

  const scenarioSource = v.scenario ?? DEFAULT_SCENARIO_FILE;
  const allowOutside = v['allow-outside'] === true;
  const loaded: Scenario = loadScenarioFile(scenarioSource, { allowOutside });
  if (v.list === true) {
    for (const p of loaded.policies) io.out(`${p.name}\n`);
    return null;
  }
  const overrides: ScenarioOverrides = {
    ...(durationMs === undefined ? {} : { durationMs }),
    ...(policies === undefined ? {} : { policies }),
    ...(workerCpuMilli === undefined ? {} : { workerCpuMilli }),
    ...(costsScale === undefined ? {} : { costsScale }),
  };
  const scenario = applyScenarioOverrides(loaded, overrides);
  const seeds = flagSeeds ?? scenario.seeds ?? [scenario.seed];
  const twice = seeds.find((x, i) => seeds.indexOf(x) !== i);
  if (twice !== undefined) throw new ScenarioError(scenarioSource, [`${scenarioSource} study.seeds: seed ${twice} is listed twice`]);
  // Seeds, runs, threads, samples and invocations within scenarios/limits.ts, before anything is allocated.
  const bounds = runBoundProblems({ scenario, seeds, ...(v.jobs === undefined ? {} : { jobs }), sampleEveryMs, cpus: availableParallelism() });
  if (bounds.length > 0) throw new UsageError(bounds.join('\n'));
  // Rows of invocations.csv held in memory until the report is written: bounded too.
  const kept = flagValue(v.invocations ?? 'all', '--invocations', (text) =>
    boundedInvocations(askedInvocations, v.invocations !== undefined, expectedModelInvocations(scenario), scenario.policies.length * seeds.length, MAX_KEPT_INVOCATIONS),
  );
  if (v.primitives === true && kept.option.kind !== 'all') {
    throw new UsageError(`--primitives: keeps every primitive as --invocations all keeps every invocation; ${kept.note ?? `--invocations is ${v.invocations}`}`);
  }
  const invocations: InvocationsOption = v.primitives === true ? { kind: 'all', primitives: true } : kept.option;
  const stamp = io.isoNow().replace(/[:.]/g, '-');
  const outDir = v.out ?? join('reports', 'runs', `${stamp}-${scenario.name}`);
  if (v.out === undefined) checkReportDir(outDir);
  const slo: Slo | undefined = v.slo === undefined ? scenario.slo : flagValue(v.slo, '--slo', parseSloFlag);
  const size = v.size === undefined ? undefined : parseSizeFlag(v.size, scenario.pools.map((p) => p.name));
  if (size !== undefined && slo === undefined) {
    throw new UsageError(`--size: no SLO to size against: ${scenarioSource} has no slo:, so give one, e.g. --slo p99=1s`);
  }
  return {
    scenario,
    scenarioSource,
    overrides,
    seeds,
    jobs,
    jobsGiven: v.jobs !== undefined,
    outDir,
    invocations,
    ...(kept.note === undefined ? {} : { invocationsNote: kept.note }),
    sampleEveryMs,
    allowOutside,
    maxProbes,
    k8s,
    ...(slo === undefined ? {} : { slo }),
    ...(size === undefined ? {} : { size }),
  };
}

/** The plain study: every policy set with every seed, with a progress bar on a terminal. */
/** Null: a k8s dry run (printed) or a Ctrl-C that deleted the Job; no report then. */
async function runPlainStudy(opts: SimulateOptions, io: Io, total: number): Promise<StudyOutcome | null> {
  const { scenario, seeds } = opts;
  const t0 = io.wallMs();
  // The k8s backend draws its own (indexes, not runs).
  const progress = createStudyProgress(opts.k8s ? undefined : io.progress, total);
  let study: StudyOutcome;
  if (opts.k8s) {
    const request = { scenarioFile: opts.scenarioSource, overrides: opts.overrides, scenario, seeds, sampleEveryMs: opts.sampleEveryMs, invocations: opts.invocations };
    const { runStudyOnK8s } = await import('./k8s-study.ts');
    const out = await runStudyOnK8s(request, opts.k8s, io);
    // Null: a dry run (printed), or Ctrl-C (the Job deleted; no report).
    if (out === null) return null;
    study = out;
  } else try {
    study = await runStudy(
      { scenarioFile: opts.scenarioSource, overrides: opts.overrides, scenario, seeds, sampleEveryMs: opts.sampleEveryMs, invocations: opts.invocations, allowOutside: opts.allowOutside },
      {
        jobs: opts.jobs,
        // With --jobs, N threads; without, worker threads only for a study big enough to gain from them.
        ...(opts.jobsGiven ? {} : { workersWorthMs: WORKERS_WORTH_MS }),
        clock: () => io.wallMs(),
        onRun: (run) => {
          if (progress.active) progress.tick();
          else io.err(`  ${run.result.policy} seed ${run.seed}: ${run.result.events} events in ${(run.wallMs / 1000).toFixed(2)} s${failedText(run.result.failedRequests)}\n`);
        },
      },
    );
  } finally {
    progress.stop();
  }
  if (progress.active) {
    const events = study.runs.reduce((s, r) => s + r.result.events, 0);
    io.err(`${total} run(s), ${events} events in ${((io.wallMs() - t0) / 1000).toFixed(1)} s\n`);
  }
  return study;
}

/** Runs `simulate` end to end; returns the exit code. */
export async function runSimulate(argv: readonly string[], io: Io): Promise<number> {
  const startedAt = io.isoNow();
  const opts = parseSimulateArgs(argv, io);
  if (opts === null) return 0;
  const { scenario, seeds } = opts;
  const total = scenario.policies.length * seeds.length;
  const threads = Math.min(opts.jobs, total);
  const how = opts.k8s ? `as a Kubernetes Indexed Job, ${opts.k8s.parallelism} pod(s) at once` : threads === 1 ? 'in this thread' : `${opts.jobsGiven ? '' : 'up to '}${threads} threads (this one and ${threads - 1} worker${threads > 2 ? 's' : ''})`;
  if (opts.invocationsNote !== undefined) io.err(`${opts.invocationsNote}\n`);
  if (opts.size === undefined) {
    io.err(`${scenario.name}: ${scenario.policies.length} policy set(s) x ${seeds.length} seed(s) = ${total} run(s) over ${formatDuration(scenario.durationMs)}, ${how}\n`);
  } else {
    const { knob, lo, hi } = opts.size;
    io.err(`${scenario.name}: sizing ${knob.path} in ${lo}..${hi} for ${scenario.policies.length} policy set(s) x ${seeds.length} seed(s) over ${formatDuration(scenario.durationMs)}, one round of probes at a time, ${how}\n`);
  }
  const t0 = io.wallMs();
  let study: StudyOutcome;
  let sizing: SizingReport | undefined;
  if (opts.size !== undefined) {
    const out = await runSizing(
      { scenarioFile: opts.scenarioSource, overrides: opts.overrides, scenario, seeds, size: opts.size, slo: opts.slo!, maxProbes: opts.maxProbes, sampleEveryMs: opts.sampleEveryMs, invocations: opts.invocations, allowOutside: opts.allowOutside },
      {
        jobs: opts.jobs,
        ...(opts.jobsGiven ? {} : { workersWorthMs: WORKERS_WORTH_MS }),
        clock: () => io.wallMs(),
        onRound: (round, probes) => io.err(`  sizing round ${round}: ${probes} probe(s) x ${seeds.length} seed(s)\n`),
      },
    );
    study = { runs: [...out.runs], workerThreads: out.workerThreads };
    sizing = out.report;
    io.err(`${out.probeRuns} probe run(s) in ${out.rounds} round(s)\n`);
  } else {
    const plain = await runPlainStudy(opts, io, total);
    if (plain === null) return opts.k8s?.dryRun === true ? 0 : EXIT_INTERRUPTED;
    study = plain;
  }
  const wallMs = io.wallMs() - t0;
  const runs = study.runs;
  const results = runs.map((r) => r.result);
  const rows = summaries(results, scenario.nodes);
  const events = results.reduce((s, r) => s + r.events, 0);
  const simWallMs = runs.reduce((s, r) => s + r.wallMs, 0);
  const workloadWallMs = runs.reduce((s, r) => s + r.workloadMs, 0);
  const firstOfSeed = new Map<number, number>();
  for (const r of runs) if (!firstOfSeed.has(r.seed)) firstOfSeed.set(r.seed, r.result.outcomes ?? r.result.replies.length);
  // Sized runs are named by their probe ("shared replicas=12"): run.json lists the policy sets that ran, as the report does.
  const ranPolicies = [...new Set(results.map((r) => r.policy))];
  const files: Record<string, ReportFile> = {
    'summary.csv': summaryCsv(rows),
    'timeseries.csv': stringify(
      results.flatMap((r) => r.samples.map((s) => [r.policy, s.timeMs, s.workers, s.resident, s.parked, r.seed])),
      { header: true, columns: [...TIMESERIES_COLUMNS] },
    ),
    'run.json': `${JSON.stringify(
      {
        kind: 'simulate',
        partial: false,
        scenario: { name: scenario.name, source: opts.scenarioSource, sha256: scenarioSha256(scenario) },
        warmupMs: scenario.warmupMs,
        // The one seed; null when there are several (see seeds).
        seed: seeds.length === 1 ? seeds[0] : null,
        seeds,
        durationMs: scenario.durationMs,
        // --costs-scale: every primitive's time was multiplied by this (absent: the profile as it is).
        ...(opts.overrides.costsScale === undefined ? {} : { costsScale: opts.overrides.costsScale }),
        // Per policy set, summed over the seeds.
        policies: ranPolicies.map((name) => {
          const mine = runs.filter((r) => r.result.policy === name);
          return { name, events: mine.reduce((s, r) => s + r.result.events, 0), wallMs: Math.round(mine.reduce((s, r) => s + r.wallMs, 0)) };
        }),
        ...(sizing === undefined ? {} : { sizing: { knob: sizing.path, lo: sizing.lo, hi: sizing.hi, maxProbes: sizing.maxProbes, probes: sizing.outcomes.reduce((n, o) => n + o.points.length, 0) } }),
        // One per (policy set, seed), in report order; wallMs is the simulation's, workloadMs the workload generation it waited for.
        // thread: 0 the main thread, n the n-th worker thread.
        runs: runs.map((r) => ({
          policy: r.result.policy,
          seed: r.seed,
          invocations: r.result.outcomes ?? r.result.replies.length,
          events: r.result.events,
          wallMs: Math.round(r.wallMs),
          workloadMs: Math.round(r.workloadMs),
          thread: r.thread,
          // With request timeouts (costs.requestTimeout): requests given up or refused, as the real run's run.json counts its failures.
          ...(r.result.failedRequests === undefined ? {} : { failedRequests: r.result.failedRequests }),
        })),
        // Invocations of each seed's workload, summed over the seeds.
        invocations: [...firstOfSeed.values()].reduce((s, n) => s + n, 0),
        jobs: opts.jobs,
        // --backend k8s only (so a local report is unchanged): the Job, its indexes and the pods that failed and were retried.
        ...(opts.k8s ? { backend: { name: 'k8s', ...pick(study as StudyOutcome & K8sStudyFacts) } } : {}),
        // Threads that ran: this one and the worker threads started.
        threads: 1 + study.workerThreads,
        wallTimeMs: Math.round(wallMs),
        // Summed over runs and threads, so with several threads they can exceed wallTimeMs.
        simWallMs: Math.round(simWallMs),
        workloadWallMs: Math.round(workloadWallMs),
        events,
        eventsPerSec: Math.round(events / Math.max(1e-9, wallMs / 1000)),
        startedAt,
        versions: { node: process.version, harness: packageVersion() },
      },
      null,
      2,
    )}\n`,
  };
  if (seeds.length > 1) files['aggregate.csv'] = aggregateCsv(aggregateRows(rows));
  const measured = simulatedMeasured(results);
  if (measured !== undefined) files['measured.csv'] = measured;
  // --primitives: each run's primitives whole, policy sets in report order (a policy set's seeds one after the other).
  if (results.length > 0 && results.every((r) => r.primitives?.log !== undefined)) {
    files['primitives.csv'] = primitiveLogCsv(results.map((r) => ({ policy: r.policy, seed: r.seed, records: r.primitives!.log! })));
  }
  if (opts.invocations.kind !== 'none') files['invocations.csv'] = invocationsCsvChunks(results); // written as rendered, never one string
  const model = costModel(scenario.prices);
  if (sizing !== undefined) files['sizing.csv'] = sizingCsv(sizing, model);
  const reportInput = {
    scenario: { name: scenario.name, description: scenario.description },
    seeds,
    rows,
    runs: results,
    ...(opts.slo === undefined ? {} : { slo: opts.slo }),
    ...(scenario.prices === undefined ? {} : { prices: scenario.prices }),
    policies: scenario.policies,
    ...(sizing === undefined ? {} : { sizing }),
  };
  // Loaded here, not at start-up: vega and vega-lite are most of the module graph, and
  // --help, --list and a bad flag answer without them (issue 15: start-up under 0.5 s).
  const { renderHtmlReport } = await import('../reports/html.ts');
  files['report.html'] = await renderHtmlReport(reportInput);
  files['summary.md'] = renderMarkdownSummary(reportInput);
  const dir = writeReport(opts.outDir, files);
  if (sizing !== undefined) io.out(`${sizingText(sizing, model)}\nEach policy set at its smallest value that meets the SLO (else the largest probed):\n`);
  if (seeds.length > 1) io.out(`Mean over ${seeds.length} seeds (${seeds.join(', ')}) ± half-width of the 95% confidence interval:\n`);
  io.out(`${summaryTable(rows, opts.slo)}\n`);
  io.out(`Report: ${dir}\n`);
  // The answer the user came for, last, where the eye lands.
  // Wrapped to the table's width: one line was up to 180 columns (issue 16); the words are summary.md's and report.html's.
  io.out(`${wrapAnswer(answerLine({ rows, model, policies: scenario.policies, ...(opts.slo === undefined ? {} : { slo: opts.slo }) }), TERMINAL_WIDTH)}\n`);
  return 0;
}

function pick(f: K8sStudyFacts): K8sStudyFacts {
  return { job: f.job, image: f.image, indexes: f.indexes, retries: f.retries };
}

/**
 * measured.csv of a simulation: each primitive's duration under the run's
 * simulated load, in the real driver's columns, so fidelity can set the two
 * side by side (a policy set's seeds pooled). Undefined when the runs kept no
 * durations (invocations.csv not kept whole).
 */
function simulatedMeasured(results: readonly SimResult[]): string | undefined {
  if (results.length === 0 || results.some((r) => r.primitives === undefined)) return undefined;
  const pooled = new Map<string, SimPrimitives>();
  // A loop, not push(...xs): a spread of a million arguments overflows the stack.
  const append = (to: number[], from: readonly number[]): void => {
    for (const x of from) to.push(x);
  };
  for (const r of results) {
    let into = pooled.get(r.policy);
    if (into === undefined) {
      into = noPrimitives();
      pooled.set(r.policy, into);
    }
    const p = r.primitives!;
    append(into.workerStartMs, p.workerStartMs);
    append(into.dispatchMs, p.dispatchMs);
    for (const k of ['cold', 'golden', 'local', 'external'] as const) append(into.restoreMs[k], p.restoreMs[k]);
    for (const k of ['local', 'external'] as const) append(into.checkpointMs[k], p.checkpointMs[k]);
  }
  const rows = [...pooled].flatMap(([policy, p]) => measuredRows({ policy, ...p, lagMs: [], memory: [] }));
  return stringify(rows, { header: true, columns: [...MEASURED_COLUMNS] });
}

/** "; failed requests: restore timeout 3, ..." as the real run's log says it, or nothing. */
function failedText(failed: Readonly<Record<string, number>> | undefined): string {
  const text = failureClassesText(failed);
  return text === '' ? '' : `; failed requests: ${text}`;
}
