import { machineCpu, type MachineCpu } from './local/proc-cpu.ts';
import { createHash } from 'node:crypto';
import { stringify } from 'csv-stringify/sync';
import { packageVersion, type Io } from '../cli/io.ts';
import type { PolicySet, Scenario } from '../scenarios/scenario.ts';
import { formatDuration } from '../scenarios/units.ts';
import { generateWorkload, type Workload } from '../scenarios/workload.ts';
import { ScenarioError } from '../scenarios/errors.ts';
import { workerWorkloadProblems } from '../scenarios/bounds.ts';
import { invocationsCsv, summaries, summaryCsv } from '../reports/write.ts';
import { terminalCell } from '../reports/format.ts';
import { MEASURED_COLUMNS, density, measuredRows, type Density } from '../reports/measured.ts';
import { primitiveLogCsv } from '../reports/primitive-log.ts';
import { TIMESERIES_COLUMNS, ms } from '../reports/summary.ts';
import { compressScenario, compressWorkload } from './compress.ts';
import { CpuSeries, cpuSeriesCsv, systemSnapshot } from './cpu-series.ts';
import { drive, type RealRunResult } from './driver.ts';
import { driverDrainMs } from '../session/session.ts';
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
  /** --allow-outside: the scenario may read files outside its folder. */
  allowOutside: boolean;
  /** --ready-timeout: a worker's start-up budget when it starts alone (local: scaled by the workers starting together); absent: the backend's default. */
  readyTimeoutMs?: number;
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
  /**
   * Why the run failed, one line each (also in run.json): a policy set that
   * served none of the invocations that arrived, the snapshot store lost,
   * actors whose counters disagree (work lost or applied twice). Empty when
   * it did not fail.
   */
  readonly failures: string[];
}

/**
 * Generates the scenario's workload and checks it against what real workers
 * accept (actor ids, template memory), before any worker starts: a scenario
 * a worker would refuse on every restore is a located error up front.
 */
export async function checkedWorkload(opts: Pick<RealRun, 'scenario' | 'source' | 'seed'>): Promise<Workload> {
  const workload = await generateWorkload(opts.scenario, opts.seed);
  const problems = workerWorkloadProblems(opts.source, workload, opts.scenario.templates);
  if (problems.length > 0) throw new ScenarioError(opts.source, problems);
  return workload;
}

/**
 * The end-of-run counter check (what the driver tests assert): each actor's
 * count of applied invocations in the core against the invocations served
 * to it, and against the counter of the worker it is resident on.
 */
export interface CounterCheck {
  /** Served invocations whose effect a worker loss rolled back (the actor resumed from an older snapshot), summed over actors. */
  readonly rolledBack: number;
  /** Actors that lost served work that way. */
  readonly actorsRolledBack: number;
  /** Resident actors whose worker counter was compared with the core's; null when not compared (a partial run, or a runtime that cannot ask). */
  readonly residentChecked: number | null;
  /** Actors whose counters disagree: more applied than served, or a worker counter other than the core's. */
  readonly mismatchCount: number;
  /** The first of them, one line each. */
  readonly mismatches: readonly string[];
}

/** Runs the counter check on a finished run; `resident` is the live workers' counters, or null. */
export function counterCheck(r: Pick<RealRunResult, 'replies' | 'actors'>, resident: ReadonlyMap<string, number> | null): CounterCheck {
  const served = new Map<string, number>();
  for (const x of r.replies) if (x.outcome === 'served') served.set(x.actor, (served.get(x.actor) ?? 0) + 1);
  let rolledBack = 0;
  let actorsRolledBack = 0;
  let mismatchCount = 0;
  const mismatches: string[] = [];
  const mismatch = (line: string): void => {
    mismatchCount += 1;
    if (mismatches.length < 20) mismatches.push(line);
  };
  for (const [actor, v] of r.actors) {
    const s = served.get(actor) ?? 0;
    if (v.version > s) mismatch(`actor ${actor}: ${v.version} invocations applied, ${s} served`);
    else if (v.version < s) {
      rolledBack += s - v.version;
      actorsRolledBack += 1;
    }
    const counter = resident?.get(actor);
    if (counter !== undefined && counter !== v.version) mismatch(`actor ${actor}: its worker counted ${counter} invocations, the driver ${v.version}`);
  }
  return { rolledBack, actorsRolledBack, residentChecked: resident === null ? null : resident.size, mismatchCount, mismatches };
}

/**
 * Runs every policy set of the scenario on a backend, one after the other,
 * and builds the report: the measuring half of bench:cluster, shared by the
 * local backend and the driver Job of the k8s backend.
 */
export async function measureRealRun(opts: RealRun, io: Io, backend: RealBackend, generated?: Workload): Promise<RealRunOutcome> {
  const startedAt = io.isoNow();
  const scenario = compressScenario(opts.scenario, opts.speedup);
  const workload = compressWorkload(generated ?? (await checkedWorkload(opts)), opts.speedup);
  io.err(
    `${scenario.name} ${backend.where}: ${workload.actorNames.length} actors, ${workload.arrivalMs.length} invocations, ` +
      `${formatDuration(opts.scenario.durationMs)} of scenario in ${formatDuration(Math.round(scenario.durationMs))} (speedup ${opts.speedup.toFixed(1)}), ` +
      `${scenario.policies.length} policy set(s)\n`,
  );
  const results: RealRunResult[] = [];
  const cpus: CpuUsed[] = [];
  const cpuRows: (string | number)[][] = [];
  const checks: CounterCheck[] = [];
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
    const cpuBefore = cpuReading(runtime);
    // Second by second, where the processes can be read (local workers): cpu.csv.
    const series = runtime.processCpuMs === undefined ? undefined : new CpuSeries(policy.name, () => systemSnapshot(runtime));
    series?.start();
    let cpuAfter: CpuReading | null = null;
    let resident: Map<string, number> | null = null;
    const askResident = runtime.residentCounters?.bind(runtime);
    const r = await drive(scenario, policy, workload, runtime, {
      seed: opts.seed,
      clock: () => performance.now(),
      killEveryMs: opts.killEveryMs,
      memoryEveryMs: 1000,
      sampleEveryMs: opts.sampleEveryMs / opts.speedup,
      drainMs: driverDrainMs(scenario),
      ...(io.signal === undefined ? {} : { signal: io.signal }),
      log: (l) => io.err(`  ${l}\n`),
      // The workers' own counters, read before they stop; only a whole run is compared (an aborted one has requests in flight).
      // The cpu the run took, read while its workers are still there to be read.
      beforeClose: async () => {
        cpuAfter = cpuReading(runtime);
        if (series !== undefined) cpuRows.push(...series.stop());
        if (askResident !== undefined && io.signal?.aborted !== true) resident = await askResident();
      },
    });
    // Stopped in beforeClose unless the drive ended without it (a second stop adds nothing).
    if (series !== undefined) cpuRows.push(...series.stop());
    results.push(r);
    cpus.push(cpuUsed(cpuBefore, cpuAfter ?? cpuReading(runtime)));
    checks.push(counterCheck(r, r.partial ? null : resident));
    densities[policy.name] = density(r.measured.memory);
    io.err(`  ${policy.name}: ${r.replies.length} outcomes in ${((performance.now() - tp) / 1000).toFixed(1)} s${r.partial ? ' (partial)' : ''}\n`);
    if (r.partial) {
      interrupted = true;
      break;
    }
  }
  const rows = summaries(results, scenario.nodes, results.map((r) => r.measured.memory));
  const planned = workload.arrivalMs.length;
  const failures = results.flatMap((r, i) => runFailures(r, checks[i]!));
  const measured = results.flatMap((r) =>
    measuredRows({ policy: r.policy, workerStartMs: r.measured.workerStartMs, restoreMs: r.measured.restoreMs, checkpointMs: r.measured.checkpointMs, dispatchMs: r.measured.dispatchMs, lagMs: r.measured.lagMs, memory: r.measured.memory }),
  );
  const files: Record<string, string> = {
    'summary.csv': summaryCsv(rows),
    'measured.csv': stringify(measured, { header: true, columns: [...MEASURED_COLUMNS] }),
    'primitives.csv': primitiveLogCsv(results.map((r) => ({ policy: r.policy, seed: opts.seed, records: r.measured.log }))),
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
        // Why the run failed (exit 1), one line each; empty when it did not.
        failed: failures.length > 0,
        failures,
        policies: results.map((r, i) => ({ ...policyRecord(r, checks[i]!, planned), cpu: cpus[i] ?? null })),
        // Policy sets an interruption left unstarted.
        notRun: scenario.policies.slice(results.length).map((p) => p.name),
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
  if (cpuRows.length > 0) files['cpu.csv'] = cpuSeriesCsv(cpuRows);
  const lines: string[] = [];
  for (const [i, r] of rows.entries()) {
    const res = results[i]!;
    const check = checks[i]!;
    lines.push(
      `${r.policy}: served ${terminalCell(r.served)}/${terminalCell(r.invocations)}, p50 ${terminalCell(r.p50_ms, 'ms')}, p99 ${terminalCell(r.p99_ms, 'ms')}, warm ${terminalCell(r.warm)}, ` +
        `resumed ${terminalCell(Number(r.resume_local) + Number(r.resume_external))}, golden/cold ${terminalCell(Number(r.golden) + Number(r.cold_boot))}, worker-s ${terminalCell(r.worker_seconds)}\n`,
    );
    if (res.partial) lines.push(`  ${r.policy}: partial: ${res.replies.length} of ${planned} planned invocations arrived\n`);
    const lost = res.measured.lost;
    if (lost.length > 0) {
      const never = lost.filter((l) => !l.ready).length;
      lines.push(`  ${r.policy}: ${lost.length} worker(s) lost${never > 0 ? `, ${never} of them never ready` : ''}; ${check.rolledBack} served invocation(s) of ${check.actorsRolledBack} actor(s) rolled back\n`);
    }
    const classes = Object.entries(res.measured.failures).sort((a, b) => b[1] - a[1]);
    if (classes.length > 0) lines.push(`  ${r.policy} failed requests: ${classes.map(([c, n]) => `${c} ${n}`).join(', ')}\n`);
  }
  for (const m of measured) {
    if (Number(m[3]) > 0 && m[1] !== 'driver-lag') lines.push(`  ${m[0]} ${m[1]}${m[2] ? ` (${m[2]})` : ''}: n=${m[3]} p50 ${terminalCell(m[4], 'ms')} p99 ${terminalCell(m[6], 'ms')}\n`);
  }
  for (const [p, d] of Object.entries(densities)) {
    lines.push(`  ${p} density: worker ${terminalCell(d.workerBaseMiB, 'MiB')} + ${terminalCell(d.perActorMiB, 'MiB')} per resident actor (${d.samples} samples)\n`);
  }
  return { files, lines, interrupted, failures };
}

/** Cpu times at one moment: the machine's (/proc/stat), the driver's own, and the store's and the workers' where the runtime reads them. */
interface CpuReading {
  readonly atMs: number;
  readonly machine: MachineCpu | undefined;
  readonly driver: NodeJS.CpuUsage;
  readonly store: number | undefined;
  readonly workers: number | undefined;
}

function cpuReading(runtime: { cpuMs?(): { readonly storeMs: number | undefined; readonly workersMs: number | undefined } }): CpuReading {
  const own = runtime.cpuMs?.();
  return { atMs: performance.now(), machine: machineCpu(), driver: process.cpuUsage(), store: own?.storeMs, workers: own?.workersMs };
}

/**
 * Where a policy set's cpu went, in cpu-milliseconds over its run (run.json
 * `policies[].cpu`): the machine's busy time by kind, the driver's process,
 * and the store's and the workers' where the runtime can read them (local:
 * /proc; a worker stopped before the end is not counted). On Kubernetes the
 * driver runs in a pod and /proc/stat is its sandbox's view, so only the
 * driver's own figure is its own.
 */
export interface CpuUsed {
  readonly wallMs: number;
  readonly machine: { readonly userMs: number; readonly systemMs: number; readonly iowaitMs: number; readonly irqMs: number; readonly stealMs: number; readonly idleMs: number } | null;
  readonly driverMs: number;
  readonly storeMs: number | null;
  readonly workersMs: number | null;
}

export function cpuUsed(a: CpuReading, b: CpuReading): CpuUsed {
  const round = (x: number): number => Math.round(x);
  const m =
    a.machine === undefined || b.machine === undefined
      ? null
      : {
          userMs: round(b.machine.userMs - a.machine.userMs),
          systemMs: round(b.machine.systemMs - a.machine.systemMs),
          iowaitMs: round(b.machine.iowaitMs - a.machine.iowaitMs),
          irqMs: round(b.machine.irqMs - a.machine.irqMs),
          stealMs: round(b.machine.stealMs - a.machine.stealMs),
          idleMs: round(b.machine.idleMs - a.machine.idleMs),
        };
  return {
    wallMs: round(b.atMs - a.atMs),
    machine: m,
    driverMs: round((b.driver.user - a.driver.user + b.driver.system - a.driver.system) / 1000),
    storeMs: a.store === undefined || b.store === undefined ? null : round(b.store - a.store),
    // Workers start during the run: their cpu from their start is all the run's.
    workersMs: b.workers === undefined ? null : round(b.workers),
  };
}

/** One policy set's entry in run.json: what arrived of what was planned, what was lost, every failure class with its count. */
function policyRecord(r: RealRunResult, check: CounterCheck, planned: number): Record<string, unknown> {
  const served = r.replies.filter((x) => x.outcome === 'served').length;
  const lost = r.measured.lost;
  return {
    name: r.policy,
    partial: r.partial,
    events: r.events,
    // Every invocation that arrived has one outcome; a partial run stops before the rest arrive.
    invocations: { planned, arrived: r.replies.length, served, rejected: r.replies.length - served },
    workers: {
      lost: lost.length,
      neverReady: lost.filter((l) => !l.ready).length,
      lostWorkers: lost.slice(0, 100).map((l) => ({ worker: l.worker, atMs: Math.round(l.atMs), ready: l.ready, why: l.why })),
    },
    storeLost: r.measured.storeLost ?? null,
    // Failed restore, execute and checkpoint requests by class ("<op> <code>"), with counts.
    failures: r.measured.failures,
    counterCheck: check,
    errors: r.measured.errors.slice(0, 20),
    errorCount: r.measured.errors.length,
  };
}

/** Why one policy set's run counts as failed, one line each; empty when it does not. */
export function runFailures(r: Pick<RealRunResult, 'policy' | 'partial' | 'replies' | 'measured'>, check: Pick<CounterCheck, 'mismatchCount' | 'mismatches'>): string[] {
  const out: string[] = [];
  const served = r.replies.filter((x) => x.outcome === 'served').length;
  if (r.measured.storeLost !== undefined) out.push(`${r.policy}: the snapshot store was lost (${r.measured.storeLost}); every later suspend and resume failed`);
  if (!r.partial && r.replies.length > 0 && served === 0) {
    const why: string[] = [];
    const never = r.measured.lost.filter((l) => !l.ready).length;
    if (never > 0) why.push(`${never} worker(s) never became ready (raise --ready-timeout on a loaded machine)`);
    const classes = Object.entries(r.measured.failures).sort((a, b) => b[1] - a[1]).slice(0, 3);
    if (classes.length > 0) why.push(`failed requests: ${classes.map(([c, n]) => `${c} ${n}`).join(', ')}`);
    const reasons = new Map<string, number>();
    for (const x of r.replies) if (x.outcome === 'rejected') reasons.set(x.reason ?? 'unknown', (reasons.get(x.reason ?? 'unknown') ?? 0) + 1);
    why.push(`rejected: ${[...reasons].map(([k, n]) => `${k} ${n}`).join(', ')}`);
    out.push(`${r.policy}: served none of its ${r.replies.length} invocations (${why.join('; ')})`);
  }
  if (check.mismatchCount > 0) out.push(`${r.policy}: ${check.mismatchCount} actor(s) whose counters disagree, work lost or applied twice (${check.mismatches[0]})`);
  return out;
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

