import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ms, type SummaryRow } from '../reports/summary.ts';
import { compareSummaries, runSample, type FidelityRow } from './compare.ts';
import { readFlags, listValue } from '../cli/flags.ts';
import { repliesFromCsv } from './html.ts';
import { rowsByPolicy } from './csv-rows.ts';
import { FidelityInputError, readCsvRows, readFidelityRecord, type FidelityRecord, type RecordedOptions } from './record.ts';

/**
 * How far real runs of the same inputs are from each other: the fidelity rule
 * applied to recorded real runs, one standing for the simulation. A
 * simulator cannot be asked to be closer to a real run than a second real
 * run of the same inputs is; the intervals of the rule (bootstrap over one
 * run's invocations, Wilson over its counts) hold the noise within a run,
 * not between runs, which at a saturated span is the larger.
 */

/** The options two runs must share to be repeats of each other (the cost profile and the k8s flags may differ). */
const SAME: readonly (keyof RecordedOptions)[] = ['backend', 'scenarioFile', 'seed', 'speedup', 'policies', 'startMs', 'durationMs', 'warmupMs', 'exec', 'primeMs', 'snapshotAsMemory'];

/** One recorded real run. */
interface RealRun {
  readonly dir: string;
  readonly record: FidelityRecord;
  readonly summary: SummaryRow[];
  /** real/invocations.csv's rows by policy set. */
  readonly invocations: ReadonlyMap<string, Record<string, string>[]>;
}

/** One ordered pair: `as sim` compared with `real` by the fidelity rule. */
export interface SpreadPair {
  readonly sim: string;
  readonly real: string;
  readonly rows: FidelityRow[];
}

/**
 * Reads the real halves of fidelity output folders and checks that they
 * repeat each other: the same options (SAME) and the same replayed workload,
 * byte for byte. Throws FidelityInputError naming the folder and the field.
 */
export function readRepeats(dirs: readonly string[]): RealRun[] {
  if (dirs.length < 2) throw new FidelityInputError(`--spread: give at least two fidelity output folders, comma-separated (got ${dirs.length})`);
  const runs = dirs.map((dir) => {
    const record = readFidelityRecord(dir, '--spread');
    return { dir, record, summary: readCsvRows(join(dir, 'real', 'summary.csv')) as unknown as SummaryRow[], invocations: rowsByPolicy(join(dir, 'real', 'invocations.csv')) };
  });
  const first = runs[0]!;
  const digest = (dir: string): string => createHash('sha256').update(readFileSync(join(dir, 'inputs', 'workload.csv'))).digest('hex');
  const workload = digest(first.dir);
  for (const r of runs.slice(1)) {
    for (const k of SAME) {
      const a = JSON.stringify(first.record.options[k]);
      const b = JSON.stringify(r.record.options[k]);
      if (a !== b) throw new FidelityInputError(`--spread: ${r.dir} is not a repeat of ${first.dir}: ${k} ${b} against ${a}`);
    }
    const same = runs.find((o) => o !== r && o.record.realRecordedAt === r.record.realRecordedAt);
    if (same !== undefined) throw new FidelityInputError(`--spread: ${r.dir} and ${same.dir} hold the same real run (recorded ${r.record.realRecordedAt}; fidelity --against copies it): give each real run once`);
    if (digest(r.dir) !== workload) throw new FidelityInputError(`--spread: ${r.dir} is not a repeat of ${first.dir}: inputs/workload.csv differs (the scenario file changed between the runs)`);
  }
  return runs;
}

/** Every ordered pair of runs compared by the fidelity rule, the first of each pair standing for the simulation. */
export function spreadPairs(runs: readonly RealRun[]): SpreadPair[] {
  const out: SpreadPair[] = [];
  for (const a of runs) {
    for (const b of runs) {
      if (a === b) continue;
      const c = b.record.context;
      // As fidelity cuts the warm-up off the runs' own (compressed) time, priming gap included.
      const warmupMs = c.warmupMs > 0 ? ((c.primeGapMs ?? 0) + c.warmupMs) / c.speedup : 0;
      const policies = [...new Set(b.summary.map((r) => String(r.policy)))];
      const samples = new Map(policies.map((p) => [p, { sim: runSample(repliesFromCsv(a.invocations.get(p) ?? []), warmupMs), real: runSample(repliesFromCsv(b.invocations.get(p) ?? []), warmupMs) }]));
      out.push({ sim: a.dir, real: b.dir, rows: compareSummaries(a.summary, b.summary, { samples, seed: b.record.options.seed }) });
    }
  }
  return out;
}

function pct(x: number): string {
  return Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%` : '–';
}

/** The report printed: per pair the targeted cells within target and the misses; then per targeted cell how often it was met. */
export function spreadText(pairs: readonly SpreadPair[]): string {
  const out: string[] = [];
  const targeted = (p: SpreadPair): FidelityRow[] => p.rows.filter((r) => r.target !== undefined);
  for (const p of pairs) {
    const t = targeted(p);
    const misses = t.filter((r) => r.met !== true);
    out.push(`${p.sim} as the simulation, ${p.real} as the real run: ${t.length - misses.length} of ${t.length} targeted cells within target`);
    for (const r of misses) out.push(`  ${r.policy} ${r.metric}: ${ms(r.sim)} against ${ms(r.real)} (${pct(r.relError)})  MISS`);
  }
  const cells = new Map<string, { met: number; of: number }>();
  for (const p of pairs) {
    for (const r of targeted(p)) {
      const key = `${r.policy} ${r.metric}`;
      const c = cells.get(key) ?? { met: 0, of: 0 };
      cells.set(key, { met: c.met + (r.met === true ? 1 : 0), of: c.of + 1 });
    }
  }
  out.push('', 'Each targeted cell, within target in how many of the ordered pairs:');
  for (const [key, c] of cells) out.push(`  ${key}: ${c.met} of ${c.of}`);
  const counts = pairs.map((p) => targeted(p).filter((r) => r.met === true).length);
  out.push(
    '',
    `Real runs of the same inputs meet ${Math.min(...counts)} to ${Math.max(...counts)} of ${targeted(pairs[0]!).length} targeted cells against each other` +
      ' (intervals within a run, as fidelity computes them): a simulation scoring in that range is as close as a repeat of the real run.',
  );
  return `${out.join('\n')}\n`;
}

/** `npm run fidelity -- --spread DIR,DIR,...`: measures nothing and writes nothing; prints the spread. */
export function runSpread(argv: readonly string[], io: { out(text: string): void }): number {
  const v = readFlags(argv, { spread: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  const dirs = listValue(v.spread ?? '');
  const pairs = spreadPairs(readRepeats(dirs));
  io.out(spreadText(pairs));
  return 0;
}
