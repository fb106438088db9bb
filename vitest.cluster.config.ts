import { defineConfig } from 'vitest/config';

// `npm run test:cluster`: integration tests against a real cluster (scripts/local-cluster-up.sh
// or kind), one file at a time so pods of different files do not compete for the node.
// Without a reachable cluster every test is skipped with one line saying so.
export default defineConfig({
  test: {
    include: ['test/cluster/**/*.test.ts'],
    globalSetup: ['test/cluster/global-setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});
