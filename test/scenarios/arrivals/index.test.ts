import { describe, expect, it } from 'vitest';
import { ARRIVAL_STEP_LIMIT, planArrivals, type ArrivalSpec, type StreamContext } from '../../../scenarios/arrivals/index.ts';
import { collect, DAY_MS, HOUR_MS } from './collect.ts';

/** One busy example of every model, for the checks that hold for all of them. */
const EXAMPLES: readonly ArrivalSpec[] = [
  { kind: 'poisson', ratePerSec: 2, perActor: false },
  { kind: 'poisson', ratePerSec: 0.01, perActor: true },
  { kind: 'diurnal', ratePerHour: 3, peakToTrough: 4, periodMs: DAY_MS, peakAtMs: 14 * HOUR_MS },
  { kind: 'onoff', onRatePerMin: 2, offRatePerMin: 0.1, meanOnMs: 600_000, meanOffMs: 3_600_000 },
  {
    kind: 'sessions',
    sessionsPerDay: { median: 3, sigma: 1 },
    peakToTrough: 4,
    periodMs: DAY_MS,
    peakAtMs: 14 * HOUR_MS,
    meanExtraTurns: 4,
    think: { kind: 'lognormal', medianMs: 20_000, p99Ms: 180_000 },
  },
  { kind: 'heavy-tailed', medianRatePerHour: 1.67, sigma: 4.08, maxRatePerHour: 600 },
  { kind: 'synchronized', count: 150, atMs: 30 * 60_000, windowMs: 60_000, spread: 'normal', repeatEveryMs: 4 * HOUR_MS },
];

const CTX: StreamContext = { seed: 1, stream: 'w', durationMs: HOUR_MS, actors: 3, firstActor: 0, work: { kind: 'constant', valueMs: 1 } };

describe('planArrivals', () => {
  for (const spec of EXAMPLES) {
    const name = `${spec.kind}${spec.kind === 'poisson' && spec.perActor ? ' per actor' : ''}`;

    it(`${name}: the same seed gives the same invocations, another seed others`, () => {
      const o = { durationMs: 3 * HOUR_MS, actors: 200, firstActor: 17 };
      const a = collect(spec, { ...o, seed: 4 });
      const b = collect(spec, { ...o, seed: 4 });
      const c = collect(spec, { ...o, seed: 5 });
      expect(a.arrivalMs.length).toBeGreaterThan(100);
      expect(b).toEqual(a);
      expect(c.workMs).not.toEqual(a.workMs);
    });

    it(`${name}: arrivals in [0, duration), actors in the group, work finite and >= 0`, () => {
      const durationMs = 3 * HOUR_MS;
      const rows = collect(spec, { durationMs, actors: 200, firstActor: 1000, seed: 8 });
      expect(rows.arrivalMs.length).toBeGreaterThan(100);
      for (let i = 0; i < rows.arrivalMs.length; i++) {
        const t = rows.arrivalMs[i]!;
        const a = rows.actor[i]!;
        const w = rows.workMs[i]!;
        if (!(t >= 0 && t < durationMs) || !(Number.isInteger(a) && a >= 1000 && a < 1200) || !(Number.isFinite(w) && w >= 0)) {
          expect.fail(`row ${i}: arrival ${t}, actor ${a}, work ${w}`);
        }
      }
    });
  }

  it('refuses a context out of range', () => {
    const spec = EXAMPLES[0]!;
    expect(() => planArrivals(spec, { ...CTX, durationMs: Infinity })).toThrow(/durationMs must be a finite number >= 0, got Infinity/);
    expect(() => planArrivals(spec, { ...CTX, durationMs: NaN })).toThrow(RangeError);
    expect(() => planArrivals(spec, { ...CTX, actors: 1.5 })).toThrow(/actors must be an integer/);
    expect(() => planArrivals(spec, { ...CTX, firstActor: -1 })).toThrow(/firstActor must be an integer/);
  });

  it('refuses specs out of range that bypassed the schema', () => {
    expect(() => planArrivals({ kind: 'poisson', ratePerSec: NaN, perActor: false }, CTX)).toThrow(/poisson: ratePerSec must be a finite number >= 0, got NaN/);
    expect(() => planArrivals({ kind: 'onoff', onRatePerMin: 1, offRatePerMin: 0, meanOnMs: 0, meanOffMs: 1 }, CTX)).toThrow(/meanOnMs must be a finite number > 0/);
    expect(() => planArrivals({ kind: 'diurnal', ratePerHour: 1, peakToTrough: 0.5, periodMs: DAY_MS, peakAtMs: 0 }, CTX)).toThrow(/peakToTrough/);
    expect(() => planArrivals({ kind: 'bursty' } as unknown as ArrivalSpec, CTX)).toThrow(/unknown kind "bursty"/);
  });

  it('yields nothing for no actors or no time', () => {
    for (const spec of EXAMPLES) {
      for (const [actors, durationMs] of [[0, DAY_MS], [10, 0]] as const) {
        const plan = planArrivals(spec, { ...CTX, durationMs, actors });
        expect(plan.size).toBe(0);
        expect(plan.open().next()).toBe(false);
      }
    }
  });

  it('stays bounded: a run past the step limit throws a RangeError naming the group instead of hanging', () => {
    expect(ARRIVAL_STEP_LIMIT).toBe(2_000_000_000);
    const huge: readonly ArrivalSpec[] = [
      { kind: 'poisson', ratePerSec: 1e9, perActor: false },
      // A gap far below the float spacing at t: time would never advance.
      { kind: 'diurnal', ratePerHour: 1e300, peakToTrough: 2, periodMs: DAY_MS, peakAtMs: 0 },
      // Sojourns of a nanosecond with nothing to emit in the off state.
      { kind: 'onoff', onRatePerMin: 1e-9, offRatePerMin: 0, meanOnMs: 1e-6, meanOffMs: 1e-6 },
      { kind: 'sessions', sessionsPerDay: { median: 1e6, sigma: 0 }, peakToTrough: 1, periodMs: DAY_MS, peakAtMs: 0, meanExtraTurns: 0, think: { kind: 'constant', valueMs: 0 } },
      { kind: 'heavy-tailed', medianRatePerHour: 1e12, sigma: 0, maxRatePerHour: 1e12 },
      { kind: 'synchronized', atMs: 0, windowMs: 0, spread: 'uniform', repeatEveryMs: 1e-9 },
    ];
    for (const spec of huge) {
      expect(() => collect(spec, { durationMs: 1e15, actors: 10, stepLimit: 100_000 }), spec.kind).toThrow(
        new RegExp(`^arrivals \\(${spec.kind}, 10 actors over 1000000000000000 ms\\): more than 100,000 generation steps`),
      );
    }
  });
});
