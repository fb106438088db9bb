import type { MemoryUse } from './accounting.ts';
import { IN_PARK_QUEUE, NONE, SNAP_LOCAL } from './codes.ts';
import type { WorkerView } from './policies/placement.ts';
import { type ActorTable, R32, R8 } from './tables.ts';
import type { NodeSpec, PoolSpec, TemplateSpec, WorkerState } from './types.ts';

// The cluster as the scheduler sees it: nodes, pools and workers are few
// (thousands at most), so they are plain records; actors and invocations,
// which are many, live in the typed arrays of tables.ts.

/** A template as the scheduler keeps it: numbered, with its pool. */
export interface TemplateRt {
  readonly index: number;
  readonly spec: TemplateSpec;
  readonly pool: PoolRt;
}

/** A node and the memory its workers take. */
export interface NodeRt {
  readonly spec: NodeSpec;
  /** Interned name: nodes with the same name share it, as they shared the string. */
  readonly nameId: number;
  usedMiB: number;
}

/** A worker pod: its slots, memory and the actors holding them. */
export interface WorkerRec extends WorkerView {
  readonly id: number;
  readonly pool: PoolRt;
  readonly node: NodeRt;
  readonly nodeName: string;
  readonly nodeId: number;
  readonly actorSlots: number;
  readonly memoryMiB: number;
  state: WorkerState;
  resident: number;
  busy: number;
  memUsedMiB: number;
  /** Actors holding a slot (resuming, running or checkpointing), by index. */
  readonly actors: number[];
  /** The actor this worker belongs to, in a dedicated pool (NONE otherwise). */
  dedicatedActor: number;
  use: MemoryUse;
  /** When the worker last became empty (NaN while it hosts someone). */
  emptySinceMs: number;
  /** In its pool's `open` list. */
  open: boolean;
}

/** A worker pool: its live workers, park queue and replica target. */
export interface PoolRt {
  readonly spec: PoolSpec;
  readonly index: number;
  /** Live workers in creation order (GONE ones are removed). */
  workers: WorkerRec[];
  /** Actors waiting for a worker, in arrival order; entries whose actor no longer waits are skipped. */
  parkQueue: number[];
  /**
   * Actors of this pool that wait in the park queue (IN_PARK_QUEUE) with no
   * eviction under way for them: the waiters evictForWaiters would act on.
   * Kept by the scheduler at every change of either, so that pass stops once
   * it has seen them all instead of walking a queue that grows with the pool.
   */
  waitersWithoutEviction: number;
  /** Actors of this pool that wait in the park queue (IN_PARK_QUEUE), each once however often the queue holds it. */
  waiting: number;
  /** Replicas the pool should have now: static, or what the scaling policy last decided. */
  target: number;
  /**
   * Workers that could take an actor: READY, not an actor's own, with a free
   * slot; in creation order, kept up to date as workers change, so placing
   * an actor in a pool of thousands of workers does not scan them all.
   */
  readonly open: WorkerRec[];
  /**
   * Memory never decides: a free slot always has room for any of the pool's
   * templates (whole MiB, slots x the largest fit the worker). Then `open`
   * is exactly the candidate list of an actor not pinned to a node.
   */
  slotBound: boolean;
}

/** Adds `w` to or removes it from its pool's open list, which is kept in creation (id) order. */
export function setOpen(w: WorkerRec, open: boolean): void {
  const list = w.pool.open;
  // Sorted by id, which is creation order: binary search for w's place.
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.id < w.id) lo = mid + 1;
    else hi = mid;
  }
  // By hand rather than splice, which allocates the array of what it removed at every call
  // (and push and pop rather than setting the length, which is a call into the runtime).
  if (open) {
    list.push(w);
    for (let i = list.length - 1; i > lo; i--) list[i] = list[i - 1]!;
    list[lo] = w;
  } else if (list[lo] === w) {
    const last = list.length - 1;
    for (let i = lo; i < last; i++) list[i] = list[i + 1]!;
    list.pop();
  } else throw new Error(`worker ${w.id}: not in its pool's open list`);
  w.open = open;
}

/** Distinct actors waiting for a worker in a pool, by a scan (the check of PoolRt.waiting). */
export function waitingIn(pool: PoolRt, A: ActorTable): number {
  const met = new Set<number>();
  for (const a of pool.parkQueue) if ((A.flags[a * R8]! & IN_PARK_QUEUE) !== 0) met.add(a);
  return met.size;
}

/** Distinct actors waiting in a pool with no eviction under way for them, by a scan (the check of PoolRt.waitersWithoutEviction). */
export function waitersWithoutEviction(pool: PoolRt, A: ActorTable): number {
  const met = new Set<number>();
  for (const a of pool.parkQueue) if ((A.flags[a * R8]! & IN_PARK_QUEUE) !== 0 && A.pendingEvictions[a * R32] === 0) met.add(a);
  return met.size;
}

/** Nodes holding a waiting paused actor's snapshot where the pool has no worker. */
export function pinnedNodesWithoutWorker(pool: PoolRt, A: ActorTable, nodeNames: readonly string[]): string[] {
  const nodes: string[] = [];
  for (const a of pool.parkQueue) {
    if ((A.flags[a * R8]! & IN_PARK_QUEUE) === 0 || A.snapKind[a * R8] !== SNAP_LOCAL || A.snapNode[a * R32] === NONE) continue;
    const node = nodeNames[A.snapNode[a * R32]!]!;
    if (!nodes.includes(node) && !pool.workers.some((w) => w.nodeName === node)) nodes.push(node);
  }
  return nodes;
}

/** Where a new worker of `memoryMiB` goes: `preferNode` if it has room, else the node with the most free memory (ties to the first), or null. */
export function nodeForWorker(nodes: readonly NodeRt[], memoryMiB: number, preferNode?: string): NodeRt | null {
  const preferred = preferNode === undefined ? undefined : nodes.find((n) => n.spec.name === preferNode);
  if (preferred !== undefined && preferred.spec.memoryMiB - preferred.usedMiB >= memoryMiB) return preferred;
  // Spread workers rather than pack them.
  let node: NodeRt | null = null;
  for (const n of nodes) {
    const free = n.spec.memoryMiB - n.usedMiB;
    if (free < memoryMiB) continue;
    if (node === null || free > node.spec.memoryMiB - node.usedMiB) node = n;
  }
  return node;
}
