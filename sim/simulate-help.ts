import { availableParallelism } from 'node:os';
import { K8S_STUDY_HELP } from './k8s-study-flags.ts';
import { DEFAULT_MAX_PROBES, SIZING_PATHS } from './sizing-knob.ts';

// The text of `npm run simulate -- --help`, in a module of its own: sim/cli.ts
// answers --help from here before it imports sim/main.ts and its module graph
// (issue 15: start-up under 0.5 s). Only small modules are imported.

/** The default --jobs: the cores this process may use, at least 1. */
export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

/** Usage of `npm run simulate`. */
export function simulateHelp(): string {
  return `Usage: npm run simulate -- [options]

Runs a scenario's policy sets in the discrete-event simulator, each with
every seed, in parallel across cores, and writes a report folder
(summary.csv, invocations.csv, timeseries.csv, run.json, report.html,
summary.md; aggregate.csv with more than one seed; measured.csv, each
primitive's time under the simulated load, with --invocations all). The traffic depends on the seed only, so the policy sets
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
                     million-actor day needs (report.html then draws a sample);
                     all over 2,000,000 rows in the whole study is refused, and
                     the default then becomes an even sample of that many
  --primitives       also write primitives.csv: every primitive (worker start,
                     restore, checkpoint, execute) with its worker, actor, start
                     and end in simulated time, as bench:cluster records them;
                     needs --invocations all
  --worker-cpu Q     the worker cpu of every pool that gives one (a Kubernetes
                     quantity: 200m, 0.5, 1), as bench:cluster --backend k8s
                     --worker-cpu sets its worker pods' cpu limit; it caps each
                     worker only under a cost profile whose host model has
                     workerLimits (see scenarios/README.md)
  --costs-scale F    every primitive of the cost profile (worker start, cold
                     boot, dispatch, restore, checkpoint) takes F times as long
                     on the same host: a machine 20% slower is 1.2; the agents'
                     work is unchanged. How much margin a pool size leaves
                     (0.01-100; run.json records it)
  --sample-every D   interval of timeseries.csv, simulated time (default 60s)
  --slo GOALS        latency goal of the report's recommendation, e.g. p99=1s,overheadP99=500ms,rejected=1%
                     (keys p50 p90 p99 overheadP99 rejected; default: the scenario's slo)
  --allow-outside    let the scenario read include, costs and trace files outside
                     its own folder (refused by default)
  --size PATH=LO..HI for each policy set, search the smallest value of one knob in
                     LO..HI that meets the SLO (--slo, else the scenario's) over
                     the seeds, and report the frontier (sizing.csv, report.html);
                     PATH is one of ${SIZING_PATHS.join(', ')}
                     (idle.ttl in seconds), e.g. --size pools.shared.replicas=1..256
  --size-probes N    probes per policy set at most (default ${DEFAULT_MAX_PROBES})
  --list             list the scenario's policy sets and exit
${K8S_STUDY_HELP}  -h, --help         this text

Results do not depend on --jobs: rows are in the scenario's policy order,
then seed order. A progress bar is drawn on stderr when it is a terminal.
`;
}
