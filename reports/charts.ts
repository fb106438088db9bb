import type { TopLevelSpec } from 'vega-lite';
import type { Slo } from '../scenarios/scenario.ts';
import { downsampleSamples, extent, latencyCdf, overheadCdf } from './chart-data.ts';
import { cell } from './format.ts';
import { costModel, gibHours, type CostModel } from './cost.ts';
import { paretoFront } from './pareto.ts';
import type { ReportRun } from './report-input.ts';
import type { SummaryRow } from './summary.ts';

/** The charts of a report, in the order they appear. */
export type ChartKey = 'cdf' | 'cost' | 'timeline' | 'paths';

/** What each chart shows, one line each: the caption in report.html and the chart list in summary.md. */
export const CHART_CAPTIONS: Readonly<Record<ChartKey, { readonly title: string; readonly caption: string }>> = {
  cdf: {
    title: 'Latency distribution',
    caption:
      'Share of served invocations (after warm-up) at or under each latency, per policy set (each with its own colour, dash and marker shape; markers sit at different heights per set, so lines that coincide stay told apart): the whole distribution on the left, the tail from p90 on the right (log axes; grey dashed rules are SLO goals). The second row is the overhead (latency minus execution, what the platform adds), where sets whose latencies coincide differ.',
  },
  cost: {
    title: 'Cost against tail latency',
    caption:
      'Each policy set’s p99 latency against its cost as the report counts it (left, with the grey staircase joining the Pareto front: no other set is both cheaper and faster) and against GiB-hours of worker memory (right). Large points are on the front (named where there is room), small pale ones are not; the black ring, labelled, is the recommendation. Linear axes start at zero.',
  },
  timeline: {
    title: 'Workers and resident actors over time',
    caption: 'Workers running and actors resident on them, per policy set over the simulated run (peak of each interval; each panel has its own scale).',
  },
  paths: {
    title: 'How invocations were served',
    caption: 'Share of invocations per path, per policy set: warm (resident), resumed from a local or an external snapshot, from the golden snapshot, cold boot, or rejected.',
  },
};

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
const INK = '#1f2933';
const MUTED = '#52606d';
const GRID = '#e4e7eb';

// Tableau 10, then ten more that stay apart from it; policy sets keep one colour across every chart.
const PALETTE = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac',
  '#1f3b73', '#a0522d', '#7b3294', '#2a9d8f', '#8c6d1f', '#c2185b', '#5c6bc0', '#6b8e23', '#d35400', '#546e7a',
];

/** Paths in the order they stack, with colours that read from good (green) to bad (red). */
const PATHS: readonly { readonly column: keyof SummaryRow; readonly label: string; readonly color: string }[] = [
  { column: 'warm', label: 'warm', color: '#59a14f' },
  { column: 'resume_local', label: 'resume local', color: '#8cd17d' },
  { column: 'resume_external', label: 'resume external', color: '#4e79a7' },
  { column: 'golden', label: 'golden', color: '#edc948' },
  { column: 'cold_boot', label: 'cold boot', color: '#f28e2b' },
  { column: 'rejected', label: 'rejected', color: '#e15759' },
];

const CONFIG = {
  font: FONT,
  background: '#ffffff',
  padding: 8,
  view: { stroke: null },
  axis: {
    labelColor: MUTED,
    titleColor: INK,
    gridColor: GRID,
    domainColor: '#9aa5b1',
    tickColor: '#9aa5b1',
    labelFontSize: 11,
    titleFontSize: 12,
    titleFontWeight: 600,
    titlePadding: 8,
  },
  legend: { labelColor: INK, titleColor: INK, labelFontSize: 11, titleFontSize: 12, labelLimit: 320, symbolStrokeWidth: 2.5 },
  title: { color: INK, fontSize: 13, fontWeight: 600, anchor: 'start' },
} as const;

/** The policy legend: under the chart, in columns, so long policy names fit. */
const LEGEND = { orient: 'bottom', columns: 3, symbolSize: 160, columnPadding: 24, symbolOpacity: 1 } as const;

/** Width of a full-width chart's plotting area in px; the page scales SVGs down to fit. */
const WIDTH = 1030;

/** Policy colours shared by every chart. */
function colorScale(policies: readonly string[]): { domain: string[]; range: string[] } {
  return { domain: [...policies], range: policies.map((_, i) => PALETTE[i % PALETTE.length]!) };
}

/** The colours of `chosen` as they are in a chart of `all`, so a set keeps its colour in a chart that shows only some. */
export function policyColors(all: readonly string[], chosen: readonly string[]): string[] {
  const index = new Map(all.map((p, i) => [p, i]));
  return chosen.map((p) => PALETTE[(index.get(p) ?? 0) % PALETTE.length]!);
}

/** Beyond this many policy sets colours repeat, so a colour legend names nothing and only takes room. */
const LEGEND_LIMIT = PALETTE.length;

/** Tick values 1-2-5 per decade within [lo, hi], so a log axis is labelled in round numbers. */
function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  if (!(lo > 0) || !(hi >= lo)) return ticks;
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = Number((m * 10 ** e).toPrecision(6));
      if (v >= lo * 0.999 && v <= hi * 1.001) ticks.push(v);
    }
  }
  return ticks;
}

// Round durations in ms: 1-2-5 below a second, then what clocks show (30 s, 1 min, 2 min, 5 min, ...).
const TIME_TICKS_MS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_200_000, 1_800_000, 3_600_000,
  7_200_000, 18_000_000, 36_000_000, 86_400_000,
];

/** Tick values for a log latency axis within [lo, hi], in round durations. */
function timeTicks(lo: number, hi: number): number[] {
  return TIME_TICKS_MS.filter((v) => v >= lo * 0.999 && v <= hi * 1.001);
}

// Vega expression that labels a millisecond value as "250 ms", "2 s", "5 min".
const MS_LABEL =
  "datum.value >= 3600000 ? format(datum.value / 3600000, '~r') + ' h' : datum.value >= 60000 ? format(datum.value / 60000, '~r') + ' min' : datum.value >= 1000 ? format(datum.value / 1000, '~r') + ' s' : format(datum.value, '~r') + ' ms'";

/** Whether values spread enough that a log axis shows them better than a linear one. */
function wantsLog(values: readonly number[]): boolean {
  const e = extent(values.filter((x) => x > 0));
  return e !== undefined && e[1] / e[0] > 4;
}

/** The latency goals of an SLO, as vertical rules on latency axes. */
function sloRules(slo: Slo | undefined): { goal: string; ms: number }[] {
  if (slo === undefined) return [];
  const rules: { goal: string; ms: number }[] = [];
  for (const k of ['p50', 'p90', 'p99'] as const) {
    const v = slo[k];
    if (v !== undefined) rules.push({ goal: `${k} goal`, ms: v });
  }
  return rules;
}

/**
 * Dash patterns per policy set, cycled: with the agent's own work dominating,
 * several sets' latency CDFs can lie on top of each other, and colour alone
 * would hide all but the last drawn. Solid first, then patterns that stay
 * apart even where two lines cross.
 */
const DASHES: readonly (readonly number[])[] = [[1, 0], [7, 3], [2, 3], [12, 3, 2, 3], [4, 4], [1, 5], [9, 3, 2, 3, 2, 3], [16, 4]];

/**
 * A marker shape per policy set, cycled like the dashes: where lines lie
 * exactly on one another no dash shows through, so each line also carries a
 * few markers of its own shape, each set's at its own heights (see cdfMarkers).
 */
const SHAPES: readonly string[] = ['circle', 'square', 'triangle-up', 'diamond', 'cross', 'triangle-down', 'triangle-right', 'triangle-left'];

/** Markers per line in the whole panel and in the tail panel. */
const MARKERS_WHOLE = 4;
const MARKERS_TAIL = 3;

/** Lines closer than this many px everywhere (about one line width and a half) are drawn as one. */
const COINCIDE_PX = 3;

/** One CDF line as drawn: x is the latency (log axis), y the share or the nines. */
type Polyline = readonly { readonly ms: number; readonly y: number }[];

/** The latency where a line drawn linearly in (log ms, y) reaches `y`, or undefined if it never does. */
function latencyAt(line: Polyline, y: number): number | undefined {
  const j = line.findIndex((p) => p.y >= y);
  if (j < 0) return undefined;
  const b = line[j]!;
  if (j === 0 || b.y === line[j - 1]!.y) return b.ms;
  const a = line[j - 1]!;
  const t = (y - a.y) / (b.y - a.y);
  return Math.exp(Math.log(a.ms) + t * (Math.log(b.ms) - Math.log(a.ms)));
}

/**
 * The heights of one set's markers: `count` bands over [lo, hi], and in each
 * the set's own slot (index of n), so sets whose lines coincide show their
 * markers one after the other along the shared line instead of on one another.
 */
export function markerHeights(index: number, n: number, count: number, lo: number, hi: number): number[] {
  return Array.from({ length: count }, (_, k) => lo + ((hi - lo) * (k + (index + 0.5) / Math.max(1, n))) / count);
}

/**
 * Groups of policy sets whose lines lie within `px` pixels of each other at
 * every height in [yLo, yHi] (sampled), on a log x axis `domain` `widthPx`
 * wide: lines a reader sees as one. Only groups of two or more, each in the
 * order of `lines`.
 */
export function coincidingLines(lines: readonly { readonly policy: string; readonly line: Polyline }[], domain: [number, number], widthPx: number, yLo: number, yHi: number, px = COINCIDE_PX): string[][] {
  const pxPerLog = widthPx / Math.log(domain[1] / domain[0]);
  const ys = Array.from({ length: 41 }, (_, i) => yLo + ((yHi - yLo) * i) / 40);
  // Positions clamped to the panel: beyond its edges lines are clipped and look alike.
  const xs = lines.map(({ line }) => ys.map((y) => {
    const ms = latencyAt(line, y);
    return ms === undefined ? undefined : Math.min(Math.max(ms, domain[0]), domain[1]);
  }));
  const close = (a: number, b: number): boolean =>
    xs[a]!.every((x, k) => {
      const o = xs[b]![k];
      return (x === undefined) === (o === undefined) && (x === undefined || o === undefined || Math.abs(Math.log(x / o)) * pxPerLog <= px);
    });
  const groups: string[][] = [];
  const placed = new Set<number>();
  for (let a = 0; a < lines.length; a++) {
    if (placed.has(a)) continue;
    const group = [a];
    for (let b = a + 1; b < lines.length; b++) if (!placed.has(b) && group.every((g) => close(g, b))) group.push(b);
    if (group.length > 1) {
      for (const g of group) placed.add(g);
      groups.push(group.map((g) => lines[g]!.policy));
    }
  }
  return groups;
}

/** Options of the CDF chart. */
export interface CdfOptions {
  /** Add a second row with the CDF of the overhead (latency minus execution), where policy sets differ most. */
  readonly overhead?: boolean;
}

/**
 * Latency CDF per policy set: the whole distribution and the tail on a
 * "nines" axis; with `overhead`, the same two views of the overhead below.
 * The lines are the runs by their `policy` field, named in the legend under
 * `legendTitle` (fidelity draws a simulated and a real run), each with its
 * own colour and dash pattern.
 */
export function cdfSpec(runs: readonly ReportRun[], policies: readonly string[], slo?: Slo, legendTitle = 'policy set', colors?: readonly string[], options: CdfOptions = {}): TopLevelSpec {
  const scale = colors === undefined ? colorScale(policies) : { domain: [...policies], range: [...colors] };
  const color = { field: 'policy', type: 'nominal', title: legendTitle, scale, legend: LEGEND } as const;
  const dash = { field: 'policy', type: 'nominal', title: legendTitle, scale: { domain: [...policies], range: policies.map((_, i) => [...DASHES[i % DASHES.length]!]) }, legend: LEGEND } as const;
  const shape = { field: 'policy', type: 'nominal', title: legendTitle, scale: { domain: [...policies], range: policies.map((_, i) => SHAPES[i % SHAPES.length]!) }, legend: LEGEND } as const;
  const marks = { color, dash, shape, policies };
  const latency = cdfRow(runs, sloRules(slo), latencyCdf, 'latency', marks);
  if (options.overhead !== true) return { config: CONFIG, ...latency, resolve: { scale: { color: 'shared', strokeDash: 'shared', shape: 'shared', x: 'independent' } } } as TopLevelSpec;
  const overheadRules = slo?.overheadP99 === undefined ? [] : [{ goal: 'overhead p99 goal', ms: slo.overheadP99 }];
  const overhead = cdfRow(runs, overheadRules, overheadCdf, 'overhead (latency minus execution)', marks, 'Overhead: all served invocations', 'Overhead: the tail, from p90');
  return {
    config: CONFIG,
    vconcat: [latency, overhead],
    spacing: 28,
    resolve: { scale: { color: 'shared', strokeDash: 'shared', shape: 'shared', x: 'independent' } },
  } as unknown as TopLevelSpec;
}

/** What one row of the CDF chart draws: every line's points, both panels' x domains and how deep the tail goes. */
interface CdfRowData {
  readonly points: { policy: string; ms: number; fraction: number; nines: number }[];
  /** Each set's line in the whole panel (y: share) and in the tail panel (y: nines). */
  readonly lines: { policy: string; whole: Polyline; tail: Polyline }[];
  readonly domain: [number, number];
  readonly tailDomain: [number, number];
  readonly topNines: number;
}

function cdfRowData(
  runs: readonly ReportRun[],
  rules: readonly { goal: string; ms: number }[],
  cdfOf: (replies: ReportRun['replies'], warmupMs: number, maxPoints: number) => ReturnType<typeof latencyCdf>,
): CdfRowData {
  const points: { policy: string; ms: number; fraction: number; nines: number }[] = [];
  const lines: { policy: string; whole: Polyline; tail: Polyline }[] = [];
  let minN = Number.POSITIVE_INFINITY;
  const cdfs = runs.map((run) => ({ run, cdf: cdfOf(run.replies, run.warmupMs ?? 0, 200) }));
  for (const { cdf } of cdfs) if (cdf.served > 0) minN = Math.min(minN, cdf.served);
  // Show nines only as deep as the smallest run can resolve: p99.9 needs 1,000 latencies.
  const topNines = Number.isFinite(minN) ? Math.max(2, Math.min(3, Math.floor(Math.log10(minN) * 10) / 10)) : 3;
  let tailLo = Number.POSITIVE_INFINITY;
  let tailHi = Number.NEGATIVE_INFINITY;
  for (const { run, cdf } of cdfs) {
    const p90 = cdf.points.find((p) => p.fraction >= 0.9);
    if (p90 !== undefined) tailLo = Math.min(tailLo, p90.latencyMs);
    // The tail panel ends at the deepest percentile it shows, not at the maximum (at 1 - F = 0, off the top):
    // a lone slowest invocation would otherwise stretch the axis and leave part of it empty.
    const top = cdf.points.find((p) => p.fraction >= 1 - 10 ** -topNines - 1e-12);
    if (top !== undefined) tailHi = Math.max(tailHi, top.latencyMs);
    const whole: { ms: number; y: number }[] = [];
    const tail: { ms: number; y: number }[] = [];
    for (const p of cdf.points) {
      // The maximum has 1 - F = 0: put it past the last nine shown, where it is clipped.
      const nines = p.fraction >= 1 ? 9 : -Math.log10(1 - p.fraction);
      points.push({ policy: run.policy, ms: p.latencyMs, fraction: p.fraction, nines });
      whole.push({ ms: p.latencyMs, y: p.fraction });
      tail.push({ ms: p.latencyMs, y: nines });
    }
    lines.push({ policy: run.policy, whole, tail });
  }
  const range = extent([...extent(points.map((p) => p.ms)) ?? [], ...rules.map((r) => r.ms)]);
  let [lo, hi] = range ?? [1, 1000];
  // A log axis needs a range: every latency the same (or none) still gets one.
  if (!(hi > lo)) [lo, hi] = [lo / 2, hi * 2];
  // The tail panel spans the lowest p90 to the highest deepest percentile shown, so the lines fill its width.
  const tailDomain: [number, number] =
    Number.isFinite(tailLo) && Number.isFinite(tailHi) && tailHi > tailLo ? [tailLo / 1.1, tailHi * 1.1] : [lo, hi];
  return { points, lines, domain: [lo, hi], tailDomain, topNines };
}

/** Width of one CDF panel's plotting area, px. */
const CDF_PANEL_WIDTH = Math.floor((WIDTH - 60) / 2);

/** Policy sets whose latency lines a reader sees as one, per panel of the CDF chart's top row. */
export interface CoincidingLines {
  /** In "All served invocations" (shares 1% to 99%). */
  readonly whole: string[][];
  /** In "The tail, from p90". */
  readonly tail: string[][];
  /** How many sets the chart draws. */
  readonly sets: number;
}

/** Which policy sets' latency CDFs lie on one another, as cdfSpec draws them (issue 16: one set was invisible). */
export function coincidingLatencies(runs: readonly ReportRun[], slo?: Slo): CoincidingLines {
  const d = cdfRowData(runs, sloRules(slo), latencyCdf);
  return {
    whole: coincidingLines(d.lines.map((l) => ({ policy: l.policy, line: l.whole })), d.domain, CDF_PANEL_WIDTH, 0.01, 0.99),
    tail: coincidingLines(d.lines.map((l) => ({ policy: l.policy, line: l.tail })), d.tailDomain, CDF_PANEL_WIDTH, 1, d.topNines),
    sets: d.lines.length,
  };
}

/** One row of the CDF chart: the whole distribution of one measure and its tail, each line with its markers. */
function cdfRow(
  runs: readonly ReportRun[],
  rules: readonly { goal: string; ms: number }[],
  cdfOf: (replies: ReportRun['replies'], warmupMs: number, maxPoints: number) => ReturnType<typeof latencyCdf>,
  what: string,
  marks: { readonly color: unknown; readonly dash: unknown; readonly shape: unknown; readonly policies: readonly string[] },
  wholeTitle = 'All served invocations',
  tailTitle = 'The tail, from p90',
): Record<string, unknown> {
  const { color, dash, shape, policies } = marks;
  const { points, lines, domain, tailDomain, topNines } = cdfRowData(runs, rules, cdfOf);
  const [lo, hi] = domain;
  const slot = new Map(policies.map((p, i) => [p, i]));
  // Markers on each line at the set's own heights; drawn with the line's colour and a white edge so they read on top of
  // another set's line.
  // None on the panel's edges: a line running up the y axis there (overheads of 0 clamped to 1 ms) would pile up
  // every set's markers on the axis, half clipped.
  const markerPoints = (panel: 'whole' | 'tail', count: number, yLo: number, yHi: number) => {
    const [dLo, dHi] = panel === 'whole' ? domain : tailDomain;
    return lines.flatMap((l) => {
      const i = slot.get(l.policy) ?? 0;
      return markerHeights(i, policies.length, count, yLo, yHi).flatMap((y) => {
        const ms = latencyAt(l[panel], y);
        return ms === undefined || ms <= dLo * 1.001 || ms >= dHi / 1.001 ? [] : [{ policy: l.policy, ms, [panel === 'whole' ? 'fraction' : 'nines']: y }];
      });
    });
  };
  const markerLayer = (values: unknown[], yField: 'fraction' | 'nines') => ({
    data: { values },
    mark: { type: 'point', filled: true, size: 70, opacity: 1, stroke: '#ffffff', strokeWidth: 1, clip: true },
    encoding: { x: { field: 'ms', type: 'quantitative' }, y: { field: yField, type: 'quantitative' }, color, shape },
  });
  const x = (domain: [number, number]) =>
    ({
      field: 'ms',
      type: 'quantitative',
      title: `${what} (log scale)`,
      scale: { type: 'log', domain, nice: false },
      axis: { values: timeTicks(domain[0], domain[1]), labelExpr: MS_LABEL, grid: true, labelOverlap: true },
    }) as const;
  const line = { type: 'line', interpolate: 'linear', strokeWidth: 2, clip: true, strokeJoin: 'round' } as const;
  // Labels at the foot of the rules, right of them: a CDF rises to the left of its goal, so that corner is empty;
  // near the right edge, left of them, so they are not cut off.
  const ruleLayers = (yBottom: number, domain: [number, number]) => {
    // A goal outside the panel would only show a clipped label at its edge.
    const shown = rules.filter((r) => r.ms >= domain[0] && r.ms <= domain[1]);
    if (shown.length === 0) return [];
    const nearRight = (ms: number): boolean => scaleFraction({ type: 'log', domain }, ms) > 0.85;
    const label = (align: 'left' | 'right') => ({
      data: { values: shown.filter((r) => nearRight(r.ms) === (align === 'right')).map((r) => ({ ...r, y: yBottom })) },
      mark: { type: 'text', align, dx: align === 'left' ? 4 : -4, dy: -4, baseline: 'bottom', color: MUTED, fontSize: 10.5, clip: true },
      encoding: { x: { field: 'ms', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, text: { field: 'goal' } },
    });
    return [
      {
        data: { values: shown },
        mark: { type: 'rule', strokeDash: [5, 4], color: '#7b8794', strokeWidth: 1.3, clip: true },
        encoding: { x: { field: 'ms', type: 'quantitative' } },
      },
      label('left'),
      label('right'),
    ];
  };
  const panelWidth = CDF_PANEL_WIDTH;
  return {
    data: { values: points },
    hconcat: [
      {
        width: panelWidth,
        height: 300,
        title: wholeTitle,
        layer: [
          {
            mark: line,
            encoding: {
              x: x([lo, hi]),
              y: { field: 'fraction', type: 'quantitative', title: 'share at or under', scale: { domain: [0, 1] }, axis: { format: '%', values: [0, 0.25, 0.5, 0.75, 0.9, 1] } },
              color,
              strokeDash: dash,
            },
          },
          markerLayer(markerPoints('whole', MARKERS_WHOLE, 0.05, 0.95), 'fraction'),
          ...ruleLayers(0, [lo, hi]),
        ],
      },
      {
        width: panelWidth,
        height: 300,
        title: tailTitle,
        layer: [
          {
            mark: line,
            encoding: {
              x: x(tailDomain),
              y: {
                field: 'nines',
                type: 'quantitative',
                title: 'percentile',
                scale: { domain: [1, topNines], nice: false },
                axis: {
                  values: [1, 1.30103, 2, 2.30103, 3].filter((v) => v <= topNines + 1e-9),
                  labelExpr: "'p' + format(100 - 100 * pow(10, -datum.value), '.3~f')",
                },
              },
              color,
              strokeDash: dash,
            },
          },
          markerLayer(markerPoints('tail', MARKERS_TAIL, 1, topNines), 'nines'),
          ...ruleLayers(1, tailDomain),
        ],
      },
    ],
    resolve: { scale: { x: 'independent' } },
  };
}

/**
 * p99 against cost: the report's cost model on the left with its Pareto
 * front, GiB-hours of worker memory on the right for reference (without
 * prices the model is worker-hours). The front's points are filled and large,
 * the others small and pale; the recommendation is ringed and labelled as such.
 */
export function costSpec(rows: readonly SummaryRow[], policies: readonly string[], slo?: Slo, recommended?: string, model: CostModel = costModel()): TopLevelSpec {
  const front = new Set(paretoFront(rows, model).map((r) => String(r.policy)));
  const panel = (of: (r: SummaryRow) => number, title: string, withFront: boolean) => {
    const points = rows
      .map((r) => ({ policy: String(r.policy), cost: of(r), p99: cell(r, 'p99_ms'), front: front.has(String(r.policy)) }))
      .filter((p) => Number.isFinite(p.cost) && p.cost > 0 && Number.isFinite(p.p99) && p.p99 > 0);
    const frontPoints = points.filter((p) => p.front).sort((a, b) => a.cost - b.cost || a.p99 - b.p99);
    const costs = points.map((p) => p.cost);
    const p99s = [...points.map((p) => p.p99), ...(slo?.p99 === undefined ? [] : [slo.p99])];
    const xAxis = valueAxis(costs, title, logTicks, { format: '~s' });
    const yAxis = valueAxis(p99s, 'p99 latency', timeTicks, { labelExpr: MS_LABEL });
    const x = { field: 'cost', type: 'quantitative', ...xAxis } as const;
    const y = { field: 'p99', type: 'quantitative', ...yAxis } as const;
    const cLo = xAxis.scale.domain[0];
    const rec = points.filter((p) => p.policy === recommended);
    const labelled = [...frontPoints, ...rec.filter((p) => !p.front)];
    const labels = frontLabels(labelled, recommended, (p) => ({ x: scaleFraction(xAxis.scale, p.cost) * PANEL_WIDTH, y: (1 - scaleFraction(yAxis.scale, p.p99)) * PANEL_HEIGHT }));
    const color = { field: 'policy', type: 'nominal', title: 'policy set', scale: colorScale(policies), legend: policies.length > LEGEND_LIMIT ? null : LEGEND } as const;
    const labelLayer = (align: 'left' | 'right', isRec: boolean) => ({
      data: { values: labels.filter((l) => l.align === align && l.rec === isRec) },
      mark: { type: 'text', align, baseline: 'middle', dx: align === 'left' ? 11 : -11, dy: -11, fontSize: isRec ? 11.5 : 10.5, fontWeight: isRec ? 700 : 400, color: INK, limit: 420 },
      encoding: { x, y, text: { field: 'label' } },
    });
    const layers: unknown[] = [
      ...(withFront
        ? [
            {
              data: { values: frontPoints },
              mark: { type: 'line', interpolate: 'step-after', color: '#9aa5b1', strokeWidth: 6, opacity: 0.45, strokeCap: 'round', strokeJoin: 'round' },
              encoding: { x, y, order: { field: 'cost', type: 'quantitative' } },
            },
          ]
        : []),
      // Off the front: small, pale and filled, so they read as the also-rans and not as rings (the ring is the recommendation).
      { data: { values: frontPoints }, mark: { type: 'point', filled: true, size: 120, opacity: 1, stroke: '#ffffff', strokeWidth: 1 }, encoding: { x, y, color } },
      // Over the front, not under it: a set at the same cost and p99 as a front point (shared-random beside
      // shared-p2c in the default day) was hidden under it, so one policy set was missing from the chart.
      { data: { values: points.filter((p) => !p.front) }, mark: { type: 'circle', size: 45, opacity: 0.4, stroke: '#ffffff', strokeWidth: 0.8 }, encoding: { x, y, color } },
      labelLayer('left', false),
      labelLayer('right', false),
      labelLayer('left', true),
      labelLayer('right', true),
    ];
    if (slo?.p99 !== undefined) {
      layers.push(
        { data: { values: [{ p99: slo.p99 }] }, mark: { type: 'rule', strokeDash: [5, 4], color: '#7b8794', strokeWidth: 1.3 }, encoding: { y: { field: 'p99', type: 'quantitative' } } },
        {
          data: { values: [{ p99: slo.p99, cost: cLo, label: 'p99 goal' }] },
          mark: { type: 'text', align: 'left', baseline: 'bottom', dx: 4, dy: -3, fontSize: 10.5, color: MUTED },
          encoding: { x, y, text: { field: 'label' } },
        },
      );
    }
    if (rec.length > 0) layers.push({ data: { values: rec }, mark: { type: 'point', filled: false, size: 480, strokeWidth: 2.5, color: INK }, encoding: { x, y } });
    return { width: PANEL_WIDTH, height: PANEL_HEIGHT, title: withFront ? `${title}: the cost model, with its Pareto front` : `${title}, for reference`, layer: layers };
  };
  const left = model.prices === undefined ? panel(model.of, 'worker-hours', true) : panel(model.of, 'price', true);
  return {
    config: CONFIG,
    hconcat: [left, panel(gibHours, 'GiB-hours', false)],
    resolve: { scale: { color: 'shared' }, legend: { color: 'shared' } },
  } as TopLevelSpec;
}

const PANEL_WIDTH = Math.floor((WIDTH - 60) / 2);
const PANEL_HEIGHT = 320;

/** Where a value falls along a scale, from 0 (domain start) to 1 (domain end). */
function scaleFraction(scale: { type: 'log' | 'linear'; domain: [number, number] }, v: number): number {
  const [lo, hi] = scale.domain;
  return scale.type === 'log' ? Math.log(v / lo) / Math.log(hi / lo) : (v - lo) / (hi - lo);
}

/**
 * Labels for the Pareto front's points that do not run into each other: the
 * recommended point first, then the two ends of the front, then the rest by
 * cost, each kept only if its box (estimated, as Vega estimates text without
 * a canvas) overlaps no marker and no label kept before. Points on the right part of a panel
 * are labelled on their left so labels stay inside the chart. Points with the
 * same numbers share one label naming them all.
 */
function frontLabels(
  front: readonly { policy: string; cost: number; p99: number }[],
  recommended: string | undefined,
  at: (p: { cost: number; p99: number }) => { x: number; y: number },
): { cost: number; p99: number; label: string; align: 'left' | 'right'; rec: boolean }[] {
  const spots = new Map<string, { cost: number; p99: number; label: string; policies: string[] }>();
  for (const p of front) {
    const key = `${p.cost.toPrecision(4)}|${p.p99.toPrecision(4)}`;
    const s = spots.get(key);
    if (s === undefined) spots.set(key, { cost: p.cost, p99: p.p99, label: p.policy, policies: [p.policy] });
    else {
      s.label += `, ${p.policy}`;
      s.policies.push(p.policy);
    }
  }
  const all = [...spots.values()];
  const rank = (s: (typeof all)[number], i: number): number =>
    recommended !== undefined && s.policies.includes(recommended) ? -2 : i === 0 || i === all.length - 1 ? -1 : i;
  const order = all.map((s, i) => ({ s, r: rank(s, i) })).sort((a, b) => a.r - b.r);
  // Every point is an obstacle too, so no label is printed across a marker.
  const kept = all.map((s) => {
    const { x, y } = at(s);
    return { x0: x - 5, x1: x + 5, y0: y - 5, y1: y + 5 };
  });
  const out: { cost: number; p99: number; label: string; align: 'left' | 'right'; rec: boolean }[] = [];
  for (const { s } of order) {
    const { x, y } = at(s);
    const rec = recommended !== undefined && s.policies.includes(recommended);
    const label = rec ? `recommended: ${s.label}` : s.label;
    const w = Math.min(420, label.length * (rec ? 7 : 6.2));
    const align = x > PANEL_WIDTH * 0.6 ? 'right' : 'left';
    const box = align === 'left' ? { x0: x + 11, x1: x + 11 + w, y0: y - 18, y1: y - 4 } : { x0: x - 11 - w, x1: x - 11, y0: y - 18, y1: y - 4 };
    // The recommendation is always named; the others only where they fit.
    if (!rec && kept.some((k) => box.x0 < k.x1 && k.x0 < box.x1 && box.y0 < k.y1 && k.y0 < box.y1)) continue;
    kept.push(box);
    out.push({ cost: s.cost, p99: s.p99, label, align, rec });
  }
  return out;
}

/**
 * Scale and axis for a scatter's values: log when they spread over more than
 * a factor of 4 (dedicated pods against a shared pool is 10-100x), linear
 * from zero otherwise, where a log axis would show a single tick and a
 * domain around the points would magnify small differences. Either way with
 * room so markers stay off the edges.
 */
function valueAxis(
  values: readonly number[],
  title: string,
  ticks: (lo: number, hi: number) => number[],
  label: { readonly format?: string; readonly labelExpr?: string },
): { title: string; scale: { type: 'log' | 'linear'; domain: [number, number]; nice: boolean; zero?: boolean }; axis: Record<string, unknown> } {
  const v = values.filter((x) => x > 0 && Number.isFinite(x));
  const [lo, hi] = extent(v) ?? [1, 10];
  if (wantsLog(v)) {
    const domain: [number, number] = [lo / 1.25, hi * 1.25];
    return { title: `${title} (log scale)`, scale: { type: 'log', domain, nice: false }, axis: { ...label, values: ticks(domain[0], domain[1]), grid: true } };
  }
  // From zero: a linear axis from 20 s to 22.5 s would make 0.05 s look like half the chart.
  const domain: [number, number] = [0, hi * 1.1];
  // Durations get ticks at round steps (1 min, not 1.66667 min: Vega's steps are round in ms); other values Vega's own.
  // Vega gives every tick of a '~s' axis the largest tick's prefix, so zero read "0k": label each tick on its own.
  const own = label.format === '~s' ? { labelExpr: "datum.value == 0 ? '0' : format(datum.value, '~s')" } : label;
  // Zero in no unit: "0 ms" at the foot of a seconds axis reads as a unit change.
  const time = label.labelExpr === undefined ? label : { labelExpr: `datum.value == 0 ? '0' : ${label.labelExpr}` };
  const axis = ticks === timeTicks ? { ...time, values: linearTimeTicks(domain[1]), grid: true } : { ...own, tickCount: 5, grid: true };
  return { title, scale: { type: 'linear', domain, nice: false, zero: true }, axis };
}

// Steps of a linear duration axis, in ms: 1-2-5 below a second, then what clocks show.
const TIME_STEPS_MS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000,
  7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
];

/** Ticks from 0 to `hiMs` at the smallest round duration step that gives at most six. */
export function linearTimeTicks(hiMs: number): number[] {
  if (!(hiMs > 0)) return [0];
  const step = TIME_STEPS_MS.find((s) => hiMs / s <= 6) ?? Math.ceil(hiMs / 6 / 86_400_000) * 86_400_000;
  return Array.from({ length: Math.floor(hiMs / step + 1e-9) + 1 }, (_, i) => i * step);
}

/**
 * Workers and resident actors over time, one small panel per policy set.
 * Panels are concatenated rather than faceted: a wrapped facet draws x axes
 * under the empty cells of its last row.
 */
export function timelineSpec(runs: readonly ReportRun[]): TopLevelSpec {
  const columns = runs.length <= 1 ? 1 : runs.length <= 4 ? 2 : 3;
  const spacing = 44;
  const gutter = 48;
  const width = Math.floor((WIDTH - spacing * (columns - 1)) / columns) - gutter;
  const series = { domain: ['resident actors', 'workers'], range: ['#f28e2b', '#1f3b73'] };
  const x = { field: 'hours', type: 'quantitative', title: null, axis: { grid: false, tickCount: 6, labelExpr: "datum.value + ' h'", labelFlush: true } } as const;
  // Same gutter for every panel, no label overhanging the top and lines clipped to the panel: a panel's title sits
  // above everything it draws, so a label or a line's stroke above the top edge would shift one title off its neighbours.
  const yAxis = { format: ',~r', tickCount: 4, tickMinStep: 1, minExtent: 40, labelFlush: true };
  const panel = (run: ReportRun) => ({
    title: { text: run.policy, fontSize: 12, anchor: 'start', frame: 'group', offset: 6 },
    width,
    height: columns === 1 ? 220 : 140,
    // About one point per two pixels of the panel: more would only add bytes (this chart is most of the page's weight).
    data: { values: downsampleSamples(run.samples, Math.min(300, Math.round(width / 2))).map((s) => ({ hours: s.timeMs / 3_600_000, workers: s.workers, resident: s.resident })) },
    layer: [
      {
        // Resident actors as a filled area, so the workers' line stays visible where the two are equal (one pod per agent).
        mark: { type: 'area', interpolate: 'linear', opacity: 0.3, line: { strokeWidth: 1.2 }, clip: true },
        encoding: {
          x,
          y: { field: 'resident', type: 'quantitative', title: null, axis: yAxis },
          color: { datum: 'resident actors', scale: series, title: null, legend: { orient: 'top', symbolType: 'stroke', symbolStrokeWidth: 3, symbolOpacity: 1 } },
        },
      },
      {
        mark: { type: 'line', interpolate: 'linear', strokeWidth: 1.8, clip: true },
        encoding: { x, y: { field: 'workers', type: 'quantitative', title: null }, color: { datum: 'workers', scale: series, title: null } },
      },
    ],
  });
  return {
    config: CONFIG,
    concat: runs.map(panel),
    columns,
    spacing: { row: 26, column: spacing },
    resolve: { scale: { y: 'independent', color: 'shared' } },
  } as TopLevelSpec;
}

/** Invocation paths as stacked shares, one bar per policy set. */
export function pathsSpec(rows: readonly SummaryRow[]): TopLevelSpec {
  const values: { policy: string; rank: number; path: string; order: number; count: number; share: number }[] = [];
  for (const [rank, r] of rows.entries()) {
    const total = PATHS.reduce((s, p) => s + (cell(r, p.column) || 0), 0);
    PATHS.forEach((p, order) => {
      const count = cell(r, p.column) || 0;
      values.push({ policy: String(r.policy), rank, path: p.label, order, count, share: total > 0 ? count / total : 0 });
    });
  }
  return {
    config: CONFIG,
    data: { values },
    width: WIDTH - 260,
    height: { step: 26 },
    mark: { type: 'bar', stroke: '#ffffff', strokeWidth: 0.5 },
    encoding: {
      // Sorted by a rank field, not by a list of names: Vega compiles a list into one nested expression per name,
      // which overflows the stack at 1,000 sets.
      y: { field: 'policy', type: 'nominal', title: null, sort: { field: 'rank', op: 'min' }, axis: { labelLimit: 260, labelFontSize: 11.5 } },
      x: { field: 'share', type: 'quantitative', stack: 'zero', title: 'share of invocations', scale: { domain: [0, 1] }, axis: { format: '%', grid: true } },
      color: {
        field: 'path',
        type: 'nominal',
        title: null,
        scale: { domain: PATHS.map((p) => p.label), range: PATHS.map((p) => p.color) },
        legend: { orient: 'top', direction: 'horizontal' },
      },
      order: { field: 'order', type: 'quantitative' },
    },
  } as TopLevelSpec;
}

// Vega expression that labels a value in minutes as "2 min", or "30 s" below a minute.
const MIN_LABEL = "abs(datum.value) >= 1 || datum.value == 0 ? format(datum.value, '~r') + ' min' : format(datum.value * 60, '~r') + ' s'";

/** Colours of the two runs a fidelity report lays over each other. */
export const FIDELITY_SOURCES = { domain: ['simulated', 'real'], range: ['#4e79a7', '#f28e2b'] } as const;

/** One policy set's resident actors over time, both runs, on the same slots. */
export interface FidelitySeries {
  readonly policy: string;
  /** Scenario time since the span's start (negative in the priming gap). */
  readonly points: readonly { readonly timeMs: number; readonly sim: number; readonly real: number }[];
}

/**
 * Resident actors over time, simulated against real, one panel per policy
 * set; x in minutes of scenario time since the replayed span starts, with
 * rules where it starts (after the priming gap) and where the warm-up ends.
 */
export function fidelityTimelineSpec(series: readonly FidelitySeries[], warmupMs: number, what = 'resident actors'): TopLevelSpec {
  const columns = series.length <= 1 ? 1 : 2;
  const spacing = 44;
  const gutter = 48;
  const width = Math.floor((WIDTH - spacing * (columns - 1)) / columns) - gutter;
  const times = series.flatMap((s) => s.points.map((p) => p.timeMs / 60_000));
  // The data's own range, not a nice one: a nice domain would start the axis a minute before the priming gap.
  const domain = extent(times) ?? [0, 1];
  const x = {
    field: 'min',
    type: 'quantitative',
    title: 'scenario time since the span starts',
    scale: { domain, nice: false },
    axis: { grid: false, tickCount: 8, tickMinStep: 1 / 60, labelExpr: MIN_LABEL, labelFlush: true },
  } as const;
  // One legend for both channels (same field, same legend): its symbols are dashed as the lines are.
  const legend = { orient: 'top', symbolType: 'stroke', symbolStrokeWidth: 3, symbolOpacity: 1 } as const;
  const color = { field: 'source', type: 'nominal', title: null, scale: { domain: [...FIDELITY_SOURCES.domain], range: [...FIDELITY_SOURCES.range] }, legend } as const;
  const dash = { field: 'source', type: 'nominal', title: null, scale: { domain: [...FIDELITY_SOURCES.domain], range: [[6, 3], [1, 0]] }, legend } as const;
  const marks: { min: number; label: string }[] = [];
  if (domain[0]! < 0) marks.push({ min: 0, label: 'span starts' });
  if (warmupMs > 0) marks.push({ min: warmupMs / 60_000, label: 'warm-up ends' });
  const panel = (s: FidelitySeries) => ({
    title: { text: s.policy, fontSize: 12, anchor: 'start', frame: 'group', offset: 6 },
    width,
    height: columns === 1 ? 240 : 160,
    layer: [
      ...(marks.length === 0
        ? []
        : [
            { data: { values: marks }, mark: { type: 'rule', strokeDash: [2, 3], color: '#7b8794', strokeWidth: 1.2 }, encoding: { x } },
            {
              data: { values: marks },
              mark: { type: 'text', align: 'left', baseline: 'top', dx: 4, dy: 2, y: 0, color: MUTED, fontSize: 10.5 },
              encoding: { x, text: { field: 'label' } },
            },
          ]),
      {
        data: { values: s.points.flatMap((p) => [{ min: p.timeMs / 60_000, source: 'simulated', value: p.sim }, { min: p.timeMs / 60_000, source: 'real', value: p.real }]) },
        mark: { type: 'line', interpolate: 'linear', strokeWidth: 1.8, clip: true },
        encoding: { x, y: { field: 'value', type: 'quantitative', title: what, axis: { format: ',~r', tickCount: 5, tickMinStep: 1, minExtent: 40 } }, color, strokeDash: dash },
      },
    ],
  });
  return {
    config: CONFIG,
    concat: series.map(panel),
    columns,
    spacing: { row: 26, column: spacing },
    resolve: { scale: { y: 'independent', color: 'shared', strokeDash: 'shared' } },
  } as TopLevelSpec;
}

/** One restore or checkpoint of one half, as the primitives chart draws it. */
export interface PrimitivePoint {
  readonly run: 'simulated' | 'real';
  /** "restore golden", "checkpoint external", ... */
  readonly kind: string;
  readonly startMs: number;
  readonly durationMs: number;
  readonly ok: boolean;
}

/**
 * Every restore and checkpoint of both halves of a fidelity run, one panel
 * per kind: when it began (run time) against how long it took, simulated and
 * real in the fidelity colours, failures as crosses. Slow primitives that
 * cluster in time in one half and not in the other show a load the other
 * half does not have.
 */
export function primitiveScatterSpec(points: readonly PrimitivePoint[]): TopLevelSpec {
  const kinds = [...new Set(points.map((p) => p.kind))].sort();
  const columns = kinds.length <= 1 ? 1 : 2;
  const spacing = 44;
  const gutter = 48;
  const width = Math.floor((WIDTH - spacing * (columns - 1)) / columns) - gutter;
  // One time axis for every panel, so a moment lines up across kinds.
  const domain = [0, Math.max(1, ...points.map((p) => p.startMs / 1000))];
  const legend = { orient: 'top', symbolOpacity: 1 } as const;
  const color = { field: 'run', type: 'nominal', title: null, scale: { domain: [...FIDELITY_SOURCES.domain], range: [...FIDELITY_SOURCES.range] }, legend } as const;
  const shape = { field: 'outcome', type: 'nominal', title: null, scale: { domain: ['ok', 'failed'], range: ['circle', 'cross'] }, legend } as const;
  const panel = (kind: string) => ({
    title: { text: kind, fontSize: 12, anchor: 'start', frame: 'group', offset: 6 },
    width,
    height: columns === 1 ? 240 : 170,
    data: { values: points.filter((p) => p.kind === kind).map((p) => ({ run: p.run, s: p.startMs / 1000, d: p.durationMs / 1000, outcome: p.ok ? 'ok' : 'failed' })) },
    mark: { type: 'point', filled: true, size: 22, opacity: 0.7 },
    encoding: {
      x: { field: 's', type: 'quantitative', title: 'started, s into the run', scale: { domain }, axis: { grid: false, tickCount: 8 } },
      y: { field: 'd', type: 'quantitative', title: 'took, s', axis: { tickCount: 5, minExtent: 40 } },
      color,
      shape,
    },
  });
  return {
    config: CONFIG,
    concat: kinds.map(panel),
    columns,
    spacing: { row: 26, column: spacing },
    resolve: { scale: { y: 'independent', color: 'shared', shape: 'shared' } },
  } as TopLevelSpec;
}

/** One interval of a real run's cpu.csv, as the cpu chart draws it: `part` used `cpus` cpus on average over the interval ending at `atMs`. */
export interface CpuPoint {
  readonly atMs: number;
  readonly part: (typeof CPU_PARTS)[number];
  readonly cpus: number;
}

/** The parts of a real run's cpu, stacked in this order, and their colours. */
export const CPU_PARTS = ['store', 'workers', 'driver', 'other', 'idle'] as const;
const CPU_COLORS = ['#e15759', '#4e79a7', '#59a14f', '#b07aa1', '#dddddd'];

/**
 * Where a real run's cpus went over time (its cpu.csv): the store's process,
 * the workers', the driver's, everything else on the machine and idle,
 * stacked, in cpus. A store held near one process's share while the workers
 * take the rest, or a band of "other" (something beside the run), reads at
 * a glance here and nowhere in the totals.
 */
export function cpuAreaSpec(points: readonly CpuPoint[], cpus: number): TopLevelSpec {
  return {
    config: CONFIG,
    width: WIDTH - 120,
    height: 200,
    data: { values: points.map((p) => ({ s: p.atMs / 1000, part: p.part, order: CPU_PARTS.indexOf(p.part), cpus: p.cpus })) },
    mark: { type: 'area', interpolate: 'step-before', opacity: 0.9 },
    encoding: {
      x: { field: 's', type: 'quantitative', title: 's into the run', axis: { grid: false, tickCount: 10 } },
      y: { field: 'cpus', type: 'quantitative', stack: 'zero', title: 'cpus', scale: { domain: [0, Math.max(1, cpus)] }, axis: { tickCount: Math.max(2, Math.min(8, Math.ceil(cpus))) } },
      color: { field: 'part', type: 'nominal', title: null, scale: { domain: [...CPU_PARTS], range: CPU_COLORS }, legend: { orient: 'top' } },
      order: { field: 'order', type: 'quantitative' },
    },
  } as TopLevelSpec;
}

/** One probe of a sizing, as the sizing chart draws it. */
export interface SizingChartPoint {
  readonly policy: string;
  readonly value: number;
  /** Mean p99 over the seeds, ms. */
  readonly p99: number;
  /** Mean cost over the seeds, in the cost model's unit. */
  readonly cost: number;
  readonly meets: boolean;
}

/**
 * The sizing frontier: per policy set, p99 (left) and cost (right) against
 * the sized knob's value, one line through the probed values; filled points
 * meet the SLO, small pale ones do not.
 */
export function sizingSpec(points: readonly SizingChartPoint[], policies: readonly string[], knob: string, slo: Slo | undefined, model: CostModel): TopLevelSpec {
  const values = points.map((p) => p.value);
  const xAxis = values.some((v) => v <= 0) ? { title: knob, scale: { type: 'linear', zero: true, nice: true }, axis: { format: '~s', grid: true } } : valueAxis(values, knob, logTicks, { format: '~s' });
  const x = { field: 'value', type: 'quantitative', ...xAxis } as const;
  const color = { field: 'policy', type: 'nominal', title: 'policy set', scale: colorScale(policies), legend: policies.length > LEGEND_LIMIT ? null : LEGEND } as const;
  const panel = (field: 'p99' | 'cost', title: string) => {
    const shown = points.filter((p) => Number.isFinite(p[field]) && p[field] > 0);
    const yValues = [...shown.map((p) => p[field]), ...(field === 'p99' && slo?.p99 !== undefined ? [slo.p99] : [])];
    const yAxis = field === 'p99' ? valueAxis(yValues, title, timeTicks, { labelExpr: MS_LABEL }) : valueAxis(yValues, title, logTicks, { format: '~s' });
    const y = { field, type: 'quantitative', ...yAxis } as const;
    const layers: unknown[] = [
      { data: { values: shown }, mark: { type: 'line', strokeWidth: 2, opacity: 0.8 }, encoding: { x, y, color, order: { field: 'value', type: 'quantitative' } } },
      { data: { values: shown.filter((p) => !p.meets) }, mark: { type: 'circle', size: 45, opacity: 0.45 }, encoding: { x, y, color } },
      { data: { values: shown.filter((p) => p.meets) }, mark: { type: 'point', filled: true, size: 110, opacity: 1, stroke: '#ffffff', strokeWidth: 1 }, encoding: { x, y, color } },
    ];
    if (field === 'p99' && slo?.p99 !== undefined) {
      layers.push({ data: { values: [{ p99: slo.p99 }] }, mark: { type: 'rule', strokeDash: [5, 4], color: '#7b8794', strokeWidth: 1.3 }, encoding: { y: { field: 'p99', type: 'quantitative' } } });
    }
    return { width: PANEL_WIDTH, height: 260, layer: layers };
  };
  return {
    config: CONFIG,
    hconcat: [panel('p99', 'p99 latency, mean over seeds'), panel('cost', `${model.label}, mean over seeds`)],
    resolve: { scale: { color: 'shared' }, legend: { color: 'shared' } },
  } as TopLevelSpec;
}
