import { CHART_CAPTIONS, type ChartKey } from './charts.ts';
import { answerLine } from './answer.ts';
import { costModel, formatCost } from './cost.ts';
import { cell, formatCount, formatHours, formatMs, formatPercent, formatRatio, formatSlo } from './format.ts';
import { DENSITY_CAPTION, densityShown } from './density.ts';
import { paretoFront } from './pareto.ts';
import { recommend, rejectedFraction } from './recommend.ts';
import { rowsPerPolicy } from './per-policy.ts';
import type { ReportInput } from './report-input.ts';
import type { SummaryRow } from './summary.ts';

const TABLE: readonly { readonly head: string; readonly value: (r: SummaryRow) => string }[] = [
  { head: 'policy set', value: (r) => `\`${String(r.policy)}\`` },
  { head: 'served', value: (r) => formatCount(cell(r, 'served')) },
  { head: 'rejected', value: (r) => (cell(r, 'rejected') > 0 ? `${formatCount(cell(r, 'rejected'))} (${formatPercent(rejectedFraction(r))})` : formatCount(cell(r, 'rejected'))) },
  { head: 'p50', value: (r) => formatMs(cell(r, 'p50_ms')) },
  { head: 'p90', value: (r) => formatMs(cell(r, 'p90_ms')) },
  { head: 'p99', value: (r) => formatMs(cell(r, 'p99_ms')) },
  { head: 'overhead p99', value: (r) => formatMs(cell(r, 'overhead_p99_ms')) },
  { head: 'worker-h', value: (r) => formatHours(cell(r, 'worker_seconds')) },
  { head: 'GiB-h', value: (r) => formatHours(cell(r, 'gib_seconds')) },
  { head: 'peak workers', value: (r) => formatCount(cell(r, 'peak_workers')) },
  // The share first, as the terminal and report.html print it; the count in brackets.
  { head: 'warm', value: (r) => `${formatPercent(cell(r, 'warm') / cell(r, 'invocations'))} (${formatCount(cell(r, 'warm'))})` },
  { head: 'resumed', value: (r) => formatCount(cell(r, 'resume_local') + cell(r, 'resume_external')) },
  { head: 'golden / cold', value: (r) => `${formatCount(cell(r, 'golden'))} / ${formatCount(cell(r, 'cold_boot'))}` },
];

/**
 * Renders summary.md: the recommendation, the summary table, the Pareto
 * front and what each chart of report.html shows, for reading in a terminal,
 * a pull request or an issue, where the HTML cannot be shown.
 */
export function renderMarkdownSummary(given: ReportInput): string {
  const input: ReportInput = { ...given, rows: rowsPerPolicy(given.rows) };
  const out: string[] = [];
  out.push(`# ${text(input.scenario.name)}`, '');
  if (input.scenario.description.length > 0) out.push(text(input.scenario.description), '');
  const seeds = input.seeds.length === 0 ? '–' : input.seeds.length === 1 ? String(input.seeds[0]) : `${input.seeds.join(', ')} (figures are means over seeds)`;
  out.push(`${input.seeds.length === 1 ? 'Seed' : 'Seeds'}: ${seeds}. Policy sets: ${input.rows.length}.`, '');

  const model = costModel(input.prices);
  out.push('## Recommendation', '');
  // The line the terminal ends with, so the two never disagree; the details follow.
  out.push(text(answerLine({ rows: input.rows, model, ...(input.slo === undefined ? {} : { slo: input.slo }), ...(input.policies === undefined ? {} : { policies: input.policies }) })), '');
  if (input.slo !== undefined) {
    const rec = recommend(input.rows, input.slo, model);
    out.push(`SLO: ${formatSlo(input.slo)}.`, '');
    if (rec.kind === 'meets') out.push(`**Recommended: \`${rec.policy}\`**, the cheapest policy set that meets the SLO: ${rec.details}`, '');
    else if (rec.policy.length > 0) out.push(`**No policy set meets the SLO.** The closest is \`${rec.policy}\`. ${rec.details}`, '');
    else out.push(`**No policy set meets the SLO.** ${rec.details}`, '');
  }
  out.push(model.statement, '');

  out.push('## Summary', '');
  out.push(`| ${TABLE.map((c) => c.head).join(' | ')} |`);
  out.push(`| ${TABLE.map((_, i) => (i === 0 ? ':--' : '--:')).join(' | ')} |`);
  for (const r of input.rows) out.push(`| ${TABLE.map((c) => tableCell(c.value(r))).join(' | ')} |`);
  out.push('', 'Latencies are over served invocations after warm-up; warm is the share of invocations that found their actor resident (the count in brackets), as in the terminal.', '');

  const density = densityShown(input.rows);
  if (density.length > 0) {
    out.push('## Density', '');
    out.push(`| policy set | ${density.map((c) => c.head).join(' | ')} |`);
    out.push(`| :-- | ${density.map(() => '--:').join(' | ')} |`);
    for (const r of input.rows) out.push(`| ${tableCell(`\`${String(r.policy)}\``)} | ${density.map((c) => `${formatRatio(cell(r, c.peak))} / ${formatRatio(cell(r, c.mean))}`).join(' | ')} |`);
    out.push('', DENSITY_CAPTION, '');
  }

  out.push(`## Pareto front (${model.label} against p99)`, '');
  const front = paretoFront(input.rows, model);
  if (front.length === 0) {
    out.push('No policy set served any invocation, so there is no front.', '');
  } else {
    out.push('No other policy set is both cheaper and faster than these, cheapest first:', '');
    front.forEach((r, i) => out.push(`${i + 1}. \`${String(r.policy)}\`: ${formatCost(model, r)}, p99 ${formatMs(cell(r, 'p99_ms'))}`));
    out.push('');
  }

  out.push('## Charts in report.html', '');
  for (const key of Object.keys(CHART_CAPTIONS) as ChartKey[]) out.push(`- **${CHART_CAPTIONS[key].title}.** ${CHART_CAPTIONS[key].caption}`);
  out.push('');
  return out.join('\n');
}

/** A table cell: a pipe would end the cell and a newline the row. */
function tableCell(s: string): string {
  return oneLine(s).replaceAll('|', '\\|');
}

/** Free text from the scenario: one line, and no tag a Markdown renderer would take for HTML. */
function text(s: string): string {
  return oneLine(s).replaceAll('<', '&lt;');
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ');
}
