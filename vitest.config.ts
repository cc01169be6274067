import { defineConfig } from 'vitest/config'
import { HANG_MS } from './test/helpers/wait.js'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx', 'src/**/*.test.ts'],
    // End-to-end tests run many CLI processes; on a loaded 2-core machine a test that takes 20 s
    // when quiet can take many minutes (groups.test.ts makes about 40 calls of the Kafka client
    // library's commands in one test: 10 minutes at a load average of 80). Tests and hooks wait
    // on conditions, and each call or wait gives up after the helpers' HANG_MS, naming what hung:
    // vitest's own limits are only the backstop for a test that hangs between those.
    testTimeout: 6 * HANG_MS,
    hookTimeout: 2 * HANG_MS,
    // Each file gets its own worker; end-to-end files start daemons on free ports.
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
})
