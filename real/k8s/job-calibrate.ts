import { loadavg } from 'node:os';
import { readFlags } from '../../cli/flags.ts';
import { runCli } from '../../cli/shell.ts';
import { CALIBRATE_LIMITED_POOL, CALIBRATE_POOL, CALIBRATE_REQUEST_TIMEOUT_MS, CALIBRATE_SLOTS, CalibrationInterruptedError, calibrationTemplates, machineFacts, measure } from '../primitives.ts';
import { driverEnv, streamReport, waitForStore } from './job-common.ts';
import { DRIVER_FILE, SAMPLES_FILE, readJobCalibration } from './job-calibration.ts';
import { K8sRuntime } from './runtime.ts';

// The calibration's driver inside the cluster, as its Job runs it:
// calibration.json in, the same measuring as `calibrate --backend local`
// against worker pods through the k8s runtime, the raw samples out as the
// report stream of its log; the launcher fits them and writes the profile.
// SIGTERM (Ctrl-C on the launcher deletes the namespace) stops between two
// primitives and streams no samples. A sweep that fails part way is named
// in the samples' `failed`, with what it measured (real/primitives.ts).
const USAGE = 'usage: node --import tsx real/k8s/job-calibrate.ts --calibration FILE\n  token from ACTORSIM_TOKEN, the store\'s secret from ACTORSIM_STORE_TOKEN, the store from ACTORSIM_STORE_URL; the API server from the pod\'s service account';

async function main(argv: readonly string[]): Promise<number> {
  const { calibration: file } = readFlags(argv, { calibration: { type: 'string' } });
  if (file === undefined) throw new Error(USAGE);
  const job = readJobCalibration(file);
  const { token, storeToken, storeUrl, kc, signal } = driverEnv(USAGE);
  await waitForStore(storeUrl, storeToken, signal);
  const loadBefore = loadavg();
  const t0 = performance.now();
  const log = (line: string): void => void process.stderr.write(`  ${line}\n`);
  const runtime = await K8sRuntime.start({
    kubeConfig: kc,
    plan: job.plan,
    policyIndex: 0,
    policyName: 'calibrate',
    pools: {
      [CALIBRATE_POOL]: { actorSlots: CALIBRATE_SLOTS, runtimeClass: job.runtimeClass, nodeSelector: {} },
      // A pool that gives a cpu gets it as its pods' limit (real/k8s/worker-pod.ts).
      ...(job.limitedCpuMilli === undefined ? {} : { [CALIBRATE_LIMITED_POOL]: { actorSlots: CALIBRATE_SLOTS, cpuMilli: job.limitedCpuMilli, runtimeClass: job.runtimeClass, nodeSelector: {} } }),
    },
    templateMemoryMiB: calibrationTemplates(job),
    token,
    storeToken,
    storeUrl,
    requestTimeoutMs: CALIBRATE_REQUEST_TIMEOUT_MS,
    log,
  });
  const sweeps = [
    ...(job.concurrency.length > 0 ? [`concurrency ${job.concurrency.join(',')}`] : []),
    ...((job.mixed ?? []).length > 0 ? [`mixed ${job.mixed!.join(',')}`] : []),
    ...(job.limitedCpuMilli === undefined ? [] : [`limited to ${job.limitedCpuMilli}m`]),
  ];
  process.stderr.write(
    `calibrate on worker pods in namespace ${job.plan.namespace}: sizes ${job.sizesMiB.map((s) => `${s} MiB`).join(', ')}, ${job.repeats} repeats${sweeps.length > 0 ? `, ${sweeps.join(', ')} at ${job.concurrencySizeMiB} MiB` : ''}\n`,
  );
  let samples;
  try {
    samples = await measure(runtime, { ...job, log, signal });
  } catch (err) {
    if (err instanceof CalibrationInterruptedError) {
      process.stderr.write(`driver: ${err.message}\n`);
      // An empty stream: the launcher tells an interruption from a driver that broke.
      await streamReport({});
      return 130;
    }
    throw err;
  } finally {
    await runtime.close();
  }
  await streamReport({
    [SAMPLES_FILE]: JSON.stringify(samples),
    [DRIVER_FILE]: JSON.stringify({ ...machineFacts(loadBefore), wallMs: performance.now() - t0 }),
  });
  return 0;
}

await runCli('driver', main, { driver: true });
