import type { CheckpointTarget, HybridHistogramSpec, IdlePolicySpec } from '../types.ts';

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

/** The idle spec of one kind. */
type SpecOf<K extends IdlePolicySpec['kind']> = Extract<IdlePolicySpec, { kind: K }>;

/** Substrate's core: suspend is explicit, nothing leaves on its own. */
function never(): IdlePolicy {
  return { name: 'never', evictTarget: 'external', onIdle: () => KEEP, onTimer: () => KEEP };
}

/** Leave after `ttlMs` idle (the fixed keep-alive of most FaaS platforms). */
function ttl(spec: SpecOf<'ttl'>): IdlePolicy {
  const leave = spec.action === 'pause' ? PAUSE : SUSPEND;
  const ttlMs = spec.ttlMs;
  return {
    name: `ttl-${spec.action}`,
    evictTarget: leave.kind === 'checkpoint' ? leave.target : 'external',
    onIdle: (_a, nowMs) => (ttlMs === 0 ? leave : { kind: 'checkAt', atMs: nowMs + ttlMs }),
    onTimer: () => leave,
  };
}

/** Leave as soon as the last invocation ends. */
function immediate(spec: SpecOf<'immediate'>): IdlePolicy {
  const leave = spec.action === 'pause' ? PAUSE : SUSPEND;
  return {
    name: `immediate-${spec.action}`,
    evictTarget: leave.kind === 'checkpoint' ? leave.target : 'external',
    onIdle: () => leave,
    onTimer: () => leave,
  };
}

/** How many out-of-bounds idle times the forecast averages. */
const FORECAST_WINDOW = 8;
/** Above this share of out-of-bounds idle times the histogram cannot describe the actor: forecast instead. */
const OOB_SHARE_FOR_FORECAST = 0.5;

/** Per-actor history: idle-time histogram, out-of-bounds idle times, and the plan of the current idle period. */
interface History {
  readonly bins: Uint32Array;
  samples: number;
  outOfBounds: number;
  readonly recentOob: number[];
  /** End of the last execution; NaN before the first. */
  lastEndMs: number;
  /** Keep-alive end planned for the current idle period (after a pre-warm, or while staying). */
  keepUntilMs: number;
}

/**
 * The hybrid histogram policy of Shahrad et al., "Serverless in the Wild"
 * (USENIX ATC 2020), Section 4.2, applied per actor:
 *
 * - Every idle time (end of one execution to the next arrival) goes into a
 *   histogram of `binMs` bins over `rangeMs`; longer ones are out of bounds.
 * - While fewer than `minSamples` idle times are known, or the bin counts
 *   have a coefficient of variation below `cvThreshold` (no clear pattern),
 *   the histogram is not representative: stay resident for `fallbackTtlMs`
 *   (the paper's standard keep-alive of the whole range).
 * - When more than half the idle times are out of bounds, the paper fits an
 *   ARIMA model; we use a simpler forecast, the mean of the last 8
 *   out-of-bounds idle times, and plan as below around it (pre-warm at
 *   forecast x (1 - margin), keep alive to forecast x (1 + margin)). This is
 *   our substitution, not the paper's model.
 * - Otherwise, pre-warm = the `headPercentile` bin's lower edge less the
 *   margin, keep-alive end = the `tailPercentile` bin's upper edge plus the
 *   margin. With a pre-warm time above zero the actor leaves at once and is
 *   resumed (pre-warmed) at that time, then kept until the keep-alive end;
 *   with zero it stays resident until the keep-alive end.
 */
class HybridHistogramPolicy implements IdlePolicy {
  readonly name: string;
  readonly evictTarget: CheckpointTarget;
  private readonly leave: IdleDecision;
  private readonly histories = new Map<number, History>();
  private readonly binCount: number;

  constructor(private readonly spec: HybridHistogramSpec) {
    this.name = `hybrid-histogram-${spec.action}`;
    this.evictTarget = spec.action === 'pause' ? 'local' : 'external';
    this.leave = { kind: 'checkpoint', target: this.evictTarget };
    this.binCount = Math.max(1, Math.ceil(spec.rangeMs / spec.binMs));
  }

  private history(actorIndex: number): History {
    let h = this.histories.get(actorIndex);
    if (h === undefined) {
      h = { bins: new Uint32Array(this.binCount), samples: 0, outOfBounds: 0, recentOob: [], lastEndMs: Number.NaN, keepUntilMs: Number.NaN };
      this.histories.set(actorIndex, h);
    }
    return h;
  }

  onArrival(actorIndex: number, nowMs: number): void {
    const h = this.history(actorIndex);
    if (Number.isNaN(h.lastEndMs)) return;
    const idleMs = Math.max(0, nowMs - h.lastEndMs);
    h.lastEndMs = Number.NaN; // one idle time per idle period
    h.samples += 1;
    const bin = Math.floor(idleMs / this.spec.binMs);
    if (bin < this.binCount) {
      h.bins[bin] = h.bins[bin]! + 1;
    } else {
      h.outOfBounds += 1;
      h.recentOob.push(idleMs);
      if (h.recentOob.length > FORECAST_WINDOW) h.recentOob.shift();
    }
  }

  onIdle(actorIndex: number, nowMs: number): IdleDecision {
    const h = this.history(actorIndex);
    h.lastEndMs = nowMs;
    const plan = this.plan(h);
    if (plan.prewarmMs > 0) {
      h.keepUntilMs = nowMs + plan.keepAliveMs;
      return { kind: 'leaveAndPrewarm', target: this.evictTarget, prewarmAtMs: nowMs + plan.prewarmMs };
    }
    h.keepUntilMs = nowMs + plan.keepAliveMs;
    return plan.keepAliveMs <= 0 ? this.leave : { kind: 'checkAt', atMs: h.keepUntilMs };
  }

  onPrewarmed(actorIndex: number, nowMs: number): IdleDecision {
    const h = this.history(actorIndex);
    return h.keepUntilMs > nowMs ? { kind: 'checkAt', atMs: h.keepUntilMs } : this.leave;
  }

  onTimer(actorIndex: number, nowMs: number): IdleDecision {
    const h = this.history(actorIndex);
    // A timer that fires early (the plan was extended since) waits for the new end.
    return h.keepUntilMs > nowMs ? { kind: 'checkAt', atMs: h.keepUntilMs } : this.leave;
  }

  /** Pre-warm delay and keep-alive end, both measured from the end of the execution. */
  private plan(h: History): { prewarmMs: number; keepAliveMs: number } {
    const s = this.spec;
    const inBounds = h.samples - h.outOfBounds;
    if (h.samples >= s.minSamples && h.outOfBounds > OOB_SHARE_FOR_FORECAST * h.samples && h.recentOob.length > 0) {
      const forecast = h.recentOob.reduce((a, b) => a + b, 0) / h.recentOob.length;
      return { prewarmMs: forecast * (1 - s.margin), keepAliveMs: forecast * (1 + s.margin) };
    }
    if (h.samples < s.minSamples || inBounds === 0 || this.cv(h) < s.cvThreshold) {
      return { prewarmMs: 0, keepAliveMs: s.fallbackTtlMs };
    }
    const head = this.percentileBin(h, s.headPercentile, inBounds);
    const tail = this.percentileBin(h, s.tailPercentile, inBounds);
    const prewarmMs = head * s.binMs * (1 - s.margin);
    const keepAliveMs = (tail + 1) * s.binMs * (1 + s.margin);
    return { prewarmMs, keepAliveMs };
  }

  /** Index of the bin holding the given percentile of in-bounds idle times. */
  private percentileBin(h: History, p: number, inBounds: number): number {
    const rank = Math.max(1, Math.ceil((p / 100) * inBounds));
    let seen = 0;
    for (let i = 0; i < this.binCount; i++) {
      seen += h.bins[i]!;
      if (seen >= rank) return i;
    }
    return this.binCount - 1;
  }

  /** Coefficient of variation of the bin counts: high when idle times concentrate in a few bins. */
  private cv(h: History): number {
    const n = this.binCount;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const c = h.bins[i]!;
      sum += c;
      sumSq += c * c;
    }
    const mean = sum / n;
    if (mean === 0) return 0;
    const variance = Math.max(0, sumSq / n - mean * mean);
    return Math.sqrt(variance) / mean;
  }
}

/** The idle policies by kind; each is built from its spec. Pause vs suspend is part of the spec. */
export const IDLE_POLICIES: { readonly [K in IdlePolicySpec['kind']]: (spec: SpecOf<K>) => IdlePolicy } = {
  never,
  ttl,
  immediate,
  'hybrid-histogram': (spec) => new HybridHistogramPolicy(spec),
};

/** Builds the idle policy a spec names. */
export function idlePolicy(spec: IdlePolicySpec): IdlePolicy {
  const make = IDLE_POLICIES[spec.kind] as ((spec: IdlePolicySpec) => IdlePolicy) | undefined;
  if (make === undefined) throw new Error(`unknown idle policy "${spec.kind}" (known: ${Object.keys(IDLE_POLICIES).join(', ')})`);
  return make(spec);
}
