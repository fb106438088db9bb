import { REJECT_REASONS, type InvocationPath, type Reply, type RejectReason } from '../core/types.ts';

/** Where a simulated run puts the replies (one outcome per invocation) the core emits. */
export interface ReplySink {
  /** Takes one reply; the object is the core's and may be dropped once read. */
  add(reply: Reply): void;
}

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
 * Every reply of a run as columns: numbers in one Float64Array (every bit
 * kept, NaN start times and -0 included), the actor's name (the core's own
 * string, shared), outcome, reason and path as small codes. About 90 bytes a
 * reply and one pointer, against some 300 bytes in ten objects for a kept
 * Reply, which the garbage collector would copy and trace for the rest of the run.
 * `toReplies()` gives the objects back, equal to what the core emitted.
 */
export class ReplyLog implements ReplySink {
  private numbers: Float64Array;
  private actors: string[];
  private codes: Uint8Array;
  private count = 0;

  /** `capacity`: replies expected (the log grows past it, by doubling). */
  constructor(capacity = 1024) {
    const c = Math.max(16, Math.ceil(capacity));
    this.numbers = new Float64Array(NUMBERS * c);
    this.codes = new Uint8Array(c);
    this.actors = new Array<string>(c).fill('');
  }

  /** Replies taken so far. */
  get length(): number {
    return this.count;
  }

  add(reply: Reply): void {
    const k = this.count;
    if (k === this.codes.length) this.grow(k * 2);
    this.count = k + 1;
    const o = k * NUMBERS;
    const n = this.numbers;
    const parts = reply.parts;
    n[o + INVOCATION] = reply.invocation;
    n[o + ARRIVAL] = reply.arrivalMs;
    n[o + START] = reply.startMs;
    n[o + END] = reply.endMs;
    n[o + PARKED] = parts.parkedMs;
    n[o + WORKER_START] = parts.workerStartMs;
    n[o + RESTORE] = parts.restoreMs;
    n[o + EXEC] = parts.execMs;
    n[o + QUEUED] = parts.queuedMs;
    n[o + ATTEMPTS] = reply.attempts;
    this.actors[k] = reply.actor;
    // Path in the low three bits, reason above, served in the top bit.
    this.codes[k] = pathCode(reply.path) | (reasonCode(reply.reason) << 3) | (reply.outcome === 'served' ? 0x80 : 0);
  }

  /** The replies as the core emitted them (reply commands, `kind` included), in order. */
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
      actor: this.actors[k]!,
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
    const actors = new Array<string>(capacity).fill('');
    for (let k = 0; k < this.count; k++) actors[k] = this.actors[k]!;
    this.actors = actors;
    const codes = new Uint8Array(capacity);
    codes.set(this.codes);
    this.codes = codes;
  }
}
