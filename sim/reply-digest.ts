import { REJECT_REASONS, type Reply } from '../core/types.ts';
import { ms, percentile, summarize, type RunResult, type SummaryRow } from '../reports/summary.ts';
import type { ReplySink } from './reply-log.ts';

/** What a digest is told at the start. */
export interface ReplyDigestOptions {
  /** Replies arriving before this are left out of the statistics, as summarize() leaves them out. */
  readonly warmupMs: number;
  /** Invocations expected (sizes the latency columns once); the digest grows past it. */
  readonly expected?: number;
  /** Which replies to keep whole, for invocations.csv (see invocationFilter); default none. */
  readonly keep?: (invocation: number) => boolean;
}

/**
 * A run's replies reduced to what summary.csv needs, at any scale: counts by
 * path and reason, and the latency and overhead of each served invocation
 * (two numbers, 16 bytes, where a kept Reply costs some 300 in ten objects),
 * plus the replies `keep` asks for. summaryRow() gives the same row as
 * reports' summarize() would over all the replies, number for number.
 */
export class ReplyDigest implements ReplySink {
  /** The replies kept whole, in the order they came. */
  readonly kept: Reply[] = [];
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
    this.warmupMs = options.warmupMs;
    this.keep = options.keep;
    const n = Math.max(16, Math.ceil(options.expected ?? 1024));
    this.latencies = new Float64Array(n);
    this.overheads = new Float64Array(n);
  }

  add(r: Reply): void {
    if (this.keep !== undefined && this.keep(r.invocation)) this.kept.push(r);
    // Below, summarize()'s loop, step for step, so every sum and sort sees the same numbers in the same order.
    if (r.arrivalMs < this.warmupMs) return;
    this.counted += 1;
    this.paths[r.path] += 1;
    if (r.outcome === 'served') {
      const k = this.served;
      if (k === this.latencies.length) this.grow(k * 2);
      const l = r.endMs - r.arrivalMs;
      this.latencies[k] = l;
      this.overheads[k] = l - r.parts.execMs;
      this.sum += l;
      this.served = k + 1;
    } else {
      this.reasons.set(r.reason, (this.reasons.get(r.reason) ?? 0) + 1);
    }
  }

  /** Invocations counted (arrived at or after the warm-up). */
  get invocations(): number {
    return this.counted;
  }

  /**
   * The summary.csv row of a run whose replies went to this digest: `run` as
   * simulate returned it (its `replies` are not read). Columns that do not
   * depend on replies come from summarize() itself.
   */
  summaryRow(run: RunResult): SummaryRow {
    const row: Record<string, string | number> = { ...summarize({ ...run, replies: [] }) };
    // Sorted in place: a copy of 50 million latencies would be 400 MB more at the very end of a run.
    const lat = this.latencies.subarray(0, this.served).sort();
    const over = this.overheads.subarray(0, this.served).sort();
    const p = this.paths;
    row.invocations = this.counted;
    row.served = this.served;
    row.rejected = this.counted - this.served;
    row.p50_ms = ms(percentile(lat, 0.5));
    row.p90_ms = ms(percentile(lat, 0.9));
    row.p99_ms = ms(percentile(lat, 0.99));
    row.max_ms = ms(lat.length > 0 ? lat[lat.length - 1]! : Number.NaN);
    row.warm = p.warm;
    row.resume_local = p['resume-local'];
    row.resume_external = p['resume-external'];
    row.golden = p.golden;
    row.cold_boot = p['cold-boot'];
    row.mean_ms = ms(this.served > 0 ? this.sum / this.served : Number.NaN);
    row.overhead_p50_ms = ms(percentile(over, 0.5));
    row.overhead_p99_ms = ms(percentile(over, 0.99));
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
