import { runCli } from '../../cli/shell.ts';
import { ScenarioError } from '../../scenarios/errors.ts';
import { EXIT_USAGE } from '../../cli/exit.ts';
import { ClusterCapacityError, K8sBenchError } from '../../real/k8s/errors.ts';
import { RefitError, runCalibrate } from './main.ts';

// The shell of `npm run calibrate` (2 usage, 1 failure, 130 interrupted).
// Ctrl-C stops the measuring between two primitives (with --backend k8s it
// deletes the run's namespace at once) and writes nothing; a second one
// exits at once.
await runCli('calibrate', (argv, io) => runCalibrate(argv, io), {
  onInterrupt: (signal) => `${signal}: stopping; no profile is written (again to quit at once)`,
  expected: [
    { type: RefitError, say: (m) => `${m}\nNo profile was written.` },
    { type: ScenarioError, say: (m) => `the fitted profile does not load:\n${m}` },
    // Worker pods the cluster cannot hold: found before anything was applied.
    { type: ClusterCapacityError, say: (m) => `${m}\nNothing was applied; no profile was written.`, code: EXIT_USAGE },
    // A cluster that is not there, a RuntimeClass or image missing, a driver that failed: the message says what to do.
    { type: K8sBenchError, say: (m) => `${m}\nNo profile was written.` },
  ],
});
