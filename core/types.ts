/**
 * Vocabulary of the scheduler core: configuration, the commands it emits and
 * the outcomes it reports. Everything here is plain data so that the simulator
 * and the real driver can log, compare and replay it.
 */

/** Actor states, as in Agent Substrate. */
export type ActorState = 'SUSPENDED' | 'RESUMING' | 'RUNNING' | 'SUSPENDING' | 'PAUSING' | 'PAUSED';

/** Worker states, as in Agent Substrate. */
export type WorkerState = 'STARTING' | 'READY' | 'DRAINING' | 'GONE';

/** How an invocation found its actor resident (or not). */
export type InvocationPath = 'warm' | 'resume-local' | 'resume-external' | 'golden' | 'cold-boot' | 'rejected';

/** Where a restore reads its state from. `cold` is a boot with no snapshot. */
export type RestoreSource = 'local' | 'external' | 'golden' | 'cold';

/** Where a checkpoint writes: object storage (survives node loss) or the node's disk (a pause). */
export type CheckpointTarget = 'external' | 'local';

/** Why an invocation was rejected. Every rejection carries exactly one. */
export type RejectReason =
  | 'no-free-worker' // nothing free and parking disabled (Substrate's early 503)
  | 'park-full' // the parking bound in count was reached
  | 'park-timeout' // parked longer than the parking budget
  | 'restore-failed' // restores kept failing past the retry budget
  | 'worker-lost' // the worker died mid-invocation past the retry budget
  | 'execution-failed' // the runtime reported the execution itself failed
  | 'run-ended'; // the run stopped (end of the trace, Ctrl-C) before the invocation got a worker or finished

/** All reject reasons, in the order reports list them. */
export const REJECT_REASONS: readonly RejectReason[] = [
  'no-free-worker',
  'park-full',
  'park-timeout',
  'restore-failed',
  'worker-lost',
  'execution-failed',
  'run-ended',
];

/** A node of the cluster: workers are placed on nodes within their memory. */
export interface NodeSpec {
  readonly name: string;
  readonly memoryMiB: number;
}

/** How a dedicated pool (one worker per actor) behaves. */
export type DedicatedVariant = 'always-on' | 'scale-to-zero';

/** A pool of workers. `shared` hosts many actors per pool; `dedicated` gives each actor its own worker. */
export interface PoolSpec {
  readonly name: string;
  readonly mode: 'shared' | 'dedicated';
  /** Static replica count of a shared pool (ignored by dedicated pools). */
  readonly replicas: number;
  /** Resident actors a worker may host at once (Substrate's default is 1). */
  readonly actorSlots: number;
  readonly workerMemoryMiB: number;
  /** Dedicated pools only. */
  readonly dedicated?: {
    readonly variant: DedicatedVariant;
    /** scale-to-zero: stop the worker after this long idle. */
    readonly idleStopMs: number;
  };
}

/** The blueprint of an agent. */
export interface TemplateSpec {
  readonly name: string;
  readonly pool: string;
  /** Resident memory of one actor of this template. */
  readonly memoryMiB: number;
  readonly snapshotBytes: number;
  /** New actors start from a golden snapshot when true, else they boot cold. */
  readonly golden: boolean;
}

/** Idle policy, chosen by name. `action` says whether idling checkpoints externally (suspend) or locally (pause). */
export type IdlePolicySpec =
  | { readonly kind: 'never' }
  | { readonly kind: 'ttl'; readonly ttlMs: number; readonly action: 'suspend' | 'pause' }
  | { readonly kind: 'immediate'; readonly action: 'suspend' | 'pause' }
  | HybridHistogramSpec;

/**
 * The hybrid histogram keep-alive policy of Shahrad et al., "Serverless in
 * the Wild" (USENIX ATC 2020), per actor: a histogram of idle times; leave at
 * once and pre-warm at the head percentile, or stay until the tail
 * percentile; a fixed TTL while the histogram is not representative.
 */
export interface HybridHistogramSpec {
  readonly kind: 'hybrid-histogram';
  readonly action: 'suspend' | 'pause';
  /** Width of one bin (the paper: 1 minute). */
  readonly binMs: number;
  /** Range the histogram covers (the paper: 4 hours); longer idle times are out of bounds. */
  readonly rangeMs: number;
  /** Percentile of idle times at which to pre-warm (the paper: 5th). */
  readonly headPercentile: number;
  /** Percentile of idle times to keep alive until (the paper: 99th). */
  readonly tailPercentile: number;
  /** Margin taken off the pre-warm time and added to the keep-alive (the paper: 10%). */
  readonly margin: number;
  /** Coefficient of variation of bin counts below which the histogram is not representative (the paper: 2). */
  readonly cvThreshold: number;
  /** Idle times needed before the histogram is trusted. */
  readonly minSamples: number;
  /** Keep-alive while not representative (the paper's standard keep-alive: 4 hours). */
  readonly fallbackTtlMs: number;
}

/** Pool scaling policy, chosen by name. Shared pools only; `static` keeps the pool's replicas. */
export type ScalingSpec =
  | { readonly kind: 'static' }
  | {
      readonly kind: 'target-utilization';
      /** Fraction of actor slots in use the policy aims at. */
      readonly target: number;
      readonly minReplicas: number;
      readonly maxReplicas: number;
      /** Scale down only to the highest recommendation of this trailing window (the HPA's stabilization). */
      readonly stabilizationMs: number;
      readonly intervalMs: number;
    }
  | {
      readonly kind: 'parking';
      /** Workers added per interval while invocations are parked. */
      readonly step: number;
      readonly minReplicas: number;
      readonly maxReplicas: number;
      /** Remove one empty worker after this long with nothing parked. */
      readonly quietMs: number;
      readonly intervalMs: number;
    }
  | {
      readonly kind: 'scale-to-zero';
      readonly maxReplicas: number;
      /** Stop a worker that has hosted nobody for this long; start one when an actor waits. */
      readonly idleMs: number;
      readonly intervalMs: number;
    };

/** Eviction policy when a placement finds no room. */
export type EvictionPolicyName = 'lru' | 'greedy-dual' | 'none';

/** Placement policy names. */
export type PlacementPolicyName = 'random' | 'p2c' | 'least-loaded' | 'binpack' | 'locality';

/** Admission: how long and how many invocations may wait for a free worker. Zero and zero is Substrate's early 503. */
export interface AdmissionSpec {
  readonly parkTimeoutMs: number;
  readonly maxParked: number;
}

/** Everything the core needs to schedule one run. */
export interface CoreConfig {
  readonly nodes: readonly NodeSpec[];
  readonly pools: readonly PoolSpec[];
  readonly templates: readonly TemplateSpec[];
  readonly placement: PlacementPolicyName;
  readonly idle: IdlePolicySpec;
  readonly admission: AdmissionSpec;
  /** Which idle resident actors to evict when a placement finds no room. */
  readonly eviction: EvictionPolicyName;
  /** How shared pools scale (default static). */
  readonly scaling?: ScalingSpec;
  /** Attempts an invocation gets across restore failures and worker losses (1 = no retry). */
  readonly maxAttempts: number;
}

/** An invocation handed to the core by a runtime. */
export interface InvocationInput {
  /** Unique per run, chosen by the runtime. */
  readonly id: number;
  readonly actor: string;
  readonly template: string;
  /** Amount of work, in milliseconds of execution. */
  readonly workMs: number;
}

/** Latency breakdown of one invocation; the parts add up to end - arrival. */
export interface LatencyParts {
  /** Waiting for a free worker. */
  parkedMs: number;
  /** Waiting for the actor's own (dedicated) worker to start. */
  workerStartMs: number;
  /** Waiting for the actor's restore or cold boot. */
  restoreMs: number;
  /** Executing. */
  execMs: number;
  /** Waiting behind the actor's earlier invocations or an in-flight checkpoint. */
  queuedMs: number;
}

/** The one outcome of an invocation. */
export interface Reply {
  readonly invocation: number;
  readonly actor: string;
  readonly outcome: 'served' | 'rejected';
  readonly reason: RejectReason | '';
  readonly path: InvocationPath;
  readonly arrivalMs: number;
  /** Start of execution; NaN when rejected. */
  readonly startMs: number;
  readonly endMs: number;
  readonly parts: Readonly<LatencyParts>;
  readonly attempts: number;
}

/** Commands the core emits; a runtime executes them and reports back with events. */
export type Command =
  | { readonly kind: 'startWorker'; readonly worker: number; readonly pool: string; readonly node: string; readonly memoryMiB: number }
  | { readonly kind: 'stopWorker'; readonly worker: number }
  | {
      readonly kind: 'restore';
      readonly op: number;
      readonly actor: string;
      readonly actorIndex: number;
      readonly worker: number;
      readonly source: RestoreSource;
      /** Version of the snapshot to restore (0 for golden or cold). */
      readonly version: number;
      readonly snapshotBytes: number;
      readonly template: string;
    }
  | {
      readonly kind: 'execute';
      readonly op: number;
      readonly actor: string;
      readonly actorIndex: number;
      readonly worker: number;
      readonly invocation: number;
      readonly workMs: number;
    }
  | {
      readonly kind: 'checkpoint';
      readonly op: number;
      readonly actor: string;
      readonly actorIndex: number;
      readonly worker: number;
      readonly target: CheckpointTarget;
      /** Version the snapshot will hold: the count of invocations the actor has served. */
      readonly version: number;
      readonly snapshotBytes: number;
    }
  | { readonly kind: 'setTimer'; readonly atMs: number; readonly timer: TimerKind; readonly id: number; readonly stamp: number }
  | ({ readonly kind: 'reply' } & Reply);

/** Timers the core asks for. A timer carries a stamp; a stale stamp is ignored when it fires. */
export type TimerKind = 'idle' | 'park' | 'stop' | 'retry' | 'prewarm' | 'scale';

/** Numeric codes of timer kinds, for runtimes that keep timers in typed arrays. */
export const TIMER_CODES: Readonly<Record<TimerKind, number>> = { idle: 0, park: 1, stop: 2, retry: 3, prewarm: 4, scale: 5 };
/** Timer kinds by numeric code. */
export const TIMER_KINDS: readonly TimerKind[] = ['idle', 'park', 'stop', 'retry', 'prewarm', 'scale'];
