import { exitQuietlyOnEpipe } from '../cli/epipe.ts';
import { simulateHelp } from './simulate-help.ts';
import { cachedListing, plainListArgs, type ListArgs } from './simulate-list.ts';

// The shell: real stdout, real clock for run.json, exit codes. Everything else is in main.ts.
// `--help` alone is answered here, before sim/main.ts and its module graph (the scenario
// loader, zod, the reports, the study runner) are loaded: issue 15, start-up under 0.5 s.
// A plain `--list` loads the scenario loader only, not the simulator, reports or charts; and
// when its listing is cached from an earlier one (sim/list-cache.ts) it is answered as --help
// is, without the loader or the shell its errors need.
const argv = process.argv.slice(2);
const listing = plainListArgs(argv);
if (argv.length > 0 && argv.every((a) => a === '--help' || a === '-h')) {
  exitQuietlyOnEpipe();
  process.stdout.write(simulateHelp());
} else if (listing !== null) {
  const cached = await cachedListing(listing);
  if (cached !== null) {
    exitQuietlyOnEpipe();
    process.stdout.write(cached);
  } else {
    await runListCli(listing);
  }
} else {
  await runSimulateCli();
}

async function runListCli(args: ListArgs): Promise<void> {
  const [{ EXIT_USAGE }, { runCli }, { ScenarioError }, { TraceError }, { listPolicySets }] = await Promise.all([
    import('../cli/exit.ts'),
    import('../cli/shell.ts'),
    import('../scenarios/errors.ts'),
    import('../scenarios/traces/errors.ts'),
    import('./simulate-list.ts'),
  ]);
  // The same messages and exit codes as the full command's (runSimulateCli) for what a listing can meet.
  await runCli('simulate', (_argv, io) => listPolicySets(args, io), {
    expected: [
      { type: ScenarioError, say: (m) => `invalid scenario:\n${m}`, code: EXIT_USAGE },
      { type: TraceError, say: (m) => `invalid trace:\n${m}`, code: EXIT_USAGE },
    ],
  });
}

async function runSimulateCli(): Promise<void> {
  const [{ EXIT_USAGE }, { runCli }, { ReportDirError }, { ScenarioError }, { TraceError }, { runSimulate }, { K8sStudyError }] = await Promise.all([
    import('../cli/exit.ts'),
    import('../cli/shell.ts'),
    import('../reports/write.ts'),
    import('../scenarios/errors.ts'),
    import('../scenarios/traces/errors.ts'),
    import('./main.ts'),
    import('./k8s-study-flags.ts'),
  ]);
  // With --backend k8s, Ctrl-C aborts io.signal so the Job is deleted before exit (130); a
  // local study keeps Node's default (it stops at once).
  const onCluster = process.argv.some((a, i) => a === '--backend=k8s' || (a === '--backend' && process.argv[i + 1] === 'k8s'));
  await runCli('simulate', (args, io) => runSimulate(args, { ...io, wallMs: () => performance.now(), progress: process.stderr }), {
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
}
