/**
 * The broker's Kafka answers, request by request, through a raw connection using sluice's own
 * codec: the error paths and edge cases that client libraries hide.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCode } from '../../src/protocol/errors.js'
import { encodeRecordBatch } from '../../src/protocol/record-batch.js'
import { decodeRecordBatches } from '../../src/protocol/record-batch.js'
import { FrameDecoder, decodeResponse } from '../../src/protocol/frame.js'
import { startTestCluster, type TestCluster } from '../interop/fixture.js'
import { RawClient } from '../support/raw-client.js'
import { brokerClients } from '../support/broker-clients.js'
import { fetchRequest } from '../support/fetch-request.js'
import { ApiKey } from '../../src/protocol/api-keys.js'


function batch(values: string[], baseTimestamp = Date.now()): Buffer {
  return encodeRecordBatch({
    baseTimestamp,
    records: values.map((v, i) => ({ value: v, key: `k${i}`, timestampDelta: i })),
  })
}

function produceBody(topic: string, partition: number, records: Buffer | null, acks = -1) {
  return {
    transactionalId: null,
    acks,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  }
}

describe('broker/handlers', () => {
  let cluster: TestCluster
  const clients = brokerClients((id) => cluster.port + id - 1)
  /** A connection to a broker, by id (1-based). */
  const broker = clients.broker
  const createTopic = (name: string, numPartitions = 3, configs: { name: string; value: string }[] = []) => clients.tryCreateTopic(name, { numPartitions, configs })
  async function leaderOf(topic: string, partition: number): Promise<RawClient> {
    const md = await (await broker(1)).request(ApiKey.Metadata, 9, { topics: [{ name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
    const leader = md.topics[0].partitions.find((p: { partitionIndex: number }) => p.partitionIndex === partition).leaderId
    return broker(leader)
  }

  beforeAll(async () => {
    cluster = await startTestCluster({ brokers: 3 })
  })
  afterAll(async () => {
    clients.close()
    await cluster?.stop()
  })

  it('ApiVersions lists every handler at v0..v4', async () => {
    for (const version of [0, 1, 2, 3, 4]) {
      const res = await (await broker(1)).request(ApiKey.ApiVersions, version, { clientSoftwareName: 'test', clientSoftwareVersion: '1' })
      expect(res.errorCode).toBe(ErrorCode.NONE)
      const keys = new Map(res.apiKeys.map((k: { apiKey: number; minVersion: number; maxVersion: number }) => [k.apiKey, [k.minVersion, k.maxVersion]]))
      expect(keys.get(ApiKey.Produce)).toEqual([0, 11])
      expect(keys.get(ApiKey.Fetch)).toEqual([0, 17])
      expect(keys.get(ApiKey.Metadata)).toEqual([0, 12])
      expect(keys.get(ApiKey.ApiVersions)).toEqual([0, 4])
    }
  })

  it('a too-new ApiVersions gets the v0 answer with UNSUPPORTED_VERSION and the ranges', async () => {
    const c = await RawClient.connect(cluster.port)
    // ApiVersions v9 request, header v2 (flexible): key, version, correlation id, client id, tags; empty body with tags.
    const clientId = Buffer.from('future')
    const body = Buffer.concat([
      Buffer.from([0, 18, 0, 9, 0, 0, 0, 42, 0, clientId.length]),
      clientId,
      Buffer.from([0, 1, 1, 0]),
    ])
    const size = Buffer.alloc(4)
    size.writeInt32BE(body.length)
    const decoder = new FrameDecoder()
    const frame = await new Promise<Buffer>((resolve) => {
      c.socket.removeAllListeners('data')
      c.socket.on('data', (chunk) => {
        const frames = decoder.push(chunk)
        if (frames.length > 0) resolve(frames[0]!)
      })
      c.writeRaw(Buffer.concat([size, body]))
    })
    const res = decodeResponse(ApiKey.ApiVersions, 0, frame)
    expect(res.correlationId).toBe(42)
    expect(res.body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION)
    expect((res.body.apiKeys as unknown[]).length).toBeGreaterThan(5)
    c.close()
  })

  it('Metadata auto-creates a topic: LEADER_NOT_AVAILABLE first, then leaders', async () => {
    const c = await broker(2)
    const first = await c.request(ApiKey.Metadata, 9, { topics: [{ name: 'auto1' }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false })
    expect(first.topics[0].errorCode).toBe(ErrorCode.LEADER_NOT_AVAILABLE)
    const second = await c.request(ApiKey.Metadata, 9, { topics: [{ name: 'auto1' }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false })
    expect(second.topics[0].errorCode).toBe(ErrorCode.NONE)
    expect(second.topics[0].partitions).toHaveLength(3)
    expect(second.brokers.map((b: { nodeId: number }) => b.nodeId)).toEqual([1, 2, 3])
    const off = await c.request(ApiKey.Metadata, 9, { topics: [{ name: 'nope' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
    expect(off.topics[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    const bad = await c.request(ApiKey.Metadata, 9, { topics: [{ name: 'bad name' }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false })
    expect(bad.topics[0].errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION)
  })

  it('Produce stores batches and Fetch serves them from any offset, inside a batch too', async () => {
    await createTopic('pf', 1)
    const leader = await leaderOf('pf', 0)
    const r1 = await leader.request(ApiKey.Produce, 8, produceBody('pf', 0, batch(['a', 'b', 'c'])))
    expect(r1.responses[0].partitionResponses[0]).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0 })
    const r2 = await leader.request(ApiKey.Produce, 8, produceBody('pf', 0, batch(['d', 'e'])))
    expect(r2.responses[0].partitionResponses[0]).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 3 })

    const f = await leader.request(ApiKey.Fetch, 12, fetchRequest('pf', 1))
    const p = f.responses[0].partitions[0]
    expect(p).toMatchObject({ errorCode: ErrorCode.NONE, highWatermark: 5, logStartOffset: 0 })
    const batches = decodeRecordBatches(p.records)
    // The whole batch holding offset 1 comes back: clients skip what is before their offset.
    expect(batches[0]!.header.baseOffset).toBe(0)
    const values = batches.flatMap((b) => b.records.map((r) => [b.header.baseOffset + r.offsetDelta, r.value!.toString()]))
    expect(values).toEqual([[0, 'a'], [1, 'b'], [2, 'c'], [3, 'd'], [4, 'e']])

    const atEnd = await leader.request(ApiKey.Fetch, 12, fetchRequest('pf', 5))
    expect(atEnd.responses[0].partitions[0]).toMatchObject({ errorCode: ErrorCode.NONE, highWatermark: 5 })
    expect(atEnd.responses[0].partitions[0].records.length).toBe(0)
    const past = await leader.request(ApiKey.Fetch, 12, fetchRequest('pf', 6))
    expect(past.responses[0].partitions[0].errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE)
  })

  it('Fetch returns at least one batch even when it is larger than max_bytes', async () => {
    await createTopic('big', 1)
    const leader = await leaderOf('big', 0)
    const large = batch(['x'.repeat(50_000)])
    await leader.request(ApiKey.Produce, 8, produceBody('big', 0, large))
    await leader.request(ApiKey.Produce, 8, produceBody('big', 0, batch(['small'])))
    const f = await leader.request(ApiKey.Fetch, 12, fetchRequest('big', 0, { maxBytes: 100, partitionMaxBytes: 100 }))
    const batches = decodeRecordBatches(f.responses[0].partitions[0].records)
    expect(batches).toHaveLength(1)
    expect(batches[0]!.records[0]!.value!.length).toBe(50_000)
  })

  it('Fetch long-polls and wakes when a record arrives', async () => {
    await createTopic('poll', 1)
    const leader = await leaderOf('poll', 0)
    const producer = await RawClient.connect(leader.socket.remotePort!)
    const fetching = leader.request(ApiKey.Fetch, 12, fetchRequest('poll', 0, { maxWaitMs: 20_000 }))
    await new Promise((r) => setTimeout(r, 100))
    await producer.request(ApiKey.Produce, 8, produceBody('poll', 0, batch(['wake'])))
    const f = await fetching
    const batches = decodeRecordBatches(f.responses[0].partitions[0].records)
    expect(batches[0]!.records[0]!.value!.toString()).toBe('wake')
    producer.close()
  })

  it('Produce answers Kafka error codes and stores nothing for a bad batch', async () => {
    await createTopic('errs', 1, [{ name: 'max.message.bytes', value: '1000' }])
    const leader = await leaderOf('errs', 0)
    const good = batch(['ok'])
    const corrupt = Buffer.from(good)
    corrupt[corrupt.length - 1]! ^= 0xff
    const cases: [Buffer | null, number][] = [
      [corrupt, ErrorCode.CORRUPT_MESSAGE],
      [good.subarray(0, good.length - 3), ErrorCode.CORRUPT_MESSAGE],
      [batch(['y'.repeat(2000)]), ErrorCode.MESSAGE_TOO_LARGE],
    ]
    for (const [records, code] of cases) {
      const r = await leader.request(ApiKey.Produce, 8, produceBody('errs', 0, records))
      expect(r.responses[0].partitionResponses[0].errorCode).toBe(code)
      expect(r.responses[0].partitionResponses[0].errorMessage ?? 'message').toBeTruthy()
    }
    const acks = await leader.request(ApiKey.Produce, 8, produceBody('errs', 0, good, 2))
    expect(acks.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.INVALID_REQUIRED_ACKS)
    const unknown = await leader.request(ApiKey.Produce, 8, produceBody('nosuch', 0, good))
    expect(unknown.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    const list = await leader.request(ApiKey.ListOffsets, 5, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: 'errs', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 }] }],
    })
    expect(list.topics[0].partitions[0].offset).toBe(0)
  })

  it('a compacted topic refuses a batch with records without a key: INVALID_RECORD, each one in recordErrors', async () => {
    await createTopic('compacted', 1, [{ name: 'cleanup.policy', value: 'compact,delete' }])
    const leader = await leaderOf('compacted', 0)
    const records = encodeRecordBatch({
      baseTimestamp: Date.now(),
      records: [{ key: 'a', value: '1' }, { key: null, value: '2' }, { key: 'c', value: '3' }, { key: null, value: '4' }],
    })
    const refused = (await leader.request(ApiKey.Produce, 8, produceBody('compacted', 0, records))).responses[0].partitionResponses[0]
    expect(refused.errorCode).toBe(ErrorCode.INVALID_RECORD)
    const message = 'Compacted topic cannot accept message without key in topic partition compacted-0'
    expect(refused.recordErrors).toEqual([
      { batchIndex: 1, batchIndexErrorMessage: message },
      { batchIndex: 3, batchIndexErrorMessage: message },
    ])
    expect(refused.errorMessage).toContain('One or more records have been rejected due to 2 record errors')
    // Produce v7 has no recordErrors: the partition's error alone.
    const v7 = (await leader.request(ApiKey.Produce, 7, produceBody('compacted', 0, records))).responses[0].partitionResponses[0]
    expect(v7.errorCode).toBe(ErrorCode.INVALID_RECORD)
    // Nothing was stored; keyed records are.
    const keyed = (await leader.request(ApiKey.Produce, 8, produceBody('compacted', 0, batch(['x', 'y'])))).responses[0].partitionResponses[0]
    expect(keyed).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0, recordErrors: [] })
    // A topic that is not compacted takes records without a key.
    await createTopic('not-compacted', 1)
    const plain = await (await leaderOf('not-compacted', 0)).request(ApiKey.Produce, 8, produceBody('not-compacted', 0, records))
    expect(plain.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE)
  })

  it('ListOffsets -3 (v7+) answers the first record with the largest timestamp; v0 answers the old offsets list', async () => {
    await createTopic('lo-max', 1)
    const leader = await leaderOf('lo-max', 0)
    const at = (base: number, deltas: number[]) =>
      encodeRecordBatch({ baseTimestamp: base, records: deltas.map((d, i) => ({ key: `k${i}`, value: 'v', timestampDelta: d })) })
    // Offsets 0-2, 3-5, 6-7; the largest timestamp (5000) is offset 4, and again offset 7.
    for (const records of [at(1000, [0, 50, 20]), at(4000, [0, 1000, 500]), at(2000, [0, 3000])]) {
      expect((await leader.request(ApiKey.Produce, 8, produceBody('lo-max', 0, records))).responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE)
    }
    const list = async (version: number, timestamp: number, maxNumOffsets = 1) =>
      (
        await leader.request(ApiKey.ListOffsets, version, {
          replicaId: -1,
          isolationLevel: 0,
          topics: [{ name: 'lo-max', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets }] }],
        })
      ).topics[0].partitions[0]
    expect(await list(7, -3)).toMatchObject({ errorCode: ErrorCode.NONE, offset: 4, timestamp: 5000 })
    expect(await list(6, -1)).toMatchObject({ errorCode: ErrorCode.NONE, offset: 8 })
    // Before v7 -3 is no special timestamp: a negative one, refused.
    expect((await list(5, -3)).errorCode).toBe(ErrorCode.INVALID_REQUEST)
    expect(await list(0, -1)).toMatchObject({ errorCode: ErrorCode.NONE, oldStyleOffsets: [8] })
    expect(await list(0, -1, 5)).toMatchObject({ errorCode: ErrorCode.NONE, oldStyleOffsets: [8, 0] })
    expect(await list(0, -2, 5)).toMatchObject({ errorCode: ErrorCode.NONE, oldStyleOffsets: [0] })
    // A timestamp before the log was last written: no segment is that old.
    expect(await list(0, 1500)).toMatchObject({ errorCode: ErrorCode.NONE, oldStyleOffsets: [] })
    // An empty log: its start alone, whatever the timestamp.
    await createTopic('lo-empty', 1)
    const empty = await (await leaderOf('lo-empty', 0)).request(ApiKey.ListOffsets, 0, {
      replicaId: -1,
      topics: [{ name: 'lo-empty', partitions: [{ partitionIndex: 0, timestamp: -1, maxNumOffsets: 3 }] }],
    })
    expect(empty.topics[0].partitions[0]).toMatchObject({ errorCode: ErrorCode.NONE, oldStyleOffsets: [0] })
    const none = await (await leaderOf('lo-empty', 0)).request(ApiKey.ListOffsets, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: 'lo-empty', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -3 }] }],
    })
    expect(none.topics[0].partitions[0]).toMatchObject({ errorCode: ErrorCode.NONE, offset: -1, timestamp: -1 })
  })

  it('a broker that does not lead a partition answers NOT_LEADER_OR_FOLLOWER', async () => {
    await createTopic('lead', 1)
    const md = await (await broker(1)).request(ApiKey.Metadata, 9, { topics: [{ name: 'lead' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
    const leader = md.topics[0].partitions[0].leaderId as number
    const other = await broker((leader % 3) + 1)
    const r = await other.request(ApiKey.Produce, 8, produceBody('lead', 0, batch(['z'])))
    expect(r.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER)
    const f = await other.request(ApiKey.Fetch, 12, fetchRequest('lead', 0))
    expect(f.responses[0].partitions[0].errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER)
  })

  it('acks=0 gets no response, and the records are stored', async () => {
    await createTopic('fire', 1)
    const leader = await leaderOf('fire', 0)
    leader.send(ApiKey.Produce, 8, produceBody('fire', 0, batch(['f1']), 0))
    // The next request's answer arrives; had acks=0 been answered, it would have come first.
    const md = await leader.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' })
    expect(md.errorCode).toBe(ErrorCode.NONE)
    // acks=0 does not wait for replication: the high watermark gets there shortly after.
    let hwm = 0
    for (let i = 0; i < 100 && hwm < 1; i++) {
      const f = await leader.request(ApiKey.Fetch, 12, fetchRequest('fire', 0, { maxWaitMs: 100 }))
      hwm = f.responses[0].partitions[0].highWatermark
    }
    expect(hwm).toBe(1)
  })

  it('ListOffsets answers earliest, latest and by timestamp', async () => {
    await createTopic('times', 1)
    const leader = await leaderOf('times', 0)
    await leader.request(ApiKey.Produce, 8, produceBody('times', 0, batch(['t0', 't1'], 1_000_000)))
    await leader.request(ApiKey.Produce, 8, produceBody('times', 0, batch(['t2'], 2_000_000)))
    const ask = async (timestamp: number) => {
      const r = await leader.request(ApiKey.ListOffsets, 5, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: 'times', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }],
      })
      return r.topics[0].partitions[0]
    }
    expect((await ask(-2)).offset).toBe(0)
    expect((await ask(-1)).offset).toBe(3)
    expect(await ask(1_500_000)).toMatchObject({ offset: 2, timestamp: 2_000_000 })
    expect((await ask(0)).offset).toBe(0)
    expect((await ask(3_000_000)).offset).toBe(-1)
  })

  it('CreateTopics and DeleteTopics answer as Kafka does', async () => {
    expect((await createTopic('dup', 2)).errorCode).toBe(ErrorCode.NONE)
    expect((await createTopic('dup', 2)).errorCode).toBe(ErrorCode.TOPIC_ALREADY_EXISTS)
    expect((await createTopic('bad/name', 1)).errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION)
    expect((await createTopic('zero', 0)).errorCode).toBe(ErrorCode.INVALID_PARTITIONS)
    expect((await createTopic('cfg', 1, [{ name: 'no.such', value: '1' }])).errorCode).toBe(ErrorCode.INVALID_CONFIG)
    const del = await (await broker(1)).request(ApiKey.DeleteTopics, 6, { topics: [{ name: 'dup', topicId: '00000000000000000000000000000000' }], timeoutMs: 1000 })
    expect(del.responses[0].errorCode).toBe(ErrorCode.NONE)
    const again = await (await broker(1)).request(ApiKey.DeleteTopics, 4, { topicNames: ['dup'], timeoutMs: 1000 })
    expect(again.responses[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  })

  it('DescribeConfigs answers topic configs with their sources', async () => {
    await createTopic('described', 1, [{ name: 'retention.ms', value: '1234' }])
    const r = await (await broker(1)).request(ApiKey.DescribeConfigs, 4, {
      resources: [{ resourceType: 2, resourceName: 'described', configurationKeys: null }],
      includeSynonyms: true,
      includeDocumentation: true,
    })
    const configs = new Map(r.results[0].configs.map((c: { name: string }) => [c.name, c]))
    expect(configs.get('retention.ms')).toMatchObject({ value: '1234', configSource: 1 })
    expect(configs.get('cleanup.policy')).toMatchObject({ value: 'delete', configSource: 5 })
    const missing = await (await broker(1)).request(ApiKey.DescribeConfigs, 4, {
      resources: [{ resourceType: 2, resourceName: 'missing', configurationKeys: null }],
      includeSynonyms: false,
      includeDocumentation: false,
    })
    expect(missing.results[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  })

  it('retention deletes expired batches in the background and moves the log start', async () => {
    const admin = await broker(1)
    const altered = await admin.request(ApiKey.IncrementalAlterConfigs, 1, {
      resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'log.retention.check.interval.ms', configOperation: 0, value: '100' }] }],
      validateOnly: false,
    })
    expect(altered.responses[0].errorCode).toBe(ErrorCode.NONE)
    await createTopic('expiring', 1, [{ name: 'retention.ms', value: '60000' }])
    const leader = await leaderOf('expiring', 0)
    const hourAgo = Date.now() - 3_600_000
    await leader.request(ApiKey.Produce, 8, produceBody('expiring', 0, batch(['old1', 'old2'], hourAgo)))
    await leader.request(ApiKey.Produce, 8, produceBody('expiring', 0, batch(['fresh'])))
    const earliest = async () =>
      (
        await leader.request(ApiKey.ListOffsets, 5, {
          replicaId: -1,
          isolationLevel: 0,
          topics: [{ name: 'expiring', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2 }] }],
        })
      ).topics[0].partitions[0].offset
    for (let i = 0; i < 100 && (await earliest()) === 0; i++) await new Promise((r) => setTimeout(r, 50))
    expect(await earliest()).toBe(2)
    const below = await leader.request(ApiKey.Fetch, 12, fetchRequest('expiring', 0))
    expect(below.responses[0].partitions[0]).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, logStartOffset: 2 })
    const kept = await leader.request(ApiKey.Fetch, 12, fetchRequest('expiring', 2))
    expect(decodeRecordBatches(kept.responses[0].partitions[0].records)[0]!.records[0]!.value!.toString()).toBe('fresh')
  })

  it('idempotent producers: retries get their original offsets, gaps and old epochs are refused', async () => {
    await createTopic('idem', 1)
    const leader = await leaderOf('idem', 0)
    const init = await (await broker(1)).request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 })
    expect(init.errorCode).toBe(ErrorCode.NONE)
    const pid = init.producerId as number
    const sequenced = (baseSequence: number, values: string[], producerEpoch = 0) =>
      encodeRecordBatch({ producerId: pid, producerEpoch, baseSequence, baseTimestamp: Date.now(), records: values.map((v) => ({ value: v })) })
    const send = async (records: Buffer) => (await leader.request(ApiKey.Produce, 8, produceBody('idem', 0, records))).responses[0].partitionResponses[0]
    expect(await send(sequenced(0, ['a', 'b']))).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0 })
    expect(await send(sequenced(2, ['c']))).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 2 })
    // The same batch again (a retry): answered with the offsets it got the first time.
    expect(await send(sequenced(0, ['a', 'b']))).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0 })
    expect(await send(sequenced(2, ['c']))).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 2 })
    expect((await send(sequenced(5, ['gap']))).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
    // Without a transactional id, InitProducerId always hands out a new id, whatever id and epoch
    // it is given (as Kafka): @platformatic/kafka asks with id 0, epoch 0 for every producer.
    const again = await (await broker(1)).request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60000, producerId: pid, producerEpoch: 0 })
    expect(again).toMatchObject({ errorCode: ErrorCode.NONE, producerEpoch: 0 })
    expect(again.producerId).not.toBe(pid)
    // An epoch the producer bumped itself (KIP-360) starts again at sequence 0; the old epoch is fenced.
    expect(await send(sequenced(0, ['d'], 1))).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 3 })
    expect((await send(sequenced(3, ['old'], 0))).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH)
    const f = await leader.request(ApiKey.Fetch, 12, fetchRequest('idem', 0))
    const values = decodeRecordBatches(f.responses[0].partitions[0].records).flatMap((b) => b.records.map((r) => r.value!.toString()))
    expect(values).toEqual(['a', 'b', 'c', 'd'])
  })
})
