/**
 * Fetch v13-17's own fields, field by field (roundtrip.test.ts covers every version generically):
 * topic ids instead of names from v13, the replica id moving into the tagged ReplicaState at v15,
 * the tagged NodeEndpoints of v16 and ReplicaDirectoryId of v17, each present only where Kafka's
 * schema has it.
 */
import { describe, expect, it } from 'vitest'
import { decode, encode } from '../../src/protocol/codec.js'
import { FetchRequest, FetchResponse } from '../../src/protocol/messages/01-fetch.js'
import { ZERO_UUID } from '../../src/protocol/primitives.js'

const TOPIC_ID = '0123456789abcdef0123456789abcdef'

function request(extra: Record<string, unknown> = {}) {
  return {
    replicaId: 3,
    replicaState: { replicaId: 3, replicaEpoch: 42 },
    maxWaitMs: 500,
    minBytes: 1,
    maxBytes: 1000,
    isolationLevel: 1,
    sessionId: 7,
    sessionEpoch: 2,
    topics: [
      {
        topic: 'orders',
        topicId: TOPIC_ID,
        partitions: [
          { partition: 4, currentLeaderEpoch: 1, fetchOffset: 10, lastFetchedEpoch: 1, logStartOffset: 0, partitionMaxBytes: 100, replicaDirectoryId: 'ab'.repeat(16) },
        ],
      },
    ],
    forgottenTopicsData: [{ topic: 'gone', topicId: TOPIC_ID, partitions: [1, 2] }],
    rackId: 'r1',
    ...extra,
  }
}

function response() {
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 7,
    responses: [
      {
        topic: 'orders',
        topicId: TOPIC_ID,
        partitions: [
          {
            partitionIndex: 4,
            errorCode: 6,
            highWatermark: -1,
            lastStableOffset: -1,
            logStartOffset: -1,
            currentLeader: { leaderId: 2, leaderEpoch: 5 },
            abortedTransactions: null,
            preferredReadReplica: -1,
            records: Buffer.alloc(0),
          },
        ],
      },
    ],
    nodeEndpoints: [{ nodeId: 2, host: 'localhost', port: 9093, rack: null }],
  }
}

describe('protocol/Fetch v13-17', () => {
  it('v12 names topics, v13 identifies them by id (16 bytes in place of the name)', () => {
    const v12 = decode(FetchRequest, 12, encode(FetchRequest, 12, request()))
    expect(v12.topics[0]!.topic).toBe('orders')
    expect(v12.topics[0]!.topicId).toBe(ZERO_UUID)
    expect(v12.forgottenTopicsData[0]!.topic).toBe('gone')
    const v13 = decode(FetchRequest, 13, encode(FetchRequest, 13, request()))
    expect(v13.topics[0]!.topic).toBe('')
    expect(v13.topics[0]!.topicId).toBe(TOPIC_ID)
    expect(v13.forgottenTopicsData[0]!.topicId).toBe(TOPIC_ID)
    expect(v13.forgottenTopicsData[0]!.partitions).toEqual([1, 2])

    const r12 = decode(FetchResponse, 12, encode(FetchResponse, 12, response()))
    expect([r12.responses[0]!.topic, r12.responses[0]!.topicId]).toEqual(['orders', ZERO_UUID])
    const r13 = decode(FetchResponse, 13, encode(FetchResponse, 13, response()))
    expect([r13.responses[0]!.topic, r13.responses[0]!.topicId]).toEqual(['', TOPIC_ID])
  })

  it('v15 moves the replica id into the tagged ReplicaState', () => {
    const v14 = decode(FetchRequest, 14, encode(FetchRequest, 14, request()))
    expect(v14.replicaId).toBe(3)
    expect(v14.replicaState).toEqual({ replicaId: -1, replicaEpoch: -1 })
    const v15 = decode(FetchRequest, 15, encode(FetchRequest, 15, request()))
    expect(v15.replicaId).toBe(-1)
    expect(v15.replicaState).toEqual({ replicaId: 3, replicaEpoch: 42 })
    // A consumer's (the defaults) is not written: the request is 4 bytes shorter than v14's.
    const consumer = request({ replicaId: -1, replicaState: { replicaId: -1, replicaEpoch: -1 } })
    expect(encode(FetchRequest, 14, consumer).length - encode(FetchRequest, 15, consumer).length).toBe(4)
  })

  it('v16 adds the tagged NodeEndpoints of the response; v15 drops them', () => {
    const v16 = decode(FetchResponse, 16, encode(FetchResponse, 16, response()))
    expect(v16.nodeEndpoints).toEqual([{ nodeId: 2, host: 'localhost', port: 9093, rack: null }])
    expect(v16.responses[0]!.partitions[0]!.currentLeader).toEqual({ leaderId: 2, leaderEpoch: 5 })
    const v15 = decode(FetchResponse, 15, encode(FetchResponse, 15, response()))
    expect(v15.nodeEndpoints).toEqual([])
  })

  it("v17 adds the partition's tagged ReplicaDirectoryId; v16 drops it", () => {
    const v17 = decode(FetchRequest, 17, encode(FetchRequest, 17, request()))
    expect(v17.topics[0]!.partitions[0]!.replicaDirectoryId).toBe('ab'.repeat(16))
    const v16 = decode(FetchRequest, 16, encode(FetchRequest, 16, request()))
    expect(v16.topics[0]!.partitions[0]!.replicaDirectoryId).toBe(ZERO_UUID)
  })
})
