import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { stringify } from 'csv-stringify/sync';
import { CsvWriter, csvChunks, csvText } from '../../reports/csv.ts';
import { INVOCATION_COLUMNS, invocationRows, ms } from '../../reports/summary.ts';
import { csvCell, invocationsCsv, invocationsCsvChunks } from '../../reports/write.ts';
import type { RunResult } from '../../core/result.ts';
import type { CoreCounters } from '../../core/scheduler.ts';
import type { Reply } from '../../core/types.ts';

// Text that exercises csv-stringify's quoting: the characters it quotes for, mixed with plain and unicode text.
const text = fc.oneof(
  fc.string({ unit: fc.constantFrom('"', ',', '\n', '\r', 'a', ' ', '-', '=', "'", '\t') }),
  fc.string({ unit: 'grapheme' }),
  fc.string(),
);
const value = fc.oneof(text, fc.double(), fc.integer(), fc.constantFrom(0, -0, 1e21, 5e-7, Number.NaN, Number.POSITIVE_INFINITY, ''));

describe('csvText', () => {
  it('renders what csv-stringify renders, byte for byte, on random rows', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }).chain((width) =>
          fc.tuple(fc.array(text, { minLength: width, maxLength: width }), fc.array(fc.array(value, { minLength: width, maxLength: width }), { maxLength: 20 })),
        ),
        ([columns, rows]) => {
          expect(csvText(columns, rows)).toBe(stringify(rows, { header: true, columns }));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('renders the invocations.csv shape as csv-stringify does', () => {
    const columns = ['policy', 'invocation', 'arrival_ms', 'reason', 'seed'];
    const rows = [
      ['shared-p2c', 0, 9906.288, '', 1],
      ['a,b', 1, 1e-7, 'no "free" worker', ''],
      ['line\nbreak', 2, -0, 'carriage\rreturn', 3],
    ];
    expect(csvText(columns, rows)).toBe(stringify(rows, { header: true, columns }));
  });

  it('writes numbers as ECMAScript does, on millisecond values with three decimals and on any double', () => {
    const milli = fc.oneof(fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), fc.integer({ min: -(2 ** 43), max: 2 ** 43 })).map((k) => k / 1000);
    fc.assert(
      fc.property(fc.oneof(milli, fc.double(), fc.integer()), (v) => {
        expect(written((w) => w.number(v))).toBe('' + v);
      }),
      { numRuns: 20_000 },
    );
  });

  it('refuses a row whose length is not the number of columns, naming the row', () => {
    expect(() => csvText(['a', 'b'], [[1, 2], [3]])).toThrow(/CSV row 2 has 1 values for 2 columns/);
  });
});

/** One cell written alone by a CsvWriter, as text. */
function written(write: (w: CsvWriter) => void): string {
  const w = new CsvWriter(64);
  write(w);
  return Buffer.from(w.end()).toString('utf8');
}

// Milliseconds as runs produce them (microseconds after a sum of draws), and any double at all.
const milliseconds = fc.oneof(
  fc.double({ min: 0, max: 4e8, noNaN: true }),
  fc.double({ min: -1e4, max: 1e4, noNaN: true }),
  fc.integer({ min: 0, max: 2 ** 40 }).map((k) => k / 1000),
  fc.double(),
  fc.constantFrom(0, -0, 0.0005, -0.0005, 0.0004999, 2 ** 33, -(2 ** 33), 2 ** 33 - 0.001, 2 ** 53, 1e21, 5e-7, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
);

describe('CsvWriter', () => {
  it('writes a number as csv-stringify does, and ms(x) as csvCell leaves it (empty when not finite)', () => {
    fc.assert(
      fc.property(milliseconds, (x) => {
        expect(written((w) => w.number(x))).toBe('' + x);
        const cell = csvCell(ms(x));
        expect(written((w) => w.milliCell(x))).toBe(typeof cell === 'number' ? '' + cell : cell);
      }),
      { numRuns: 20_000 },
    );
  });

  it('writes a field longer than its chunk, and many fields to a line, whole', () => {
    const long = 'x'.repeat(10_000) + ',"é"';
    const rows = [[long, 1.5, ...Array.from({ length: 300 }, (_, i) => -i / 8)]];
    const columns = rows[0]!.map((_, i) => `c${i}`);
    expect(Buffer.concat([...csvChunks(columns, rows, 16)]).toString('utf8')).toBe(stringify(rows, { header: true, columns }));
  });
});

const ZERO_COUNTERS = new Proxy({}, { get: () => 0 }) as CoreCounters;
const TOTALS = { workerMs: 0, busyMiBMs: 0, idleMiBMs: 0, emptyMiBMs: 0, residentActorMs: 0, peakWorkers: 0, peakResident: 0 };

// Replies with any text where a run has names (quotes, commas, line breaks, unicode) and any numbers, NaN start times included.
const name = fc.oneof(fc.constantFrom('agent-0001', 'warm', 'served', 'rejected', ''), text);
const reply: fc.Arbitrary<Reply> = fc
  .record({
    invocation: fc.oneof(fc.nat(), fc.double()),
    actor: name,
    outcome: name,
    reason: name,
    path: name,
    arrivalMs: milliseconds,
    startMs: milliseconds,
    endMs: milliseconds,
    parts: fc.record({ parkedMs: milliseconds, workerStartMs: milliseconds, restoreMs: milliseconds, execMs: milliseconds, queuedMs: milliseconds }),
    attempts: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.double()),
  })
  .map((r) => r as unknown as Reply);
const run: fc.Arbitrary<RunResult> = fc
  .record({ policy: name, replies: fc.array(reply, { maxLength: 30 }), seed: fc.option(fc.oneof(fc.nat(), fc.double()), { nil: undefined }) })
  .map(({ policy, replies, seed }) => ({ policy, replies, counters: ZERO_COUNTERS, totals: TOTALS, events: 0, endMs: 0, warmupMs: 0, ...(seed === undefined ? {} : { seed }) }));

describe('invocationsCsv', () => {
  it('writes the bytes csv-stringify writes for invocationRows with csvCell, whatever the chunk size', () => {
    fc.assert(
      fc.property(fc.array(run, { maxLength: 3 }), fc.integer({ min: 1, max: 400 }), (runs, chunkBytes) => {
        const rows = runs.flatMap((r) => invocationRows(r).map((row) => row.map(csvCell)));
        const expected = Buffer.from(stringify(rows, { header: true, columns: [...INVOCATION_COLUMNS] }));
        const chunks = [...invocationsCsvChunks(runs, chunkBytes)];
        expect(Buffer.concat(chunks).equals(expected)).toBe(true);
        for (const c of chunks) expect(c[c.length - 1]).toBe(10); // whole lines
        expect(invocationsCsv(runs)).toBe(expected.toString('utf8'));
      }),
      { numRuns: 500 },
    );
  });
});
