import { CHART_CAPTIONS, cdfSpec, coincidingLatencies, costSpec, pathsSpec, policyColors, sizingSpec, timelineSpec, type ChartKey, type CoincidingLines } from './charts.ts';
import { outcomeText, SIZING_RULE, sizingChartPoints, type SizingReport } from './sizing.ts';
import { answerLine } from './answer.ts';
import { costModel, formatPrice, type CostModel } from './cost.ts';
import { cell, formatCount, formatHours, formatMs, formatPercent, formatRatio, formatSlo } from './format.ts';
import { DENSITY_CAPTION, densityShown } from './density.ts';
import { paretoFront } from './pareto.ts';
import { checkSlo, recommend, rejectedFraction, type Recommendation, type SloMetric } from './recommend.ts';
import { rowsPerPolicy, runsPerPolicy } from './per-policy.ts';
import type { ReportInput } from './report-input.ts';
import type { SummaryRow } from './summary.ts';
import { renderSvg } from './vega-svg.ts';

/**
 * Renders report.html: one self-contained file (styles inline, charts as
 * inline SVG rendered here with Vega-Lite; no scripts, fonts or requests) so
 * it opens offline and can be mailed or attached as it is. Async because
 * Vega renders asynchronously.
 */
export async function renderHtmlReport(given: ReportInput): Promise<string> {
  const input: ReportInput = { ...given, rows: rowsPerPolicy(given.rows), runs: runsPerPolicy(given.runs) };
  const policies = input.rows.map((r) => String(r.policy));
  const model = costModel(input.prices);
  const rec = input.slo === undefined ? undefined : recommend(input.rows, input.slo, model);
  const recommended = rec?.kind === 'meets' ? rec.policy : undefined;
  // The cost chart shows every set; the others a dozen at most (a study of 1,000 sets would draw 1,000 lines and panels).
  const drawn = drawnPolicies(input.rows, rec, model);
  const isDrawn = (p: string): boolean => drawn.includes(p);
  const charts: Record<ChartKey, string> = {
    cdf: await renderSvg(cdfSpec(input.runs.filter((r) => isDrawn(r.policy)), drawn, input.slo, 'policy set', policyColors(policies, drawn), { overhead: true }), 'cdf'),
    cost: await renderSvg(costSpec(input.rows, policies, input.slo, recommended, model), 'cost'),
    timeline: await renderSvg(timelineSpec(input.runs.filter((r) => isDrawn(r.policy))), 'timeline'),
    paths: await renderSvg(pathsSpec(input.rows.filter((r) => isDrawn(String(r.policy)))), 'paths'),
  };
  const coinciding = coincidingLatencies(input.runs.filter((r) => isDrawn(r.policy)), input.slo);
  const shown =
    drawn.length < policies.length
      ? ` It shows ${drawn.length} of the ${formatCount(policies.length)} policy sets: the recommended or closest, the Pareto front, then the first in order.`
      : '';
  const title = `${input.scenario.name}: policy report`;
  return `${documentHead(title)}
<body>
<main>
${header(input)}
${recommendation(input, rec, model)}
${input.sizing === undefined ? '' : await sizingSection(input.sizing, model)}
${summaryTable(input, rec, model)}
${densityTable(input)}
${(Object.keys(CHART_CAPTIONS) as ChartKey[]).map((k) => chartSection(k, charts[k], (k === 'timeline' && input.seeds.length > 1 ? ' With several seeds, each panel shows the first seed.' : '') + (k === 'cdf' ? coincidingNote(coinciding) : '') + (k === 'cost' ? '' : shown))).join('\n')}
<footer>Written by <code>npm run simulate</code>. This file is self-contained: it needs no network and no scripts. The numbers are in <code>summary.csv</code> beside it.</footer>
</main>
</body>
</html>
`;
}

/**
 * Names the latency lines that lie on one another in the CDF chart's top row,
 * so a reader looks for their markers instead of a missing line (issue 16).
 */
export function coincidingNote(c: CoincidingLines): string {
  const list = (names: readonly string[]): string =>
    names.length === c.sets && c.sets > 2 ? `all ${c.sets} sets` : names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  const where: string[] = c.whole.map((g) => `${list(g)} in the whole distribution`);
  for (const g of c.tail) {
    // Often the tail's group is the whole distribution's and one more: say so rather than name them all again.
    const same = c.whole.length === 1 && c.whole[0]!.every((p) => g.includes(p)) ? c.whole[0] : undefined;
    const rest = same === undefined ? g : g.filter((p) => !same.includes(p));
    const these = same === undefined ? '' : same.length === 2 ? 'these two' : `these ${same.length}`;
    where.push(`${same === undefined ? list(g) : rest.length === 0 ? these : `${these} and ${list(rest)}`} in the tail`);
  }
  if (where.length === 0) return '';
  return ` Latency lines that lie on one another (told apart by their markers, each set's at its own heights): ${where.join('; ')}.`;
}

/** At most this many policy sets in the CDF, timeline and paths charts. */
export const MAX_DRAWN = 12;

/**
 * The policy sets the line and panel charts draw, in the report's order:
 * all of them up to MAX_DRAWN; beyond, the recommended (or closest) set,
 * then the Pareto front by cost, then the first sets in order.
 */
export function drawnPolicies(rows: readonly SummaryRow[], rec: Recommendation | undefined, model: CostModel, max = MAX_DRAWN): string[] {
  const all = rows.map((r) => String(r.policy));
  if (all.length <= max) return all;
  const chosen = new Set<string>();
  if (rec !== undefined && rec.policy.length > 0) chosen.add(rec.policy);
  for (const r of paretoFront(rows, model)) if (chosen.size < max) chosen.add(String(r.policy));
  for (const p of all) if (chosen.size < max) chosen.add(p);
  return all.filter((p) => chosen.has(p));
}

function header(input: ReportInput): string {
  const counts = [...new Set(input.rows.map((r) => cell(r, 'invocations')))].sort((a, b) => a - b);
  const invocations =
    counts.length === 0 ? '–' : counts.length === 1 ? `${formatCount(counts[0]!)} per policy set` : `${formatCount(counts[0]!)} to ${formatCount(counts[counts.length - 1]!)} per policy set`;
  const meta: [string, string][] = [
    [input.seeds.length === 1 ? 'Seed' : 'Seeds', input.seeds.length === 0 ? '–' : input.seeds.length === 1 ? String(input.seeds[0]) : `${input.seeds.join(', ')} (figures are means over seeds)`],
    ['Policy sets', String(input.rows.length)],
    ['Invocations', invocations],
    ['SLO', input.slo === undefined ? 'none given' : formatSlo(input.slo)],
  ];
  return `<header>
<p class="eyebrow">Agent runtime policy report</p>
<h1>${esc(input.scenario.name)}</h1>
${input.scenario.description.length > 0 ? `<p class="lede">${esc(input.scenario.description)}</p>` : ''}
<dl class="meta">${meta.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('')}</dl>
</header>`;
}

function recommendation(input: ReportInput, rec: Recommendation | undefined, model: CostModel): string {
  if (input.slo === undefined || rec === undefined) {
    return `<section class="rec rec-empty"><h2>Recommendation</h2><p>No SLO was given, so no policy set is recommended. Add <code>slo:</code> to the scenario or pass <code>--slo p99=1s</code> to name the cheapest policy set that meets a latency goal.</p><p class="slo">${esc(model.statement)}</p></section>`;
  }
  const verdict = rec.kind === 'meets' ? 'The cheapest policy set that meets the SLO:' : 'No policy set meets the SLO. The closest:';
  // The terminal's last line, word for word, so the page and the run say the same.
  const answer = answerLine({ rows: input.rows, slo: input.slo, model, ...(input.policies === undefined ? {} : { policies: input.policies }) });
  return `<section class="rec rec-${rec.kind}">
<h2>Recommendation</h2>
<p class="verdict">${esc(verdict)}</p>
${rec.policy.length > 0 ? `<p class="rec-policy">${esc(rec.policy)}</p>` : ''}
<p class="answer">${esc(answer)}</p>
<p>${esc(rec.details)}</p>
<p class="slo">SLO: ${esc(formatSlo(input.slo))}. ${esc(model.statement)}</p>
</section>`;
}

interface Column {
  readonly head: string;
  readonly title?: string;
  readonly value: (r: SummaryRow) => string;
  /** The SLO constraint this column shows, to flag cells that miss it. */
  readonly metric?: SloMetric;
}

const COLUMNS: readonly Column[] = [
  { head: 'served', value: (r) => formatCount(cell(r, 'served')) },
  { head: 'rejected', value: (r) => formatCount(cell(r, 'rejected')) + (cell(r, 'rejected') > 0 ? `<span class="sub">${formatPercent(rejectedFraction(r))}</span>` : ''), metric: 'rejected' },
  { head: 'p50', value: (r) => formatMs(cell(r, 'p50_ms')), metric: 'p50' },
  { head: 'p90', value: (r) => formatMs(cell(r, 'p90_ms')), metric: 'p90' },
  { head: 'p99', value: (r) => formatMs(cell(r, 'p99_ms')), metric: 'p99' },
  { head: 'overhead p99', title: 'p99 of latency minus execution: what the platform adds', value: (r) => formatMs(cell(r, 'overhead_p99_ms')), metric: 'overheadP99' },
  { head: 'worker-h', title: 'worker-hours: worker pods times the hours they ran', value: (r) => formatHours(cell(r, 'worker_seconds')) },
  { head: 'GiB-h', title: 'GiB-hours of worker memory', value: (r) => formatHours(cell(r, 'gib_seconds')) },
  { head: 'peak workers', value: (r) => formatCount(cell(r, 'peak_workers')) },
  // A share first, as in the terminal (which has no room for the count) and summary.md; the count below it.
  { head: 'warm', title: 'share of invocations that found their actor resident (count below)', value: (r) => `${formatPercent(cell(r, 'warm') / cell(r, 'invocations'))}<span class="sub">${formatCount(cell(r, 'warm'))}</span>` },
  { head: 'resumed', title: 'resumed from a local or an external snapshot', value: (r) => formatCount(cell(r, 'resume_local') + cell(r, 'resume_external')) },
  { head: 'golden / cold', title: 'new actors from the golden snapshot / cold boots', value: (r) => `${formatCount(cell(r, 'golden'))} / ${formatCount(cell(r, 'cold_boot'))}` },
];

function summaryTable(input: ReportInput, rec: Recommendation | undefined, model: CostModel): string {
  const front = new Set(paretoFront(input.rows, model).map((r) => String(r.policy)));
  const meeting = new Set(rec?.meeting ?? []);
  const body = input.rows
    .map((r) => {
      const policy = String(r.policy);
      const missed = new Set(input.slo === undefined ? [] : checkSlo(r, input.slo).filter((c) => !c.met).map((c) => c.metric));
      const badges = [
        rec?.kind === 'meets' && rec.policy === policy ? '<span class="badge badge-rec">recommended</span>' : '',
        rec?.kind === 'none' && rec.policy === policy ? '<span class="badge badge-closest">closest</span>' : '',
        input.slo !== undefined && meeting.has(policy) && rec?.policy !== policy ? '<span class="badge badge-meets">meets SLO</span>' : '',
        front.has(policy) ? '<span class="badge badge-front" title="on the Pareto front of ${esc(model.label)} against p99">Pareto</span>' : '',
      ].join('');
      const cls = rec?.policy === policy ? ` class="row-${rec.kind === 'meets' ? 'rec' : 'closest'}"` : '';
      const cells = COLUMNS.map((c) => `<td${c.metric !== undefined && missed.has(c.metric) ? ' class="miss" title="misses the SLO"' : ''}>${c.value(r)}</td>`).join('');
      return `<tr${cls}><th scope="row"><span class="policy">${esc(policy)}</span>${badges.length > 0 ? `<span class="badges">${badges}</span>` : ''}</th>${cells}</tr>`;
    })
    .join('\n');
  // Non-breaking hyphens: "worker-h" split after the hyphen reads as two words.
  const head = COLUMNS.map((c) => `<th scope="col"${c.title === undefined ? '' : ` title="${esc(c.title)}"`}>${esc(c.head).replaceAll('-', '&#8209;')}</th>`).join('');
  return `<section>
<h2>Summary</h2>
<p class="caption">One row per policy set; latencies over served invocations after warm-up.${input.slo === undefined ? '' : ' Red cells miss the SLO.'} <em>Pareto</em>: no other set is both cheaper (${esc(model.label)}) and lower in p99. ${esc(model.statement)}</p>
<div class="table-wrap"><table>
<thead><tr><th scope="col">policy set</th>${head}</tr></thead>
<tbody>
${body}
</tbody>
</table></div>
</section>`;
}

/** Density per policy set (reports/density.ts); nothing when no column has a value (a scenario without cluster nodes and no pods). */
function densityTable(input: ReportInput): string {
  const columns = densityShown(input.rows);
  if (columns.length === 0) return '';
  const head = columns.map((c) => `<th scope="col" title="${esc(c.title)}">${esc(c.head)}</th>`).join('');
  const body = input.rows
    .map((r) => `<tr><th scope="row"><span class="policy">${esc(String(r.policy))}</span></th>${columns.map((c) => `<td>${formatRatio(cell(r, c.peak))} / ${formatRatio(cell(r, c.mean))}</td>`).join('')}</tr>`)
    .join('\n');
  return `<section id="density">
<h2>Density</h2>
<p class="caption">${esc(DENSITY_CAPTION)}</p>
<div class="table-wrap"><table>
<thead><tr><th scope="col">policy set</th>${head}</tr></thead>
<tbody>
${body}
</tbody>
</table></div>
</section>`;
}

/** simulate --size: each policy set's answer, the rule, and the frontier chart. */
async function sizingSection(report: SizingReport, model: CostModel): Promise<string> {
  // Only the sets that were probed: a skipped set has nothing to draw and would take a colour and a legend entry.
  const policies = report.outcomes.filter((o) => o.points.length > 0).map((o) => o.policy);
  const knob = report.path.slice(report.path.lastIndexOf('.') + 1);
  const body = report.outcomes
    .map((o) => {
      const at = o.points.find((p) => p.value === o.value);
      const p99 = at === undefined ? '–' : formatMs(mean(at.rows.map((r) => cell(r, 'p99_ms'))));
      const cost = at === undefined ? '–' : model.prices === undefined ? formatHours(mean(at.rows.map((r) => cell(r, 'worker_seconds')))) : formatPrice(mean(at.rows.map(model.of)));
      const warn = o.warnings.length === 0 ? '' : `<span class="sub" title="${esc(o.warnings.join('; '))}">not monotone (${o.warnings.length})</span>`;
      return `<tr><th scope="row"><span class="policy">${esc(o.policy)}</span></th><td class="text">${esc(outcomeText(o, report))}${warn}</td><td>${p99}</td><td>${cost}</td><td>${o.points.length}</td></tr>`;
    })
    .join('\n');
  const svg = await renderSvg(sizingSpec(sizingChartPoints(report, model), policies, knob, report.slo, model), 'sizing');
  return `<section id="sizing">
<h2>Sizing: the smallest ${esc(report.path)} that meets the SLO</h2>
<p class="caption">Searched in ${formatCount(report.lo)}..${formatCount(report.hi)} for each policy set, with ${report.seeds.length} seed${report.seeds.length === 1 ? '' : 's'} per value: exponential steps until a value meets the SLO, then bisection (at most ${report.maxProbes} probes each). ${esc(SIZING_RULE)} The summary below shows each policy set at its answer; every probe is in <code>sizing.csv</code>. The chart shows each probe: p99 (dashed: the goal) and cost against the value; filled points meet the SLO, small pale ones do not.</p>
<div class="table-wrap"><table>
<thead><tr><th scope="col">policy set</th><th scope="col" class="text">answer</th><th scope="col">p99 there</th><th scope="col">${esc(model.prices === undefined ? 'worker-h' : 'price').replaceAll('-', '&#8209;')} there</th><th scope="col">probes</th></tr></thead>
<tbody>
${body}
</tbody>
</table></div>
<figure>${svg}</figure>
</section>`;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function chartSection(key: ChartKey, svg: string, note: string): string {
  const { title, caption } = CHART_CAPTIONS[key];
  return `<section class="chart" id="chart-${key}">
<h2>${esc(title)}</h2>
<p class="caption">${esc(caption + note)}</p>
<figure>${svg}</figure>
</section>`;
}

/** Escapes text for HTML content and attribute values. */
/** A self-contained page's start, to </head>: the title and the report style (plus `extraStyle`). */
export function documentHead(title: string, extraStyle = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}${extraStyle}</style>
</head>`;
}

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The report's style sheet, shared by report.html and the fidelity report. */
const STYLE = `
:root {
  --ink: #1f2933; --muted: #52606d; --line: #e4e7eb; --bg: #f5f7fa; --card: #ffffff;
  --good: #2f7d4a; --good-bg: #e8f5ec; --warn: #9a5b00; --warn-bg: #fff4e0; --bad: #b42318; --bad-bg: #fdecea;
  --accent: #1f3b73;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
main { max-width: 1240px; margin: 0 auto; padding: 32px 24px 48px; }
header { margin-bottom: 20px; }
.eyebrow { margin: 0; color: var(--muted); font-size: 12px; font-weight: 600; letter-spacing: .08em; text-transform: uppercase; }
h1 { margin: 4px 0 6px; font-size: 28px; line-height: 1.2; letter-spacing: -.01em; }
h2 { margin: 0 0 4px; font-size: 18px; line-height: 1.3; }
.lede { margin: 0 0 14px; color: var(--muted); font-size: 16px; max-width: 70ch; }
.meta { display: flex; flex-wrap: wrap; gap: 8px 28px; margin: 0; }
.meta div { min-width: 0; }
.meta dt { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .06em; }
.meta dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 18px 20px; margin: 16px 0; }
.caption { margin: 0 0 12px; color: var(--muted); font-size: 14px; max-width: 95ch; }
.rec { border-left: 6px solid var(--muted); }
.rec-meets { border-left-color: var(--good); background: var(--good-bg); }
.rec-none { border-left-color: var(--warn); background: var(--warn-bg); }
.rec p { margin: 4px 0; }
.rec .verdict { font-weight: 600; color: var(--muted); }
.rec-policy { font-size: 22px; font-weight: 700; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; word-break: break-all; }
.rec-meets .rec-policy { color: var(--good); }
.rec-none .rec-policy { color: var(--warn); }
.rec .slo { color: var(--muted); font-size: 14px; }
.rec .answer { font-weight: 600; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .92em; background: rgba(0,0,0,.05); padding: 1px 4px; border-radius: 4px; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; font-variant-numeric: tabular-nums; }
th, td { padding: 7px 8px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; vertical-align: top; }
thead th { color: var(--muted); font-weight: 600; font-size: 11.5px; text-transform: uppercase; letter-spacing: .04em; border-bottom: 2px solid var(--line); vertical-align: bottom; white-space: normal; }
thead th[title] { text-decoration: underline dotted; text-underline-offset: 3px; cursor: help; }
th[scope="row"], thead th:first-child { text-align: left; }
th[scope="row"] { font-weight: 500; white-space: normal; }
.badges { display: block; margin-top: 2px; }
.policy { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; white-space: nowrap; }
tbody tr:hover { background: #f8fafc; }
tr.row-rec { background: var(--good-bg); }
tr.row-closest { background: var(--warn-bg); }
th.text, td.text { text-align: left; white-space: normal; }
td.miss { color: var(--bad); background: var(--bad-bg); font-weight: 600; }
.sub { display: block; color: var(--muted); font-size: 11.5px; }
.badge { display: inline-block; margin: 0 4px 0 0; padding: 0 6px; border-radius: 999px; font-size: 11px; font-weight: 600; line-height: 18px; vertical-align: 1px; }
.badge-rec { background: var(--good); color: #fff; }
.badge-closest { background: var(--warn); color: #fff; }
.badge-meets { background: var(--good-bg); color: var(--good); border: 1px solid #b7dfc3; }
.badge-front { background: #e8edf7; color: var(--accent); }
figure { margin: 0; }
figure svg { display: block; max-width: 100%; height: auto; }
footer { color: var(--muted); font-size: 13px; margin-top: 24px; }
/* Narrow windows (1,000 px and less): the table must fit, not scroll: tighter cells, smaller type, and policy names
   wrapping at their hyphens. */
@media (max-width: 1180px) {
  table { font-size: 12px; }
  th, td { padding: 6px 4px; }
  thead th { font-size: 10.5px; letter-spacing: .02em; }
  .policy { white-space: normal; font-size: 11.5px; }
  .sub { font-size: 10.5px; }
  .badge { font-size: 10px; padding: 0 4px; }
}
@media (max-width: 640px) { main { padding: 20px 12px; } section { padding: 14px 12px; } h1 { font-size: 22px; } }
@media print { body { background: #fff; } section { break-inside: avoid; border-color: #ccc; } }
`;
