import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { importAzure2019, type Azure2019Options } from '../../../scenarios/traces/azure2019.ts';
import { TraceError } from '../../../scenarios/traces/errors.ts';
import {
  arrivalsOf,
  countsByActor,
  invocationsHeader,
  invocationsRow,
  isSorted,
  scratchDir,
  writeDurations,
  writeInvocations,
  writeMemory,
  type FunctionCounts,
} from './files.ts';

const MIN = 60_000;
const DAY = 1440 * MIN;
const CONSTANT_WORK = { kind: 'constant', valueMs: 1234 } as const;

// o1/a1 has two functions, o2/a2 one; counts by minute column (column j is minute j-1).
const DAY0: FunctionCounts[] = [
  { owner: 'o1', app: 'a1', fn: 'f1', counts: { 1: 3, 10: 5, 1440: 2 } },
  { owner: 'o1', app: 'a1', fn: 'f2', trigger: 'timer', counts: { 1: 4, 2: 1 } },
  { owner: 'o2', app: 'a2', fn: 'f3', counts: { 700: 7 } },
];
const DAY1: FunctionCounts[] = [
  { owner: 'o1', app: 'a1', fn: 'f1', counts: { 1: 2 } },
  { owner: 'o3', app: 'a3', fn: 'f4', counts: { 60: 1 } },
];

let dir: Awaited<ReturnType<typeof scratchDir>>;
const day0 = (): string => dir.path('invocations_per_function_md.anon.d01.csv');
const day1 = (): string => dir.path('invocations_per_function_md.anon.d02.csv');

beforeAll(async () => {
  dir = await scratchDir();
  await writeInvocations(day0(), DAY0);
  await writeInvocations(day1(), DAY1);
});
afterAll(() => dir.cleanup());

function options(extra: Partial<Azure2019Options> = {}): Azure2019Options {
  return { days: [{ invocations: day0() }], defaultWork: CONSTANT_WORK, ...extra };
}

/** Expected invocations per (actor, absolute minute) from fixture rows of consecutive days. */
function expectedCells(days: FunctionCounts[][], actorBy: 'function' | 'app' = 'function'): Map<string, number> {
  const out = new Map<string, number>();
  days.forEach((rows, d) => {
    for (const r of rows) {
      const actor = actorBy === 'app' ? `${r.owner}/${r.app}` : `${r.owner}/${r.app}/${r.fn}`;
      for (const [col, c] of Object.entries(r.counts)) {
        const key = `${actor}@${d * 1440 + Number(col) - 1}`;
        out.set(key, (out.get(key) ?? 0) + c);
      }
    }
  });
  return out;
}

function actualCells(w: { actorNames: readonly string[]; actor: Int32Array; arrivalMs: Float64Array }): Map<string, number> {
  const out = new Map<string, number>();
  for (let k = 0; k < w.actor.length; k++) {
    const key = `${w.actorNames[w.actor[k]!]}@${Math.floor(w.arrivalMs[k]! / MIN)}`;
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

describe('importAzure2019', () => {
  for (const spread of ['uniform', 'poisson', 'even'] as const) {
    it(`holds exactly the file's counts, each in its own minute (spread ${spread})`, async () => {
      const { workload: w, stats } = await importAzure2019(options({ spread }));
      expect(stats).toEqual({ rows: 3, invocations: 22, actors: 3, skippedRows: 0 });
      expect(w.arrivalMs.length).toBe(22);
      expect(Object.fromEntries(countsByActor(w))).toEqual({ 'o1/a1/f1': 10, 'o1/a1/f2': 5, 'o2/a2/f3': 7 });
      // Placement: every arrival of minute m lies in [m*60000, (m+1)*60000), so counting
      // arrivals by floor(t / 60000) gives back each cell of the file.
      expect(actualCells(w)).toEqual(expectedCells([DAY0]));
      expect(isSorted(w)).toBe(true);
      expect(w.actorNames).toEqual(['o1/a1/f1', 'o1/a1/f2', 'o2/a2/f3']); // order of first appearance
      expect(w.actorTemplates).toEqual(['default', 'default', 'default']);
      expect([...w.workMs].every((x) => x === 1234)).toBe(true);
    });
  }

  it('even spread puts a minute at the centres of equal slices', async () => {
    const { workload: w } = await importAzure2019(options({ spread: 'even' }));
    expect(arrivalsOf(w, 'o1/a1/f1').slice(0, 3)).toEqual([10_000, 30_000, 50_000]);
    expect(arrivalsOf(w, 'o2/a2/f3')).toEqual(Array.from({ length: 7 }, (_, i) => 699 * MIN + ((i + 0.5) * MIN) / 7));
  });

  it("poisson gives exactly uniform's arrivals, the seed changes them, the same seed repeats them", async () => {
    const uniform = await importAzure2019(options({ spread: 'uniform', seed: 7 }));
    const poisson = await importAzure2019(options({ spread: 'poisson', seed: 7 }));
    const again = await importAzure2019(options({ spread: 'uniform', seed: 7 }));
    const other = await importAzure2019(options({ spread: 'uniform', seed: 8 }));
    expect(poisson.workload).toEqual(uniform.workload);
    expect(again.workload).toEqual(uniform.workload);
    expect(other.workload.arrivalMs).not.toEqual(uniform.workload.arrivalMs);
    expect(actualCells(other.workload)).toEqual(actualCells(uniform.workload));
  });

  it('samples work from the durations percentiles, within [min, max], and falls back to defaultWork', async () => {
    const durations = dir.path('function_durations_percentiles.anon.d01.csv');
    await writeDurations(durations, [
      { owner: 'o1', app: 'a1', fn: 'f1', percentiles: [10, 20, 30, 40, 50, 60, 70] },
      // Not monotone: made non-decreasing (running maximum), so still within [4, 90].
      { owner: 'o2', app: 'a2', fn: 'f3', percentiles: [5, 4, 6, 8, 7, 9, 90] },
      { owner: 'o9', app: 'a9', fn: 'f9', percentiles: [1, 1, 1, 1, 1, 1, 1] }, // not in the trace
    ]);
    const { workload: w, stats } = await importAzure2019(options({ days: [{ invocations: day0(), durations }] }));
    expect(stats).toEqual({ rows: 6, invocations: 22, actors: 3, skippedRows: 1 });
    for (let k = 0; k < w.actor.length; k++) {
      const name = w.actorNames[w.actor[k]!];
      const work = w.workMs[k]!;
      if (name === 'o1/a1/f1') expect(work >= 10 && work <= 70).toBe(true);
      else if (name === 'o2/a2/f3') expect(work >= 5 && work <= 90).toBe(true);
      else expect(work).toBe(1234);
    }
  });

  it('interpolates linearly between percentile points (empirical CDF at each point)', async () => {
    const file = dir.path('busy.csv');
    const counts: Record<number, number> = {};
    for (let col = 1; col <= 1440; col++) counts[col] = 20; // 28,800 invocations
    await writeInvocations(file, [{ owner: 'o', app: 'a', fn: 'f', counts }]);
    const durations = dir.path('busy-durations.csv');
    const pct = [100, 200, 1000, 2000, 3000, 10_000, 50_000];
    await writeDurations(durations, [{ owner: 'o', app: 'a', fn: 'f', percentiles: pct }]);
    const { workload: w } = await importAzure2019(options({ days: [{ invocations: file, durations }] }));
    const n = w.workMs.length;
    const below = (x: number): number => w.workMs.filter((v) => v <= x).length / n;
    expect(Math.min(...w.workMs)).toBeGreaterThanOrEqual(100);
    expect(Math.max(...w.workMs)).toBeLessThanOrEqual(50_000);
    // 5 binomial standard errors at p = 0.5 is 0.015.
    expect(below(200)).toBeCloseTo(0.01, 1);
    expect(Math.abs(below(1000) - 0.25)).toBeLessThan(0.015);
    expect(Math.abs(below(1500) - 0.375)).toBeLessThan(0.015); // midway between p25 and p50
    expect(Math.abs(below(2000) - 0.5)).toBeLessThan(0.015);
    expect(Math.abs(below(3000) - 0.75)).toBeLessThan(0.015);
    expect(Math.abs(below(10_000) - 0.99)).toBeLessThan(0.005);
  });

  it('maps app memory to actors, weighted by SampleCount over days, NaN or the default when missing', async () => {
    const mem0 = dir.path('app_memory_percentiles.anon.d01.csv');
    const mem1 = dir.path('app_memory_percentiles.anon.d02.csv');
    await writeMemory(mem0, [
      { owner: 'o1', app: 'a1', samples: 10, averageMb: 100 },
      { owner: 'o9', app: 'a9', samples: 5, averageMb: 999 },
    ]);
    await writeMemory(mem1, [{ owner: 'o1', app: 'a1', samples: 30, averageMb: 200 }]);
    const days = [
      { invocations: day0(), memory: mem0 },
      { invocations: day1(), memory: mem1 },
    ];
    const byFunction = await importAzure2019(options({ days }));
    expect(byFunction.workload.actorNames).toEqual(['o1/a1/f1', 'o1/a1/f2', 'o2/a2/f3', 'o3/a3/f4']);
    expect([...byFunction.actorMemoryMiB!]).toEqual([175, 175, NaN, NaN]);
    expect(byFunction.stats.skippedRows).toBe(1);
    const byApp = await importAzure2019(options({ days, actorBy: 'app', defaultMemoryMiB: 256 }));
    expect(byApp.workload.actorNames).toEqual(['o1/a1', 'o2/a2', 'o3/a3']);
    expect([...byApp.actorMemoryMiB!]).toEqual([175, 256, 256]);
    const none = await importAzure2019(options());
    expect(none.actorMemoryMiB).toBeUndefined();
  });

  it("actorBy app merges an app's functions: the union of their arrivals", async () => {
    const byFunction = await importAzure2019(options({ seed: 3 }));
    const byApp = await importAzure2019(options({ seed: 3, actorBy: 'app' }));
    expect(Object.fromEntries(countsByActor(byApp.workload))).toEqual({ 'o1/a1': 15, 'o2/a2': 7 });
    expect(actualCells(byApp.workload)).toEqual(expectedCells([DAY0], 'app'));
    const union = [...arrivalsOf(byFunction.workload, 'o1/a1/f1'), ...arrivalsOf(byFunction.workload, 'o1/a1/f2')].sort((a, b) => a - b);
    expect(arrivalsOf(byApp.workload, 'o1/a1')).toEqual(union);
  });

  it('shifts day k by k days', async () => {
    const { workload: w, stats } = await importAzure2019(options({ days: [{ invocations: day0() }, { invocations: day1() }] }));
    expect(stats).toEqual({ rows: 5, invocations: 25, actors: 4, skippedRows: 0 });
    expect(actualCells(w)).toEqual(expectedCells([DAY0, DAY1]));
    const f4 = arrivalsOf(w, 'o3/a3/f4');
    expect(f4).toHaveLength(1);
    expect(f4[0]! >= DAY + 59 * MIN && f4[0]! < DAY + 60 * MIN).toBe(true);
  });

  it('samples exactly N actors, deterministically, whatever the row order, with the arrivals of a full import', async () => {
    const rows: FunctionCounts[] = Array.from({ length: 40 }, (_, i) => ({ owner: `o${i % 7}`, app: `a${i}`, fn: `f${i}`, counts: { [1 + i]: 1 + (i % 5), 1000: 2 } }));
    const forward = dir.path('forty.csv');
    const backward = dir.path('forty-reversed.csv');
    await writeInvocations(forward, rows);
    await writeInvocations(backward, [...rows].reverse());
    const sample = (file: string, seed: number, n = 6): Promise<Awaited<ReturnType<typeof importAzure2019>>> =>
      importAzure2019(options({ days: [{ invocations: file }], sample: n, seed }));
    const a = await sample(forward, 11);
    const b = await sample(forward, 11);
    const r = await sample(backward, 11);
    expect(a.workload).toEqual(b.workload);
    expect(a.workload.actorNames).toHaveLength(6);
    expect(a.stats).toMatchObject({ rows: 40, actors: 6, skippedRows: 34 });
    expect(new Set(r.workload.actorNames)).toEqual(new Set(a.workload.actorNames));
    const full = await importAzure2019(options({ days: [{ invocations: forward }], seed: 11 }));
    for (const name of a.workload.actorNames) {
      const i = Number(name.split('/f')[1]);
      expect(arrivalsOf(a.workload, name)).toEqual(arrivalsOf(full.workload, name));
      expect(arrivalsOf(a.workload, name)).toHaveLength(3 + (i % 5));
    }
    const sets = await Promise.all([12, 13, 14].map(async (seed) => (await sample(forward, seed)).workload.actorNames.join()));
    expect(new Set([a.workload.actorNames.join(), ...sets]).size).toBeGreaterThan(1);
    expect((await sample(forward, 11, 100)).workload.actorNames).toHaveLength(40);
  });

  it('sampling counts only actors with an invocation in the window', async () => {
    const { workload: w } = await importAzure2019(options({ sample: 3, window: { startMs: 0, endMs: 10 * MIN } }));
    // f3 (minute 699) has nothing in the window, so only two actors qualify.
    expect(w.actorNames).toEqual(['o1/a1/f1', 'o1/a1/f2']);
  });

  it('keeps a window cut mid-minute exactly, rebased to 0, and compresses arrivals and (optionally) work', async () => {
    const full = await importAzure2019(options({ seed: 5 }));
    const window = { startMs: 0.5 * MIN, endMs: 9.25 * MIN };
    for (const [compression, compressWork, workMs] of [
      [1, true, 1234],
      [4, true, 1234 / 4],
      [4, false, 1234],
    ] as const) {
      const cut = await importAzure2019(options({ seed: 5, window, compression, compressWork }));
      const expected: Array<[string, number]> = [];
      for (let k = 0; k < full.workload.actor.length; k++) {
        const t = full.workload.arrivalMs[k]!;
        if (t >= window.startMs && t < window.endMs) expected.push([full.workload.actorNames[full.workload.actor[k]!]!, (t - window.startMs) / compression]);
      }
      const got = [...cut.workload.arrivalMs].map((t, k) => [cut.workload.actorNames[cut.workload.actor[k]!]!, t]);
      expect(got).toEqual(expected);
      expect(cut.stats.invocations).toBe(expected.length);
      expect([...cut.workload.workMs].every((x) => x === workMs)).toBe(true);
    }
  });

  it('counts both rows of a function listed twice in a day', async () => {
    const file = dir.path('dup.csv');
    await writeInvocations(file, [DAY0[0]!, DAY0[0]!]);
    const { workload: w } = await importAzure2019(options({ days: [{ invocations: file }] }));
    expect(Object.fromEntries(countsByActor(w))).toEqual({ 'o1/a1/f1': 20 });
    expect(new Set(w.arrivalMs).size).toBe(20); // distinct offsets, not the first row's twice
    // Hundreds of duplicates, with a window cutting their minute: still exact and consistent.
    const many = dir.path('dups.csv');
    await writeInvocations(many, new Array<FunctionCounts>(300).fill({ owner: 'o', app: 'a', fn: 'f', counts: { 1: 3 } }));
    const cut = await importAzure2019(options({ days: [{ invocations: many }], window: { startMs: 30_000, endMs: MIN } }));
    const all = await importAzure2019(options({ days: [{ invocations: many }] }));
    expect(all.stats.invocations).toBe(900);
    expect(cut.stats.invocations).toBe([...all.workload.arrivalMs].filter((t) => t >= 30_000).length);
  });

  describe('errors', () => {
    async function failure(text: string, extra: Partial<Azure2019Options> = {}): Promise<TraceError> {
      const file = dir.path('trace.csv');
      await writeFile(file, text);
      const err = await importAzure2019(options({ days: [{ invocations: file }], ...extra })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TraceError);
      expect((err as TraceError).file).toBe(file);
      return err as TraceError;
    }
    const good = invocationsRow(DAY0[0]!);

    it('names file, line, column and value of a non-numeric count', async () => {
      const bad = good.split(',');
      bad[6] = 'x'; // column 7, minute "3"
      const err = await failure(`${invocationsHeader()}\n${good}\n${bad.join(',')}\n`);
      expect(err.line).toBe(3);
      expect(err.message).toBe(`${dir.path('trace.csv')}:3: column 7 ("3"): expected a non-negative integer count, got "x"`);
    });

    it.each([
      ['-1', 'a non-negative integer count'],
      ['1.5', 'a non-negative integer count'],
      ['', 'a non-negative integer count'],
    ])('rejects the count %j', async (value, expected) => {
      const bad = good.split(',');
      bad[100] = value;
      const err = await failure(`${invocationsHeader()}\n${bad.join(',')}\n`);
      expect(err.message).toContain(`column 101 ("97"): expected ${expected}, got ${JSON.stringify(value)}`);
    });

    it('rejects a missing column, a short row, an empty name, an empty file', async () => {
      expect((await failure('HashOwner,HashApp,Trigger,1\n')).message).toMatch(/:1: missing column "HashFunction" in the header$/);
      const header = invocationsHeader();
      expect((await failure(`${header}\n${good}\no1,a1,f1,http,1,2\n`)).message).toMatch(/:3: expected 1444 columns as in the header, got 6$/);
      expect((await failure(`${header}\n,a1${good.slice(good.indexOf(',a1,') + 3)}\n`)).message).toMatch(/:2: column 1 \("HashOwner"\): expected a non-empty name, got ""$/);
      expect((await failure('')).message).toMatch(/: empty file: expected a header line$/);
    });

    it('rejects malformed CSV and an unreadable file', async () => {
      expect((await failure(`${invocationsHeader()}\n"o1,a1\n`)).message).toMatch(/malformed CSV: Quote Not Closed/);
      const missing = dir.path('nope.csv');
      const err = await importAzure2019(options({ days: [{ invocations: missing }] })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TraceError);
      expect((err as TraceError).line).toBe(0);
      expect((err as TraceError).message).toMatch(/nope\.csv: cannot read: ENOENT/);
      const isDir = await importAzure2019(options({ days: [{ invocations: dir.dir }] })).catch((e: unknown) => e);
      expect(isDir).toBeInstanceOf(TraceError);
    });

    it('rejects a negative or non-numeric duration percentile', async () => {
      const durations = dir.path('bad-durations.csv');
      await writeDurations(durations, [{ owner: 'o1', app: 'a1', fn: 'f1', percentiles: [1, 2, 3, -4, 5, 6, 7] }]);
      const err = await importAzure2019(options({ days: [{ invocations: day0(), durations }] })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TraceError);
      expect((err as TraceError).message).toBe(`${durations}:2: column 11 ("percentile_Average_50"): expected a non-negative number, got "-4"`);
    });

    it('stops at maxInvocations instead of building a huge workload', async () => {
      const err = await failure(`${invocationsHeader()}\n${good}\n`, { maxInvocations: 9 });
      expect(err.message).toMatch(/:2: more than 9 invocations selected/);
      const huge = good.split(',');
      huge[4] = '999999999999';
      expect((await failure(`${invocationsHeader()}\n${huge.join(',')}\n`)).message).toMatch(/column 5 \("1"\): expected a count of at most maxInvocations/);
    });

    it('rejects bad options with RangeError', async () => {
      await expect(importAzure2019(options({ sample: 0 }))).rejects.toBeInstanceOf(RangeError);
      await expect(importAzure2019(options({ compression: 0 }))).rejects.toBeInstanceOf(RangeError);
      await expect(importAzure2019(options({ window: { startMs: 5, endMs: 5 } }))).rejects.toBeInstanceOf(RangeError);
      await expect(importAzure2019(options({ days: [] }))).rejects.toBeInstanceOf(RangeError);
    });
  });
});
