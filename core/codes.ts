import { transitionMatrix } from './lifecycle.ts';
import type { ActorState, InvocationPath } from './types.ts';

// Actors live in typed arrays (ActorTable, one record each) and are named by
// their index: a fleet of a million mostly dormant actors then costs a
// hundred-odd bytes each and no objects for the garbage collector to trace.
// Enumerations are small codes, each group numbered from 0 and named by the
// matching *_NAMES table.

/** Actor state code: no worker; the snapshot is external, golden or none. */
export const SUSPENDED = 0;
/** Actor state code: a restore (or cold boot) is under way on its worker. */
export const RESUMING = 1;
/** Actor state code: resident on a worker, busy or idle. */
export const RUNNING = 2;
/** Actor state code: checkpointing to external storage. */
export const SUSPENDING = 3;
/** Actor state code: checkpointing to its node. */
export const PAUSING = 4;
/** Actor state code: no worker; the snapshot is on a node. */
export const PAUSED = 5;
/** Actor state names by code. */
export const STATE_NAMES: readonly ActorState[] = ['SUSPENDED', 'RESUMING', 'RUNNING', 'SUSPENDING', 'PAUSING', 'PAUSED'];
/** ACTOR_TRANSITIONS by code, `from * 6 + to`: one byte read per transition instead of a string search. */
export const ALLOWED = transitionMatrix(STATE_NAMES);

/** Wait phase code: queued invocations wait behind the actor's own work (`queuedMs`). */
export const QUEUED = 0;
/** Wait phase code: parked for a free worker (`parkedMs`). */
export const PARKED = 1;
/** Wait phase code: a dedicated worker is starting (`workerStartMs`). */
export const WORKER_START = 2;
/** Wait phase code: a restore is under way or backing off (`restoreMs`). */
export const RESTORE = 3;

/** The kinds of snapshot an actor can resume from; `local` pins the resume to its node. */
export type SnapshotKind = 'none' | 'golden' | 'external' | 'local';
/** Snapshot code: none (a resume is a cold boot). */
export const SNAP_NONE = 0;
/** Snapshot code: the template's golden snapshot. */
export const SNAP_GOLDEN = 1;
/** Snapshot code: in object storage (a node may keep a cached copy). */
export const SNAP_EXTERNAL = 2;
/** Snapshot code: on a node, kept by a pause. */
export const SNAP_LOCAL = 3;
/** Snapshot kind names by code. */
export const SNAP_NAMES: readonly SnapshotKind[] = ['none', 'golden', 'external', 'local'];

/** Flag bit: the actor waits in its pool's park queue. */
export const IN_PARK_QUEUE = 1;
/** Flag bit: its restore under way is a pre-warm (no invocation asked for it). */
export const PREWARMING = 2;
/** Flag bit: dispatchParked has met it already in this pass. */
export const SEEN = 4;
/** Flag bit: evictForWaiters has counted it already in this pass (the park queue may hold it twice). */
export const COUNTED = 8;
/**
 * Flag bit: its checkpoint just failed, so no eviction picks it until its
 * retry is due (its idle timer) or it runs again. Without it the waiter it
 * was evicted for picked it again at once: a worker still carrying a
 * checkpoint the driver gave up on refuses the next as busy within
 * milliseconds, and at the fleet-2000 peak one actor was asked 1,321 times
 * in a few seconds (2,852 refusals in the run).
 */
export const EVICT_HOLD = 16;

/** No worker, no actor, no node, no invocation. */
export const NONE = -1;

/** Invocation path names by code; 0 is "not decided yet". */
export const PATH_NAMES: readonly (InvocationPath | null)[] = [null, 'warm', 'resume-local', 'resume-external', 'golden', 'cold-boot'];
/** Path code: the actor was resident. */
export const PATH_WARM = 1;
/** Path code: resumed from a snapshot on the worker's node. */
export const PATH_RESUME_LOCAL = 2;
/** Path code: resumed from object storage. */
export const PATH_RESUME_EXTERNAL = 3;
/** Path code: started from the template's golden snapshot. */
export const PATH_GOLDEN = 4;
/** Path code: booted with no snapshot. */
export const PATH_COLD_BOOT = 5;
