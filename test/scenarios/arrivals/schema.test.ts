import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { arrivalSpecSchema, AZURE_2019_RATE, type ArrivalSpec } from '../../../scenarios/arrivals/index.ts';
import { DAY_MS, HOUR_MS } from './collect.ts';

const MINUTE_MS = 60_000;

function parse(yaml: string): ArrivalSpec {
  return arrivalSpecSchema.parse(parseYaml(yaml));
}

/** The issues of a failed parse as `path: message`. */
function issues(input: unknown): string[] {
  const r = arrivalSpecSchema.safeParse(input);
  expect(r.success).toBe(false);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('arrivalSpecSchema', () => {
  it('parses to ArrivalSpec', () => {
    expectTypeOf<z.output<typeof arrivalSpecSchema>>().toEqualTypeOf<ArrivalSpec>();
  });

  it('parses each model in its YAML form, durations to ms', () => {
    expect(parse('{kind: poisson, ratePerSec: 2}')).toEqual({ kind: 'poisson', ratePerSec: 2, perActor: false });
    expect(parse('kind: poisson\nratePerSec: 0.01\nperActor: true\n')).toEqual({ kind: 'poisson', ratePerSec: 0.01, perActor: true });
    expect(parse('{kind: diurnal, ratePerHour: 2, peakToTrough: 4}')).toEqual({
      kind: 'diurnal',
      ratePerHour: 2,
      peakToTrough: 4,
      periodMs: DAY_MS,
      peakAtMs: 14 * HOUR_MS,
    });
    expect(parse('{kind: diurnal, ratePerHour: 2, peakToTrough: 3, period: 7d, peakAt: 2d12h}')).toMatchObject({ periodMs: 7 * DAY_MS, peakAtMs: 60 * HOUR_MS });
    expect(parse('{kind: onoff, onRatePerMin: 6, meanOn: 5m, meanOff: 2h}')).toEqual({
      kind: 'onoff',
      onRatePerMin: 6,
      offRatePerMin: 0,
      meanOnMs: 5 * MINUTE_MS,
      meanOffMs: 2 * HOUR_MS,
    });
    expect(
      parse(`
kind: sessions
sessionsPerDay: {median: 3, sigma: 1}
peakToTrough: 4
period: 24h
peakAt: 14h
meanExtraTurns: 4
think: {kind: lognormal, median: 20s, p99: 3m}
`),
    ).toEqual({
      kind: 'sessions',
      sessionsPerDay: { median: 3, sigma: 1 },
      peakToTrough: 4,
      periodMs: DAY_MS,
      peakAtMs: 14 * HOUR_MS,
      meanExtraTurns: 4,
      think: { kind: 'lognormal', medianMs: 20_000, p99Ms: 180_000 },
    });
    expect(parse('{kind: heavy-tailed}')).toEqual({ kind: 'heavy-tailed', ...AZURE_2019_RATE, maxRatePerHour: 3600 });
    expect(parse('{kind: heavy-tailed, medianRatePerHour: 0.5, sigma: 2, maxRatePerHour: 60}')).toEqual({
      kind: 'heavy-tailed',
      medianRatePerHour: 0.5,
      sigma: 2,
      maxRatePerHour: 60,
    });
    expect(parse('{kind: synchronized, window: 10s}')).toEqual({ kind: 'synchronized', atMs: 0, windowMs: 10_000, spread: 'uniform' });
    expect(parse('{kind: synchronized, count: 500, at: 9h, window: 10s, spread: normal, repeatEvery: 24h}')).toEqual({
      kind: 'synchronized',
      count: 500,
      atMs: 9 * HOUR_MS,
      windowMs: 10_000,
      spread: 'normal',
      repeatEveryMs: DAY_MS,
    });
  });

  it('refuses misspelt fields, at their object', () => {
    expect(issues({ kind: 'poisson', ratePerSecond: 2 })).toEqual(['ratePerSec: expected a rate (a finite number >= 0), got undefined', ': Unrecognized key: "ratePerSecond"']);
    expect(issues({ kind: 'diurnal', ratePerHour: 1, peakToTrough: 2, peak_at: '3h' })).toEqual([': Unrecognized key: "peak_at"']);
    expect(issues({ kind: 'sessions', sessionsPerDay: { median: 3, sigm: 1 }, peakToTrough: 1, meanExtraTurns: 0, think: { kind: 'constant', value: '1s' } })).toEqual([
      'sessionsPerDay.sigma: Invalid input: expected number, received undefined',
      'sessionsPerDay: Unrecognized key: "sigm"',
    ]);
    expect(issues({ kind: 'synchronized', window: '1s', spred: 'normal' })).toEqual([': Unrecognized key: "spred"']);
  });

  it('refuses an unknown kind at kind', () => {
    expect(issues({ kind: 'bursty', ratePerSec: 1 })[0]).toMatch(/^kind: Invalid discriminator value/);
  });

  it('refuses negative or non-finite rates at their path', () => {
    expect(issues({ kind: 'poisson', ratePerSec: -1 })).toEqual(['ratePerSec: expected a rate (a finite number >= 0), got -1']);
    expect(issues({ kind: 'diurnal', ratePerHour: -0.5, peakToTrough: 2 })).toEqual(['ratePerHour: expected a rate (a finite number >= 0), got -0.5']);
    expect(issues({ kind: 'onoff', onRatePerMin: 1, offRatePerMin: -1, meanOn: '1m', meanOff: '1m' })).toEqual(['offRatePerMin: expected a rate (a finite number >= 0), got -1']);
    expect(issues({ kind: 'heavy-tailed', medianRatePerHour: -2 })).toEqual(['medianRatePerHour: expected a rate (a finite number >= 0), got -2']);
    expect(issues({ kind: 'poisson', ratePerSec: Infinity })).toEqual(['ratePerSec: expected a rate (a finite number >= 0), got Infinity']);
    expect(issues({ kind: 'poisson', ratePerSec: '2' })).toEqual(['ratePerSec: expected a rate (a finite number >= 0), got "2"']);
    expect(issues({ kind: 'diurnal', ratePerHour: 1, peakToTrough: 0.5 })).toEqual(['peakToTrough: Too small: expected number to be >=1']);
    expect(issues({ kind: 'heavy-tailed', sigma: -1 })).toEqual(['sigma: Too small: expected number to be >=0']);
  });

  it('refuses bad durations at their path', () => {
    expect(issues({ kind: 'diurnal', ratePerHour: 1, peakToTrough: 2, period: '1 day' })[0]).toMatch(/^period: expected a duration \(e\.g\. 250ms, 5m, 24h\): "1 day" is not a duration/);
    expect(issues({ kind: 'diurnal', ratePerHour: 1, peakToTrough: 2, period: '0s' })).toEqual(['period: must be > 0']);
    expect(issues({ kind: 'onoff', onRatePerMin: 1, meanOn: 300, meanOff: '1h' })).toEqual(['meanOn: expected a duration with a unit (e.g. 250ms, 5m, 24h), got 300']);
    expect(issues({ kind: 'onoff', onRatePerMin: 1, meanOn: '5m' })).toEqual(['meanOff: Invalid input']);
    expect(issues({ kind: 'synchronized', window: '-5s' })[0]).toMatch(/^window: expected a duration/);
    expect(issues({ kind: 'synchronized', window: '5s', repeatEvery: '0ms' })).toEqual(['repeatEvery: must be > 0']);
    expect(issues({ kind: 'sessions', sessionsPerDay: { median: 3, sigma: 1 }, peakToTrough: 1, meanExtraTurns: 0, think: { kind: 'lognormal', median: '2s' } })).toEqual([
      'think: lognormal needs exactly one of p99 or sigma',
    ]);
    expect(issues({ kind: 'sessions', sessionsPerDay: { median: 3, sigma: 1 }, peakToTrough: 1, meanExtraTurns: 0, think: { kind: 'exponential', mean: '2 s' } })[0]).toMatch(
      /^think\.mean: expected a duration/,
    );
  });

  it('refuses a count that is not a positive integer, and an unknown spread', () => {
    expect(issues({ kind: 'synchronized', window: '1s', count: 0 })[0]).toMatch(/^count: expected a positive integer, got 0/);
    expect(issues({ kind: 'synchronized', window: '1s', count: 2.5 })[0]).toMatch(/^count: /);
    expect(issues({ kind: 'synchronized', window: '1s', spread: 'poisson' })[0]).toMatch(/^spread: Invalid option/);
  });
});
