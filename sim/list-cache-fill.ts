import { readdirSync } from 'node:fs';
import { repoFile } from '../cli/repo.ts';
import { defaultListCacheDir } from './list-cache.ts';
import { listPolicySets } from './simulate-list.ts';

// The last step of `npm run build` (and so of npm ci, through prepare; scripts/dist.mjs): lists
// every shipped scenario once, as `simulate --list --scenario scenarios/NAME.yaml` would, so that
// the first listing after a build is answered from the cache (sim/list-cache.ts) too.

const dir = defaultListCacheDir();
if (dir !== null) {
  for (const name of readdirSync(repoFile('scenarios')).filter((f) => f.endsWith('.yaml')).sort()) {
    try {
      await listPolicySets({ scenario: repoFile('scenarios', name), allowOutside: false }, { out: () => {} }, dir);
    } catch {
      // A file that does not load is not recorded: its listing goes through the loader each
      // time and says what is wrong, as any invalid scenario's does.
    }
  }
}
