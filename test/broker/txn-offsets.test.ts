/**
 * Offsets inside transactions (TxnOffsetCommit, KIP-98 and KIP-447) on real brokers: pending until
 * the transaction's marker reaches the group's __consumer_offsets partition, committed by COMMIT,
 * dropped by ABORT, UNSTABLE_OFFSET_COMMIT for OffsetFetch with require_stable meanwhile, and the
 * same state after a coordinator failover (the new coordinator replays the log, control batches
 * included). Markers are written as the transaction coordinator writes them: writeTxnMarkers on
 * the partition's leader.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Broker } from '../../src/broker/broker.js'
import { OFFSETS_TOPIC, offsetsPartitionFor } from '../../src/broker/group-coordinator.js'
import { writeTxnMarkers } from '../../src/broker/txn-markers.js'
import type { ClusterNode } from '../../src/daemon/cluster-node.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { encodeRecordBatch } from '../../src/protocol/record-batch.js'
import { encodeControlBatch } from '../../src/protocol/control-batch.js'
import { readBatchHeader } from '../../src/protocol/batch-layout.js'
import { OffsetStore, type OffsetEntry } from '../../src/broker/offset-store.js'
import { until } from '../helpers/wait.js'
import { startTestCluster, type TestCluster } from '../interop/fixture.js'
import { brokerClients } from '../support/broker-clients.js'

const TOPIC = 'txn-in'

describe('broker/txn-offsets', () => {
  let cluster: TestCluster
  const clients = brokerClients((id) => cluster.port + id - 1)
  const client = clients.broker
  /** The daemon's brokers: the test plays the transaction coordinator's part in sending markers. */
  function brokerObject(id: number): Broker {
    return (cluster.runtime as unknown as { node: ClusterNode }).node.broker(id)!
  }
  function offsetsPartition(group: string): number {
    return offsetsPartitionFor(group, cluster.runtime.image.topicsByName.get(OFFSETS_TOPIC)!.partitions.length)
  }
  /** The group's coordinator, once FindCoordinator names one. */
  async function coordinator(group: string): Promise<number> {
    return until(`a coordinator for ${group}`, async () => {
      const r = await (await client(1)).request(ApiKey.FindCoordinator, 3, { key: group, keyType: 0 })
      return r.errorCode === ErrorCode.NONE ? (r.nodeId as number) : undefined
    })
  }
  async function producerId(): Promise<{ producerId: number; producerEpoch: number }> {
    const r = await (await client(1)).request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 })
    expect(r.errorCode).toBe(ErrorCode.NONE)
    return { producerId: r.producerId, producerEpoch: r.producerEpoch }
  }
  /** The answer of the group's coordinator (asked again while the coordinator moves: a preferred-leader election after an earlier test's failover moves it). */
  async function txnCommit(group: string, pid: { producerId: number; producerEpoch: number }, offsets: Record<number, number>, extra: { generationId?: number; memberId?: string } = {}): Promise<number[]> {
    return until(`an answer from the coordinator of ${group}`, async () => {
      const c = await client(await coordinator(group))
      const r = await c.request(ApiKey.TxnOffsetCommit, 3, {
        transactionalId: `tx-${group}`,
        groupId: group,
        ...pid,
        generationId: extra.generationId ?? -1,
        memberId: extra.memberId ?? '',
        groupInstanceId: null,
        topics: [{ name: TOPIC, partitions: Object.entries(offsets).map(([p, o]) => ({ partitionIndex: Number(p), committedOffset: o, committedLeaderEpoch: -1, committedMetadata: 'txn' })) }],
      })
      const codes = r.topics[0].partitions.map((p: { errorCode: number }) => p.errorCode) as number[]
      return codes.some((code) => code === ErrorCode.NOT_COORDINATOR || code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) ? undefined : codes
    })
  }
  async function plainCommit(group: string, offsets: Record<number, number>): Promise<void> {
    const c = await client(await coordinator(group))
    const r = await c.request(ApiKey.OffsetCommit, 8, {
      groupId: group,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1,
      topics: [{ name: TOPIC, partitions: Object.entries(offsets).map(([p, o]) => ({ partitionIndex: Number(p), committedOffset: o, committedLeaderEpoch: -1, committedMetadata: null })) }],
    })
    expect(r.topics[0].partitions.map((p: { errorCode: number }) => p.errorCode)).toEqual(Object.keys(offsets).map(() => ErrorCode.NONE))
  }
  /** Offsets of partitions 0-2 (-1: none; 'unstable': UNSTABLE_OFFSET_COMMIT), once the coordinator answers. */
  async function fetched(group: string, requireStable = false): Promise<(number | 'unstable')[]> {
    return until(`offsets of ${group}`, async () => {
      const c = await client(await coordinator(group))
      const r = await c.request(ApiKey.OffsetFetch, 7, { groupId: group, topics: [{ name: TOPIC, partitionIndexes: [0, 1, 2] }], requireStable })
      if (r.errorCode !== ErrorCode.NONE) return undefined
      return r.topics[0].partitions.map((p: { errorCode: number; committedOffset: number }) => {
        if (p.errorCode === ErrorCode.UNSTABLE_OFFSET_COMMIT) return 'unstable'
        expect(p.errorCode).toBe(ErrorCode.NONE)
        return p.committedOffset
      })
    })
  }
  /** Retried on the current leader until it is written, as the transaction coordinator does. */
  async function marker(group: string, pid: { producerId: number; producerEpoch: number }, committed: boolean): Promise<void> {
    const partition = offsetsPartition(group)
    await until('the marker written', async () => {
      const outcomes = await writeTxnMarkers(
        brokerObject(await coordinator(group)),
        [{ ...pid, committed, coordinatorEpoch: 0, topics: [{ name: OFFSETS_TOPIC, partitions: [partition] }] }],
        10_000,
      )
      const { errorCode } = outcomes[0]!.topics[0]!.partitions[0]!
      if (errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER || errorCode === ErrorCode.LEADER_NOT_AVAILABLE) return undefined
      expect(errorCode).toBe(ErrorCode.NONE)
      return true
    })
  }
  /** Moves the group's __consumer_offsets partition to another leader (which loads it from its log). */
  async function failover(group: string): Promise<void> {
    const partition = offsetsPartition(group)
    const epoch = (): number => cluster.runtime.image.topicsByName.get(OFFSETS_TOPIC)!.partitions[partition]!.leaderEpoch
    const before = epoch()
    const moved = await cluster.runtime.failover(OFFSETS_TOPIC, partition)
    expect(moved.leaderEpoch).toBeGreaterThan(before)
    // FindCoordinator names the new leader; the reads that follow wait for its load.
    await until('the new coordinator', async () => ((await coordinator(group)) === moved.to || epoch() > moved.leaderEpoch ? true : undefined))
  }

  beforeAll(async () => {
    cluster = await startTestCluster({ brokers: 3 })
    await clients.createTopic(TOPIC, { numPartitions: 3 })
  })
  afterAll(async () => {
    clients.close()
    await cluster?.stop()
  })

  it('offsets are pending until COMMIT: OffsetFetch answers the last committed, require_stable UNSTABLE_OFFSET_COMMIT', async () => {
    const group = 'txn-commit'
    await plainCommit(group, { 0: 1 })
    const pid = await producerId()
    expect(await txnCommit(group, pid, { 0: 5, 1: 6 })).toEqual([ErrorCode.NONE, ErrorCode.NONE])
    expect(await fetched(group)).toEqual([1, -1, -1])
    expect(await fetched(group, true)).toEqual(['unstable', 'unstable', -1])
    await marker(group, pid, true)
    expect(await fetched(group)).toEqual([5, 6, -1])
    expect(await fetched(group, true)).toEqual([5, 6, -1])
  })

  it('ABORT drops the pending offsets', async () => {
    const group = 'txn-abort'
    await plainCommit(group, { 0: 3 })
    const pid = await producerId()
    expect(await txnCommit(group, pid, { 0: 9, 2: 9 })).toEqual([ErrorCode.NONE, ErrorCode.NONE])
    await marker(group, pid, false)
    expect(await fetched(group, true)).toEqual([3, -1, -1])
  })

  it('a plain commit later in the log wins over an earlier transactional one that commits after it', async () => {
    const group = 'txn-order'
    const pid = await producerId()
    expect(await txnCommit(group, pid, { 0: 10, 1: 10 })).toEqual([ErrorCode.NONE, ErrorCode.NONE])
    await plainCommit(group, { 0: 11 })
    await marker(group, pid, true)
    expect(await fetched(group)).toEqual([11, 10, -1])
    // The same after the new coordinator replays the log.
    await failover(group)
    expect(await fetched(group)).toEqual([11, 10, -1])
  })

  it('a coordinator failover keeps committed transactions committed and open ones pending', async () => {
    const group = 'txn-failover'
    const done = await producerId()
    expect(await txnCommit(group, done, { 0: 20 })).toEqual([ErrorCode.NONE])
    await marker(group, done, true)
    const aborted = await producerId()
    expect(await txnCommit(group, aborted, { 2: 40 })).toEqual([ErrorCode.NONE])
    await marker(group, aborted, false)
    const open = await producerId()
    expect(await txnCommit(group, open, { 1: 30 })).toEqual([ErrorCode.NONE])

    await failover(group)
    expect(await fetched(group)).toEqual([20, -1, -1])
    expect(await fetched(group, true)).toEqual([20, 'unstable', -1])
    // The open transaction's marker comes to the new leader, as the transaction coordinator retries it there.
    await marker(group, open, true)
    expect(await fetched(group, true)).toEqual([20, 30, -1])
  })

  it('a batch the loader cannot read is skipped: the partition still loads', async () => {
    const group = 'txn-unreadable'
    const pid = await producerId()
    expect(await txnCommit(group, pid, { 0: 7 })).toEqual([ErrorCode.NONE])
    await marker(group, pid, true)
    // A record whose key is not sluice's JSON, written by a client (Kafka refuses this; sluice does not).
    const partition = offsetsPartition(group)
    const c = await client(await coordinator(group))
    const produced = await c.request(ApiKey.Produce, 8, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: OFFSETS_TOPIC, partitionData: [{ index: partition, records: encodeRecordBatch({ records: [{ key: Buffer.from([0, 1, 2]), value: 'x' }] }) }] }],
    })
    expect(produced.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE)
    await plainCommit(group, { 1: 8 })
    await failover(group)
    expect(await fetched(group, true)).toEqual([7, 8, -1])
  })

  it('a deleted group loses its pending offsets: a later COMMIT brings none back', async () => {
    const group = 'txn-deleted'
    await plainCommit(group, { 0: 2 })
    const pid = await producerId()
    expect(await txnCommit(group, pid, { 0: 12, 1: 12 })).toEqual([ErrorCode.NONE, ErrorCode.NONE])
    const c = await client(await coordinator(group))
    const deleted = await c.request(ApiKey.DeleteGroups, 2, { groupsNames: [group] })
    expect(deleted.results[0].errorCode).toBe(ErrorCode.NONE)
    await marker(group, pid, true)
    expect(await fetched(group, true)).toEqual([-1, -1, -1])
    await failover(group)
    expect(await fetched(group, true)).toEqual([-1, -1, -1])
  })

  it('a fenced producer commits no offsets: its TxnOffsetCommit after the fencing marker is refused', async () => {
    const group = 'txn-zombie'
    const zombie = await producerId()
    expect(await txnCommit(group, zombie, { 0: 3 })).toEqual([ErrorCode.NONE])
    // A new instance of the transactional id bumps the epoch; the coordinator aborts the open
    // transaction with the new epoch's marker, which fences the old epoch on this partition.
    const current = { producerId: zombie.producerId, producerEpoch: zombie.producerEpoch + 1 }
    await marker(group, current, false)
    expect(await txnCommit(group, zombie, { 1: 4 })).toEqual([ErrorCode.INVALID_PRODUCER_EPOCH])
    expect(await txnCommit(group, current, { 0: 6 })).toEqual([ErrorCode.NONE])
    await marker(group, current, true)
    expect(await fetched(group, true)).toEqual([6, -1, -1])
  })

  it('TxnOffsetCommit answers as Kafka: the group must be here, a member given must belong to it', async () => {
    const group = 'txn-checks'
    const pid = await producerId()
    const here = await coordinator(group)
    const elsewhere = await client((here % cluster.brokers) + 1)
    const notHere = await elsewhere.request(ApiKey.TxnOffsetCommit, 3, {
      transactionalId: 'tx',
      groupId: group,
      ...pid,
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] }],
    })
    expect(notHere.topics[0].partitions[0].errorCode).toBe(ErrorCode.NOT_COORDINATOR)
    // The group does not exist: created empty, and a member that is not in it is unknown.
    expect(await txnCommit(group, pid, { 0: 1 }, { generationId: 3, memberId: 'ghost' })).toEqual([ErrorCode.UNKNOWN_MEMBER_ID])
    expect(await txnCommit(group, pid, { 0: 1 })).toEqual([ErrorCode.NONE])
    // Asked of the coordinator now: a leadership moved back by the preferred-leader election after
    // an earlier test's failover moves the group's coordinator too.
    const unknownTopic = await until('an answer from the group coordinator', async () => {
      const r = await (await client(await coordinator(group))).request(ApiKey.TxnOffsetCommit, 3, {
        transactionalId: 'tx',
        groupId: group,
        ...pid,
        generationId: -1,
        memberId: '',
        groupInstanceId: null,
        topics: [{ name: 'no-such-topic', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] }],
      })
      const code = r.topics[0].partitions[0].errorCode as number
      return code === ErrorCode.NOT_COORDINATOR || code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS ? undefined : code
    })
    expect(unknownTopic).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  })

  it('v3 checks a group with members as Kafka: member, static instance and generation; none given passes', async () => {
    const group = 'txn-members'
    const pid = await producerId()
    // Leaders back on their preferred replicas first: the earlier tests' failovers leave some off
    // them, and the periodic preferred-leader election moved this group's coordinator in the
    // middle of this test once (a CI run under load).
    await cluster.runtime.electPreferredLeaders(OFFSETS_TOPIC)
    const preferred = cluster.runtime.image.topicsByName.get(OFFSETS_TOPIC)!.partitions[offsetsPartition(group)]!.replicas[0]
    const { c, joined } = await until('a join at the group coordinator, on its preferred replica', async () => {
      const at = await coordinator(group)
      if (at !== preferred) return undefined
      const c = await client(at)
      const joined = await c.request(ApiKey.JoinGroup, 5, {
        groupId: group,
        sessionTimeoutMs: 30_000,
        rebalanceTimeoutMs: 30_000,
        memberId: '',
        groupInstanceId: 'instance-1',
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
      })
      const moving = joined.errorCode === ErrorCode.NOT_COORDINATOR || joined.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
      return moving ? undefined : { c, joined }
    })
    expect(joined.errorCode).toBe(ErrorCode.NONE)
    const { memberId, generationId } = joined as { memberId: string; generationId: number }
    const commit = async (req: { generationId: number; memberId: string; groupInstanceId: string | null }): Promise<number> => {
      const r = await c.request(ApiKey.TxnOffsetCommit, 3, {
        transactionalId: 'tx',
        groupId: group,
        ...pid,
        ...req,
        topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] }],
      })
      return r.topics[0].partitions[0].errorCode
    }
    expect(await commit({ generationId, memberId, groupInstanceId: 'instance-1' })).toBe(ErrorCode.NONE)
    expect(await commit({ generationId: generationId + 1, memberId, groupInstanceId: 'instance-1' })).toBe(ErrorCode.ILLEGAL_GENERATION)
    expect(await commit({ generationId, memberId: 'someone-else', groupInstanceId: 'instance-1' })).toBe(ErrorCode.FENCED_INSTANCE_ID)
    expect(await commit({ generationId, memberId: 'someone-else', groupInstanceId: null })).toBe(ErrorCode.UNKNOWN_MEMBER_ID)
    // v0-2 producers (kafkajs sendOffsets) send neither member nor generation.
    expect(await commit({ generationId: -1, memberId: '', groupInstanceId: null })).toBe(ErrorCode.NONE)
  })
})

describe('broker/offset-store', () => {
  const entry = (offset: number): OffsetEntry => ({ offset, leaderEpoch: -1, metadata: '', commitTimestamp: 0 })
  const at = (batch: Buffer, baseOffset: number): Buffer => {
    batch.writeBigInt64BE(BigInt(baseOffset), 0)
    return batch
  }
  const record = (p: number, offset: number | null) => ({ key: JSON.stringify({ k: 'o', g: 'g', t: 't', p }), value: offset === null ? null : JSON.stringify(entry(offset)) })

  it('COMMIT keeps a plain commit that is later in the log; ABORT drops; a tombstone drops pending offsets', () => {
    const store = new OffsetStore()
    store.stage(7, 'g', 't', 0, entry(5), 10)
    store.stage(7, 'g', 't', 1, entry(5), 10)
    store.commit('g', 't', 0, entry(6), 11)
    store.completeTxn(7, true)
    expect([store.get('g', 't', 0)?.offset, store.get('g', 't', 1)?.offset]).toEqual([6, 5])
    store.stage(8, 'g', 't', 2, entry(9), 12)
    expect(store.hasPending('g', 't', 2)).toBe(true)
    store.completeTxn(8, false)
    expect([store.get('g', 't', 2), store.hasPending('g')]).toEqual([null, false])
    store.stage(9, 'g', 't', 1, entry(20), 13)
    store.commit('g', 't', 1, null, 14)
    store.completeTxn(9, true)
    expect(store.get('g', 't', 1)).toBeNull()
  })

  it('a staged offset whose append failed is unstaged, and a COMMIT never commits an unappended one', () => {
    const store = new OffsetStore()
    const failed = store.stage(7, 'g', 't', 0, entry(5))
    store.unstage(7, 'g', 't', 0, failed)
    expect(store.hasPending('g')).toBe(false)
    store.stage(7, 'g', 't', 1, entry(5))
    store.completeTxn(7, true)
    expect(store.get('g', 't', 1)).toBeNull()
  })

  it('replays the log in order: transactional batches pending, markers complete them; a bad batch changes nothing', () => {
    const store = new OffsetStore()
    const log = [
      at(encodeRecordBatch({ producerId: 7, producerEpoch: 0, baseSequence: -1, transactional: true, records: [record(0, 5)] }), 0),
      at(encodeRecordBatch({ records: [record(0, 6)] }), 1),
      at(encodeControlBatch({ producerId: 7, producerEpoch: 0, committed: true, coordinatorEpoch: 0, timestampMs: 0 }), 2),
      at(encodeRecordBatch({ producerId: 8, producerEpoch: 0, baseSequence: -1, transactional: true, records: [record(1, 9)] }), 3),
      at(encodeRecordBatch({ records: [record(2, 4), { key: 'not json', value: 'x' }] }), 4),
    ]
    for (const [i, b] of log.entries()) {
      if (i < 4) store.replayBatch(b, readBatchHeader(b), 0, new Map())
      else expect(() => store.replayBatch(b, readBatchHeader(b), 0, new Map())).toThrow()
    }
    expect([store.get('g', 't', 0)?.offset, store.get('g', 't', 1), store.get('g', 't', 2)]).toEqual([6, null, null])
    expect([store.hasPending('g', 't', 1), store.groupsWithPending()]).toEqual([true, ['g']])
  })
})
