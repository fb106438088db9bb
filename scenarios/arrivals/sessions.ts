import { z } from 'zod';
import { Sampler, sampleExponential, sampleStandardNormal, type DistributionSpec } from '../distributions.ts';
import { durationDistribution, durationMs } from '../fields.ts';
import type { StepBudget } from './budget.ts';
import type { ActorStepper, StepOut, StepperDraws } from './types.ts';
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

// Per-actor variables.
const BASE = 0; // session rate per ms, before the daily swing
const MAX = 1; // its peak: the rate candidates are drawn at
const T = 2; // the last candidate session start drawn
const NEXT_START = 3; // the next accepted session start, its turns not drawn yet; +Infinity when there is none
const SIZE = 4;

/**
 * Agent sessions. Session starts follow a non-homogeneous Poisson process
 * per actor, rate(t) = base * (1 + a*cos(2*pi*(t - peak)/period)) with
 * a = (r - 1)/(r + 1), drawn by thinning (Lewis and Shedler, 1979). Turns
 * are open-loop: the next turn arrives after this turn's work plus think
 * time, whatever the latency, so every policy set sees the same arrivals.
 * The draws are those of the `sessions` generator scenarios/workload.ts had
 * before the arrivals module (per actor a step and one standard normal for
 * its rate; per candidate a step, the gap and the acceptance; per turn a
 * step, its work, the continue draw, then the think time), so the default
 * scenario's workload is unchanged; the digests in test/scenarios/workload.test.ts
 * and test/scenarios/arrivals/stream.test.ts hold it to that.
 *
 * Turns are not drawn in time order (a session's later turns can come after
 * the next session starts), so each actor keeps the turns drawn and not yet
 * handed out, in (time, draw order); the next session's start is drawn
 * ahead, and a pending turn is handed out once no later session can come
 * before it.
 */
export class SessionsStepper implements ActorStepper {
  readonly size = SIZE;
  readonly samplers: readonly Sampler[];
  private readonly think: Sampler;
  private readonly a: number;
  private readonly pExtra: number;
  /** Per actor: pending turns as [time, work, time, work, ...], sorted by time, ties in draw order. */
  private readonly pending = new Map<number, number[]>();

  constructor(
    private readonly spec: SessionsArrivals,
    private readonly draws: StepperDraws,
    private readonly endMs: number,
    public budget: StepBudget,
  ) {
    requireNonNegative('sessions', 'sessionsPerDay.median', spec.sessionsPerDay.median);
    requireNonNegative('sessions', 'sessionsPerDay.sigma', spec.sessionsPerDay.sigma);
    requirePositive('sessions', 'periodMs', spec.periodMs);
    requireNonNegative('sessions', 'peakAtMs', spec.peakAtMs);
    requireNonNegative('sessions', 'meanExtraTurns', spec.meanExtraTurns);
    if (!(spec.peakToTrough >= 1 && Number.isFinite(spec.peakToTrough))) {
      throw new RangeError(`sessions: peakToTrough must be a finite number >= 1, got ${spec.peakToTrough}`);
    }
    this.think = new Sampler(spec.think, draws.alea.rng);
    this.samplers = [this.think];
    this.a = (spec.peakToTrough - 1) / (spec.peakToTrough + 1);
    this.pExtra = spec.meanExtraTurns / (1 + spec.meanExtraTurns);
  }

  begin(i: number, state: Float64Array, at: number): void {
    this.budget.spend();
    const perDay = this.spec.sessionsPerDay.median * Math.exp(this.spec.sessionsPerDay.sigma * sampleStandardNormal(this.draws.alea.rng));
    const baseRatePerMs = perDay / DAY_MS;
    const maxRatePerMs = baseRatePerMs * (1 + this.a);
    state[at + BASE] = baseRatePerMs;
    state[at + MAX] = maxRatePerMs;
    state[at + T] = 0;
    state[at + NEXT_START] = Number.POSITIVE_INFINITY;
    this.pending.delete(i);
    if (maxRatePerMs <= 0) return;
    this.findNextStart(state, at);
  }

  /** Draws candidates up to the next accepted session start (or the end). */
  private findNextStart(state: Float64Array, at: number): void {
    const rng = this.draws.alea.rng;
    const base = state[at + BASE]!;
    const max = state[at + MAX]!;
    let t = state[at + T]!;
    for (;;) {
      this.budget.spend();
      t += sampleExponential(rng, 1 / max);
      if (t >= this.endMs) {
        state[at + T] = t;
        state[at + NEXT_START] = Number.POSITIVE_INFINITY;
        return;
      }
      const ratePerMs = base * (1 + this.a * Math.cos((2 * Math.PI * (t - this.spec.peakAtMs)) / this.spec.periodMs));
      if (rng() * max > ratePerMs) continue;
      state[at + T] = t;
      state[at + NEXT_START] = t;
      return;
    }
  }

  /** Draws the turns of the session at NEXT_START into the actor's pending turns, then the following start. */
  private expand(i: number, state: Float64Array, at: number): void {
    const rng = this.draws.alea.rng;
    let list = this.pending.get(i);
    if (list === undefined) {
      list = [];
      this.pending.set(i, list);
    }
    let turnAtMs = state[at + NEXT_START]!;
    for (;;) {
      this.budget.spend();
      const workMs = this.draws.work.sample();
      // After every pending turn at or before it: ties keep the draw order.
      let k = list.length;
      while (k > 0 && list[k - 2]! > turnAtMs) k -= 2;
      list.splice(k, 0, turnAtMs, workMs);
      if (rng() >= this.pExtra) break;
      turnAtMs += workMs + this.think.sample();
      if (turnAtMs >= this.endMs) break;
    }
    this.findNextStart(state, at);
  }

  next(i: number, state: Float64Array, at: number, out: StepOut): boolean {
    for (;;) {
      const list = this.pending.get(i);
      const nextStartMs = state[at + NEXT_START]!;
      // A pending turn at or before the next session's start comes first: that session's turns are all later or drawn later.
      if (list !== undefined && list.length > 0 && list[0]! <= nextStartMs) {
        out.arrivalMs = list[0]!;
        out.workMs = list[1]!;
        list.splice(0, 2);
        return true;
      }
      if (nextStartMs === Number.POSITIVE_INFINITY) return false;
      this.expand(i, state, at);
    }
  }

  end(i: number): void {
    this.pending.delete(i);
  }
}
