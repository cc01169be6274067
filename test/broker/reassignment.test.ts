/**
 * Partition reassignment on a real in-process cluster (the daemon's wiring, four brokers): the
 * added replicas catch up as followers and join the ISR, the move completes, the removed replicas
 * drop their logs; a move survives a restart of the cluster; a leader crash in the middle of a
 * move loses no acknowledged record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { decodeRecordBatches, encodeRecordBatch } from '../../src/protocol/record-batch.js'
import type { ClusterNode } from '../../src/daemon/cluster-node.js'
import { startTestCluster, type TestCluster } from '../interop/fixture.js'
import { RawClient } from '../support/raw-client.js'
import { fetchRequest } from '../support/fetch-request.js'
import { readTopic } from '../support/read-back.js'
import { FAST_FAILOVER_CONFIGS, applyBrokerConfigs } from '../helpers/broker-configs.js'
import { until } from '../helpers/wait.js'

const RESOURCE_BROKER = 4
/** Errors a producer retries on (a leader moving, the ISR below min.insync.replicas for a moment). */
const RETRIABLE = new Set([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.FENCED_LEADER_EPOCH,
])

let cluster: TestCluster

async function request(brokerId: number, apiKey: number, version: number, body: unknown): Promise<any> {
  const client = await RawClient.connect(cluster.port + brokerId - 1)
  try {
    return await client.request(apiKey, version, body)
  } finally {
    client.close()
  }
}

async function createTopic(name: string, replicas: number[]): Promise<void> {
  const res = await request(1, ApiKey.CreateTopics, 7, {
    topics: [{ name, numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: replicas }], configs: [] }],
    timeoutMs: 10_000,
    validateOnly: false,
  })
  expect(res.topics[0].errorCode).toBe(ErrorCode.NONE)
}

const partition0 = (topic: string) => cluster.runtime.image.partition(topic, 0)!

/** Produces one record acks=all to the partition's current leader; true once acknowledged. */
async function produceOnce(topic: string, value: string): Promise<boolean> {
  const leader = partition0(topic).leader
  if (leader < 0 || !cluster.runtime.status().brokers.some((b) => b.id === leader && b.state === 'up')) return false
  try {
    const res = await request(leader, ApiKey.Produce, 8, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 10_000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ value }], baseTimestamp: 1_700_000_000_000 }) }] }],
    })
    const errorCode = res.responses[0].partitionResponses[0].errorCode as number
    if (errorCode !== ErrorCode.NONE && !RETRIABLE.has(errorCode)) throw new Error(`produce to ${topic}: error ${errorCode}`)
    return errorCode === ErrorCode.NONE
  } catch (error) {
    if (String(error).includes('produce to')) throw error
    return false // the broker went away mid-request: retried, as a client would
  }
}

/** Produces each value until acknowledged (retrying as a client does); returns them. */
async function produce(topic: string, values: string[]): Promise<string[]> {
  for (const value of values) await until(`${value} acknowledged`, () => produceOnce(topic, value).then((ok) => (ok ? true : undefined)), undefined, 50)
  return values
}

const range = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

async function reassign(topic: string, replicas: number[] | null): Promise<void> {
  const [result] = await cluster.runtime.alterPartitionReassignments([{ topic, partition: 0, replicas }])
  expect(result).toMatchObject({ errorCode: ErrorCode.NONE })
}

async function moved(topic: string, replicas: number[]): Promise<void> {
  await until(`${topic} on ${replicas.join(',')}`, () => {
    const p = partition0(topic)
    return p.addingReplicas.length === 0 && p.removingReplicas.length === 0 && p.replicas.join() === replicas.join() && p.isr.length === replicas.length ? true : undefined
  })
}

/** The values a broker serves from `offset` (one fetch: the test's records fit). */
async function fetchValues(brokerId: number, topic: string, offset: number): Promise<string[]> {
  const part = (await request(brokerId, ApiKey.Fetch, 11, fetchRequest(topic, offset))).responses[0].partitions[0]
  expect(part.errorCode).toBe(ErrorCode.NONE)
  return decodeRecordBatches(part.records).flatMap((b) => b.records.map((r) => r.value!.toString()))
}

async function fetchError(brokerId: number, topic: string, offset: number): Promise<number> {
  return (await request(brokerId, ApiKey.Fetch, 11, fetchRequest(topic, offset))).responses[0].partitions[0].errorCode as number
}

async function values(topic: string): Promise<string[]> {
  return until(`${topic} read back`, () => readTopic(cluster.port, topic).then((rs) => rs.map((r) => r.value!), () => undefined))
}

/**
 * The partitions a broker's store holds (its LevelDB), read from the running broker: the test
 * reaches past the runtime's interface to the node, which has no reason to expose stores.
 */
async function stored(brokerId: number, topic: string): Promise<boolean> {
  const node = (cluster.runtime as unknown as { node: ClusterNode }).node
  const topicId = cluster.runtime.image.topicsByName.get(topic)!.topicId
  return (await node.broker(brokerId)!.store.listPartitions()).some((p) => p.topicId === topicId)
}

async function goneFrom(brokerId: number, topic: string): Promise<void> {
  await until(`${topic}'s log gone from broker ${brokerId}`, async () => ((await stored(brokerId, topic)) ? undefined : true))
}

describe('broker/reassignment', () => {
  beforeAll(async () => {
    cluster = await startTestCluster({ brokers: 4 })
    const set = (configs: Record<string, string>) =>
      request(1, ApiKey.IncrementalAlterConfigs, 0, {
        resources: [{ resourceType: RESOURCE_BROKER, resourceName: '', configs: Object.entries(configs).map(([name, value]) => ({ name, configOperation: 0, value })) }],
        validateOnly: false,
      })
    await applyBrokerConfigs(set, FAST_FAILOVER_CONFIGS, async () => {
      for (const [topic, replicas] of [['ra-move', [1, 2]], ['ra-disjoint', [1, 2]], ['ra-restart', [1, 2]], ['ra-stray', [3, 1]], ['ra-kill', [1, 2]], ['ra-rf1', [2]]] as const) {
        await createTopic(topic, [...replicas])
      }
    })
  }, 60_000)
  afterAll(async () => {
    await cluster?.stop()
  })

  it('moves a partition from [1,2] to [2,3]: every record readable from the new replicas, the old replica log gone', async () => {
    const sent = await produce('ra-move', range('m', 20))
    await reassign('ra-move', [2, 3])
    await moved('ra-move', [2, 3])
    expect(await values('ra-move')).toEqual(sent)
    await goneFrom(1, 'ra-move')
    const types = (await cluster.runtime.events()).filter((e) => e.topic === 'ra-move').map((e) => e.type)
    expect(types).toEqual(expect.arrayContaining(['reassign.started', 'isr.expanded', 'reassign.completed']))
    // The new replica holds every record: it leads with them all once the first replica is gone.
    await cluster.runtime.failover('ra-move', 0, 3)
    expect(await values('ra-move')).toEqual(sent)
  }, 60_000)

  it('moves a partition whose first records were deleted to a disjoint set of brokers: the new replicas start at the log start', async () => {
    const sent = await produce('ra-disjoint', range('d', 20))
    const deleted = await request(partition0('ra-disjoint').leader, ApiKey.DeleteRecords, 2, {
      topics: [{ name: 'ra-disjoint', partitions: [{ partitionIndex: 0, offset: 5 }] }],
      timeoutMs: 10_000,
    })
    expect(deleted.topics[0].partitions[0].errorCode).toBe(ErrorCode.NONE)
    await reassign('ra-disjoint', [3, 4])
    await moved('ra-disjoint', [3, 4])
    expect(partition0('ra-disjoint').leader).toBe(3)
    expect(await fetchValues(3, 'ra-disjoint', 5)).toEqual(sent.slice(5))
    expect(await fetchError(3, 'ra-disjoint', 0)).toBe(ErrorCode.OFFSET_OUT_OF_RANGE)
    await goneFrom(1, 'ra-disjoint')
    await goneFrom(2, 'ra-disjoint')
  }, 60_000)

  it('a move interrupted by a restart of the cluster completes after it; a replica moved away while its broker was down is deleted when it starts', async () => {
    const sent = await produce('ra-restart', range('r', 10))
    const strayed = await produce('ra-stray', range('s', 10))
    // The brokers taken down are broker 4 and one of the three controller voters (brokers 1-3):
    // two voters down would freeze metadata, as in KRaft, and no move could start.
    // Broker 4 is down: the move to it cannot complete before the restart.
    await cluster.runtime.killBroker(4, { clean: true })
    await reassign('ra-restart', [2, 4])
    expect(cluster.runtime.listPartitionReassignments()).toEqual([{ topic: 'ra-restart', partition: 0, replicas: [2, 4, 1], addingReplicas: [4], removingReplicas: [1] }])
    // A topic of one replica moving to broker 4 takes acks=all meanwhile: min.insync.replicas is
    // clamped to its replication factor (1), not to the two replicas it has during the move.
    await reassign('ra-rf1', [4])
    const rf1 = await produce('ra-rf1', range('o', 3))
    // Broker 3 is down while ra-stray moves off it: its log stays behind until it starts.
    await cluster.runtime.killBroker(3, { clean: true })
    await reassign('ra-stray', [1, 2])
    await moved('ra-stray', [1, 2])
    expect(await stored(3, 'ra-stray')).toBe(true)

    await cluster.restart()
    await moved('ra-restart', [2, 4])
    expect(await values('ra-restart')).toEqual(sent)
    await moved('ra-rf1', [4])
    expect(await values('ra-rf1')).toEqual(rf1)
    expect(await values('ra-stray')).toEqual(strayed)
    await goneFrom(1, 'ra-restart')
    await goneFrom(3, 'ra-stray')
  }, 60_000)

  it('a leader crash in the middle of a move loses no acknowledged record', async () => {
    const acked = await produce('ra-kill', range('k', 10))
    const leader = await until('ra-kill in sync', () => (partition0('ra-kill').isr.length === 2 ? partition0('ra-kill').leader : undefined))
    // The new replicas cannot reach the leader: the move waits until the other replica leads.
    const cuts = [cluster.runtime.addFault({ kind: 'cut', link: [leader, 3] }), cluster.runtime.addFault({ kind: 'cut', link: [leader, 4] })]
    await reassign('ra-kill', [3, 4])
    acked.push(...(await produce('ra-kill', range('k', 20).slice(10))))
    expect(partition0('ra-kill').addingReplicas).toEqual([3, 4])
    // A producer keeps writing while the leader crashes; each record is retried until acknowledged.
    let stop = false
    const producing = (async () => {
      for (let i = 20; !stop || partition0('ra-kill').addingReplicas.length > 0; i++) acked.push(...(await produce('ra-kill', [`k${i}`])))
    })()
    await cluster.runtime.killBroker(leader)
    await moved('ra-kill', [3, 4])
    stop = true
    await producing
    for (const f of cuts) cluster.runtime.clearFaults(f.id)
    const read = await values('ra-kill')
    expect(acked.filter((v) => !read.includes(v))).toEqual([])
    await cluster.runtime.startBroker(leader)
    await goneFrom(leader, 'ra-kill')
  }, 60_000)
})
