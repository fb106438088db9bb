import type { Workload } from '../workload-types.ts';

/** Counts describing what an import read and kept. */
export interface TraceStats {
  /** Data rows read, over every file of the import (headers excluded). */
  readonly rows: number;
  /** Invocations in the workload. */
  readonly invocations: number;
  /** Actors in the workload (each has at least one invocation). */
  readonly actors: number;
  /** Rows read that added nothing: outside the window, of an actor not sampled, or (auxiliary files) of no kept actor. */
  readonly skippedRows: number;
}

/** The result of importing a trace. */
export interface TraceImport {
  /** Invocations sorted by arrival, ties by actor (in order of first appearance), then file order. */
  readonly workload: Workload;
  /** Memory of each actor (index as in workload.actorNames), when the trace gives it; NaN for an actor it omits. */
  readonly actorMemoryMiB?: Float64Array;
  readonly stats: TraceStats;
}
