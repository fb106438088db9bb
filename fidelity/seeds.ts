import { stringify } from 'csv-stringify/sync';
import { percentile } from '../reports/summary.ts';
import { cellOf, yesNo, type FidelityRow } from './compare.ts';
import { fmt } from './markdown.ts';

/**
 * The simulation's own spread (`fidelity --sim-seeds N`): the same recorded
 * workload simulated again with N other seeds of the costs and the
 * placement, each compared with the one real run by the same rule. A cell
 * that no seed meets is the model's bias; one that some seeds meet and
 * others miss is a draw, and one simulation cannot say which side of it the
 * real run fell. `--spread` measures the same of the real runs.
 */

/** The seeds of the sweep: the run's own seed first, then the next `n`. */
export function sweepSeeds(seed: number, n: number): number[] {
  if (!Number.isInteger(n) || n < 0) throw new Error(`sweepSeeds: n must be a non-negative integer, got ${n}`);
  return Array.from({ length: n + 1 }, (_, i) => seed + i);
}

/** One simulation of the sweep: its seed and its table against the real run. */
export interface SeedRun {
  readonly seed: number;
  readonly rows: readonly FidelityRow[];
}

/** One targeted cell across the sweep. */
export interface SeedCell {
  readonly policy: string;
  readonly metric: string;
  readonly real: number;
  readonly target: number;
  /** The simulated figure of each seed, in the sweep's order (NaN: none). */
  readonly sims: readonly number[];
  /** Seeds within target. */
  readonly met: number;
  /** Finite figures' smallest, median (nearest rank) and largest; NaN when there is none. */
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

/** The sweep summed up: each targeted cell, and per policy set the cells each seed met. */
export interface SeedSpread {
  readonly seeds: readonly number[];
  readonly cells: readonly SeedCell[];
  /** Per policy set: targeted cells within target for each seed, in the sweep's order; and how many cells are targeted. */
  readonly perSeed: ReadonlyMap<string, { readonly met: readonly number[]; readonly targeted: number }>;
}

/**
 * Sums the sweep up. Every run must hold the same targeted cells (one real
 * run, one scenario: they do); a cell missing from a run counts as missed
 * there, with no figure.
 */
export function seedSpread(runs: readonly SeedRun[]): SeedSpread {
  if (runs.length === 0) throw new Error('seedSpread: no runs');
  const key = (r: FidelityRow): string => `${r.policy}\u0000${r.metric}`;
  const first = runs[0]!.rows.filter((r) => r.target !== undefined);
  const byRun = runs.map((run) => new Map(run.rows.filter((r) => r.target !== undefined).map((r) => [key(r), r])));
  const cells: SeedCell[] = first.map((r) => {
    const found = byRun.map((m) => m.get(key(r)));
    const sims = found.map((f) => f?.sim ?? Number.NaN);
    const sorted = sims.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
    return {
      policy: r.policy,
      metric: r.metric,
      real: r.real,
      target: r.target!,
      sims,
      met: found.filter((f) => f?.met === true).length,
      min: sorted[0] ?? Number.NaN,
      median: percentile(sorted, 0.5),
      max: sorted.at(-1) ?? Number.NaN,
    };
  });
  const perSeed = new Map<string, { met: number[]; targeted: number }>();
  for (const policy of new Set(first.map((r) => r.policy))) {
    const mine = first.filter((r) => r.policy === policy);
    perSeed.set(policy, { met: byRun.map((m) => mine.filter((r) => m.get(key(r))?.met === true).length), targeted: mine.length });
  }
  return { seeds: runs.map((r) => r.seed), cells, perSeed };
}

/** Columns of fidelity-seeds.csv: one row per seed and targeted cell. */
export const SEED_COLUMNS = ['policy', 'metric', 'seed', 'sim', 'real', 'rel_error', 'target', 'met'] as const;

/** fidelity-seeds.csv: every seed's targeted cells, their figures written as fidelity.csv writes them. */
export function seedSpreadCsv(runs: readonly SeedRun[]): string {
  const records: (string | number)[][] = [];
  for (const run of runs) {
    for (const r of run.rows) {
      if (r.target === undefined) continue;
      records.push([r.policy, r.metric, run.seed, cellOf(r.sim), cellOf(r.real), cellOf(r.relError, 4), r.target, yesNo(r.met)]);
    }
  }
  return stringify(records, { header: true, columns: [...SEED_COLUMNS] });
}

function range(values: readonly number[]): string {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return lo === hi ? String(lo) : `${lo}-${hi}`;
}

/** The few lines printed after the run's own table. */
export function seedSpreadLines(s: SeedSpread): string[] {
  const out: string[] = [];
  for (const [policy, p] of s.perSeed) {
    const sorted = [...p.met].sort((a, b) => a - b);
    out.push(
      `Over ${s.seeds.length} seeds of the simulation (${s.seeds[0]}-${s.seeds.at(-1)}, the same workload): ${policy} met ${range(p.met)} of ${p.targeted} targeted cells ` +
        `(median ${percentile(sorted, 0.5)}, the run's own seed ${p.met[0]})`,
    );
    const never = s.cells.filter((c) => c.policy === policy && c.met === 0).map((c) => c.metric);
    if (never.length > 0) out.push(`  met by no seed: ${never.join(', ')}`);
  }
  return out;
}

/** The section of fidelity.md. */
export function seedSpreadMarkdown(s: SeedSpread): string {
  const out: string[] = [
    `## The simulation over ${s.seeds.length} seeds`,
    '',
    `The same workload simulated with seeds ${s.seeds[0]}-${s.seeds.at(-1)} of the costs and the placement (the first is the run's own), ` +
      'each compared with the one real run by the rule above (fidelity-seeds.csv has every figure). A cell met by no seed is the model\'s bias; ' +
      'a cell met by some seeds and not others is a draw, which one simulation cannot tell from a bias.',
    '',
  ];
  for (const [policy, p] of s.perSeed) {
    out.push(`${policy}: cells within target per seed ${p.met.join(', ')} of ${p.targeted}.`, '');
    out.push('| metric | real | sim, the run\'s seed | sim over the seeds: min / median / max | seeds within target |', '|---|---|---|---|---|');
    for (const c of s.cells.filter((x) => x.policy === policy)) {
      out.push(`| ${c.metric} | ${fmt(c.real)} | ${fmt(c.sims[0]!)} | ${fmt(c.min)} / ${fmt(c.median)} / ${fmt(c.max)} | ${c.met} of ${s.seeds.length} |`);
    }
    out.push('');
  }
  return `${out.join('\n')}\n`;
}
