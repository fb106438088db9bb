import { z } from 'zod';
import { sampleStandardNormal } from '../distributions.ts';
import { durationMs, positiveInt } from '../fields.ts';
import type { Cursor, GroupStreamFactory } from './group-plan.ts';
import { RowHeap } from './row-heap.ts';
import type { StreamContext } from './types.ts';
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
 * One arrival per woken actor per round, drawn in actor order within a
 * round: a uniform offset in the window (one draw), or a normal one centred
 * on it with sd window/6, redrawn while outside the window (two draws per
 * try), then the arrival's work. A zero window puts every arrival at `at`
 * without drawing. Arrivals at or after the end of the run are dropped, so
 * a round yields exactly `count` arrivals when its window ends before then.
 * Draw order is not time order, and rounds overlap when the window is
 * longer than the repeat: a round is drawn whole into a heap on (time, draw
 * order), and an arrival leaves the heap once no later round can start
 * before it. Memory is a round or two of arrivals, never the run's.
 */
export function synchronizedStream(spec: SynchronizedArrivals, ctx: StreamContext): GroupStreamFactory {
  requireNonNegative('synchronized', 'atMs', spec.atMs);
  requireNonNegative('synchronized', 'windowMs', spec.windowMs);
  if (spec.repeatEveryMs !== undefined) requirePositive('synchronized', 'repeatEveryMs', spec.repeatEveryMs);
  const { durationMs: endMs, actors, firstActor } = ctx;
  const count = spec.count ?? actors;
  if (!Number.isInteger(count) || count < 1 || count > actors) {
    throw new RangeError(`synchronized: count must be an integer in [1, ${actors}] (the group's actors), got ${count}`);
  }
  const windowMs = spec.windowMs;
  const centreMs = windowMs / 2;
  const sdMs = windowMs / 6;
  const rounds = spec.repeatEveryMs === undefined ? 1 : Infinity; // the step budget bounds the repeats
  return (alea, work, budget) => {
    const rng = alea.rng;
    const heap = new RowHeap();
    let round = 0;
    const roundStart = (r: number): number => spec.atMs + r * (spec.repeatEveryMs ?? 0);
    const drawRound = (): void => {
      const startMs = roundStart(round);
      round += 1;
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
        const workMs = work.sample();
        if (arrivalMs < endMs) heap.push(arrivalMs, firstActor + i, workMs);
      }
    };
    /** Whether round `round` is still to be drawn. */
    const moreRounds = (): boolean => round < rounds && roundStart(round) < endMs;
    const cursor: Cursor = {
      arrivalMs: 0,
      actor: 0,
      workMs: 0,
      next() {
        for (;;) {
          const more = moreRounds();
          // A later round's arrivals all come at or after its start, and after in draw order.
          if (heap.size > 0 && (!more || heap.minTimeMs() <= roundStart(round))) {
            heap.pop();
            this.arrivalMs = heap.timeMs;
            this.actor = heap.actor;
            this.workMs = heap.workMs;
            return true;
          }
          if (!more) return false;
          drawRound();
        }
      },
    };
    return cursor;
  };
}
