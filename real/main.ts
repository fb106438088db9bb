import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, onQuit } from '../cli/exit.ts';
import { listValue, nonNegativeInt, oneOf, positiveNumber, positiveValue, flagValue, readFlags } from '../cli/flags.ts';
import type { Io } from '../cli/io.ts';
import { UsageError } from '../cli/usage-error.ts';
import { repoFile } from '../cli/repo.ts';
import { loadScenarioFile } from '../scenarios/load.ts';
import { parseDuration } from '../scenarios/units.ts';
import { checkReportDir, writeReport } from '../reports/write.ts';
import { runBoundProblems } from '../scenarios/bounds.ts';
import { LocalRuntime } from './local/runtime.ts';
import { checkedWorkload, measureRealRun, type RealRunOptions, type RealRunOutcome } from './run.ts';
import { K8S_FLAG_OPTIONS, K8S_FLAGS_HELP, k8sFlagsFrom, k8sOnlyFlagsGiven, type K8sFlags } from './k8s/flags.ts';

export { DEFAULT_K8S_IMAGE, type K8sFlags } from './k8s/flags.ts';

const HELP = `Usage: npm run bench:cluster -- [options]

Runs a scenario's policy sets on real workers, in wall-clock time, with the
same scheduler core as the simulator, and writes the same report (summary.csv,
invocations.csv, timeseries.csv, run.json) plus what it measured (measured.csv:
worker start, restore, checkpoint and dispatch latencies; density in run.json).
Times in invocations.csv are run (compressed) time; timeseries.csv is in
scenario time (run time x speedup), as the simulator writes it, so the two
series can be laid over each other.

Options:
  --backend B        local: worker processes on this machine (default)
                     k8s: gVisor pods on a Kubernetes cluster (kind: scripts/cluster-up.sh);
                     the driver runs there as a Job and the report is written here
  --scenario FILE    scenario file (default: scenarios/small.yaml)
  --speedup N        divide every scenario duration by N: arrivals, work, TTLs,
                     parking budgets (default: all policy sets in about a minute)
  --seed N           seed (default: the scenario's)
  --out DIR          report folder (default: reports/runs/<time>-<scenario>-local)
  --policies A,B     run only these policy sets
  --duration D       scenario time to replay before compression (e.g. 30m)
  --chaos SPEC       worker-kill=30s: SIGKILL a random worker this often (wall time)
  --exec MODE        sleep | cpu: how a worker spends an invocation's work (default: sleep)
  --invocations W    all | none: rows of invocations.csv (default: all)
  --sample-every D   timeseries.csv interval, scenario time (default 60s, the
                     simulator's); each sample is taken when its slot comes due
                     and stamped with the time it was taken
  --ready-timeout D  start-up budget of a worker starting alone (default 30s; k8s: 3m);
                     local workers starting together get it times their number over
                     the machine's cpus; a worker not ready by then is lost
  --allow-outside    let the scenario read include, costs and trace files outside
                     its own folder (refused by default)
  -h, --help         this text

With --backend k8s:
  --dry-run          print every manifest the run would apply, as YAML, and exit
${K8S_FLAGS_HELP}
Before anything is applied, a k8s run reads the nodes' allocatable cpu, memory and pod
count (with your kubeconfig) and refuses a policy set whose pods cannot all be scheduled
at their peak (a dedicated pool: one worker pod per actor; a shared pool: its replicas, or
its scaling's maxReplicas; with the store and the driver), naming its pods x request
against the allocatable and what to do: --policies to skip it, or --worker-cpu. Where
the nodes cannot be listed it warns and goes on.

Ctrl-C or SIGTERM stops every worker, writes what was measured so far and
marks the report partial in run.json (exit 130); a second Ctrl-C a second or
more later quits at once, still removing the run's temp folder.
Exit codes: 0 every policy set served; 1 the run failed (a policy set served
none of its invocations, the snapshot store was lost, counters disagree: the
report is written and says why); 2 a bad flag, scenario or --out, or pods the
cluster cannot hold, before anything ran; 130 interrupted.
`;

/** The default scenario of bench:cluster. */
export const DEFAULT_REAL_SCENARIO = repoFile('scenarios', 'small.yaml');

/** Parses argv; null for --help. */
export function parseRealRunArgs(argv: readonly string[], io: Io): RealRunOptions | null {
  const v = readFlags(argv, {
    backend: { type: 'string' },
    scenario: { type: 'string' },
    speedup: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
    policies: { type: 'string' },
    duration: { type: 'string' },
    chaos: { type: 'string' },
    exec: { type: 'string' },
    invocations: { type: 'string' },
    'sample-every': { type: 'string' },
    'ready-timeout': { type: 'string' },
    'allow-outside': { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    ...K8S_FLAG_OPTIONS,
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help === true) {
    io.out(HELP);
    return null;
  }
  const backend = oneOf(v.backend ?? 'local', '--backend', ['local', 'k8s']);
  if (backend === 'local') {
    const k8sOnly = k8sOnlyFlagsGiven(v, ['dry-run', ...Object.keys(K8S_FLAG_OPTIONS)]);
    if (k8sOnly.length > 0) throw new UsageError(`${k8sOnly.join(', ')}: only with --backend k8s`);
  }
  const source = v.scenario ?? DEFAULT_REAL_SCENARIO;
  const allowOutside = v['allow-outside'] === true;
  const readyTimeoutMs = v['ready-timeout'] === undefined ? undefined : positiveValue(v['ready-timeout'], '--ready-timeout', parseDuration);
  let scenario = loadScenarioFile(source, { allowOutside });
  if (v.duration !== undefined) scenario = { ...scenario, durationMs: positiveValue(v.duration, '--duration', parseDuration) };
  if (v.policies !== undefined) {
    const wanted = listValue(v.policies);
    const known = new Map(scenario.policies.map((p) => [p.name, p]));
    const unknown = wanted.filter((w) => !known.has(w));
    if (wanted.length === 0 || unknown.length > 0) {
      throw new UsageError(`--policies: unknown policy set(s) ${unknown.map((u) => `"${u}"`).join(', ') || '(empty list)'} (known: ${[...known.keys()].join(', ')})`);
    }
    scenario = { ...scenario, policies: wanted.map((w) => known.get(w)!) };
  }
  const seed = v.seed === undefined ? scenario.seed : nonNegativeInt(v.seed, '--seed');
  // By default all the policy sets together replay in about a minute.
  const speedup = v.speedup === undefined ? Math.max(1, (scenario.durationMs * scenario.policies.length) / 60_000) : positiveNumber(v.speedup, '--speedup');
  let killEveryMs = 0;
  if (v.chaos !== undefined) {
    const m = /^worker-kill=(.+)$/.exec(v.chaos);
    if (m === null) throw new UsageError(`--chaos: expected worker-kill=DURATION (e.g. worker-kill=30s), got "${v.chaos}"`);
    killEveryMs = flagValue(m[1]!, '--chaos', parseDuration);
    if (killEveryMs <= 0) throw new UsageError('--chaos: the interval must be positive');
  }
  const sampleEveryMs = v['sample-every'] === undefined ? 60_000 : positiveValue(v['sample-every'], '--sample-every', parseDuration);
  const exec = oneOf(v.exec ?? 'sleep', '--exec', ['sleep', 'cpu']);
  const invocations = oneOf(v.invocations ?? 'all', '--invocations', ['all', 'none']);
  // The invocations (after --duration), samples and seeds within scenarios/limits.ts, before anything starts.
  const bounds = runBoundProblems({ scenario, seeds: [seed], sampleEveryMs, cpus: availableParallelism() });
  if (bounds.length > 0) throw new UsageError(bounds.join('\n'));
  const stamp = io.isoNow().replace(/[:.]/g, '-');
  const outDir = v.out ?? join('reports', 'runs', `${stamp}-${scenario.name}-${backend}`);
  const k8s: K8sFlags = k8sFlagsFrom(v);
  return {
    backend,
    dryRun: v['dry-run'] === true,
    scenario,
    source,
    seed,
    speedup,
    outDir,
    killEveryMs,
    sampleEveryMs,
    exec,
    invocations,
    k8s,
    allowOutside,
    ...(readyTimeoutMs === undefined ? {} : { readyTimeoutMs }),
  };
}

/** Runs bench:cluster end to end; returns the exit code (cli/exit.ts: 1 a failed run, 130 interrupted). */
export async function runRealRun(argv: readonly string[], io: Io): Promise<number> {
  const opts = parseRealRunArgs(argv, io);
  if (opts === null) return EXIT_OK;
  if (opts.backend === 'k8s') {
    // Loaded only here: the local path never pays for the Kubernetes client.
    const { runOnK8s } = await import('./k8s/launch.ts');
    return runOnK8s(opts, io);
  }
  // Before any work: a report folder that cannot take the report, then a workload real workers would refuse.
  checkReportDir(opts.outDir);
  const workload = await checkedWorkload(opts);
  const token = randomBytes(24).toString('hex');
  const root = mkdtempSync(join(tmpdir(), 'actorsim-real-'));
  // Snapshots are hundreds of MiB: removed on every way out, a second Ctrl-C included.
  const dropQuit = onQuit(() => rmSync(root, { recursive: true, force: true }));
  let outcome: RealRunOutcome;
  try {
    outcome = await measureRealRun(
      opts,
      io,
      {
        name: 'local',
        where: 'on local workers',
        start: (policy, i) => {
          const poolSlots = Object.fromEntries(Object.entries(policy.pools).map(([name, p]) => [name, p.mode === 'dedicated' ? 1 : p.actorSlots]));
          const templateMemoryMiB = Object.fromEntries(opts.scenario.templates.map((t) => [t.name, t.memoryMiB]));
          return LocalRuntime.start({
            workDir: join(root, String(i)),
            token,
            poolSlots,
            templateMemoryMiB,
            execMode: opts.exec,
            ...(opts.readyTimeoutMs === undefined ? {} : { startTimeoutMs: opts.readyTimeoutMs }),
            log: (l) => io.err(`  ${l}\n`),
          });
        },
      },
      workload,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
    dropQuit();
  }
  return reportOutcome(opts.outDir, outcome, io);
}

/** Writes a real run's report, prints its lines and why it failed; returns the exit code. */
export function reportOutcome(outDir: string, outcome: Pick<RealRunOutcome, 'files' | 'lines' | 'interrupted' | 'failures'>, io: Io): number {
  const dir = writeReport(outDir, outcome.files);
  for (const line of outcome.lines) io.out(line);
  io.out(`Report: ${dir}${outcome.interrupted ? ' (partial)' : ''}\n`);
  for (const f of outcome.failures) io.err(`bench:cluster: run failed: ${f}\n`);
  return outcome.interrupted ? EXIT_INTERRUPTED : outcome.failures.length > 0 ? EXIT_FAILED : EXIT_OK;
}
