import { createHash } from 'node:crypto';
import { stringify } from 'csv-stringify/sync';
import { packageVersion, type Io } from '../cli/io.ts';
import type { PolicySet, Scenario } from '../scenarios/scenario.ts';
import { formatDuration } from '../scenarios/units.ts';
import { generateWorkload } from '../scenarios/workload.ts';
import { invocationsCsv, summaries, summaryCsv } from '../reports/write.ts';
import { MEASURED_COLUMNS, density, measuredRows, type Density } from '../reports/measured.ts';
import { TIMESERIES_COLUMNS, ms } from '../reports/summary.ts';
import { compressScenario, compressWorkload } from './compress.ts';
import { drive, type RealRunResult } from './driver.ts';
import type { K8sFlags } from './k8s/flags.ts';
import type { RealRuntime } from './runtime.ts';
import type { ExecuteMode } from './worker/api.ts';

// A real run: a scenario's policy sets replayed on real workers, measured and
// reported. The measuring is shared by bench:cluster's local backend
// (main.ts) and the driver Job of its k8s backend (k8s/job-main.ts).

/** What is measured and how: the part of the options the driver needs, wherever it runs. */
export interface RealRun {
  scenario: Scenario;
  source: string;
  seed: number;
  speedup: number;
  killEveryMs: number;
  /** timeseries.csv interval in scenario time (the driver samples every sampleEveryMs / speedup of run time). */
  sampleEveryMs: number;
  exec: ExecuteMode;
  invocations: 'all' | 'none';
}

/** The options of one real run, as parsed from bench:cluster's command line. */
export interface RealRunOptions extends RealRun {
  backend: 'local' | 'k8s';
  /** k8s only: print the manifests instead of applying them. */
  dryRun: boolean;
  outDir: string;
  k8s: K8sFlags;
}

/** Where a real run's workers run: a runtime per policy set, and what run.json says about it. */
export interface RealBackend {
  readonly name: 'local' | 'k8s';
  /** How the first log line says where the workers are, e.g. "on local workers". */
  readonly where: string;
  /** Starts the runtime of the policy set at `index` (of the compressed scenario). */
  start(policy: PolicySet, index: number): Promise<RealRuntime>;
  /** Extra fields of run.json. */
  readonly info?: Readonly<Record<string, unknown>>;
}

/** What a measured run produced: the report's files and the summary lines to print. */
export interface RealRunOutcome {
  readonly files: Record<string, string>;
  /** Lines for stdout, each ending in a newline (the report folder is added by whoever writes it). */
  readonly lines: string[];
  readonly interrupted: boolean;
}

/**
 * Runs every policy set of the scenario on a backend, one after the other,
 * and builds the report: the measuring half of bench:cluster, shared by the
 * local backend and the driver Job of the k8s backend.
 */
export async function measureRealRun(opts: RealRun, io: Io, backend: RealBackend): Promise<RealRunOutcome> {
  const startedAt = io.isoNow();
  const scenario = compressScenario(opts.scenario, opts.speedup);
  const workload = compressWorkload(await generateWorkload(opts.scenario, opts.seed), opts.speedup);
  io.err(
    `${scenario.name} ${backend.where}: ${workload.actorNames.length} actors, ${workload.arrivalMs.length} invocations, ` +
      `${formatDuration(opts.scenario.durationMs)} of scenario in ${formatDuration(Math.round(scenario.durationMs))} (speedup ${opts.speedup.toFixed(1)}), ` +
      `${scenario.policies.length} policy set(s)\n`,
  );
  const results: RealRunResult[] = [];
  const densities: Record<string, Density> = {};
  const t0 = performance.now();
  let interrupted = false;
  for (const [i, policy] of scenario.policies.entries()) {
    if (io.signal?.aborted === true) {
      interrupted = true;
      break;
    }
    const runtime = await backend.start(policy, i);
    const tp = performance.now();
    const r = await drive(scenario, policy, workload, runtime, {
      seed: opts.seed,
      clock: () => performance.now(),
      killEveryMs: opts.killEveryMs,
      memoryEveryMs: 1000,
      sampleEveryMs: opts.sampleEveryMs / opts.speedup,
      drainMs: Math.max(10_000, scenario.durationMs),
      ...(io.signal === undefined ? {} : { signal: io.signal }),
      log: (l) => io.err(`  ${l}\n`),
    });
    results.push(r);
    densities[policy.name] = density(r.measured.memory);
    io.err(`  ${policy.name}: ${r.replies.length} outcomes in ${((performance.now() - tp) / 1000).toFixed(1)} s${r.partial ? ' (partial)' : ''}\n`);
    if (r.partial) {
      interrupted = true;
      break;
    }
  }
  const rows = summaries(results, scenario.nodes, results.map((r) => r.measured.memory));
  const measured = results.flatMap((r) =>
    measuredRows({ policy: r.policy, workerStartMs: r.measured.workerStartMs, restoreMs: r.measured.restoreMs, checkpointMs: r.measured.checkpointMs, dispatchMs: r.measured.dispatchMs, lagMs: r.measured.lagMs, memory: r.measured.memory }),
  );
  const files: Record<string, string> = {
    'summary.csv': summaryCsv(rows),
    'measured.csv': stringify(measured, { header: true, columns: [...MEASURED_COLUMNS] }),
    'timeseries.csv': timeseriesCsv(results, opts.speedup, opts.seed),
    'run.json': `${JSON.stringify(
      {
        kind: 'bench',
        backend: backend.name,
        partial: interrupted,
        scenario: { name: opts.scenario.name, source: opts.source, sha256: createHash('sha256').update(JSON.stringify(opts.scenario)).digest('hex') },
        seed: opts.seed,
        speedup: opts.speedup,
        exec: opts.exec,
        durationMs: scenario.durationMs,
        chaos: opts.killEveryMs > 0 ? { workerKillEveryMs: opts.killEveryMs, kills: Object.fromEntries(results.map((r) => [r.policy, r.kills])) } : null,
        policies: results.map((r) => ({ name: r.policy, partial: r.partial, events: r.events, errors: r.measured.errors.slice(0, 20), errorCount: r.measured.errors.length })),
        density: densities,
        wallTimeMs: Math.round(performance.now() - t0),
        startedAt,
        versions: { node: process.version, harness: packageVersion() },
        ...(backend.info ?? {}),
      },
      null,
      2,
    )}\n`,
  };
  if (opts.invocations === 'all') files['invocations.csv'] = invocationsCsv(results);
  const lines: string[] = [];
  for (const r of rows) {
    lines.push(
      `${r.policy}: served ${r.served}/${r.invocations}, p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms, warm ${r.warm}, resumed ${Number(r.resume_local) + Number(r.resume_external)}, ` +
        `golden/cold ${Number(r.golden) + Number(r.cold_boot)}, worker-s ${r.worker_seconds}\n`,
    );
  }
  for (const m of measured) if (Number(m[3]) > 0 && m[1] !== 'driver-lag') lines.push(`  ${m[0]} ${m[1]}${m[2] ? ` (${m[2]})` : ''}: n=${m[3]} p50 ${m[4]} ms p99 ${m[6]} ms\n`);
  for (const [p, d] of Object.entries(densities)) lines.push(`  ${p} density: worker ${d.workerBaseMiB} MiB + ${d.perActorMiB} MiB per resident actor (${d.samples} samples)\n`);
  return { files, lines, interrupted };
}

/**
 * timeseries.csv of real runs, in the simulator's columns and time base:
 * scenario time, i.e. the run's time multiplied back by the speedup.
 */
export function timeseriesCsv(results: readonly Pick<RealRunResult, 'policy' | 'samples'>[], speedup: number, seed: number): string {
  return stringify(
    results.flatMap((r) => r.samples.map((s) => [r.policy, ms(s.timeMs * speedup), s.workers, s.resident, s.parked, seed])),
    { header: true, columns: [...TIMESERIES_COLUMNS] },
  );
}

