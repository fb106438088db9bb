import { CalibrateUsageError, RefitError, runCalibrate } from './calibrate.ts';
import { ScenarioError } from '../scenarios/errors.ts';
import { K8sBenchError } from './k8s/errors.ts';

// The shell of `npm run calibrate`: signals, stdout, stderr, exit codes (2
// usage, 1 failure, 130 interrupted). Ctrl-C stops the measuring between two
// primitives (with --backend k8s it deletes the run's namespace at once) and
// writes nothing; a second one exits at once.
const controller = new AbortController();
let signals = 0;
const onSignal = (name: string): void => {
  signals += 1;
  if (signals > 1) process.exit(130);
  process.stderr.write(`calibrate: ${name}: stopping; no profile is written (again to quit at once)\n`);
  controller.abort();
};
process.on('SIGINT', () => onSignal('SIGINT'));
process.on('SIGTERM', () => onSignal('SIGTERM'));

try {
  process.exitCode = await runCalibrate(process.argv.slice(2), {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    isoNow: () => new Date().toISOString(),
    signal: controller.signal,
  });
} catch (err) {
  if (err instanceof CalibrateUsageError) {
    process.stderr.write(`calibrate: ${err.message}\nRun with --help for the options.\n`);
    process.exitCode = 2;
  } else if (err instanceof RefitError) {
    process.stderr.write(`calibrate: ${err.message}\nNo profile was written.\n`);
    process.exitCode = 1;
  } else if (err instanceof ScenarioError) {
    process.stderr.write(`calibrate: the fitted profile does not load:\n${err.message}\n`);
    process.exitCode = 1;
  } else if (err instanceof K8sBenchError) {
    // A cluster that is not there, a RuntimeClass or image missing, a driver that failed: the message says what to do.
    process.stderr.write(`calibrate: ${err.message}\nNo profile was written.\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`calibrate: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}
