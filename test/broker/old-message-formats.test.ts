/**
 * The old message formats on a real in-process cluster (one broker): Produce v0-2 with message
 * sets of magic 0 and 1, compressed and not, converted up and read back by a v2 consumer (Fetch
 * v11); Fetch v0-3 converting the stored v2 batches down (magic 0 for v0-1, 1 for v2-3): sizes,
 * markers and aborted records, v3's max_bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { Compression, TimestampType } from '../../src/protocol/batch-layout.js'
import { decodeRecordBatches, encodeRecordBatch } from '../../src/protocol/record-batch.js'
import { encodeMessageSet, innerMessages, readMessageSet, MAGIC_V0, MAGIC_V1, type MessageInput } from '../../src/protocol/message-set.js'
import { startTestCluster, type TestCluster } from '../interop/fixture.js'
import type { RawClient } from '../support/raw-client.js'
import { brokerClients } from '../support/broker-clients.js'
import { fetchPartitionsRequest, fetchRequest } from '../support/fetch-request.js'
import { until } from '../helpers/wait.js'

const T0 = 1_700_000_000_000

describe('broker/old-message-formats', () => {
  let cluster: TestCluster
  const clients = brokerClients((id) => cluster.port + id - 1)
  let client: RawClient

  async function createTopic(name: string, configs: { name: string; value: string }[] = [], numPartitions = 1): Promise<void> {
    await clients.createTopic(name, { numPartitions, replicationFactor: 1, configs })
    await until(`a leader of ${name}`, () => (cluster.runtime.image.topicsByName.get(name)?.partitions[0]?.leader ?? -1) >= 0 || undefined)
  }

  async function produce(version: number, topic: string, records: Buffer): Promise<{ errorCode: number; baseOffset: number; logAppendTimeMs: number }> {
    const res = await client.request(ApiKey.Produce, version, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 10_000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
    })
    const p = res.responses[0].partitionResponses[0]
    return { errorCode: p.errorCode, baseOffset: Number(p.baseOffset), logAppendTimeMs: Number(p.logAppendTimeMs ?? -1) }
  }

  /** Fetch at `version` from `fetchOffset`: the partition's error and its records' bytes. */
  async function fetch(version: number, topic: string, fetchOffset: number, partitionMaxBytes = 1_000_000): Promise<{ errorCode: number; highWatermark: number; records: Buffer }> {
    const res = await client.request(ApiKey.Fetch, version, fetchRequest(topic, fetchOffset, { partitionMaxBytes }))
    const p = res.responses[0].partitions[0]
    return { errorCode: p.errorCode, highWatermark: Number(p.highWatermark), records: Buffer.from(p.records ?? Buffer.alloc(0)) }
  }

  /** What a v2 consumer reads: [offset, key, value, timestamp] per record, and each batch's timestamp type and max. */
  async function readV2(topic: string): Promise<{ records: [number, string | null, string | null, number][]; timestamps: [number, number][] }> {
    const { errorCode, records } = await fetch(11, topic, 0)
    expect(errorCode).toBe(ErrorCode.NONE)
    const batches = decodeRecordBatches(records)
    return {
      records: batches.flatMap((b) => b.records.map((r): [number, string | null, string | null, number] => [r.offset, r.key?.toString() ?? null, r.value?.toString() ?? null, r.timestamp])),
      timestamps: batches.map((b): [number, number] => [b.header.timestampType, b.header.maxTimestamp]),
    }
  }

  const msgs = (values: string[], keyed = true): MessageInput[] =>
    values.map((v, i) => ({ offset: i, timestamp: T0 + i, key: keyed ? Buffer.from(`k${v}`) : null, value: Buffer.from(v) }))

  beforeAll(async () => {
    cluster = await startTestCluster({ brokers: 1 })
    client = await clients.broker(1)
  }, 60_000)
  afterAll(async () => {
    clients.close()
    await cluster?.stop()
  })

  it('Produce v0, v1 and v2 with magic 0 and 1, compressed or not, are read back by a v2 consumer', async () => {
    const topic = 'old-produce'
    await createTopic(topic)
    expect(await produce(0, topic, encodeMessageSet(MAGIC_V0, msgs(['a', 'b'])))).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0 })
    expect(await produce(1, topic, encodeMessageSet(MAGIC_V0, msgs(['c']), { codec: Compression.GZIP }))).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 2 })
    expect(await produce(2, topic, encodeMessageSet(MAGIC_V1, msgs(['d', 'e'])))).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 3, logAppendTimeMs: -1 })
    expect(await produce(2, topic, encodeMessageSet(MAGIC_V1, msgs(['f', 'g', 'h']), { codec: Compression.GZIP }))).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 5 })
    expect((await readV2(topic)).records).toEqual([
      [0, 'ka', 'a', -1],
      [1, 'kb', 'b', -1],
      [2, 'kc', 'c', -1],
      [3, 'kd', 'd', T0],
      [4, 'ke', 'e', T0 + 1],
      [5, 'kf', 'f', T0],
      [6, 'kg', 'g', T0 + 1],
      [7, 'kh', 'h', T0 + 2],
    ])
  })

  it('stamps the broker time on a LogAppendTime topic, refuses keyless messages on a compacted one and corrupt ones anywhere', async () => {
    await createTopic('old-append-time', [{ name: 'message.timestamp.type', value: 'LogAppendTime' }])
    // The broker's clock, not the producer's time (T0, in 2023): the answer and the batch agree on it.
    const stamped = await produce(2, 'old-append-time', encodeMessageSet(MAGIC_V1, msgs(['x'])))
    expect(stamped.errorCode).toBe(ErrorCode.NONE)
    // Stamped by the broker (not -1, not the producer's T0); the batch below carries the same value.
    expect([-1, T0]).not.toContain(stamped.logAppendTimeMs)
    // The record keeps the producer's time; consumers of a LogAppendTime batch take its max timestamp.
    expect(await readV2('old-append-time')).toEqual({ records: [[0, 'kx', 'x', T0]], timestamps: [[TimestampType.LOG_APPEND_TIME, stamped.logAppendTimeMs]] })

    await createTopic('old-compacted', [{ name: 'cleanup.policy', value: 'compact' }])
    expect((await produce(0, 'old-compacted', encodeMessageSet(MAGIC_V0, msgs(['y'], false)))).errorCode).toBe(ErrorCode.INVALID_RECORD)
    const corrupt = encodeMessageSet(MAGIC_V1, msgs(['z']))
    corrupt[corrupt.length - 1] ^= 1
    expect((await produce(2, 'old-compacted', corrupt)).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE)
    expect((await produce(2, 'old-compacted', encodeMessageSet(MAGIC_V1, msgs(['w'])))).errorCode).toBe(ErrorCode.NONE)
  })

  /** [offset, magic, timestamp, key, value] of every message of a fetched message set, wrappers opened. */
  function messagesOf(set: Buffer): [number, number, number, string | null, string | null][] {
    return readMessageSet(set, { partialTail: true })
      .flatMap((m) => ((m.attributes & 7) === 0 ? [m] : innerMessages(m)))
      .map((m) => [m.offset, m.magic, m.timestamp, m.key?.toString() ?? null, m.value?.toString() ?? null])
  }

  it('Fetch v0-3 converts stored v2 batches down: magic 0 for v0-1, magic 1 for v2-3, from the fetch offset', async () => {
    const topic = 'old-fetch'
    await createTopic(topic)
    const plain = encodeRecordBatch({ baseTimestamp: T0, records: [{ key: 'a', value: '1', headers: [{ key: 'h', value: 'x' }] }, { value: '2', timestampDelta: 1 }, { value: '3', timestampDelta: 2 }] })
    const gzip = encodeRecordBatch({ baseTimestamp: T0 + 10, compression: Compression.GZIP, records: [{ value: '4' }, { value: '5', timestampDelta: 1 }] })
    expect((await produce(8, topic, plain)).errorCode).toBe(ErrorCode.NONE)
    expect((await produce(8, topic, gzip)).errorCode).toBe(ErrorCode.NONE)

    // Read as an old client does: from an offset, then from after the last message received.
    // A converted answer is no larger than the stored bytes (beyond its first batch), so the
    // bigger magic-0/1 messages take more than one fetch.
    async function readAll(version: number, from: number): Promise<{ messages: ReturnType<typeof messagesOf>; wrappers: number[] }> {
      const messages: ReturnType<typeof messagesOf> = []
      const wrappers: number[] = []
      for (let offset = from; offset < 5; offset = messages[messages.length - 1]![0] + 1) {
        const res = await fetch(version, topic, offset)
        expect([res.errorCode, res.highWatermark]).toEqual([ErrorCode.NONE, 5])
        const got = messagesOf(res.records)
        expect(got.length).toBeGreaterThan(0)
        messages.push(...got)
        wrappers.push(...readMessageSet(res.records).filter((m) => (m.attributes & 7) === Compression.GZIP).map((m) => m.offset))
      }
      return { messages, wrappers }
    }
    for (const version of [0, 1]) {
      expect(await readAll(version, 1)).toEqual({
        messages: [
          [1, 0, -1, null, '2'],
          [2, 0, -1, null, '3'],
          [3, 0, -1, null, '4'],
          [4, 0, -1, null, '5'],
        ],
        // The compressed batch stays one gzip wrapper, at its last offset.
        wrappers: [4],
      })
    }
    for (const version of [2, 3]) {
      expect(await readAll(version, 0)).toEqual({
        messages: [
          [0, 1, T0, 'a', '1'],
          [1, 1, T0 + 1, null, '2'],
          [2, 1, T0 + 2, null, '3'],
          [3, 1, T0 + 10, null, '4'],
          [4, 1, T0 + 11, null, '5'],
        ],
        wrappers: [4],
      })
    }
    // A limit below the first batch still gets it whole, and nothing after it.
    expect(messagesOf((await fetch(3, topic, 0, 1)).records).map((m) => m[0])).toEqual([0, 1, 2])
    // Past the end: nothing, no error; a v2 consumer still reads v2 batches as stored.
    expect(await fetch(2, topic, 5)).toEqual({ errorCode: ErrorCode.NONE, highWatermark: 5, records: Buffer.alloc(0) })
    expect((await fetch(4, topic, 0)).records.readInt8(16)).toBe(2)
  })

  it("Fetch v0-3 serves an aborted transaction's records (these versions read uncommitted) but never its marker", async () => {
    const topic = 'old-fetch-aborted'
    await createTopic(topic)
    // The batch and its marker are written as a coordinator would, with no coordinator: the
    // leader's check with it (KIP-890, txn-verification.ts) is off for this.
    await clients.setBrokerConfig('transaction.partition.verification.enable', 'false')
    const producerId = 4242
    const res = await client.request(ApiKey.Produce, 8, {
      transactionalId: 'old-txn',
      acks: 1,
      timeoutMs: 10_000,
      topicData: [
        {
          name: topic,
          partitionData: [{ index: 0, records: encodeRecordBatch({ producerId, producerEpoch: 0, baseSequence: 0, transactional: true, baseTimestamp: T0, records: [{ value: 'a' }, { value: 'b' }] }) }],
        },
      ],
    })
    expect(res.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE)
    const marked = await client.request(ApiKey.WriteTxnMarkers, 1, {
      markers: [{ producerId, producerEpoch: 0, transactionResult: false, topics: [{ name: topic, partitionIndexes: [0] }], coordinatorEpoch: 0 }],
    })
    expect(marked.markers[0].topics[0].partitions[0].errorCode).toBe(ErrorCode.NONE)
    expect((await produce(8, topic, encodeRecordBatch({ baseTimestamp: T0, records: [{ value: 'c' }] }))).baseOffset).toBe(3)
    // Offsets 0-1 the aborted records, 2 the ABORT marker, 3 a plain record.
    const res3 = await fetch(3, topic, 0)
    expect(res3.highWatermark).toBe(4)
    expect(messagesOf(res3.records).map((m) => [m[0], m[4]])).toEqual([
      [0, 'a'],
      [1, 'b'],
      [3, 'c'],
    ])
  })

  it("Fetch v3's max_bytes: the first partition with data gets its first batch whole, converted; the next gets nothing", async () => {
    const topic = 'old-fetch-max-bytes'
    await createTopic(topic, [], 2)
    await until(`leaders of ${topic}`, () => cluster.runtime.image.topicsByName.get(topic)?.partitions.every((p) => p.leader >= 0) || undefined)
    for (const index of [0, 1]) {
      const res = await client.request(ApiKey.Produce, 8, {
        transactionalId: null,
        acks: 1,
        timeoutMs: 10_000,
        topicData: [{ name: topic, partitionData: [{ index, records: encodeRecordBatch({ baseTimestamp: T0, records: [{ value: `p${index}a` }, { value: `p${index}b` }] }) }] }],
      })
      expect(res.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE)
    }
    const res = await client.request(ApiKey.Fetch, 3, fetchPartitionsRequest(topic, [0, 1].map((partition) => ({ partition, fetchOffset: 0 })), { maxBytes: 1 }))
    const [p0, p1] = res.responses[0].partitions
    expect(messagesOf(Buffer.from(p0.records)).map((m) => m[4])).toEqual(['p0a', 'p0b'])
    expect([p1.errorCode, Buffer.from(p1.records ?? []).length]).toEqual([ErrorCode.NONE, 0])
  })
})
