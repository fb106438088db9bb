import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importTrace, TraceError } from '../../../scenarios/traces/index.ts';
import { countsByActor, scratchDir, write2021, writeDurations, writeInvocations, writeMemory, writeNative } from './files.ts';

let dir: Awaited<ReturnType<typeof scratchDir>>;
beforeAll(async () => {
  dir = await scratchDir();
});
afterAll(() => dir.cleanup());

const WORK = { kind: 'constant', valueMs: 50 } as const;

describe('importTrace', () => {
  it('azure-2019: files are days, durationFiles[k] and memoryFiles[k] belong to day k', async () => {
    const d1 = dir.path('inv1.csv');
    const d2 = dir.path('inv2.csv');
    await writeInvocations(d1, [{ owner: 'o', app: 'a', fn: 'f', counts: { 1: 2 } }]);
    await writeInvocations(d2, [{ owner: 'o', app: 'a', fn: 'f', counts: { 1: 3 } }]);
    const dur2 = dir.path('dur2.csv');
    await writeDurations(dur2, [{ owner: 'o', app: 'a', fn: 'f', percentiles: [7, 7, 7, 7, 7, 7, 7] }]);
    const mem1 = dir.path('mem1.csv');
    await writeMemory(mem1, [{ owner: 'o', app: 'a', samples: 1, averageMb: 128 }]);
    const r = await importTrace({
      format: 'azure-2019',
      files: [d1, d2],
      durationFiles: [dur2],
      memoryFiles: [mem1],
      template: 't',
      defaultWork: WORK,
      actorBy: 'function',
      spread: 'even',
      compression: 1,
      seed: 4,
    });
    // durationFiles: [dur2] maps to day 0 here; both days fall back to it.
    expect(r.workload.actorTemplates).toEqual(['t']);
    expect(r.stats.invocations).toBe(5);
    expect([...r.workload.workMs].every((x) => x === 7)).toBe(true);
    expect([...r.actorMemoryMiB!]).toEqual([128]);
  });

  it('azure-2019: a day without a durations row falls back to the first day that has one', async () => {
    const d1 = dir.path('fa1.csv');
    const d2 = dir.path('fa2.csv');
    await writeInvocations(d1, [{ owner: 'o', app: 'a', fn: 'f', counts: { 1: 2 } }, { owner: 'o', app: 'a', fn: 'g', counts: { 1: 1 } }]);
    await writeInvocations(d2, [{ owner: 'o', app: 'a', fn: 'f', counts: { 1: 3 } }]);
    const dur1 = dir.path('fdur1.csv');
    const dur2 = dir.path('fdur2.csv');
    await writeDurations(dur1, [{ owner: 'o', app: 'a', fn: 'f', percentiles: [5, 5, 5, 5, 5, 5, 5] }]);
    await writeDurations(dur2, [{ owner: 'o', app: 'a', fn: 'g', percentiles: [9, 9, 9, 9, 9, 9, 9] }]);
    const r = await importTrace({ format: 'azure-2019', files: [d1, d2], durationFiles: [dur1, dur2], defaultWork: WORK });
    const f = r.workload.actorNames.indexOf('o/a/f');
    const works = [...r.workload.workMs].map((w, k) => [r.workload.actor[k] === f ? 'f' : 'g', w] as const);
    expect(works.filter(([a]) => a === 'f').map(([, w]) => w)).toEqual([5, 5, 5, 5, 5]);
    expect(works.filter(([a]) => a === 'g').map(([, w]) => w)).toEqual([9]); // day 0 takes day 1's row
  });

  it('azure-2021 and native by format', async () => {
    const t21 = dir.path('t21.txt');
    await write2021(t21, [['a', 'f', 2, 1], ['a', 'g', 3, 1]]);
    const r21 = await importTrace({ format: 'azure-2021', files: [t21], actorBy: 'app', template: 'x' });
    expect(Object.fromEntries(countsByActor(r21.workload))).toEqual({ a: 2 });
    const nat = dir.path('n.csv');
    await writeNative(nat, [['q', 3, 1], ['p', 1, 1]]);
    const rn = await importTrace({ format: 'native', files: [nat], actorBy: 'app', spread: 'even', defaultWork: WORK });
    expect(rn.workload.actorNames).toEqual(['q', 'p']);
    expect([...rn.workload.arrivalMs]).toEqual([1, 3]);
  });

  it('throws RangeError for bad options and TraceError for bad files', async () => {
    await expect(importTrace({ format: 'azure-2019', files: [dir.path('x')] })).rejects.toBeInstanceOf(RangeError);
    await expect(importTrace({ format: 'bogus' as 'native', files: [dir.path('x')] })).rejects.toBeInstanceOf(RangeError);
    await expect(importTrace({ format: 'native', files: [dir.path('missing.csv')] })).rejects.toBeInstanceOf(TraceError);
  });
});
