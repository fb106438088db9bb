import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DistributionSpec } from '../../../scenarios/distributions.ts';
import { Sampler } from '../../../scenarios/distributions.ts';
import { makeRng } from '../../../scenarios/rng.ts';
import { AZURE_2019_RATE, type ArrivalSpec } from '../../../scenarios/arrivals/index.ts';
import { AleaState } from '../../../scenarios/arrivals/alea-state.ts';
import { planArrivals } from '../../../scenarios/arrivals/stream.ts';
import { collect, HOUR_MS } from './collect.ts';

const DAY_MS = 24 * HOUR_MS;

interface Rows {
  readonly arrivalMs: Float64Array;
  readonly actor: Int32Array;
  readonly workMs: Float64Array;
}

/** What scenarios/workload.ts keeps of a group: the emitted rows, stably sorted by arrival. */
function generatedSorted(spec: ArrivalSpec, seed: number, durationMs: number, actors: number, firstActor: number, work: DistributionSpec): Rows {
  const rows = collect(spec, { seed, durationMs, actors, firstActor, work });
  const order = rows.arrivalMs.map((_, i) => i);
  order.sort((i, j) => rows.arrivalMs[i]! - rows.arrivalMs[j]!);
  return {
    arrivalMs: Float64Array.from(order, (i) => rows.arrivalMs[i]!),
    actor: Int32Array.from(order, (i) => rows.actor[i]!),
    workMs: Float64Array.from(order, (i) => rows.workMs[i]!),
  };
}

function streamed(spec: ArrivalSpec, seed: number, durationMs: number, actors: number, firstActor: number, work: DistributionSpec): Rows & { size: number } {
  const plan = planArrivals(spec, { seed, stream: 'workload', durationMs, actors, firstActor, work });
  const s = plan.open();
  const a: number[] = [];
  const b: number[] = [];
  const c: number[] = [];
  while (s.next()) {
    a.push(s.arrivalMs);
    b.push(s.actor);
    c.push(s.workMs);
  }
  return { size: plan.size, arrivalMs: Float64Array.from(a), actor: Int32Array.from(b), workMs: Float64Array.from(c) };
}

/** The first row where the two differ in any bit (-0 is not 0), or -1. */
function firstDifference(got: Rows, want: Rows): number {
  const n = Math.max(got.arrivalMs.length, want.arrivalMs.length);
  const ga = new Uint32Array(got.arrivalMs.buffer);
  const wa = new Uint32Array(want.arrivalMs.buffer);
  const gw = new Uint32Array(got.workMs.buffer);
  const ww = new Uint32Array(want.workMs.buffer);
  for (let i = 0; i < n; i++) {
    if (ga[2 * i] !== wa[2 * i] || ga[2 * i + 1] !== wa[2 * i + 1] || gw[2 * i] !== ww[2 * i] || gw[2 * i + 1] !== ww[2 * i + 1]) return i;
    if (got.actor[i] !== want.actor[i]) return i;
  }
  return -1;
}

/** Equal bit for bit (-0 is not 0, NaN is NaN). */
function expectSameRows(got: Rows, want: Rows): void {
  expect(got.arrivalMs.length).toBe(want.arrivalMs.length);
  const i = firstDifference(got, want);
  if (i >= 0) {
    const row = (r: Rows): string => `${r.arrivalMs[i]} ${r.actor[i]} ${r.workMs[i]}`;
    expect(`row ${i}: ${row(got)}`).toBe(`row ${i}: ${row(want)}`);
  }
}

const LOGNORMAL: DistributionSpec = { kind: 'lognormal', medianMs: 2000, p99Ms: 20_000 };

const SPECS: readonly ArrivalSpec[] = [
  { kind: 'poisson', ratePerSec: 0.5, perActor: false },
  { kind: 'poisson', ratePerSec: 0.001, perActor: true },
  { kind: 'diurnal', ratePerHour: 2, peakToTrough: 4, periodMs: DAY_MS, peakAtMs: 14 * HOUR_MS },
  { kind: 'onoff', onRatePerMin: 3, offRatePerMin: 0.05, meanOnMs: 300_000, meanOffMs: 3 * HOUR_MS },
  { kind: 'onoff', onRatePerMin: 2, offRatePerMin: 0, meanOnMs: 60_000, meanOffMs: HOUR_MS },
  {
    kind: 'sessions',
    sessionsPerDay: { median: 3, sigma: 1 },
    peakToTrough: 4,
    periodMs: DAY_MS,
    peakAtMs: 14 * HOUR_MS,
    meanExtraTurns: 4,
    think: { kind: 'lognormal', medianMs: 20_000, p99Ms: 180_000 },
  },
  { kind: 'heavy-tailed', ...AZURE_2019_RATE, maxRatePerHour: 12 },
  { kind: 'heavy-tailed', medianRatePerHour: 5, sigma: 2, maxRatePerHour: 3600 },
  { kind: 'synchronized', atMs: HOUR_MS, windowMs: 10_000, spread: 'uniform', repeatEveryMs: 6 * HOUR_MS },
  // Every arrival of a round at the same time: ties kept in draw order.
  { kind: 'synchronized', count: 30, atMs: 0, windowMs: 0, spread: 'uniform', repeatEveryMs: HOUR_MS },
  // Rounds longer than their repeat overlap.
  { kind: 'synchronized', atMs: 60_000, windowMs: 3 * HOUR_MS, spread: 'normal', repeatEveryMs: HOUR_MS },
];

describe('streamed arrivals', () => {
  it('draw what makeRng draws', () => {
    const want = makeRng(7, 'workload');
    const got = AleaState.of(7, 'workload');
    for (let i = 0; i < 10_000; i++) expect(got.next()).toBe(want());
  });

  it('save and load a generator and a sampler mid-sequence', () => {
    const alea = AleaState.of(1, 'w');
    const s = new Sampler(LOGNORMAL, alea.rng);
    s.sample(); // leaves a spare normal
    const saved = new Float64Array(6);
    alea.save(saved, 0);
    s.save(saved, 4);
    const expected = [s.sample(), s.sample(), alea.next()];
    s.sample();
    alea.next();
    alea.load(saved, 0);
    s.load(saved, 4);
    expect([s.sample(), s.sample(), alea.next()]).toEqual(expected);
  });

  for (const spec of SPECS) {
    it(`yield exactly the sorted generated rows: ${JSON.stringify(spec)}`, () => {
      for (const [seed, actors, days] of [
        [1, 300, 1],
        [5, 40, 2],
      ] as const) {
        const want = generatedSorted(spec, seed, days * DAY_MS, actors, 100, LOGNORMAL);
        const got = streamed(spec, seed, days * DAY_MS, actors, 100, LOGNORMAL);
        expect(got.size).toBe(want.arrivalMs.length);
        expectSameRows(got, want);
      }
    });
  }

  it('yield the default scenario exactly (2,000 agents, one day, seed 1)', () => {
    const spec = SPECS[5]!;
    const want = generatedSorted(spec, 1, DAY_MS, 2000, 0, LOGNORMAL);
    expect(want.arrivalMs.length).toBeGreaterThan(40_000);
    expectSameRows(streamed(spec, 1, DAY_MS, 2000, 0, LOGNORMAL), want);
  });

  it('replay the same invocations every time they are opened', () => {
    const plan = planArrivals(SPECS[6]!, { seed: 2, stream: 'workload', durationMs: DAY_MS, actors: 500, firstActor: 0, work: LOGNORMAL });
    const read = (): number[] => {
      const s = plan.open();
      const out: number[] = [];
      while (s.next()) out.push(s.arrivalMs, s.actor, s.workMs);
      return out;
    };
    expect(read()).toEqual(read());
  });

  it('read one stream of a plan at a time: opening another retires the first', () => {
    const plan = planArrivals(SPECS[5]!, { seed: 2, stream: 'workload', durationMs: DAY_MS, actors: 50, firstActor: 0, work: LOGNORMAL });
    const first = plan.open();
    expect(first.next()).toBe(true);
    const second = plan.open();
    expect(second.next()).toBe(true);
    expect(() => first.next()).toThrow(/one at a time/);
  });

  it('match generation for random specs, seeds and sizes', () => {
    const work = fc.constantFrom<DistributionSpec>(LOGNORMAL, { kind: 'exponential', meanMs: 500 }, { kind: 'constant', valueMs: 0 });
    const spec: fc.Arbitrary<ArrivalSpec> = fc.oneof(
      fc.record({ kind: fc.constant('poisson' as const), ratePerSec: fc.double({ min: 0, max: 0.05, noNaN: true }), perActor: fc.boolean() }),
      fc.record({
        kind: fc.constant('diurnal' as const),
        ratePerHour: fc.double({ min: 0, max: 3, noNaN: true }),
        peakToTrough: fc.double({ min: 1, max: 10, noNaN: true }),
        periodMs: fc.integer({ min: 1, max: DAY_MS }),
        peakAtMs: fc.integer({ min: 0, max: DAY_MS }),
      }),
      fc.record({
        kind: fc.constant('onoff' as const),
        onRatePerMin: fc.double({ min: 0, max: 2, noNaN: true }),
        offRatePerMin: fc.double({ min: 0, max: 0.1, noNaN: true }),
        meanOnMs: fc.integer({ min: 1000, max: HOUR_MS }),
        meanOffMs: fc.integer({ min: 1000, max: 6 * HOUR_MS }),
      }),
      fc.record({
        kind: fc.constant('sessions' as const),
        sessionsPerDay: fc.record({ median: fc.double({ min: 0, max: 20, noNaN: true }), sigma: fc.double({ min: 0, max: 2, noNaN: true }) }),
        peakToTrough: fc.double({ min: 1, max: 8, noNaN: true }),
        periodMs: fc.integer({ min: HOUR_MS, max: DAY_MS }),
        peakAtMs: fc.integer({ min: 0, max: DAY_MS }),
        meanExtraTurns: fc.double({ min: 0, max: 8, noNaN: true }),
        think: work,
      }),
      fc.record({
        kind: fc.constant('heavy-tailed' as const),
        medianRatePerHour: fc.double({ min: 0, max: 10, noNaN: true }),
        sigma: fc.double({ min: 0, max: 4, noNaN: true }),
        maxRatePerHour: fc.double({ min: 0, max: 60, noNaN: true }),
      }),
      fc.record({
        kind: fc.constant('synchronized' as const),
        atMs: fc.integer({ min: 0, max: 6 * HOUR_MS }),
        windowMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3 * HOUR_MS })),
        spread: fc.constantFrom('uniform' as const, 'normal' as const),
        repeatEveryMs: fc.option(fc.integer({ min: 60_000, max: 6 * HOUR_MS }), { nil: undefined }),
      }),
    );
    fc.assert(
      fc.property(spec, work, fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: DAY_MS }), (s, w, seed, actors, durationMs) => {
        const want = generatedSorted(s, seed, durationMs, actors, 3, w);
        const got = streamed(s, seed, durationMs, actors, 3, w);
        expect(got.size).toBe(want.arrivalMs.length);
        expectSameRows(got, want);
      }),
      { numRuns: Number(process.env.PROP_RUNS ?? 200) },
    );
  });
});
