import { describe, expect, it } from 'vitest';
import { collect, DAY_MS, HOUR_MS } from './collect.ts';

describe('diurnal arrivals', () => {
  it('emits the mean rate times the duration over whole periods', () => {
    const actors = 200;
    const rows = collect({ kind: 'diurnal', ratePerHour: 2, peakToTrough: 4, periodMs: DAY_MS, peakAtMs: 14 * HOUR_MS }, { durationMs: 10 * DAY_MS, actors });
    const mean = actors * 2 * 240;
    expect(Math.abs(rows.arrivalMs.length - mean)).toBeLessThan(4 * Math.sqrt(mean));
  });

  it('has a peak-to-trough ratio of binned counts near r, with the peak at peakAt', () => {
    const r = 4;
    const a = (r - 1) / (r + 1);
    const rows = collect({ kind: 'diurnal', ratePerHour: 1, peakToTrough: r, periodMs: DAY_MS, peakAtMs: 14 * HOUR_MS }, { durationMs: 30 * DAY_MS, actors: 1000, seed: 3 });
    // Hourly bins by time of day; a bin centred on the peak averages the cosine over an hour,
    // which shrinks the amplitude by sinc(pi*binWidth/period) = sin(pi/24)/(pi/24).
    const bins = new Array<number>(24).fill(0);
    for (const t of rows.arrivalMs) bins[Math.floor((((t + HOUR_MS / 2) % DAY_MS) / HOUR_MS)) % 24]!++;
    const peak = bins[14]!; // [13:30, 14:30)
    const trough = bins[2]!; // [1:30, 2:30)
    const s = Math.sin(Math.PI / 24) / (Math.PI / 24);
    const expected = (1 + a * s) / (1 - a * s);
    const ratio = peak / trough;
    // Delta method: both counts Poisson, var(ratio) ~ ratio^2 (1/peak + 1/trough).
    const se = ratio * Math.sqrt(1 / peak + 1 / trough);
    expect(Math.abs(ratio - expected)).toBeLessThan(4 * se);
    // Neighbouring bins differ from the extremes by only 1-5%, so allow one bin either way.
    expect(Math.abs(bins.indexOf(Math.max(...bins)) - 14)).toBeLessThanOrEqual(1);
    expect(Math.abs(bins.indexOf(Math.min(...bins)) - 2)).toBeLessThanOrEqual(1);
  });

  it('is flat at peakToTrough 1', () => {
    const rows = collect({ kind: 'diurnal', ratePerHour: 10, peakToTrough: 1, periodMs: DAY_MS, peakAtMs: 0 }, { durationMs: 2 * DAY_MS, actors: 100 });
    const halves = [0, 0];
    for (const t of rows.arrivalMs) halves[(t % DAY_MS) < DAY_MS / 2 ? 0 : 1]!++;
    const mean = 100 * 10 * 24; // per half: two half-days
    for (const n of halves) expect(Math.abs(n - mean)).toBeLessThan(4 * Math.sqrt(mean));
  });
});
