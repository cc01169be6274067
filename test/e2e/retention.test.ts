/**
 * Retention and compaction observed through a Kafka client (issue 6), with the broker's cleaner
 * tick (log.retention.check.interval.ms) lowered so it runs within the test:
 *  - cleanup.policy=compact, replication 3: a kafkajs consumer reading from the beginning sees the
 *    last value per key at its original offset; tombstoned keys vanish after delete.retention.ms;
 *    the cleaner runs on every replica: once the leader is killed, the new leader (a follower
 *    until then) serves the same compacted records;
 *  - cleanup.policy=delete with retention.ms: the log start offset moves, ListOffsets (earliest)
 *    reports it and a consumer from the beginning starts there.
 */
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { callDaemon } from '../../src/client/control.js'
import { readTopic } from '../support/read-back.js'
import { applyBrokerConfigs, FAST_FAILOVER_CONFIGS, HANG_MS, KAFKAJS_UNDER_LOAD, sluice, startDaemon, stopDaemon, type TestDaemon } from '../helpers/index.js'

let d: TestDaemon
let kafka: Kafka
let admin: Admin
let producer: Producer
/** What the compacted topic's leader served once its tombstone had gone. */
let compactedView: string[] = []

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function waitFor<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = HANG_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (ok(v)) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`)
    await sleep(200)
  }
}

/** Every record of partition 0 as offset:key=value ('-' for a tombstone), read by a kafkajs consumer from the beginning. */
async function consumeAll(topic: string): Promise<string[]> {
  const [{ high }] = await admin.fetchTopicOffsets(topic)
  const last = Number(high) - 1
  const consumer = kafka.consumer({ groupId: `read-${topic}-${Date.now()}-${Math.random()}`, maxWaitTimeInMs: 100 })
  const seen: string[] = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            const value = message.value === null ? '-' : message.value.toString()
            seen.push(`${message.offset}:${message.key?.toString() ?? ''}=${value}`)
            if (Number(message.offset) >= last) resolve()
          },
        })
        .catch(reject)
    })
  } finally {
    await consumer.disconnect()
  }
  return seen
}

beforeAll(async () => {
  d = await startDaemon({ brokers: 3 })
  kafka = new Kafka({ ...KAFKAJS_UNDER_LOAD, brokers: [d.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 100 } })
  admin = kafka.admin()
  await admin.connect()
  // FAST_FAILOVER_CONFIGS: the leader the last test kills is fenced after 1 s, not the default 9 s.
  // AlterConfigs replaces the whole set of dynamic broker configs: all of them go each time.
  const setConfigs = (configs: Record<string, string>): Promise<unknown> =>
    admin.alterConfigs({ validateOnly: false, resources: [{ type: 4, name: '1', configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }] })
  producer = kafka.producer({ allowAutoTopicCreation: false })
  await applyBrokerConfigs(setConfigs, { 'log.retention.check.interval.ms': '200', ...FAST_FAILOVER_CONFIGS }, () => producer.connect())
})

afterAll(async () => {
  await producer?.disconnect().catch(() => undefined)
  await admin?.disconnect().catch(() => undefined)
  if (d) await stopDaemon(d)
})

describe('retention and compaction through kafkajs', () => {
  it('a compacted topic keeps the latest value per key at its offset; tombstones go after delete.retention.ms', async () => {
    const topic = 'compacted'
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: 1,
          replicationFactor: 3,
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            // Until the compacted log has been seen with its tombstone: then shortened below.
            { name: 'delete.retention.ms', value: String(HANG_MS) },
          ],
        },
      ],
    })
    // One send is one batch: offsets 0..5, 6..8, 9..10, then 11 (the active batch, never cleaned).
    const send = async (messages: [string, string | null][]): Promise<string | undefined> =>
      (await producer.send({ topic, acks: -1, messages: messages.map(([key, value]) => ({ key, value, partition: 0 })) }))[0]?.baseOffset
    const bases = [
      await send([['a', 'a1'], ['b', 'b1'], ['c', 'c1'], ['d', 'd1'], ['e', 'e1'], ['f', 'f1']]),
      await send([['a', 'a2'], ['b', 'b2'], ['g', 'g1']]),
      await send([['c', null], ['a', 'a3']]),
      await send([['z', 'z1']]),
    ]
    expect(bases).toEqual(['0', '6', '9', '11'])

    const compacted = ['3:d=d1', '4:e=e1', '5:f=f1', '7:b=b2', '8:g=g1', '9:c=-', '10:a=a3', '11:z=z1']
    // The cleaner tick runs on every broker; what a consumer reads is the leader's copy.
    const seen = await waitFor('compaction', () => consumeAll(topic), (v) => v.length <= compacted.length)
    expect(seen).toEqual(compacted)
    const [offsets] = await admin.fetchTopicOffsets(topic)
    expect([offsets.low, offsets.high]).toEqual(['0', '12'])

    // The tombstone outlives delete.retention.ms only: then key c is gone entirely. (AlterConfigs
    // replaces the topic's configs: the policy goes again.)
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: 2, name: topic, configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'delete.retention.ms', value: '100' }] }],
    })
    const after = await waitFor('tombstone removal', () => consumeAll(topic), (v) => !v.some((r) => r.startsWith('9:')))
    expect(after).toEqual(compacted.filter((r) => r !== '9:c=-'))
    compactedView = after
  })

  it('retention.ms: the log start moves and consumers from the beginning start there', async () => {
    const topic = 'retained'
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'retention.ms', value: '1000' }] }],
    })
    for (let i = 0; i < 3; i++) await producer.send({ topic, acks: -1, messages: [{ key: `k${i}`, value: `v${i}`, partition: 0 }] })
    const gone = await waitFor('retention', () => admin.fetchTopicOffsets(topic), ([p]) => p!.low === '3')
    expect(gone[0]).toMatchObject({ low: '3', high: '3' })
    await producer.send({ topic, acks: -1, messages: [{ key: 'k3', value: 'v3', partition: 0 }] })
    expect(await consumeAll(topic)).toEqual(['3:k3=v3'])
  })

  it("a follower compacted its own copy: after the leader is killed, the new leader serves the same records", async () => {
    expect(compactedView.length).toBeGreaterThan(0)
    const leaderOf = async (): Promise<number> => {
      const { partitions } = await callDaemon(d.home, 'cluster.partitions', {}, { timeoutMs: HANG_MS })
      return partitions.find((p) => p.topic === 'compacted' && p.partition === 0)!.leader
    }
    const old = await leaderOf()
    const kill = await sluice(['broker', 'kill', String(old), '--json'], { home: d.home, env: d.env })
    expect(kill.exitCode, kill.stderr).toBe(0)
    try {
      await waitFor('a new leader', leaderOf, (l) => l !== old && l >= 0, HANG_MS)
      // Read with raw Fetch requests through a live broker (kafkajs' group would wait for its coordinator's failover too).
      const port = d.brokers.find((b) => b.id !== old)!.port
      const read = async (): Promise<string[]> =>
        (await readTopic(port, 'compacted')).map((r) => `${r.offset}:${r.key ?? ''}=${r.value === null ? '-' : r.value}`)
      expect(await waitFor('the new leader serving', () => read().catch(() => []), (v) => v.length > 0)).toEqual(compactedView)
    } finally {
      await sluice(['broker', 'start', String(old), '--json'], { home: d.home, env: d.env })
    }
  })
})
