import { describe, expect, it } from 'vitest';
import { makeRng, type Rng } from '../../../scenarios/rng.ts';
import { Sampler, sampleExponential, sampleStandardNormal, type DistributionSpec } from '../../../scenarios/distributions.ts';
import type { SessionsArrivals } from '../../../scenarios/arrivals/index.ts';
import { collect, DAY_MS, HOUR_MS, type Rows } from './collect.ts';

// Frozen copy of `sessions` from scenarios/workload.ts at commit 29e8c67 (before the arrivals
// module), with its rows renamed. The module must reproduce it draw for draw, emission for
// emission, so the default scenario's workload stays byte-identical.
function referenceSessions(spec: SessionsArrivals & { actors: number }, durationMs: number, rng: Rng, work: Sampler): Rows {
  const rows: Rows = { arrivalMs: [], actor: [], workMs: [] };
  const think = new Sampler(spec.think, rng);
  const a = (spec.peakToTrough - 1) / (spec.peakToTrough + 1);
  const dayMs = 86_400_000;
  const pExtra = spec.meanExtraTurns / (1 + spec.meanExtraTurns);
  for (let actor = 0; actor < spec.actors; actor++) {
    const perDay = spec.sessionsPerDay.median * Math.exp(spec.sessionsPerDay.sigma * sampleStandardNormal(rng));
    const baseRatePerMs = perDay / dayMs;
    const maxRatePerMs = baseRatePerMs * (1 + a);
    if (maxRatePerMs <= 0) continue;
    let t = 0;
    for (;;) {
      t += sampleExponential(rng, 1 / maxRatePerMs);
      if (t >= durationMs) break;
      const rate = baseRatePerMs * (1 + a * Math.cos((2 * Math.PI * (t - spec.peakAtMs)) / spec.periodMs));
      if (rng() * maxRatePerMs > rate) continue;
      let turnAt = t;
      for (;;) {
        const w = work.sample();
        rows.arrivalMs.push(turnAt);
        rows.actor.push(actor);
        rows.workMs.push(w);
        if (rng() >= pExtra) break;
        turnAt += w + think.sample();
        if (turnAt >= durationMs) break;
      }
    }
  }
  return rows;
}

// The default scenario's workload (scenarios/default.ts at commit 29e8c67).
const DEFAULT_WORK: DistributionSpec = { kind: 'lognormal', medianMs: 2_000, p99Ms: 20_000 };
const DEFAULT_SESSIONS: SessionsArrivals = {
  kind: 'sessions',
  sessionsPerDay: { median: 3, sigma: 1 },
  peakToTrough: 4,
  periodMs: DAY_MS,
  peakAtMs: 14 * HOUR_MS,
  meanExtraTurns: 4,
  think: { kind: 'lognormal', medianMs: 20_000, p99Ms: 180_000 },
};

function reference(spec: SessionsArrivals, actors: number, durationMs: number, seed: number, workSpec: DistributionSpec): Rows {
  const rng = makeRng(seed, 'workload');
  const work = new Sampler(workSpec, rng);
  return referenceSessions({ ...spec, actors }, durationMs, rng, work);
}

describe('sessions arrivals', () => {
  it('reproduces the default scenario of scenarios/workload.ts exactly (2,000 agents, one day, seed 1)', () => {
    const expected = reference(DEFAULT_SESSIONS, 2000, DAY_MS, 1, DEFAULT_WORK);
    const got = collect(DEFAULT_SESSIONS, { seed: 1, durationMs: DAY_MS, actors: 2000, work: DEFAULT_WORK });
    expect(got.arrivalMs.length).toBeGreaterThan(40_000);
    expect(got).toEqual(expected);
  });

  it('reproduces it for other shapes and seeds, offset by firstActor', () => {
    const spec: SessionsArrivals = {
      kind: 'sessions',
      sessionsPerDay: { median: 20, sigma: 0.5 },
      peakToTrough: 1,
      periodMs: 6 * HOUR_MS,
      peakAtMs: HOUR_MS,
      meanExtraTurns: 2,
      think: { kind: 'exponential', meanMs: 5000 },
    };
    const expected = reference(spec, 300, 2 * DAY_MS, 42, { kind: 'exponential', meanMs: 500 });
    const got = collect(spec, { seed: 42, durationMs: 2 * DAY_MS, actors: 300, firstActor: 1000, work: { kind: 'exponential', meanMs: 500 } });
    expect(got.arrivalMs).toEqual(expected.arrivalMs);
    expect(got.workMs).toEqual(expected.workMs);
    expect(got.actor).toEqual(expected.actor.map((a) => a + 1000));
  });

  it('emits median sessions per actor-day with sigma 0 and one turn each', () => {
    const spec: SessionsArrivals = { ...DEFAULT_SESSIONS, sessionsPerDay: { median: 5, sigma: 0 }, meanExtraTurns: 0 };
    const rows = collect(spec, { durationMs: 10 * DAY_MS, actors: 500 });
    const mean = 5 * 10 * 500;
    expect(Math.abs(rows.arrivalMs.length - mean)).toBeLessThan(4 * Math.sqrt(mean));
  });

  it('emits 1 + meanExtraTurns turns per session', () => {
    // Compound Poisson: sessions Poisson(L), turns K = 1 + geometric with mean m, so
    // var = L E[K^2] = L (1 + m)(1 + 2m). Short turns keep truncation at the end negligible.
    const m = 3;
    const spec: SessionsArrivals = {
      ...DEFAULT_SESSIONS,
      sessionsPerDay: { median: 4, sigma: 0 },
      meanExtraTurns: m,
      think: { kind: 'constant', valueMs: 1000 },
    };
    const rows = collect(spec, { durationMs: 10 * DAY_MS, actors: 300, work: { kind: 'constant', valueMs: 1000 } });
    const sessions = 4 * 10 * 300;
    const mean = sessions * (1 + m);
    expect(Math.abs(rows.arrivalMs.length - mean)).toBeLessThan(4 * Math.sqrt(sessions * (1 + m) * (1 + 2 * m)));
  });

  it('is open-loop: a turn arrives the previous turn plus its work plus think time later', () => {
    const spec: SessionsArrivals = { ...DEFAULT_SESSIONS, meanExtraTurns: 50, think: { kind: 'constant', valueMs: 7000 } };
    const rows = collect(spec, { durationMs: DAY_MS, actors: 3, work: { kind: 'constant', valueMs: 3000 } });
    let chained = 0;
    for (let i = 1; i < rows.arrivalMs.length; i++) {
      if (rows.actor[i] === rows.actor[i - 1] && rows.arrivalMs[i]! - rows.arrivalMs[i - 1]! === 10_000) chained++;
    }
    expect(chained).toBeGreaterThan(rows.arrivalMs.length / 2);
  });
});
