import type { CheckpointTarget, RestoreSource } from '../../core/types.ts';

/**
 * The worker's HTTP API as types, for the server and for whoever drives it.
 * Every route but `GET /healthz` needs `Authorization: Bearer <token>`;
 * bodies and answers are JSON; a refusal is a {@link WorkerErrorBody}.
 *
 *   POST /actors/<id>/restore     RestoreRequest    -> 200 RestoreAnswer
 *   POST /actors/<id>/execute     ExecuteRequest    -> 200 ExecuteAnswer
 *   POST /actors/<id>/checkpoint  CheckpointRequest -> 200 CheckpointAnswer
 *   GET  /actors                  -> 200 ResidentActor[]
 *   GET  /stats                   -> 200 WorkerStats
 *   GET  /healthz                 -> 200 "ok" (text, no token, touches nothing)
 *
 * A request whose client goes away before the answer (its timeout, a dropped
 * connection) ends as the client's runtime reports it, failed: an abandoned
 * restore frees its slot and drops the actor once the load ends; an abandoned
 * execute stops its work and leaves the counter as it was; an abandoned
 * checkpoint keeps the actor resident and idle (the snapshot it may have
 * written stays, whole, and the retry overwrites it). Only an answer fully
 * written commits. An answer lost after that (written but not received) is
 * the one case left where the worker and its client can disagree.
 */

/** Body of `POST /actors/<id>/restore`. `version` is the counter the snapshot must hold (0 for cold and golden). */
export interface RestoreRequest {
  readonly template: string;
  readonly memoryMiB: number;
  readonly source: RestoreSource;
  readonly version: number;
  /**
   * The driver's store grant for the one key this restore reads (`actors/<id>`
   * read; `golden/<template>` read and write, as the first golden restore
   * publishes it); see store/grants.ts. Single-use: the store allows it one
   * read (and one write), so a request sent again needs a fresh grant
   * (store/grant-ledger.ts). Absent: the worker's own store token, if any.
   */
  readonly storeGrant?: string;
}

/** Answer to a restore. `bytes` were read from a snapshot; `writtenBytes` went to the store (a golden snapshot created on first use). */
export interface RestoreAnswer {
  readonly restoreMs: number;
  readonly bytes: number;
  readonly writtenBytes: number;
  readonly counter: number;
}

/** How an execution spends its time: waiting on a timer, or burning CPU in slices. */
export type ExecuteMode = 'sleep' | 'cpu';

/** Body of `POST /actors/<id>/execute`. */
export interface ExecuteRequest {
  readonly invocation: number;
  readonly workMs: number;
  readonly mode: ExecuteMode;
}

/** Answer to an execution: the actor's counter after it, and how long it took in the worker. */
export interface ExecuteAnswer {
  readonly invocation: number;
  readonly counter: number;
  readonly execMs: number;
}

/** Body of `POST /actors/<id>/checkpoint`. `version` must equal the actor's counter. */
export interface CheckpointRequest {
  readonly target: CheckpointTarget;
  readonly version: number;
  /** The driver's store grant to write `actors/<id>` once (external checkpoints; single-use); absent: the worker's own store token, if any. */
  readonly storeGrant?: string;
}

/** Answer to a checkpoint; the actor has left the worker. */
export interface CheckpointAnswer {
  readonly checkpointMs: number;
  readonly bytes: number;
  /**
   * Where its time went, in ms from the checkpoint's start: `seal` hashing the
   * region; `disk` writing the node's file (temp file, fsync, rename: a local
   * checkpoint, or the copy kept beside an upload); `store` the upload (the
   * store writes and fsyncs it before it answers); `received` when the store
   * had the whole body hashed and written, before its fsync (the store's
   * answer says how long that fsync took; absent from older stores). The copy
   * and the upload run at the same time, so they overlap. Absent from older
   * workers.
   */
  readonly phases?: { readonly seal: number; readonly disk?: number; readonly received?: number; readonly store?: number };
}

/** A resident actor as `GET /actors` lists it. */
export interface ResidentActor {
  readonly id: string;
  readonly template: string;
  readonly counter: number;
  readonly memoryMiB: number;
  /** Executing or checkpointing. */
  readonly busy: boolean;
  readonly state: 'idle' | 'executing' | 'checkpointing';
}

/** `GET /stats`: the worker process's memory and occupancy. */
export interface WorkerStats {
  readonly workerId: string;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** Memory of Buffers, where actor regions live. */
  readonly arrayBuffersBytes: number;
  /** Sum of the resident actors' region sizes. */
  readonly residentRegionBytes: number;
  readonly resident: number;
  readonly busy: number;
  readonly actorSlots: number;
  /** Requests whose client went away before the answer, since the worker started. */
  readonly abandonedRequests: number;
}

/**
 * Error codes, by status: 400 bad-request, bad-json; 401 unauthorized;
 * 404 not-found (route), not-resident; 405 method-not-allowed; 409 busy,
 * already-resident, slots-full, stale, missing (no snapshot), version-mismatch;
 * 413 too-large; 422 corrupt; 503 store-failed, disk-failed; 500 internal.
 */
export type WorkerErrorCode =
  | 'bad-request'
  | 'bad-json'
  | 'unauthorized'
  | 'not-found'
  | 'not-resident'
  | 'method-not-allowed'
  | 'busy'
  | 'already-resident'
  | 'slots-full'
  | 'stale'
  | 'missing'
  | 'version-mismatch'
  | 'too-large'
  | 'corrupt'
  | 'store-failed'
  | 'disk-failed'
  | 'internal';

/** Body of every refusal. */
export interface WorkerErrorBody {
  readonly error: WorkerErrorCode;
  readonly message: string;
}
