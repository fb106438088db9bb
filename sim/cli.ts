import { EXIT_USAGE } from '../cli/exit.ts';
import { runCli } from '../cli/shell.ts';
import { ReportDirError } from '../reports/write.ts';
import { ScenarioError } from '../scenarios/errors.ts';
import { TraceError } from '../scenarios/traces/errors.ts';
import { runSimulate } from './main.ts';

// The shell: real stdout, real clock for run.json, exit codes. Everything else is in main.ts.
await runCli('simulate', (argv, io) => runSimulate(argv, { ...io, wallMs: () => performance.now(), progress: process.stderr }), {
  expected: [
    // --out that cannot take the report: said before anything runs.
    { type: ReportDirError, say: (m) => `${m}\nNothing was run or written.`, code: EXIT_USAGE },
    { type: ScenarioError, say: (m) => `invalid scenario:\n${m}`, code: EXIT_USAGE },
    { type: TraceError, say: (m) => `invalid trace:\n${m}`, code: EXIT_USAGE },
  ],
});
