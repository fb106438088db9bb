import { runSimulate, UsageError } from './main.ts';
import { ScenarioError } from '../scenarios/errors.ts';
import { TraceError } from '../scenarios/traces/errors.ts';

// The shell: real stdout, real clock for run.json, exit codes. Everything else is in main.ts.
try {
  process.exitCode = await runSimulate(process.argv.slice(2), {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    wallMs: () => performance.now(),
    isoNow: () => new Date().toISOString(),
    progress: process.stderr,
  });
} catch (err) {
  if (err instanceof UsageError) {
    process.stderr.write(`simulate: ${err.message}\nRun with --help for the options.\n`);
    process.exitCode = 2;
  } else if (err instanceof ScenarioError) {
    process.stderr.write(`simulate: invalid scenario:\n${err.message}\n`);
    process.exitCode = 1;
  } else if (err instanceof TraceError) {
    process.stderr.write(`simulate: invalid trace:\n${err.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`simulate: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}
