import type { CellStream } from './keyed-random.ts';

/**
 * Where the invocations counted in one trace minute arrive within it:
 * - 'uniform': each independently uniform over the minute;
 * - 'poisson': a Poisson process conditioned on the minute's count, which places the points
 *   as i.i.d. uniforms (the order statistics of uniforms), so it gives exactly the arrivals
 *   of 'uniform'; the name is kept so a scenario can say which model it means;
 * - 'even': deterministic, at the centres of `count` equal slices of the minute.
 */
export type SpreadRule = 'uniform' | 'poisson' | 'even';

/** Arrival `i` of `count` in the span [startMs, startMs + spanMs); random rules draw one uniform from `stream` per call. */
export function spreadArrival(rule: SpreadRule, i: number, count: number, startMs: number, spanMs: number, stream: CellStream): number {
  if (rule === 'even') return startMs + ((i + 0.5) * spanMs) / count;
  // u < 1 with 32-bit resolution, so the sum stays strictly below startMs + spanMs.
  return startMs + spanMs * stream.next();
}
