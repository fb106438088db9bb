import type { Scenario } from '../scenarios/scenario.ts';
import { workloadFor, workloadSize, type Workload, type WorkloadStream } from '../scenarios/workload.ts';
import { invocationFilter, type InvocationsOption } from './invocation-sample.ts';
import { ReplyDigest } from './reply-digest.ts';
import { simulate, type SimResult } from './runtime.ts';

/** Rows of a run kept for report.html's latency charts when invocations.csv is not wanted. */
const REPORT_SAMPLE_ROWS = 20_000;

/** One run of a study: a policy set (by its index in the scenario) with a seed. */
export interface StudyTask {
  readonly policyIndex: number;
  readonly seed: number;
}

/** A finished run and what it cost in wall time. */
export interface StudyRunOutput {
  readonly result: SimResult;
  /** Wall time of the simulation alone. */
  readonly wallMs: number;
  /** Wall time spent generating the seed's workload for this run (0 when it was cached). */
  readonly workloadMs: number;
}

/**
 * Runs a study's (policy set, seed) pairs in one thread, the same way in the
 * main thread and in each worker thread. The workload of the latest seed is
 * kept: runs are handed out seed by seed, so a thread rarely goes back to an
 * earlier seed, and one workload in memory per thread is enough.
 */
export class StudyExecutor {
  private cached: { readonly seed: number; readonly workload: Promise<Workload | WorkloadStream> } | null = null;

  constructor(
    private readonly scenario: Scenario,
    private readonly sampleEveryMs: number,
    private readonly invocations: InvocationsOption,
    private readonly clock: () => number,
  ) {}

  /** Runs one task. */
  async run(task: StudyTask): Promise<StudyRunOutput> {
    const policy = this.scenario.policies[task.policyIndex];
    if (policy === undefined) throw new Error(`study: no policy set #${task.policyIndex} (the scenario has ${this.scenario.policies.length})`);
    let workloadMs = 0;
    let cached = this.cached;
    if (cached === null || cached.seed !== task.seed) {
      const t = this.clock();
      // Drop the previous workload before generating the next: one in memory at a time.
      this.cached = null;
      // Columns when small, a stream when large (a million-actor day): the same invocations either way.
      cached = { seed: task.seed, workload: workloadFor(this.scenario, task.seed) };
      this.cached = cached;
      await cached.workload;
      workloadMs = this.clock() - t;
    }
    const workload = await cached.workload;
    const t = this.clock();
    // With every row kept, every primitive's duration too (measured.csv): a number each, fewer than the rows.
    const all = this.invocations.kind === 'all';
    const options = { seed: task.seed, sampleEveryMs: this.sampleEveryMs, primitives: all, primitiveLog: all && this.invocations.primitives === true };
    if (this.invocations.kind === 'all') {
      const result = simulate(this.scenario, policy, workload, options);
      return { result, wallMs: this.clock() - t, workloadMs };
    }
    // Without every row, outcomes are reduced to statistics as they come (16
    // bytes each) and only a sample is kept whole: for invocations.csv with
    // sample=N, for the report's latency charts with none.
    const size = workloadSize(workload);
    const keep = invocationFilter(this.invocations.kind === 'sample' ? this.invocations : { kind: 'sample', rows: REPORT_SAMPLE_ROWS }, size);
    const digest = new ReplyDigest({ actorNames: workload.actorNames, warmupMs: this.scenario.warmupMs, expected: size, keep });
    const run = simulate(this.scenario, policy, workload, { ...options, replies: digest });
    const result: SimResult = { ...run, replies: digest.kept, summary: digest.summaryRow(run), outcomes: digest.outcomes };
    return { result, wallMs: this.clock() - t, workloadMs };
  }
}
