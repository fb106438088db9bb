import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { loadScenarioFile } from '../scenarios/load.ts';
import { StudyExecutor } from './study-executor.ts';
import { applyScenarioOverrides, scenarioSha256, type ScenarioOverrides } from './study-scenario.ts';
import { runShare, shareTasks, studyTasks } from './study-shares.ts';

// The entry point of one pod of a study's Indexed Job (sim/k8s-study.ts makes
// the Job): reads the study (study.json beside the scenario file, from the
// Job's ConfigMap), takes its share from JOB_COMPLETION_INDEX, simulates it
// and writes each run framed to stdout (study-shares.ts). The same function
// runs in-process in the tests, one call per index.

/** study.json: what every index needs to know of the study. */
export interface StudyShareSpec {
  /** The scenario file's name, beside study.json. */
  readonly scenarioFile: string;
  /** The command line's overrides (sim/study-scenario.ts) but --size's probes, which run on the user's machine only. */
  readonly overrides: Omit<ScenarioOverrides, 'probes'>;
  /** scenarioSha256 of the scenario on the user's machine: a pod that loads another one stops (exit 3). */
  readonly scenarioSha256: string;
  readonly seeds: readonly number[];
  readonly sampleEveryMs: number;
  readonly invocations: { readonly kind: 'all' } | { readonly kind: 'none' } | { readonly kind: 'sample'; readonly rows: number };
  readonly runsPerShare: number;
}

/** Config key of {@link StudyShareSpec}. */
export const STUDY_SPEC_KEY = 'study.json';

/** Exit code of a pod that loaded another scenario than the user's (another image, another checkout): retrying cannot help. */
export const EXIT_MISMATCH = 3;

/** The overrides a pod takes: every one the command line has but --size's probes. */
const overridesSchema = z.strictObject({
  durationMs: z.number().positive().optional(),
  policies: z.array(z.string()).optional(),
  workerCpuMilli: z.number().int().positive().optional(),
  costsScale: z.number().positive().optional(),
});
// An override the schema lacks fails in every pod ("Unrecognized keys", as --worker-cpu did until
// 2026-12-08): this line stops the build instead when ScenarioOverrides gains one.
const everyOverride: Exclude<keyof Omit<ScenarioOverrides, 'probes'>, keyof typeof overridesSchema.shape> extends never ? true : never = true;
void everyOverride;

const specSchema = z.strictObject({
  scenarioFile: z.string().regex(/^[A-Za-z0-9._-]+$/),
  overrides: overridesSchema,
  scenarioSha256: z.string().regex(/^[0-9a-f]{64}$/),
  seeds: z.array(z.number().int().min(0)).min(1),
  sampleEveryMs: z.number().min(0),
  invocations: z.union([z.strictObject({ kind: z.literal('all') }), z.strictObject({ kind: z.literal('none') }), z.strictObject({ kind: z.literal('sample'), rows: z.number().int().positive() })]),
  runsPerShare: z.number().int().positive(),
});

/** Why a pod stopped without running its share. */
export class SharePodError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'SharePodError';
  }
}

/** Runs share `indexText` (JOB_COMPLETION_INDEX) of the study in `specFile`, writing framed lines to `writeLine`. */
export async function runStudyPod(specFile: string, indexText: string | undefined, writeLine: (line: string) => Promise<void> | void, log: (text: string) => void): Promise<void> {
  const parsed = specSchema.safeParse(JSON.parse(readFileSync(specFile, 'utf8')));
  if (!parsed.success) throw new SharePodError(`${specFile}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, 1);
  const spec = parsed.data;
  if (indexText === undefined || !/^\d+$/.test(indexText)) throw new SharePodError(`JOB_COMPLETION_INDEX is "${indexText ?? ''}": this runs as a pod of an Indexed Job`, 1);
  const index = Number(indexText);
  const scenario = applyScenarioOverrides(loadScenarioFile(join(dirname(specFile), spec.scenarioFile)), spec.overrides);
  if (scenarioSha256(scenario) !== spec.scenarioSha256) {
    throw new SharePodError(`the scenario resolves differently in this image than on the machine that started the study (sha256 ${scenarioSha256(scenario)}, expected ${spec.scenarioSha256}): rebuild the image from the same checkout`, EXIT_MISMATCH);
  }
  const tasks = shareTasks(studyTasks(scenario.policies.length, spec.seeds), spec.runsPerShare, index);
  if (tasks.length === 0) throw new SharePodError(`index ${index} has no runs (the study has ${scenario.policies.length * spec.seeds.length})`, 1);
  log(`index ${index}: ${tasks.length} run(s) of ${scenario.name}: ${tasks.map((t) => `${scenario.policies[t.policyIndex]!.name}/seed ${t.seed}`).join(', ')}\n`);
  const executor = new StudyExecutor(scenario, spec.sampleEveryMs, spec.invocations, () => performance.now());
  await runShare(executor, index, tasks, writeLine);
}

const write = (line: string): Promise<void> | void => {
  // Honour back-pressure: a share can be tens of MiB of log.
  if (process.stdout.write(`${line}\n`)) return;
  return new Promise<void>((resolve) => process.stdout.once('drain', resolve));
};

// Run as a program (the pod's command), not when imported (the tests).
if (process.argv[1]?.endsWith('study-pod.ts') === true) {
  const at = process.argv.indexOf('--study');
  const file = at >= 0 ? process.argv[at + 1] : undefined;
  if (file === undefined) {
    process.stderr.write('usage: node --import tsx sim/study-pod.ts --study FILE (JOB_COMPLETION_INDEX from the Indexed Job)\n');
    process.exit(2);
  }
  runStudyPod(file, process.env.JOB_COMPLETION_INDEX, write, (t) => process.stderr.write(t)).then(
    () => process.stdout.write('', () => process.exit(0)),
    (err: unknown) => {
      const code = err instanceof SharePodError ? err.exitCode : 1;
      process.stderr.write(`study-pod: ${err instanceof SharePodError ? err.message : ((err as Error).stack ?? String(err))}\n`, () => process.exit(code));
    },
  );
}
