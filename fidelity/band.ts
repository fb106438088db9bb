import type { FidelityRow } from './compare.ts';
import { fmt } from './markdown.ts';

/**
 * The simulation over a band of machine speeds (`fidelity --costs-band`):
 * the run's own simulation again with every primitive of the profile F
 * times as long (simulate --costs-scale F) for each F of the band, each
 * compared with the one real run by the same rule. Why: a profile is one
 * machine measured once, and near saturation the answer turns steeply on
 * its speed. Over seven recorded runs of fleet-2000's 09:00 span on one VM
 * the real p50 went from 2.1 s to 4.0 s with the same transfers done, the
 * slow runs spending up to 30% more cpu on each; the simulation at 1x gives
 * 2.1 s, at 1.15x 2.5 s, at 1.3x 4.8 s. A real figure inside the band's
 * range is one a machine of that speed gives; one outside it is the
 * model's, whatever the machine's speed.
 */

/** One simulation of the band: its factor (1: the run's own) and its table against the real run. */
export interface BandRun {
  readonly factor: number;
  readonly rows: readonly FidelityRow[];
}

/** One targeted cell over the band. */
export interface BandCell {
  readonly policy: string;
  readonly metric: string;
  readonly real: number;
  /** The simulated figure at each factor, in the band's order (ascending, 1 included; NaN: none). */
  readonly sims: readonly number[];
  /** Factors at which the cell is within target. */
  readonly metAt: readonly number[];
  /** The real figure lies between the smallest and the largest simulated figure over the band (false without figures). */
  readonly inside: boolean;
}

/** The band summed up. */
export interface CostsBand {
  /** Ascending, 1 included. */
  readonly factors: readonly number[];
  readonly cells: readonly BandCell[];
}

/** Parses `--costs-band`'s list: factors other than 1, each in `range`, no repeats; returned ascending. */
export function parseBandFactors(text: string, range: readonly [number, number]): number[] {
  const items = text.split(',').map((s) => s.trim());
  const out: number[] = [];
  for (const item of items) {
    const f = Number(item);
    if (item === '' || !Number.isFinite(f)) throw new Error(`"${item}" is not a number (give factors such as 0.8,1.25)`);
    if (f < range[0] || f > range[1]) throw new Error(`${item}: each factor between ${range[0]} and ${range[1]}`);
    if (f === 1) throw new Error('1 is the run\'s own simulation, always there: give the other factors');
    if (out.includes(f)) throw new Error(`${item} is listed twice`);
    out.push(f);
  }
  return out.sort((a, b) => a - b);
}

/** Sums the band up; `runs` must include the factor-1 run (the run's own). */
export function costsBand(runs: readonly BandRun[]): CostsBand {
  if (!runs.some((r) => r.factor === 1)) throw new Error('costsBand: the run\'s own simulation (factor 1) is missing');
  const sorted = [...runs].sort((a, b) => a.factor - b.factor);
  const key = (r: FidelityRow): string => `${r.policy}\u0000${r.metric}`;
  const own = sorted.find((r) => r.factor === 1)!;
  const byRun = sorted.map((run) => new Map(run.rows.filter((r) => r.target !== undefined).map((r) => [key(r), r])));
  const cells = own.rows
    .filter((r) => r.target !== undefined)
    .map((r): BandCell => {
      const found = byRun.map((m) => m.get(key(r)));
      const sims = found.map((f) => f?.sim ?? Number.NaN);
      const finite = sims.filter((x) => Number.isFinite(x));
      const inside = finite.length > 0 && Number.isFinite(r.real) && r.real >= Math.min(...finite) && r.real <= Math.max(...finite);
      return { policy: r.policy, metric: r.metric, real: r.real, sims, metAt: sorted.filter((_, i) => found[i]?.met === true).map((x) => x.factor), inside };
    });
  return { factors: sorted.map((r) => r.factor), cells };
}

/** The lines printed after the run's own table. */
export function costsBandLines(b: CostsBand): string[] {
  const out: string[] = [];
  for (const policy of new Set(b.cells.map((c) => c.policy))) {
    const mine = b.cells.filter((c) => c.policy === policy);
    const outside = mine.filter((c) => !c.inside).map((c) => c.metric);
    out.push(
      `Over machine speeds ${b.factors.map((f) => `${f}x`).join(', ')} (--costs-band): ${policy}'s real figure lies within the simulated range in ${mine.length - outside.length} of ${mine.length} targeted cells` +
        (outside.length > 0 ? `; outside: ${outside.join(', ')}` : ''),
    );
  }
  return out;
}

/** The section of fidelity.md. */
export function costsBandMarkdown(b: CostsBand): string {
  const out: string[] = [
    '## The simulation over a band of machine speeds',
    '',
    `The run's own simulation again with every primitive of the profile ${b.factors.filter((f) => f !== 1).map((f) => `${f}x`).join(', ')} as long ` +
      '(simulate --costs-scale), the same seed, each compared with the one real run by the rule above. A real figure within the simulated range ' +
      'is one a machine of a speed in the band gives; one outside it the model misses at any of these speeds.',
    '',
  ];
  for (const policy of new Set(b.cells.map((c) => c.policy))) {
    out.push(`| ${policy}: metric | real | ${b.factors.map((f) => `sim at ${f}x`).join(' | ')} | real within the range | within target at |`);
    out.push(`|---|---|${b.factors.map(() => '---|').join('')}---|---|`);
    for (const c of b.cells.filter((x) => x.policy === policy)) {
      out.push(`| ${c.metric} | ${fmt(c.real)} | ${c.sims.map((s) => fmt(s)).join(' | ')} | ${c.inside ? 'yes' : 'no'} | ${c.metAt.length === 0 ? 'none' : c.metAt.map((f) => `${f}x`).join(', ')} |`);
    }
    out.push('');
  }
  return `${out.join('\n')}\n`;
}
