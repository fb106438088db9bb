/**
 * What each real worker knows of its actors, kept by the simulated runtime
 * when requests time out (the cost profile's requestTimeout): the real driver
 * gives a restore or a checkpoint up after that long and the core sees a
 * failure, but the worker (real/worker/server.ts) carries the primitive on to
 * its end and only then lets the actor go (an abandoned restore) or idle again
 * (an abandoned checkpoint: the actor stays resident). Until then it refuses
 * every other request for that actor (already-resident, busy), and an
 * abandoned restore's slot counts as taken (slots-full). Without timeouts the
 * core's view and the worker's never differ, so none of this is kept.
 *
 * Ops are the core's per-actor stamps: an actor has at most one request in
 * flight that the core waits for, and any number of abandoned ones.
 */
export const RESTORE = 0;
export const EXECUTE = 1;
export const CHECKPOINT = 2;
export type Kind = typeof RESTORE | typeof EXECUTE | typeof CHECKPOINT;

// An actor's state on its worker.
const IDLE = 0;
/** A request the core waits for. */
const BUSY = 1;
/** A request given up by the driver and still running on the worker. */
const ABANDONED = 2;

interface Request {
  readonly op: number;
  readonly worker: number;
  readonly kind: Kind;
}

/** Failure classes as the real run's log lists them: "restore timeout 3, checkpoint busy 1", most first ('' for none). */
export function failureClassesText(classes: Readonly<Record<string, number>> | undefined): string {
  return Object.entries(classes ?? {})
    .sort((a, b) => b[1] - a[1])
    .map(([c, n]) => `${c} ${n}`)
    .join(', ');
}

export class WorkerView {
  /** Per worker, its actors by index: IDLE, BUSY or ABANDONED. */
  private readonly actors = new Map<number, Map<number, number>>();
  private readonly slots = new Map<number, number>();
  /** The request each actor's core waits for. */
  private readonly waiting = new Map<number, Request>();
  /** Abandoned requests by actor, then op. */
  private readonly abandoned = new Map<number, Map<number, Request>>();
  /** Requests given up or refused, by "<op> <why>": the real run's classes (real/driver.ts). */
  private readonly classes = new Map<string, number>();

  /** Requests given up or refused by class, most first, as the real run's log lists them. */
  failures(): Record<string, number> {
    return Object.fromEntries([...this.classes].sort((a, b) => b[1] - a[1]));
  }

  /** The class of the latest request refused or given up ("restore slots-full"), for the run's primitive log. */
  lastFailure = '';

  private count(kind: Kind, why: string): void {
    const key = `${kind === RESTORE ? 'restore' : kind === EXECUTE ? 'execute' : 'checkpoint'} ${why}`;
    this.classes.set(key, (this.classes.get(key) ?? 0) + 1);
    this.lastFailure = key;
  }

  /** A worker started, with `slots` actor slots. */
  started(worker: number, slots: number): void {
    this.actors.set(worker, new Map());
    this.slots.set(worker, slots);
  }

  /** A worker stopped or lost: it knows nothing any more, and nothing it ran will be waited for. */
  gone(worker: number): void {
    this.actors.delete(worker);
    this.slots.delete(worker);
    for (const [actor, r] of this.waiting) if (r.worker === worker) this.waiting.delete(actor);
    for (const [actor, byOp] of this.abandoned) {
      for (const [op, r] of byOp) if (r.worker === worker) byOp.delete(op);
      if (byOp.size === 0) this.abandoned.delete(actor);
    }
  }

  /**
   * Whether the worker takes a request for `actor` (and then waits for it), as
   * the real worker answers: a restore needs the actor absent and a free slot,
   * an execute or a checkpoint needs it resident and idle. False: refused at once.
   */
  begin(worker: number, actor: number, op: number, kind: Kind): boolean {
    const on = this.actors.get(worker);
    if (on === undefined) return true; // a worker the view never saw start: nothing to check against
    const state = on.get(actor);
    if (kind === RESTORE) {
      if (state !== undefined) {
        this.count(kind, 'already-resident');
        return false;
      }
      if (on.size >= this.slots.get(worker)!) {
        this.count(kind, 'slots-full');
        return false;
      }
    } else if (state !== IDLE) {
      this.count(kind, 'busy');
      return false;
    }
    on.set(actor, BUSY);
    this.waiting.set(actor, { op, worker, kind });
    return true;
  }

  /**
   * A request of `actor` and `op` ended on its worker; returns whether the
   * core waits for it (false: an abandoned one, whose end only frees the
   * actor on the worker). A refused request, never begun, is the core's too.
   */
  ended(actor: number, op: number, ok: boolean): boolean {
    const w = this.waiting.get(actor);
    if (w !== undefined && w.op === op) {
      this.waiting.delete(actor);
      this.settle(actor, w, ok);
      return true;
    }
    const byOp = this.abandoned.get(actor);
    const a = byOp?.get(op);
    if (a === undefined) return true;
    byOp!.delete(op);
    if (byOp!.size === 0) this.abandoned.delete(actor);
    // The worker tells nobody: a restore's actor leaves it, a checkpoint's stays resident (real/worker/server.ts).
    const on = this.actors.get(a.worker);
    if (on !== undefined && on.get(actor) === ABANDONED) {
      if (a.kind === RESTORE) on.delete(actor);
      else on.set(actor, IDLE);
    }
    return false;
  }

  /**
   * The driver's timeout of `actor`'s `op`: returns its kind when the core was
   * still waiting for it (it is then abandoned, and the core is told it
   * failed), or -1 when it had ended.
   */
  timedOut(actor: number, op: number): number {
    const w = this.waiting.get(actor);
    if (w === undefined || w.op !== op) return -1;
    this.waiting.delete(actor);
    let byOp = this.abandoned.get(actor);
    if (byOp === undefined) {
      byOp = new Map();
      this.abandoned.set(actor, byOp);
    }
    byOp.set(op, w);
    this.actors.get(w.worker)?.set(actor, ABANDONED);
    this.count(w.kind, 'timeout');
    return w.kind;
  }

  /** Actors the worker holds (resident, or with a request running), for tests. */
  held(worker: number): number {
    return this.actors.get(worker)?.size ?? 0;
  }

  // What the worker does with an actor once a request the core waited for ends.
  private settle(actor: number, r: Request, ok: boolean): void {
    const on = this.actors.get(r.worker);
    if (on === undefined) return;
    const leaves = r.kind === RESTORE ? !ok : r.kind === CHECKPOINT && ok;
    if (leaves) on.delete(actor);
    else on.set(actor, IDLE);
  }
}
