import type { InvocationPath, RejectReason, Reply } from '../core/types.ts';
import { FIDELITY_SOURCES, cdfSpec, cpuAreaSpec, fidelityTimelineSpec, primitiveScatterSpec, type CpuPoint } from '../reports/charts.ts';
import type { PrimitiveLogRow } from '../reports/primitive-log.ts';
import { kindOf } from './primitive-log.ts';
import { driftLine } from './drift.ts';
import type { FidelityRow } from './compare.ts';
import { hostLoadLine } from './host-load.ts';
import type { Interval } from './intervals.ts';
import { INTERVAL_RULE, TARGETS_TEXT, type FidelityContext } from './markdown.ts';
import type { PrimitiveRow } from './primitives.ts';
import type { SeedSpread } from './seeds.ts';
import type { CostsBand } from './band.ts';
import type { PairedSample } from './series.ts';
import { formatCount, formatMs, formatPercent } from '../reports/format.ts';
import { documentHead, esc } from '../reports/html.ts';
import { renderSvg } from '../reports/vega-svg.ts';
import { formatDuration } from '../scenarios/units.ts';

/** What the fidelity report.html is rendered from. */
export interface FidelityHtmlInput {
  readonly rows: readonly FidelityRow[];
  readonly primitives: readonly PrimitiveRow[];
  readonly context: FidelityContext;
  /** Paired time series per policy set, span time. */
  readonly series: ReadonlyMap<string, readonly PairedSample[]>;
  /** Each run's outcomes per policy set (invocations.csv), in run time. */
  readonly outcomes: ReadonlyMap<string, { readonly sim: readonly Reply[]; readonly real: readonly Reply[] }>;
  /** Warm-up end in run (compressed) time, priming gap included: outcomes arriving before it are left out of the CDFs. */
  readonly runWarmupMs: number;
  /** Both halves' primitives.csv per policy set, where both have one. */
  readonly primitiveLog?: ReadonlyMap<string, { readonly sim: readonly PrimitiveLogRow[]; readonly real: readonly PrimitiveLogRow[] }>;
  /** The real run's cpu.csv per policy set (local runs), and the machine's cpus. */
  readonly realCpu?: { readonly points: ReadonlyMap<string, readonly CpuPoint[]>; readonly cpus: number };
  /** --sim-seeds: the simulation's own spread against the real run (fidelity/seeds.ts). */
  readonly seeds?: SeedSpread;
  /** --costs-band: the run's own simulation at other machine speeds (fidelity/band.ts). */
  readonly band?: CostsBand;
}

/** invocations.csv rows back as replies (what the latency charts read). */
export function repliesFromCsv(rows: readonly Record<string, string>[]): Reply[] {
  const num = (x: string | undefined): number => (x === undefined || x === '' ? Number.NaN : Number(x));
  return rows.map((r) => ({
    invocation: num(r.invocation),
    actor: r.actor ?? '',
    outcome: r.outcome === 'served' ? 'served' : 'rejected',
    reason: (r.reason ?? '') as RejectReason | '',
    path: (r.path ?? 'rejected') as InvocationPath,
    arrivalMs: num(r.arrival_ms),
    startMs: num(r.start_ms),
    endMs: num(r.end_ms),
    parts: { parkedMs: num(r.parked_ms), workerStartMs: num(r.worker_start_ms), restoreMs: num(r.restore_ms), execMs: num(r.exec_ms), queuedMs: num(r.queued_ms) },
    attempts: num(r.attempts),
  }));
}

/** Readable names of fidelity.csv's metrics, and how to show their values. */
const METRICS: Readonly<Record<string, { readonly label: string; readonly kind: 'ms' | 'count' | 'seconds' | 'bytes' | 'mean' }>> = {
  invocations: { label: 'invocations', kind: 'count' },
  served: { label: 'served', kind: 'count' },
  rejected: { label: 'rejected', kind: 'count' },
  p50_ms: { label: 'p50 latency', kind: 'ms' },
  p90_ms: { label: 'p90 latency', kind: 'ms' },
  p99_ms: { label: 'p99 latency', kind: 'ms' },
  mean_ms: { label: 'mean latency', kind: 'ms' },
  overhead_p50_ms: { label: 'overhead p50', kind: 'ms' },
  overhead_p90_ms: { label: 'overhead p90', kind: 'ms' },
  overhead_p99_ms: { label: 'overhead p99', kind: 'ms' },
  warm: { label: 'path: warm', kind: 'count' },
  resume_local: { label: 'path: resume local', kind: 'count' },
  resume_external: { label: 'path: resume external', kind: 'count' },
  golden: { label: 'path: golden', kind: 'count' },
  cold_boot: { label: 'path: cold boot', kind: 'count' },
  worker_seconds: { label: 'worker-seconds', kind: 'seconds' },
  gib_seconds: { label: 'GiB-seconds', kind: 'seconds' },
  mean_resident: { label: 'resident actors, mean', kind: 'mean' },
  peak_resident: { label: 'resident actors, peak', kind: 'count' },
  peak_workers: { label: 'workers, peak', kind: 'count' },
  evictions: { label: 'evictions', kind: 'count' },
  snapshot_bytes_written: { label: 'snapshot bytes written', kind: 'bytes' },
  snapshot_bytes_read: { label: 'snapshot bytes read', kind: 'bytes' },
  resident_over_time: { label: 'resident actors over time', kind: 'mean' },
  workers_over_time: { label: 'workers over time', kind: 'mean' },
};

function value(metric: string, x: number): string {
  if (!Number.isFinite(x)) return '–';
  switch (METRICS[metric]?.kind) {
    case 'ms':
      return formatMs(x);
    case 'bytes':
      return x >= 2 ** 30 ? `${(x / 2 ** 30).toFixed(2)} GiB` : x >= 2 ** 20 ? `${(x / 2 ** 20).toFixed(1)} MiB` : formatCount(x);
    case 'seconds':
      return x >= 100 ? formatCount(x) : x.toFixed(1);
    case 'mean':
      return x >= 100 ? formatCount(x) : x.toFixed(2);
    default:
      return formatCount(x);
  }
}

/** A figure's 95% interval under it, or nothing. */
function range(metric: string, i: Interval | undefined): string {
  if (i === undefined || !Number.isFinite(i.low)) return '';
  // A count's interval ends are not whole: one decimal under 100, where rounding would hide them.
  const end = (x: number): string => (METRICS[metric]?.kind === 'count' && x < 100 ? x.toFixed(1) : value(metric, x));
  return `<span class="sub ci">${end(i.low)} – ${end(i.high)}</span>`;
}

/** A series row's error is unsigned (how far apart the curves are); a summary row's is signed. */
function isSeries(metric: string): boolean {
  return metric.endsWith('_over_time');
}

function error(r: FidelityRow): string {
  if (!Number.isFinite(r.relError)) return '–';
  const p = formatPercent(Math.abs(r.relError));
  if (isSeries(r.metric)) return `${p}<span class="sub">mean abs.</span>`;
  return r.relError === 0 ? '0%' : `${r.relError > 0 ? '+' : '−'}${p}`;
}

/**
 * report.html of a fidelity run: the fidelity table per policy set (sim,
 * real, relative error, whether it is within the issue's target), resident
 * actors over time and the latency CDFs of both runs laid over each other,
 * and the calibrated primitives against what the real run measured. Self
 * contained, in the look of the policy report (reports/html.ts).
 */
export async function renderFidelityHtml(input: FidelityHtmlInput): Promise<string> {
  const c = input.context;
  const policies = [...new Set(input.rows.map((r) => r.policy))];
  const timeline = await renderSvg(
    fidelityTimelineSpec(
      policies.map((p) => ({ policy: p, points: (input.series.get(p) ?? []).map((x) => ({ timeMs: x.timeMs, sim: x.sim.resident, real: x.real.resident })) })),
      c.warmupMs,
    ),
    'fid-timeline',
  );
  const cdfs: string[] = [];
  let fewestServed = Number.POSITIVE_INFINITY;
  for (const [i, p] of policies.entries()) {
    const o = input.outcomes.get(p);
    if (o === undefined) continue;
    const runs = [
      { policy: 'simulated', replies: o.sim, samples: [], warmupMs: input.runWarmupMs },
      { policy: 'real', replies: o.real, samples: [], warmupMs: input.runWarmupMs },
    ];
    for (const r of runs) fewestServed = Math.min(fewestServed, r.replies.filter((x) => x.outcome === 'served' && x.arrivalMs >= input.runWarmupMs).length);
    // Latency above, overhead (latency minus execution) below: both runs on each panel.
    const svg = await renderSvg(cdfSpec(runs, FIDELITY_SOURCES.domain, undefined, 'run', FIDELITY_SOURCES.range, { overhead: true }), `fid-cdf-${i}`);
    cdfs.push(`<h3>${esc(p)}</h3>\n<figure>${svg}</figure>`);
  }
  const scatters: string[] = [];
  for (const [i, [p, log]] of [...(input.primitiveLog ?? [])].entries()) {
    const points = [...log.sim.map((r: PrimitiveLogRow) => ({ run: 'simulated' as const, r })), ...log.real.map((r: PrimitiveLogRow) => ({ run: 'real' as const, r }))]
      .filter(({ r }) => r.primitive === 'restore' || r.primitive === 'checkpoint')
      .map(({ run, r }) => ({ run, kind: kindOf(r), startMs: r.startMs, durationMs: r.endMs - r.startMs, ok: r.ok }));
    if (points.length === 0) continue;
    scatters.push(`<h3>${esc(p)}</h3>\n<figure>${await renderSvg(primitiveScatterSpec(points), `fid-prim-${i}`)}</figure>`);
  }
  const cpuCharts: string[] = [];
  for (const [i, [p, points]] of [...(input.realCpu?.points ?? [])].entries()) {
    if (points.length === 0) continue;
    cpuCharts.push(`<h3>${esc(p)}</h3>\n<figure>${await renderSvg(cpuAreaSpec(points, input.realCpu!.cpus), `fid-cpu-${i}`)}</figure>`);
  }
  const title = `${c.scenario}: fidelity`;
  return `${documentHead(title, EXTRA_STYLE)}
<body>
<main>
${header(input)}
${targets(input.rows)}
${policies.map((p) => table(p, input.rows.filter((r) => r.policy === p))).join('\n')}
${input.seeds === undefined ? '' : seedsTable(input.seeds)}
${input.band === undefined ? '' : bandTable(input.band)}
<section class="chart" id="chart-fidelity-resident">
<h2>Resident actors over time</h2>
<p class="caption">Actors resident on workers, simulated (dashed) and real (solid), per policy set, sampled on the same slots of scenario time. The error in the table is over the slots after the warm-up: Σ|sim − real| / Σ real.</p>
<figure>${timeline}</figure>
</section>
<section class="chart" id="chart-fidelity-cdf">
<h2>Latency and overhead distributions, simulated and real</h2>
<p class="caption">Share of served invocations (after warm-up) at or under each latency (upper row) and each overhead, latency minus execution, what the platform adds (lower row), per policy set: the whole distribution on the left, the tail from p90 on the right (log axes). Latencies are in the runs' own time: work is compressed by the speedup, the primitives are not.${
    fewestServed < 100 ? ` With ${formatCount(fewestServed)} served invocations in a run, its p99 (nearest rank) is its maximum: read the tail from the curves, not from one cell.` : ''
  }</p>
${cdfs.join('\n')}
</section>
${primitivesTable(input.primitives)}
${
  scatters.length === 0
    ? ''
    : `<section class="chart" id="chart-fidelity-primitives">
<h2>Restores and checkpoints one by one</h2>
<p class="caption">Every restore and checkpoint of both runs (primitives.csv in <code>sim/</code> and <code>real/</code>): when it began, in the run's own time, against how long it took, one panel per kind; failures (given up, refused) are crosses. Slow ones that cluster in time in one run and not in the other are load the other run does not have; fidelity.md lists the slowest of each with what else was in flight.</p>
${scatters.join('\n')}
</section>`
}
${
  cpuCharts.length === 0
    ? ''
    : `<section class="chart" id="chart-fidelity-cpu">
<h2>Where the real run's cpu went</h2>
<p class="caption">The machine's cpus during the real run, second by second (<code>real/cpu.csv</code>), stacked: the snapshot store's process, the workers', the driver's, everything else busy on the machine (kernel threads, other processes: a band of it is load beside the run), and idle. Same time axis as the restores and checkpoints above. The simulation has no such series: its host model's work is in the "Cpu" note below.</p>
${cpuCharts.join('\n')}
</section>`
}
${notes(c)}
<footer>Written by <code>npm run fidelity</code>. This file is self-contained: it needs no network and no scripts. The numbers are in <code>fidelity.csv</code> and <code>fidelity-timeseries.csv</code> beside it; each run's own report is in <code>sim/</code> and <code>real/</code>.</footer>
</main>
</body>
</html>
`;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

function header(input: FidelityHtmlInput): string {
  const c = input.context;
  const meta: [string, string][] = [
    ['Span', `${formatDuration(c.startMs)} to ${formatDuration(c.startMs + c.durationMs)} of scenario time`],
    ['Warm-up', formatDuration(c.warmupMs)],
    ['Speedup', `${Number(c.speedup.toFixed(3))}× (${formatDuration(Math.round(c.durationMs / c.speedup))} of wall time)`],
    ['Seed', String(c.seed)],
    ['Invocations', `${formatCount(c.invocations)} of ${formatCount(c.actors)} actors${(c.primeActors ?? []).length > 0 && (c.primeGapMs ?? 0) > 0 ? `, and ${(c.primeActors ?? []).length} priming` : ''}`],
  ];
  if (c.against !== undefined) meta.push(['Real run', `recorded ${c.against.recordedAt}, not re-run`]);
  if (c.loadAverage !== undefined) meta.push(['Load average', `${c.loadAverage.before[0]?.toFixed(2)} → ${c.loadAverage.after[0]?.toFixed(2)} (1 min)`]);
  if (c.hostLoad !== undefined) meta.push(['CPU steal', Number.isFinite(c.hostLoad.during.steal) ? `${(c.hostLoad.during.steal * 100).toFixed(1)}% during the real run` : 'not measured']);
  return `<header>
<p class="eyebrow">Fidelity report: simulator against local workers</p>
<h1>${esc(c.scenario)}</h1>
<p class="lede">The same workload, seed and time compression run in the simulator with the calibrated cost profile <code>${esc(c.profile.split('/').pop() ?? c.profile)}</code> and on real local workers; every row compares the two.</p>
${
    c.against === undefined
      ? ''
      : `<p class="lede" id="fidelity-against">The real run was recorded earlier (${esc(c.against.recordedAt)}) in <code>${esc(c.against.dir)}</code> and not re-run: only the simulation is new; <code>real/</code> and <code>real.log</code> are copies of it, its load average the one recorded then.</p>\n`
  }<dl class="meta">${meta.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('')}</dl>
</header>`;
}

function targets(rows: readonly FidelityRow[]): string {
  const withTarget = rows.filter((r) => r.target !== undefined);
  const met = withTarget.filter((r) => r.met === true);
  const misses = withTarget.filter((r) => r.met !== true);
  const metPoint = withTarget.filter((r) => r.metPoint === true).length;
  const kind = misses.length === 0 ? 'meets' : 'none';
  const list =
    misses.length === 0
      ? ''
      : `<p>Outside the target: ${misses.map((r) => `<code>${esc(r.policy)}</code> ${esc(METRICS[r.metric]?.label ?? r.metric)} (${Number.isFinite(r.relError) ? error(r) : 'no error defined'})`).join(', ')}.</p>`;
  return `<section class="rec rec-${kind}" id="fidelity-targets">
<h2>Targets</h2>
<p class="rec-policy">${met.length} of ${withTarget.length}</p>
<p class="verdict">targeted cells within target: ${esc(TARGETS_TEXT)}; ${metPoint} by the point figures alone.</p>
<p class="caption" id="fidelity-rule">${esc(INTERVAL_RULE)}</p>
${list}
</section>`;
}

function table(policy: string, rows: readonly FidelityRow[]): string {
  const body = rows
    .map((r) => {
      const flag = r.met === undefined ? '' : r.met ? '<span class="badge badge-meets">within</span>' : '<span class="badge badge-miss">miss</span>';
      const cls = r.met === false ? ' class="miss"' : '';
      const label = METRICS[r.metric]?.label ?? r.metric;
      return `<tr data-metric="${esc(r.metric)}"><th scope="row">${esc(label)}<span class="sub"><code>${esc(r.metric)}</code></span></th><td>${value(r.metric, r.sim)}${range(r.metric, r.simInterval)}</td><td>${value(r.metric, r.real)}${range(r.metric, r.realInterval)}</td><td${cls}>${error(r)}</td><td>${r.target === undefined ? '' : `±${(r.target * 100).toFixed(0)}%`}</td><td class="flag">${flag}</td></tr>`;
    })
    .join('\n');
  return `<section class="fidelity" id="fidelity-${esc(policy)}">
<h2><span class="policy">${esc(policy)}</span></h2>
<p class="caption">Relative error is (sim − real) / real, of the point figures; under each figure its 95% interval (Wilson for counts, bootstrap for quantiles); within target when the simulated interval overlaps real ± target (at least ± half an invocation for a count, ± 1 ms for a time: the real figure's resolution); <em>mean abs.</em> rows compare the time series slot by slot; – where it is undefined (no value, or real 0 and sim not).</p>
<div class="table-wrap"><table>
<thead><tr><th scope="col">metric</th><th scope="col">simulated</th><th scope="col">real</th><th scope="col">error</th><th scope="col">target</th><th scope="col">within target</th></tr></thead>
<tbody>
${body}
</tbody>
</table></div>
</section>`;
}

/** --sim-seeds: per targeted cell, the simulated figure over the seeds and how many met it. */
function seedsTable(s: SeedSpread): string {
  const n = s.seeds.length;
  const parts = [...s.perSeed].map(([policy, p]) => {
    const body = s.cells
      .filter((c) => c.policy === policy)
      .map((c) => {
        const cls = c.met === 0 ? ' class="miss"' : '';
        const label = METRICS[c.metric]?.label ?? c.metric;
        return `<tr data-metric="${esc(c.metric)}"><th scope="row">${esc(label)}<span class="sub"><code>${esc(c.metric)}</code></span></th><td>${value(c.metric, c.real)}</td><td>${value(c.metric, c.sims[0]!)}</td><td>${value(c.metric, c.min)} – ${value(c.metric, c.max)}<span class="sub">median ${value(c.metric, c.median)}</span></td><td${cls}>${c.met} of ${n}</td></tr>`;
      })
      .join('\n');
    return `<h3><span class="policy">${esc(policy)}</span>: ${p.met.join(', ')} of ${p.targeted} cells within target, seed by seed</h3>
<div class="table-wrap"><table>
<thead><tr><th scope="col">metric</th><th scope="col">real</th><th scope="col">simulated, seed ${s.seeds[0]}</th><th scope="col">simulated over the seeds</th><th scope="col">seeds within target</th></tr></thead>
<tbody>
${body}
</tbody>
</table></div>`;
  });
  return `<section class="fidelity" id="fidelity-seeds">
<h2>The simulation over ${n} seeds</h2>
<p class="caption">The same workload simulated with seeds ${s.seeds[0]}–${s.seeds.at(-1)} of the costs and the placement (the first is the table's above), each compared with the one real run by the same rule (<code>fidelity-seeds.csv</code>). A cell no seed meets is the model's bias; a cell some seeds meet and others miss is a draw, which one simulation cannot tell from a bias.</p>
${parts.join('\n')}
</section>`;
}

/** --costs-band: per targeted cell, the simulated figure at each machine speed and whether the real one lies within their range. */
function bandTable(b: CostsBand): string {
  const parts = [...new Set(b.cells.map((c) => c.policy))].map((policy) => {
    const mine = b.cells.filter((c) => c.policy === policy);
    const body = mine
      .map((c) => {
        const label = METRICS[c.metric]?.label ?? c.metric;
        const sims = c.sims.map((s) => `<td>${value(c.metric, s)}</td>`).join('');
        const at = c.metAt.length === 0 ? 'none' : c.metAt.map((f) => `${f}x`).join(', ');
        return `<tr data-metric="${esc(c.metric)}"><th scope="row">${esc(label)}<span class="sub"><code>${esc(c.metric)}</code></span></th><td>${value(c.metric, c.real)}</td>${sims}<td${c.inside ? '' : ' class="miss"'}>${c.inside ? 'yes' : 'no'}</td><td>${at}</td></tr>`;
      })
      .join('\n');
    return `<h3><span class="policy">${esc(policy)}</span>: the real figure within the simulated range in ${mine.filter((c) => c.inside).length} of ${mine.length} cells</h3>
<div class="table-wrap"><table>
<thead><tr><th scope="col">metric</th><th scope="col">real</th>${b.factors.map((f) => `<th scope="col">simulated at <span class="factor">${f}x</span></th>`).join('')}<th scope="col">real within the range</th><th scope="col">within target at</th></tr></thead>
<tbody>
${body}
</tbody>
</table></div>`;
  });
  return `<section class="fidelity" id="fidelity-band">
<h2>The simulation over a band of machine speeds</h2>
<p class="caption">The table's simulation again with every primitive of the profile ${b.factors.filter((f) => f !== 1).map((f) => `${f}x`).join(', ')} as long (<code>simulate --costs-scale</code>), the same seed, each compared with the one real run by the same rule. A real figure within the simulated range is one a machine of a speed in the band gives; one outside it the model misses at any of these speeds.</p>
${parts.join('\n')}
</section>`;
}

function primitivesTable(rows: readonly PrimitiveRow[]): string {
  if (rows.length === 0) return '';
  const ratio = (model: number, real: number): string => (Number.isFinite(model) && Number.isFinite(real) && model > 0 ? `${(real / model).toFixed(2)}×` : '–');
  const body = rows
    .map(
      (r) =>
        `<tr><th scope="row"><span class="policy">${esc(r.policy)}</span></th><td class="left">${esc(r.primitive)}</td><td class="left">${esc(r.source)}</td><td>${formatCount(r.count)}${Number.isFinite(r.simCount) ? ` (${formatCount(r.simCount)})` : ''}</td><td>${formatMs(r.modelP50)}</td><td>${formatMs(r.simP50)}</td><td>${formatMs(r.realP50)}</td><td>${ratio(r.modelP50, r.realP50)}</td><td>${ratio(r.simP50, r.realP50)}</td><td>${formatMs(r.modelP99)}</td><td>${formatMs(r.simP99)}</td><td>${formatMs(r.realP99)}</td><td>${ratio(r.simP99, r.realP99)}</td></tr>`,
    )
    .join('\n');
  return `<section id="fidelity-primitives">
<h2>Primitives: calibrated model, simulated run and real run</h2>
<p class="caption">The model is the cost profile at the snapshot size (calibrated one primitive at a time); sim is the simulation's own measured.csv, each primitive under the simulated load (slowed by the profile's contention block); real is the real run's measured.csv, under its load. Real / model well above 1 is contention; real / sim away from 1 is contention the simulator gets wrong. n is the real run's count, the simulation's in brackets.</p>
<div class="table-wrap"><table>
<thead><tr><th scope="col">policy set</th><th scope="col">primitive</th><th scope="col">source</th><th scope="col">n</th><th scope="col">model p50</th><th scope="col">sim p50</th><th scope="col">real p50</th><th scope="col">real / model</th><th scope="col">real / sim</th><th scope="col">model p99</th><th scope="col">sim p99</th><th scope="col">real p99</th><th scope="col">real / sim</th></tr></thead>
<tbody>
${body}
</tbody>
</table></div>
</section>`;
}

function notes(c: FidelityContext): string {
  const items = [
    `Scenario <code>${esc(c.scenarioFile)}</code>; cost profile <code>${esc(c.profile)}</code>.`,
    `Snapshot size: ${esc(Object.entries(c.snapshotMiB).map(([t, s]) => `${t} ${s} MiB`).join(', '))}${c.snapshotAsMemory ? ' (set to the memory size, as the local runtime checkpoints the whole region)' : ''}.`,
    ...((c.primeGapMs ?? 0) > 0
      ? [`Priming: ${(c.primeActors ?? []).map((a) => `<code>${esc(a)}</code>`).join(', ')} invoked once halfway into ${seconds((c.primeGapMs ?? 0) / c.speedup)} of wall time before the span, so the golden snapshot exists when the span starts.`]
      : []),
    `Wall time: simulation ${seconds(c.simWallMs)}, real run ${seconds(c.realWallMs)}.`,
    ...(c.loadAverage === undefined
      ? []
      : [`Load average (1 / 5 / 15 min): ${c.loadAverage.before.map((v) => v.toFixed(2)).join(' / ')} when the real run started, ${c.loadAverage.after.map((v) => v.toFixed(2)).join(' / ')} when it ended.`]),
    ...(c.hostLoad === undefined ? [] : [esc(`Machine during the real run: ${hostLoadLine(c.hostLoad)}.`), ...c.hostLoad.warnings.map((w) => `<strong>Busy machine</strong>: ${esc(w)}.`)]),
    ...(c.drift === undefined ? [] : [esc(`${driftLine(c.drift)}.`)]),
    ...(c.notes ?? []).map(esc),
  ];
  return `<section id="fidelity-notes">
<h2>How the runs were made</h2>
<ul>${items.map((i) => `<li>${i}</li>`).join('')}</ul>
</section>`;
}

const EXTRA_STYLE = `
h3 { margin: 14px 0 2px; font-size: 13px; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-weight: 600; }
.fidelity table { max-width: 860px; }
.fidelity th[scope="row"] .sub code { background: none; padding: 0; }
td.left { text-align: left; }
td.flag { text-align: left; }
.badge-miss { background: var(--bad-bg); color: var(--bad); border: 1px solid #f4b4ad; }
#fidelity-notes ul { margin: 6px 0 0; padding-left: 20px; color: var(--muted); font-size: 14px; }
#fidelity-notes li { margin: 3px 0; }
/* A factor such as 0.8x in an upper-cased header reads 0.8X otherwise. */
thead th .factor { text-transform: none; }
`;
