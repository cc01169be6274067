/**
 * Transactions at the partition, on a real in-process cluster (the daemon's wiring, three brokers),
 * request by request through raw connections: transactional batches hold the last stable offset
 * back, WriteTxnMarkers (27) commits or aborts them, read_committed fetches stop at the LSO and
 * list the aborted ranges, ListOffsets honours the isolation level, DescribeProducers (61) shows
 * the producers; a restart and a failover keep all of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { parseBatches } from '../../src/protocol/batch-layout.js'
import { controlTypeOf } from '../../src/protocol/control-batch.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { decodeRecordBatch, encodeRecordBatch } from '../../src/protocol/record-batch.js'
import { startTestCluster, type TestCluster } from '../interop/fixture.js'
import { brokerClients } from '../support/broker-clients.js'
import { fetchRequest } from '../support/fetch-request.js'
import { until } from '../helpers/wait.js'

interface Producer {
  producerId: number
  epoch: number
  /** Next sequence per partition. */
  seq: number
}

describe('broker/txn-partition', () => {
  let cluster: TestCluster
  const clients = brokerClients((id) => cluster.port + id - 1)
  const broker = clients.broker
  const createTopic = (name: string, configs: { name: string; value: string }[] = []) => clients.createTopic(name, { replicationFactor: 3, configs })

  async function leaderOf(topic: string): Promise<number> {
    return until(`a leader of ${topic}`, async () => {
      const md = await (await broker(1)).request(ApiKey.Metadata, 9, { topics: [{ name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
      const leader = md.topics[0]?.partitions[0]?.leaderId as number | undefined
      return leader !== undefined && leader >= 0 ? leader : undefined
    })
  }

  /** Produces one transactional batch of `values` (acks=all) and answers its base offset. */
  async function produce(topic: string, p: Producer, values: string[], transactionalId: string | null = 'tx'): Promise<{ errorCode: number; baseOffset: number }> {
    const records = encodeRecordBatch({
      records: values.map((value) => ({ value })),
      baseTimestamp: 1_700_000_000_000,
      producerId: p.producerId,
      producerEpoch: p.epoch,
      baseSequence: p.seq,
      transactional: true,
    })
    const res = await (await broker(await leaderOf(topic))).request(ApiKey.Produce, 8, {
      transactionalId,
      acks: -1,
      timeoutMs: 10_000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
    })
    const out = res.responses[0].partitionResponses[0]
    if (out.errorCode === ErrorCode.NONE) p.seq += values.length
    return { errorCode: out.errorCode, baseOffset: Number(out.baseOffset) }
  }

  async function marker(topic: string, p: Producer, committed: boolean, coordinatorEpoch = 0, to?: number): Promise<number> {
    const res = await (await broker(to ?? (await leaderOf(topic)))).request(ApiKey.WriteTxnMarkers, 1, {
      markers: [{ producerId: p.producerId, producerEpoch: p.epoch, transactionResult: committed, topics: [{ name: topic, partitionIndexes: [0] }], coordinatorEpoch }],
    })
    return res.markers[0].topics[0].partitions[0].errorCode
  }

  async function producePlain(topic: string, value: string): Promise<number> {
    const res = await (await broker(await leaderOf(topic))).request(ApiKey.Produce, 8, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 10_000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ value }], baseTimestamp: 1_700_000_000_000 }) }] }],
    })
    return Number(res.responses[0].partitionResponses[0].baseOffset)
  }

  async function fetch(topic: string, isolationLevel: number, fetchOffset = 0, maxWaitMs = 0, to?: number) {
    const res = await (await broker(to ?? (await leaderOf(topic)))).request(ApiKey.Fetch, 11, fetchRequest(topic, fetchOffset, { isolationLevel, maxWaitMs }))
    const part = res.responses[0].partitions[0]
    const records: Buffer = part.records ?? Buffer.alloc(0)
    const batches = records.length > 0 ? parseBatches(records).batches : []
    return {
      errorCode: part.errorCode as number,
      highWatermark: Number(part.highWatermark),
      logStartOffset: Number(part.logStartOffset),
      lastStableOffset: Number(part.lastStableOffset),
      aborted: part.abortedTransactions === null ? null : (part.abortedTransactions as { producerId: bigint | number; firstOffset: bigint | number }[]).map((a) => [Number(a.producerId), Number(a.firstOffset)]),
      /** Per batch: [baseOffset, producerId, 'commit' | 'abort' | values]. */
      batches: batches.map((h) => [h.baseOffset, h.producerId, h.isControl ? controlTypeOf(records, h.start) : decodeRecordBatch(records, h.start).records.map((r) => r.value!.toString()).join(',')]),
    }
  }

  async function latest(topic: string, isolationLevel: number): Promise<number> {
    const res = await (await broker(await leaderOf(topic))).request(ApiKey.ListOffsets, 5, {
      replicaId: -1,
      isolationLevel,
      topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 }] }],
    })
    return Number(res.topics[0].partitions[0].offset)
  }

  beforeAll(async () => {
    cluster = await startTestCluster({ brokers: 3 })
    // These tests write transactional batches and their markers as a coordinator would, with no
    // coordinator: the leaders' check with the coordinator (KIP-890, txn-verification.ts) is off.
    await clients.setBrokerConfig('transaction.partition.verification.enable', 'false')
    // Leadership stays where the failover test moves it: a preferred-leader election moved it back
    // to broker 3 while that test waited for the new leader (300 s, in a CI run).
    const configs = [{ name: 'auto.leader.rebalance.enable', configOperation: 0, value: 'false' }]
    const altered = await (await broker(1)).request(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: 4, resourceName: '', configs }], validateOnly: false })
    expect(altered.responses[0].errorCode).toBe(ErrorCode.NONE)
  }, 60_000)
  afterAll(async () => {
    clients.close()
    await cluster?.stop()
  })

  it('an open transaction holds the LSO; a COMMIT moves it to the HWM; an ABORT is listed to read_committed', async () => {
    const topic = 'txn-basic'
    await createTopic(topic)
    const a: Producer = { producerId: 900_001, epoch: 0, seq: 0 }
    const b: Producer = { producerId: 900_002, epoch: 0, seq: 0 }
    expect(await produce(topic, a, ['a1', 'a2'])).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 0 })
    expect((await produce(topic, b, ['b1'])).baseOffset).toBe(2)
    expect((await produce(topic, a, ['a3'])).baseOffset).toBe(3)

    const open = await fetch(topic, 1)
    expect(open).toMatchObject({ highWatermark: 4, lastStableOffset: 0, aborted: [], batches: [] })
    const uncommitted = await fetch(topic, 0)
    expect(uncommitted).toMatchObject({ highWatermark: 4, lastStableOffset: 0, aborted: null })
    expect(uncommitted.batches.map((x) => x[2])).toEqual(['a1,a2', 'b1', 'a3'])
    expect(await latest(topic, 1)).toBe(0)
    expect(await latest(topic, 0)).toBe(4)

    // A read_committed fetch waiting at the LSO wakes when the COMMIT moves it.
    const waiting = fetch(topic, 1, 0, 20_000)
    expect(await marker(topic, a, true)).toBe(ErrorCode.NONE) // 4
    const woken = await waiting
    expect(woken.lastStableOffset).toBe(2)
    expect(woken.batches.map((x) => x[2])).toEqual(['a1,a2'])

    expect(await marker(topic, b, false)).toBe(ErrorCode.NONE) // 5
    const committed = await fetch(topic, 1)
    expect(committed).toMatchObject({ highWatermark: 6, lastStableOffset: 6, aborted: [[900_002, 2]] })
    expect(committed.batches.map((x) => x[2])).toEqual(['a1,a2', 'b1', 'a3', 'commit', 'abort'])
    // A fetch past the aborted range gets no entry for it.
    expect((await fetch(topic, 1, 5)).aborted).toEqual([[900_002, 2]])
    expect((await fetch(topic, 1, 6)).aborted).toEqual([])
    expect(await latest(topic, 1)).toBe(6)

    const described = await (await broker(await leaderOf(topic))).request(ApiKey.DescribeProducers, 0, { topics: [{ name: topic, partitionIndexes: [0] }] })
    const producers = described.topics[0].partitions[0].activeProducers.map((x: Record<string, unknown>) => [Number(x.producerId), x.producerEpoch, x.lastSequence, x.coordinatorEpoch, Number(x.currentTxnStartOffset)])
    expect(producers.sort()).toEqual([
      [900_001, 0, 2, 0, -1],
      [900_002, 0, 0, 0, -1],
    ])
    const leader = await leaderOf(topic)
    const other = [1, 2, 3].find((id) => id !== leader)!
    const elsewhere = await (await broker(other)).request(ApiKey.DescribeProducers, 0, { topics: [{ name: topic, partitionIndexes: [0] }] })
    expect(elsewhere.topics[0].partitions[0].errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER)
  })

  it('WriteTxnMarkers answers per partition as Kafka does, and the produce path checks transactional batches', async () => {
    const topic = 'txn-errors'
    await createTopic(topic)
    const p: Producer = { producerId: 900_010, epoch: 3, seq: 0 }
    expect((await produce(topic, p, ['x'])).errorCode).toBe(ErrorCode.NONE)
    const leader = await leaderOf(topic)
    const notLeader = [1, 2, 3].find((id) => id !== leader)!
    expect(await marker(topic, p, true, 5, notLeader)).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER)
    const unknown = await (await broker(leader)).request(ApiKey.WriteTxnMarkers, 1, {
      markers: [{ producerId: p.producerId, producerEpoch: p.epoch, transactionResult: true, topics: [{ name: 'no-such-topic', partitionIndexes: [0] }], coordinatorEpoch: 5 }],
    })
    expect(unknown.markers[0].topics[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    expect(await marker(topic, p, true, 5)).toBe(ErrorCode.NONE)
    // A deposed coordinator (older coordinator epoch), an older producer epoch.
    expect(await marker(topic, p, false, 4)).toBe(ErrorCode.TRANSACTION_COORDINATOR_FENCED)
    expect(await marker(topic, { ...p, epoch: 2 }, false, 5)).toBe(ErrorCode.INVALID_PRODUCER_EPOCH)
    // A marker of a new epoch (the coordinator fencing the producer): the old epoch is refused.
    expect(await marker(topic, { ...p, epoch: 4 }, false, 5)).toBe(ErrorCode.NONE)
    expect((await produce(topic, p, ['zombie'])).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH)
    const next: Producer = { ...p, epoch: 4, seq: 7 }
    expect((await produce(topic, next, ['y'])).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
    next.seq = 0
    expect((await produce(topic, next, ['y'])).errorCode).toBe(ErrorCode.NONE)
    // A marker for a producer the partition never saw is still written.
    expect(await marker(topic, { producerId: 900_011, epoch: 0, seq: 0 }, false, 5)).toBe(ErrorCode.NONE)
    // A transactional batch needs the transactional id of the request, and a producer id and epoch.
    expect((await produce(topic, { producerId: 900_012, epoch: 0, seq: 0 }, ['z'], null)).errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
    expect((await produce(topic, { producerId: -1, epoch: -1, seq: -1 }, ['z'])).errorCode).toBe(ErrorCode.INVALID_RECORD)
    // A plain batch of a producer whose transaction is open.
    const open: Producer = { producerId: 900_013, epoch: 0, seq: 0 }
    expect((await produce(topic, open, ['t'])).errorCode).toBe(ErrorCode.NONE)
    const plain = await (await broker(leader)).request(ApiKey.Produce, 8, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 10_000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ value: 'p' }], producerId: open.producerId, producerEpoch: 0, baseSequence: 1 }) }] }],
    })
    expect(plain.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.INVALID_TXN_STATE)
  })

  it('retention past an open transaction: the LSO stays at the log start, and the aborted range is answered until its marker goes', async () => {
    const topic = 'txn-retention'
    // retention.bytes 1: every batch below the HWM but the last goes at each retention run (and
    // none by time: the test's batches are dated 2023).
    await createTopic(topic, [
      { name: 'retention.bytes', value: '1' },
      { name: 'retention.ms', value: '-1' },
    ])
    const a: Producer = { producerId: 900_031, epoch: 0, seq: 0 }
    await producePlain(topic, 'p0') // 0
    await produce(topic, a, ['a1']) // 1
    await producePlain(topic, 'p2') // 2
    await producePlain(topic, 'p3') // 3
    const admin = await broker(1)
    const altered = await admin.request(ApiKey.IncrementalAlterConfigs, 1, {
      resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'log.retention.check.interval.ms', configOperation: 0, value: '100' }] }],
      validateOnly: false,
    })
    expect(altered.responses[0].errorCode).toBe(ErrorCode.NONE)
    try {
      const pruned = await until('retention past the open transaction', async () => {
        const f = await fetch(topic, 1, 3)
        return f.logStartOffset === 3 ? f : undefined
      })
      expect(pruned).toMatchObject({ highWatermark: 4, lastStableOffset: 3, aborted: [], batches: [] })

      expect(await marker(topic, a, false)).toBe(ErrorCode.NONE) // 4
      // Read from the marker: the next retention run may already have taken p3 (offset 3), which
      // is no longer the last batch once the marker is written.
      const aborted = await fetch(topic, 1, 4)
      expect(aborted).toMatchObject({ lastStableOffset: 5, aborted: [[900_031, 1]] })
      expect(aborted.batches.map((x) => x[2])).toEqual(['abort'])

      await producePlain(topic, 'p5') // 5
      const past = await until('retention past the marker', async () => {
        const f = await fetch(topic, 1, 5)
        return f.logStartOffset === 5 ? f : undefined
      })
      expect(past).toMatchObject({ lastStableOffset: 6, aborted: [] })
    } finally {
      // Even when the test fails: retention every 100 ms must not outlive it.
      await admin.request(ApiKey.IncrementalAlterConfigs, 1, {
        resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'log.retention.check.interval.ms', configOperation: 1, value: null }] }],
        validateOnly: false,
      })
    }
  })

  it('a restart rebuilds the open transactions and the aborted index; a follower made leader has them', async () => {
    const topic = 'txn-durable'
    await createTopic(topic)
    const a: Producer = { producerId: 900_021, epoch: 0, seq: 0 }
    const b: Producer = { producerId: 900_022, epoch: 0, seq: 0 }
    const c: Producer = { producerId: 900_023, epoch: 0, seq: 0 }
    await produce(topic, a, ['a1']) // 0
    await produce(topic, b, ['b1']) // 1
    expect(await marker(topic, a, false)).toBe(ErrorCode.NONE) // 2
    await produce(topic, c, ['c1']) // 3
    expect(await marker(topic, b, true)).toBe(ErrorCode.NONE) // 4
    const before = await fetch(topic, 1)
    expect(before).toMatchObject({ highWatermark: 5, lastStableOffset: 3, aborted: [[900_021, 0]] })

    await cluster.restart()
    clients.close()
    const after = await until('the partition served again', async () => {
      const f = await fetch(topic, 1).catch(() => undefined)
      return f && f.errorCode === ErrorCode.NONE && f.highWatermark === 5 ? f : undefined
    })
    expect(after).toMatchObject({ lastStableOffset: 3, aborted: [[900_021, 0]] })

    // Leadership moves to a follower (the controller's failover), which has the same state, and
    // ends c's transaction. The followers are back in the ISR first (after the restart).
    await until('every replica in the ISR', async () => {
      const md = await (await broker(1)).request(ApiKey.Metadata, 9, { topics: [{ name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
      return md.topics[0].partitions[0].isrNodes.length === 3 ? true : undefined
    })
    const leader = await leaderOf(topic)
    const moved = await cluster.runtime.failover(topic, 0)
    expect(moved.from).toBe(leader)
    const failedOver = await until('the new leader serving the partition', async () => {
      if ((await leaderOf(topic)) !== moved.to) return undefined
      const f = await fetch(topic, 1).catch(() => undefined)
      return f && f.errorCode === ErrorCode.NONE && f.highWatermark === 5 ? f : undefined
    })
    expect(failedOver).toMatchObject({ lastStableOffset: 3, aborted: [[900_021, 0]] })
    expect(await marker(topic, c, false)).toBe(ErrorCode.NONE) // 5
    const ended = await fetch(topic, 1)
    expect(ended).toMatchObject({ highWatermark: 6, lastStableOffset: 6, aborted: [[900_021, 0], [900_023, 3]] })
  })
})
