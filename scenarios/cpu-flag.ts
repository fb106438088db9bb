import { flagValue } from '../cli/flags.ts';
import { UsageError } from '../cli/usage-error.ts';
import { parseCpuMilli } from './quantity.ts';

// Cpu flags of the commands (bench:cluster, calibrate, fidelity, simulate):
// here rather than in cli/, which imports nothing above it, because they read
// a Kubernetes quantity.

/** --worker-cpu in millicores: a cpu quantity of at least 1m in whole millicores, the finest a pod's request may be. */
export function workerCpuValue(text: string): number {
  return cpuMilliValue(text, '--worker-cpu');
}

/** A cpu flag in millicores: a quantity of at least 1m in whole millicores, the finest a pod's request or limit may be. */
export function cpuMilliValue(text: string, flag: string): number {
  const milli = flagValue(text.trim(), flag, parseCpuMilli);
  // Read as cores and multiplied back, 9m is 9.000000000000002 and 1.001 is 1000.9999999999999: whole within floating point.
  const rounded = Math.round(milli);
  if (!(rounded >= 1) || Math.abs(milli - rounded) > 1e-6) throw new UsageError(`${flag}: expected a cpu quantity of at least 1m in whole millicores (e.g. 100m, 0.5, 1), got "${text}"`);
  return rounded;
}
