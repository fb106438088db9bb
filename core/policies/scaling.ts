import type { PoolRt } from '../pools.ts';
import type { ScalingSpec } from '../types.ts';

/** The scaling spec of one kind. */
type SpecOf<K extends ScalingSpec['kind']> = Extract<ScalingSpec, { kind: K }>;

/**
 * Decides how many workers a shared pool should have. It only decides: the
 * scheduler starts workers up to the target and stops empty ones above it.
 */
export interface ScalingPolicy {
  readonly name: ScalingSpec['kind'];
  /** False for `static`: the pool keeps its replicas and is never evaluated. */
  readonly adjusts: boolean;
  /** Time between evaluations of each pool. */
  readonly intervalMs: number;
  readonly maxReplicas: number;
  /** The replicas a shared pool starts with, given those its spec asks for. */
  initial(replicas: number): number;
  /** An actor of `pool` found no free worker at `nowMs`: the replicas to have at once. */
  onWait(pool: PoolRt, nowMs: number): number;
  /** One evaluation at `nowMs` with `waiting` actors parked: the replicas the pool should have. */
  target(pool: PoolRt, waiting: number, nowMs: number): number;
}

/** The pool keeps the replicas its spec gives. */
class StaticScaling implements ScalingPolicy {
  readonly name = 'static';
  readonly adjusts = false;
  readonly intervalMs = 0;
  readonly maxReplicas = Number.POSITIVE_INFINITY;
  initial(replicas: number): number {
    return replicas;
  }
  onWait(pool: PoolRt): number {
    return pool.target;
  }
  target(pool: PoolRt): number {
    return pool.target;
  }
}

/**
 * The Kubernetes HPA's rule on actor slots: desired = ceil(current x
 * utilization / target), waiting actors counted as demand; up at once, down
 * only to the highest recommendation of the stabilization window.
 */
class TargetUtilization implements ScalingPolicy {
  readonly name = 'target-utilization';
  readonly adjusts = true;
  readonly intervalMs: number;
  readonly maxReplicas: number;
  /** Each pool's recommendations of the trailing window. */
  private readonly recommendations: { atMs: number; replicas: number }[][];

  constructor(
    private readonly spec: SpecOf<'target-utilization'>,
    pools: number,
  ) {
    this.intervalMs = spec.intervalMs;
    this.maxReplicas = spec.maxReplicas;
    this.recommendations = Array.from({ length: pools }, () => []);
  }

  initial(replicas: number): number {
    return Math.min(this.spec.maxReplicas, Math.max(this.spec.minReplicas, replicas));
  }

  onWait(pool: PoolRt): number {
    return pool.target;
  }

  target(pool: PoolRt, waiting: number, nowMs: number): number {
    const sc = this.spec;
    const slots = pool.spec.actorSlots;
    const current = pool.workers.length;
    let used = waiting;
    for (const w of pool.workers) used += w.resident;
    const capacity = current * slots;
    const desired = capacity === 0 ? Math.ceil(used / slots / sc.target) : Math.ceil((current * (used / capacity)) / sc.target);
    const clamped = Math.min(sc.maxReplicas, Math.max(sc.minReplicas, desired));
    const recs = this.recommendations[pool.index]!;
    recs.push({ atMs: nowMs, replicas: clamped });
    while (recs.length > 0 && recs[0]!.atMs < nowMs - sc.stabilizationMs) recs.shift();
    return clamped >= current ? clamped : Math.max(...recs.map((r) => r.replicas));
  }
}

/** Substrate-style: add `step` workers per interval while actors are parked; remove one per quiet window. */
class ParkingScaling implements ScalingPolicy {
  readonly name = 'parking';
  readonly adjusts = true;
  readonly intervalMs: number;
  readonly maxReplicas: number;
  /** When an actor of each pool last waited (or the pool last stepped down). */
  private readonly lastWaitMs: Float64Array;

  constructor(
    private readonly spec: SpecOf<'parking'>,
    pools: number,
  ) {
    this.intervalMs = spec.intervalMs;
    this.maxReplicas = spec.maxReplicas;
    this.lastWaitMs = new Float64Array(pools);
  }

  initial(replicas: number): number {
    return Math.min(this.spec.maxReplicas, Math.max(this.spec.minReplicas, replicas));
  }

  onWait(pool: PoolRt, nowMs: number): number {
    this.lastWaitMs[pool.index] = nowMs;
    return pool.target;
  }

  target(pool: PoolRt, waiting: number, nowMs: number): number {
    const sc = this.spec;
    const current = pool.workers.length;
    if (waiting > 0) {
      this.lastWaitMs[pool.index] = nowMs;
      return Math.min(sc.maxReplicas, current + sc.step);
    }
    if (nowMs - this.lastWaitMs[pool.index]! >= sc.quietMs && current > sc.minReplicas) {
      this.lastWaitMs[pool.index] = nowMs; // one step down per quiet window
      return current - 1;
    }
    return Math.max(sc.minReplicas, current);
  }
}

/** Knative-style: start a worker the moment an actor waits in an empty pool; stop workers empty for `idleMs`. */
class ScaleToZero implements ScalingPolicy {
  readonly name = 'scale-to-zero';
  readonly adjusts = true;
  readonly intervalMs: number;
  readonly maxReplicas: number;

  constructor(private readonly spec: SpecOf<'scale-to-zero'>) {
    this.intervalMs = spec.intervalMs;
    this.maxReplicas = spec.maxReplicas;
  }

  initial(replicas: number): number {
    return Math.min(this.spec.maxReplicas, Math.max(0, replicas));
  }

  onWait(pool: PoolRt): number {
    // Scale from zero reacts at once, as Knative's activator does: nobody else will.
    return pool.workers.length === 0 && pool.target < this.spec.maxReplicas ? pool.target + 1 : pool.target;
  }

  target(pool: PoolRt, waiting: number, nowMs: number): number {
    const sc = this.spec;
    const current = pool.workers.length;
    if (waiting > 0) {
      let starting = 0;
      for (const w of pool.workers) if (w.state === 'STARTING') starting += 1;
      return Math.min(sc.maxReplicas, Math.max(current, current + Math.ceil(waiting / pool.spec.actorSlots) - starting));
    }
    let stale = 0;
    for (const w of pool.workers) if (w.state === 'READY' && w.resident === 0 && nowMs - w.emptySinceMs >= sc.idleMs) stale += 1;
    return current - stale;
  }
}

/** The scaling policies by kind; each is built from its spec for a scheduler of `pools` pools. */
export const SCALING_POLICIES: { readonly [K in ScalingSpec['kind']]: (spec: SpecOf<K>, pools: number) => ScalingPolicy } = {
  static: () => new StaticScaling(),
  'target-utilization': (spec, pools) => new TargetUtilization(spec, pools),
  parking: (spec, pools) => new ParkingScaling(spec, pools),
  'scale-to-zero': (spec) => new ScaleToZero(spec),
};
