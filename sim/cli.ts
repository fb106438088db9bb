import { runCli } from '../cli/shell.ts';
import { ScenarioError } from '../scenarios/errors.ts';
import { TraceError } from '../scenarios/traces/errors.ts';
import { runSimulate } from './main.ts';

// The shell: real stdout, real clock for run.json, exit codes. Everything else is in main.ts.
await runCli('simulate', (argv, io) => runSimulate(argv, { ...io, wallMs: () => performance.now(), progress: process.stderr }), {
  expected: [
    { type: ScenarioError, say: (m) => `invalid scenario:\n${m}` },
    { type: TraceError, say: (m) => `invalid trace:\n${m}` },
  ],
});
