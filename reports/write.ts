import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { RunResult } from '../core/result.ts';
import { INVOCATION_COLUMNS, SUMMARY_COLUMNS, invocationRows, summarize, type ReportedRun, type SummaryRow } from './summary.ts';

/** Which invocation rows go to invocations.csv. */
export type InvocationOutput = 'all' | 'none';

/** Renders summary.csv for a set of runs. */
export function summaryCsv(rows: readonly SummaryRow[]): string {
  return stringify(
    rows.map((r) => SUMMARY_COLUMNS.map((c) => r[c])),
    { header: true, columns: [...SUMMARY_COLUMNS] },
  );
}

/** Renders invocations.csv for a set of runs. */
export function invocationsCsv(runs: readonly RunResult[]): string {
  const rows: (string | number)[][] = [];
  for (const run of runs) for (const row of invocationRows(run)) rows.push(row);
  return stringify(rows, { header: true, columns: [...INVOCATION_COLUMNS] });
}

/**
 * Writes a report folder all at once: files are written into a fresh
 * sibling folder and moved into place only when all of them are complete, so
 * an error or a crash never leaves a half-written report behind.
 */
export function writeReport(outDir: string, files: Readonly<Record<string, string>>): string {
  const target = resolve(outDir);
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const staging = mkdtempSync(join(parent, `.${basename(target)}.partial-`));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(staging, name), text);
    if (!existsSync(target)) {
      renameSync(staging, target);
    } else {
      for (const name of readdirSync(staging)) renameSync(join(staging, name), join(target, name));
      rmSync(staging, { recursive: true, force: true });
    }
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  return target;
}

/** Computes the summary rows of a set of runs. */
export function summaries(runs: readonly ReportedRun[]): SummaryRow[] {
  return runs.map(summarize);
}
