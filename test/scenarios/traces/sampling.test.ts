import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importNativeTrace } from '../../../scenarios/traces/native.ts';
import { importAzure2019 } from '../../../scenarios/traces/azure2019.ts';
import { keyedUniform, seedBits } from '../../../scenarios/traces/keyed-random.ts';
import { countsByActor, scratchDir, writeInvocations, writeNative, type FunctionCounts } from './files.ts';

let dir: Awaited<ReturnType<typeof scratchDir>>;
beforeAll(async () => {
  dir = await scratchDir();
});
afterAll(() => dir.cleanup());

/** The n names with the smallest seeded keys: what bottom-k sampling must return, whatever the order of offers. */
function bottomK(names: readonly string[], n: number, seed: number): Set<string> {
  const bits = seedBits(seed, 'trace-sample');
  return new Set([...names].sort((a, b) => keyedUniform(a, bits) - keyedUniform(b, bits)).slice(0, n));
}

/** Names sorted so that sampling keys decrease: each new actor displaces the worst kept one. */
function byDescendingKey(names: readonly string[], seed: number): string[] {
  const bits = seedBits(seed, 'trace-sample');
  return [...names].sort((a, b) => keyedUniform(b, bits) - keyedUniform(a, bits));
}

describe('actor sampling', () => {
  it('picks each actor with probability N/M over seeds', async () => {
    const file = dir.path('twenty.csv');
    const actors = Array.from({ length: 20 }, (_, i) => `actor-${i}`);
    await writeNative(file, actors.map((a, i) => [a, i, 1]));
    const picks = new Map<string, number>();
    const seeds = 400;
    for (let seed = 0; seed < seeds; seed++) {
      const { workload } = await importNativeTrace({ files: [file], sample: 5, seed });
      expect(workload.actorNames).toHaveLength(5);
      for (const a of workload.actorNames) picks.set(a, (picks.get(a) ?? 0) + 1);
    }
    // Expected 100 each, binomial sd about 8.7: 5 sd either way.
    for (const a of actors) expect(Math.abs((picks.get(a) ?? 0) - 100)).toBeLessThan(44);
  });

  it('survives evictions and compaction: the bottom-k actors with all their rows (native)', async () => {
    const file = dir.path('many-native.csv');
    // Actors in descending key order, each with 50 contiguous rows: every actor is admitted,
    // then evicted by the next, leaving about 200,000 dead rows to compact (the worst case).
    const names = byDescendingKey(Array.from({ length: 4000 }, (_, i) => `a${i}`), 3);
    const rows: Array<[string, number, number]> = [];
    for (const name of names) for (let r = 0; r < 50; r++) rows.push([name, rows.length, 1]);
    await writeNative(file, rows);
    const { workload, stats } = await importNativeTrace({ files: [file], sample: 10, seed: 3 });
    expect(new Set(workload.actorNames)).toEqual(bottomK(names, 10, 3));
    expect([...countsByActor(workload).values()]).toEqual(new Array(10).fill(50));
    expect(stats.skippedRows).toBe(200_000 - 500);
  });

  it('survives evictions and compaction: the bottom-k actors with all their cells (azure-2019)', async () => {
    const file = dir.path('many-2019.csv');
    // 1,200 functions with 60 busy minutes each in descending key order: all but the last
    // 8 are admitted then evicted, leaving over 65,536 dead cells to compact.
    const apps = byDescendingKey(Array.from({ length: 1200 }, (_, i) => `o/a${i}/f`), 21).map((n) => n.split('/')[1]!);
    const fns: FunctionCounts[] = apps.map((app, i) => {
      const counts: Record<number, number> = {};
      for (let m = 0; m < 60; m++) counts[1 + ((i + m * 23) % 1440)] = 1 + (m % 3);
      return { owner: 'o', app, fn: 'f', counts };
    });
    await writeInvocations(file, fns);
    const sampled = await importAzure2019({ days: [{ invocations: file }], sample: 8, seed: 21, defaultWork: { kind: 'constant', valueMs: 1 } });
    const names = fns.map((f) => `o/${f.app}/f`);
    expect(new Set(sampled.workload.actorNames)).toEqual(bottomK(names, 8, 21));
    expect([...countsByActor(sampled.workload).values()]).toEqual(new Array(8).fill(120));
    const full = await importAzure2019({ days: [{ invocations: file }], seed: 21, defaultWork: { kind: 'constant', valueMs: 1 } });
    const byApp = await importAzure2019({ days: [{ invocations: file }], seed: 21, actorBy: 'app', defaultWork: { kind: 'constant', valueMs: 1 } });
    expect(full.stats.invocations).toBe(1200 * 120);
    expect(byApp.workload.arrivalMs).toEqual(full.workload.arrivalMs);
  });
});
