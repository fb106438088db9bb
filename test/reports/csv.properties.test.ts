import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { stringify } from 'csv-stringify/sync';
import { csvText, numberText } from '../../reports/csv.ts';

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
        expect(numberText(v)).toBe('' + v);
      }),
      { numRuns: 20_000 },
    );
  });

  it('refuses a row whose length is not the number of columns, naming the row', () => {
    expect(() => csvText(['a', 'b'], [[1, 2], [3]])).toThrow(/CSV row 2 has 1 values for 2 columns/);
  });
});
