/**
 * Fetch (1) v13-17 and fetch sessions on a real in-process cluster (the daemon's wiring, two
 * brokers), request by request: topics by id (an unknown id, a topic deleted and re-created under
 * its name), the leader hint of v16 (KIP-951), v15/v17's follower fields accepted; sessions
 * (KIP-227) over several incremental fetches, a forgotten partition, the session errors, and a
 * broker restart that forgets them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { ZERO_UUID } from '../../src/protocol/primitives.js'
import { decodeRecordBatches, encodeRecordBatch } from '../../src/protocol/record-batch.js'
import { startTestCluster, type TestCluster } from '../interop/fixture.js'
import { brokerClients } from '../support/broker-clients.js'
import { fetchPartitionsRequest, type FetchOptions } from '../support/fetch-request.js'
import { until } from '../helpers/wait.js'

interface FetchOpts extends FetchOptions {
  version?: number
  extra?: Record<string, unknown>
}

describe('broker/fetch', () => {
  let cluster: TestCluster
  const clients = brokerClients((id) => cluster.port + id - 1)
  const broker = clients.broker

  async function createTopic(name: string, numPartitions = 1): Promise<string> {
    await clients.createTopic(name, { numPartitions, replicationFactor: 2 })
    await until(`${name} has leaders`, () => cluster.runtime.image.topicsByName.get(name)?.partitions.every((p) => p.leader >= 0 && p.isr.length === 2) || undefined)
    return cluster.runtime.image.topicsByName.get(name)!.topicId
  }

  function leaderOf(topic: string, partition = 0): number {
    return cluster.runtime.image.topicsByName.get(topic)!.partitions[partition]!.leader
  }

  async function produce(topic: string, values: string[], partition = 0): Promise<void> {
    const res = await (await broker(leaderOf(topic, partition))).request(ApiKey.Produce, 8, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 10_000,
      topicData: [{ name: topic, partitionData: [{ index: partition, records: encodeRecordBatch({ records: values.map((value) => ({ value })), baseTimestamp: 1_700_000_000_000 }) }] }],
    })
    expect(res.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE)
  }

  /** One fetch of `partitions` of one topic (by name before v13, by id from v13) from broker `to`. */
  async function fetch(to: number, topic: { name: string; topicId: string }, partitions: { partition: number; fetchOffset: number }[], opts: FetchOpts = {}) {
    return (await broker(to)).request(ApiKey.Fetch, opts.version ?? 17, {
      ...fetchPartitionsRequest(topic, partitions, { maxBytes: 1_000_000, partitionMaxBytes: 100_000, ...opts }),
      ...opts.extra,
    })
  }

  function values(records: Buffer | null): string[] {
    if (!records || records.length === 0) return []
    return decodeRecordBatches(records).flatMap((b) => b.records.map((r) => r.value?.toString() ?? ''))
  }

  beforeAll(async () => {
    cluster = await startTestCluster({ brokers: 2 })
  })
  afterAll(async () => {
    clients.close()
    await cluster?.stop()
  })

  it('v13+ names topics by id, v12 by name: the same records either way', async () => {
    const topicId = await createTopic('by-id')
    await produce('by-id', ['a', 'b'])
    const leader = leaderOf('by-id')
    const v17 = await fetch(leader, { name: '', topicId }, [{ partition: 0, fetchOffset: 0 }])
    expect(v17.errorCode).toBe(ErrorCode.NONE)
    expect(v17.responses).toHaveLength(1)
    expect(v17.responses[0].topicId).toBe(topicId)
    expect(v17.responses[0].partitions[0].errorCode).toBe(ErrorCode.NONE)
    expect(values(v17.responses[0].partitions[0].records)).toEqual(['a', 'b'])
    const v12 = await fetch(leader, { name: 'by-id', topicId: ZERO_UUID }, [{ partition: 0, fetchOffset: 0 }], { version: 12 })
    expect(v12.responses[0].topic).toBe('by-id')
    expect(values(v12.responses[0].partitions[0].records)).toEqual(['a', 'b'])
  })

  it('an unknown topic id answers UNKNOWN_TOPIC_ID on each of its partitions, the request itself succeeds', async () => {
    const unknown = 'f'.repeat(32)
    const res = await fetch(1, { name: '', topicId: unknown }, [{ partition: 0, fetchOffset: 0 }, { partition: 1, fetchOffset: 0 }], { version: 13 })
    expect(res.errorCode).toBe(ErrorCode.NONE)
    expect(res.responses[0].topicId).toBe(unknown)
    expect(res.responses[0].partitions.map((p: { errorCode: number }) => p.errorCode)).toEqual([ErrorCode.UNKNOWN_TOPIC_ID, ErrorCode.UNKNOWN_TOPIC_ID])
  })

  it('a topic deleted and re-created under the same name is never answered for the old id', async () => {
    const oldId = await createTopic('again')
    await produce('again', ['old-1', 'old-2', 'old-3'])
    const del = await (await broker(1)).request(ApiKey.DeleteTopics, 4, { topicNames: ['again'], timeoutMs: 5000 })
    expect(del.responses[0].errorCode).toBe(ErrorCode.NONE)
    await until('the topic is gone', () => !cluster.runtime.image.topicsById.has(oldId) || undefined)
    const newId = await createTopic('again')
    expect(newId).not.toBe(oldId)
    await produce('again', ['new-1'])
    const leader = leaderOf('again')
    const byOld = await fetch(leader, { name: '', topicId: oldId }, [{ partition: 0, fetchOffset: 0 }])
    expect(byOld.responses[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID)
    expect(values(byOld.responses[0].partitions[0].records)).toEqual([])
    const byNew = await fetch(leader, { name: '', topicId: newId }, [{ partition: 0, fetchOffset: 0 }])
    expect(values(byNew.responses[0].partitions[0].records)).toEqual(['new-1'])
  })

  it('v16 names the current leader and its endpoint on NOT_LEADER_OR_FOLLOWER and FENCED_LEADER_EPOCH; v15 does not', async () => {
    const topicId = await createTopic('hint')
    const p = { ...cluster.runtime.image.topicsByName.get('hint')!.partitions[0]! }
    const follower = p.replicas.find((id) => id !== p.leader)!
    const res = await fetch(follower, { name: '', topicId }, [{ partition: 0, fetchOffset: 0 }], { version: 16 })
    const part = res.responses[0].partitions[0]
    expect(part.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER)
    expect(part.currentLeader).toEqual({ leaderId: p.leader, leaderEpoch: p.leaderEpoch })
    expect(res.nodeEndpoints).toEqual([{ nodeId: p.leader, host: cluster.host, port: cluster.port + p.leader - 1, rack: null }])

    const old = await fetch(follower, { name: '', topicId }, [{ partition: 0, fetchOffset: 0 }], { version: 15 })
    expect(old.responses[0].partitions[0].currentLeader).toEqual({ leaderId: -1, leaderEpoch: -1 })
    expect(old.nodeEndpoints).toEqual([])

    // Leadership moves to the follower: a fetch there with the old epoch is fenced, and told the new one.
    const moved = await cluster.runtime.failover('hint', 0, follower)
    const fenced = await fetch(follower, { name: '', topicId }, [{ partition: 0, fetchOffset: 0 }], { version: 16, currentLeaderEpoch: p.leaderEpoch })
    expect(fenced.responses[0].partitions[0].errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH)
    expect(fenced.responses[0].partitions[0].currentLeader).toEqual({ leaderId: follower, leaderEpoch: moved.leaderEpoch })
    expect(fenced.nodeEndpoints.map((e: { nodeId: number }) => e.nodeId)).toEqual([follower])
  })

  it("v15's ReplicaState and v17's ReplicaDirectoryId are accepted from a consumer", async () => {
    const topicId = await createTopic('follower-fields')
    await produce('follower-fields', ['x'])
    // v15+ sends the replica id only inside ReplicaState (the top-level replicaId is not written).
    const res = await fetch(leaderOf('follower-fields'), { name: '', topicId }, [{ partition: 0, fetchOffset: 0 }], {
      replicaDirectoryId: 'a'.repeat(32),
      extra: { replicaState: { replicaId: -1, replicaEpoch: 7 } },
    })
    expect(res.responses[0].partitions[0].errorCode).toBe(ErrorCode.NONE)
    expect(values(res.responses[0].partitions[0].records)).toEqual(['x'])
  })

  describe('sessions', () => {
    it('a full fetch opens a session; incremental fetches read every record, answering only the partitions that changed', async () => {
      const topicId = await createTopic('sess', 2)
      // Both partitions on one leader: a session lives on one broker.
      const leader = leaderOf('sess', 0)
      await until('both partitions led by one broker', async () => {
        if (leaderOf('sess', 1) === leader) return true
        await cluster.runtime.failover('sess', 1, leader)
        return undefined
      })
      await produce('sess', ['p0-0'], 0)
      await produce('sess', ['p1-0'], 1)
      const topic = { name: '', topicId }
      const offsets = [0, 0]
      const seen: string[][] = [[], []]
      const take = (res: { responses: { partitions: { partitionIndex: number; records: Buffer | null }[] }[] }): number[] => {
        const answered: number[] = []
        for (const t of res.responses) {
          for (const part of t.partitions) {
            const got = values(part.records)
            seen[part.partitionIndex]!.push(...got)
            offsets[part.partitionIndex]! += got.length
            answered.push(part.partitionIndex)
          }
        }
        return answered
      }

      const full = await fetch(leader, topic, [0, 1].map((partition) => ({ partition, fetchOffset: 0 })), { sessionEpoch: 0 })
      expect(full.errorCode).toBe(ErrorCode.NONE)
      const sessionId = full.sessionId
      expect(sessionId).toBeGreaterThan(0)
      expect(take(full)).toEqual([0, 1])

      // Each round: records go to partition 0 only; the next incremental fetch names the
      // partitions whose offset moved, and is answered for partition 0 alone.
      let epoch = 1
      let moved = [0, 1]
      for (let round = 1; round <= 4; round++) {
        await produce('sess', [`p0-${round}`], 0)
        const inc = await fetch(leader, topic, moved.map((partition) => ({ partition, fetchOffset: offsets[partition]! })), { sessionId, sessionEpoch: epoch++, maxWaitMs: 5000 })
        expect(inc.errorCode).toBe(ErrorCode.NONE)
        expect(inc.sessionId).toBe(sessionId)
        moved = take(inc)
        expect(moved).toEqual([0])
      }
      expect(seen).toEqual([['p0-0', 'p0-1', 'p0-2', 'p0-3', 'p0-4'], ['p1-0']])

      // Nothing new: an empty answer, still in the session.
      const idle = await fetch(leader, topic, [{ partition: 0, fetchOffset: offsets[0]! }], { sessionId, sessionEpoch: epoch++ })
      expect(idle).toMatchObject({ errorCode: ErrorCode.NONE, sessionId, responses: [] })

      // Partition 1 forgotten: its new records are not answered any more, partition 0's are.
      await produce('sess', ['p1-1'], 1)
      await produce('sess', ['p0-5'], 0)
      const forgot = await fetch(leader, topic, [], { sessionId, sessionEpoch: epoch++, forgotten: [{ topic: '', topicId, partitions: [1] }] })
      expect(take(forgot)).toEqual([0])
      expect(seen[0]!.at(-1)).toBe('p0-5')

      // A replayed epoch, an unknown session, and a session by id asked for by name: the
      // request's own error, nothing fetched.
      const stale = await fetch(leader, topic, [], { sessionId, sessionEpoch: epoch - 1 })
      expect(stale).toMatchObject({ errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH, sessionId: 0, responses: [] })
      const unknown = await fetch(leader, topic, [], { sessionId: sessionId + 1, sessionEpoch: 1 })
      expect(unknown.errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND)
      const byName = await fetch(leader, { name: 'sess', topicId: ZERO_UUID }, [], { sessionId, sessionEpoch: epoch, version: 12 })
      expect(byName.errorCode).toBe(ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR)

      // Epoch -1 closes it: answered as a sessionless fetch, and the id is gone.
      const closed = await fetch(leader, topic, [{ partition: 0, fetchOffset: offsets[0]! }], { sessionId, sessionEpoch: -1 })
      expect(closed).toMatchObject({ errorCode: ErrorCode.NONE, sessionId: 0 })
      expect((await fetch(leader, topic, [], { sessionId, sessionEpoch: epoch })).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND)
    })

    it('a session on a topic deleted and re-created under its name answers UNKNOWN_TOPIC_ID, never the new topic', async () => {
      const oldId = await createTopic('sess-again')
      await produce('sess-again', ['old'])
      const leader = leaderOf('sess-again')
      const full = await fetch(leader, { name: '', topicId: oldId }, [{ partition: 0, fetchOffset: 1 }], { sessionEpoch: 0 })
      expect(full.sessionId).toBeGreaterThan(0)
      await (await broker(1)).request(ApiKey.DeleteTopics, 4, { topicNames: ['sess-again'], timeoutMs: 5000 })
      await until('the topic is gone', () => !cluster.runtime.image.topicsById.has(oldId) || undefined)
      await createTopic('sess-again')
      const inc = await fetch(leader, { name: '', topicId: oldId }, [], { sessionId: full.sessionId, sessionEpoch: 1 })
      expect(inc.responses[0].topicId).toBe(oldId)
      expect(inc.responses[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID)
    })

    it('with max.incremental.fetch.session.cache.slots at 0 a full fetch opens no session', async () => {
      const topicId = await createTopic('sess-slots')
      const setSlots = async (configOperation: number, value: string | null): Promise<void> => {
        const res = await (await broker(1)).request(ApiKey.IncrementalAlterConfigs, 0, {
          resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'max.incremental.fetch.session.cache.slots', configOperation, value }] }],
          validateOnly: false,
        })
        expect(res.responses[0].errorCode).toBe(ErrorCode.NONE)
      }
      await setSlots(0, '0')
      try {
        await until('the config reached the brokers', () => cluster.runtime.image.brokerConfigs.get('max.incremental.fetch.session.cache.slots') === '0' || undefined)
        const full = await fetch(leaderOf('sess-slots'), { name: '', topicId }, [{ partition: 0, fetchOffset: 0 }], { sessionEpoch: 0 })
        expect(full).toMatchObject({ errorCode: ErrorCode.NONE, sessionId: 0 })
        expect(full.responses[0].partitions[0].errorCode).toBe(ErrorCode.NONE)
      } finally {
        await setSlots(1, null)
      }
    })

    it('a restarted broker has forgotten its sessions: the client gets FETCH_SESSION_ID_NOT_FOUND and starts over', async () => {
      const topicId = await createTopic('sess-restart')
      const leader = leaderOf('sess-restart')
      const full = await fetch(leader, { name: '', topicId }, [{ partition: 0, fetchOffset: 0 }], { sessionEpoch: 0 })
      expect(full.sessionId).toBeGreaterThan(0)
      await cluster.runtime.killBroker(leader, { clean: true })
      clients.drop(leader)
      await cluster.runtime.startBroker(leader)
      const inc = await fetch(leader, { name: '', topicId }, [], { sessionId: full.sessionId, sessionEpoch: 1 })
      expect(inc.errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND)
    })
  })
})
