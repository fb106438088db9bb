import { describe, expect, it } from 'vitest';
import { collect, DAY_MS, HOUR_MS } from './collect.ts';

const MINUTE_MS = 60_000;

/**
 * Asymptotic variance per unit time of the count of a two-state MMPP with
 * rates l1 (on), l0 (off) and switching rates alpha = 1/meanOn,
 * beta = 1/meanOff: Var N(T)/T -> mean + 2 (l1 - l0)^2 alpha beta / (alpha + beta)^3
 * (the Poisson part plus twice the integral of the rate's autocovariance,
 * (l1 - l0)^2 p(1 - p) exp(-(alpha + beta) tau), with p(1 - p) = alpha beta/(alpha + beta)^2).
 * It bounds the variance over a finite T from above.
 */
function mmppVariancePerMin(onPerMin: number, offPerMin: number, meanOnMin: number, meanOffMin: number): number {
  const alpha = 1 / meanOnMin;
  const beta = 1 / meanOffMin;
  const mean = (onPerMin * meanOnMin + offPerMin * meanOffMin) / (meanOnMin + meanOffMin);
  return mean + (2 * (onPerMin - offPerMin) ** 2 * alpha * beta) / (alpha + beta) ** 3;
}

describe('onoff arrivals', () => {
  it('has the long-run rate onRate*meanOn/(meanOn + meanOff)', () => {
    const actors = 200;
    const minutes = 5 * 24 * 60;
    const rows = collect({ kind: 'onoff', onRatePerMin: 6, offRatePerMin: 0, meanOnMs: 5 * MINUTE_MS, meanOffMs: 55 * MINUTE_MS }, { durationMs: 5 * DAY_MS, actors });
    const mean = ((6 * 5) / 60) * minutes * actors;
    const sd = Math.sqrt(mmppVariancePerMin(6, 0, 5, 55) * minutes * actors);
    expect(Math.abs(rows.arrivalMs.length - mean)).toBeLessThan(4 * sd);
  });

  it('adds the off rate in proportion to the time off', () => {
    const actors = 100;
    const minutes = 2 * 24 * 60;
    const rows = collect({ kind: 'onoff', onRatePerMin: 4, offRatePerMin: 0.5, meanOnMs: 10 * MINUTE_MS, meanOffMs: 30 * MINUTE_MS }, { durationMs: 2 * DAY_MS, actors, seed: 5 });
    const mean = ((4 * 10 + 0.5 * 30) / 40) * minutes * actors;
    const sd = Math.sqrt(mmppVariancePerMin(4, 0.5, 10, 30) * minutes * actors);
    expect(Math.abs(rows.arrivalMs.length - mean)).toBeLessThan(4 * sd);
  });

  it('starts in the stationary state: no transient at time 0', () => {
    // Sojourns of an hour: in the first minute each actor keeps its start state, so the count
    // there is onRate * (actors on at 0); started always on or always off it would double or vanish.
    const actors = 2000;
    const rows = collect({ kind: 'onoff', onRatePerMin: 60, offRatePerMin: 0, meanOnMs: HOUR_MS, meanOffMs: HOUR_MS }, { durationMs: MINUTE_MS, actors, seed: 11 });
    const mean = actors * 0.5 * 60;
    // Binomial spread of the start states (60 * sqrt(n p (1-p))) plus the Poisson spread.
    const sd = Math.sqrt(60 * 60 * actors * 0.25 + mean);
    expect(Math.abs(rows.arrivalMs.length - mean)).toBeLessThan(4 * sd);
  });

  it('emits nothing when both rates are 0, however long the run', () => {
    const rows = collect({ kind: 'onoff', onRatePerMin: 0, offRatePerMin: 0, meanOnMs: 1, meanOffMs: 1 }, { durationMs: 1e15, actors: 1000 });
    expect(rows.arrivalMs.length).toBe(0);
  });
});
