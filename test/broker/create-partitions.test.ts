/**
 * CreatePartitions (37) through the wire, at a broker that is not the controller: the topic
 * grows, every broker's Metadata shows the new partitions with leaders, and they take records;
 * validate_only, duplicates and Kafka's error codes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { encodeRecordBatch } from '../../src/protocol/record-batch.js'
import { startTestCluster, type TestCluster } from '../interop/fixture.js'
import { RawClient } from '../support/raw-client.js'

describe('broker/handlers/37-create-partitions', () => {
  let cluster: TestCluster
  const clients: RawClient[] = []
  async function broker(id: number): Promise<RawClient> {
    const c = await RawClient.connect(cluster.port + id - 1)
    clients.push(c)
    return c
  }
  async function partitionsOf(c: RawClient, topic: string) {
    const md = await c.request(ApiKey.Metadata, 9, { topics: [{ name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
    return md.topics[0].partitions as { partitionIndex: number; leaderId: number; replicaNodes: number[] }[]
  }
  async function create(c: RawClient, name: string, numPartitions: number): Promise<void> {
    const res = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name, numPartitions, replicationFactor: 2, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false })
    expect(res.topics[0].errorCode).toBe(ErrorCode.NONE)
  }
  const grow = (c: RawClient, version: number, topics: { name: string; count: number; assignments: { brokerIds: number[] }[] | null }[], validateOnly = false) =>
    c.request(ApiKey.CreatePartitions, version, { topics, timeoutMs: 5000, validateOnly })

  beforeAll(async () => {
    cluster = await startTestCluster({ brokers: 3 })
  })
  afterAll(async () => {
    for (const c of clients) c.close()
    await cluster?.stop()
  })

  it('grows a topic at any broker (v0 and flexible v3); the new partitions lead and take records', async () => {
    const b2 = await broker(2)
    await create(b2, 'grow', 1)
    let res = await grow(b2, 0, [{ name: 'grow', count: 2, assignments: null }])
    expect(res.results).toEqual([{ name: 'grow', errorCode: ErrorCode.NONE, errorMessage: null }])
    res = await grow(b2, 3, [{ name: 'grow', count: 4, assignments: [{ brokerIds: [3, 1] }, { brokerIds: [1, 2] }] }])
    expect(res.results[0].errorCode).toBe(ErrorCode.NONE)
    for (const id of [1, 2, 3]) {
      const parts = await partitionsOf(await broker(id), 'grow')
      expect(parts.map((p) => p.partitionIndex).sort()).toEqual([0, 1, 2, 3])
      expect(parts.find((p) => p.partitionIndex === 2)).toMatchObject({ leaderId: 3, replicaNodes: [3, 1] })
      expect(parts.find((p) => p.partitionIndex === 3)).toMatchObject({ leaderId: 1, replicaNodes: [1, 2] })
    }
    const leader = await broker(3)
    const produced = await leader.request(ApiKey.Produce, 8, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: 'grow', partitionData: [{ index: 2, records: encodeRecordBatch({ baseTimestamp: Date.now(), records: [{ value: 'v', key: 'k', timestampDelta: 0 }] }) }] }],
    })
    expect(produced.responses[0].partitionResponses[0]).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0 })
  })

  it('the new partitions are in the metadata log: a restarted cluster still has them, where they were', async () => {
    const b1 = await broker(1)
    await create(b1, 'durable', 1)
    expect((await grow(b1, 3, [{ name: 'durable', count: 3, assignments: null }])).results[0].errorCode).toBe(ErrorCode.NONE)
    const before = (await partitionsOf(b1, 'durable')).map((p) => [p.partitionIndex, p.replicaNodes])
    for (const c of clients.splice(0)) c.close()
    await cluster.restart()
    const after = (await partitionsOf(await broker(2), 'durable')).map((p) => [p.partitionIndex, p.replicaNodes])
    expect(after).toEqual(before)
    expect(after).toHaveLength(3)
  })

  it('validate_only checks and changes nothing', async () => {
    const b1 = await broker(1)
    await create(b1, 'checked', 2)
    const ok = await grow(b1, 1, [{ name: 'checked', count: 5, assignments: null }], true)
    expect(ok.results[0].errorCode).toBe(ErrorCode.NONE)
    const bad = await grow(b1, 1, [{ name: 'checked', count: 1, assignments: null }], true)
    expect(bad.results[0]).toMatchObject({ errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: expect.stringMatching(/currently has 2 partition/) })
    expect(await partitionsOf(b1, 'checked')).toHaveLength(2)
  })

  it("answers Kafka's errors per topic, a duplicate name once", async () => {
    const b1 = await broker(1)
    await create(b1, 'errs', 1)
    const res = await grow(b1, 2, [
      { name: 'missing', count: 2, assignments: null },
      { name: 'errs', count: 2, assignments: [{ brokerIds: [1, 9] }] },
      { name: 'dup', count: 2, assignments: null },
      { name: 'dup', count: 3, assignments: null },
    ])
    expect(res.results.map((r: { name: string; errorCode: number }) => [r.name, r.errorCode])).toEqual([
      ['missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ['errs', ErrorCode.INVALID_REPLICA_ASSIGNMENT],
      ['dup', ErrorCode.INVALID_REQUEST],
    ])
    expect(await partitionsOf(b1, 'errs')).toHaveLength(1)
  })
})
