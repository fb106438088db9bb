import type { AccountingTotals } from '../core/accounting.ts';
import type { CoreCounters } from '../core/scheduler.ts';
import type { LatencyParts, Reply } from '../core/types.ts';
import type { Sample } from '../core/result.ts';
import type { SimPrimitives, SimResult } from './runtime.ts';
import type { SummaryRow } from '../reports/summary.ts';

// A SimResult as a worker thread posts it: replies and samples as columns of
// typed arrays whose buffers are transferred, not copied, and strings interned
// in one small table. Structured-cloning 50,000 reply objects costs about as
// much as simulating them; this costs a few milliseconds and keeps every
// number's bits (NaN start times and -0 included).

const NUMBER_FIELDS = 10; // invocation, arrival, start, end, 5 parts, attempts
const STRING_FIELDS = 4; // actor, outcome, reason, path
const SAMPLE_FIELDS = 4; // time, workers, resident, parked

// Fails to compile when Reply, LatencyParts or Sample gain a field this codec does not carry.
type Carried<T, K extends keyof T> = [Exclude<keyof T, K>] extends [never] ? true : false;
const carried: [
  Carried<Reply, 'invocation' | 'actor' | 'outcome' | 'reason' | 'path' | 'arrivalMs' | 'startMs' | 'endMs' | 'parts' | 'attempts'>,
  Carried<LatencyParts, 'parkedMs' | 'workerStartMs' | 'restoreMs' | 'execMs' | 'queuedMs'>,
  Carried<Sample, 'timeMs' | 'workers' | 'resident' | 'parked'>,
  Carried<SimResult, 'policy' | 'replies' | 'counters' | 'totals' | 'events' | 'endMs' | 'warmupMs' | 'samples' | 'seed' | 'summary' | 'outcomes' | 'primitives' | 'failedRequests'>,
] = [true, true, true, true];
void carried;

/** A SimResult encoded for postMessage; send it with `transfer` as the transfer list. */
export interface EncodedSimResult {
  readonly policy: string;
  readonly seed: number;
  readonly counters: CoreCounters;
  readonly totals: AccountingTotals;
  readonly events: number;
  readonly endMs: number;
  readonly warmupMs: number;
  readonly strings: readonly string[];
  readonly replyNumbers: Float64Array;
  readonly replyStrings: Int32Array;
  readonly samples: Float64Array;
  /** A summary row computed as the run went (structured-cloned: one row). */
  readonly summary?: SummaryRow;
  readonly outcomes?: number;
  /** Primitive durations (structured-cloned: a few arrays). */
  readonly primitives?: SimPrimitives;
  readonly failedRequests?: Readonly<Record<string, number>>;
}

/** Encodes a result for transfer to another thread; the result itself is left untouched. */
export function encodeSimResult(r: SimResult): { message: EncodedSimResult; transfer: ArrayBuffer[] } {
  const n = r.replies.length;
  const nums = new Float64Array(n * NUMBER_FIELDS);
  const strs = new Int32Array(n * STRING_FIELDS);
  const strings: string[] = [];
  const index = new Map<string, number>();
  const intern = (s: string): number => {
    let i = index.get(s);
    if (i === undefined) {
      i = strings.length;
      strings.push(s);
      index.set(s, i);
    }
    return i;
  };
  for (let k = 0; k < n; k++) {
    const x = r.replies[k]!;
    const o = k * NUMBER_FIELDS;
    nums[o] = x.invocation;
    nums[o + 1] = x.arrivalMs;
    nums[o + 2] = x.startMs;
    nums[o + 3] = x.endMs;
    nums[o + 4] = x.parts.parkedMs;
    nums[o + 5] = x.parts.workerStartMs;
    nums[o + 6] = x.parts.restoreMs;
    nums[o + 7] = x.parts.execMs;
    nums[o + 8] = x.parts.queuedMs;
    nums[o + 9] = x.attempts;
    const so = k * STRING_FIELDS;
    strs[so] = intern(x.actor);
    strs[so + 1] = intern(x.outcome);
    strs[so + 2] = intern(x.reason);
    strs[so + 3] = intern(x.path);
  }
  const samples = new Float64Array(r.samples.length * SAMPLE_FIELDS);
  r.samples.forEach((s, k) => {
    samples.set([s.timeMs, s.workers, s.resident, s.parked], k * SAMPLE_FIELDS);
  });
  const message: EncodedSimResult = {
    policy: r.policy,
    seed: r.seed,
    counters: { ...r.counters },
    totals: { ...r.totals },
    events: r.events,
    endMs: r.endMs,
    warmupMs: r.warmupMs,
    strings,
    replyNumbers: nums,
    replyStrings: strs,
    samples,
    ...(r.summary === undefined ? {} : { summary: r.summary }),
    ...(r.outcomes === undefined ? {} : { outcomes: r.outcomes }),
    ...(r.primitives === undefined ? {} : { primitives: r.primitives }),
    ...(r.failedRequests === undefined ? {} : { failedRequests: r.failedRequests }),
  };
  return { message, transfer: [nums.buffer, strs.buffer, samples.buffer] };
}

function decodeReplies(m: EncodedSimResult): Reply[] {
  const nums = m.replyNumbers;
  const strs = m.replyStrings;
  const str = (i: number): string => m.strings[strs[i]!]!;
  const n = nums.length / NUMBER_FIELDS;
  const replies: Reply[] = new Array<Reply>(n);
  for (let k = 0; k < n; k++) {
    const o = k * NUMBER_FIELDS;
    const so = k * STRING_FIELDS;
    // The simulator's replies are the core's reply commands, `kind` included.
    const reply: Reply & { readonly kind: 'reply' } = {
      kind: 'reply',
      invocation: nums[o]!,
      actor: str(so),
      outcome: str(so + 1) as Reply['outcome'],
      reason: str(so + 2) as Reply['reason'],
      path: str(so + 3) as Reply['path'],
      arrivalMs: nums[o + 1]!,
      startMs: nums[o + 2]!,
      endMs: nums[o + 3]!,
      parts: { parkedMs: nums[o + 4]!, workerStartMs: nums[o + 5]!, restoreMs: nums[o + 6]!, execMs: nums[o + 7]!, queuedMs: nums[o + 8]! },
      attempts: nums[o + 9]!,
    };
    replies[k] = reply;
  }
  return replies;
}

/**
 * Decodes what encodeSimResult produced back into a SimResult equal to the
 * original. The replies stay columns until first read: holding tens of
 * thousands of objects per finished run would slow every later run of the
 * receiving thread's garbage collector.
 */
export function decodeSimResult(m: EncodedSimResult): SimResult {
  const samples: Sample[] = [];
  for (let k = 0; k < m.samples.length; k += SAMPLE_FIELDS) {
    samples.push({ timeMs: m.samples[k]!, workers: m.samples[k + 1]!, resident: m.samples[k + 2]!, parked: m.samples[k + 3]! });
  }
  let replies: Reply[] | null = null;
  return {
    policy: m.policy,
    get replies(): Reply[] {
      replies ??= decodeReplies(m);
      return replies;
    },
    counters: m.counters,
    totals: m.totals,
    events: m.events,
    endMs: m.endMs,
    warmupMs: m.warmupMs,
    samples,
    seed: m.seed,
    ...(m.summary === undefined ? {} : { summary: m.summary }),
    ...(m.outcomes === undefined ? {} : { outcomes: m.outcomes }),
    ...(m.primitives === undefined ? {} : { primitives: m.primitives }),
    ...(m.failedRequests === undefined ? {} : { failedRequests: m.failedRequests }),
  };
}
