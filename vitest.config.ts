import { defineConfig } from 'vitest/config'
import { HANG_MS } from './test/helpers/wait.js'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx', 'src/**/*.test.ts'],
    // End-to-end tests run many CLI processes; on a loaded 2-core machine a test that takes 20 s
    // when quiet can take minutes. Tests and hooks wait on conditions, and give up only on a hang:
    // after twice the helpers' HANG_MS, so that a hung CLI call is reported by the helper (which
    // names the command) before the test's own timeout.
    testTimeout: 2 * HANG_MS,
    hookTimeout: 2 * HANG_MS,
    // Each file gets its own worker; end-to-end files start daemons on free ports.
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
})
