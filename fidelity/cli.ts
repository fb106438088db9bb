import { EXIT_USAGE } from '../cli/exit.ts';
import { runCli } from '../cli/shell.ts';
import { ReportDirError } from '../reports/write.ts';
import { ClusterCapacityError, K8sBenchError } from '../real/k8s/errors.ts';
import { ScenarioError } from '../scenarios/errors.ts';
import { TraceError } from '../scenarios/traces/errors.ts';
import { runFidelity } from './main.ts';
import { FidelityInputError } from './record.ts';

// The shell of `npm run fidelity`: exit codes 2 usage or bad input, 1 a failed run, 130 interrupted
// (Ctrl-C or SIGTERM stops the running half, which its own shell turns into a partial report).
await runCli('fidelity', (argv, io) => runFidelity(argv, io), {
  onInterrupt: (signal) => `${signal}: stopping the running half (again to quit at once)`,
  expected: [
    // --out that cannot take the report: said before anything runs.
    { type: ReportDirError, say: (m) => `${m}\nNothing was run or written.`, code: EXIT_USAGE },
    // --against a folder that cannot be compared against: checked before anything is run or written.
    { type: FidelityInputError, say: (m) => `${m}\nNothing was written.`, code: EXIT_USAGE },
    { type: ScenarioError, say: (m) => `invalid scenario:\n${m}`, code: EXIT_USAGE },
    // --backend k8s: pods the cluster cannot hold, found before anything runs.
    { type: ClusterCapacityError, say: (m) => `${m}\nNothing was run or written.`, code: EXIT_USAGE },
    // --backend k8s: the cluster is checked before anything runs; the message says what to do.
    { type: K8sBenchError, say: (m) => `${m}\nNothing was run or written.` },
    { type: TraceError, say: (m) => `invalid trace:\n${m}`, code: EXIT_USAGE },
  ],
});
