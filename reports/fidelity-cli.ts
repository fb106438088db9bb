import { FidelityUsageError, runFidelity } from './fidelity-run.ts';
import { FidelityInputError } from './fidelity-record.ts';
import { ScenarioError } from '../scenarios/errors.ts';
import { TraceError } from '../scenarios/traces/errors.ts';
import { K8sBenchError } from '../real/k8s/errors.ts';

// The shell of `npm run fidelity`: stdout, stderr, exit codes (2 usage, 1 a failed run or scenario).
try {
  process.exitCode = await runFidelity(process.argv.slice(2), {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    isoNow: () => new Date().toISOString(),
  });
} catch (err) {
  if (err instanceof FidelityUsageError) {
    process.stderr.write(`fidelity: ${err.message}\nRun with --help for the options.\n`);
    process.exitCode = 2;
  } else if (err instanceof FidelityInputError) {
    // --against a folder that cannot be compared against: checked before anything is run or written.
    process.stderr.write(`fidelity: ${err.message}\nNothing was written.\n`);
    process.exitCode = 1;
  } else if (err instanceof ScenarioError) {
    process.stderr.write(`fidelity: invalid scenario:\n${err.message}\n`);
    process.exitCode = 1;
  } else if (err instanceof K8sBenchError) {
    // --backend k8s: the cluster is checked before anything runs; the message says what to do.
    process.stderr.write(`fidelity: ${err.message}\nNothing was run or written.\n`);
    process.exitCode = 1;
  } else if (err instanceof TraceError) {
    process.stderr.write(`fidelity: invalid trace:\n${err.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`fidelity: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}
