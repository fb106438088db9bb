import type { OutcomeSink } from '../core/scheduler.ts';
import { REJECT_REASONS, type InvocationPath, type Reply, type RejectReason } from '../core/types.ts';

const PATHS: readonly InvocationPath[] = ['warm', 'resume-local', 'resume-external', 'golden', 'cold-boot', 'rejected'];
const REASONS: readonly (RejectReason | '')[] = ['', ...REJECT_REASONS];

function pathCode(path: InvocationPath): number {
  switch (path) {
    case 'warm':
      return 0;
    case 'resume-local':
      return 1;
    case 'resume-external':
      return 2;
    case 'golden':
      return 3;
    case 'cold-boot':
      return 4;
    case 'rejected':
      return 5;
  }
}

function reasonCode(reason: RejectReason | ''): number {
  return reason === '' ? 0 : 1 + REJECT_REASONS.indexOf(reason);
}

// Numbers per reply, in this order.
const INVOCATION = 0;
const ARRIVAL = 1;
const START = 2;
const END = 3;
const PARKED = 4;
const WORKER_START = 5;
const RESTORE = 6;
const EXEC = 7;
const QUEUED = 8;
const ATTEMPTS = 9;
const NUMBERS = 10;

/**
 * Every outcome of a run as columns: numbers in one Float64Array (every bit
 * kept, NaN start times and -0 included), the actor as its index, outcome,
 * reason and path as one small code. About 90 bytes an invocation and no
 * objects, against some 300 bytes in ten objects for a kept Reply, which the
 * garbage collector would copy and trace for the rest of the run.
 * `toReplies()` gives the objects back, equal to the reply commands the core
 * would have emitted.
 */
export class ReplyLog implements OutcomeSink {
  private numbers: Float64Array;
  private actors: Int32Array;
  private codes: Uint8Array;
  private count = 0;

  /** `actorNames`: the core's actors by index; `capacity`: replies expected (the log grows past it, by doubling). */
  constructor(
    private readonly actorNames: readonly string[],
    capacity = 1024,
  ) {
    const c = Math.max(16, Math.ceil(capacity));
    this.numbers = new Float64Array(NUMBERS * c);
    this.actors = new Int32Array(c);
    this.codes = new Uint8Array(c);
  }

  /** Replies taken so far. */
  get length(): number {
    return this.count;
  }

  outcome(
    invocation: number,
    actorIndex: number,
    outcome: 'served' | 'rejected',
    reason: RejectReason | '',
    path: InvocationPath,
    arrivalMs: number,
    startMs: number,
    endMs: number,
    parkedMs: number,
    workerStartMs: number,
    restoreMs: number,
    execMs: number,
    queuedMs: number,
    attempts: number,
  ): void {
    const k = this.count;
    if (k === this.codes.length) this.grow(k * 2);
    this.count = k + 1;
    const o = k * NUMBERS;
    const n = this.numbers;
    n[o + INVOCATION] = invocation;
    n[o + ARRIVAL] = arrivalMs;
    n[o + START] = startMs;
    n[o + END] = endMs;
    n[o + PARKED] = parkedMs;
    n[o + WORKER_START] = workerStartMs;
    n[o + RESTORE] = restoreMs;
    n[o + EXEC] = execMs;
    n[o + QUEUED] = queuedMs;
    n[o + ATTEMPTS] = attempts;
    this.actors[k] = actorIndex;
    // Path in the low three bits, reason above, served in the top bit.
    this.codes[k] = pathCode(path) | (reasonCode(reason) << 3) | (outcome === 'served' ? 0x80 : 0);
  }

  /** The replies as the core emits them (reply commands, `kind` included), in order. */
  toReplies(): Reply[] {
    const out = new Array<Reply>(this.count);
    for (let k = 0; k < this.count; k++) out[k] = this.reply(k);
    return out;
  }

  /** Reply `k` as an object. */
  reply(k: number): Reply {
    if (!(k >= 0 && k < this.count)) throw new RangeError(`ReplyLog: no reply ${k} of ${this.count}`);
    const n = this.numbers;
    const o = k * NUMBERS;
    const code = this.codes[k]!;
    const reply: Reply & { readonly kind: 'reply' } = {
      kind: 'reply',
      invocation: n[o + INVOCATION]!,
      actor: this.actorNames[this.actors[k]!]!,
      outcome: (code & 0x80) !== 0 ? 'served' : 'rejected',
      reason: REASONS[(code >> 3) & 0x07]!,
      path: PATHS[code & 0x07]!,
      arrivalMs: n[o + ARRIVAL]!,
      startMs: n[o + START]!,
      endMs: n[o + END]!,
      parts: { parkedMs: n[o + PARKED]!, workerStartMs: n[o + WORKER_START]!, restoreMs: n[o + RESTORE]!, execMs: n[o + EXEC]!, queuedMs: n[o + QUEUED]! },
      attempts: n[o + ATTEMPTS]!,
    };
    return reply;
  }

  private grow(capacity: number): void {
    const numbers = new Float64Array(NUMBERS * capacity);
    numbers.set(this.numbers);
    this.numbers = numbers;
    const actors = new Int32Array(capacity);
    actors.set(this.actors);
    this.actors = actors;
    const codes = new Uint8Array(capacity);
    codes.set(this.codes);
    this.codes = codes;
  }
}

/** Hands a reply (command) to a sink as the core would have, its actor found by name among `actorNames`. */
export function replyToSink(sink: OutcomeSink, r: Reply, actorIndex: (name: string) => number): void {
  const p = r.parts;
  sink.outcome(r.invocation, actorIndex(r.actor), r.outcome, r.reason, r.path, r.arrivalMs, r.startMs, r.endMs, p.parkedMs, p.workerStartMs, p.restoreMs, p.execMs, p.queuedMs, r.attempts);
}
