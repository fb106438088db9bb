import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Those need a real cluster: npm run test:cluster (vitest.cluster.config.ts).
    exclude: ['test/cluster/**', '**/node_modules/**'],
    // Ceilings that only end a hang, never a verdict on speed: tests bound their work by steps and counts
    // and wait on conditions (test/helpers/wait.ts), and on a 2-core machine at a load average in the
    // hundreds a test that starts worker processes takes minutes.
    testTimeout: 900_000,
    hookTimeout: 600_000,
  },
});
