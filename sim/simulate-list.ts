import type { Io } from '../cli/io.ts';
import { repoFile } from '../cli/repo.ts';
import type { LoadDependency } from '../scenarios/read-file.ts';
import type { ListArgs } from './list-cache.ts';

// Light on purpose: sim/cli.ts imports this before deciding what to load, so --help must not
// pay for the scenario loader (zod, yaml) here; listPolicySets loads it when a listing is not
// answered from the cache.

/** The scenario `npm run simulate` runs with no --scenario. */
export const DEFAULT_SCENARIO_FILE = repoFile('scenarios', 'default.yaml');

export type { ListArgs } from './list-cache.ts';

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

/**
 * `simulate --list`: the scenario's policy sets, one a line. Loads the
 * scenario only: no simulator, reports or charts (issue 15: start-up under
 * 0.5 s); and not even that when `cacheDir` holds the listing of an earlier
 * full load whose files are unchanged (sim/list-cache.ts). Default cache:
 * dist/.cache/list/ when compiled; null lists without one.
 */
export async function listPolicySets(args: ListArgs, io: Pick<Io, 'out'>, cacheDir?: string | null): Promise<number> {
  const { ListCache, defaultListCacheDir } = await import('./list-cache.ts');
  const dir = cacheDir === undefined ? defaultListCacheDir() : cacheDir;
  const cache = dir === null ? null : new ListCache(dir, args);
  const cached = cache === null ? null : await cache.lookup();
  if (cached !== null) {
    io.out(listingText(cached));
    return 0;
  }
  const { loadScenarioFile } = await import('../scenarios/load.ts');
  const dependencies: LoadDependency[] = [];
  const scenario = loadScenarioFile(args.scenario, { allowOutside: args.allowOutside, onDependency: (d) => dependencies.push(d) });
  const names = scenario.policies.map((p) => p.name);
  io.out(listingText(names));
  await cache?.store(dependencies, names);
  return 0;
}

/**
 * What listPolicySets would print from the cache (by default the default
 * one), or null when it would load the scenario: sim/cli.ts prints a hit as it prints
 * --help, before loading the shell that a load's errors need.
 */
export async function cachedListing(args: ListArgs, cacheDir?: string | null): Promise<string | null> {
  const { ListCache, defaultListCacheDir } = await import('./list-cache.ts');
  const dir = cacheDir === undefined ? defaultListCacheDir() : cacheDir;
  const cached = dir === null ? null : await new ListCache(dir, args).lookup();
  return cached === null ? null : listingText(cached);
}

function listingText(policySets: readonly string[]): string {
  return policySets.map((name) => `${name}\n`).join('');
}
