import { join } from 'node:path';
import Table from 'cli-table3';
import { stringify } from 'csv-stringify/sync';
import { fileURLToPath } from 'node:url';
import { loadScenarioFile } from '../scenarios/load.ts';
import { ScenarioError } from '../scenarios/errors.ts';
import type { Scenario, Slo } from '../scenarios/scenario.ts';
import { formatDuration, parseDuration } from '../scenarios/units.ts';
import { invocationsCsv, summaries, summaryCsv, writeReport } from '../reports/write.ts';
import { renderHtmlReport } from '../reports/html.ts';
import { renderMarkdownSummary } from '../reports/markdown.ts';
import { answerLine } from '../reports/answer.ts';
import { costModel } from '../reports/cost.ts';
import { parseSloFlag } from '../reports/slo-flag.ts';
import { TIMESERIES_COLUMNS, type SummaryRow } from '../reports/summary.ts';
import { aggregateCsv, aggregateRows, meanCi } from '../reports/aggregate.ts';
import { defaultJobs, runStudy, type StudyOutcome } from './study-runner.ts';
import { createStudyProgress, type ProgressStream } from './study-progress.ts';
import { applyScenarioOverrides, scenarioSha256, type ScenarioOverrides } from './study-scenario.ts';
import { UsageError } from '../cli/usage-error.ts';
import { flagValue, listValue, nonNegativeInt, positiveInt, positiveValue, readFlags } from '../cli/flags.ts';
import { packageVersion, type Io as CommandIo } from '../cli/io.ts';
import { parseInvocationsOption, type InvocationsOption } from './invocation-sample.ts';
import { K8S_STUDY_FLAG_OPTIONS, K8S_STUDY_HELP, k8sStudyFlagsFrom, type K8sStudyFlags } from './k8s-study-flags.ts';
import type { K8sStudyFacts } from './k8s-study.ts';

export { UsageError } from '../cli/usage-error.ts';

const HELP = `Usage: npm run simulate -- [options]

Runs a scenario's policy sets in the discrete-event simulator, each with
every seed, in parallel across cores, and writes a report folder
(summary.csv, invocations.csv, timeseries.csv, run.json, report.html,
summary.md; aggregate.csv with
more than one seed). The traffic depends on the seed only, so the policy sets
of one seed all see the same workload.

Options:
  --scenario FILE    scenario file, YAML (see scenarios/README.md for every field)
                     (default: scenarios/default.yaml, 2,000 agents over a day)
  --seed N           run with this one seed (default: the scenario's seeds)
  --seeds A,B,C      run with each of these seeds (default: the study's seeds,
                     else the scenario's seed); more than one also writes
                     aggregate.csv: mean, sd and 95% confidence interval per metric
  --jobs N           threads that simulate: this one and N-1 worker threads;
                     1 starts none (default: up to the cores available, here
                     ${defaultJobs()}, with worker threads only for a study long
                     enough to gain from them)
  --out DIR          report folder (default: reports/runs/<time>-<scenario>)
  --policies A,B     run only these policy sets, by name
  --duration D       simulated time, Go form: 30m, 6h, 1h30m (default: the scenario's)
  --invocations W    all | none | sample=N: rows of invocations.csv (default: all);
                     none and sample=N keep outcomes as statistics only, which a
                     million-actor day needs (report.html then draws a sample)
  --sample-every D   interval of timeseries.csv, simulated time (default 60s)
  --slo GOALS        latency goal of the report's recommendation, e.g. p99=1s,overheadP99=500ms,rejected=1%
                     (keys p50 p90 p99 overheadP99 rejected; default: the scenario's slo)
  --list             list the scenario's policy sets and exit
${K8S_STUDY_HELP}  -h, --help         this text

Results do not depend on --jobs: rows are in the scenario's policy order,
then seed order. A progress bar is drawn on stderr when it is a terminal.
`;

/**
 * Without --jobs, worker threads start only once the runs left are estimated
 * to take longer than this in one thread: starting one takes about half a
 * second of a core (tsx and the module graph), which the built-in scenario's
 * four runs of about 0.2 s each would not win back on a 2-core machine.
 */
const WORKERS_WORTH_MS = 2000;

/** The scenario `npm run simulate` runs with no --scenario. */
export const DEFAULT_SCENARIO_FILE = fileURLToPath(new URL('../scenarios/default.yaml', import.meta.url));

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
  /** The latency goal of the report's recommendation: --slo, else the scenario's. */
  slo?: Slo;
  /** Interval of timeseries.csv in simulated time. */
  sampleEveryMs: number;
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
    slo: { type: 'string' },
    'sample-every': { type: 'string' },
    list: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
    ...K8S_STUDY_FLAG_OPTIONS,
  });
  if (v.help === true) {
    io.out(HELP);
    return null;
  }
  // Flags first, so a bad flag is a usage error whatever the scenario.
  if (v.seed !== undefined && v.seeds !== undefined) throw new UsageError('--seed and --seeds: give one or the other');
  const flagSeeds = v.seeds !== undefined ? parseSeeds(v.seeds) : v.seed !== undefined ? [nonNegativeInt(v.seed, '--seed')] : undefined;
  const jobs = v.jobs === undefined ? defaultJobs() : positiveInt(v.jobs, '--jobs');
  const invocations = flagValue(v.invocations ?? 'all', '--invocations', parseInvocationsOption);
  const durationMs = v.duration === undefined ? undefined : positiveValue(v.duration, '--duration', parseDuration);
  const sampleEveryMs = v['sample-every'] === undefined ? 60_000 : positiveValue(v['sample-every'], '--sample-every', parseDuration);
  const policies = v.policies === undefined ? undefined : listValue(v.policies);
  const k8s = k8sStudyFlagsFrom(v);

  const scenarioSource = v.scenario ?? DEFAULT_SCENARIO_FILE;
  const loaded: Scenario = loadScenarioFile(scenarioSource);
  if (v.list === true) {
    for (const p of loaded.policies) io.out(`${p.name}\n`);
    return null;
  }
  const overrides: ScenarioOverrides = {
    ...(durationMs === undefined ? {} : { durationMs }),
    ...(policies === undefined ? {} : { policies }),
  };
  const scenario = applyScenarioOverrides(loaded, overrides);
  const seeds = flagSeeds ?? scenario.seeds ?? [scenario.seed];
  const twice = seeds.find((x, i) => seeds.indexOf(x) !== i);
  if (twice !== undefined) throw new ScenarioError(scenarioSource, [`${scenarioSource} study.seeds: seed ${twice} is listed twice`]);
  const stamp = io.isoNow().replace(/[:.]/g, '-');
  const outDir = v.out ?? join('reports', 'runs', `${stamp}-${scenario.name}`);
  const slo: Slo | undefined = v.slo === undefined ? scenario.slo : flagValue(v.slo, '--slo', parseSloFlag);
  return { scenario, scenarioSource, overrides, seeds, jobs, jobsGiven: v.jobs !== undefined, outDir, invocations, sampleEveryMs, k8s, ...(slo === undefined ? {} : { slo }) };
}

const TABLE_HEAD = ['policy', 'served', 'rejected', 'p50', 'p99', 'overhead p99', 'warm', 'resumed', 'cold/golden', 'worker-h', 'GiB-h', 'peak workers'];

/** The table's columns: how to get each from a summary row, and how to print it. */
const TABLE_COLUMNS: readonly { get: (r: SummaryRow) => number; show: (x: number) => string }[] = [
  { get: (r) => Number(r.served), show: count },
  { get: (r) => Number(r.rejected), show: count },
  { get: (r) => Number(r.p50_ms), show: formatMs },
  { get: (r) => Number(r.p99_ms), show: formatMs },
  { get: (r) => Number(r.overhead_p99_ms), show: formatMs },
  { get: (r) => Number(r.warm), show: count },
  { get: (r) => Number(r.resume_local) + Number(r.resume_external), show: count },
  { get: (r) => Number(r.cold_boot) + Number(r.golden), show: count },
  { get: (r) => Number(r.worker_seconds) / 3600, show: (x) => x.toFixed(0) },
  { get: (r) => Number(r.gib_seconds) / 3600, show: (x) => x.toFixed(0) },
  { get: (r) => Number(r.peak_workers), show: count },
];

/**
 * Renders the terminal table: one row per policy set. With several seeds a
 * cell is the mean over the seeds ± the half-width of its 95% confidence
 * interval.
 */
export function summaryTable(rows: readonly SummaryRow[]): string {
  const table = new Table({ head: TABLE_HEAD, style: { head: [], border: [] } });
  const byPolicy = new Map<string, SummaryRow[]>();
  for (const r of rows) {
    const list = byPolicy.get(String(r.policy));
    if (list === undefined) byPolicy.set(String(r.policy), [r]);
    else list.push(r);
  }
  for (const [policy, list] of byPolicy) {
    table.push([
      policy,
      ...TABLE_COLUMNS.map((c) => {
        if (list.length === 1) return c.show(c.get(list[0]!));
        const s = meanCi(list.map(c.get));
        return Number.isNaN(s.halfWidth) ? c.show(s.mean) : `${c.show(s.mean)} ± ${c.show(s.halfWidth)}`;
      }),
    ]);
  }
  return table.toString();
}

function count(x: number): string {
  return Number.isNaN(x) ? '-' : String(Math.round(x));
}

function formatMs(x: number): string {
  if (Number.isNaN(x)) return '-';
  return x < 1000 ? `${x.toFixed(0)} ms` : `${(x / 1000).toFixed(2)} s`;
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
  io.err(`${scenario.name}: ${scenario.policies.length} policy set(s) x ${seeds.length} seed(s) = ${total} run(s) over ${formatDuration(scenario.durationMs)}, ${how}\n`);
  const t0 = io.wallMs();
  // The k8s backend draws its own (indexes, not runs).
  const progress = createStudyProgress(opts.k8s ? undefined : io.progress, total);
  let study: StudyOutcome;
  if (opts.k8s) {
    const request = { scenarioFile: opts.scenarioSource, overrides: opts.overrides, scenario, seeds, sampleEveryMs: opts.sampleEveryMs, invocations: opts.invocations };
    const { runStudyOnK8s } = await import('./k8s-study.ts');
    const out = await runStudyOnK8s(request, opts.k8s, io);
    // Null: a dry run (printed), or Ctrl-C (the Job deleted; no report).
    if (out === null) return opts.k8s.dryRun ? 0 : 130;
    study = out;
  } else try {
    study = await runStudy(
      { scenarioFile: opts.scenarioSource, overrides: opts.overrides, scenario, seeds, sampleEveryMs: opts.sampleEveryMs, invocations: opts.invocations },
      {
        jobs: opts.jobs,
        // With --jobs, N threads; without, worker threads only for a study big enough to gain from them.
        ...(opts.jobsGiven ? {} : { workersWorthMs: WORKERS_WORTH_MS }),
        clock: () => io.wallMs(),
        onRun: (run) => {
          if (progress.active) progress.tick();
          else io.err(`  ${run.result.policy} seed ${run.seed}: ${run.result.events} events in ${(run.wallMs / 1000).toFixed(2)} s\n`);
        },
      },
    );
  } finally {
    progress.stop();
  }
  const wallMs = io.wallMs() - t0;
  const runs = study.runs;
  const results = runs.map((r) => r.result);
  const rows = summaries(results);
  const events = results.reduce((s, r) => s + r.events, 0);
  const simWallMs = runs.reduce((s, r) => s + r.wallMs, 0);
  const workloadWallMs = runs.reduce((s, r) => s + r.workloadMs, 0);
  if (progress.active) io.err(`${total} run(s), ${events} events in ${(wallMs / 1000).toFixed(1)} s\n`);
  const firstOfSeed = new Map<number, number>();
  for (const r of runs) if (!firstOfSeed.has(r.seed)) firstOfSeed.set(r.seed, r.result.outcomes ?? r.result.replies.length);
  const files: Record<string, string> = {
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
        // Per policy set, summed over the seeds.
        policies: scenario.policies.map((p, i) => {
          const mine = runs.filter((r) => r.policyIndex === i);
          return { name: p.name, events: mine.reduce((s, r) => s + r.result.events, 0), wallMs: Math.round(mine.reduce((s, r) => s + r.wallMs, 0)) };
        }),
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
  if (opts.invocations.kind !== 'none') files['invocations.csv'] = invocationsCsv(results);
  const reportInput = {
    scenario: { name: scenario.name, description: scenario.description },
    seeds,
    rows,
    runs: results,
    ...(opts.slo === undefined ? {} : { slo: opts.slo }),
    ...(scenario.prices === undefined ? {} : { prices: scenario.prices }),
    policies: scenario.policies,
  };
  files['report.html'] = await renderHtmlReport(reportInput);
  files['summary.md'] = renderMarkdownSummary(reportInput);
  const dir = writeReport(opts.outDir, files);
  if (seeds.length > 1) io.out(`Mean over ${seeds.length} seeds (${seeds.join(', ')}) ± half-width of the 95% confidence interval:\n`);
  io.out(`${summaryTable(rows)}\n`);
  io.out(`Report: ${dir}\n`);
  // The answer the user came for, last, where the eye lands.
  io.out(`${answerLine({ rows, model: costModel(scenario.prices), policies: scenario.policies, ...(opts.slo === undefined ? {} : { slo: opts.slo }) })}\n`);
  return 0;
}

function pick(f: K8sStudyFacts): K8sStudyFacts {
  return { job: f.job, image: f.image, indexes: f.indexes, retries: f.retries };
}
