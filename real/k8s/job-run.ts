import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { z } from 'zod';
import type { Scenario, TraceSpec, WorkloadGroup } from '../../scenarios/scenario.ts';
import type { RealRun } from '../run.ts';
import { K8sBenchError } from './errors.ts';
import { RUN_CONFIG_DIR, runPlanSchema, type RunPlan } from './plan.ts';

/**
 * What the driver Job runs: the real run's options as the launcher parsed them
 * (the scenario already loaded and validated on the user's machine, so it
 * needs nothing of the user's files), and the run's plan. It travels as
 * `bench.json` in the run's ConfigMap, with any trace files beside it.
 */
export interface JobRun extends RealRun {
  readonly plan: RunPlan;
}

/** ConfigMap key of the run (the driver's command line in manifests.ts names it). */
export const RUN_KEY = 'bench.json';

// A ConfigMap holds at most 1 MiB; leave room for bench.json and the object itself.
const MAX_TRACE_BYTES = 900 * 1024;

/** The run's ConfigMap files: bench.json, and the trace files it names (moved to where the driver mounts them). */
export function jobConfigFiles(run: RealRun, plan: RunPlan): Record<string, string> {
  const files: Record<string, string> = {};
  let bytes = 0;
  const ship = (path: string): string => {
    const key = `trace-${Object.keys(files).length}-${basename(path).replace(/[^A-Za-z0-9._-]+/g, '_')}`.slice(0, 250);
    bytes += statSync(path).size;
    if (bytes > MAX_TRACE_BYTES) {
      throw new K8sBenchError(`the scenario's trace files exceed ${MAX_TRACE_BYTES / 1024} KiB, more than the run's ConfigMap can carry to the driver; sample them smaller (trace.sample) or use --backend local`);
    }
    files[key] = readFileSync(path, 'utf8');
    return `${RUN_CONFIG_DIR}/${key}`;
  };
  const trace = (t: TraceSpec): TraceSpec => ({
    ...t,
    files: t.files.map(ship),
    ...(t.durations === undefined ? {} : { durations: t.durations.map(ship) }),
    ...(t.memory === undefined ? {} : { memory: t.memory.map(ship) }),
  });
  const workload = run.scenario.workload.map((g): WorkloadGroup => (g.kind === 'trace' ? { ...g, trace: trace(g.trace) } : g));
  const scenario: Scenario = { ...run.scenario, workload };
  const job: JobRun = { scenario, source: run.source, seed: run.seed, speedup: run.speedup, killEveryMs: run.killEveryMs, sampleEveryMs: run.sampleEveryMs, exec: run.exec, invocations: run.invocations, plan };
  // Indented: it is read by people too, in --dry-run and kubectl describe.
  files[RUN_KEY] = `${JSON.stringify(job, null, 2)}\n`;
  return files;
}

const jobRunSchema = z.object({
  // Validated where it was loaded, on the user's machine; here it only has to be the object it was.
  scenario: z.looseObject({ name: z.string(), policies: z.array(z.unknown()).min(1) }),
  source: z.string(),
  seed: z.number().int().min(0),
  speedup: z.number().positive(),
  killEveryMs: z.number().min(0),
  sampleEveryMs: z.number().positive(),
  exec: z.enum(['sleep', 'cpu']),
  invocations: z.enum(['all', 'none']),
  plan: runPlanSchema,
});

/** Reads bench.json back in the driver. */
export function readJobRun(file: string): JobRun {
  const parsed = jobRunSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data as unknown as JobRun;
}
