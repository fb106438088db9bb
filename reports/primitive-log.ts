import { stringify } from 'csv-stringify/sync';
import { ms } from './summary.ts';

/** The primitives a run records one by one. */
export type PrimitiveKind = 'worker-start' | 'restore' | 'checkpoint' | 'execute';

/**
 * One primitive as a run saw it, from the command (a worker's start, a
 * request sent) to its completion or failure, in run time (ms since the run
 * began: virtual in a simulation, the driver's clock in a real run). Both
 * halves of a fidelity run write these (primitives.csv), so where and when
 * the slow ones happened can be set side by side, not only their quantiles
 * (measured.csv).
 */
export interface PrimitiveRecord {
  readonly primitive: PrimitiveKind;
  /** A restore's source or a checkpoint's target; '' for the others. */
  readonly source: string;
  readonly worker: number;
  /** '' for a worker start. */
  readonly actor: string;
  readonly startMs: number;
  readonly endMs: number;
  /** An execution's work as asked for (its duration less this is the dispatch); 0 for the others. */
  readonly workMs: number;
  readonly ok: boolean;
  /** Why it failed, as the run's failure classes say it ("restore timeout"), where the run knows. */
  readonly failure?: string;
  /** A real run: the time the worker itself reports for the request (its answer), the rest being the HTTP round trip and queueing. */
  readonly workerMs?: number;
  /** A real run: the worker's own phases of the request (a checkpoint's seal, copy and store), in ms. */
  readonly phases?: Readonly<Record<string, number>>;
}

/** Columns of primitives.csv: one row per primitive, in the order the run saw them complete. */
export const PRIMITIVE_LOG_COLUMNS = ['policy', 'seed', 'primitive', 'source', 'worker', 'actor', 'start_ms', 'end_ms', 'duration_ms', 'work_ms', 'ok', 'failure', 'worker_ms', 'phases'] as const;

/** "seal 12; disk 300; store 1400": whole ms (phases are for reading, not for sums). */
export function phasesText(phases: Readonly<Record<string, number>> | undefined): string {
  if (phases === undefined) return '';
  return Object.entries(phases)
    .map(([k, v]) => `${k} ${Math.round(v)}`)
    .join('; ');
}

/** primitives.csv for the runs given, each a policy set with its records. */
export function primitiveLogCsv(runs: readonly { readonly policy: string; readonly seed: number; readonly records: readonly PrimitiveRecord[] }[]): string {
  const rows: (string | number)[][] = [];
  for (const { policy, seed, records } of runs) {
    for (const r of records) {
      rows.push([
        policy,
        seed,
        r.primitive,
        r.source,
        r.worker,
        r.actor,
        ms(r.startMs),
        ms(r.endMs),
        ms(r.endMs - r.startMs),
        ms(r.workMs),
        r.ok ? 1 : 0,
        r.failure ?? '',
        r.workerMs === undefined ? '' : ms(r.workerMs),
        phasesText(r.phases),
      ]);
    }
  }
  return stringify(rows, { header: true, columns: [...PRIMITIVE_LOG_COLUMNS] });
}

/** A primitives.csv row read back (fidelity): what the analysis needs. */
export interface PrimitiveLogRow {
  readonly policy: string;
  readonly seed: number;
  readonly primitive: string;
  readonly source: string;
  readonly worker: number;
  readonly actor: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly workMs: number;
  readonly ok: boolean;
  readonly failure: string;
  readonly workerMs: number;
  readonly phases: string;
}

/** Parses primitives.csv's rows (as read by a CSV reader, one record per row); throws naming the file and the row of a bad one. */
export function parsePrimitiveLog(rows: readonly Readonly<Record<string, string>>[], file: string): PrimitiveLogRow[] {
  const out: PrimitiveLogRow[] = [];
  rows.forEach((r, i) => {
    const num = (k: string, empty = false): number => {
      const text = r[k] ?? '';
      if (text === '' && empty) return Number.NaN;
      const x = Number(text);
      if (text === '' || !Number.isFinite(x)) throw new Error(`${file} row ${i + 2}: ${k} "${text}" is not a number`);
      return x;
    };
    out.push({
      policy: r.policy ?? '',
      seed: num('seed'),
      primitive: r.primitive ?? '',
      source: r.source ?? '',
      worker: num('worker'),
      actor: r.actor ?? '',
      startMs: num('start_ms'),
      endMs: num('end_ms'),
      workMs: num('work_ms'),
      ok: r.ok === '1',
      failure: r.failure ?? '',
      workerMs: num('worker_ms', true),
      phases: r.phases ?? '',
    });
  });
  return out;
}
