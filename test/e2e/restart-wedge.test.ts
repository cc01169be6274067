/**
 * kill -9 of the daemon right after a topic is created, then producing at once (`sluice produce`
 * restarts the daemon itself): every partition recovers, with every replica back in the ISR and no
 * replica stuck truncating and refetching its first batch. The race behind it (a follower append
 * landing after its broker was elected, under the new epoch's start) is pinned deterministically by
 * the storage conformance suite and the seeded simulation; this is the path users met it on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HANG_MS, sluice, startDaemon, stopDaemon, until, type TestDaemon } from '../helpers/index.js'

const TRIES = 3
const RECORDS = 20_000

interface Status {
  underReplicated: unknown[]
  offline: unknown[]
  stuckReplicas: unknown[]
}

describe('e2e/restart-wedge', () => {
  let d: TestDaemon
  beforeAll(async () => {
    d = await startDaemon({ brokers: 3 })
  })
  afterAll(async () => {
    if (d) await stopDaemon(d)
  })

  for (let attempt = 1; attempt <= TRIES; attempt++) {
    it(`try ${attempt}: kill -9 after topic create, produce at once: every partition recovers and every record is there`, async () => {
      const topic = `wedge-${attempt}`
      const opts = { home: d.home, env: d.env, timeoutMs: HANG_MS }
      const created = await sluice(['topic', 'create', topic, '--partitions', '3', '--replication-factor', '3'], opts)
      expect(created.exitCode, created.stderr).toBe(0)
      const status = JSON.parse((await sluice(['daemon', 'status', '--json'], opts)).stdout) as { pid: number }
      process.kill(status.pid, 'SIGKILL')

      const input = Array.from({ length: RECORDS }, (_, i) => JSON.stringify({ i })).join('\n') + '\n'
      const produced = await sluice(['produce', topic], { ...opts, input })
      expect(produced.exitCode, produced.stderr).toBe(0)

      const healthy = await until(
        'every replica in the ISR, none stuck',
        async () => {
          const r = await sluice(['cluster', 'status', '--json'], opts)
          if (r.exitCode !== 0) return undefined
          const s = JSON.parse(r.stdout) as Status
          return s.underReplicated.length === 0 && s.offline.length === 0 && s.stuckReplicas.length === 0 ? s : undefined
        },
        HANG_MS,
        500,
      )
      expect(healthy.stuckReplicas).toEqual([])
      const consumed = await sluice(['consume', topic, '--exit'], opts)
      expect(consumed.exitCode, consumed.stderr).toBe(0)
      expect(consumed.stdout.trim().split('\n')).toHaveLength(RECORDS)
    })
  }
})
