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
 * Text that csv-stringify (default options) quotes, as it writes it; what
 * is left to csv-stringify itself, so its quoting rules stay the only ones
 * (test/reports/csv.properties.test.ts checks the two agree on random rows).
 */
function quotedField(v: string): string {
  // A row of one field; the record delimiter it ends with is not part of the field.
  return stringify([[v]]).slice(0, -1);
}

/** Bytes a chunk of CsvWriter (csvChunks, invocations.csv) holds before it is handed over. */
export const CSV_CHUNK_BYTES = 1024 * 1024;

/** Room every number needs at most: `'' + v` of a double is at most 25 characters (`-1.2345678901234567e-308`). */
const NUMBER_ROOM = 32;

/** Above this, integers are written with `'' + v`: below it, n / 1000 is far from the next integer and Math.floor exact. */
const MAX_FAST_INTEGER = 2 ** 43;

/** ASCII of 0..999 as three digits each, zeros in front: D3[3n], D3[3n + 1], D3[3n + 2]. */
const D3 = Uint8Array.from({ length: 3000 }, (_, i) => 48 + (Math.floor(Math.floor(i / 3) / 10 ** (2 - (i % 3))) % 10));

/** Digits left of f = 1..999 as three decimals once their trailing zeros are dropped (FRAC_LEN[250] = 2: ".25"). */
const FRAC_LEN = Uint8Array.from({ length: 1000 }, (_, f) => (f % 100 === 0 ? 1 : f % 10 === 0 ? 2 : 3));

/** 0..999 without zeros in front at b[p]; returns the position after. */
function writeHead(b: Uint8Array, p: number, n: number): number {
  const o = n * 3;
  if (n >= 100) {
    b[p] = D3[o]!;
    b[p + 1] = D3[o + 1]!;
    b[p + 2] = D3[o + 2]!;
    return p + 3;
  }
  if (n >= 10) {
    b[p] = D3[o + 1]!;
    b[p + 1] = D3[o + 2]!;
    return p + 2;
  }
  b[p] = 48 + n;
  return p + 1;
}

/** 0..999 as exactly three digits at b[p]; returns the position after. */
function writeGroup(b: Uint8Array, p: number, n: number): number {
  const o = n * 3;
  b[p] = D3[o]!;
  b[p + 1] = D3[o + 1]!;
  b[p + 2] = D3[o + 2]!;
  return p + 3;
}

/**
 * An integer 0 <= n < MAX_FAST_INTEGER in decimal at b[p], written from the
 * front in groups of three digits; returns the position after. Below 2^43,
 * n / 1000 is far enough from the next integer that Math.floor is exact.
 */
function writeDigits(b: Uint8Array, p: number, n: number): number {
  if (n < 1000) return writeHead(b, p, n);
  if (n < 1_000_000) {
    const q = Math.floor(n / 1000);
    return writeGroup(b, writeHead(b, p, q), n - q * 1000);
  }
  const q = Math.floor(n / 1_000_000);
  const r = n - q * 1_000_000;
  const m = Math.floor(r / 1000);
  return writeGroup(b, writeGroup(b, writeDigits(b, p, q), m), r - m * 1000);
}

/**
 * k / 1000 for an integer |k| < MAX_MILLI * 1000 at b[p], the trailing
 * zeros of its fraction dropped; returns the position after. The fraction
 * is written as three digits whatever its length, so up to two bytes past
 * that position are overwritten.
 */
function writeMilli(b: Uint8Array, p: number, k: number): number {
  if (k < 0) {
    b[p++] = 45; // '-'
    k = -k;
  }
  const whole = Math.floor(k / 1000);
  const f = k - whole * 1000;
  p = writeDigits(b, p, whole);
  if (f === 0) return p;
  const o = f * 3;
  b[p] = 46; // '.'
  b[p + 1] = D3[o]!;
  b[p + 2] = D3[o + 1]!;
  b[p + 3] = D3[o + 2]!;
  return p + 1 + FRAC_LEN[f]!;
}

/** 1 for the ASCII characters that make csv-stringify quote a field (NEEDS_QUOTING's), 0 for the rest. */
const QUOTED = Uint8Array.from({ length: 128 }, (_, c) => (NEEDS_QUOTING.test(String.fromCharCode(c)) ? 1 : 0));

const COMMA = 44;
const NEWLINE = 10;

/**
 * Writes CSV lines straight into UTF-8 bytes, the same bytes as the text
 * csv-stringify renders (default options), in chunks of whole lines: no
 * string per field or per line, no array per row. invocations.csv is
 * millions of numbers and a few short names per line, and its cost was the
 * strings (each number's text, each line's join, each chunk's join and its
 * UTF-8 encoding) and the garbage collector collecting them; here a number
 * is written digit by digit and an ASCII name byte by byte. The rest goes
 * the general way, as a string encoded: a number with no short exact form
 * (`'' + v`), text beyond ASCII, and text to quote (csv-stringify's own).
 *
 * Fields: call `number`, `text` or `cell` for each, `comma()` between them
 * and `endLine()` after the last; when `full` is true, `take()` hands over
 * the chunk so far (whole lines) and starts a new one.
 */
export class CsvWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(private readonly chunkBytes = CSV_CHUNK_BYTES) {
    this.buf = Buffer.allocUnsafe(chunkBytes + 4096);
  }

  /** True when the chunk holds at least chunkBytes: time to take() it. */
  get full(): boolean {
    return this.pos >= this.chunkBytes;
  }

  /** The bytes written since the last take(), as a chunk of their own (never written to again). */
  take(): Uint8Array {
    const chunk = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(this.chunkBytes + 4096);
    this.pos = 0;
    return chunk;
  }

  comma(): void {
    if (this.pos === this.buf.length) this.grow(1);
    this.buf[this.pos++] = COMMA;
  }

  endLine(): void {
    if (this.pos === this.buf.length) this.grow(1);
    this.buf[this.pos++] = NEWLINE;
  }

  /** One field as csv-stringify writes it. */
  cell(v: CsvValue): void {
    if (typeof v === 'number') this.number(v);
    else this.text(v);
  }

  /**
   * A number as csv-stringify writes it, `'' + v` (ECMAScript's shortest
   * round-trip form, NaN and infinities included), computed from integers
   * for what the reports hold: integers, and numbers with at most three
   * decimals (`ms()` rounds to microseconds). For |v| < MAX_MILLI, v equal
   * to the double nearest k / 1000 (k an integer), the shortest text that
   * reads back as v is k / 1000 written out with its trailing zeros dropped:
   * any other text with as few digits differs by at least 0.001, far more
   * than the spacing of doubles there. Everything else goes to `'' + v`.
   */
  number(v: number): void {
    if (this.pos + NUMBER_ROOM > this.buf.length) this.grow(NUMBER_ROOM);
    if (Number.isInteger(v)) {
      if (v >= 0 && v < MAX_FAST_INTEGER) this.pos = writeDigits(this.buf, this.pos, v);
      else if (v < 0 && v > -MAX_FAST_INTEGER) {
        this.buf[this.pos++] = 45; // '-'
        this.pos = writeDigits(this.buf, this.pos, -v);
      } else this.ascii('' + v);
      return;
    }
    if (!(v > -MAX_MILLI && v < MAX_MILLI)) {
      this.ascii('' + v);
      return;
    }
    const k = Math.round(v * 1000);
    if (k / 1000 !== v) this.ascii('' + v);
    else this.pos = writeMilli(this.buf, this.pos, k);
  }

  /**
   * `ms(x)` (x rounded to microseconds) as csv-stringify writes it, empty when
   * that is not finite (csvCell's rule), without computing ms(x) itself:
   * ms(x) is the double nearest k / 1000 for k = Math.round(x * 1000), whose
   * text is k / 1000 written out (see number).
   */
  milliCell(x: number): void {
    const k = Math.round(x * 1000);
    if (this.pos + NUMBER_ROOM > this.buf.length) this.grow(NUMBER_ROOM);
    // Zero is most parts of most latencies (no parking, no worker start, no restore).
    if (k === 0) this.buf[this.pos++] = 48;
    else if (k > -MAX_MILLI * 1000 && k < MAX_MILLI * 1000) this.pos = writeMilli(this.buf, this.pos, k);
    else if (k - k === 0) this.number(k / 1000); // else NaN or infinite: an empty cell
  }

  /** Text as csv-stringify writes it: as is, or quoted when it holds a quote, a comma or a line break. */
  text(s: string): void {
    const n = s.length;
    if (this.pos + n > this.buf.length) this.grow(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      // Beyond ASCII (UTF-8 of more than a byte) or a character csv-stringify quotes for: the general way.
      if (c >= 0x80 || QUOTED[c] !== 0) {
        this.encoded(NEEDS_QUOTING.test(s) ? quotedField(s) : s);
        return;
      }
      b[p++] = c;
    }
    this.pos = p;
  }

  /** The bytes of the last chunk (whole lines), when the writing is done. */
  end(): Uint8Array {
    const chunk = this.buf.subarray(0, this.pos);
    this.buf = Buffer.alloc(0);
    this.pos = 0;
    return chunk;
  }

  /** Text of ASCII characters only (a number's), byte for byte. */
  private ascii(s: string): void {
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Any text, as UTF-8. */
  private encoded(s: string): void {
    const bytes = Buffer.byteLength(s);
    if (this.pos + bytes > this.buf.length) this.grow(bytes);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** Room for `n` more bytes in the current chunk (a long field, or many columns). */
  private grow(n: number): void {
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n + 4096));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}

/**
 * Renders a CSV file (header line, then one line per row, each ending in
 * `\n`), byte for byte what csv-stringify's `stringify(rows, { header: true,
 * columns })` renders (every row has one value per column), at over ten
 * times its speed (`npm run bench:sim`): csv-stringify runs its option and
 * cast machinery for every cell, which held the default run's 23 MB
 * invocations.csv to about 9 MB/s.
 */
export function csvText(columns: readonly string[], rows: Iterable<readonly CsvValue[]>): string {
  return Buffer.concat([...csvChunks(columns, rows)]).toString('utf8');
}

/**
 * The bytes of csvText (its text in UTF-8) in chunks of about `chunkBytes`,
 * each a run of whole lines, so that a file of hundreds of megabytes
 * (azure-like's invocations.csv is 131 MB) is written as it is rendered and
 * never held whole. A chunk is never written to again once handed over.
 */
export function* csvChunks(columns: readonly string[], rows: Iterable<readonly CsvValue[]>, chunkBytes = CSV_CHUNK_BYTES): Generator<Uint8Array> {
  const w = new CsvWriter(chunkBytes);
  csvLine(w, columns);
  let n = 0;
  for (const row of rows) {
    n++;
    if (row.length !== columns.length) throw new Error(`CSV row ${n} has ${row.length} values for ${columns.length} columns (${columns.join(',')})`);
    csvLine(w, row);
    if (w.full) yield w.take();
  }
  const last = w.end();
  if (last.length > 0) yield last;
}

/** One line of cells. */
export function csvLine(w: CsvWriter, cells: readonly CsvValue[]): void {
  for (let i = 0; i < cells.length; i++) {
    if (i > 0) w.comma();
    w.cell(cells[i]!);
  }
  w.endLine();
}
