import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { RUN_CONFIG_DIR, runPlanSchema, type RunPlan } from './plan.ts';

/**
 * What the calibration's driver Job measures: the grid as the launcher
 * parsed it, the RuntimeClass of the worker pods, and the run's plan. It
 * travels as `calibration.json` in the run's ConfigMap, as bench.json does
 * for a real run.
 */
export interface JobCalibration {
  readonly plan: RunPlan;
  readonly sizesMiB: readonly number[];
  readonly repeats: number;
  readonly concurrency: readonly number[];
  readonly concurrencySizeMiB: number;
  /** Batch sizes of the mixed sweep (issue 18); absent or empty: none. Left out of calibration.json when empty, so an image from before it still reads the rest. */
  readonly mixed?: readonly number[];
  /** --limited: the cpu limit of the pod the primitives are measured on again (absent: not measured; left out of calibration.json then). */
  readonly limitedCpuMilli?: number;
  readonly runtimeClass: string;
}

/** ConfigMap key of the calibration. */
export const CALIBRATION_KEY = 'calibration.json';

/** The calibration driver's command line inside the image. */
export const CALIBRATION_COMMAND = ['node', '--import', 'tsx', 'real/k8s/job-calibrate.ts', '--calibration', `${RUN_CONFIG_DIR}/${CALIBRATION_KEY}`];

/** The report-stream files of a calibration: the raw samples and the driver's view of its node. */
export const SAMPLES_FILE = 'samples.json';
export const DRIVER_FILE = 'driver.json';

const jobCalibrationSchema = z.strictObject({
  plan: runPlanSchema,
  sizesMiB: z.array(z.number().positive()).min(1),
  repeats: z.number().int().min(1),
  concurrency: z.array(z.number().int().min(1)),
  concurrencySizeMiB: z.number().positive(),
  mixed: z.array(z.number().int().min(1)).optional(),
  limitedCpuMilli: z.number().int().min(1).optional(),
  runtimeClass: z.string().min(1),
});

/** The run's ConfigMap files of a calibration. */
export function calibrationConfigFiles(job: JobCalibration): Record<string, string> {
  return { [CALIBRATION_KEY]: `${JSON.stringify(job, null, 2)}\n` };
}

/** Reads calibration.json back in the driver. */
export function readJobCalibration(file: string): JobCalibration {
  const parsed = jobCalibrationSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
