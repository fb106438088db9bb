import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { parse } from 'csv-parse';
import { CsvHeader, CsvRow } from './csv-row.ts';
import { TraceError } from './errors.ts';

// Guards against a file without line breaks (binary, wrong delimiter) being buffered whole;
// a 2019 Azure row is about 3-25 kB.
const MAX_RECORD_CHARS = 1 << 20;
const READ_CHUNK_BYTES = 1 << 20;

interface ParsedRecord {
  record: string[];
  info: { lines: number };
  raw: string;
}

function located(file: string, line: number, err: unknown): TraceError {
  if (err instanceof TraceError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; lines?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (typeof e.code === 'string' && e.code.startsWith('CSV_')) {
    return new TraceError(file, typeof e.lines === 'number' ? e.lines : line, `malformed CSV: ${message}`);
  }
  return new TraceError(file, 0, `cannot read: ${message}`);
}

/**
 * Streams a CSV file with a header line record by record (never holding the text whole):
 * `start` sees the header and returns the visitor for each data row. Resolves to the number
 * of data rows; rejects with a TraceError for an unreadable or malformed file or a row whose
 * column count differs from the header's.
 */
export async function readCsvRows(file: string, start: (header: CsvHeader) => (row: CsvRow) => void): Promise<number> {
  // A FIFO would block the read for ever and a device (/dev/zero) never ends: regular files only, checked before opening.
  let kind: string | null;
  try {
    const st = await stat(file);
    kind = st.isFile() ? null : st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() ? 'a character device' : 'not a file';
  } catch (err) {
    throw located(file, 0, err);
  }
  if (kind !== null) throw new TraceError(file, 0, `is ${kind}, not a regular file`);
  const input = createReadStream(file, { highWaterMark: READ_CHUNK_BYTES });
  const parser = parse({ bom: true, info: true, raw: true, relax_column_count: true, skip_empty_lines: true, max_record_size: MAX_RECORD_CHARS });
  // pipeline forwards a read error (ENOENT, EISDIR) into the parser, whose iterator then
  // rejects; the callback only swallows the premature-close report of an early stop.
  pipeline(input, parser, () => {});
  const records = parser[Symbol.asyncIterator]() as AsyncIterator<ParsedRecord>;
  let visit: ((row: CsvRow) => void) | undefined;
  let row: CsvRow | undefined;
  let rows = 0;
  let line = 0;
  try {
    for (;;) {
      let next: IteratorResult<ParsedRecord>;
      try {
        next = await records.next();
      } catch (err) {
        throw located(file, line, err);
      }
      if (next.done === true) break;
      const { record, info, raw } = next.value;
      line = info.lines;
      if (visit === undefined || row === undefined) {
        const header = new CsvHeader(file, line, record);
        visit = start(header);
        row = new CsvRow(file, record);
        continue;
      }
      if (record.length !== row.header.length) {
        throw new TraceError(file, line, `expected ${row.header.length} columns as in the header, got ${record.length}`);
      }
      row.fields = record;
      row.line = line;
      row.raw = raw;
      rows++;
      visit(row);
    }
  } finally {
    parser.destroy();
    input.destroy();
  }
  if (visit === undefined) throw new TraceError(file, 0, 'empty file: expected a header line');
  return rows;
}
