import { seedBits } from './keyed-random.ts';

/** A span of trace time, [startMs, endMs), in the trace's own clock. */
export interface TraceWindow {
  readonly startMs: number;
  readonly endMs: number;
}

/** How Azure traces map to actors: one per function (owner, app, function) or one per app (owner, app). */
export type ActorBy = 'function' | 'app';

/** Options every trace format takes. */
export interface CommonTraceOptions {
  /** Keep this many actors, a seeded uniform random sample of those with an invocation in the window; all when absent. */
  readonly sample?: number;
  /** Keep invocations arriving in this span of trace time, then shift times so it starts at 0; default [0, Infinity). */
  readonly window?: TraceWindow;
  /** Divide arrival times (after windowing) by this factor, to replay a trace faster; default 1. */
  readonly compression?: number;
  /** Whether `compression` also divides work times; default true, so the offered load keeps its shape. */
  readonly compressWork?: boolean;
  /** Seed of every random choice of the import (sample, spread, work); default 1. */
  readonly seed?: number | string;
  /** Template of actors the trace gives none; default "default". */
  readonly template?: string;
  /** Fail rather than build a workload above this many invocations (about 20 bytes each); default 50,000,000. */
  readonly maxInvocations?: number;
}

/** Options of the Azure formats, which name functions and apps rather than actors. */
export interface AzureTraceOptions extends CommonTraceOptions {
  /** One actor per function or per app; default 'function'. */
  readonly actorBy?: ActorBy;
}

/** Common options checked and defaulted, with the time mapping they imply. */
export interface ResolvedOptions {
  readonly sample: number | undefined;
  readonly startMs: number;
  readonly endMs: number;
  readonly compression: number;
  readonly compressWork: boolean;
  readonly seed: number | string;
  readonly template: string;
  readonly maxInvocations: number;
  /** Whether an arrival at trace time `t` is imported. */
  inWindow(tMs: number): boolean;
  /** Workload arrival time of trace time `t`: rebased to the window start, then compressed. */
  arrivalMs(tMs: number): number;
  /** Workload work time of a trace work time. */
  workMs(workMs: number): number;
  /** seedBits(seed, purpose). */
  bits(purpose: string): number;
}

const DEFAULT_MAX_INVOCATIONS = 50_000_000;
// Uint32 per-minute counts and Int32 row indices bound what one import can hold.
const MAX_MAX_INVOCATIONS = 2 ** 31 - 1;

/** Checks and defaults the common options; a bad option is a caller error and throws RangeError. */
export function resolveOptions(o: CommonTraceOptions): ResolvedOptions {
  const sample = o.sample;
  if (sample !== undefined && !(Number.isSafeInteger(sample) && sample >= 1)) {
    throw new RangeError(`trace options: sample must be a positive integer, got ${String(sample)}`);
  }
  const startMs = o.window?.startMs ?? 0;
  const endMs = o.window?.endMs ?? Infinity;
  if (!Number.isFinite(startMs) || Number.isNaN(endMs) || !(endMs > startMs)) {
    throw new RangeError(`trace options: window needs a finite startMs below endMs, got [${String(startMs)}, ${String(endMs)})`);
  }
  const compression = o.compression ?? 1;
  if (!(Number.isFinite(compression) && compression > 0)) {
    throw new RangeError(`trace options: compression must be a finite number > 0, got ${String(compression)}`);
  }
  const maxInvocations = o.maxInvocations ?? DEFAULT_MAX_INVOCATIONS;
  if (!(Number.isSafeInteger(maxInvocations) && maxInvocations >= 0 && maxInvocations <= MAX_MAX_INVOCATIONS)) {
    throw new RangeError(`trace options: maxInvocations must be an integer in [0, ${MAX_MAX_INVOCATIONS}], got ${String(maxInvocations)}`);
  }
  const compressWork = o.compressWork ?? true;
  const seed = o.seed ?? 1;
  const template = o.template ?? 'default';
  return {
    sample,
    startMs,
    endMs,
    compression,
    compressWork,
    seed,
    template,
    maxInvocations,
    inWindow: (t) => t >= startMs && t < endMs,
    arrivalMs: (t) => (t - startMs) / compression,
    workMs: compressWork ? (w) => w / compression : (w) => w,
    bits: (purpose) => seedBits(seed, purpose),
  };
}

/** The error text when an import would exceed its invocation budget. */
export function budgetExceeded(maxInvocations: number): string {
  return `more than ${maxInvocations} invocations selected; narrow the import with sample or window, or raise maxInvocations`;
}
