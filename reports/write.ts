import { accessSync, closeSync, constants, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, writeSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, parse, resolve } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { RunResult } from '../core/result.ts';
import { CSV_CHUNK_BYTES, CsvWriter, csvLine } from './csv.ts';
import type { ClusterNode } from '../scenarios/scenario.ts';
import { densityCells } from './density.ts';
import type { MeasuredInput } from './measured.ts';
import { INVOCATION_COLUMNS, SUMMARY_COLUMNS, summarize, type ReportedRun, type SummaryRow } from './summary.ts';

/** Which invocation rows go to invocations.csv. */
export type InvocationOutput = 'all' | 'none';

/**
 * A CSV cell: a number that is not finite (a percentile of no served
 * invocation is NaN) becomes an empty cell, which every reader of these
 * files takes as "no value", never the text NaN or Infinity.
 */
export function csvCell(v: string | number | undefined): string | number {
  return v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? '' : v;
}

/** Renders summary.csv for a set of runs. */
export function summaryCsv(rows: readonly SummaryRow[]): string {
  return stringify(
    rows.map((r) => SUMMARY_COLUMNS.map((c) => csvCell(r[c]))),
    { header: true, columns: [...SUMMARY_COLUMNS] },
  );
}

/** Renders invocations.csv for a set of runs (the fast writer: millions of rows, none needing quotes). */
export function invocationsCsv(runs: readonly RunResult[]): string {
  return Buffer.concat([...invocationsCsvChunks(runs)]).toString('utf8');
}

/**
 * invocations.csv as UTF-8 in chunks of whole lines, for writeReport to
 * write as they are rendered: the file (131 MB for azure-like) is never
 * held whole. Rendered straight from the replies, without invocationRows'
 * arrays: the same bytes as csv-stringify would write for
 * `invocationRows(run).map((row) => row.map(csvCell))` under
 * INVOCATION_COLUMNS (test/reports/csv.properties.test.ts checks it).
 */
export function* invocationsCsvChunks(runs: readonly RunResult[], chunkBytes = CSV_CHUNK_BYTES): Generator<Uint8Array> {
  const w = new CsvWriter(chunkBytes);
  csvLine(w, INVOCATION_COLUMNS);
  for (const run of runs) {
    const policy = run.policy;
    const seed = run.seed;
    for (const r of run.replies) {
      const p = r.parts;
      // invocationRows' columns in order, each as csvCell makes it: a number that is not finite is an empty cell.
      w.text(policy);
      w.comma();
      finite(w, r.invocation);
      w.comma();
      w.text(r.actor);
      w.comma();
      w.milliCell(r.arrivalMs);
      w.comma();
      w.milliCell(r.startMs);
      w.comma();
      w.milliCell(r.endMs);
      w.comma();
      w.text(r.path);
      w.comma();
      w.milliCell(p.parkedMs);
      w.comma();
      w.milliCell(p.workerStartMs);
      w.comma();
      w.milliCell(p.restoreMs);
      w.comma();
      w.milliCell(p.execMs);
      w.comma();
      w.text(r.outcome);
      w.comma();
      w.text(r.reason);
      w.comma();
      w.milliCell(p.queuedMs);
      w.comma();
      finite(w, r.attempts);
      w.comma();
      if (seed !== undefined) finite(w, seed);
      w.endLine();
      if (w.full) yield w.take();
    }
  }
  const last = w.end();
  if (last.length > 0) yield last;
}

/** A number as csvCell leaves it: empty when not finite. */
function finite(w: CsvWriter, v: number): void {
  if (Number.isFinite(v)) w.number(v);
}

/** A report file's content: its text, or its text (or UTF-8 bytes) in chunks written one after another (a large CSV). */
export type ReportFile = string | Iterable<string | Uint8Array>;

/** Writes one file from its text or its chunks. */
function writeFileFrom(path: string, content: ReportFile): void {
  if (typeof content === 'string') {
    writeFileSync(path, content);
    return;
  }
  const fd = openSync(path, 'w');
  try {
    for (const chunk of content) {
      if (typeof chunk === 'string') writeSync(fd, chunk);
      // writeSync may write less than it was given; the rest follows.
      else for (let done = 0; done < chunk.length; ) done += writeSync(fd, chunk, done, chunk.length - done);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Every file name a report folder of this project holds (simulate, bench,
 * bench:cluster, fidelity), and the folders a fidelity report adds: a folder
 * holding nothing else is a previous report, which a new run may replace.
 */
export const REPORT_FILES: ReadonlySet<string> = new Set([
  'summary.csv',
  'invocations.csv',
  'timeseries.csv',
  'measured.csv',
  'primitives.csv',
  'aggregate.csv',
  'sizing.csv',
  'run.json',
  'report.html',
  'summary.md',
  'bench.json',
  'fidelity.csv',
  'fidelity-timeseries.csv',
  'fidelity.md',
  'fidelity.json',
  'fidelity-seeds.csv',
  'sim.log',
  'real.log',
]);
const REPORT_FOLDERS: ReadonlySet<string> = new Set(['inputs', 'sim', 'real', 'drift', 'seeds', 'band']);

/** A report folder that cannot be used, said before the run; the message names the folder and why. */
export class ReportDirError extends Error {
  override readonly name = 'ReportDirError';
}

/** Folders a report must never be written into (nor replace): system roots and the home folder. */
const SYSTEM_DIRS: ReadonlySet<string> = new Set(['/bin', '/boot', '/dev', '/etc', '/home', '/lib', '/lib32', '/lib64', '/opt', '/proc', '/root', '/run', '/sbin', '/srv', '/sys', '/tmp', '/usr', '/var', '/Users', '/System', '/Library', '/Applications', '/private']);

/**
 * Checks, before a run, that `outDir` can take its report, so a bad --out
 * costs nothing instead of a whole run: refused are a path that exists and is
 * not a folder, a file-system root, a system folder or the home folder, a
 * folder holding anything but a previous report's files (see REPORT_FILES:
 * such a folder is replaced whole by writeReport, so no stale file stays),
 * and a folder whose nearest existing parent is not a writable folder.
 * Returns the absolute path; throws ReportDirError. Creates nothing.
 */
export function checkReportDir(outDir: string): string {
  const target = resolve(outDir);
  const refuse = (why: string): never => {
    throw new ReportDirError(`--out ${outDir}: ${why}`);
  };
  if (parse(target).root === target) refuse('is the root of a file system; give a folder for the report');
  if (SYSTEM_DIRS.has(target) || target === resolve(homedir())) refuse('is a system or home folder; give a folder of its own for the report');
  let exists = true;
  try {
    const st = lstatSync(target);
    if (st.isSymbolicLink()) refuse('is a symbolic link; give the folder itself');
    if (!st.isDirectory()) refuse('exists and is not a folder');
  } catch (err) {
    if (err instanceof ReportDirError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') refuse(`cannot be checked: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    exists = false;
  }
  if (exists) {
    const entries = readdirSync(target, { withFileTypes: true });
    const foreign = entries.filter((e) => !(e.isFile() ? REPORT_FILES.has(e.name) : e.isDirectory() && REPORT_FOLDERS.has(e.name)));
    if (foreign.length > 0) {
      const shown = foreign.slice(0, 3).map((e) => e.name).join(', ');
      refuse(`is a folder holding other things than a report (${shown}${foreign.length > 3 ? `, and ${foreign.length - 3} more` : ''}); give a new or empty folder`);
    }
  }
  // The folder itself (when it exists) and the nearest existing ancestor must take new entries.
  let dir = exists ? target : dirname(target);
  for (;;) {
    let st;
    try {
      st = statSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(dir) === dir) refuse(`its parent ${dir} cannot be checked: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      dir = dirname(dir);
      continue;
    }
    if (!st.isDirectory()) refuse(`${dir} is not a folder`);
    try {
      accessSync(dir, constants.W_OK | constants.X_OK);
    } catch {
      refuse(`${dir} is not writable`);
    }
    if (exists && dir === target) {
      // The report replaces the folder: its parent must take the staging folder too.
      dir = dirname(target);
      exists = false;
      continue;
    }
    return target;
  }
}

/**
 * Writes a report folder all at once: files are written into a fresh
 * sibling folder and moved into place only when all of them are complete, so
 * an error or a crash never leaves a half-written report behind.
 */
export function writeReport(outDir: string, files: Readonly<Record<string, ReportFile>>): string {
  const target = resolve(outDir);
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const staging = mkdtempSync(join(parent, `.${basename(target)}.partial-`));
  try {
    for (const [name, content] of Object.entries(files)) writeFileFrom(join(staging, name), content);
    if (!existsSync(target)) {
      renameSync(staging, target);
    } else {
      // A previous report's files that this one does not write are removed, so none is left stale
      // next to the new ones (an old invocations.csv beside a run without one); anything else stays.
      for (const name of readdirSync(target)) {
        if (REPORT_FILES.has(name) && !(name in files)) rmSync(join(target, name), { force: true });
      }
      for (const name of readdirSync(staging)) renameSync(join(staging, name), join(target, name));
      rmSync(staging, { recursive: true, force: true });
    }
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  return target;
}

/**
 * Computes the summary rows of a set of runs; with the cluster's nodes, the
 * density columns too (and with a real run's memory samples, per run, the
 * measured ones).
 */
export function summaries(runs: readonly ReportedRun[], nodes?: readonly ClusterNode[], memory?: readonly (MeasuredInput['memory'] | undefined)[]): SummaryRow[] {
  return runs.map((run, i) => {
    const row = summarize(run);
    return nodes === undefined ? row : { ...row, ...densityCells(row, run, nodes, memory?.[i]) };
  });
}
