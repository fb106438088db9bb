import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { writeFile } from 'node:fs/promises';
import { importTrace, TraceError, type TraceImport, type TraceOptions } from '../../../scenarios/traces/index.ts';
import { invocationsHeader, MINUTES, PERCENTILE_HEADER, scratchDir } from './files.ts';

const RUNS = Number(process.env.PROP_RUNS ?? 100);
// Far above the few milliseconds an import of these files takes, even on a machine at a load average
// in the hundreds: a hang, not a slow run.
const HANG_MS = 60_000;

let dir: Awaited<ReturnType<typeof scratchDir>>;
beforeAll(async () => {
  dir = await scratchDir();
});
afterAll(() => dir.cleanup());

// Field values that break parsers: empty, signs, exponents, hex, NaN, huge, quotes, separators, control and non-ASCII characters.
const nasty = fc.constantFrom('', '-1', '-0', '1e999', '1e3', '0x10', 'NaN', 'Infinity', ' 1', '1.5', '99999999999999999999', '"', '""', '"a,b"', ',', '\n', '\r\n', '\u0000', '\uFFFD', 'ÿ', 'x'.repeat(300));
const name = fc.constantFrom('o1', 'o2', 'a1', 'a2', 'f1', 'f2', 'f3');
const smallCount = fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.nat(20) }, { weight: 1, arbitrary: fc.nat(5000) });
const seconds = fc.double({ min: -5, max: 1e5, noNaN: true });

/** A text mutation: replace a field, insert characters, delete a span, or cut the file short. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('field' as const), line: fc.nat(), field: fc.nat(), value: fc.oneof(nasty, fc.string()) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(nasty, fc.string({ maxLength: 5 })) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.nat(40) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(text: string, m: Mutation): string {
  switch (m.kind) {
    case 'field': {
      const lines = text.split('\n');
      const li = m.line % lines.length;
      const fields = lines[li]!.split(',');
      fields[m.field % fields.length] = m.value;
      lines[li] = fields.join(',');
      return lines.join('\n');
    }
    case 'insert': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.text + text.slice(at);
    }
    case 'delete': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + text.slice(at + m.length);
    }
    case 'truncate':
      return text.slice(0, m.at % (text.length + 1));
  }
}

const importOptions = fc.record({
  sample: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
  window: fc.option(
    fc.tuple(fc.integer({ min: -10_000, max: 2 * 86_400_000 }), fc.integer({ min: 1, max: 86_400_000 })).map(([s, len]) => ({ startMs: s, endMs: s + len })),
    { nil: undefined, freq: 1 },
  ),
  compression: fc.constantFrom(1, 2.5, 60),
  actorBy: fc.constantFrom('function' as const, 'app' as const),
  spread: fc.constantFrom('uniform' as const, 'poisson' as const, 'even' as const),
  seed: fc.nat(),
});

/** Imports with a hang guard; resolves to the import or the error it threw. */
async function attempt(options: TraceOptions): Promise<TraceImport | unknown> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`import did not settle within ${HANG_MS} ms`)), HANG_MS);
  });
  try {
    return await Promise.race([importTrace({ ...options, maxInvocations: 20_000 }), hang]);
  } catch (err) {
    return err;
  } finally {
    clearTimeout(timer);
  }
}

/** Either a well-formed workload or a TraceError; nothing else. */
function checkOutcome(outcome: TraceImport | unknown): void {
  if (outcome instanceof Error) {
    if (!(outcome instanceof TraceError)) throw outcome;
    expect(outcome.message.startsWith(outcome.file)).toBe(true);
    return;
  }
  const { workload: w, stats } = outcome as TraceImport;
  expect(stats.invocations).toBe(w.arrivalMs.length);
  expect(stats.actors).toBe(w.actorNames.length);
  expect(w.actor.length).toBe(w.arrivalMs.length);
  expect(w.workMs.length).toBe(w.arrivalMs.length);
  for (let k = 0; k < w.arrivalMs.length; k++) {
    const t = w.arrivalMs[k]!;
    expect(Number.isFinite(t) && t >= 0).toBe(true);
    if (k > 0) expect(t >= w.arrivalMs[k - 1]!).toBe(true);
    expect(w.actor[k]! >= 0 && w.actor[k]! < w.actorNames.length).toBe(true);
    expect(Number.isFinite(w.workMs[k]!) && w.workMs[k]! >= 0).toBe(true);
  }
}

let fileNo = 0;
async function write(text: string): Promise<string> {
  const file = dir.path(`case-${fileNo++}.csv`);
  await writeFile(file, text);
  return file;
}

const invocationRow = fc.tuple(name, name, name, fc.array(fc.tuple(fc.integer({ min: 1, max: MINUTES }), smallCount), { maxLength: 6 })).map(([o, a, f, cells]) => {
  const counts = new Array<number>(MINUTES).fill(0);
  for (const [col, c] of cells) counts[col - 1] = c;
  return [o, a, f, 'http', ...counts].join(',');
});
const durationRow = fc.tuple(name, name, name, fc.array(fc.double({ min: 0, max: 1e5, noNaN: true }), { minLength: 7, maxLength: 7 })).map(([o, a, f, p]) =>
  [o, a, f, 1, 1, 1, 1, ...p].join(','),
);
const memoryRow = fc.tuple(name, name, fc.nat(100), fc.double({ min: 0, max: 4096, noNaN: true })).map(([o, a, n, mb]) => [o, a, n, mb, 1, 2, 3, 4, 5, 6, 7, 8].join(','));
const durationsHeader = ['HashOwner', 'HashApp', 'HashFunction', 'Average', 'Count', 'Minimum', 'Maximum', ...PERCENTILE_HEADER].join(',');
const memoryHeader = 'HashOwner,HashApp,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct1,AverageAllocatedMb_pct5,AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,AverageAllocatedMb_pct99,AverageAllocatedMb_pct100';

/** A file: header and rows, then a few mutations. */
function file(header: string, row: fc.Arbitrary<string>, maxRows: number): fc.Arbitrary<string> {
  return fc
    // Half the files stay well-formed, so the checks on successful imports get exercised too.
    .tuple(fc.array(row, { maxLength: maxRows }), fc.oneof(fc.constant([]), fc.array(mutation, { minLength: 1, maxLength: 3 })))
    .map(([rows, mutations]) => mutations.reduce(mutate, [header, ...rows].join('\n') + '\n'));
}

describe('importers never fail with anything but TraceError, never hang', () => {
  it('azure-2019', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(file(invocationsHeader(), invocationRow, 5), { minLength: 1, maxLength: 2 }),
        fc.option(file(durationsHeader, durationRow, 4), { nil: undefined }),
        fc.option(file(memoryHeader, memoryRow, 4), { nil: undefined }),
        importOptions,
        async (days, durations, memory, o) => {
          const files = await Promise.all(days.map(write));
          const options: TraceOptions = {
            format: 'azure-2019',
            files,
            ...(durations === undefined ? {} : { durationFiles: [await write(durations)] }),
            ...(memory === undefined ? {} : { memoryFiles: [await write(memory)] }),
            defaultWork: { kind: 'lognormal', medianMs: 100, sigma: 1 },
            ...o,
          };
          checkOutcome(await attempt(options));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('azure-2021', async () => {
    const row = fc.tuple(name, name, seconds, fc.double({ min: 0, max: 100, noNaN: true })).map((r) => r.join(','));
    await fc.assert(
      fc.asyncProperty(file('app,func,end_timestamp,duration', row, 30), importOptions, async (text, o) => {
        checkOutcome(await attempt({ format: 'azure-2021', files: [await write(text)], ...o }));
      }),
      { numRuns: RUNS },
    );
  });

  it('native', async () => {
    const row = fc
      .tuple(name, fc.double({ min: 0, max: 1e8, noNaN: true }), fc.double({ min: 0, max: 1e5, noNaN: true }), fc.constantFrom('', 't1', 't2'))
      .map((r) => r.join(','));
    await fc.assert(
      fc.asyncProperty(file('actor,arrival_ms,work_ms,template', row, 30), importOptions, async (text, o) => {
        checkOutcome(await attempt({ format: 'native', files: [await write(text)], ...o }));
      }),
      { numRuns: RUNS },
    );
  });

  it('arbitrary bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), fc.constantFrom('azure-2019' as const, 'azure-2021' as const, 'native' as const), async (bytes, format) => {
        const path = dir.path(`bytes-${fileNo++}.bin`);
        await writeFile(path, bytes);
        checkOutcome(await attempt({ format, files: [path], defaultWork: { kind: 'constant', valueMs: 1 } }));
      }),
      { numRuns: RUNS },
    );
  });
});
