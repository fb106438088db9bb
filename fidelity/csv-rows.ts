import { readFileSync } from 'node:fs';
import { parse as parseCsv } from 'csv-parse/sync';

/** The rows of a report's CSV (summary.csv, invocations.csv, ...) as records of strings, by header. */
export function readCsvRows(file: string): Record<string, string>[] {
  return parseCsv(readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
}

/** A report's CSV rows grouped by their policy column, each group in file order. */
export function rowsByPolicy(file: string): Map<string, Record<string, string>[]> {
  const m = new Map<string, Record<string, string>[]>();
  for (const r of readCsvRows(file)) {
    const list = m.get(r.policy ?? '');
    if (list === undefined) m.set(r.policy ?? '', [r]);
    else list.push(r);
  }
  return m;
}
