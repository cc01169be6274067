import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each file gets its own worker; end-to-end files start daemons on free ports.
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
})
