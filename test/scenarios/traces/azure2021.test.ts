import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { importAzure2021, type Azure2021Options } from '../../../scenarios/traces/azure2021.ts';
import { TraceError } from '../../../scenarios/traces/errors.ts';
import { countsByActor, isSorted, scratchDir, write2021 } from './files.ts';

let dir: Awaited<ReturnType<typeof scratchDir>>;
const trace = (): string => dir.path('AzureFunctionsInvocationTraceForTwoWeeksJan2021.txt');

// Sorted by end time, as published; the starts are not in order.
const ROWS = [
  ['app1', 'f1', 0.25, 0.5], // started before the trace: start -0.25 s
  ['app1', 'f1', 10.5, 0.5],
  ['app2', 'f9', 11.0, 4.0],
  ['app1', 'f2', 12.125, 0.125],
  ['app1', 'f1', 20.0, 0.0],
  ['app3', 'f1', 30.0, 1.5],
] as const;

beforeAll(async () => {
  dir = await scratchDir();
  await write2021(trace(), ROWS);
});
afterAll(() => dir.cleanup());

function options(extra: Partial<Azure2021Options> = {}): Azure2021Options {
  return { files: [trace()], ...extra };
}

describe('importAzure2021', () => {
  it('starts each invocation at end - duration and works for the duration', async () => {
    const { workload: w, stats } = await importAzure2021(options());
    expect(stats).toEqual({ rows: 6, invocations: 5, actors: 4, skippedRows: 1 });
    expect([...w.arrivalMs]).toEqual([7000, 10_000, 12_000, 20_000, 28_500]);
    expect([...w.workMs]).toEqual([4000, 500, 125, 0, 1500]);
    expect([...w.actor]).toEqual([1, 0, 2, 0, 3]);
    expect(w.actorNames).toEqual(['app1/f1', 'app2/f9', 'app1/f2', 'app3/f1']); // in file order of their first imported row
    expect(isSorted(w)).toBe(true);
  });

  it('merges functions per app with actorBy app', async () => {
    const { workload: w } = await importAzure2021(options({ actorBy: 'app' }));
    expect(Object.fromEntries(countsByActor(w))).toEqual({ app1: 3, app2: 1, app3: 1 });
  });

  it('keeps a window (negative starts included when asked), rebased, and compresses', async () => {
    const { workload: w } = await importAzure2021(options({ window: { startMs: -1000, endMs: 12_000 }, compression: 2 }));
    expect([...w.arrivalMs]).toEqual([750 / 2, 8000 / 2, 11_000 / 2]);
    expect([...w.workMs]).toEqual([250, 2000, 250]);
    const raw = await importAzure2021(options({ window: { startMs: -1000, endMs: 12_000 }, compression: 2, compressWork: false }));
    expect([...raw.workload.workMs]).toEqual([500, 4000, 500]);
  });

  it('samples exactly N actors, deterministically', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => [`app${i % 30}`, `f${i % 3}`, 100 + i, 1] as const);
    const file = dir.path('many.txt');
    await write2021(file, rows);
    const a = await importAzure2021({ files: [file], sample: 7, seed: 'x' });
    const b = await importAzure2021({ files: [file], sample: 7, seed: 'x' });
    expect(a.workload).toEqual(b.workload);
    expect(a.workload.actorNames).toHaveLength(7);
    expect(a.stats.invocations).toBe(70); // 10 rows per (app, function) pair
    expect(a.stats.skippedRows).toBe(230);
  });

  it('rejects a negative duration, a non-numeric time, a missing column', async () => {
    const file = dir.path('bad.txt');
    await writeFile(file, 'app,func,end_timestamp,duration\na,f,1.0,0.5\na,f,2.0,-0.5\n');
    await expect(importAzure2021({ files: [file] })).rejects.toThrow(new TraceError(file, 3, 'column 4 ("duration"): expected a non-negative number, got "-0.5"'));
    await writeFile(file, 'app,func,end_timestamp,duration\na,f,soon,0.5\n');
    await expect(importAzure2021({ files: [file] })).rejects.toThrow(`${file}:2: column 3 ("end_timestamp"): expected a finite number, got "soon"`);
    await writeFile(file, 'app,end_timestamp,duration\na,1,1\n');
    await expect(importAzure2021({ files: [file] })).rejects.toThrow(`${file}:1: missing column "func" in the header`);
  });
});
