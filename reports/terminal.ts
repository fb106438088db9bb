import type { Slo } from '../scenarios/scenario.ts';
import { meanCi } from './aggregate.ts';
import { cell, formatCount, formatHours, formatMs, formatPercent, formatRatio } from './format.ts';
import { wrap } from './sizing.ts';
import type { SummaryRow } from './summary.ts';

/** The widest the terminal table may be: a terminal or a pasted log, not the report (issue 16). */
export const TERMINAL_WIDTH = 100;

/** Between columns. */
const GAP = '  ';

/** A column of the terminal table: its head (one or two lines), how to get its value from a summary row, and how to print one. */
interface TerminalColumn {
  readonly head: readonly [string, string?];
  readonly get: (r: SummaryRow) => number;
  readonly show: (x: number) => string;
}

const latency = (head: 'p50' | 'p90' | 'p99', column: 'p50_ms' | 'p90_ms' | 'p99_ms'): TerminalColumn => ({ head: [head], get: (r) => cell(r, column), show: formatMs });

/**
 * The columns after the policy set: what the SLO judges (the percentiles it
 * sets, else p99; overhead p99; rejections), what it costs (worker-hours,
 * GiB-hours) and what explains it (warm share, peak workers, mean actors per
 * pod). The same terms and units as report.html; p50/p90, served, resumed,
 * golden/cold and density per node are in summary.md and report.html.
 */
export function terminalColumns(slo?: Slo): TerminalColumn[] {
  const percentiles: TerminalColumn[] = [];
  if (slo?.p50 !== undefined) percentiles.push(latency('p50', 'p50_ms'));
  if (slo?.p90 !== undefined) percentiles.push(latency('p90', 'p90_ms'));
  if (slo?.p99 !== undefined || percentiles.length === 0) percentiles.push(latency('p99', 'p99_ms'));
  return [
    { head: ['rejected'], get: (r) => cell(r, 'rejected'), show: formatCount },
    ...percentiles,
    { head: ['overhead', 'p99'], get: (r) => cell(r, 'overhead_p99_ms'), show: formatMs },
    // A share, as in report.html: a count means nothing without the invocations beside it.
    { head: ['warm'], get: (r) => cell(r, 'warm') / cell(r, 'invocations'), show: formatPercent },
    { head: ['worker', 'hours'], get: (r) => cell(r, 'worker_seconds'), show: formatHours },
    { head: ['GiB', 'hours'], get: (r) => cell(r, 'gib_seconds'), show: formatHours },
    { head: ['peak', 'workers'], get: (r) => cell(r, 'peak_workers'), show: formatCount },
    { head: ['actors', 'per pod'], get: (r) => cell(r, 'mean_actors_per_pod'), show: formatRatio },
  ];
}

/** What the terminal table's heads mean and where the rest is, under it (wrapped to TERMINAL_WIDTH). */
export const TERMINAL_LEGEND =
  'warm: share of invocations that found their actor resident; actors per pod: mean resident actors per worker. ' +
  'Served, resumed, golden/cold, p50/p90 and density per node: summary.md, report.html.';

/**
 * Renders the terminal table of `simulate`: one row per policy set, in at
 * most TERMINAL_WIDTH columns for policy names up to 31 characters (every
 * shipped scenario). With several seeds a cell is the mean over the seeds,
 * followed by ± the half-width of its 95% confidence interval where that is
 * not zero as printed. No borders: they cost three columns each. The
 * legend follows, so the table reads without the report.
 */
export function summaryTable(rows: readonly SummaryRow[], slo?: Slo): string {
  const columns = terminalColumns(slo);
  const byPolicy = new Map<string, SummaryRow[]>();
  for (const r of rows) {
    const list = byPolicy.get(String(r.policy));
    if (list === undefined) byPolicy.set(String(r.policy), [r]);
    else list.push(r);
  }
  const body: string[][] = [];
  for (const [policy, list] of byPolicy) {
    body.push([
      policy,
      ...columns.map((c) => {
        const values = list.map(c.get);
        if (values.length === 1) return c.show(values[0]!);
        const s = meanCi(values);
        const half = c.show(s.halfWidth);
        return Number.isNaN(s.halfWidth) || half === c.show(0) ? c.show(s.mean) : `${c.show(s.mean)} ± ${half}`;
      }),
    ]);
  }
  const heads: [string, string][] = [['', 'policy set'], ...columns.map((c): [string, string] => (c.head[1] === undefined ? ['', c.head[0]] : [c.head[0], c.head[1]]))];
  const widths = heads.map((h, i) => Math.max(h[0].length, h[1].length, ...body.map((b) => b[i]!.length)));
  // The policy set left-aligned, numbers right-aligned.
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(GAP).trimEnd();
  const lines = [line(heads.map((h) => h[0])), line(heads.map((h) => h[1])), widths.map((w) => '─'.repeat(w)).join(GAP), ...body.map(line)];
  if (lines[0]!.length === 0) lines.shift();
  return `${lines.join('\n')}\n${wrap(TERMINAL_LEGEND, TERMINAL_WIDTH)}`;
}
