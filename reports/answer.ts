import type { PolicySet, Slo } from '../scenarios/scenario.ts';
import { costModel, formatPrice, gibHours, workerHours, type CostModel } from './cost.ts';
import { formatHours, formatMs, formatPercent, formatSlo } from './format.ts';
import { rowsPerPolicy } from './per-policy.ts';
import { recommend, type SloCheck } from './recommend.ts';
import type { SummaryRow } from './summary.ts';
import { wrap } from './sizing.ts';

/** What the one-line answer is computed from. */
export interface AnswerInput {
  /** summary.csv's rows: one per policy set, or one per policy set and seed (averaged per policy set). */
  readonly rows: readonly SummaryRow[];
  readonly slo?: Slo;
  /** The scenario's prices; absent, cost is worker-hours. */
  readonly model?: CostModel;
  /** The policy sets that ran, to find the always-on baseline to compare with. */
  readonly policies?: readonly Pick<PolicySet, 'name' | 'pools'>[];
}

/**
 * Policy sets that keep one pod per agent always on: every pool dedicated
 * and always-on. The baseline users compare a shared pool with.
 */
export function alwaysOnPolicies(policies: readonly Pick<PolicySet, 'name' | 'pools'>[]): string[] {
  return policies
    .filter((p) => {
      const pools = Object.values(p.pools);
      return pools.length > 0 && pools.every((s) => s.mode === 'dedicated' && s.dedicated?.variant === 'always-on');
    })
    .map((p) => p.name);
}

/**
 * The answer a run ends with, in one line:
 * "Recommended: shared-16 meets p99 ≤ 25 s, no rejections at 384 worker-hours
 * (480 GiB-hours), 125 times cheaper than one-pod-per-agent-always-on"; or,
 * when no set meets the SLO, the closest, by how much it misses, and the
 * goal it would meet with how to set it; or, with no SLO, how to give one.
 */
export function answerLine(input: AnswerInput): string {
  const rows = rowsPerPolicy(input.rows);
  const model = input.model ?? costModel();
  if (input.slo === undefined) {
    return 'No SLO given, so nothing is recommended: pass --slo p99=30s,overheadP99=1s (or set slo: in the scenario) to name the cheapest policy set that meets it.';
  }
  const slo = input.slo;
  const rec = recommend(rows, slo, model);
  const byName = new Map(rows.map((r) => [String(r.policy), r]));
  const chosen = byName.get(rec.policy);
  if (chosen === undefined) return `No policy set ran, so nothing meets ${formatSlo(slo)}.`;
  if (rec.kind === 'meets') {
    const baseline = cheapestBaseline(rows, input.policies ?? [], model);
    let line = `Recommended: ${rec.policy} meets ${formatSlo(slo)} at ${costText(model, chosen)}`;
    if (baseline !== undefined && baseline.policy !== chosen.policy) {
      const ratio = model.of(baseline) / model.of(chosen);
      if (Number.isFinite(ratio) && ratio > 0) line += `, ${formatRatio(ratio)} than ${String(baseline.policy)}`;
    }
    return `${line}.`;
  }
  const misses = (rec.closest?.missed ?? []).map(describeMiss).join(', ');
  const relaxed = relaxedSlo(slo, rec.closest?.missed ?? []);
  return (
    `No policy set meets ${formatSlo(slo)}; the closest is ${rec.policy} at ${costText(model, chosen)} (${misses}).` +
    (relaxed === undefined ? '' : ` It would meet --slo ${relaxed} (or set slo: in the scenario to the goal you need).`)
  );
}

// A space that must not become a line break: after a comparison sign and before a unit ("p99 ≤ 25 s", "576 worker-hours").
const GLUED = /(?<=[≤≥]) | (?=(?:ms|s|min|h|worker-hours|GiB-hours)(?![\w-]))/g;

/**
 * The answer as the terminal prints it: the same words as answerLine (and
 * summary.md and report.html), wrapped at spaces to `width` columns, never
 * between a number and its unit or after "≤".
 */
export function wrapAnswer(line: string, width: number): string {
  return wrap(line.replace(GLUED, '\u00a0'), width).replaceAll('\u00a0', ' ');
}

function costText(model: CostModel, row: SummaryRow): string {
  const hours = `${formatHours(workerHours(row) * 3600)} worker-hours (${formatHours(gibHours(row) * 3600)} GiB-hours)`;
  return model.prices === undefined ? hours : `${hours}, price ${formatPrice(model.of(row))}`;
}

/** "83 times cheaper", "2.4 times cheaper"; "as cheap" when within 1%. */
function formatRatio(ratio: number): string {
  if (ratio < 1.01 && ratio > 0.99) return 'as cheap';
  if (ratio < 1) return `${formatFactor(1 / ratio)} times dearer`;
  return `${formatFactor(ratio)} times cheaper`;
}

function formatFactor(x: number): string {
  return x >= 10 ? new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 }).format(x) : String(Number(x.toFixed(1)));
}

function cheapestBaseline(rows: readonly SummaryRow[], policies: readonly Pick<PolicySet, 'name' | 'pools'>[], model: CostModel): SummaryRow | undefined {
  const names = new Set(alwaysOnPolicies(policies));
  return rows.filter((r) => names.has(String(r.policy))).sort(model.compare)[0];
}

function describeMiss(c: SloCheck): string {
  if (c.metric === 'rejected') return `rejected ${formatPercent(c.value)} vs ${formatPercent(c.goal)} allowed`;
  const label = c.metric === 'overheadP99' ? 'overhead p99' : c.metric;
  const by = Number.isFinite(c.excess) ? `, ${formatPercent(c.excess)} over` : '';
  return `${label} ${formatMs(c.value)} vs ${formatMs(c.goal)}${by}`;
}

/**
 * The --slo value the closest set would meet: the goals it misses raised to
 * its own figures (rounded up to two significant digits), the others kept.
 * Undefined when a missed latency is not finite (nothing served).
 */
export function relaxedSlo(slo: Slo, missed: readonly SloCheck[]): string | undefined {
  const goal = { ...slo } as { p50?: number; p90?: number; p99?: number; overheadP99?: number; maxRejected: number };
  for (const m of missed) {
    if (!Number.isFinite(m.value)) return undefined;
    if (m.metric === 'rejected') goal.maxRejected = roundUp(m.value);
    else goal[m.metric] = roundUp(m.value);
  }
  const parts: string[] = [];
  for (const k of ['p50', 'p90', 'p99', 'overheadP99'] as const) {
    const v = goal[k];
    if (v !== undefined) parts.push(`${k}=${durationFlag(v)}`);
  }
  parts.push(`rejected=${percentFlag(goal.maxRejected)}%`);
  return parts.join(',');
}

/** A share as the percentage --slo reads back at least as large: 0.7 / 100 is just under 0.007 in binary. */
function percentFlag(fraction: number): number {
  let pct = roundUp(fraction * 100);
  if (pct > 0 && pct / 100 < fraction) pct = Number((pct + 10 ** (Math.floor(Math.log10(pct)) - 1)).toPrecision(2));
  return pct;
}

/** Rounds up to two significant digits, so the suggested goal is met and short. */
function roundUp(x: number): number {
  if (x <= 0) return x;
  const step = 10 ** (Math.floor(Math.log10(x)) - 1);
  return Number((Math.ceil(x / step - 1e-9) * step).toPrecision(2));
}

/** Milliseconds in the Go form --slo reads: 450ms, 1.5s, 31s. */
function durationFlag(ms: number): string {
  return ms < 1000 ? `${Number(ms.toPrecision(3))}ms` : `${Number((ms / 1000).toPrecision(3))}s`;
}
