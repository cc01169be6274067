import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx', 'src/**/*.test.ts'],
    // End-to-end tests run many CLI processes; on a loaded 2-core machine a test that takes 20 s
    // when quiet can take over a minute. A hang still fails, after 3 minutes.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    // Each file gets its own worker; end-to-end files start daemons on free ports.
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
})
