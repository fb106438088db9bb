import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { importNativeTrace } from '../../../scenarios/traces/native.ts';
import { TraceError } from '../../../scenarios/traces/errors.ts';
import { isSorted, scratchDir, writeNative } from './files.ts';

let dir: Awaited<ReturnType<typeof scratchDir>>;
beforeAll(async () => {
  dir = await scratchDir();
});
afterAll(() => dir.cleanup());

describe('importNativeTrace', () => {
  it('sorts unsorted rows by arrival, ties by actor (first appearance) then file order', async () => {
    const file = dir.path('native.csv');
    await writeNative(file, [
      ['b', 500, 1],
      ['a', 100, 2],
      ['b', 100, 3],
      ['c', 0, 4],
      ['a', 100, 5],
      ['b', 100, 6],
    ]);
    const { workload: w, stats } = await importNativeTrace({ files: [file] });
    expect(w.actorNames).toEqual(['b', 'a', 'c']);
    expect([...w.arrivalMs]).toEqual([0, 100, 100, 100, 100, 500]);
    expect([...w.workMs]).toEqual([4, 3, 6, 2, 5, 1]);
    expect([...w.actor]).toEqual([2, 0, 0, 1, 1, 0]);
    expect(isSorted(w)).toBe(true);
    expect(stats).toEqual({ rows: 6, invocations: 6, actors: 3, skippedRows: 0 });
  });

  it('takes templates from the file, else the default, and reads several files', async () => {
    const one = dir.path('one.csv');
    const two = dir.path('two.csv');
    await writeNative(one, [['x', 5, 1, 'big'], ['y', 1, 1, '']], true);
    await writeNative(two, [['y', 2, 1], ['z', 3, 1]]);
    const { workload: w } = await importNativeTrace({ files: [one, two], template: 'small' });
    expect(w.actorNames).toEqual(['x', 'y', 'z']);
    expect(w.actorTemplates).toEqual(['big', 'small', 'small']);
    expect([...w.arrivalMs]).toEqual([1, 2, 3, 5]);
  });

  it('windows, rebases, compresses and samples', async () => {
    const file = dir.path('w.csv');
    const rows = Array.from({ length: 100 }, (_, i) => [`actor${i % 10}`, i * 10, 8] as const);
    await writeNative(file, rows);
    const { workload: w } = await importNativeTrace({ files: [file], window: { startMs: 200, endMs: 400 }, compression: 4 });
    expect([...w.arrivalMs]).toEqual(Array.from({ length: 20 }, (_, i) => (i * 10) / 4));
    expect([...w.workMs].every((x) => x === 2)).toBe(true);
    const s = await importNativeTrace({ files: [file], sample: 3, seed: 9 });
    expect(s.workload.actorNames).toHaveLength(3);
    expect(s.stats.invocations).toBe(30);
    expect((await importNativeTrace({ files: [file], sample: 3, seed: 9 })).workload).toEqual(s.workload);
  });

  it('rejects conflicting templates, negative times and bad numbers', async () => {
    const file = dir.path('bad.csv');
    await writeNative(file, [['x', 5, 1, 'big'], ['x', 6, 1, 'small']], true);
    await expect(importNativeTrace({ files: [file] })).rejects.toThrow(
      new TraceError(file, 3, 'column 4 ("template"): expected the template "big" given to actor "x" on an earlier row, got "small"'),
    );
    await writeFile(file, 'actor,arrival_ms,work_ms\nx,-1,1\n');
    await expect(importNativeTrace({ files: [file] })).rejects.toThrow(`${file}:2: column 2 ("arrival_ms"): expected a non-negative number, got "-1"`);
    await writeFile(file, 'actor,arrival_ms,work_ms\nx,1,0x10\n');
    await expect(importNativeTrace({ files: [file] })).rejects.toThrow(`${file}:2: column 3 ("work_ms"): expected a non-negative number, got "0x10"`);
    await writeFile(file, 'actor,arrival_ms,work_ms\nx,1,Infinity\n');
    await expect(importNativeTrace({ files: [file] })).rejects.toBeInstanceOf(TraceError);
  });
});
