import type { CalibrationSamples, SizedSample } from '../real/primitives.ts';
import type { CostModel } from '../scenarios/scenario.ts';
import { modelQuantile } from './primitives.ts';

/**
 * The drift probe (issue 18): a short calibration (one size, a few repeats,
 * no sweeps) run just before the real half, set against the profile the
 * simulation uses. This machine's speed moved by a factor of two within
 * hours (stop 29), so a profile measured an hour earlier may describe
 * another machine; the probe says by how much, primitive by primitive, so
 * a miss can be read as the simulator's or as the profile's age.
 */

/** One primitive alone: the probe's median against what the profile predicts at the same size. */
export interface DriftRow {
  /** measured.csv's names: worker-start, restore, checkpoint, dispatch. */
  readonly primitive: string;
  readonly source: string;
  readonly samples: number;
  readonly probeMs: number;
  readonly profileMs: number;
  /** probe / profile: above 1 the machine is slower now than when the profile was measured. */
  readonly ratio: number;
}

/** What fidelity.json and fidelity.md keep of a probe. */
export interface Drift {
  /** The probe's own profile (its raw samples beside it). */
  readonly file: string;
  readonly sizeMiB: number;
  readonly repeats: number;
  readonly rows: readonly DriftRow[];
  /** The probe failed (its exit and last lines): nothing to compare. */
  readonly failed?: string;
}

/** Repeats of the drift probe: the median of three is robust to one slow sample and takes a few seconds a size. */
export const DRIFT_REPEATS = 3;

/** Outside this band, the profile is flagged as stale in the report. */
export const DRIFT_BAND: readonly [number, number] = [0.8, 1.25];

function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const at = (xs: readonly SizedSample[], sizeMiB: number): number[] => xs.filter((x) => x.sizeMiB === sizeMiB).map((x) => x.ms);

/**
 * The probe's medians at `sizeMiB` against the profile's p50 there, for
 * every primitive both have: worker start, dispatch, each restore source
 * but cold, each checkpoint target.
 */
export function driftRows(samples: CalibrationSamples, costs: CostModel, sizeMiB: number): DriftRow[] {
  const series: [string, string, number[]][] = [
    ['worker-start', '', [...samples.workerStartMs]],
    ['dispatch', '', at(samples.dispatch, sizeMiB)],
    ['restore', 'golden', at(samples.restore.golden, sizeMiB)],
    ['restore', 'external', at(samples.restore.external, sizeMiB)],
    ['restore', 'local', at(samples.restore.local, sizeMiB)],
    ['checkpoint', 'external', at(samples.checkpoint.external, sizeMiB)],
    ['checkpoint', 'local', at(samples.checkpoint.local, sizeMiB)],
  ];
  const rows: DriftRow[] = [];
  for (const [primitive, source, xs] of series) {
    if (xs.length === 0) continue;
    const probeMs = median(xs);
    const profileMs = modelQuantile(costs, primitive, source, sizeMiB, 0.5);
    rows.push({ primitive, source, samples: xs.length, probeMs, profileMs, ratio: profileMs > 0 ? probeMs / profileMs : Number.NaN });
  }
  return rows;
}

/** The snapshot transfers of a probe (what a peak is made of), outside {@link DRIFT_BAND}. */
export function driftOutside(d: Drift): DriftRow[] {
  return d.rows.filter((r) => (r.primitive === 'restore' || r.primitive === 'checkpoint') && Number.isFinite(r.ratio) && (r.ratio < DRIFT_BAND[0] || r.ratio > DRIFT_BAND[1]));
}

/** One line for fidelity.md's head: each primitive's probe / profile ratio. */
export function driftLine(d: Drift): string {
  if (d.failed !== undefined) return `Drift probe: failed (${d.failed}); the profile's age is unknown`;
  const parts = d.rows.map((r) => `${r.source === '' ? r.primitive : `${r.primitive} ${r.source}`} ${r.ratio.toFixed(2)}x (${fmtMs(r.probeMs)} against ${fmtMs(r.profileMs)})`);
  return `Drift probe (a calibration of ${d.repeats} repeats at ${d.sizeMiB} MiB, one primitive at a time, just before the real run; \`${d.file}\`), its median over the profile's p50: ${parts.join(', ')}`;
}

/** The caveat when the profile looks stale, or undefined. */
export function driftNote(d: Drift): string | undefined {
  const off = driftOutside(d);
  if (off.length === 0) return undefined;
  const what = off.map((r) => `${r.primitive} ${r.source} ${r.ratio.toFixed(2)}x`).join(', ');
  const slower = off.filter((r) => r.ratio > 1).length;
  const faster = off.length - slower;
  const how = slower > 0 && faster > 0 ? 'faster at some primitives and slower at others than' : slower > 0 ? 'slower than' : 'faster than';
  return (
    `Stale profile: just before the real run, ${what} the profile's time alone (outside ${DRIFT_BAND[0]}-${DRIFT_BAND[1]}x): this machine is ${how} when the profile was measured, ` +
    `and the simulation, which uses the profile as it is, runs at the old speed. Recalibrate (npm run calibrate) before reading the targets as the simulator's.`
  );
}

function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms >= 10 ? 0 : 1)} ms`;
}
