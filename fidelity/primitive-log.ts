import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parsePrimitiveLog, type PrimitiveLogRow } from '../reports/primitive-log.ts';
import { readCsvRows } from './csv-rows.ts';

/** The two halves of a fidelity run. */
export type Half = 'simulated' | 'real';

/** One kind of primitive (a restore from a source, a checkpoint to a target, ...) in one half, from primitives.csv. */
export interface PrimitiveKindStats {
  readonly run: Half;
  /** "restore golden", "checkpoint external", "worker-start", "execute". */
  readonly kind: string;
  readonly ok: number;
  readonly failed: number;
  /** Durations of the ones that succeeded, ms. */
  readonly p50: number;
  readonly p90: number;
  readonly max: number;
  /**
   * Mean number in flight over the run (sum of durations over the run's
   * length, failed ones included: Little's law), and the most at once. Two
   * halves that agree on durations but not on these disagree on the load,
   * not on the primitive.
   */
  readonly meanInFlight: number;
  readonly maxInFlight: number;
}

/** A slow primitive, with what else the run had in flight when it began. */
export interface SlowPrimitive {
  readonly run: Half;
  readonly row: PrimitiveLogRow;
  /** Restores and checkpoints in flight at its start, itself included. */
  readonly transfersInFlight: number;
}

/** "restore golden", "checkpoint external", "execute", "worker-start". */
export function kindOf(r: Pick<PrimitiveLogRow, 'primitive' | 'source'>): string {
  return r.source === '' ? r.primitive : `${r.primitive} ${r.source}`;
}

function isTransfer(r: PrimitiveLogRow): boolean {
  return r.primitive === 'restore' || r.primitive === 'checkpoint';
}

function nearestRank(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1]!;
}

/** The most intervals [start, end) that overlap at one moment; one of no length counts as a moment's length. */
function maxOverlap(rows: readonly PrimitiveLogRow[]): number {
  // Ends before starts at the same moment, so back-to-back primitives do not overlap;
  // an instant one (a refusal: start = end) lasts a moment, so it counts where it happens.
  const edges: [number, number][] = [];
  for (const r of rows) {
    edges.push([r.startMs, 1]);
    edges.push([Math.max(r.endMs, r.startMs + 1e-9), -1]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, d] of edges) {
    now += d;
    if (now > most) most = now;
  }
  return most;
}

/**
 * Per kind of primitive, both halves: counts, durations and how many ran
 * at once, over a run of `runMs` (the span in the runs' own time).
 */
export function primitiveKindStats(sim: readonly PrimitiveLogRow[], real: readonly PrimitiveLogRow[], runMs: number): PrimitiveKindStats[] {
  const out: PrimitiveKindStats[] = [];
  const kinds = [...new Set([...real, ...sim].map(kindOf))].sort();
  for (const kind of kinds) {
    for (const [run, rows] of [['simulated', sim], ['real', real]] as const) {
      const of = rows.filter((r) => kindOf(r) === kind);
      if (of.length === 0) continue;
      const ok = of.filter((r) => r.ok);
      const durations = ok.map((r) => r.endMs - r.startMs - r.workMs).sort((a, b) => a - b);
      const busy = of.reduce((s, r) => s + Math.max(0, r.endMs - r.startMs), 0);
      out.push({
        run,
        kind,
        ok: ok.length,
        failed: of.length - ok.length,
        p50: nearestRank(durations, 0.5),
        p90: nearestRank(durations, 0.9),
        max: durations.length === 0 ? Number.NaN : durations[durations.length - 1]!,
        meanInFlight: runMs > 0 ? busy / runMs : Number.NaN,
        maxInFlight: maxOverlap(of),
      });
    }
  }
  return out;
}

/** The `n` slowest restores and checkpoints that succeeded in one half, slowest first, each with the transfers in flight when it began. */
export function slowestTransfers(run: Half, rows: readonly PrimitiveLogRow[], n: number): SlowPrimitive[] {
  const transfers = rows.filter(isTransfer);
  const slow = transfers
    .filter((r) => r.ok)
    .sort((a, b) => b.endMs - b.startMs - (a.endMs - a.startMs) || a.startMs - b.startMs)
    .slice(0, n);
  return slow.map((row) => ({
    run,
    row,
    transfersInFlight: transfers.filter((r) => r.startMs <= row.startMs && (r.endMs > row.startMs || r === row)).length,
  }));
}

/** Slowest restores and checkpoints listed per half in fidelity.md. */
export const SLOWEST_LISTED = 5;

/** Both halves' primitives.csv, per policy set: the rows (for the chart) and their summary (for fidelity.md). */
export interface PrimitiveLogs {
  readonly rows: ReadonlyMap<string, { readonly sim: readonly PrimitiveLogRow[]; readonly real: readonly PrimitiveLogRow[] }>;
  readonly views: ReadonlyMap<string, { readonly stats: readonly PrimitiveKindStats[]; readonly slowest: readonly SlowPrimitive[] }>;
}

/**
 * Reads primitives.csv of both halves; undefined when either has none (a
 * real run recorded before it was written, replayed with --against).
 * `runMs` is the span in the runs' own time, over which in-flight means are taken.
 */
export function readPrimitiveLogs(simDir: string, realDir: string, policies: readonly string[], runMs: number): PrimitiveLogs | undefined {
  const simFile = join(simDir, 'primitives.csv');
  const realFile = join(realDir, 'primitives.csv');
  if (!existsSync(simFile) || !existsSync(realFile)) return undefined;
  const sim = parsePrimitiveLog(readCsvRows(simFile), simFile);
  const real = parsePrimitiveLog(readCsvRows(realFile), realFile);
  const rows = new Map<string, { sim: PrimitiveLogRow[]; real: PrimitiveLogRow[] }>();
  const views = new Map<string, { stats: PrimitiveKindStats[]; slowest: SlowPrimitive[] }>();
  for (const policy of policies) {
    const s = sim.filter((r) => r.policy === policy);
    const r = real.filter((x) => x.policy === policy);
    if (s.length === 0 && r.length === 0) continue;
    rows.set(policy, { sim: s, real: r });
    views.set(policy, { stats: primitiveKindStats(s, r, runMs), slowest: [...slowestTransfers('real', r, SLOWEST_LISTED), ...slowestTransfers('simulated', s, SLOWEST_LISTED)] });
  }
  return { rows, views };
}
