import { TraceError } from './errors.ts';

// Long garbage (a binary file, a wrong delimiter) would otherwise flood the message.
const MAX_QUOTED_CHARS = 40;
// Digits of the largest count parsed exactly: 15 digits stay below 2^53.
const MAX_COUNT_DIGITS = 15;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function quote(value: string): string {
  return JSON.stringify(value.length > MAX_QUOTED_CHARS ? `${value.slice(0, MAX_QUOTED_CHARS)}...` : value);
}

/** The header of a CSV trace file: finds required columns by name, or fails with a located TraceError. */
export class CsvHeader {
  readonly file: string;
  readonly line: number;
  readonly names: readonly string[];
  private readonly byName = new Map<string, number>();

  constructor(file: string, line: number, names: readonly string[]) {
    this.file = file;
    this.line = line;
    this.names = names;
    names.forEach((name, i) => {
      // Tolerate stray spaces around header names (hand-edited files); the first duplicate wins.
      const key = name.trim();
      if (!this.byName.has(key)) this.byName.set(key, i);
    });
  }

  /** Index of the column named `name`; throws TraceError if the header lacks it. */
  index(name: string): number {
    const i = this.byName.get(name);
    if (i === undefined) {
      throw new TraceError(this.file, this.line, `missing column ${quote(name)} in the header`);
    }
    return i;
  }

  /** Index of the column named `name`, or -1 when the header has no such (optional) column. */
  optionalIndex(name: string): number {
    return this.byName.get(name) ?? -1;
  }
}

/** One data record of a CSV trace (reused from row to row), with field parsers whose errors name file, line and column. */
export class CsvRow {
  readonly file: string;
  readonly header: readonly string[];
  fields: readonly string[] = [];
  line = 0;
  /** The record's text as read, to locate a field by character (see charColumn). */
  raw = '';

  constructor(file: string, header: readonly string[]) {
    this.file = file;
    this.header = header;
  }

  /** Throws a TraceError about this row as a whole. */
  fail(detail: string): never {
    throw new TraceError(this.file, this.line, detail);
  }

  /**
   * 1-based character column where field `column` starts on the record's
   * first line: delimiters inside quotes are skipped. 0 when the field is not
   * on that line (a quoted field spanning lines) or the text is not known.
   */
  charColumn(column: number): number {
    const raw = this.raw;
    let field = 0;
    let quoted = false;
    for (let i = 0; i < raw.length; i++) {
      if (field === column) return i + 1;
      const c = raw[i];
      if (c === '"') quoted = !quoted;
      else if (!quoted && c === ',') field += 1;
      else if (!quoted && (c === '\n' || c === '\r')) return 0;
    }
    return field === column && raw.length > 0 ? raw.length + 1 : 0;
  }

  /** Throws a TraceError located at one field, `file:line:col: <detail>`. */
  failAt(column: number, detail: string): never {
    throw new TraceError(this.file, this.line, detail, this.charColumn(column));
  }

  /** Throws a TraceError about one column: `column 7 ("6"): expected <expected>, got "<value>"`. */
  failColumn(column: number, expected: string): never {
    const name = this.header[column] ?? '';
    this.fail(`column ${column + 1} (${quote(name)}): expected ${expected}, got ${quote(this.fields[column] ?? '')}`);
  }

  /** The column's text, which must not be empty (names and hashes). */
  text(column: number): string {
    const s = this.fields[column] ?? '';
    if (s.length === 0) this.failColumn(column, 'a non-empty name');
    return s;
  }

  /** The column as a non-negative integer count written in decimal digits only. */
  count(column: number): number {
    const s = this.fields[column] ?? '';
    // Most per-minute counts in real traces are zero; skip the digit loop for them.
    if (s === '0') return 0;
    const n = s.length;
    if (n === 0 || n > MAX_COUNT_DIGITS) this.failColumn(column, 'a non-negative integer count');
    let value = 0;
    for (let i = 0; i < n; i++) {
      const digit = s.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) this.failColumn(column, 'a non-negative integer count');
      value = value * 10 + digit;
    }
    return value;
  }

  /** The column as a finite decimal number (Number() alone would accept "", "0x1f" and "Infinity"). */
  finite(column: number, expected = 'a finite number'): number {
    const s = this.fields[column] ?? '';
    if (!DECIMAL.test(s)) this.failColumn(column, expected);
    const value = Number(s);
    if (!Number.isFinite(value)) this.failColumn(column, expected);
    return value;
  }

  /** The column as a finite number >= 0 (durations, times, sizes). */
  nonNegative(column: number): number {
    const value = this.finite(column, 'a non-negative number');
    if (value < 0) this.failColumn(column, 'a non-negative number');
    // Normalise -0 so it never shows up in a workload.
    return value + 0;
  }
}
