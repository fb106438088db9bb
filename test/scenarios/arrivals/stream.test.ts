import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Sampler, type DistributionSpec } from '../../../scenarios/distributions.ts';
import { makeRng } from '../../../scenarios/rng.ts';
import { AZURE_2019_RATE, planArrivals, type ArrivalSpec } from '../../../scenarios/arrivals/index.ts';
import { AleaState } from '../../../scenarios/arrivals/alea-state.ts';
import { HOUR_MS } from './collect.ts';

const DAY_MS = 24 * HOUR_MS;

/**
 * Invocations and a digest of a group's stream, bit for bit (-0 is not 0):
 * the order, times, actors and work of every invocation.
 */
function fingerprint(spec: ArrivalSpec, seed: number, durationMs: number, actors: number, firstActor: number, work: DistributionSpec): string {
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
  expect(a.length).toBe(plan.size);
  const h = createHash('sha256');
  h.update(Buffer.from(Float64Array.from(a).buffer));
  h.update(Buffer.from(Int32Array.from(b).buffer));
  h.update(Buffer.from(Float64Array.from(c).buffer));
  return `${a.length} ${h.digest('hex').slice(0, 16)}`;
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

/**
 * The streams of SPECS for (seed 1, 300 actors, one day) and (seed 5, 40
 * actors, two days), actors from 100, as the eager generators drew them
 * (then sorted by a stable sort) before the models were streamed, and as
 * the frozen copies of the original poisson and sessions generators had
 * them: a change here changes every workload and must be meant.
 */
const PINNED: readonly (readonly [string, string])[] = [
  ['43105 290ac258b4c88e07', '86539 e5549dc528ae50ed'],
  ['25805 c0f478963fa28ded', '6827 ca3d57412ba63c37'],
  ['14312 e33676a8100816de', '3781 1cc8c4f4ac0bda8d'],
  ['55595 3dc66dd3082c9903', '14035 dec5cb471f3b2995'],
  ['13988 8b7e43f62a249b2f', '3897 651ded8ab88cdfa0'],
  ['7008 d9a49d4cc9e4963b', '2465 069a859de508e1bd'],
  ['33366 b88fe9a946dcee93', '7824 67a7b50f38f5daef'],
  ['227146 c690c5992b1e2be9', '68328 4bf6ba8171cfe876'],
  ['1200 1178d8ea166b2522', '320 6dc1fadd69218330'],
  ['720 093ae11504596113', '1440 8a30ea857df052b8'],
  ['6901 0055039f85d94ba2', '1877 750bb142bab567d5'],
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

  SPECS.forEach((spec, k) => {
    it(`keep the invocations they are pinned to: ${JSON.stringify(spec)}`, () => {
      expect(fingerprint(spec, 1, DAY_MS, 300, 100, LOGNORMAL)).toBe(PINNED[k]![0]);
      expect(fingerprint(spec, 5, 2 * DAY_MS, 40, 100, LOGNORMAL)).toBe(PINNED[k]![1]);
    });
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
});
