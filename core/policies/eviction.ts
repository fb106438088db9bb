import { NONE, SNAP_LOCAL } from '../codes.ts';
import type { IdleIndex } from '../idle-index.ts';
import type { PoolRt, TemplateRt } from '../pools.ts';
import { type ActorTable, isEvictable, R16, R32, R64, R8 } from '../tables.ts';
import type { EvictionPolicyName, TemplateSpec } from '../types.ts';

/** What `victims` returns when some worker the waiter may use has room already: nothing to evict. */
export const ROOM_WITHOUT_EVICTING = -1;

/**
 * Decides which idle resident actors leave their worker so that an actor
 * waiting for a slot fits. It only decides: the scheduler checkpoints them.
 */
export interface EvictionPolicy {
  readonly name: EvictionPolicyName;
  /** False when waiters never take the place of idle actors (`none`). */
  readonly evicts: boolean;
  /**
   * Writes to `out` the victims that make room for `waiter` on one worker of
   * `pool` and returns how many; 0 when no worker it may use can make room;
   * ROOM_WITHOUT_EVICTING when one has room already. `index` holds the
   * pool's candidates, up to date; a policy may answer from it instead of
   * scanning the workers when it gives the same victims.
   */
  victims(pool: PoolRt, waiter: number, actors: ActorTable, templates: readonly TemplateRt[], out: number[], index?: IdleIndex): number;
}

/**
 * Tests turn this on: every answer the LRU policy takes from the index is
 * then checked against the scan it replaces, and a difference throws.
 */
export const evictionCrossCheck = { on: false, checked: 0 };

/** Waiters wait; nothing is evicted. */
class NoEviction implements EvictionPolicy {
  readonly name = 'none';
  readonly evicts = false;
  victims(): number {
    return ROOM_WITHOUT_EVICTING;
  }
}

/**
 * The victim search shared by the ranked policies: on each worker the waiter
 * may use, idle residents are taken lowest rank first until it would fit; the
 * worker whose highest taken rank is lowest wins (ties: fewer victims). One
 * batch per waiter at a time (the scheduler's rule), so a burst of waiters
 * cannot empty a pool.
 */
abstract class RankedEviction implements EvictionPolicy {
  abstract readonly name: EvictionPolicyName;
  readonly evicts = true;
  // Scratch: one worker's idle residents in rank order, their ranks beside them; reused so a search allocates nothing.
  private idle = new Int32Array(64);
  private ranks = new Float64Array(64);

  /** An idle resident's rank as a victim in pool `pool`: the lowest leaves first. */
  protected abstract rank(pool: number, v: number, actors: ActorTable, template: TemplateSpec): number;

  /** Victims up to rank `rank` were chosen in pool `pool`. */
  protected chose(_pool: number, _rank: number): void {}

  victims(pool: PoolRt, waiter: number, A: ActorTable, templates: readonly TemplateRt[], out: number[], _index?: IdleIndex): number {
    return this.scan(pool, waiter, A, templates, out);
  }

  /** The search over every worker the waiter may use. */
  protected scan(pool: PoolRt, waiter: number, A: ActorTable, templates: readonly TemplateRt[], out: number[]): number {
    const need = templates[A.template[waiter * R16]!]!.spec.memoryMiB;
    const pinned = A.snapKind[waiter * R8] === SNAP_LOCAL ? A.snapNode[waiter * R32]! : NONE;
    let idle = this.idle;
    let ranks = this.ranks;
    let bestCount = 0;
    // A worker that has room without evicting is passed over, but a bigger waiter might evict there.
    let roomWithout = false;
    let bestNewest = Number.POSITIVE_INFINITY;
    const workers = pool.workers;
    for (let wi = 0; wi < workers.length; wi++) {
      const w = workers[wi]!;
      if (w.state !== 'READY' || w.dedicatedActor !== NONE) continue;
      if (pinned !== NONE && w.nodeId !== pinned) continue;
      const residents = w.actors;
      if (residents.length > idle.length) {
        idle = this.idle = new Int32Array(residents.length * 2);
        ranks = this.ranks = new Float64Array(residents.length * 2);
      }
      // An insertion sort (ties by index): a worker hosts a handful of actors.
      let n = 0;
      for (let j = 0; j < residents.length; j++) {
        const v = residents[j]!;
        if (!isEvictable(A, v)) continue;
        const key = this.rank(pool.index, v, A, templates[A.template[v * R16]!]!.spec);
        let i = n++;
        while (i > 0) {
          const u = idle[i - 1]!;
          const ku = ranks[i - 1]!;
          if (!(ku - key > 0 || (!(ku - key < 0) && u > v))) break;
          idle[i] = u;
          ranks[i] = ku;
          i -= 1;
        }
        idle[i] = v;
        ranks[i] = key;
      }
      if (n === 0) continue;
      // The lowest ranks first until the waiter fits: the victims are a prefix of `idle`.
      let slots = w.actorSlots - w.resident;
      let mem = w.memoryMiB - w.memUsedMiB;
      let m = 0;
      while (m < n && !(slots >= 1 && mem >= need)) {
        slots += 1;
        mem += templates[A.template[(idle[m]!) * R16]!]!.spec.memoryMiB;
        m += 1;
      }
      if (m === 0) roomWithout = true;
      if (!(slots >= 1 && mem >= need) || m === 0) continue;
      const newest = ranks[m - 1]!;
      if (bestCount === 0 || newest < bestNewest || (newest === bestNewest && m < bestCount)) {
        for (let k = 0; k < m; k++) out[k] = idle[k]!;
        bestCount = m;
        bestNewest = newest;
      }
    }
    if (bestCount === 0) return roomWithout ? ROOM_WITHOUT_EVICTING : 0;
    this.chose(pool.index, bestNewest);
    return bestCount;
  }
}

/** Least recently used: the idle actor whose last use is oldest leaves first. */
class LruEviction extends RankedEviction {
  readonly name = 'lru';
  private readonly check: number[] = [];

  protected rank(_pool: number, v: number, A: ActorTable): number {
    return A.lastUsedMs[v * R64]!;
  }

  /**
   * When a free slot always has room for any template of the pool
   * (slotBound) and the waiter is not pinned to a node, the scan takes one
   * victim: the idle resident with the oldest last use on a worker with no
   * free slot, ties to the worker created first and then to the lower actor
   * index. That is the top of the index's heap, whose key is that order.
   */
  override victims(pool: PoolRt, waiter: number, A: ActorTable, templates: readonly TemplateRt[], out: number[], index?: IdleIndex): number {
    if (index === undefined || !pool.slotBound || A.snapKind[waiter * R8] === SNAP_LOCAL) return this.scan(pool, waiter, A, templates, out);
    const v = index.lruOnFull(pool.index);
    let n: number;
    if (v !== NONE) {
      out[0] = v;
      n = 1;
    } else {
      n = index.onOpen(pool.index) > 0 ? ROOM_WITHOUT_EVICTING : 0;
    }
    if (evictionCrossCheck.on) {
      evictionCrossCheck.checked += 1;
      const m = this.scan(pool, waiter, A, templates, this.check);
      if (m !== n || (n === 1 && this.check[0] !== v)) {
        throw new Error(`lru eviction index: ${n === 1 ? `victim ${v}` : n} where the scan gives ${m === 1 ? `victim ${this.check[0]}` : m} (waiter ${waiter})`);
      }
    }
    return n;
  }
}

/**
 * Greedy-Dual-Size-Frequency (FaasCache, Fuerst and Sharma, ASPLOS 2021):
 * priority = clock + frequency x cost / size. Cost is what bringing the
 * actor back would take, which grows with its snapshot (1 + snapshot/64 MiB);
 * size is its memory in units of 256 MiB. The lowest priority is evicted,
 * and the pool's clock rises to it, so long-unused actors age out.
 */
class GreedyDualEviction extends RankedEviction {
  readonly name = 'greedy-dual';
  /** Each pool's clock: the priority of its last victim. */
  private readonly clock: Float64Array;

  constructor(pools: number) {
    super();
    this.clock = new Float64Array(pools);
  }

  protected rank(pool: number, v: number, A: ActorTable, spec: TemplateSpec): number {
    const cost = 1 + spec.snapshotBytes / (64 * 1024 * 1024);
    const size = spec.memoryMiB / 256;
    return this.clock[pool]! + (A.frequency[v * R32]! * cost) / size;
  }

  protected override chose(pool: number, rank: number): void {
    this.clock[pool] = Math.max(this.clock[pool]!, rank);
  }
}

/** Some worker of the pool a victim search looks at holds an idle resident not already being evicted. */
export function anyEvictable(pool: PoolRt, A: ActorTable): boolean {
  for (const w of pool.workers) {
    if (w.state !== 'READY' || w.dedicatedActor !== NONE) continue;
    for (const v of w.actors) if (isEvictable(A, v)) return true;
  }
  return false;
}

/** The eviction policies by name; each is built for a scheduler of `pools` pools. */
export const EVICTION_POLICIES: Readonly<Record<EvictionPolicyName, (pools: number) => EvictionPolicy>> = {
  none: () => new NoEviction(),
  lru: () => new LruEviction(),
  'greedy-dual': (pools) => new GreedyDualEviction(pools),
};
