import { z } from 'zod';
import { Sampler, sampleExponential, sampleStandardNormal, type DistributionSpec } from '../distributions.ts';
import { durationDistribution, durationMs } from '../fields.ts';
import type { ArrivalContext, Emit } from './types.ts';
import type { StepBudget } from './budget.ts';
import { positiveDurationMs } from './spec-fields.ts';
import { requireNonNegative, requirePositive } from './validate.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Agent sessions: each actor opens sessions at its own day/night-modulated
 * rate; a session is several turns separated by think time. The same fields
 * as `SessionWorkload` in scenarios/scenario.ts without `actors` and
 * `template`, so one of those can be passed as it is.
 */
export interface SessionsArrivals {
  readonly kind: 'sessions';
  /** Sessions per actor per day: lognormal across actors (median, sigma), so a few actors are busy and most are quiet. */
  readonly sessionsPerDay: { readonly median: number; readonly sigma: number };
  /** Ratio of the peak to the trough of the daily swing (1 = flat). */
  readonly peakToTrough: number;
  readonly periodMs: number;
  /** Time of the peak within the period. */
  readonly peakAtMs: number;
  /** Turns per session: 1 + a geometric number with this mean extra. */
  readonly meanExtraTurns: number;
  /** Think time between the end of one turn's work and the next turn. */
  readonly think: DistributionSpec;
}

/**
 * YAML form: `{kind: sessions, sessionsPerDay: {median: 3, sigma: 1},
 * peakToTrough: 4, period: 24h, peakAt: 14h, meanExtraTurns: 4,
 * think: {kind: lognormal, median: 20s, p99: 3m}}`.
 */
export const sessionsSchema = z
  .strictObject({
    kind: z.literal('sessions'),
    sessionsPerDay: z.strictObject({ median: z.number().finite().nonnegative(), sigma: z.number().finite().nonnegative() }),
    peakToTrough: z.number().finite().min(1),
    period: positiveDurationMs.default(DAY_MS),
    peakAt: durationMs.default(14 * HOUR_MS),
    meanExtraTurns: z.number().finite().nonnegative(),
    think: durationDistribution,
  })
  .transform(
    (s): SessionsArrivals => ({
      kind: 'sessions',
      sessionsPerDay: s.sessionsPerDay,
      peakToTrough: s.peakToTrough,
      periodMs: s.period,
      peakAtMs: s.peakAt,
      meanExtraTurns: s.meanExtraTurns,
      think: s.think,
    }),
  );

/**
 * Generates agent sessions. Session starts follow a non-homogeneous Poisson
 * process per actor, rate(t) = base * (1 + a*cos(2*pi*(t - peak)/period))
 * with a = (r - 1)/(r + 1), drawn by thinning (Lewis and Shedler, 1979).
 * Turns are open-loop: the next turn arrives after this turn's work plus
 * think time, whatever the latency, so every policy set sees the same
 * arrivals. Ported from the `sessions` generator of scenarios/workload.ts
 * with the same random draws in the same order (per actor one standard
 * normal for its rate; per candidate a gap and an acceptance; per turn its
 * work, the continue draw, then the think time) and the same emission order,
 * so a scenario's workload stays byte-identical when it switches to this
 * module. Keep it that way: the test holds a frozen copy of the original.
 */
export function generateSessions(spec: SessionsArrivals, ctx: ArrivalContext, emit: Emit, budget: StepBudget): void {
  requireNonNegative('sessions', 'sessionsPerDay.median', spec.sessionsPerDay.median);
  requireNonNegative('sessions', 'sessionsPerDay.sigma', spec.sessionsPerDay.sigma);
  requirePositive('sessions', 'periodMs', spec.periodMs);
  requireNonNegative('sessions', 'peakAtMs', spec.peakAtMs);
  requireNonNegative('sessions', 'meanExtraTurns', spec.meanExtraTurns);
  if (!(spec.peakToTrough >= 1 && Number.isFinite(spec.peakToTrough))) {
    throw new RangeError(`sessions: peakToTrough must be a finite number >= 1, got ${spec.peakToTrough}`);
  }
  const { rng, durationMs: endMs, actors, firstActor, work } = ctx;
  const think = new Sampler(spec.think, rng);
  const a = (spec.peakToTrough - 1) / (spec.peakToTrough + 1);
  const pExtra = spec.meanExtraTurns / (1 + spec.meanExtraTurns); // geometric on {0,1,..} with this mean
  for (let i = 0; i < actors; i++) {
    budget.spend();
    const actor = firstActor + i;
    const perDay = spec.sessionsPerDay.median * Math.exp(spec.sessionsPerDay.sigma * sampleStandardNormal(rng));
    const baseRatePerMs = perDay / DAY_MS;
    const maxRatePerMs = baseRatePerMs * (1 + a);
    if (maxRatePerMs <= 0) continue;
    let t = 0;
    for (;;) {
      budget.spend();
      t += sampleExponential(rng, 1 / maxRatePerMs);
      if (t >= endMs) break;
      const ratePerMs = baseRatePerMs * (1 + a * Math.cos((2 * Math.PI * (t - spec.peakAtMs)) / spec.periodMs));
      if (rng() * maxRatePerMs > ratePerMs) continue;
      let turnAtMs = t;
      for (;;) {
        budget.spend();
        const workMs = work();
        emit(turnAtMs, actor, workMs);
        if (rng() >= pExtra) break;
        turnAtMs += workMs + think.sample();
        if (turnAtMs >= endMs) break;
      }
    }
  }
}
