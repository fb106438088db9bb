import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { ReportDirError, checkReportDir, invocationsCsv, summaries, summaryCsv, writeReport } from '../../reports/write.ts';
import { aggregateCsv, aggregateRows } from '../../reports/aggregate.ts';
import { measuredRows } from '../../reports/measured.ts';
import { terminalCell } from '../../reports/format.ts';
import type { RunResult } from '../../core/result.ts';
import type { CoreCounters } from '../../core/scheduler.ts';
import { replies } from './fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'write-test-'));
afterAll(() => {
  chmodSync(root, 0o755);
  rmSync(root, { recursive: true, force: true });
});
let n = 0;
const fresh = (): string => join(root, `case-${n++}`);

function refusal(outDir: string): string {
  try {
    checkReportDir(outDir);
  } catch (err) {
    expect(err).toBeInstanceOf(ReportDirError);
    return (err as Error).message;
  }
  throw new Error(`${outDir} was accepted`);
}

describe('checkReportDir, before the run', () => {
  it('a new folder, an empty one and a previous report are taken, and nothing is created', () => {
    const a = fresh();
    expect(checkReportDir(join(a, 'deeper', 'report'))).toBe(join(a, 'deeper', 'report'));
    expect(existsSync(a)).toBe(false);
    mkdirSync(a);
    expect(checkReportDir(a)).toBe(a);
    writeFileSync(join(a, 'summary.csv'), 'x');
    writeFileSync(join(a, 'run.json'), '{}');
    expect(checkReportDir(a)).toBe(a);
    // simulate --primitives and bench:cluster write primitives.csv; fidelity its drift probe's folder.
    writeFileSync(join(a, 'primitives.csv'), 'x');
    mkdirSync(join(a, 'drift'));
    expect(checkReportDir(a)).toBe(a);
  });

  it('an existing file', () => {
    const f = fresh();
    writeFileSync(f, 'not a folder');
    expect(refusal(f)).toBe(`--out ${f}: exists and is not a folder`);
  });

  it('/ and system folders', () => {
    expect(refusal('/')).toBe('--out /: is the root of a file system; give a folder for the report');
    expect(refusal('/etc')).toBe('--out /etc: is a system or home folder; give a folder of its own for the report');
    expect(refusal('/usr/')).toBe('--out /usr/: is a system or home folder; give a folder of its own for the report');
  });

  it('a folder holding anything but a report', () => {
    const d = fresh();
    mkdirSync(d);
    writeFileSync(join(d, 'summary.csv'), 'x');
    writeFileSync(join(d, 'notes.txt'), 'mine');
    expect(refusal(d)).toBe(`--out ${d}: is a folder holding other things than a report (notes.txt); give a new or empty folder`);
  });

  it('a parent that cannot be written', () => {
    if (process.getuid?.() === 0) return; // root writes anywhere: nothing to refuse
    const d = fresh();
    mkdirSync(d);
    chmodSync(d, 0o555);
    try {
      expect(refusal(join(d, 'new', 'report'))).toBe(`--out ${join(d, 'new', 'report')}: ${d} is not writable`);
    } finally {
      chmodSync(d, 0o755);
    }
  });
});

describe('writeReport over a previous report', () => {
  it('leaves no stale report file next to the new ones, and keeps what is not a report file', () => {
    const d = fresh();
    writeReport(d, { 'summary.csv': 'old', 'invocations.csv': 'old rows' });
    mkdirSync(join(d, 'inputs'));
    writeReport(d, { 'summary.csv': 'new' });
    expect(readdirSync(d).sort()).toEqual(['inputs', 'summary.csv']);
    expect(readFileSync(join(d, 'summary.csv'), 'utf8')).toBe('new');
    // No staging folder is left beside it.
    expect(readdirSync(root).filter((f) => f.startsWith('.'))).toEqual([]);
  });
});

const ZERO_COUNTERS = new Proxy({}, { get: () => 0 }) as CoreCounters;

/** A run in which every invocation was rejected: no latency exists to take a percentile of. */
function servedNothing(seed: number): RunResult {
  return {
    policy: 'starved',
    replies: replies(40, seed, 50, 20_000, 1),
    counters: { ...ZERO_COUNTERS },
    totals: { workerMs: 0, busyMiBMs: 0, idleMiBMs: 0, emptyMiBMs: 0, residentActorMs: 0, peakWorkers: 0, peakResident: 0 },
    events: 40,
    endMs: 40_000,
    warmupMs: 0,
    seed,
  };
}

describe('a run that served nothing', () => {
  const runs = [servedNothing(1), servedNothing(2)];
  const rows = summaries(runs);

  it('has NaN percentiles in memory (where NaN comes from)', () => {
    expect(rows[0]!.served).toBe(0);
    expect(Number.isNaN(rows[0]!.p50_ms)).toBe(true);
    expect(Number.isNaN(rows[0]!.mean_ms)).toBe(true);
  });

  it('writes empty cells, never NaN, to summary.csv, invocations.csv and aggregate.csv', () => {
    for (const text of [summaryCsv(rows), invocationsCsv(runs), aggregateCsv(aggregateRows(rows))]) {
      expect(text).not.toMatch(/NaN|Infinity/);
    }
    const parsed = parse(summaryCsv(rows), { columns: true }) as Record<string, string>[];
    for (const c of ['p50_ms', 'p90_ms', 'p99_ms', 'max_ms', 'mean_ms', 'overhead_p50_ms', 'overhead_p99_ms']) expect(parsed[0]![c]).toBe('');
    expect(parsed[0]!.rejected).toBe('40');
    const agg = (parse(aggregateCsv(aggregateRows(rows)), { columns: true }) as Record<string, string>[]).find((r) => r.metric === 'p99_ms')!;
    expect(agg).toMatchObject({ n: '0', mean: '', sd: '', ci95_low: '', ci95_high: '' });
  });

  it('measured.csv: a primitive whose samples hold no finite value gives empty cells', () => {
    const rowsM = measuredRows({ policy: 'p', workerStartMs: [Number.NaN], restoreMs: {}, checkpointMs: {}, dispatchMs: [Number.POSITIVE_INFINITY], lagMs: [], memory: [] });
    for (const r of rowsM) for (const v of r.slice(4)) expect(v).toBe('');
  });

  it('the terminal shows "-"', () => {
    expect(terminalCell(rows[0]!.p50_ms, 'ms')).toBe('-');
    expect(terminalCell('', 'ms')).toBe('-');
    expect(terminalCell(Number.POSITIVE_INFINITY)).toBe('-');
    expect(terminalCell(12.5, 'ms')).toBe('12.5 ms');
    expect(terminalCell(0)).toBe('0');
  });
});

describe('csvChunks', () => {
  it('joins to csvText\'s UTF-8 byte for byte, whatever the chunk size', async () => {
    const { csvChunks, csvText } = await import('../../reports/csv.ts');
    const columns = ['a', 'b', 'c'];
    const rows: (string | number)[][] = [];
    for (let i = 0; i < 500; i++) rows.push([i, i / 7, i % 3 === 0 ? 'x,"y"' : `r${i}`]);
    const whole = csvText(columns, rows);
    for (const size of [1, 10, 100, 4096, 1 << 22]) {
      const chunks = [...csvChunks(columns, rows, size)];
      expect(Buffer.concat(chunks).toString('utf8')).toBe(whole);
      if (size === 1) expect(chunks.length).toBe(rows.length); // the header goes with the first row
      for (const c of chunks) expect(c[c.length - 1]).toBe(10); // whole lines: each ends in \n
    }
  });
});
