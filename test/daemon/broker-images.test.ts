/**
 * Brokers follow the metadata log with images of their own (cluster/metadata-follower.ts), as
 * KRaft brokers do: a broker cut off from the active controller (`fault add cut` between it and
 * the quorum leader's broker) keeps answering Metadata from the image it had, while the others
 * answer from theirs; healed, it catches up. A 4-broker daemon cluster, broker 4 an observer of
 * the quorum (DescribeQuorum lists it, its log end where its image stands). Real TCP, raw requests
 * to one broker each (a client library would ask any broker).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { startTestCluster, type TestCluster } from '../interop/fixture.js'
import { RawClient } from '../support/raw-client.js'
import { until } from '../helpers/index.js'

let cluster: TestCluster
const clients = new Map<number, RawClient>()

beforeAll(async () => {
  cluster = await startTestCluster({ brokers: 4 })
  for (let id = 1; id <= 4; id++) clients.set(id, await RawClient.connect(cluster.port + id - 1))
})
afterAll(async () => {
  for (const c of clients.values()) c.close()
  await cluster?.stop()
})

/** The topic's error code in a Metadata answer from broker `id` (from that broker's own image). */
async function topicError(id: number, topic: string): Promise<number> {
  const md = await clients.get(id)!.request(ApiKey.Metadata, 9, { topics: [{ name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
  return md.topics[0].errorCode
}

async function describeQuorum(id: number) {
  const answer = await clients.get(id)!.request(ApiKey.DescribeQuorum, 2, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] })
  return answer.topics[0].partitions[0]
}

describe('daemon/broker-images', () => {
  it('lists the brokers beyond the voters as observers, their log end where their image stands', async () => {
    const p = await describeQuorum(1)
    expect(p.currentVoters.map((v: { replicaId: number }) => v.replicaId)).toEqual([1, 2, 3])
    expect(p.observers).toHaveLength(1)
    expect(p.observers[0]).toMatchObject({ replicaId: 4 })
    expect(p.observers[0].logEndOffset).toBeGreaterThan(0)
    expect(p.observers[0].logEndOffset).toBeLessThanOrEqual(p.highWatermark)
  })

  it('a broker cut off from the active controller answers from its stale image, and catches up once healed', async () => {
    const leader = cluster.runtime.controllers.list().leaderId
    const cutOff = 4 // the observer: no voter of its own, so only its fetches from the leader are cut
    const fault = cluster.runtime.addFault({ kind: 'cut', link: [cutOff, leader] })
    const created = await clients.get(leader)!.request(ApiKey.CreateTopics, 7, { topics: [{ name: 'late', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false })
    expect(created.topics[0].errorCode).toBe(ErrorCode.NONE)
    // The others know it; the cut-off broker answers from what it had.
    expect(await topicError(leader, 'late')).toBe(ErrorCode.NONE)
    expect(await topicError(cutOff, 'late')).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    const lag = cluster.runtime.status().brokers.find((b) => b.id === cutOff)!.metadataLag
    expect(lag === null || lag > 0).toBe(true)
    const lagging = (await describeQuorum(leader)).observers.find((o: { replicaId: number }) => o.replicaId === cutOff)
    expect(lagging.logEndOffset).toBeLessThan((await describeQuorum(leader)).highWatermark)

    cluster.runtime.clearFaults(fault.id)
    await until('the healed broker to know the topic', async () => ((await topicError(cutOff, 'late')) === ErrorCode.NONE ? true : undefined))
    const healed = await describeQuorum(leader)
    await until('its log end to reach the high watermark', async () => {
      const q = await describeQuorum(leader)
      return q.observers.find((o: { replicaId: number }) => o.replicaId === cutOff).logEndOffset === q.highWatermark ? true : undefined
    })
    expect(healed.leaderId).toBe(leader)
    // Its heartbeats report the offset its image applied (`broker list`'s METADATA LAG).
    const reported = () => cluster.runtime.status().brokers.find((b) => b.id === cutOff)!
    await until('its heartbeat to report its image caught up', () => (reported().metadataLag === 0 ? true : undefined))
  })
})
