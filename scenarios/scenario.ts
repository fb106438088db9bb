import type { AdmissionSpec, DedicatedVariant, EvictionPolicyName, IdlePolicySpec, NodeSpec, PlacementPolicyName, ScalingSpec } from '../core/types.ts';
import type { DistributionSpec } from './distributions.ts';
import type { ArrivalSpec } from './arrivals/index.ts';

/**
 * A scenario: the cluster, the agents, their traffic, the cost of each
 * primitive, and the policy sets to compare on the same workload.
 */
export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly seed: number;
  /** Simulated time over which invocations arrive. */
  readonly durationMs: number;
  /** Invocations arriving before this are served but left out of the statistics. */
  readonly warmupMs: number;
  /**
   * How long a run goes on after `durationMs` for what is still pending; then
   * what waits ends rejected as run-ended. Absent: the simulator runs until
   * everything has its outcome (at most max(1 h, duration) more), bench:cluster's
   * driver ends max(10 s, duration) after (DRIVER_DRAIN_MIN_MS). fidelity sets it
   * in both copies, so the two halves end at the same moment.
   */
  readonly drainMs?: number;
  readonly nodes: readonly ClusterNode[];
  /** Pools as defined, before the policy sets' overrides. */
  readonly pools: readonly PoolDefinition[];
  readonly templates: readonly ScenarioTemplate[];
  readonly workload: readonly WorkloadGroup[];
  readonly costs: CostModel;
  readonly faults?: FaultSpec;
  readonly policies: readonly PolicySet[];
  /** Seeds each policy set runs with (a study's, else the scenario's seed). */
  readonly seeds?: readonly number[];
  /** The latency goal a recommended policy set must meet. */
  readonly slo?: Slo;
  /** Prices weighing worker-hours against GiB-hours; absent, cost is worker-hours, ties broken by GiB-hours. */
  readonly prices?: Prices;
}

/** Price of a worker for an hour and of a GiB of worker memory for an hour, in one currency. */
export interface Prices {
  readonly workerHour: number;
  readonly gibHour: number;
}

/** A service-level objective, in milliseconds. Absent fields are not constrained. */
export interface Slo {
  readonly p50?: number;
  readonly p90?: number;
  readonly p99?: number;
  readonly overheadP99?: number;
  /** Largest fraction of invocations that may be rejected. */
  readonly maxRejected: number;
}

/** A template with what the simulator needs beyond the core's view: its work time. */
export interface ScenarioTemplate {
  readonly name: string;
  readonly pool: string;
  readonly memoryMiB: number;
  readonly snapshotMiB: number;
  readonly golden: boolean;
  /** Work of one invocation (one agent turn). */
  readonly work: DistributionSpec;
}

/** A node: memory for the scheduler, cpu for the Kubernetes manifests. */
export interface ClusterNode extends NodeSpec {
  readonly cpuMilli?: number;
}

/** A pool as the scenario defines it; the fields the scheduler does not use go to the real runtimes. */
export interface PoolDefinition extends PoolSetup {
  readonly name: string;
  readonly workerCpuMilli?: number;
  readonly runtimeClass: string;
  readonly nodeSelector: Readonly<Record<string, string>>;
}

/** Options of a trace import, paths resolved against the scenario file. */
export interface TraceSpec {
  readonly format: 'azure-2019' | 'azure-2021' | 'native';
  readonly files: readonly string[];
  readonly durations?: readonly string[];
  readonly memory?: readonly string[];
  readonly template: string;
  readonly actorBy: 'function' | 'app';
  readonly spread: 'uniform' | 'poisson' | 'even';
  readonly sample?: number;
  readonly window?: { readonly startMs: number; readonly endMs: number };
  readonly compression: number;
}

/** One group of the workload: actors of a template with an arrival model, or a trace. */
export type WorkloadGroup =
  | { readonly kind: 'model'; readonly template: string; readonly actors: number; readonly arrivals: ArrivalSpec }
  | { readonly kind: 'trace'; readonly trace: TraceSpec };

/** Cost of moving a snapshot: a fixed part plus its size over a bandwidth. */
export interface SizeCost {
  readonly base: DistributionSpec;
  readonly mibPerSec: number;
}

/** Cost models of the runtime's primitives, sampled in virtual time. */
export interface CostModel {
  readonly name: string;
  /** Where the numbers come from. */
  readonly source: string;
  readonly workerStart: DistributionSpec;
  readonly coldBoot: DistributionSpec;
  readonly restore: { readonly local: SizeCost; readonly external: SizeCost; readonly golden: SizeCost };
  readonly checkpoint: { readonly local: SizeCost; readonly external: SizeCost };
  /** Overhead of dispatching one invocation to a resident actor. */
  readonly dispatch: DistributionSpec;
  /** How concurrent primitives slow each other down; absent, each is drawn on its own. */
  readonly contention?: ContentionSpec;
  /**
   * How long the runtime's driver waits for a restore or a checkpoint before
   * it gives the request up (the real driver: 60 s, real/worker/client.ts):
   * the core then sees a failure and retries, while the worker carries the
   * abandoned primitive on to its end (still using its share of the host)
   * and, until then, refuses any other request for that actor, and counts
   * an abandoned restore's slot as taken. Absent: no request is given up.
   */
  readonly requestTimeoutMs?: number;
}

/**
 * Processor sharing of a machine's or a node's resources: with n jobs on a
 * resource of capacity C each progresses at min(1, C / n) of its solo speed.
 */
export interface ContentionSpec {
  /** machine: one set of resources for the whole run (local workers on one host); node: one per cluster node. */
  readonly scope: 'machine' | 'node';
  /**
   * The size part of restores and checkpoints (size / bandwidth): `streams`
   * solo transfers' worth; with `local`, transfers of local snapshots (the
   * node's own disk) have a resource of their own worth `local`, and
   * `streams` is the snapshot store's (external and golden).
   */
  readonly transfers?: { readonly streams: number; readonly local?: number };
  /** Worker starts: `cpus` cpus shared, a start alone using `workerStart` of them. */
  readonly cpu?: { readonly cpus: number; readonly workerStart: number };
  /** One host model instead of `transfers` and `cpu` (issue 18): everything that uses the scope's cpus on one resource. */
  readonly host?: HostSpec;
}

/**
 * One host model: the scope's `cpus` (less `driver`, the driver's own
 * share) shared by every primitive in flight, each using its demand in cpus
 * when alone: with total demand above the capacity the cpus are shared
 * max-min fairly (every job is offered an equal share L, one needing less
 * takes its demand, the rest is split among the others) and a job runs at
 * min(1, L / demand) of its solo speed. Restores and checkpoints share their size
 * part (hashing, copying, the store's side of the transfer), worker starts
 * their whole start, dispatch its own time, and an execution its work when
 * `exec` is given (real workers that spend work on cpu: `--exec cpu`).
 */
export interface HostSpec {
  readonly cpus: number;
  readonly restore: number;
  readonly checkpoint: number;
  /** Restores of a snapshot kept on the node (no store on the way); default: `restore`. */
  readonly restoreLocal?: number;
  /** Checkpoints to the node's folder only; default: `checkpoint`. */
  readonly checkpointLocal?: number;
  readonly workerStart: number;
  readonly dispatch?: number;
  readonly exec?: number;
  /** Cpus the driver itself keeps busy, taken off the capacity (default 0). */
  readonly driver?: number;
  /**
   * Workers run under their pool's worker cpu as a limit (a Kubernetes pod's
   * cpu limit, which the k8s runtime sets when the pool gives a cpu): the jobs
   * of one worker together use at most that many cpus of the host, shared
   * max-min fairly among them. Default false: the local runtime's worker
   * processes have no limit.
   */
  readonly workerLimits?: boolean;
  /**
   * With workerLimits: what each primitive costs its worker's limit, as a
   * share of its demand: below 1 when part of the demand is spent outside
   * the worker (the snapshot store's side of a transfer, the runtime's side
   * of a start) and so not capped; above 1 when running under a limit costs
   * more than running free (a CFS quota throttles a multi-threaded gVisor
   * sandbox in bursts). Default 1 each. Calibrate --backend k8s --limited
   * fits them from each primitive measured alone on a pod with a limit.
   */
  readonly inWorker?: { readonly restore?: number; readonly checkpoint?: number; readonly workerStart?: number };
  /**
   * With workerLimits: how long each of two primitives of a kind takes when
   * they run at once under one worker's limit, over one alone, in [1, 2].
   * 2 (the default) shares the limit equally; less says part of a
   * primitive's time alone is spent waiting outside the worker (on the
   * store, the network), which the other uses: n at once then share their
   * limit as if it were n / (1 + (n - 1)(r - 1)) times larger. Calibrate
   * --backend k8s --limited measures it (two at once on the limited pod).
   */
  readonly pairUnderLimit?: { readonly restore?: number; readonly checkpoint?: number; readonly workerStart?: number };
  /**
   * The snapshot store as a bottleneck of its own: a server of `threads`
   * threads (a Node.js process: 1) that every transfer through it shares,
   * whichever worker runs it, beside the host's cpus. `restore` and
   * `checkpoint` are the threads each such transfer keeps busy alone (its
   * demand on the store; its demand on the host stays `restore` and
   * `checkpoint` above). A transfer runs at the slower of its two shares.
   * Local transfers (the node's folder) do not touch it. Without it the
   * store's work is only part of the host demands, and a local restore at
   * a peak waits as long as an upload (issue 18: 7.2 s simulated against
   * 1.2 s real, while the store's uploads took 25 s).
   */
  readonly store?: { readonly threads: number; readonly restore: number; readonly checkpoint: number };
  /**
   * Whom the cpus are shared between. `job` (the default): every primitive
   * in flight is offered an equal share. `process`: every process is, as
   * the kernel's scheduler shares cpus between runnable threads, and each
   * process shares its part between its own primitives (sim/contention.ts
   * processRates): a worker's process runs its starts, local transfers and
   * dispatches and the worker's side of its store transfers; the store's
   * process (with `store`) the store's side of every store transfer. So at a
   * peak a store serving twenty transfers gets about one worker's share of
   * the machine for all twenty, while a worker restoring from its own disk
   * keeps its share.
   */
  readonly share?: 'job' | 'process';
  /**
   * With `share: process`: a transfer to or from the node's own disk is
   * offered the host's level as a process of its own, not as a part of its
   * worker's (the default, false). A worker reads and writes its disk on
   * libuv's thread pool, so a local restore does not wait its turn behind
   * the worker's transfers through the store, which wait on the store's
   * socket. At the fleet-2000 peak (2026-12-07) real local restores ran
   * 3.4-5.6x slower than alone beside store transfers 14-27x slower, on
   * workers that each had two or three of those: part of their worker's
   * share, the simulation had them 20x. Not with a worker's cpu limit
   * (workerLimits), which caps every primitive of the worker together.
   */
  readonly localApart?: boolean;
}

/** Faults injected by the simulated runtime, from the `faults` stream of the seed. */
export interface FaultSpec {
  readonly restoreFailureRate: number;
  readonly checkpointFailureRate: number;
  /** Mean time between failures of one worker (exponential); 0 disables. */
  readonly workerMtbfMs: number;
}

/** How one pool is set up under a policy set. */
export interface PoolSetup {
  readonly mode: 'shared' | 'dedicated';
  readonly replicas: number;
  readonly actorSlots: number;
  readonly workerMemoryMiB: number;
  readonly dedicated?: { readonly variant: DedicatedVariant; readonly idleStopMs: number };
}

/** One named set of policies to compare. */
export interface PolicySet {
  readonly name: string;
  readonly pools: Readonly<Record<string, PoolSetup>>;
  readonly placement: PlacementPolicyName;
  readonly idle: IdlePolicySpec;
  readonly admission: AdmissionSpec;
  readonly eviction: EvictionPolicyName;
  readonly scaling?: ScalingSpec;
  readonly maxAttempts: number;
}
