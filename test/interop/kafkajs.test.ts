import kafkajs from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readTopic } from '../support/read-back.js'
import { startTestCluster, type TestCluster } from './fixture.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { KAFKAJS_UNDER_LOAD, until } from '../helpers/index.js'

const { Kafka, logLevel } = kafkajs
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'

describe('interop/kafkajs 2.2.4', () => {
  let cluster: TestCluster
  let kafka: InstanceType<typeof Kafka>
  beforeAll(async () => {
    cluster = await startTestCluster({ brokers: 3 })
    kafka = new Kafka({ ...KAFKAJS_UNDER_LOAD, clientId: 'interop', brokers: [cluster.bootstrap], logLevel: logLevel.NOTHING })
  })
  afterAll(async () => {
    await cluster?.stop()
  })

  it('admin creates, describes, lists and deletes topics', async () => {
    const admin = kafka.admin()
    await admin.connect()
    try {
      expect(await admin.createTopics({ topics: [{ topic: 'admin-t', numPartitions: 4 }] })).toBe(true)
      expect(await admin.createTopics({ topics: [{ topic: 'admin-t', numPartitions: 4 }] })).toBe(false)
      const meta = await admin.fetchTopicMetadata({ topics: ['admin-t'] })
      expect(meta.topics[0]!.partitions).toHaveLength(4)
      const offsets = await admin.fetchTopicOffsets('admin-t')
      expect(offsets.map((o) => o.high)).toEqual(['0', '0', '0', '0'])
      const configs = await admin.describeConfigs({ resources: [{ type: 2, name: 'admin-t' }], includeSynonyms: false })
      expect(configs.resources[0]!.configEntries.find((c) => c.configName === 'cleanup.policy')?.configValue).toBe('delete')
      expect(await admin.listTopics()).toContain('admin-t')
      await admin.deleteTopics({ topics: ['admin-t'] })
      expect(await admin.listTopics()).not.toContain('admin-t')
    } finally {
      await admin.disconnect()
    }
  })

  it('admin.deleteTopicRecords moves the low offsets (DeleteRecords), -1 to the high watermark', async () => {
    const admin = kafka.admin()
    await admin.connect()
    const producer = kafka.producer()
    await producer.connect()
    try {
      await admin.createTopics({ topics: [{ topic: 'kjs-trim', numPartitions: 2 }] })
      for (let i = 0; i < 5; i++) {
        await producer.send({ topic: 'kjs-trim', acks: -1, messages: [{ partition: 0, value: `a${i}` }, { partition: 1, value: `b${i}` }] })
      }
      // kafkajs finds the leaders in its admin's metadata cache, which a createTopics does not fill.
      await admin.fetchTopicMetadata({ topics: ['kjs-trim'] })
      await admin.deleteTopicRecords({ topic: 'kjs-trim', partitions: [{ partition: 0, offset: '3' }, { partition: 1, offset: '-1' }] })
      const offsets = await admin.fetchTopicOffsets('kjs-trim')
      expect(offsets.sort((a, b) => a.partition - b.partition).map((o) => [o.low, o.high])).toEqual([
        ['3', '5'],
        ['5', '5'],
      ])
      // Past the high watermark: kafkajs reports the broker's OFFSET_OUT_OF_RANGE.
      await expect(admin.deleteTopicRecords({ topic: 'kjs-trim', partitions: [{ partition: 0, offset: '9' }] })).rejects.toMatchObject({
        cause: { partitions: [{ partition: 0, error: { type: 'OFFSET_OUT_OF_RANGE' } }] },
      })
    } finally {
      await producer.disconnect()
      await admin.disconnect()
    }
  })

  it('what the producer writes reads back identical: keys, values, headers, partitions', async () => {
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: 'kjs', numPartitions: 3 }] })
    await admin.disconnect()
    const producer = kafka.producer()
    await producer.connect()
    const sent: { key: string | null; value: string | null; headers: Record<string, string> }[] = []
    const partitions = new Map<string, number>()
    try {
      for (let round = 0; round < 10; round++) {
        const messages = Array.from({ length: 100 }, (_, i) => {
          const n = round * 100 + i
          return {
            key: n % 7 === 0 ? null : `key-${n % 13}`,
            value: n % 50 === 0 ? null : JSON.stringify({ n, text: 'é✓'.repeat(n % 5) }),
            headers: { n: String(n), kind: n % 2 ? 'odd' : 'even' },
          }
        })
        sent.push(...messages)
        const acks = await producer.send({ topic: 'kjs', acks: -1, messages })
        for (const a of acks) expect(a.errorCode).toBe(ErrorCode.NONE)
      }
    } finally {
      await producer.disconnect()
    }
    const got = await readTopic(cluster.port, 'kjs')
    expect(got).toHaveLength(sent.length)
    const byN = new Map(got.map((r) => [r.headers.find(([k]) => k === 'n')![1], r]))
    for (const [n, m] of sent.entries()) {
      const r = byN.get(String(n))!
      expect(r.key).toBe(m.key)
      expect(r.value).toBe(m.value)
      expect(r.headers).toEqual([['n', String(n)], ['kind', m.headers.kind]])
      // A key always lands on the same partition.
      if (m.key !== null) {
        if (!partitions.has(m.key)) partitions.set(m.key, r.partition)
        expect(r.partition).toBe(partitions.get(m.key))
      }
    }
    // Per partition, records keep the order they were sent in.
    for (const p of [0, 1, 2]) {
      const ns = got.filter((r) => r.partition === p).sort((a, b) => a.offset - b.offset).map((r) => Number(r.headers[0]![1]))
      expect(ns).toEqual([...ns].sort((a, b) => a - b))
    }
  })

  it('a compacted topic refuses a message without a key (INVALID_RECORD) and takes keyed ones', async () => {
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: 'kjs-compacted', numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] })
    await admin.disconnect()
    const producer = kafka.producer({ retry: { retries: 0 } })
    await producer.connect()
    try {
      await expect(producer.send({ topic: 'kjs-compacted', acks: -1, messages: [{ key: 'k', value: 'a' }, { value: 'no key' }] })).rejects.toMatchObject({
        type: 'INVALID_RECORD',
      })
      const acks = await producer.send({ topic: 'kjs-compacted', acks: -1, messages: [{ key: 'k', value: 'b' }] })
      expect(acks[0]).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: '0' })
    } finally {
      await producer.disconnect()
    }
  })

  // Last in the file: it stops broker 3 for a while (started again at its end).
  it('admin.alterPartitionReassignments moves a partition, listPartitionReassignments shows it in progress', async () => {
    const admin = kafka.admin()
    await admin.connect()
    const producer = kafka.producer()
    await producer.connect()
    try {
      await admin.createTopics({ topics: [{ topic: 'kjs-move', replicaAssignment: [{ partition: 0, replicas: [1, 2] }] }] })
      for (let i = 0; i < 5; i++) await producer.send({ topic: 'kjs-move', acks: -1, messages: [{ partition: 0, value: `v${i}` }] })
      // Broker 3 down: the move to it stays in progress until it is back.
      await cluster.runtime.killBroker(3, { clean: true })
      await admin.alterPartitionReassignments({ topics: [{ topic: 'kjs-move', partitionAssignment: [{ partition: 0, replicas: [2, 3] }] }] })
      expect(await admin.listPartitionReassignments({ topics: [{ topic: 'kjs-move', partitions: [0, 1] }] })).toEqual({
        topics: [{ name: 'kjs-move', partitions: [{ partition: 0, replicas: [2, 3, 1], addingReplicas: [3], removingReplicas: [1] }] }],
      })
      await expect(
        admin.alterPartitionReassignments({ topics: [{ topic: 'kjs-move', partitionAssignment: [{ partition: 0, replicas: [5, 1] }] }] }),
      ).rejects.toMatchObject({ errors: [{ type: 'INVALID_REPLICA_ASSIGNMENT', topic: 'kjs-move', partition: 0 }] })
      await expect(
        admin.alterPartitionReassignments({ topics: [{ topic: 'kjs-nope', partitionAssignment: [{ partition: 0, replicas: [2, 1] }] }] }),
      ).rejects.toMatchObject({ errors: [{ type: 'UNKNOWN_TOPIC_OR_PARTITION' }] })

      await cluster.runtime.startBroker(3)
      await until('the move to complete', async () => ((await admin.listPartitionReassignments({})).topics.length === 0 ? true : undefined))
      const meta = await admin.fetchTopicMetadata({ topics: ['kjs-move'] })
      expect(meta.topics[0]!.partitions[0]!.replicas).toEqual([2, 3])
      expect((await readTopic(cluster.port, 'kjs-move')).map((r) => r.value)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4'])
    } finally {
      await cluster.runtime.startBroker(3)
      await producer.disconnect()
      await admin.disconnect()
    }
  })
})
