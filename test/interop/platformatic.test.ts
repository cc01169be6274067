import { Admin, Consumer, MessagesStreamModes, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readTopic } from '../support/read-back.js'
import { startTestCluster, type TestCluster } from './fixture.js'
import '../../src/broker/handlers/index.js'
import { handlerFor } from '../../src/broker/handler.js'
import { ApiKey } from '../../src/protocol/api-keys.js'

const FETCH_MAX = handlerFor(ApiKey.Fetch)?.maxVersion ?? 0

describe('interop/@platformatic/kafka 1.x', () => {
  let cluster: TestCluster
  beforeAll(async () => {
    cluster = await startTestCluster({ brokers: 3 })
  })
  afterAll(async () => {
    await cluster?.stop()
  })

  it('admin creates, lists and deletes topics', async () => {
    const admin = new Admin({ clientId: 'interop', bootstrapBrokers: [cluster.bootstrap] })
    try {
      await admin.createTopics({ topics: ['plt-admin'], partitions: 5, replicas: 1 })
      expect(await admin.listTopics()).toContain('plt-admin')
      await expect(admin.createTopics({ topics: ['plt-admin'], partitions: 5, replicas: 1 })).rejects.toThrow()
      await admin.deleteTopics({ topics: ['plt-admin'] })
      expect(await admin.listTopics()).not.toContain('plt-admin')
    } finally {
      await admin.close()
    }
  })

  it('what the producer writes reads back identical: keys, values, headers, partitions', async () => {
    const producer = new Producer({
      clientId: 'interop',
      bootstrapBrokers: [cluster.bootstrap],
      serializers: stringSerializers,
      autocreateTopics: true,
    })
    const sent: { key: string; value: string; n: number }[] = []
    try {
      for (let round = 0; round < 10; round++) {
        const messages = Array.from({ length: 100 }, (_, i) => {
          const n = round * 100 + i
          return { topic: 'plt', key: `key-${n % 11}`, value: JSON.stringify({ n }), headers: { n: String(n) } }
        })
        sent.push(...messages.map((m) => ({ key: m.key, value: m.value, n: Number(m.headers.n) })))
        await producer.send({ messages, acks: -1 })
      }
    } finally {
      await producer.close()
    }
    const got = await readTopic(cluster.port, 'plt')
    expect(got).toHaveLength(sent.length)
    const byN = new Map(got.map((r) => [Number(r.headers[0]![1]), r]))
    const partitionOfKey = new Map<string, number>()
    for (const m of sent) {
      const r = byN.get(m.n)!
      expect([r.key, r.value]).toEqual([m.key, m.value])
      if (!partitionOfKey.has(m.key)) partitionOfKey.set(m.key, r.partition)
      expect(r.partition).toBe(partitionOfKey.get(m.key))
    }
    for (const p of new Set(got.map((r) => r.partition))) {
      const ns = got.filter((r) => r.partition === p).sort((a, b) => a.offset - b.offset).map((r) => Number(r.headers[0]![1]))
      expect(ns).toEqual([...ns].sort((a, b) => a - b))
    }
  })

  // @platformatic/kafka fetches by the topic id Metadata v10+ answers; at Fetch v12 (no ids) it
  // sends that id as the topic's name, so its consumer needs a broker that serves Fetch v13+ once
  // Metadata answers ids, as every Kafka it supports (3.5+) does.
  it.skipIf(FETCH_MAX < 13)('a consumer group reads what was produced, at the versions it negotiates (JoinGroup 9, SyncGroup 5, OffsetFetch 9, Metadata 12)', async () => {
    const producer = new Producer({ clientId: 'interop', bootstrapBrokers: [cluster.bootstrap], serializers: stringSerializers, autocreateTopics: true })
    try {
      await producer.send({ messages: Array.from({ length: 20 }, (_, n) => ({ topic: 'plt-group', key: `k${n % 3}`, value: String(n) })), acks: -1 })
    } finally {
      await producer.close()
    }
    const consumer = new Consumer({ groupId: 'plt-group', clientId: 'interop', bootstrapBrokers: [cluster.bootstrap], deserializers: stringDeserializers })
    const seen: number[] = []
    try {
      const stream = await consumer.consume({ topics: ['plt-group'], mode: MessagesStreamModes.EARLIEST, autocommit: false, sessionTimeout: 10_000, heartbeatInterval: 500 })
      for await (const message of stream) {
        seen.push(Number(message.value))
        if (seen.length === 20) break
      }
      await stream.close()
    } finally {
      await consumer.close()
    }
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, n) => n))
  })
})
