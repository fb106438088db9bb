/**
 * The store's memory of used grants, which makes every grant single-use.
 *
 * A grant (grants.ts) carries a random id. The first request a grant allows
 * records `<id>:<op>` here; a second request with the same grant and the same
 * operation class is a replay and is refused (403), however many minutes of
 * its lifetime are left. An entry is kept only as long as its grant could
 * still verify (expiry plus the skew allowance, by the store's clock): after
 * that the verifier refuses the grant as expired on its own, so the entry is
 * dropped and memory stays bounded by the grants used in the last lifetime.
 * On top of that a cap: a store that would have to remember more refuses the
 * request (503, retry later) rather than forget a live entry, which would
 * reopen replays.
 *
 * Reads are single-use too, one read and one write per grant at most. The
 * worker's use of grants (real/worker/server.ts) allows it without breaking
 * anything:
 * - a restore reads its snapshot with one GET and streams the body from that
 *   one response (however large); it never sends HEAD first;
 * - a restore from the node's disk that falls back to the store makes that
 *   one GET only when the disk copy is missing or stale;
 * - a golden restore's `rw` grant makes one GET and, only if the golden
 *   snapshot is missing, one PUT: a different operation class, so allowed;
 *   a read that finds the snapshot spends the write too (the store's server
 *   does that), so the grant cannot overwrite the golden snapshot later;
 * - neither the worker nor its store client retries a store request; a
 *   failed restore or checkpoint is retried by the core as a new command, and
 *   every command gets a freshly minted grant (real/worker-commands.ts).
 * What it buys: a worker that once restored actor A cannot keep reading A's
 * later snapshots (written by other workers) for the rest of the grant's
 * 5 minutes, and a grant that leaks from a log or a request is spent.
 * A future caller that must read twice (HEAD then GET, a resumed download)
 * needs one grant per request from the driver, not a longer-lived one.
 */

/** What using a grant came to. */
export type GrantUse =
  | 'first' // allowed: the grant had not been used for this operation
  | 'replay' // refused: already used for this operation
  | 'expired' // refused: the ledger may already have forgotten a grant this old (the store's clock stepped back)
  | 'full'; // refused: remembering it would exceed the cap

/** Default cap on remembered uses: about 40 MB at ~150 bytes each, ~700 grant uses per second over a 6-minute lifetime. */
export const DEFAULT_MAX_USED_GRANTS = 262_144;

interface Entry {
  readonly dropAfterMs: number;
  readonly use: string;
}

/** Used grant ids, each kept until its grant could no longer verify; see the file comment. */
export class GrantLedger {
  private readonly dropAfter = new Map<string, number>();
  // A binary min-heap on dropAfterMs: expiry order is not use order (grants are used out of mint order).
  private readonly heap: Entry[] = [];
  private readonly maxEntries: number;
  private readonly now: () => number;
  // The latest time entries were dropped at: a grant valid only before it may have been forgotten.
  private forgottenUpToMs = -Infinity;

  constructor(options: { readonly maxEntries?: number; readonly now?: () => number } = {}) {
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_USED_GRANTS;
    if (!Number.isSafeInteger(this.maxEntries) || this.maxEntries < 1) throw new Error(`grant ledger: bad maxEntries ${this.maxEntries}`);
    this.now = options.now ?? Date.now;
  }

  /**
   * Records the use of grant `id` for `op` ('r' or 'w'), remembered until
   * `lastValidMs` (the grant's expiry plus the skew allowance); says whether
   * the use is allowed. `room` entries must be free for it (2 where a second
   * entry may follow, see {@link spend}). Synchronous, so two concurrent
   * requests with one grant can never both be first.
   */
  use(id: string, op: 'r' | 'w', lastValidMs: number, room: 1 | 2 = 1): GrantUse {
    const nowMs = this.now();
    this.dropExpired(nowMs);
    const use = `${id}:${op}`;
    if (this.dropAfter.has(use)) return 'replay';
    if (lastValidMs <= this.forgottenUpToMs) return 'expired';
    if (this.dropAfter.size + room > this.maxEntries) return 'full';
    this.record(use, lastValidMs);
    return 'first';
  }

  /**
   * Marks `op` of grant `id` spent without it being used, e.g. the write of
   * a golden restore's grant once its read found the snapshot (the worker
   * publishes only a missing one); false if the cap leaves no room (other
   * requests took the room `use(..., 2)` saw), and the caller must refuse.
   */
  spend(id: string, op: 'r' | 'w', lastValidMs: number): boolean {
    const use = `${id}:${op}`;
    if (this.dropAfter.has(use)) return true;
    if (this.dropAfter.size >= this.maxEntries) return false;
    this.record(use, lastValidMs);
    return true;
  }

  private record(use: string, lastValidMs: number): void {
    this.dropAfter.set(use, lastValidMs);
    this.push({ dropAfterMs: lastValidMs, use });
  }

  /** Uses remembered now (expired ones are dropped first). */
  size(): number {
    this.dropExpired(this.now());
    return this.dropAfter.size;
  }

  /** Milliseconds until the oldest remembered use is dropped, 0 if none is remembered (a Retry-After for 'full'). */
  nextDropInMs(): number {
    const first = this.heap[0];
    return first === undefined ? 0 : Math.max(0, first.dropAfterMs - this.now() + 1);
  }

  /** The cap this ledger refuses at. */
  get capacity(): number {
    return this.maxEntries;
  }

  private dropExpired(nowMs: number): void {
    // An entry goes once its grant would be refused as expired: now > lastValidMs.
    for (let top = this.heap[0]; top !== undefined && top.dropAfterMs < nowMs; top = this.heap[0]) {
      this.pop();
      this.dropAfter.delete(top.use);
      if (top.dropAfterMs > this.forgottenUpToMs) this.forgottenUpToMs = top.dropAfterMs;
    }
  }

  private push(entry: Entry): void {
    const h = this.heap;
    h.push(entry);
    for (let i = h.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.dropAfterMs <= h[i]!.dropAfterMs) break;
      [h[parent], h[i]] = [h[i]!, h[parent]!];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (last === undefined || h.length === 0) return;
    h[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let least = i;
      if (l < h.length && h[l]!.dropAfterMs < h[least]!.dropAfterMs) least = l;
      if (r < h.length && h[r]!.dropAfterMs < h[least]!.dropAfterMs) least = r;
      if (least === i) return;
      [h[least], h[i]] = [h[i]!, h[least]!];
      i = least;
    }
  }
}
