import { readFileSync } from 'node:fs';
import { parse as parseCsv } from 'csv-parse/sync';

/** The rows of a report's CSV (summary.csv, invocations.csv, ...) as records of strings, by header. */
export function readCsvRows(file: string): Record<string, string>[] {
  return parseCsv(readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
}
