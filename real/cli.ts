import { EXIT_USAGE } from '../cli/exit.ts';
import { runCli } from '../cli/shell.ts';
import { ReportDirError } from '../reports/write.ts';
import { ScenarioError } from '../scenarios/errors.ts';
import { TraceError } from '../scenarios/traces/errors.ts';
import { ClusterCapacityError, K8sBenchError } from './k8s/errors.ts';
import { runRealRun } from './main.ts';

// The shell of bench:cluster. Ctrl-C or SIGTERM aborts the run, which stops
// every worker and writes a partial report; a second one exits at once.
await runCli('bench:cluster', runRealRun, {
  onInterrupt: (signal) => `${signal}: stopping workers and writing a partial report (again to quit at once)`,
  expected: [
    // --out that cannot take the report: said before anything runs.
    { type: ReportDirError, say: (m) => `${m}\nNothing was run or written.`, code: EXIT_USAGE },
    { type: ScenarioError, say: (m) => `invalid scenario:\n${m}`, code: EXIT_USAGE },
    // Pods the cluster cannot hold: found before anything was applied.
    { type: ClusterCapacityError, say: (m) => `${m}\nNothing was applied.`, code: EXIT_USAGE },
    // A cluster that is not there, an image not loaded, a driver that failed: the message says what to do.
    { type: K8sBenchError, say: (m) => m },
    { type: TraceError, say: (m) => `invalid trace:\n${m}`, code: EXIT_USAGE },
  ],
});
