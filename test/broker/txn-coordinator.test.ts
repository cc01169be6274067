/**
 * The transaction coordinator on a real in-process cluster (the daemon's wiring, three brokers),
 * driven request by request through a raw connection: InitProducerId with a transactional id,
 * AddPartitionsToTxn, EndTxn and its markers in the partitions, fencing, timeouts, a coordinator
 * failover in the middle of a commit, DescribeTransactions and ListTransactions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { coordinatorPartitionFor } from '../../src/cluster/coordinator-placement.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { controlTypeOf } from '../../src/protocol/control-batch.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { decodeRecordBatches, encodeRecordBatch } from '../../src/protocol/record-batch.js'
import { parseBatches } from '../../src/protocol/batch-layout.js'
import { startTestCluster, type TestCluster } from '../interop/fixture.js'
import { brokerClients } from '../support/broker-clients.js'
import { fetchRequest } from '../support/fetch-request.js'
import { until } from '../helpers/wait.js'
import { applyBrokerConfigs, FAST_FAILOVER_CONFIGS, incrementalBrokerConfigs } from '../helpers/broker-configs.js'

const RETRIABLE = new Set<number>([ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR, ErrorCode.CONCURRENT_TRANSACTIONS])

describe('broker/txn-coordinator', () => {
  let cluster: TestCluster
  const clients = brokerClients((id) => cluster.port + id - 1)
  /** Brokers a test killed: requests go to the others. */
  const down = new Set<number>()
  const broker = clients.broker
  function alive(): number {
    return [1, 2, 3].find((id) => !down.has(id))!
  }
  async function kill(id: number): Promise<void> {
    down.add(id)
    clients.drop(id)
    await cluster.runtime.killBroker(id)
  }
  async function restart(id: number): Promise<void> {
    await cluster.runtime.startBroker(id)
    down.delete(id)
  }

  const createTopic = (name: string, numPartitions = 3) => clients.createTopic(name, { numPartitions })

  /** The coordinator of a transactional id, once it has one. */
  async function coordinatorOf(transactionalId: string): Promise<number> {
    return until(`the coordinator of ${transactionalId}`, async () => {
      const res = await (await broker(alive())).request(ApiKey.FindCoordinator, 3, { key: transactionalId, keyType: 1 })
      return res.errorCode === ErrorCode.NONE ? (res.nodeId as number) : undefined
    })
  }

  /** Sends a request to the id's coordinator until it answers something that is not "retry". */
  async function toCoordinator(transactionalId: string, apiKey: number, version: number, body: unknown, codeOf: (res: any) => number = (r) => r.errorCode): Promise<any> {
    return until(`an answer from the coordinator of ${transactionalId}`, async () => {
      const node = await coordinatorOf(transactionalId)
      // The metadata may still name a broker just killed until its session runs out.
      if (down.has(node)) return undefined
      const res = await (await broker(node)).request(apiKey, version, body)
      return RETRIABLE.has(codeOf(res)) ? undefined : res
    })
  }

  async function initProducer(transactionalId: string, timeoutMs = 60_000, version = 3): Promise<{ producerId: number; producerEpoch: number }> {
    const res = await toCoordinator(transactionalId, ApiKey.InitProducerId, version, { transactionalId, transactionTimeoutMs: timeoutMs, producerId: -1, producerEpoch: -1 })
    expect(res.errorCode).toBe(ErrorCode.NONE)
    return { producerId: Number(res.producerId), producerEpoch: res.producerEpoch }
  }

  async function addPartitions(transactionalId: string, p: { producerId: number; producerEpoch: number }, topic: string, partitions: number[], version = 3): Promise<number> {
    const res = await toCoordinator(
      transactionalId,
      ApiKey.AddPartitionsToTxn,
      version,
      { v3AndBelowTransactionalId: transactionalId, v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: p.producerEpoch, v3AndBelowTopics: [{ name: topic, partitions }] },
      (r) => r.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode,
    )
    return res.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode
  }

  async function endTxn(transactionalId: string, p: { producerId: number; producerEpoch: number }, committed: boolean, version = 3): Promise<number> {
    const res = await toCoordinator(transactionalId, ApiKey.EndTxn, version, { transactionalId, producerId: p.producerId, producerEpoch: p.producerEpoch, committed })
    return res.errorCode
  }

  async function describeTxn(transactionalId: string): Promise<any> {
    const res = await toCoordinator(transactionalId, ApiKey.DescribeTransactions, 0, { transactionalIds: [transactionalId] }, (r) => r.transactionStates[0].errorCode)
    return res.transactionStates[0]
  }

  async function leaderOf(topic: string, partition: number): Promise<number> {
    const md = await (await broker(alive())).request(ApiKey.Metadata, 9, { topics: [{ name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
    return md.topics[0].partitions.find((p: { partitionIndex: number }) => p.partitionIndex === partition).leaderId
  }

  /** The control batches (commit/abort) of a partition, read uncommitted from its leader. */
  async function markersIn(topic: string, partition: number): Promise<('commit' | 'abort')[]> {
    const res = await (await broker(await leaderOf(topic, partition))).request(ApiKey.Fetch, 11, fetchRequest(topic, 0, { partition }))
    const records: Buffer | null = res.responses[0].partitions[0].records
    if (!records || records.length === 0) return []
    const out: ('commit' | 'abort')[] = []
    for (const b of parseBatches(records).batches) {
      const type = controlTypeOf(records, b.start)
      if (type) out.push(type)
    }
    return out
  }

  /**
   * The values a read_committed consumer sees in a partition, read from its leader as a client
   * does: the fetch stops at the last stable offset, and the batches of the aborted transactions
   * it answers are dropped, as are control batches.
   */
  async function readCommitted(topic: string, partition: number): Promise<{ values: string[]; lastStableOffset: number; highWatermark: number }> {
    const res = await (await broker(await leaderOf(topic, partition))).request(ApiKey.Fetch, 11, fetchRequest(topic, 0, { partition, isolationLevel: 1 }))
    const p = res.responses[0].partitions[0]
    expect(p.errorCode).toBe(ErrorCode.NONE)
    const aborted: { producerId: number; firstOffset: number }[] = (p.abortedTransactions ?? []).map((a: any) => ({ producerId: Number(a.producerId), firstOffset: Number(a.firstOffset) }))
    const abortedNow = new Set<number>()
    const values: string[] = []
    for (const { header, records } of p.records && p.records.length > 0 ? decodeRecordBatches(p.records) : []) {
      for (const a of aborted) if (a.firstOffset <= header.baseOffset) abortedNow.add(a.producerId)
      if (header.isControl) {
        abortedNow.delete(header.producerId)
        continue
      }
      if (header.isTransactional && abortedNow.has(header.producerId)) continue
      for (const r of records) values.push(r.value!.toString())
    }
    return { values, lastStableOffset: Number(p.lastStableOffset), highWatermark: Number(p.highWatermark) }
  }

  /** A transactional batch through Produce; its error code. */
  async function produce(transactionalId: string, p: { producerId: number; producerEpoch: number }, topic: string, partition: number, baseSequence: number, values: string[], version = 8): Promise<number> {
    const records = encodeRecordBatch({
      baseTimestamp: Date.now(),
      producerId: p.producerId,
      producerEpoch: p.producerEpoch,
      baseSequence,
      transactional: true,
      records: values.map((v) => ({ value: v })),
    })
    const res = await (await broker(await leaderOf(topic, partition))).request(ApiKey.Produce, version, {
      transactionalId,
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
    })
    return res.responses[0].partitionResponses[0].errorCode
  }

  beforeAll(async () => {
    cluster = await startTestCluster({ brokers: 3 })
    // A killed coordinator is fenced within a second, not at the default session's 9 s.
    await applyBrokerConfigs(incrementalBrokerConfigs(cluster), FAST_FAILOVER_CONFIGS, () => createTopic('orders'))
  })
  afterAll(async () => {
    clients.close()
    await cluster?.stop()
  })

  it('verifies a first transactional batch with the coordinator (KIP-890): refused and not stored unless its partition is in the transaction', async () => {
    await createTopic('verified', 2)
    const p = await initProducer('tx-verify')
    // Never added: INVALID_TXN_STATE (TRANSACTION_ABORTABLE from Produce v11, KIP-890 part 2 clients).
    expect(await produce('tx-verify', p, 'verified', 0, 0, ['early'])).toBe(ErrorCode.INVALID_TXN_STATE)
    expect(await produce('tx-verify', p, 'verified', 1, 0, ['early'], 11)).toBe(ErrorCode.TRANSACTION_ABORTABLE)
    expect(await addPartitions('tx-verify', p, 'verified', [0])).toBe(ErrorCode.NONE)
    expect(await produce('tx-verify', p, 'verified', 0, 0, ['a'])).toBe(ErrorCode.NONE)
    expect(await produce('tx-verify', p, 'verified', 0, 1, ['b'])).toBe(ErrorCode.NONE)
    expect(await endTxn('tx-verify', p, true)).toBe(ErrorCode.NONE)
    // A batch that reaches the partition before the COMMIT marker joins the transaction still open
    // there (as in Kafka: only a first batch is verified); once the marker is in, a late one of
    // the ended transaction (a retry that took its time) is refused: NOT_ENOUGH_REPLICAS
    // (retriable) while the coordinator still completes, then INVALID_TXN_STATE; never stored.
    await until('the COMMIT marker in the partition', async () => ((await markersIn('verified', 0)).includes('commit') ? true : undefined))
    const late = await until('the late batch answered for good', async () => {
      const code = await produce('tx-verify', p, 'verified', 0, 2, ['late'])
      return code === ErrorCode.NOT_ENOUGH_REPLICAS ? undefined : code
    })
    expect(late).toBe(ErrorCode.INVALID_TXN_STATE)
    const read = await readCommitted('verified', 0)
    expect(read.values).toEqual(['a', 'b'])
    expect(read.lastStableOffset).toBe(read.highWatermark)
    expect((await readCommitted('verified', 1)).highWatermark).toBe(0)
  })

  it('FindCoordinator key type 1 creates __transaction_state and names the leader of the id partition', async () => {
    const node = await coordinatorOf('tx-find')
    expect([1, 2, 3]).toContain(node)
    const res = await (await broker(1)).request(ApiKey.FindCoordinator, 4, { coordinatorKeys: ['tx-find', ''], keyType: 1 })
    expect(res.coordinators[0]).toMatchObject({ key: 'tx-find', nodeId: node, errorCode: ErrorCode.NONE })
    expect(res.coordinators[1].errorCode).toBe(ErrorCode.INVALID_REQUEST)
  })

  it('InitProducerId: a new id at epoch 0, then the same producer id at a bumped epoch', async () => {
    const first = await initProducer('tx-init')
    expect(first.producerEpoch).toBe(0)
    const second = await initProducer('tx-init')
    expect(second).toEqual({ producerId: first.producerId, producerEpoch: 1 })
    // A timeout over transaction.max.timeout.ms.
    const res = await toCoordinator('tx-init', ApiKey.InitProducerId, 3, { transactionalId: 'tx-init', transactionTimeoutMs: 900_001, producerId: -1, producerEpoch: -1 })
    expect(res.errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT)
    // Any broker answers it, as Kafka: the timeout is checked before the coordinator.
    for (const id of [1, 2, 3]) {
      const other = await (await broker(id)).request(ApiKey.InitProducerId, 3, { transactionalId: 'tx-init', transactionTimeoutMs: 0, producerId: -1, producerEpoch: -1 })
      expect(other.errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT)
    }
  })

  it('InitProducerId with the producer id and epoch (KIP-360): a bump, a retry of it, and a stranger fenced', async () => {
    const first = await initProducer('tx-kip360', 60_000, 4)
    const init = (producerId: number, producerEpoch: number, version = 4) =>
      toCoordinator('tx-kip360', ApiKey.InitProducerId, version, { transactionalId: 'tx-kip360', transactionTimeoutMs: 60_000, producerId, producerEpoch })
    const bumped = await init(first.producerId, first.producerEpoch)
    expect(bumped).toMatchObject({ errorCode: ErrorCode.NONE, producerEpoch: first.producerEpoch + 1 })
    // The same request again (its answer lost): the same epoch.
    expect(await init(first.producerId, first.producerEpoch)).toMatchObject({ errorCode: ErrorCode.NONE, producerEpoch: first.producerEpoch + 1 })
    // Another producer id: fenced; PRODUCER_FENCED from v4, INVALID_PRODUCER_EPOCH before.
    expect((await init(first.producerId + 1000, 0)).errorCode).toBe(ErrorCode.PRODUCER_FENCED)
    expect((await init(first.producerId + 1000, 0, 3)).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH)
    // An id without an epoch is a malformed request.
    expect((await init(first.producerId, -1)).errorCode).toBe(ErrorCode.INVALID_REQUEST)
  })

  it('commit: markers in every partition of the transaction, then CompleteCommit', async () => {
    const p = await initProducer('tx-commit')
    expect(await addPartitions('tx-commit', p, 'orders', [0, 1])).toBe(ErrorCode.NONE)
    const ongoing = await describeTxn('tx-commit')
    expect(ongoing).toMatchObject({ transactionState: 'Ongoing', producerId: p.producerId, producerEpoch: p.producerEpoch, topics: [{ topic: 'orders', partitions: [0, 1] }] })
    expect(await endTxn('tx-commit', p, true)).toBe(ErrorCode.NONE)
    await until('CompleteCommit', async () => ((await describeTxn('tx-commit')).transactionState === 'CompleteCommit' ? true : undefined))
    expect(await markersIn('orders', 0)).toContain('commit')
    expect(await markersIn('orders', 1)).toContain('commit')
    // The same commit again: NONE; an abort now: INVALID_TXN_STATE.
    expect(await endTxn('tx-commit', p, true)).toBe(ErrorCode.NONE)
    expect(await endTxn('tx-commit', p, false)).toBe(ErrorCode.INVALID_TXN_STATE)
  })

  it('init, add, produce, commit: read_committed sees the records once the COMMIT marker is written, not before', async () => {
    await createTopic('payments', 1)
    const p = await initProducer('tx-pay')
    expect(await addPartitions('tx-pay', p, 'payments', [0])).toBe(ErrorCode.NONE)
    expect(await produce('tx-pay', p, 'payments', 0, 0, ['a', 'b'])).toBe(ErrorCode.NONE)
    const open = await readCommitted('payments', 0)
    expect(open.values).toEqual([])
    expect(open.lastStableOffset).toBe(0)
    expect(await endTxn('tx-pay', p, true)).toBe(ErrorCode.NONE)
    const done = await until('the commit visible to read_committed', async () => {
      const r = await readCommitted('payments', 0)
      return r.values.length > 0 ? r : undefined
    })
    expect(done.values).toEqual(['a', 'b'])
    // A second transaction, aborted: its records never show.
    expect(await addPartitions('tx-pay', p, 'payments', [0])).toBe(ErrorCode.NONE)
    expect(await produce('tx-pay', p, 'payments', 0, 2, ['x'])).toBe(ErrorCode.NONE)
    expect(await endTxn('tx-pay', p, false)).toBe(ErrorCode.NONE)
    await until('the abort marker below the last stable offset', async () => {
      const r = await readCommitted('payments', 0)
      return r.lastStableOffset === r.highWatermark && r.highWatermark >= 5 ? true : undefined
    })
    expect((await readCommitted('payments', 0)).values).toEqual(['a', 'b'])
  })

  it('abort: ABORT markers, then CompleteAbort; EndTxn with nothing open is INVALID_TXN_STATE', async () => {
    const p = await initProducer('tx-abort')
    expect(await endTxn('tx-abort', p, true)).toBe(ErrorCode.INVALID_TXN_STATE)
    expect(await addPartitions('tx-abort', p, 'orders', [2])).toBe(ErrorCode.NONE)
    expect(await endTxn('tx-abort', p, false)).toBe(ErrorCode.NONE)
    await until('CompleteAbort', async () => ((await describeTxn('tx-abort')).transactionState === 'CompleteAbort' ? true : undefined))
    expect(await markersIn('orders', 2)).toContain('abort')
  })

  it('AddPartitionsToTxn of a partition that does not exist fails the whole request', async () => {
    const p = await initProducer('tx-unknown')
    const c = await broker(await coordinatorOf('tx-unknown'))
    const res = await c.request(ApiKey.AddPartitionsToTxn, 3, {
      v3AndBelowTransactionalId: 'tx-unknown',
      v3AndBelowProducerId: p.producerId,
      v3AndBelowProducerEpoch: p.producerEpoch,
      v3AndBelowTopics: [{ name: 'orders', partitions: [0, 9] }],
    })
    expect(res.resultsByTopicV3AndBelow[0].resultsByPartition).toEqual([
      { partitionIndex: 0, partitionErrorCode: ErrorCode.OPERATION_NOT_ATTEMPTED },
      { partitionIndex: 9, partitionErrorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
    ])
  })

  it('a second InitProducerId fences the first producer: its open transaction is aborted, its requests PRODUCER_FENCED', async () => {
    const old = await initProducer('tx-fence')
    expect(await addPartitions('tx-fence', old, 'orders', [0])).toBe(ErrorCode.NONE)
    expect(await produce('tx-fence', old, 'orders', 0, 0, ['never'])).toBe(ErrorCode.NONE)
    // The new producer retries through CONCURRENT_TRANSACTIONS while the old transaction is aborted.
    const fresh = await initProducer('tx-fence')
    expect(fresh.producerId).toBe(old.producerId)
    // One bump to fence and abort, one for the new producer.
    expect(fresh.producerEpoch).toBe(old.producerEpoch + 2)
    expect(await endTxn('tx-fence', old, true)).toBe(ErrorCode.PRODUCER_FENCED)
    expect(await endTxn('tx-fence', old, true, 1)).toBe(ErrorCode.INVALID_PRODUCER_EPOCH)
    expect(await addPartitions('tx-fence', old, 'orders', [1])).toBe(ErrorCode.PRODUCER_FENCED)
    expect(await addPartitions('tx-fence', old, 'orders', [1], 1)).toBe(ErrorCode.INVALID_PRODUCER_EPOCH)
    expect(await markersIn('orders', 0)).toContain('abort')
    // The partition saw the fence's marker at the bumped epoch: the old producer's batches are refused.
    expect(await produce('tx-fence', old, 'orders', 0, 1, ['late'])).toBe(ErrorCode.INVALID_PRODUCER_EPOCH)
    expect((await readCommitted('orders', 0)).values).not.toContain('never')
    const state = await describeTxn('tx-fence')
    expect(state).toMatchObject({ transactionState: 'Empty', producerEpoch: fresh.producerEpoch })
  })

  it('AddOffsetsToTxn creates __consumer_offsets first: the fence reaches the group partition, and the fenced producer commits no offsets there', async () => {
    // No earlier test here asks for a group coordinator: the topic does not exist yet.
    expect(cluster.runtime.image.topicsByName.has('__consumer_offsets')).toBe(false)
    const group = 'g-fenced-offsets'
    const old = await initProducer('tx-offsets-fence')
    const added = await toCoordinator('tx-offsets-fence', ApiKey.AddOffsetsToTxn, 3, { transactionalId: 'tx-offsets-fence', ...old, groupId: group })
    expect(added.errorCode).toBe(ErrorCode.NONE)
    expect(cluster.runtime.image.topicsByName.has('__consumer_offsets')).toBe(true)
    // The fence's ABORT marker at the bumped epoch lands in the group's partition (were the
    // partition created after it, the marker would be skipped, and the old epoch taken there).
    const fresh = await initProducer('tx-offsets-fence')
    expect(fresh.producerEpoch).toBe(old.producerEpoch + 2)
    const res = await until(`an answer from the coordinator of ${group}`, async () => {
      const found = await (await broker(alive())).request(ApiKey.FindCoordinator, 3, { key: group, keyType: 0 })
      if (found.errorCode !== ErrorCode.NONE) return undefined
      const r = await (await broker(found.nodeId)).request(ApiKey.TxnOffsetCommit, 3, {
        transactionalId: 'tx-offsets-fence',
        groupId: group,
        ...old,
        generationId: -1,
        memberId: '',
        groupInstanceId: null,
        topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: '' }] }],
      })
      const code = r.topics[0].partitions[0].errorCode as number
      return RETRIABLE.has(code) ? undefined : code
    })
    expect(res).toBe(ErrorCode.INVALID_PRODUCER_EPOCH)
  })

  it('a transaction open past its timeout is aborted and its producer fenced', async () => {
    const p = await initProducer('tx-timeout', 1500)
    expect(await addPartitions('tx-timeout', p, 'orders', [1])).toBe(ErrorCode.NONE)
    const aborted = await until('the timed-out transaction aborted', async () => {
      const d = await describeTxn('tx-timeout')
      return d.transactionState === 'CompleteAbort' ? d : undefined
    })
    expect(aborted.producerEpoch).toBe(p.producerEpoch + 1)
    expect(await endTxn('tx-timeout', p, true)).toBe(ErrorCode.PRODUCER_FENCED)
  })

  it('DescribeTransactions: NOT_COORDINATOR elsewhere, TRANSACTIONAL_ID_NOT_FOUND for an unknown id', async () => {
    await initProducer('tx-describe')
    const node = await coordinatorOf('tx-describe')
    const other = [1, 2, 3].find((id) => id !== node)!
    const res = await (await broker(other)).request(ApiKey.DescribeTransactions, 0, { transactionalIds: ['tx-describe'] })
    expect(res.transactionStates[0].errorCode).toBe(ErrorCode.NOT_COORDINATOR)
    const nodeOfUnknown = await coordinatorOf('tx-never-seen')
    const unknown = await (await broker(nodeOfUnknown)).request(ApiKey.DescribeTransactions, 0, { transactionalIds: ['tx-never-seen'] })
    expect(unknown.transactionStates[0].errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND)
  })

  it('ListTransactions: every broker lists the ids it coordinates, filtered by state, producer id and duration', async () => {
    const p = await initProducer('tx-list')
    expect(await addPartitions('tx-list', p, 'orders', [2])).toBe(ErrorCode.NONE)
    const listAll = async (body: unknown, version = 1): Promise<any[]> => {
      const out: any[] = []
      for (const id of [1, 2, 3]) {
        const res = await (await broker(id)).request(ApiKey.ListTransactions, version, body)
        expect(res.errorCode).toBe(ErrorCode.NONE)
        out.push(...res.transactionStates)
      }
      return out
    }
    const ids = (states: any[]): string[] => states.map((s) => s.transactionalId)
    const none = { stateFilters: [], producerIdFilters: [], durationFilter: -1 }
    expect(ids(await listAll(none))).toContain('tx-list')
    expect(ids(await listAll({ ...none, stateFilters: ['Ongoing'] }))).toContain('tx-list')
    expect(ids(await listAll({ ...none, stateFilters: ['CompleteCommit'] }))).not.toContain('tx-list')
    expect(ids(await listAll({ ...none, producerIdFilters: [p.producerId] }))).toEqual(['tx-list'])
    expect(ids(await listAll({ ...none, durationFilter: 3_600_000 }))).not.toContain('tx-list')
    const res = await (await broker(1)).request(ApiKey.ListTransactions, 0, { stateFilters: ['Bogus'], producerIdFilters: [] })
    expect(res.unknownStateFilters).toEqual(['Bogus'])
    expect(await endTxn('tx-list', p, false)).toBe(ErrorCode.NONE)
  })

  it("the coordinator's broker crashing in PrepareCommit: the new coordinator completes the commit", async () => {
    const p = await initProducer('tx-failover')
    expect(await addPartitions('tx-failover', p, 'orders', [0, 1, 2])).toBe(ErrorCode.NONE)
    for (const partition of [0, 1, 2]) expect(await produce('tx-failover', p, 'orders', partition, 0, [`failover-${partition}`])).toBe(ErrorCode.NONE)
    const node = await coordinatorOf('tx-failover')
    // Slow links from the coordinator to the other brokers: its markers to them are still on the
    // way when it dies, so it never writes CompleteCommit.
    for (const to of [1, 2, 3]) if (to !== node) cluster.runtime.addFault({ kind: 'latency', link: [node, to], latencyMs: 1500 })
    expect(await endTxn('tx-failover', p, true)).toBe(ErrorCode.NONE)
    await kill(node)
    cluster.runtime.clearFaults()
    const done = await until('the commit completed by the new coordinator', async () => {
      const d = await describeTxn('tx-failover')
      return d.transactionState === 'CompleteCommit' ? d : undefined
    })
    expect(done.producerId).toBe(p.producerId)
    const newCoordinator = await coordinatorOf('tx-failover')
    expect(newCoordinator).not.toBe(node)
    // The commit was completed by the new coordinator, as `cluster events` tells.
    const events = await cluster.runtime.events()
    expect(events.filter((e) => e.type === 'txn.committed' && e.transactionalId === 'tx-failover').map((e) => e.broker)).toEqual([newCoordinator])
    await restart(node)
    for (const partition of [0, 1, 2]) {
      await until(`the failover's commit visible in orders-${partition}`, async () => ((await readCommitted('orders', partition)).values.includes(`failover-${partition}`) ? true : undefined))
    }
  })

  it('a transaction outlives a move of its coordinator: the new leader of its partition loads it and commits it', async () => {
    const p = await initProducer('tx-move')
    expect(await addPartitions('tx-move', p, 'orders', [1])).toBe(ErrorCode.NONE)
    const node = await coordinatorOf('tx-move')
    const md = await (await broker(alive())).request(ApiKey.Metadata, 9, { topics: [{ name: '__transaction_state' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
    const partition = coordinatorPartitionFor('tx-move', md.topics[0].partitions.length)
    const moved = await cluster.runtime.failover('__transaction_state', partition)
    expect(moved.to).not.toBe(node)
    // The old coordinator is no longer one; the new one has the open transaction.
    const d = await (await broker(node)).request(ApiKey.DescribeTransactions, 0, { transactionalIds: ['tx-move'] })
    expect(d.transactionStates[0].errorCode).toBe(ErrorCode.NOT_COORDINATOR)
    expect(await describeTxn('tx-move')).toMatchObject({ transactionState: 'Ongoing', producerId: p.producerId, producerEpoch: p.producerEpoch })
    expect(await endTxn('tx-move', p, true)).toBe(ErrorCode.NONE)
    await until('CompleteCommit at the new coordinator', async () => ((await describeTxn('tx-move')).transactionState === 'CompleteCommit' ? true : undefined))
  })

  it('cluster events tell commits, aborts, fencing and timeouts', async () => {
    const events = await cluster.runtime.events()
    const of = (type: string, id: string) => events.filter((e) => e.type === type && e.transactionalId === id)
    expect(of('txn.committed', 'tx-commit')).toHaveLength(1)
    expect(of('txn.committed', 'tx-commit')[0]!.message).toMatch(/transaction tx-commit committed/)
    expect(of('txn.aborted', 'tx-abort')).toHaveLength(1)
    expect(of('txn.fenced', 'tx-fence').length).toBeGreaterThanOrEqual(1)
    expect(of('txn.fenced', 'tx-fence')[0]!.message).toMatch(/its open transaction is aborted/)
    expect(of('txn.timed-out', 'tx-timeout')).toHaveLength(1)
  })

  it('an idle transactional id expires after transactional.id.expiration.ms: a tombstone, then a new producer id', async () => {
    const before = await initProducer('tx-expire')
    const res = await (await broker(alive())).request(ApiKey.AlterConfigs, 0, {
      resources: [
        {
          resourceType: 4,
          resourceName: '',
          configs: [
            { name: 'transactional.id.expiration.ms', value: '300' },
            { name: 'transaction.remove.expired.transaction.cleanup.interval.ms', value: '100' },
          ],
        },
      ],
      validateOnly: false,
    })
    expect(res.responses[0].errorCode).toBe(ErrorCode.NONE)
    await until('tx-expire forgotten', async () => {
      const node = await coordinatorOf('tx-expire')
      const d = await (await broker(node)).request(ApiKey.DescribeTransactions, 0, { transactionalIds: ['tx-expire'] })
      return d.transactionStates[0].errorCode === ErrorCode.TRANSACTIONAL_ID_NOT_FOUND ? true : undefined
    })
    const after = await initProducer('tx-expire')
    expect(after.producerId).not.toBe(before.producerId)
    expect(after.producerEpoch).toBe(0)
  })
})
