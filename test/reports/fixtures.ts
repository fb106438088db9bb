import type { InvocationPath, Reply } from '../../core/types.ts';
import type { ReportInput, ReportRun } from '../../reports/report-input.ts';
import type { Sample } from '../../core/result.ts';
import { SUMMARY_COLUMNS, type SummaryRow } from '../../reports/summary.ts';

/** A summary row with every column present: 1,000 invocations all served warm, and the given overrides. */
export function row(policy: string, overrides: Partial<Record<keyof SummaryRow, number | string>> = {}): SummaryRow {
  const r = Object.fromEntries(SUMMARY_COLUMNS.map((c) => [c, 0])) as SummaryRow;
  Object.assign(r, { policy, invocations: 1000, served: 1000, warm: 1000, p50_ms: 100, p90_ms: 300, p99_ms: 800, max_ms: 2000, overhead_p99_ms: 50 }, overrides);
  return r;
}

// A small deterministic generator, so fixtures do not depend on Math.random.
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const PATHS: readonly InvocationPath[] = ['warm', 'resume-local', 'resume-external', 'golden', 'cold-boot'];

/** Replies with log-uniform latencies from `minMs` to `maxMs`, one in `rejectEvery` rejected, arriving 1 s apart. */
export function replies(n: number, seed: number, minMs = 50, maxMs = 20_000, rejectEvery = 0): Reply[] {
  const rnd = lcg(seed);
  const out: Reply[] = [];
  for (let i = 0; i < n; i++) {
    const arrivalMs = i * 1000;
    const latency = minMs * (maxMs / minMs) ** rnd();
    const rejected = rejectEvery > 0 && i % rejectEvery === rejectEvery - 1;
    out.push({
      invocation: i,
      actor: `a${i % 50}`,
      outcome: rejected ? 'rejected' : 'served',
      reason: rejected ? 'park-timeout' : '',
      path: rejected ? 'rejected' : PATHS[i % PATHS.length]!,
      arrivalMs,
      startMs: rejected ? Number.NaN : arrivalMs + latency * 0.2,
      endMs: arrivalMs + latency,
      parts: { parkedMs: 0, workerStartMs: 0, restoreMs: latency * 0.2, execMs: latency * 0.8, queuedMs: 0 },
      attempts: 1,
    });
  }
  return out;
}

/** A time series of `minutes` samples, one a minute, with a daily-ish wave. */
export function samples(minutes: number, workers: number, seed: number): Sample[] {
  const rnd = lcg(seed);
  return Array.from({ length: minutes }, (_, i) => ({
    timeMs: i * 60_000,
    workers,
    resident: Math.round(workers * (1 + Math.sin(i / 200)) + rnd() * 5),
    parked: Math.round(rnd() * 3),
  }));
}

/** A report input of `k` policy sets with `n` invocations each; costs and latencies differ so there is a front. */
export function input(k: number, n = 2000, extra: Partial<ReportInput> = {}): ReportInput {
  const runs: ReportRun[] = [];
  const rows: SummaryRow[] = [];
  for (let i = 0; i < k; i++) {
    const policy = `policy-${i}-${['ttl', 'immediate', 'hybrid'][i % 3]}`;
    runs.push({ policy, replies: replies(n, i + 1, 40 + i * 10, 15_000 / (1 + i * 0.1), i === 2 ? 50 : 0), samples: samples(600, 10 + i * 4, i) });
    rows.push(
      row(policy, {
        invocations: n,
        served: i === 2 ? n - n / 50 : n,
        rejected: i === 2 ? n / 50 : 0,
        warm: n / 2,
        resume_local: n / 4,
        resume_external: n / 8,
        golden: n / 16,
        cold_boot: i === 2 ? n / 16 - n / 50 : n / 16,
        p99_ms: 12_000 / (1 + i * 0.15),
        gib_seconds: 3600 * (100 + i * i * 40),
        worker_seconds: 3600 * (50 + i * 30),
      }),
    );
  }
  return { scenario: { name: `fixture-${k}`, description: 'A fixture & <its> "description"' }, seeds: [1], rows, runs, ...extra };
}
