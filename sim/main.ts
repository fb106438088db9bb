import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import Table from 'cli-table3';
import { stringify } from 'csv-stringify/sync';
import { fileURLToPath } from 'node:url';
import { loadScenarioFile } from '../scenarios/load.ts';
import type { Scenario } from '../scenarios/scenario.ts';
import { formatDuration, parseDuration } from '../scenarios/units.ts';
import { generateWorkload } from '../scenarios/workload.ts';
import { invocationsCsv, summaries, summaryCsv, writeReport } from '../reports/write.ts';
import type { SummaryRow } from '../reports/summary.ts';
import { simulate, type SimResult } from './runtime.ts';

const HELP = `Usage: npm run simulate -- [options]

Runs a scenario's policy sets in the discrete-event simulator on one shared
workload and writes a report folder (summary.csv, invocations.csv,
timeseries.csv, run.json).

Options:
  --scenario FILE    scenario file, YAML (see scenarios/README.md for every field)
                     (default: scenarios/default.yaml, 2,000 agents over a day)
  --seed N           seed of every random stream (default: the scenario's)
  --out DIR          report folder (default: reports/runs/<time>-<scenario>)
  --policies A,B     run only these policy sets, by name
  --duration D       simulated time, Go form: 30m, 6h, 1h30m (default: the scenario's)
  --invocations W    all | none: rows of invocations.csv (default: all)
  --list             list the scenario's policy sets and exit
  -h, --help         this text
`;

/** The scenario `npm run simulate` runs with no --scenario. */
export const DEFAULT_SCENARIO_FILE = fileURLToPath(new URL('../scenarios/default.yaml', import.meta.url));

/** A usage error: bad flag or value. Printed without a stack, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Where the CLI writes; injectable for tests. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Wall clock for run.json only; never reaches a simulation. */
  wallMs(): number;
  isoNow(): string;
}

/** Parsed options of `simulate`. */
export interface SimulateOptions {
  scenario: Scenario;
  scenarioSource: string;
  seed: number;
  outDir: string;
  invocations: 'all' | 'none';
}

function parseSeed(text: string): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new UsageError(`--seed: expected a non-negative integer, got "${text}"`);
  return Number(text);
}

/** Parses argv into options, or returns null for --help / --list (already printed). */
export function parseSimulateArgs(argv: readonly string[], io: Io): SimulateOptions | null {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        scenario: { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string' },
        policies: { type: 'string' },
        duration: { type: 'string' },
        invocations: { type: 'string' },
        list: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help === true) {
    io.out(HELP);
    return null;
  }
  const scenarioSource = v.scenario ?? DEFAULT_SCENARIO_FILE;
  let scenario: Scenario = loadScenarioFile(scenarioSource);
  if (v.list === true) {
    for (const p of scenario.policies) io.out(`${p.name}\n`);
    return null;
  }
  const seed = v.seed === undefined ? scenario.seed : parseSeed(v.seed);
  if (v.duration !== undefined) {
    let durationMs: number;
    try {
      durationMs = parseDuration(v.duration);
    } catch (err) {
      throw new UsageError(`--duration: ${(err as Error).message}`);
    }
    if (durationMs <= 0) throw new UsageError(`--duration: must be positive, got "${v.duration}"`);
    scenario = { ...scenario, durationMs };
  }
  if (v.policies !== undefined) {
    const wanted = v.policies.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    if (wanted.length === 0) throw new UsageError('--policies: empty list');
    const known = new Map(scenario.policies.map((p) => [p.name, p]));
    const unknown = wanted.filter((w) => !known.has(w));
    if (unknown.length > 0) {
      throw new UsageError(`--policies: unknown policy set(s) ${unknown.map((u) => `"${u}"`).join(', ')} (known: ${[...known.keys()].join(', ')})`);
    }
    scenario = { ...scenario, policies: wanted.map((w) => known.get(w)!) };
  }
  const invocations = v.invocations ?? 'all';
  if (invocations !== 'all' && invocations !== 'none') throw new UsageError(`--invocations: expected all or none, got "${invocations}"`);
  const stamp = io.isoNow().replace(/[:.]/g, '-');
  const outDir = v.out ?? join('reports', 'runs', `${stamp}-${scenario.name}`);
  return { scenario, scenarioSource, seed, outDir, invocations };
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Renders the terminal table. */
export function summaryTable(rows: readonly SummaryRow[]): string {
  const table = new Table({
    head: ['policy', 'served', 'rejected', 'p50', 'p99', 'overhead p99', 'warm', 'resumed', 'cold/golden', 'worker-h', 'GiB-h', 'peak workers'],
    style: { head: [], border: [] },
  });
  const s = (x: string | number | undefined): string => (typeof x === 'number' ? (Number.isNaN(x) ? '-' : formatMs(x)) : (x ?? '-'));
  for (const r of rows) {
    table.push([
      String(r.policy),
      String(r.served),
      String(r.rejected),
      s(r.p50_ms),
      s(r.p99_ms),
      s(r.overhead_p99_ms),
      String(r.warm),
      String(Number(r.resume_local) + Number(r.resume_external)),
      String(Number(r.cold_boot) + Number(r.golden)),
      (Number(r.worker_seconds) / 3600).toFixed(0),
      (Number(r.gib_seconds) / 3600).toFixed(0),
      String(r.peak_workers),
    ]);
  }
  return table.toString();
}

function formatMs(x: number): string {
  return x < 1000 ? `${x.toFixed(0)} ms` : `${(x / 1000).toFixed(2)} s`;
}

/** Runs `simulate` end to end; returns the exit code. */
export async function runSimulate(argv: readonly string[], io: Io): Promise<number> {
  const startedAt = io.isoNow();
  const opts = parseSimulateArgs(argv, io);
  if (opts === null) return 0;
  const { scenario, seed } = opts;
  const t0 = io.wallMs();
  const workload = await generateWorkload(scenario, seed);
  const tWorkload = io.wallMs() - t0;
  io.err(
    `${scenario.name}: ${workload.actorNames.length} actors, ${workload.arrivalMs.length} invocations over ${formatDuration(scenario.durationMs)}, seed ${seed}, ${scenario.policies.length} policy sets\n`,
  );
  const results: SimResult[] = [];
  const perPolicy: { name: string; events: number; wallMs: number }[] = [];
  for (const policy of scenario.policies) {
    const t = io.wallMs();
    const r = simulate(scenario, policy, workload, { seed, sampleEveryMs: 60_000 });
    const wallMs = io.wallMs() - t;
    results.push(r);
    perPolicy.push({ name: policy.name, events: r.events, wallMs: Math.round(wallMs) });
    io.err(`  ${policy.name}: ${r.events} events in ${(wallMs / 1000).toFixed(2)} s\n`);
  }
  const rows = summaries(results);
  const wallMs = io.wallMs() - t0;
  const events = results.reduce((s, r) => s + r.events, 0);
  const scenarioJson = JSON.stringify(scenario);
  const files: Record<string, string> = {
    'summary.csv': summaryCsv(rows),
    'timeseries.csv': stringify(
      results.flatMap((r) => r.samples.map((s) => [r.policy, s.timeMs, s.workers, s.resident, s.parked])),
      { header: true, columns: ['policy', 'time_ms', 'workers', 'resident', 'parked'] },
    ),
    'run.json': `${JSON.stringify(
      {
        kind: 'simulate',
        partial: false,
        scenario: { name: scenario.name, source: opts.scenarioSource, sha256: createHash('sha256').update(scenarioJson).digest('hex') },
        warmupMs: scenario.warmupMs,
        seed,
        durationMs: scenario.durationMs,
        policies: perPolicy,
        invocations: workload.arrivalMs.length,
        wallTimeMs: Math.round(wallMs),
        workloadWallMs: Math.round(tWorkload),
        events,
        eventsPerSec: Math.round(events / Math.max(1e-9, (wallMs - tWorkload) / 1000)),
        startedAt,
        versions: { node: process.version, harness: packageVersion() },
      },
      null,
      2,
    )}\n`,
  };
  if (opts.invocations === 'all') files['invocations.csv'] = invocationsCsv(results);
  const dir = writeReport(opts.outDir, files);
  io.out(`${summaryTable(rows)}\n`);
  io.out(`Report: ${dir}\n`);
  return 0;
}
