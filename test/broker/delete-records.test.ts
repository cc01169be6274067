/**
 * DeleteRecords (21) on a real in-process cluster (the daemon's wiring, three brokers), request by
 * request: the leader moves the log start durably, answers once every ISR follower moved its own
 * (so a failover to any of them keeps the records gone), -1 means the high watermark, and the
 * errors of each other case.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { encodeRecordBatch } from '../../src/protocol/record-batch.js'
import { startTestCluster, type TestCluster } from '../interop/fixture.js'
import { brokerClients } from '../support/broker-clients.js'
import { fetchRequest } from '../support/fetch-request.js'
import { until } from '../helpers/wait.js'
import { applyBrokerConfigs, FAST_FAILOVER_CONFIGS, incrementalBrokerConfigs } from '../helpers/broker-configs.js'

describe('broker/delete-records', () => {
  let cluster: TestCluster
  const clients = brokerClients((id) => cluster.port + id - 1)
  const broker = clients.broker
  const createTopic = (name: string, configs: { name: string; value: string }[] = []) => clients.createTopic(name, { replicationFactor: 3, configs })

  /** The partition's leader, once its ISR has `isr` members. */
  async function leaderOf(topic: string, isr = 3): Promise<number> {
    return until(`a leader of ${topic}`, () => {
      const p = cluster.runtime.image.topicsByName.get(topic)?.partitions[0]
      return p && p.leader >= 0 && p.isr.length === isr ? p.leader : undefined
    })
  }

  async function produce(topic: string, values: string[], isr = 3): Promise<void> {
    for (const value of values) {
      const res = await (await broker(await leaderOf(topic, isr))).request(ApiKey.Produce, 8, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 10_000,
        topicData: [{ name: topic, partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ value }], baseTimestamp: 1_700_000_000_000 }) }] }],
      })
      expect(res.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE)
    }
  }

  async function deleteRecords(topic: string, offset: number, to?: number, version = 2, isr = 3): Promise<{ errorCode: number; lowWatermark: number }> {
    const res = await (await broker(to ?? (await leaderOf(topic, isr)))).request(ApiKey.DeleteRecords, version, {
      topics: [{ name: topic, partitions: [{ partitionIndex: 0, offset }] }],
      timeoutMs: 10_000,
    })
    const p = res.topics[0].partitions[0]
    return { errorCode: p.errorCode as number, lowWatermark: Number(p.lowWatermark) }
  }

  /** The log start its leader answers (asked again while a leader just elected is not ready). */
  async function earliest(topic: string): Promise<number> {
    return until(`the log start of ${topic}`, async () => {
      const res = await (await broker(await leaderOf(topic))).request(ApiKey.ListOffsets, 5, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2 }] }],
      })
      const p = res.topics[0].partitions[0]
      return p.errorCode === ErrorCode.NONE ? Number(p.offset) : undefined
    })
  }

  async function fetchError(topic: string, fetchOffset: number): Promise<number> {
    const res = await (await broker(await leaderOf(topic))).request(ApiKey.Fetch, 11, fetchRequest(topic, fetchOffset))
    return res.responses[0].partitions[0].errorCode as number
  }

  beforeAll(async () => {
    cluster = await startTestCluster({ brokers: 3 })
    // A killed follower leaves the ISR within a second, not at the default session's 9 s.
    await applyBrokerConfigs(incrementalBrokerConfigs(cluster), FAST_FAILOVER_CONFIGS)
  }, 60_000)
  afterAll(async () => {
    clients.close()
    await cluster?.stop()
  })

  it('moves the log start on every ISR replica: gone for readers, after a failover to each follower, and after a restart', async () => {
    const topic = 'dr-basic'
    await createTopic(topic)
    await produce(topic, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
    expect(await deleteRecords(topic, 4)).toEqual({ errorCode: ErrorCode.NONE, lowWatermark: 4 })
    expect(await earliest(topic)).toBe(4)
    expect(await fetchError(topic, 2)).toBe(ErrorCode.OFFSET_OUT_OF_RANGE)
    expect(await fetchError(topic, 4)).toBe(ErrorCode.NONE)
    // Answered only once the ISR had it: any follower elected now starts at 4 too.
    for (let i = 0; i < 2; i++) {
      await cluster.runtime.failover(topic, 0)
      expect(await earliest(topic)).toBe(4)
    }
    clients.close()
    await cluster.restart()
    expect(await earliest(topic)).toBe(4)
  }, 60_000)

  it('a replica that was down while its records were deleted starts again at the new log start and rejoins the ISR', async () => {
    const topic = 'dr-down'
    await createTopic(topic)
    await produce(topic, ['0', '1'])
    const leader = await leaderOf(topic)
    const down = [1, 2, 3].find((id) => id !== leader)!
    clients.drop(down)
    await cluster.runtime.killBroker(down)
    await leaderOf(topic, 2)
    await produce(topic, ['2', '3', '4', '5'], 2)
    // The ISR is the two brokers up: the answer does not wait for the one down.
    expect(await deleteRecords(topic, -1, undefined, 2, 2)).toEqual({ errorCode: ErrorCode.NONE, lowWatermark: 6 })
    await cluster.runtime.startBroker(down)
    // Its log ends at 2, below the leader's start (6): it restarts empty at 6 (Kafka's
    // truncateFullyAndStartAt) instead of fetching OFFSET_OUT_OF_RANGE forever.
    await leaderOf(topic, 3)
    await cluster.runtime.failover(topic, 0, down)
    expect(await earliest(topic)).toBe(6)
    await produce(topic, ['6'])
    expect(await fetchError(topic, 6)).toBe(ErrorCode.NONE)
  }, 60_000)

  it('-1 means the high watermark; a lower offset than the log start changes nothing', async () => {
    const topic = 'dr-hwm'
    await createTopic(topic)
    await produce(topic, ['a', 'b', 'c'])
    expect(await deleteRecords(topic, -1, undefined, 0)).toEqual({ errorCode: ErrorCode.NONE, lowWatermark: 3 })
    expect(await deleteRecords(topic, 1, undefined, 1)).toEqual({ errorCode: ErrorCode.NONE, lowWatermark: 3 })
    expect(await earliest(topic)).toBe(3)
  }, 30_000)

  it('refuses beyond the high watermark, off the leader, unknown partitions and compacted topics', async () => {
    const topic = 'dr-errors'
    await createTopic(topic)
    await produce(topic, ['a', 'b'])
    expect((await deleteRecords(topic, 3)).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE)
    expect((await deleteRecords(topic, -2)).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE)
    const follower = [1, 2, 3].find((id) => id !== cluster.runtime.image.topicsByName.get(topic)!.partitions[0]!.leader)!
    expect((await deleteRecords(topic, 1, follower)).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER)
    expect((await deleteRecords('dr-no-such-topic', 0, 1)).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    await createTopic('dr-compacted', [{ name: 'cleanup.policy', value: 'compact' }])
    expect((await deleteRecords('dr-compacted', 0)).errorCode).toBe(ErrorCode.POLICY_VIOLATION)
    expect(await earliest(topic)).toBe(0)
  }, 30_000)
})
