import { BenchUsageError, runBench } from './main.ts';
import { ScenarioError } from '../scenarios/errors.ts';
import { TraceError } from '../scenarios/traces/errors.ts';
import { K8sBenchError } from './k8s/errors.ts';

// The shell: signals, stdout, exit codes. Ctrl-C or SIGTERM aborts the run,
// which stops every worker and writes a partial report; a second one exits at once.
const controller = new AbortController();
let signals = 0;
const onSignal = (name: string): void => {
  signals += 1;
  if (signals > 1) process.exit(130);
  process.stderr.write(`bench: ${name}: stopping workers and writing a partial report (again to quit at once)\n`);
  controller.abort();
};
process.on('SIGINT', () => onSignal('SIGINT'));
process.on('SIGTERM', () => onSignal('SIGTERM'));

try {
  process.exitCode = await runBench(process.argv.slice(2), {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    isoNow: () => new Date().toISOString(),
    signal: controller.signal,
  });
} catch (err) {
  if (err instanceof BenchUsageError) {
    process.stderr.write(`bench:cluster: ${err.message}\nRun with --help for the options.\n`);
    process.exitCode = 2;
  } else if (err instanceof ScenarioError) {
    process.stderr.write(`bench:cluster: invalid scenario:\n${err.message}\n`);
    process.exitCode = 1;
  } else if (err instanceof K8sBenchError) {
    // A cluster that is not there, an image not loaded, a driver that failed: the message says what to do.
    process.stderr.write(`bench:cluster: ${err.message}\n`);
    process.exitCode = 1;
  } else if (err instanceof TraceError) {
    process.stderr.write(`bench:cluster: invalid trace:\n${err.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`bench:cluster: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}
