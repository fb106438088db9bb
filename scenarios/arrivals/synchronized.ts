import { z } from 'zod';
import { sampleStandardNormal } from '../distributions.ts';
import { durationMs, positiveInt } from '../fields.ts';
import type { ArrivalContext, Emit } from './types.ts';
import type { StepBudget } from './budget.ts';
import { positiveDurationMs } from './spec-fields.ts';
import { requireNonNegative, requirePositive } from './validate.ts';

/** Many actors woken at once: a cron tick, a broadcast, a fleet-wide fan-out (the thundering herd). */
export interface SynchronizedArrivals {
  readonly kind: 'synchronized';
  /** Actors woken per round: the group's first `count`; undefined wakes all of the group. */
  readonly count?: number;
  /** Start of the first window. */
  readonly atMs: number;
  /** Each woken actor arrives once within [at, at + window). */
  readonly windowMs: number;
  /** How arrivals spread over the window. */
  readonly spread: 'uniform' | 'normal';
  /** Rounds repeat at at + k*repeatEvery while they start before the end; undefined is one round. */
  readonly repeatEveryMs?: number;
}

/** YAML form: `{kind: synchronized, count: 500, at: 9h, window: 10s, spread: uniform, repeatEvery: 24h}`; only `window` is required. */
export const synchronizedSchema = z
  .strictObject({
    kind: z.literal('synchronized'),
    count: positiveInt.optional(),
    at: durationMs.default(0),
    window: durationMs,
    spread: z.enum(['uniform', 'normal']).default('uniform'),
    repeatEvery: positiveDurationMs.optional(),
  })
  .transform(
    (s): SynchronizedArrivals => ({
      kind: 'synchronized',
      count: s.count,
      atMs: s.at,
      windowMs: s.window,
      spread: s.spread,
      repeatEveryMs: s.repeatEvery,
    }),
  );

// A normal spread puts the window at +-3 sd (99.73% inside) and redraws the rest; after this many
// misses (probability 0.0027^16, never in practice) the arrival takes the window's centre, to stay bounded.
const MAX_REDRAWS = 16;

/**
 * Generates one arrival per woken actor per round, in actor order within a
 * round: a uniform offset in the window (one draw), or a normal one centred
 * on it with sd window/6, redrawn while outside the window (two draws per
 * try), then the arrival's work. A zero window puts every arrival at `at`
 * without drawing. Arrivals at or after the end of the run are dropped, so
 * a round emits exactly `count` arrivals when its window ends before then.
 */
export function generateSynchronized(spec: SynchronizedArrivals, ctx: ArrivalContext, emit: Emit, budget: StepBudget): void {
  requireNonNegative('synchronized', 'atMs', spec.atMs);
  requireNonNegative('synchronized', 'windowMs', spec.windowMs);
  if (spec.repeatEveryMs !== undefined) requirePositive('synchronized', 'repeatEveryMs', spec.repeatEveryMs);
  const { rng, durationMs: endMs, actors, firstActor, work } = ctx;
  const count = spec.count ?? actors;
  if (!Number.isInteger(count) || count < 1 || count > actors) {
    throw new RangeError(`synchronized: count must be an integer in [1, ${actors}] (the group's actors), got ${count}`);
  }
  const windowMs = spec.windowMs;
  const centreMs = windowMs / 2;
  const sdMs = windowMs / 6;
  const rounds = spec.repeatEveryMs === undefined ? 1 : Infinity; // the step budget bounds the repeats
  for (let round = 0; round < rounds; round++) {
    const startMs = spec.atMs + round * (spec.repeatEveryMs ?? 0);
    if (startMs >= endMs) return;
    for (let i = 0; i < count; i++) {
      budget.spend();
      let offsetMs = 0;
      if (windowMs > 0) {
        if (spec.spread === 'uniform') {
          offsetMs = windowMs * rng();
        } else {
          offsetMs = centreMs;
          for (let k = 0; k < MAX_REDRAWS; k++) {
            const x = centreMs + sdMs * sampleStandardNormal(rng);
            if (x >= 0 && x < windowMs) {
              offsetMs = x;
              break;
            }
          }
        }
      }
      const arrivalMs = startMs + offsetMs;
      const workMs = work();
      if (arrivalMs < endMs) emit(arrivalMs, firstActor + i, workMs);
    }
  }
}
