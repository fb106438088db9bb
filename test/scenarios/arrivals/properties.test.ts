import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { durationDistribution } from '../../../scenarios/fields.ts';
import { arrivalSpecSchema, planArrivals, type ArrivalSpec } from '../../../scenarios/arrivals/index.ts';

const RUNS = Number(process.env.PROP_RUNS ?? 300);
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
// Largest |z| sampleStandardNormal can return: 1 - u is at least 2^-53, so sqrt(-2 ln 2^-53) < 8.6.
const Z_MAX = 8.6;

const duration = (maxMs: number) => fc.integer({ min: 0, max: maxMs }).map((ms) => `${ms}ms`);
const positiveDuration = (minMs: number, maxMs: number) => fc.integer({ min: minMs, max: maxMs }).map((ms) => `${ms}ms`);
const rate = (max: number) => fc.oneof(fc.constant(0), fc.double({ min: 0, max, noNaN: true }));
const distribution = fc.oneof(
  fc.record({ kind: fc.constant('constant'), value: duration(60_000) }),
  fc.record({ kind: fc.constant('exponential'), mean: duration(60_000) }),
  fc.record({ kind: fc.constant('lognormal'), median: positiveDuration(1, 60_000), sigma: fc.double({ min: 0, max: 3, noNaN: true }) }),
  fc.record({ kind: fc.constant('uniform'), min: fc.constant('0s'), max: duration(60_000) }),
);

/** Random valid specs in their YAML form for a group of `actors`, with rates kept small enough for a fast run. */
const yamlSpec = (actors: number) => fc.oneof(
  fc.record({ kind: fc.constant('poisson'), ratePerSec: rate(0.2), perActor: fc.boolean() }, { requiredKeys: ['kind', 'ratePerSec'] }),
  fc.record(
    { kind: fc.constant('diurnal'), ratePerHour: rate(500), peakToTrough: fc.double({ min: 1, max: 1000, noNaN: true }), period: positiveDuration(1, 2 * DAY_MS), peakAt: duration(2 * DAY_MS) },
    { requiredKeys: ['kind', 'ratePerHour', 'peakToTrough'] },
  ),
  fc.record(
    { kind: fc.constant('onoff'), onRatePerMin: rate(20), offRatePerMin: rate(2), meanOn: positiveDuration(1, HOUR_MS), meanOff: positiveDuration(1, HOUR_MS) },
    { requiredKeys: ['kind', 'onRatePerMin', 'meanOn', 'meanOff'] },
  ),
  fc.record(
    {
      kind: fc.constant('sessions'),
      sessionsPerDay: fc.record({ median: rate(200), sigma: fc.double({ min: 0, max: 1.5, noNaN: true }) }),
      peakToTrough: fc.double({ min: 1, max: 100, noNaN: true }),
      period: positiveDuration(1, 2 * DAY_MS),
      peakAt: duration(DAY_MS),
      meanExtraTurns: fc.double({ min: 0, max: 20, noNaN: true }),
      think: distribution,
    },
    { requiredKeys: ['kind', 'sessionsPerDay', 'peakToTrough', 'meanExtraTurns', 'think'] },
  ),
  fc.record(
    { kind: fc.constant('heavy-tailed'), medianRatePerHour: rate(100), sigma: fc.double({ min: 0, max: 6, noNaN: true }), maxRatePerHour: rate(7200) },
    { requiredKeys: ['kind'] },
  ),
  fc.record(
    { kind: fc.constant('synchronized'), count: fc.integer({ min: 1, max: actors }), at: duration(HOUR_MS), window: duration(HOUR_MS), spread: fc.constantFrom('uniform', 'normal'), repeatEvery: positiveDuration(1000, HOUR_MS) },
    { requiredKeys: ['kind', 'window'] },
  ),
);

/**
 * An upper envelope of the expected count: the model's largest possible
 * per-actor rate (lognormal rates at z = Z_MAX, diurnal ones at the peak)
 * times actors and duration, times the mean turns of a session.
 */
function envelope(spec: ArrivalSpec, actors: number, durationMs: number): number {
  switch (spec.kind) {
    case 'poisson':
      return (spec.ratePerSec * (spec.perActor ? actors : 1) * durationMs) / 1000;
    case 'diurnal':
      return (actors * spec.ratePerHour * 2 * durationMs) / HOUR_MS;
    case 'onoff':
      return (actors * Math.max(spec.onRatePerMin, spec.offRatePerMin) * durationMs) / MINUTE_MS;
    case 'heavy-tailed':
      return (actors * Math.min(spec.maxRatePerHour, spec.medianRatePerHour * Math.exp(spec.sigma * Z_MAX)) * durationMs) / HOUR_MS;
    case 'sessions':
      return ((actors * spec.sessionsPerDay.median * Math.exp(spec.sessionsPerDay.sigma * Z_MAX) * 2 * durationMs) / DAY_MS) * (1 + spec.meanExtraTurns);
    case 'synchronized':
      return (spec.count ?? actors) * (spec.repeatEveryMs === undefined ? 1 : Math.ceil(durationMs / spec.repeatEveryMs));
  }
}

describe('arrival models on random valid specs', () => {
  it('never throw, yield in arrival order only finite non-negative values in range, as many as planned, within a bound on the count', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }).chain((actors) => fc.tuple(fc.constant(actors), yamlSpec(actors))),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 1, max: 2 * HOUR_MS }),
        distribution,
        ([actors, yaml], seed, firstActor, durationMs, workYaml) => {
          const spec = arrivalSpecSchema.parse(yaml);
          const plan = planArrivals(spec, { seed, stream: 'workload', durationMs, actors, firstActor, work: durationDistribution.parse(workYaml) });
          const stream = plan.open();
          let n = 0;
          let lastMs = 0;
          let bad = '';
          while (stream.next()) {
            n++;
            const { arrivalMs: t, actor: a, workMs: w } = stream;
            if (bad === '' && !(t >= lastMs && t < durationMs && Number.isInteger(a) && a >= firstActor && a < firstActor + actors && Number.isFinite(w) && w >= 0)) {
              bad = `row ${n}: arrival ${t} (previous ${lastMs}), actor ${a}, work ${w}`;
            }
            lastMs = t;
          }
          expect(n).toBe(plan.size);
          expect(bad).toBe('');
          // Far above the envelope: Poisson-like counts exceed 4 times their mean plus 50 with negligible probability.
          const e = envelope(spec, actors, durationMs);
          expect(n).toBeLessThanOrEqual(4 * e + 50 * (spec.kind === 'sessions' ? 1 + spec.meanExtraTurns : 1));
        },
      ),
      { numRuns: RUNS },
    );
  });
});
