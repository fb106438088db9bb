import { stringify } from 'csv-stringify/sync';
import Table from 'cli-table3';
import type { Slo } from '../scenarios/scenario.ts';
import { meanCi } from './aggregate.ts';
import { formatPrice, gibHours, workerHours, type CostModel } from './cost.ts';
import { cell, formatCount, formatHours, formatMs, formatPercent, formatSlo } from './format.ts';
import { rejectedFraction, SLO_METRIC_LABEL, type SloMetric } from './recommend.ts';
import { ms, type SummaryRow } from './summary.ts';

/**
 * When a probed value of a sized knob meets the SLO, in one sentence: the
 * terminal, sizing.csv's readers (scenarios/README.md) and report.html say
 * the same.
 */
export const SIZING_RULE =
  'A value meets the SLO when, for every goal, the upper end of the 95% confidence interval (Student t) of the mean over the seeds is at or under the goal; with one seed there is no interval and the one value must be; a seed that served nothing fails.';

/** How much worse a larger value may be than a smaller one before the search warns that the knob did not act monotonically. */
export const MONOTONE_TOLERANCE = { relative: 0.05, latencyMs: 1, rejected: 0.001 } as const;

/** One goal of the SLO judged over the seeds of one probe. */
export interface SizingCheck {
  readonly metric: SloMetric;
  readonly goal: number;
  /** Mean over the seeds (ms, or a fraction for `rejected`); NaN when no seed served. */
  readonly mean: number;
  /** What is judged: the upper end of the 95% interval, or the one value with one seed; Infinity when a seed served nothing. */
  readonly upper: number;
  readonly met: boolean;
}

/** One probed value of one policy set: its runs' rows (one per seed) and the verdict. */
export interface SizingPoint {
  readonly value: number;
  /** 1 for the first probe of this policy set. */
  readonly probe: number;
  readonly rows: readonly SummaryRow[];
  readonly checks: readonly SizingCheck[];
  readonly meets: boolean;
}

/** What the search found for one policy set. */
export interface SizingOutcome {
  readonly policy: string;
  /**
   * found: `value` is the smallest meeting the SLO; none: no value in the
   * range does (the largest was probed); unsettled: the probe cap was hit
   * (`value`, when set, meets and is an upper bound); skipped: the policy set
   * has no such knob (`reason`).
   */
  readonly status: 'found' | 'none' | 'unsettled' | 'skipped';
  readonly value?: number;
  readonly reason?: string;
  /** In order of value. */
  readonly points: readonly SizingPoint[];
  /** Where the probes did not behave monotonically, in words. */
  readonly warnings: readonly string[];
}

/** A whole sizing: the knob, the range, the goal and one outcome per policy set. */
export interface SizingReport {
  readonly path: string;
  readonly unit: string;
  readonly lo: number;
  readonly hi: number;
  readonly seeds: readonly number[];
  readonly slo: Slo;
  readonly maxProbes: number;
  readonly outcomes: readonly SizingOutcome[];
}

const LATENCY: readonly [Exclude<SloMetric, 'rejected'>, keyof SummaryRow][] = [
  ['p50', 'p50_ms'],
  ['p90', 'p90_ms'],
  ['p99', 'p99_ms'],
  ['overheadP99', 'overhead_p99_ms'],
];

function judged(values: readonly number[]): { mean: number; upper: number } {
  // A seed that served nothing has no latency: it cannot meet a latency goal.
  if (values.some((v) => !Number.isFinite(v))) return { mean: meanCi(values).mean, upper: Number.POSITIVE_INFINITY };
  const s = meanCi(values);
  return { mean: s.mean, upper: Number.isNaN(s.halfWidth) ? s.mean : s.mean + s.halfWidth };
}

/** Judges one probe (its rows, one per seed) against the SLO by {@link SIZING_RULE}. */
export function judgeProbe(rows: readonly SummaryRow[], slo: Slo): { checks: SizingCheck[]; meets: boolean } {
  const checks: SizingCheck[] = [];
  for (const [metric, column] of LATENCY) {
    const goal = slo[metric];
    if (goal === undefined) continue;
    const j = judged(rows.map((r) => cell(r, column)));
    checks.push({ metric, goal, ...j, met: j.upper <= goal });
  }
  const j = judged(rows.map(rejectedFraction));
  checks.push({ metric: 'rejected', goal: slo.maxRejected, ...j, met: j.upper <= slo.maxRejected });
  return { checks, meets: rows.length > 0 && checks.every((c) => c.met) };
}

/**
 * Where the probed points of one policy set contradict a knob that makes
 * latency no worse as it grows: a larger value that misses the SLO where a
 * smaller one met it, or whose judged value of a goal is worse than a smaller
 * value's by more than {@link MONOTONE_TOLERANCE} (noise between seeds
 * aside, more workers should not be slower). Points in order of value.
 */
export function monotoneWarnings(points: readonly SizingPoint[], unit: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const a = points[i]!;
      const b = points[j]!;
      if (a.meets && !b.meets) out.push(`meets the SLO at ${a.value} ${unit} but not at ${b.value}`);
      for (const ca of a.checks) {
        const cb = b.checks.find((c) => c.metric === ca.metric)!;
        if (!Number.isFinite(ca.upper) || !Number.isFinite(cb.upper)) continue;
        const slack = Math.max(ca.upper * MONOTONE_TOLERANCE.relative, ca.metric === 'rejected' ? MONOTONE_TOLERANCE.rejected : MONOTONE_TOLERANCE.latencyMs);
        if (cb.upper > ca.upper + slack) {
          out.push(`${SLO_METRIC_LABEL[ca.metric]} is worse at ${b.value} ${unit} (${show(ca.metric, cb.upper)}) than at ${a.value} (${show(ca.metric, ca.upper)})`);
        }
      }
    }
  }
  return out;
}

function show(metric: SloMetric, x: number): string {
  return metric === 'rejected' ? formatPercent(x) : formatMs(x);
}

/** Mean over a probe's seeds of a per-row number. */
function meanOf(point: SizingPoint, of: (r: SummaryRow) => number): number {
  return meanCi(point.rows.map(of)).mean;
}

/** Columns of sizing.csv, in order: one row per probe, policy sets in the scenario's order, values ascending. */
export const SIZING_COLUMNS = [
  'policy',
  'knob',
  'value',
  'probe',
  'seeds',
  'meets',
  'smallest',
  'p50_ms',
  'p90_ms',
  'p99_ms',
  'p99_ms_upper',
  'overhead_p99_ms',
  'overhead_p99_ms_upper',
  'rejected_fraction',
  'rejected_fraction_upper',
  'worker_hours',
  'gib_hours',
  'cost',
] as const;

const num = (x: number): number | string => (Number.isFinite(x) ? ms(x) : '');

/** Renders sizing.csv. Means over the seeds; `_upper` the value judged (see SIZING_RULE), empty when the SLO has no such goal. */
export function sizingCsv(report: SizingReport, model: CostModel): string {
  const rows: (string | number)[][] = [];
  for (const o of report.outcomes) {
    for (const p of o.points) {
      const upper = (m: SloMetric): number | string => {
        const c = p.checks.find((k) => k.metric === m);
        return c === undefined ? '' : Number.isFinite(c.upper) ? ms(c.upper) : 'inf';
      };
      rows.push([
        o.policy,
        report.path,
        p.value,
        p.probe,
        p.rows.length,
        p.meets ? 'yes' : 'no',
        o.status === 'found' && o.value === p.value ? 'yes' : 'no',
        num(meanOf(p, (r) => cell(r, 'p50_ms'))),
        num(meanOf(p, (r) => cell(r, 'p90_ms'))),
        num(meanOf(p, (r) => cell(r, 'p99_ms'))),
        upper('p99'),
        num(meanOf(p, (r) => cell(r, 'overhead_p99_ms'))),
        upper('overheadP99'),
        num(meanOf(p, rejectedFraction)),
        upper('rejected'),
        num(meanOf(p, workerHours)),
        num(meanOf(p, gibHours)),
        num(meanOf(p, model.of)),
      ]);
    }
  }
  return stringify(rows, { header: true, columns: [...SIZING_COLUMNS] });
}

/** One outcome in a few words: "smallest replicas=12", "none up to replicas=256", "replicas=64 or less (probe cap)". */
export function outcomeText(o: SizingOutcome, report: Pick<SizingReport, 'path' | 'hi'>): string {
  const knob = report.path.slice(report.path.lastIndexOf('.') + 1);
  if (o.status === 'found') return `smallest ${knob}=${o.value!}`;
  if (o.status === 'none') return `none up to ${knob}=${report.hi}`;
  if (o.status === 'unsettled') return o.value === undefined ? 'unsettled: out of probes, none met yet' : `${knob}=${o.value} or less: out of probes`;
  return `skipped: ${o.reason ?? ''}`;
}

function missed(p: SizingPoint): string {
  const miss = p.checks.filter((c) => !c.met).map((c) => SLO_METRIC_LABEL[c.metric]);
  return miss.length === 0 ? 'yes' : `no: ${miss.join(', ')}`;
}

/**
 * The frontier for the terminal: one row per probe (policy sets in order,
 * values ascending), under 100 columns, then one line per policy set with its
 * answer and any monotonicity warning.
 */
export function sizingText(report: SizingReport, model: CostModel): string {
  const seeds = report.seeds.length;
  const head = [
    'policy set',
    report.unit,
    'p99',
    seeds > 1 ? 'p99 95% up' : 'p99 judged',
    'rejected',
    model.prices === undefined ? 'worker-h' : 'price',
    'meets',
  ];
  const table = new Table({ head, chars: COMPACT_TABLE, style: { head: [], border: [] }, colAligns: ['left', 'right', 'right', 'right', 'right', 'right', 'left'] });
  for (const o of report.outcomes) {
    for (const p of o.points) {
      const p99 = p.checks.find((c) => c.metric === 'p99');
      const rej = p.checks.find((c) => c.metric === 'rejected')!;
      const best = o.status === 'found' && o.value === p.value;
      table.push([
        `${clip(o.policy, 28)}${best ? ' *' : ''}`,
        formatCount(p.value),
        formatMs(meanOf(p, (r) => cell(r, 'p99_ms'))),
        p99 === undefined ? '–' : formatMs(p99.upper),
        formatPercent(rej.mean),
        model.prices === undefined ? formatHours(meanOf(p, (r) => cell(r, 'worker_seconds'))) : formatPrice(meanOf(p, model.of)),
        missed(p),
      ]);
    }
  }
  const lines = [
    `Sizing ${report.path} in ${formatCount(report.lo)}..${formatCount(report.hi)} (${report.unit}) against ${formatSlo(report.slo)}, ${seeds} seed${seeds === 1 ? '' : 's'} per value, at most ${report.maxProbes} probes per policy set.`,
    wrap(SIZING_RULE, 100),
  ];
  if (report.outcomes.some((o) => o.points.length > 0)) lines.push(table.toString(), '* the smallest value that meets the SLO');
  const width = Math.max(...report.outcomes.map((o) => o.policy.length));
  for (const o of report.outcomes) {
    lines.push(`${o.policy.padEnd(width)}  ${outcomeText(o, report)}${o.points.length > 0 ? ` (${o.points.length} probe${o.points.length === 1 ? '' : 's'})` : ''}`);
    // The first two say enough; the rest are in report.html's tooltip.
    for (const w of o.warnings.slice(0, 2)) lines.push(`  warning: not monotone: ${w}`);
    if (o.warnings.length > 2) lines.push(`  warning: ${o.warnings.length - 2} more such pair(s) of probes`);
  }
  return `${lines.join('\n')}\n`;
}

/** cli-table3 borders without a rule between rows, so a table takes one line per row. */
export const COMPACT_TABLE = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' } as const;

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

/** Wraps text at spaces to lines of at most `width` characters. */
export function wrap(text: string, width: number): string {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line.length > 0 && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line.length === 0 ? word : `${line} ${word}`;
  }
  if (line.length > 0) out.push(line);
  return out.join('\n');
}

/** The data of the sizing chart: one point per probe. */
export function sizingChartPoints(report: SizingReport, model: CostModel): { policy: string; value: number; p99: number; cost: number; meets: boolean }[] {
  return report.outcomes.flatMap((o) =>
    o.points.map((p) => ({ policy: o.policy, value: p.value, p99: meanOf(p, (r) => cell(r, 'p99_ms')), cost: meanOf(p, model.of), meets: p.meets })),
  );
}
