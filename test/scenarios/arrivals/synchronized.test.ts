import { describe, expect, it } from 'vitest';
import type { SynchronizedArrivals } from '../../../scenarios/arrivals/index.ts';
import { collect, DAY_MS, HOUR_MS } from './collect.ts';

const base: SynchronizedArrivals = { kind: 'synchronized', atMs: 9 * HOUR_MS, windowMs: 10_000, spread: 'uniform' };

describe('synchronized arrivals', () => {
  for (const spread of ['uniform', 'normal'] as const) {
    it(`wakes every actor of the group exactly once within the window (${spread})`, () => {
      const rows = collect({ ...base, spread }, { durationMs: DAY_MS, actors: 5000, firstActor: 200 });
      expect(rows.arrivalMs.length).toBe(5000);
      expect(new Set(rows.actor).size).toBe(5000);
      expect(Math.min(...rows.actor)).toBe(200);
      expect(Math.max(...rows.actor)).toBe(5199);
      expect(Math.min(...rows.arrivalMs)).toBeGreaterThanOrEqual(9 * HOUR_MS);
      expect(Math.max(...rows.arrivalMs)).toBeLessThan(9 * HOUR_MS + 10_000);
    });
  }

  it('spreads uniformly, or normally around the centre with sd window/6', () => {
    const n = 20_000;
    const offsets = (spread: 'uniform' | 'normal') => collect({ ...base, spread }, { durationMs: DAY_MS, actors: n }).arrivalMs.map((t) => t - 9 * HOUR_MS);
    const stats = (xs: number[]) => {
      const m = xs.reduce((s, x) => s + x, 0) / xs.length;
      return { m, sd: Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length) };
    };
    const u = stats(offsets('uniform'));
    const sdU = 10_000 / Math.sqrt(12);
    expect(Math.abs(u.m - 5000)).toBeLessThan((4 * sdU) / Math.sqrt(n));
    expect(Math.abs(u.sd - sdU)).toBeLessThan(0.02 * sdU);
    const g = stats(offsets('normal'));
    const sdN = 10_000 / 6;
    expect(Math.abs(g.m - 5000)).toBeLessThan((4 * sdN) / Math.sqrt(n));
    // Cutting the normal at +-3 sd shrinks its sd by 1.3%.
    expect(Math.abs(g.sd - 0.9866 * sdN)).toBeLessThan(0.02 * sdN);
  });

  it('wakes the first count actors, every repeatEvery, dropping what falls after the end', () => {
    const rows = collect({ ...base, count: 30, atMs: HOUR_MS, windowMs: 60_000, repeatEveryMs: 6 * HOUR_MS }, { durationMs: DAY_MS, actors: 100, firstActor: 10 });
    // Rounds at 1h, 7h, 13h, 19h.
    expect(rows.arrivalMs.length).toBe(4 * 30);
    expect(new Set(rows.actor)).toEqual(new Set(Array.from({ length: 30 }, (_, i) => 10 + i)));
    const offsets = rows.arrivalMs.map((t) => (t - HOUR_MS) % (6 * HOUR_MS));
    expect(Math.min(...offsets)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...offsets)).toBeLessThan(60_000);
    const cut = collect({ ...base, atMs: DAY_MS - 5_000, windowMs: 10_000 }, { durationMs: DAY_MS, actors: 1000 });
    expect(cut.arrivalMs.length).toBeGreaterThan(400);
    expect(cut.arrivalMs.length).toBeLessThan(600);
    expect(Math.max(...cut.arrivalMs)).toBeLessThan(DAY_MS);
  });

  it('puts every arrival at `at` for a zero window, and nothing when `at` is past the end', () => {
    const rows = collect({ ...base, windowMs: 0, spread: 'normal' }, { durationMs: DAY_MS, actors: 50 });
    expect(rows.arrivalMs).toEqual(new Array(50).fill(9 * HOUR_MS));
    expect(collect({ ...base, atMs: DAY_MS }, { durationMs: DAY_MS, actors: 50 }).arrivalMs).toEqual([]);
  });

  it('refuses a count larger than the group', () => {
    expect(() => collect({ ...base, count: 51 }, { durationMs: DAY_MS, actors: 50 })).toThrow(/count must be an integer in \[1, 50\]/);
  });
});
