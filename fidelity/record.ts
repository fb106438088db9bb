import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { K8sFlags } from '../real/k8s/flags.ts';
import type { FidelityContext } from './markdown.ts';

/** The name of the record in a fidelity output folder, beside fidelity.md. */
export const FIDELITY_RECORD = 'fidelity.json';

/**
 * The options that make two fidelity runs comparable: the workload (scenario
 * file, seed, span, warm-up, priming), the time compression, what runs
 * (policy sets, backend, exec mode, snapshot size) and the sampling slots.
 * Resolved values, not the flags as typed, so a later run needs no defaults.
 */
export interface RecordedOptions {
  readonly backend: 'local' | 'k8s';
  readonly k8s: K8sFlags;
  readonly scenarioFile: string;
  readonly seed: number;
  readonly speedup: number;
  /** null: every policy set of the scenario. */
  readonly policies: readonly string[] | null;
  readonly startMs: number;
  /** null: to the scenario's end. */
  readonly durationMs: number | null;
  /** null: the scenario's. */
  readonly warmupMs: number | null;
  readonly exec: 'sleep' | 'cpu';
  readonly primeMs: number;
  /** The time-series interval both runs sampled at, scenario time. */
  readonly sampleEveryMs: number;
  readonly snapshotAsMemory: boolean;
}

/** fidelity.json: what a fidelity run compared, written with its report (so only a complete run has one). */
export interface FidelityRecord {
  readonly version: 1;
  readonly options: RecordedOptions;
  /** When the real half was recorded (ISO time); a run --against an earlier one keeps that run's. */
  readonly realRecordedAt: string;
  /** What fidelity.md shows. */
  readonly context: FidelityContext;
}

/** A fidelity output folder that cannot be compared against: exit 1, nothing written. */
export class FidelityInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FidelityInputError';
  }
}

/** Serializes the record. */
export function fidelityRecordJson(r: FidelityRecord): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

// Read with the record; in a module of its own so that primitive-log.ts, which fidelity.md's writer imports, need not import the record.
export { readCsvRows } from './csv-rows.ts';

/** Files of an earlier run that --against reads; the real run's report and log, and the workload it replayed. */
const NEEDED = ['real/summary.csv', 'real/timeseries.csv', 'real/invocations.csv', 'real/measured.csv', 'real/run.json', 'real.log', 'inputs/workload.csv'];

/**
 * Reads and checks the record of an earlier fidelity run in `dir`, and that
 * its real run is there and complete; throws FidelityInputError naming the
 * missing or bad file.
 */
export function readFidelityRecord(dir: string, flag = '--against'): FidelityRecord {
  const file = join(dir, FIDELITY_RECORD);
  if (!existsSync(file)) {
    throw new FidelityInputError(
      `${flag}: ${file} does not exist: ${dir} is not the output folder of a complete fidelity run, or was written before fidelity recorded its options${flag === '--against' ? '; run fidelity without --against' : ''}`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new FidelityInputError(`${flag}: ${file}: ${(err as Error).message}`);
  }
  const bad = recordProblem(raw);
  if (bad !== undefined) throw new FidelityInputError(`${flag}: ${file}: ${bad}`);
  for (const f of NEEDED) {
    if (!existsSync(join(dir, f))) throw new FidelityInputError(`${flag}: ${join(dir, f)} does not exist: the real run in ${dir} is incomplete`);
  }
  const run = JSON.parse(readFileSync(join(dir, 'real', 'run.json'), 'utf8')) as { partial?: boolean };
  if (run.partial === true) throw new FidelityInputError(`${flag}: ${join(dir, 'real', 'run.json')}: the real run is partial`);
  return raw as FidelityRecord;
}

/** What is wrong with a parsed fidelity.json, or undefined. */
function recordProblem(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null) return 'not an object';
  const r = raw as Record<string, unknown>;
  if (r.version !== 1) return `version: expected 1, got ${JSON.stringify(r.version)}`;
  if (typeof r.realRecordedAt !== 'string') return 'realRecordedAt: expected a string';
  if (typeof r.context !== 'object' || r.context === null) return 'context: expected an object';
  if (typeof (r.context as Record<string, unknown>).realWallMs !== 'number') return 'context.realWallMs: expected a number';
  const o = r.options as Record<string, unknown> | undefined;
  if (typeof o !== 'object' || o === null) return 'options: expected an object';
  const num = (k: string, nullable = false): string | undefined =>
    (nullable && o[k] === null) || (typeof o[k] === 'number' && Number.isFinite(o[k])) ? undefined : `options.${k}: expected a number${nullable ? ' or null' : ''}`;
  const problems = [
    o.backend === 'local' || o.backend === 'k8s' ? undefined : 'options.backend: expected local or k8s',
    typeof o.k8s === 'object' && o.k8s !== null ? undefined : 'options.k8s: expected an object',
    typeof o.scenarioFile === 'string' ? undefined : 'options.scenarioFile: expected a string',
    num('seed'),
    num('speedup'),
    o.policies === null || (Array.isArray(o.policies) && o.policies.every((p) => typeof p === 'string')) ? undefined : 'options.policies: expected a list of names or null',
    num('startMs'),
    num('durationMs', true),
    num('warmupMs', true),
    o.exec === 'sleep' || o.exec === 'cpu' ? undefined : 'options.exec: expected sleep or cpu',
    num('primeMs'),
    num('sampleEveryMs'),
    typeof o.snapshotAsMemory === 'boolean' ? undefined : 'options.snapshotAsMemory: expected true or false',
  ];
  return problems.find((p) => p !== undefined);
}
