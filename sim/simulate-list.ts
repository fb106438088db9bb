import type { Io } from '../cli/io.ts';
import { repoFile } from '../cli/repo.ts';

// Light on purpose: sim/cli.ts imports this before deciding what to load, so --help must not
// pay for the scenario loader (zod, yaml) here; listPolicySets loads it when a listing runs.

/** The scenario `npm run simulate` runs with no --scenario. */
export const DEFAULT_SCENARIO_FILE = repoFile('scenarios', 'default.yaml');

/** What `simulate --list` needs: the scenario file, and whether it may read files outside its folder. */
export interface ListArgs {
  readonly scenario: string;
  readonly allowOutside: boolean;
}

/**
 * The arguments of a plain `--list` (with at most `--scenario FILE` and
 * `--allow-outside`, each once), else null: anything else goes through
 * sim/main.ts, whose flag checks and messages stay the only ones. Only the
 * unambiguous forms are taken here; `--scenario --list` and the like are left
 * to the full parser, which says what is wrong with them.
 */
export function plainListArgs(argv: readonly string[]): ListArgs | null {
  let list = false;
  let allowOutside = false;
  let scenario: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--list' && !list) list = true;
    else if (arg === '--allow-outside' && !allowOutside) allowOutside = true;
    else if (arg.startsWith('--scenario=') && scenario === undefined && arg.length > '--scenario='.length) scenario = arg.slice('--scenario='.length);
    else if (arg === '--scenario' && scenario === undefined && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('-')) scenario = argv[++i]!;
    else return null;
  }
  return list ? { scenario: scenario ?? DEFAULT_SCENARIO_FILE, allowOutside } : null;
}

/** `simulate --list`: the scenario's policy sets, one a line. Loads the scenario only: no simulator, reports or charts (issue 15: start-up under 0.5 s). */
export async function listPolicySets(args: ListArgs, io: Pick<Io, 'out'>): Promise<number> {
  const { loadScenarioFile } = await import('../scenarios/load.ts');
  const scenario = loadScenarioFile(args.scenario, { allowOutside: args.allowOutside });
  for (const p of scenario.policies) io.out(`${p.name}\n`);
  return 0;
}
