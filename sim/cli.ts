import { EXIT_USAGE } from '../cli/exit.ts';
import { runCli } from '../cli/shell.ts';
import { ReportDirError } from '../reports/write.ts';
import { ScenarioError } from '../scenarios/errors.ts';
import { TraceError } from '../scenarios/traces/errors.ts';
import { runSimulate } from './main.ts';
import { K8sStudyError } from './k8s-study-flags.ts';

// The shell: real stdout, real clock for run.json, exit codes. Everything else is in main.ts.
// With --backend k8s, Ctrl-C aborts io.signal so the Job is deleted before exit (130); a
// local study keeps Node's default (it stops at once).
const onCluster = process.argv.some((a, i) => a === '--backend=k8s' || (a === '--backend' && process.argv[i + 1] === 'k8s'));
await runCli('simulate', (argv, io) => runSimulate(argv, { ...io, wallMs: () => performance.now(), progress: process.stderr }), {
  ...(onCluster ? { onInterrupt: (signal: string) => `${signal}: deleting the study's Job and its pods (again to quit at once)` } : {}),
  expected: [
    // --out that cannot take the report: said before anything runs.
    { type: ReportDirError, say: (m) => `${m}\nNothing was run or written.`, code: EXIT_USAGE },
    { type: ScenarioError, say: (m) => `invalid scenario:\n${m}`, code: EXIT_USAGE },
    { type: TraceError, say: (m) => `invalid trace:\n${m}`, code: EXIT_USAGE },
    // The cluster said no, or a pod's results did not come back intact: exit 1.
    { type: K8sStudyError, say: (m) => m },
  ],
});
