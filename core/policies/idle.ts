import type { CheckpointTarget, IdlePolicySpec } from '../types.ts';
import { HybridHistogramPolicy } from './hybrid-histogram.ts';

/** What to do with a resident actor that has just gone idle, or whose idle timer fired. */
export type IdleDecision =
  | { readonly kind: 'keep' }
  | { readonly kind: 'checkpoint'; readonly target: CheckpointTarget }
  | { readonly kind: 'checkAt'; readonly atMs: number }
  /** Leave now, and resume without an invocation (pre-warm) at `prewarmAtMs`. */
  | { readonly kind: 'leaveAndPrewarm'; readonly target: CheckpointTarget; readonly prewarmAtMs: number };

/** Decides when a resident, idle actor leaves its worker (suspend to external storage, or pause to the node). */
export interface IdlePolicy {
  readonly name: string;
  /** Target used when the actor must leave for another reason (eviction). */
  readonly evictTarget: CheckpointTarget;
  /** The actor's last invocation ended at `nowMs` and nothing is queued. */
  onIdle(actorIndex: number, nowMs: number): IdleDecision;
  /** A `checkAt` time came and the actor is still idle. */
  onTimer(actorIndex: number, nowMs: number): IdleDecision;
  /** An invocation arrived for the actor (policies that learn from idle times). */
  onArrival?(actorIndex: number, nowMs: number): void;
  /** A pre-warm resume finished and nothing is queued. */
  onPrewarmed?(actorIndex: number, nowMs: number): IdleDecision;
}

const KEEP: IdleDecision = { kind: 'keep' };
const SUSPEND: IdleDecision = { kind: 'checkpoint', target: 'external' };
const PAUSE: IdleDecision = { kind: 'checkpoint', target: 'local' };

/** Builds the idle policy a spec names. Pause vs suspend is part of the policy. */
export function idlePolicy(spec: IdlePolicySpec): IdlePolicy {
  switch (spec.kind) {
    case 'never':
      // Substrate's core: suspend is explicit, nothing leaves on its own.
      return { name: 'never', evictTarget: 'external', onIdle: () => KEEP, onTimer: () => KEEP };
    case 'ttl': {
      const leave = spec.action === 'pause' ? PAUSE : SUSPEND;
      const ttlMs = spec.ttlMs;
      return {
        name: `ttl-${spec.action}`,
        evictTarget: leave.kind === 'checkpoint' ? leave.target : 'external',
        onIdle: (_a, nowMs) => (ttlMs === 0 ? leave : { kind: 'checkAt', atMs: nowMs + ttlMs }),
        onTimer: () => leave,
      };
    }
    case 'immediate': {
      const leave = spec.action === 'pause' ? PAUSE : SUSPEND;
      return {
        name: `immediate-${spec.action}`,
        evictTarget: leave.kind === 'checkpoint' ? leave.target : 'external',
        onIdle: () => leave,
        onTimer: () => leave,
      };
    }
    case 'hybrid-histogram':
      return new HybridHistogramPolicy(spec);
  }
}
