import type { OutcomeSink } from '../core/scheduler.ts';
import { REJECT_REASONS, type InvocationPath, type RejectReason, type Reply } from '../core/types.ts';
import type { RunResult } from '../core/result.ts';
import { ms, percentilesBySelection, summarize, type SummaryRow } from '../reports/summary.ts';

/** What a digest is told at the start. */
export interface ReplyDigestOptions {
  /** The core's actors by index (the workload's actorNames, for a simulated run). */
  readonly actorNames: readonly string[];
  /** Replies arriving before this are left out of the statistics, as summarize() leaves them out. */
  readonly warmupMs: number;
  /** Invocations expected (sizes the latency columns once); the digest grows past it. */
  readonly expected?: number;
  /** Which replies to keep whole, for invocations.csv (see invocationFilter); default none. */
  readonly keep?: (invocation: number) => boolean;
}

/**
 * A run's outcomes reduced to what summary.csv needs, at any scale: counts by
 * path and reason, and the latency and overhead of each served invocation
 * (two numbers, 16 bytes, where a kept Reply costs some 300 in ten objects),
 * plus the replies `keep` asks for. summaryRow() gives the same row as
 * reports' summarize() would over all the replies, number for number.
 */
export class ReplyDigest implements OutcomeSink {
  /** The replies kept whole, in the order they came. */
  readonly kept: Reply[] = [];
  /** Outcomes received, warm-up included: one per invocation of the run. */
  outcomes = 0;
  private readonly actorNames: readonly string[];
  private readonly warmupMs: number;
  private readonly keep: ((invocation: number) => boolean) | undefined;
  private latencies: Float64Array;
  private overheads: Float64Array;
  private served = 0;
  private counted = 0;
  private sum = 0;
  private readonly paths = { warm: 0, 'resume-local': 0, 'resume-external': 0, golden: 0, 'cold-boot': 0, rejected: 0 };
  private readonly reasons = new Map<string, number>(REJECT_REASONS.map((r) => [r, 0]));

  constructor(options: ReplyDigestOptions) {
    this.actorNames = options.actorNames;
    this.warmupMs = options.warmupMs;
    this.keep = options.keep;
    const n = Math.max(16, Math.ceil(options.expected ?? 1024));
    this.latencies = new Float64Array(n);
    this.overheads = new Float64Array(n);
  }

  outcome(
    invocation: number,
    actorIndex: number,
    outcome: 'served' | 'rejected',
    reason: RejectReason | '',
    path: InvocationPath,
    arrivalMs: number,
    startMs: number,
    endMs: number,
    parkedMs: number,
    workerStartMs: number,
    restoreMs: number,
    execMs: number,
    queuedMs: number,
    attempts: number,
  ): void {
    this.outcomes += 1;
    if (this.keep !== undefined && this.keep(invocation)) {
      const reply: Reply & { readonly kind: 'reply' } = {
        kind: 'reply',
        invocation,
        actor: this.actorNames[actorIndex]!,
        outcome,
        reason,
        path,
        arrivalMs,
        startMs,
        endMs,
        parts: { parkedMs, workerStartMs, restoreMs, execMs, queuedMs },
        attempts,
      };
      this.kept.push(reply);
    }
    // Below, summarize()'s loop, step for step, so every sum and sort sees the same numbers in the same order.
    if (arrivalMs < this.warmupMs) return;
    this.counted += 1;
    this.paths[path] += 1;
    if (outcome === 'served') {
      const k = this.served;
      if (k === this.latencies.length) this.grow(k * 2);
      const l = endMs - arrivalMs;
      this.latencies[k] = l;
      this.overheads[k] = l - execMs;
      this.sum += l;
      this.served = k + 1;
    } else {
      this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
    }
  }

  /** Invocations counted (arrived at or after the warm-up). */
  get invocations(): number {
    return this.counted;
  }

  /**
   * The summary.csv row of a run whose outcomes went to this digest: `run` as
   * simulate returned it (its `replies` are not read). Columns that do not
   * depend on replies come from summarize() itself.
   */
  summaryRow(run: RunResult): SummaryRow {
    const row: Record<string, string | number> = { ...summarize({ ...run, replies: [] }) };
    // Selected in place, not sorted: a copy of 50 million latencies would be 400 MB more at the very end of a
    // run, and a sort of them some seconds (reports/summary.ts percentilesBySelection).
    const [p50, p90, p99, max] = percentilesBySelection(this.latencies.subarray(0, this.served), [0.5, 0.9, 0.99, 1]);
    const [o50, o99] = percentilesBySelection(this.overheads.subarray(0, this.served), [0.5, 0.99]);
    const p = this.paths;
    row.invocations = this.counted;
    row.served = this.served;
    row.rejected = this.counted - this.served;
    row.p50_ms = ms(p50!);
    row.p90_ms = ms(p90!);
    row.p99_ms = ms(p99!);
    row.max_ms = ms(max!);
    row.warm = p.warm;
    row.resume_local = p['resume-local'];
    row.resume_external = p['resume-external'];
    row.golden = p.golden;
    row.cold_boot = p['cold-boot'];
    row.mean_ms = ms(this.served > 0 ? this.sum / this.served : Number.NaN);
    row.overhead_p50_ms = ms(o50!);
    row.overhead_p99_ms = ms(o99!);
    for (const r of REJECT_REASONS) row[`rejected_${r.replaceAll('-', '_')}`] = this.reasons.get(r) ?? 0;
    return row as SummaryRow;
  }

  private grow(capacity: number): void {
    const l = new Float64Array(capacity);
    l.set(this.latencies);
    this.latencies = l;
    const o = new Float64Array(capacity);
    o.set(this.overheads);
    this.overheads = o;
  }
}
