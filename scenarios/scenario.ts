import type { AdmissionSpec, DedicatedVariant, IdlePolicySpec, NodeSpec, PlacementPolicyName } from '../core/types.ts';
import type { DistributionSpec } from './distributions.ts';

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
  readonly nodes: readonly NodeSpec[];
  readonly templates: readonly ScenarioTemplate[];
  readonly workload: WorkloadSpec;
  readonly costs: CostModel;
  readonly faults?: FaultSpec;
  readonly policies: readonly PolicySet[];
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

/** Agent sessions: each agent opens sessions at a low, day/night-modulated rate; a session is several turns separated by think time. */
export interface SessionWorkload {
  readonly kind: 'sessions';
  readonly actors: number;
  readonly template: string;
  /** Sessions per agent per day: lognormal across agents (median, sigma), so a few agents are busy and most are quiet. */
  readonly sessionsPerDay: { readonly median: number; readonly sigma: number };
  /** Ratio of the peak to the trough of the daily swing (1 = flat). */
  readonly peakToTrough: number;
  readonly periodMs: number;
  /** Time of the daily peak within the period. */
  readonly peakAtMs: number;
  /** Turns per session: 1 + a geometric number with this mean extra. */
  readonly meanExtraTurns: number;
  /** Think time between the end of one turn's work and the next turn. */
  readonly think: DistributionSpec;
}

/** Poisson arrivals to a set of actors, each invocation to an actor chosen uniformly (queueing-theory checks). */
export interface PoissonWorkload {
  readonly kind: 'poisson';
  readonly actors: number;
  readonly template: string;
  readonly ratePerSec: number;
}

/** How invocations are generated. */
export type WorkloadSpec = SessionWorkload | PoissonWorkload;

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
  readonly eviction: 'lru' | 'none';
  readonly maxAttempts: number;
}
