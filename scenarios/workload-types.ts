// The workload's shapes, apart from how it is made (workload.ts), so trace
// importers can build one without importing the module that imports them.

/**
 * A generated workload, as columns sorted by arrival time (ties by group,
 * then generation order), so every policy set replays exactly the same
 * invocations.
 */
export interface Workload {
  readonly actorNames: readonly string[];
  readonly actorTemplates: readonly string[];
  readonly arrivalMs: Float64Array;
  readonly actor: Int32Array;
  readonly workMs: Float64Array;
}

/** Invocations one at a time, in the order of a Workload's columns. */
export interface ArrivalCursor {
  /** Moves to the next invocation; false when there are none left. */
  next(): boolean;
  readonly arrivalMs: number;
  /** Index into actorNames. */
  readonly actor: number;
  readonly workMs: number;
}

/**
 * A workload streamed: its invocations in the order of a Workload's
 * columns, produced as they are read, so memory grows with the actors and
 * not with the invocations or the duration. Arrival models are streamed
 * (scenarios/arrivals/index.ts); a trace is imported whole and read from
 * its columns.
 */
export interface WorkloadStream {
  readonly actorNames: readonly string[];
  readonly actorTemplates: readonly string[];
  /** Invocations it yields. */
  readonly size: number;
  /** A cursor at the first invocation; every policy set opens its own and reads the same invocations. */
  open(): ArrivalCursor;
}
