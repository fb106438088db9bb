import type { FidelityRow } from './compare.ts';
import { hostLoadLine, type HostLoad } from './host-load.ts';
import { BOOTSTRAP_RESAMPLES, type Interval } from './intervals.ts';
import type { PrimitiveRow } from './primitives.ts';
import { kindOf, type PrimitiveKindStats, type SlowPrimitive } from './primitive-log.ts';
import { driftLine, type Drift } from './drift.ts';

/** What the fidelity run was, for the header of fidelity.md. */
export interface FidelityContext {
  /** Where the real run ran (default local). */
  readonly backend?: 'local' | 'k8s';
  readonly scenario: string;
  readonly scenarioFile: string;
  readonly profile: string;
  readonly seed: number;
  readonly speedup: number;
  readonly startMs: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly invocations: number;
  readonly actors: number;
  readonly snapshotMiB: Readonly<Record<string, number>>;
  readonly snapshotAsMemory: boolean;
  /** Scenario time replayed before the span for the priming invocations (0: none). */
  readonly primeGapMs?: number;
  readonly primeActors?: readonly string[];
  /** How long both runs went on after the span (their compressed time) before what still waited ended as run-ended. */
  readonly drainMs?: number;
  readonly simWallMs: number;
  readonly realWallMs: number;
  /** os.loadavg() (1, 5, 15 min) when the real run started and ended. */
  readonly loadAverage?: { readonly before: readonly number[]; readonly after: readonly number[] };
  /** Load average and CPU steal before and sampled during the real run, and the busy warnings. */
  readonly hostLoad?: HostLoad;
  /** --against: the real half is a copy of the one recorded earlier in `dir` (ISO time `recordedAt`), not re-run. */
  readonly against?: { readonly dir: string; readonly recordedAt: string };
  /** The drift probe run just before the real run, against the profile (fidelity/drift.ts). */
  readonly drift?: Drift;
  /** Caveats the reader needs to weigh the numbers (known differences between the runtimes). */
  readonly notes?: readonly string[];
  /** --sim-seeds: the seeds simulated (the run's own first) and, per policy set, the targeted cells each met (fidelity/seeds.ts). */
  readonly simSeeds?: {
    readonly seeds: readonly number[];
    readonly met: Readonly<Record<string, readonly number[]>>;
    readonly targeted: Readonly<Record<string, number>>;
  };
  /** --costs-band: the run's own simulation at other machine speeds, cell by cell (fidelity/band.ts CostsBand; written out here, as simSeeds is, so that band.ts may use this file's fmt). */
  readonly costsBand?: {
    readonly factors: readonly number[];
    readonly cells: readonly { readonly policy: string; readonly metric: string; readonly real: number; readonly sims: readonly number[]; readonly metAt: readonly number[]; readonly inside: boolean }[];
  };
}

/** A figure as fidelity.md's tables give it: whole above 1,000, three significant digits below; a dash for none. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (Number.isInteger(x) || a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  return String(Number(x.toFixed(2)));
}

function pct(e: number, signed = true): string {
  if (!Number.isFinite(e)) return '–';
  return `${signed && e >= 0 ? '+' : ''}${(e * 100).toFixed(1)}%`;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** "[a, b]" of a 95% interval, empty where there is none. */
function range(i: Interval | undefined): string {
  return i === undefined || !Number.isFinite(i.low) ? '' : `${fmt(i.low)}–${fmt(i.high)}`;
}

/** The targets, in words, as fidelity.md and report.html state them. */
export const TARGETS_TEXT = 'p50 and p99 of latency, and p50, p90 and p99 of the overhead (latency minus execution), within 10%; counts by path and worker-seconds within 5%';

/** The rule of "within target", in words. */
export const INTERVAL_RULE =
  `Within target means the simulated figure's 95% interval overlaps the target band around the real figure, real ± target × |real|, and at least ± the real figure's resolution (half an invocation for a count, 1 ms for a time: the real driver handles events at timer turns of 1 ms), so that a real 0 is not a band of one point: the run does not refute the simulator at that target. Counts of invocations (served, rejected, each path) get the Wilson score interval of count / invocations, times invocations; latency and overhead quantiles a percentile bootstrap over the run's served invocations after the warm-up (${BOOTSTRAP_RESAMPLES.toLocaleString('en-US')} resamples, seeded by the run's seed, so the same runs give the same interval); worker-seconds has no interval and is compared as a point. The real figure's interval is shown for reading, not used in the rule.`;

function ratio(model: number, real: number): string {
  return Number.isFinite(model) && Number.isFinite(real) && model > 0 ? `${(real / model).toFixed(2)}x` : '–';
}

/**
 * fidelity.md: the simulated and the measured summary side by side per
 * policy set with each relative error and the target it must meet, then the
 * calibrated primitives against what the real run measured under load.
 */
export function fidelityMarkdown(rows: readonly FidelityRow[], primitives: readonly PrimitiveRow[], c: FidelityContext, log?: ReadonlyMap<string, PrimitiveLogView>): string {
  const out: string[] = [];
  const end = c.startMs + c.durationMs;
  out.push(`# Fidelity: ${c.scenario}, simulated and on ${c.backend === 'k8s' ? 'worker pods (bench:cluster --backend k8s)' : 'local workers'}`, '');
  out.push(`- Scenario: \`${c.scenarioFile}\`, scenario time ${seconds(c.startMs)} to ${seconds(end)} (warm-up ${seconds(c.warmupMs)}), ${c.invocations.toLocaleString('en-US')} invocations of ${c.actors.toLocaleString('en-US')} actors`);
  if ((c.primeGapMs ?? 0) > 0) {
    out.push(
      `- Priming: ${(c.primeActors ?? []).map((a) => `\`${a}\``).join(', ')} invoked once halfway into ${seconds((c.primeGapMs ?? 0) / c.speedup)} of wall time before the span (the local runtime publishes a golden snapshot on its first golden restore); counted in both runs unless warmed up`,
    );
  }
  out.push(`- Seed ${c.seed}; speedup ${Number(c.speedup.toFixed(3))}: both runs replay the span in ${seconds(c.durationMs / c.speedup)} (arrivals, work, warm-up, TTLs and idle stops divided; parking budgets and the primitives not)${c.drainMs === undefined ? '' : `; both end what still waits ${seconds(c.drainMs)} after it (run-ended, the copies' \`drain\`)`}`);
  out.push(`- Cost profile of the simulation: \`${c.profile}\``);
  out.push(
    `- Snapshot size: ${Object.entries(c.snapshotMiB).map(([t, s]) => `${t} ${s} MiB`).join(', ')}${c.snapshotAsMemory ? ' (set to the memory size, as the local runtime checkpoints the whole region)' : ''}`,
  );
  if (c.against !== undefined) {
    out.push(`- Real run: recorded earlier (${c.against.recordedAt}) in \`${c.against.dir}\` and not re-run; \`real/\` and \`real.log\` are copies of it, its wall time and load average are the ones recorded then`);
  }
  out.push(`- Wall time: simulation ${seconds(c.simWallMs)}, real run ${seconds(c.realWallMs)}; reports in \`sim/\` and \`real/\` beside this file`);
  if (c.loadAverage !== undefined) {
    const la = (x: readonly number[]) => x.map((v) => v.toFixed(2)).join(' / ');
    out.push(`- Load average (1 / 5 / 15 min) of this machine: ${la(c.loadAverage.before)} when the real run started, ${la(c.loadAverage.after)} when it ended`);
  }
  if (c.hostLoad !== undefined) {
    out.push(`- Machine during the real run: ${hostLoadLine(c.hostLoad)}`);
    for (const w of c.hostLoad.warnings) out.push(`- **Busy machine**: ${w}`);
  }
  if (c.drift !== undefined) out.push(`- ${driftLine(c.drift)}`);
  out.push('');
  out.push(
    'Relative error is (sim - real) / real; `–` where it is undefined (no value, or real 0 and sim not). The `*_over_time` rows compare the time series slot by slot after the warm-up: sim and real are the means of the series, the error is their mean absolute difference over the real mean, Σ|sim − real| / Σ real (unsigned); the slots are in `fidelity-timeseries.csv`, the curves in `report.html`.',
    '',
  );
  if (c.notes !== undefined && c.notes.length > 0) {
    out.push('Caveats:', '');
    for (const n of c.notes) out.push(`- ${n}`);
    out.push('');
  }

  const policies = [...new Set(rows.map((r) => r.policy))];
  const withTarget = rows.filter((r) => r.target !== undefined);
  const met = withTarget.filter((r) => r.met === true).length;
  const metPoint = withTarget.filter((r) => r.metPoint === true).length;
  out.push('## Targets', '');
  out.push(`${met} of ${withTarget.length} targeted cells within target (${TARGETS_TEXT}); ${metPoint} by the point figures alone.`, '');
  out.push(INTERVAL_RULE, '');
  const misses = withTarget.filter((r) => r.met !== true);
  if (misses.length > 0) {
    out.push('| policy | metric | sim | sim 95% | real | error | target |', '|---|---|---:|---:|---:|---:|---:|');
    for (const r of misses) out.push(`| ${r.policy} | ${r.metric} | ${fmt(r.sim)} | ${range(r.simInterval)} | ${fmt(r.real)} | ${pct(r.relError)} | ±${(r.target! * 100).toFixed(0)}% |`);
    out.push('');
  }

  for (const p of policies) {
    out.push(`## ${p}`, '');
    out.push('| metric | sim | sim 95% | real | real 95% | error | target | |', '|---|---:|---:|---:|---:|---:|---:|---|');
    for (const r of rows.filter((x) => x.policy === p)) {
      const mark = r.met === undefined ? '' : r.met ? 'ok' : 'miss';
      out.push(
        `| ${r.metric} | ${fmt(r.sim)} | ${range(r.simInterval)} | ${fmt(r.real)} | ${range(r.realInterval)} | ${pct(r.relError, !r.metric.endsWith('_over_time'))} | ${r.target === undefined ? '' : `±${(r.target * 100).toFixed(0)}%`} | ${mark} |`,
      );
    }
    out.push('');
  }

  out.push('## Primitives: calibrated model, simulated run and real run', '');
  out.push('The model column is the cost profile at the snapshot size (calibrated one primitive at a time); the sim column is the simulation\'s own measured.csv, each primitive under the simulated load (a profile\'s `contention` block slows them by their overlap); the real column is measured.csv of the real run, under its load. real/model well above 1 is contention; real/sim away from 1 is contention the simulator gets wrong. n is the real run\'s count (the simulation\'s in brackets).', '');
  out.push('| policy | primitive | source | n | model p50 | sim p50 | real p50 | real/model | real/sim | model p99 | sim p99 | real p99 | real/sim |', '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of primitives) {
    const n = `${r.count}${Number.isFinite(r.simCount) ? ` (${r.simCount})` : ''}`;
    out.push(
      `| ${r.policy} | ${r.primitive} | ${r.source} | ${n} | ${fmt(r.modelP50)} | ${fmt(r.simP50)} | ${fmt(r.realP50)} | ${ratio(r.modelP50, r.realP50)} | ${ratio(r.simP50, r.realP50)} | ${fmt(r.modelP99)} | ${fmt(r.simP99)} | ${fmt(r.realP99)} | ${ratio(r.simP99, r.realP99)} |`,
    );
  }
  out.push('');
  if (log !== undefined && log.size > 0) out.push(...primitiveLogSection(log));
  return `${out.join('\n')}\n`;
}

/** One policy set's primitives.csv of both halves, summarized (fidelity/primitive-log.ts). */
export interface PrimitiveLogView {
  readonly stats: readonly PrimitiveKindStats[];
  readonly slowest: readonly SlowPrimitive[];
}

function primitiveLogSection(log: ReadonlyMap<string, PrimitiveLogView>): string[] {
  const out: string[] = ['## Primitives one by one (primitives.csv)', ''];
  out.push(
    'Each half\'s primitives.csv has every primitive with its worker, actor, start and end in run time. Below, per kind: how many succeeded and failed, their durations (an execution\'s less its work: the dispatch), and how many ran at once: the mean over the run (their summed time over its length) and the most. Halves that agree on durations but not on how many ran at once disagree on the load, not on the primitive. Then the slowest restores and checkpoints of each half, each with the transfers in flight when it began; a real one has the worker\'s own time for it (the rest is HTTP and queueing) and, for a checkpoint, where its time went (each phase\'s end, ms after the worker began: seal, the node\'s disk copy, the store\'s upload).',
    '',
  );
  for (const [policy, v] of log) {
    out.push(`### ${policy}`, '');
    out.push('| kind | run | ok | failed | p50 ms | p90 ms | max ms | mean in flight | most in flight |', '|---|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const s of v.stats) {
      out.push(`| ${s.kind} | ${s.run} | ${s.ok} | ${s.failed} | ${fmt(s.p50)} | ${fmt(s.p90)} | ${fmt(s.max)} | ${Number.isFinite(s.meanInFlight) ? s.meanInFlight.toFixed(2) : '–'} | ${s.maxInFlight} |`);
    }
    out.push('');
    if (v.slowest.length > 0) {
      out.push('| run | kind | start | duration ms | worker | actor | transfers in flight | worker\'s own ms | phases (ms) |', '|---|---|---:|---:|---:|---|---:|---:|---|');
      for (const x of v.slowest) {
        const r = x.row;
        out.push(
          `| ${x.run} | ${kindOf(r)} | ${seconds(r.startMs)} | ${fmt(r.endMs - r.startMs)} | ${r.worker} | ${r.actor} | ${x.transfersInFlight} | ${Number.isFinite(r.workerMs) ? fmt(r.workerMs) : '–'} | ${r.phases === '' ? '–' : r.phases} |`,
        );
      }
      out.push('');
    }
  }
  return out;
}
