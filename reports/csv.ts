import { stringify } from 'csv-stringify/sync';

/** A CSV cell as the writers hand it over: text, or a number cast as `'' + n`. */
export type CsvValue = string | number;

/** A character that makes csv-stringify quote a field (its defaults: delimiter `,`, quote `"`, `\n`, `\r`). */
const NEEDS_QUOTING = /[",\n\r]/;

/**
 * Below this (2^33 ms, 99 days) doubles are spaced by at most 2^-19, far
 * closer than 0.001; near 2^53 / 1000 they are 0.002 apart and the shortest
 * text of k / 1000 can be another number (the property test found one).
 */
const MAX_MILLI = 2 ** 33;

/**
 * `'' + v` (ECMAScript's shortest round-trip form), computed from integers
 * for what the reports hold, numbers with at most three decimals (`ms()`
 * rounds to microseconds): V8's general double-to-text conversion was the
 * largest cost of invocations.csv. For |v| < MAX_MILLI, v equal to the
 * double nearest k / 1000 (k an integer), the shortest text that reads back
 * as v is k / 1000 written out with its trailing zeros dropped: any other
 * text with as few digits differs by at least 0.001, far more than the
 * spacing of doubles there. Everything else goes to `'' + v`.
 */
export function numberText(v: number): string {
  if (Number.isInteger(v)) return '' + v;
  if (!(v > -MAX_MILLI && v < MAX_MILLI)) return '' + v;
  const k = Math.round(v * 1000);
  if (k / 1000 !== v) return '' + v;
  const a = k < 0 ? -k : k;
  const whole = Math.floor(a / 1000);
  const f = a - whole * 1000;
  // f > 0: v is not an integer.
  const frac = f % 100 === 0 ? '' + f / 100 : f % 10 === 0 ? (f < 100 ? '0' : '') + f / 10 : (f < 10 ? '00' : f < 100 ? '0' : '') + f;
  return (k < 0 ? '-' : '') + whole + '.' + frac;
}

/**
 * One field as csv-stringify (default options) writes it. Numbers and text
 * with nothing to quote, every cell of invocations.csv, are written here as
 * csv-stringify writes them (`'' + value`); anything else is handed to
 * csv-stringify itself, so its quoting rules stay the only ones
 * (test/reports/csv.properties.test.ts checks the two agree on random rows).
 */
function field(v: CsvValue): string {
  if (typeof v === 'number') return numberText(v);
  if (!NEEDS_QUOTING.test(v)) return v;
  // A row of one field; the record delimiter it ends with is not part of the field.
  return stringify([[v]]).slice(0, -1);
}

/**
 * Renders a CSV file (header line, then one line per row, each ending in
 * `\n`), byte for byte what csv-stringify's `stringify(rows, { header: true,
 * columns })` renders (every row has one value per column), at about ten times its speed: csv-stringify runs its
 * option and cast machinery for every cell, which held the default run's
 * 23 MB invocations.csv to about 9 MB/s.
 */
export function csvText(columns: readonly string[], rows: Iterable<readonly CsvValue[]>): string {
  return [...csvChunks(columns, rows)].join('');
}

/** Bytes of text (about: UTF-16 units) a chunk of csvChunks holds before it is handed over. */
export const CSV_CHUNK_CHARS = 4 * 1024 * 1024;

/**
 * The text of csvText in chunks of about `chunkChars` characters, each a
 * run of whole lines, so that a file of hundreds of megabytes (azure-like's
 * invocations.csv is 131 MB) is written as it is rendered and never held
 * whole; the chunks joined are csvText's text, byte for byte.
 */
export function* csvChunks(columns: readonly string[], rows: Iterable<readonly CsvValue[]>, chunkChars = CSV_CHUNK_CHARS): Generator<string> {
  // Each line is the join of its fields, and a chunk the join of its lines: measured about three
  // times cheaper than appending field by field (`+=` builds ropes that are walked again later).
  let lines: string[] = [columns.map(field).join(',') + '\n'];
  let chars = lines[0]!.length;
  const cells: string[] = new Array<string>(columns.length);
  let n = 0;
  for (const row of rows) {
    n++;
    if (row.length !== columns.length) throw new Error(`CSV row ${n} has ${row.length} values for ${columns.length} columns (${columns.join(',')})`);
    for (let i = 0; i < row.length; i++) cells[i] = field(row[i]!);
    const line = cells.join(',') + '\n';
    lines.push(line);
    chars += line.length;
    if (chars >= chunkChars) {
      yield lines.join('');
      lines = [];
      chars = 0;
    }
  }
  if (lines.length > 0) yield lines.join('');
}
