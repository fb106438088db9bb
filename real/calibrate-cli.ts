import { CalibrateUsageError, runCalibrate } from './calibrate.ts';
import { ScenarioError } from '../scenarios/errors.ts';

// The shell of `npm run calibrate`: stdout, stderr, exit codes (2 usage, 1 failure).
try {
  process.exitCode = await runCalibrate(process.argv.slice(2), {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    isoNow: () => new Date().toISOString(),
  });
} catch (err) {
  if (err instanceof CalibrateUsageError) {
    process.stderr.write(`calibrate: ${err.message}\nRun with --help for the options.\n`);
    process.exitCode = 2;
  } else if (err instanceof ScenarioError) {
    process.stderr.write(`calibrate: the fitted profile does not load:\n${err.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`calibrate: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}
