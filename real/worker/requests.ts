import { isSafeName } from '../store/keys.ts';
import { HttpError } from '../store/http.ts';
import type { CheckpointRequest, ExecuteRequest, RestoreRequest } from './api.ts';

/**
 * Validation of the worker's request bodies and actor ids: anything the
 * server acts on has been checked here first, and every refusal is a 400
 * naming the field, so bad input never reaches the actor table.
 */

/** Longest actor id accepted. */
export const MAX_ACTOR_ID_CHARS = 256;
/** Largest actor memory accepted: a region is one Buffer, and 4 GiB is the most one can hold everywhere. */
export const MAX_MEMORY_MIB = 4095;
/** Longest work accepted for one invocation: an hour. */
export const MAX_WORK_MS = 3_600_000;

/** Checks an actor id from the URL: one safe name (`[A-Za-z0-9._-]`, no `..`), at most 256 characters. */
export function parseActorId(id: string): string {
  if (!isSafeName(id, MAX_ACTOR_ID_CHARS)) {
    throw bad(`actor id must be 1-${MAX_ACTOR_ID_CHARS} characters of [A-Za-z0-9._-] without '..'`);
  }
  return id;
}

/** Validates the body of a restore. */
export function parseRestore(body: unknown): RestoreRequest {
  const o = object(body);
  const template = o.template;
  if (typeof template !== 'string' || !isSafeName(template, MAX_ACTOR_ID_CHARS)) throw bad('template must be a name of [A-Za-z0-9._-]');
  const memoryMiB = o.memoryMiB;
  if (typeof memoryMiB !== 'number' || !Number.isFinite(memoryMiB) || memoryMiB <= 0 || memoryMiB > MAX_MEMORY_MIB) {
    throw bad(`memoryMiB must be a number in (0, ${MAX_MEMORY_MIB}]`);
  }
  const source = o.source;
  if (source !== 'cold' && source !== 'golden' && source !== 'local' && source !== 'external') throw bad("source must be 'cold', 'golden', 'local' or 'external'");
  return { template, memoryMiB, source, version: version(o.version), ...storeGrant(o.storeGrant) };
}

/** Validates the body of an execution. */
export function parseExecute(body: unknown): ExecuteRequest {
  const o = object(body);
  const invocation = o.invocation;
  if (typeof invocation !== 'number' || !Number.isSafeInteger(invocation) || invocation < 0) throw bad('invocation must be a non-negative integer');
  const workMs = o.workMs;
  if (typeof workMs !== 'number' || !Number.isFinite(workMs) || workMs < 0 || workMs > MAX_WORK_MS) throw bad(`workMs must be a number in [0, ${MAX_WORK_MS}]`);
  const mode = o.mode;
  if (mode !== 'sleep' && mode !== 'cpu') throw bad("mode must be 'sleep' or 'cpu'");
  return { invocation, workMs, mode };
}

/** Validates the body of a checkpoint. */
export function parseCheckpoint(body: unknown): CheckpointRequest {
  const o = object(body);
  const target = o.target;
  if (target !== 'local' && target !== 'external') throw bad("target must be 'local' or 'external'");
  return { target, version: version(o.version), ...storeGrant(o.storeGrant) };
}

function object(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('body must be a JSON object');
  return body as Record<string, unknown>;
}

function version(v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad('version must be a non-negative integer');
  return v;
}

/** Longest store grant accepted: a grant for a 512-character key is about 800. */
export const MAX_STORE_GRANT_CHARS = 2048;

function storeGrant(v: unknown): { storeGrant?: string } {
  if (v === undefined) return {};
  // The store verifies it; here only its shape, so it fits an Authorization header.
  if (typeof v !== 'string' || !/^[A-Za-z0-9._~+/=-]+$/.test(v) || v.length > MAX_STORE_GRANT_CHARS) {
    throw bad(`storeGrant must be a token of at most ${MAX_STORE_GRANT_CHARS} characters`);
  }
  return { storeGrant: v };
}

function bad(message: string): HttpError {
  return new HttpError(400, 'bad-request', message);
}
