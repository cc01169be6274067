/**
 * Durability: a record acknowledged with acks=all survives kill -9 of the daemon. A producer sends
 * numbered records as fast as it can; the daemon is killed in the middle; after a restart every
 * acknowledged record is there, exactly once, at one offset.
 */
import { Admin, Producer, stringSerializers } from '@platformatic/kafka'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readTopic } from '../support/read-back.js'
import { sluice, startDaemon, stopDaemon, type TestDaemon } from '../helpers/index.js'

describe('e2e/crash', () => {
  let daemon: TestDaemon
  beforeAll(async () => {
    daemon = await startDaemon({ brokers: 3 })
  })
  afterAll(async () => {
    if (daemon) await stopDaemon(daemon)
  })

  it('kill -9 right after acknowledgements loses none of them', async () => {
    const admin = new Admin({ clientId: 'crash', bootstrapBrokers: [daemon.bootstrap] })
    await admin.createTopics({ topics: ['crash'], partitions: 3, replicas: 1 })
    await admin.close()
    const producer = new Producer({
      clientId: 'crash',
      bootstrapBrokers: [daemon.bootstrap],
      serializers: stringSerializers,
      autocreateTopics: true,
      retries: 0,
    })
    const acknowledged: number[] = []
    let n = 0
    let killed = false
    let failure: unknown = null
    const sending = (async () => {
      while (!killed) {
        const batch = Array.from({ length: 50 }, () => n++)
        try {
          await producer.send({ messages: batch.map((i) => ({ topic: 'crash', key: `k${i % 17}`, value: String(i) })), acks: -1 })
          acknowledged.push(...batch)
        } catch (error) {
          // The daemon is gone: nothing after this was acknowledged.
          if (!killed) failure = error
          break
        }
      }
    })()
    // Let acknowledgements accumulate, then kill the daemon in the middle of the stream.
    while (acknowledged.length < 2000 && failure === null) await new Promise((r) => setTimeout(r, 5))
    expect(failure).toBeNull()
    process.kill(daemon.pid, 'SIGKILL')
    killed = true
    await sending
    try {
      await producer.close(true)
    } catch {
      // Closing a producer whose broker died may fail; nothing depends on it.
    }

    const restarted = await sluice(['daemon', 'start', '--json'], { home: daemon.home, env: daemon.env })
    expect(restarted.exitCode, restarted.stderr).toBe(0)
    daemon.pid = (JSON.parse(restarted.stdout) as { pid: number }).pid

    const records = await readTopic(daemon.port, 'crash')
    const stored = records.map((r) => Number(r.value))
    expect(new Set(stored).size).toBe(stored.length)
    const storedSet = new Set(stored)
    const lost = acknowledged.filter((i) => !storedSet.has(i))
    expect(lost).toEqual([])
    // Offsets are dense per partition: nothing half-written.
    for (const p of new Set(records.map((r) => r.partition))) {
      const offsets = records.filter((r) => r.partition === p).map((r) => r.offset)
      expect(offsets).toEqual(offsets.map((_, i) => i))
    }
  })
})
