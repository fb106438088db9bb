import { describe, expect, it } from 'vitest';
import type { SessionsArrivals } from '../../../scenarios/arrivals/index.ts';
import { collect, DAY_MS, HOUR_MS } from './collect.ts';

// The default scenario's sessions (scenarios/default.yaml).
const DEFAULT_SESSIONS: SessionsArrivals = {
  kind: 'sessions',
  sessionsPerDay: { median: 3, sigma: 1 },
  peakToTrough: 4,
  periodMs: DAY_MS,
  peakAtMs: 14 * HOUR_MS,
  meanExtraTurns: 4,
  think: { kind: 'lognormal', medianMs: 20_000, p99Ms: 180_000 },
};

describe('sessions arrivals', () => {
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
