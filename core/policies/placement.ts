import type { PlacementPolicyName } from '../types.ts';

/** A uniform random number in [0, 1), handed in by the runtime from a seeded stream. */
export type Rng = () => number;

/** What a placement policy may look at on a candidate worker. */
export interface WorkerView {
  readonly id: number;
  readonly nodeName: string;
  /** Slots taken (resident or being restored). */
  readonly resident: number;
  /** Invocations executing now. */
  readonly busy: number;
  readonly actorSlots: number;
}

/** What a placement policy may look at on the actor being placed. */
export interface ActorPlacementView {
  /** Node that holds a local copy of the actor's newest snapshot, if any. */
  readonly snapshotNode: string | null;
}

/** Picks one of the candidate workers (all READY and with room) for an actor. Returns an index into `candidates`. */
export interface PlacementPolicy {
  readonly name: PlacementPolicyName;
  choose(candidates: readonly WorkerView[], actor: ActorPlacementView, rng: Rng): number;
}

function load(w: WorkerView): number {
  // Busy actors weigh more than idle residents: they are what slows a worker down.
  return w.resident + w.busy;
}

function pickRandom(n: number, rng: Rng): number {
  return Math.min(n - 1, Math.floor(rng() * n));
}

function leastLoaded(candidates: readonly WorkerView[], filter: (w: WorkerView) => boolean): number {
  let best = -1;
  for (let i = 0; i < candidates.length; i++) {
    const w = candidates[i]!;
    if (!filter(w)) continue;
    if (best < 0 || load(w) < load(candidates[best]!)) best = i;
  }
  return best;
}

/** Substrate's first version: any free worker, uniformly at random. */
const random: PlacementPolicy = {
  name: 'random',
  choose: (candidates, _actor, rng) => pickRandom(candidates.length, rng),
};

/** Power of two choices: sample two distinct candidates, keep the less loaded (Mitzenmacher). */
const p2c: PlacementPolicy = {
  name: 'p2c',
  choose(candidates, _actor, rng) {
    const n = candidates.length;
    if (n === 1) return 0;
    const a = pickRandom(n, rng);
    let b = pickRandom(n - 1, rng);
    if (b >= a) b += 1;
    return load(candidates[b]!) < load(candidates[a]!) ? b : a;
  },
};

/** The least loaded candidate; ties go to the oldest worker so runs are reproducible. */
const leastLoadedPolicy: PlacementPolicy = {
  name: 'least-loaded',
  choose: (candidates) => leastLoaded(candidates, () => true),
};

/** The fullest candidate that still has room: packs actors so empty workers could be released. */
const binpack: PlacementPolicy = {
  name: 'binpack',
  choose(candidates) {
    let best = 0;
    for (let i = 1; i < candidates.length; i++) {
      if (candidates[i]!.resident > candidates[best]!.resident) best = i;
    }
    return best;
  },
};

/** A worker on the node holding the actor's snapshot (a local restore), else any at random. */
const locality: PlacementPolicy = {
  name: 'locality',
  choose(candidates, actor, rng) {
    if (actor.snapshotNode !== null) {
      const node = actor.snapshotNode;
      const i = leastLoaded(candidates, (w) => w.nodeName === node);
      if (i >= 0) return i;
    }
    return pickRandom(candidates.length, rng);
  },
};

/** The resolver table: scenarios and sweeps name placement policies by these keys. */
export const PLACEMENT_POLICIES: Readonly<Record<PlacementPolicyName, PlacementPolicy>> = {
  random,
  p2c,
  'least-loaded': leastLoadedPolicy,
  binpack,
  locality,
};

/** Looks a placement policy up by name, with an error that lists the known ones. */
export function placementPolicy(name: string): PlacementPolicy {
  const p = (PLACEMENT_POLICIES as Record<string, PlacementPolicy | undefined>)[name];
  if (p === undefined) {
    throw new Error(`unknown placement policy "${name}" (known: ${Object.keys(PLACEMENT_POLICIES).join(', ')})`);
  }
  return p;
}
