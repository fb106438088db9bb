import { runCli } from '../cli/shell.ts';
import { K8sBenchError } from '../real/k8s/errors.ts';
import { ScenarioError } from '../scenarios/errors.ts';
import { TraceError } from '../scenarios/traces/errors.ts';
import { runFidelity } from './main.ts';
import { FidelityInputError } from './record.ts';

// The shell of `npm run fidelity`: exit codes 2 usage, 1 a failed run or scenario.
await runCli('fidelity', (argv, io) => runFidelity(argv, io), {
  expected: [
    // --against a folder that cannot be compared against: checked before anything is run or written.
    { type: FidelityInputError, say: (m) => `${m}\nNothing was written.` },
    { type: ScenarioError, say: (m) => `invalid scenario:\n${m}` },
    // --backend k8s: the cluster is checked before anything runs; the message says what to do.
    { type: K8sBenchError, say: (m) => `${m}\nNothing was run or written.` },
    { type: TraceError, say: (m) => `invalid trace:\n${m}` },
  ],
});
