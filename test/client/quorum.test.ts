/**
 * `cluster quorum`'s figures from a DescribeQuorum answer, derived as Kafka's
 * MetadataQuorumCommand derives them: lags against the leader's log end, the most lagging voter's
 * caught-up time against the leader's, rows leader first; and the answer's errors.
 */
import { describe, expect, it } from 'vitest'
import { describeAnswer, quorumPartition } from '../../src/client/quorum.js'
import { KafkaAnswerError } from '../../src/client/wire/client.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { METADATA_TOPIC, type DescribeQuorumResponse } from '../../src/protocol/messages/55-describe-quorum.js'
import { ZERO_UUID } from '../../src/protocol/primitives.js'

type Partition = DescribeQuorumResponse['topics'][number]['partitions'][number]

const replica = (replicaId: number, logEndOffset: number, lastFetchTimestamp = -1, lastCaughtUpTimestamp = -1) => ({
  replicaId,
  replicaDirectoryId: ZERO_UUID,
  logEndOffset,
  lastFetchTimestamp,
  lastCaughtUpTimestamp,
})

function partition(p: Partial<Partition>): Partition {
  return { partitionIndex: 0, errorCode: 0, errorMessage: '', leaderId: 2, leaderEpoch: 4, highWatermark: 40, currentVoters: [], observers: [], ...p }
}

const answer = (p: Partition, errorCode = 0): DescribeQuorumResponse => ({ errorCode, errorMessage: '', topics: [{ topicName: METADATA_TOPIC, partitions: [p] }], nodes: [] })

describe('client/quorum', () => {
  it('lags against the leader, the leader first, then the followers, then the observers', () => {
    const p = partition({
      currentVoters: [replica(1, 38, 1_000, 900), replica(2, 42, 1_100, 1_100), replica(3, 42, 1_090, 1_090)],
      observers: [replica(4, 30, 1_050, 700)],
    })
    const nodes = [{ nodeId: 2, listeners: [{ name: 'CONTROLLER', host: 'c2', port: 9093 }] }]
    const d = describeAnswer(p, nodes, 'cid')
    expect(d).toMatchObject({ clusterId: 'cid', leaderId: 2, leaderEpoch: 4, highWatermark: 40, maxFollowerLag: 4, maxFollowerLagTimeMs: 200 })
    expect(d.replicas.map((r) => [r.nodeId, r.lag, r.status])).toEqual([
      [2, 0, 'Leader'],
      [1, 4, 'Follower'],
      [3, 0, 'Follower'],
      [4, 12, 'Observer'],
    ])
    expect(d.currentVoters).toEqual([
      { id: 1, endpoints: [] },
      { id: 2, endpoints: ['CONTROLLER://c2:9093'] },
      { id: 3, endpoints: [] },
    ])
    expect(d.currentObservers).toEqual([{ id: 4, endpoints: [] }])
  })

  it('MaxFollowerLagTimeMs: 0 when no voter lags, -1 when a caught-up time is unknown (v0)', () => {
    expect(describeAnswer(partition({ currentVoters: [replica(2, 42), replica(1, 42)] }), [], 'c').maxFollowerLagTimeMs).toBe(0)
    expect(describeAnswer(partition({ currentVoters: [replica(2, 42, 5, 5), replica(1, 40)] }), [], 'c').maxFollowerLagTimeMs).toBe(-1)
    // A voter that has not fetched in this epoch has log end -1: it is the most lagging.
    expect(describeAnswer(partition({ currentVoters: [replica(2, 42), replica(1, -1)] }), [], 'c').maxFollowerLag).toBe(43)
  })

  it("no leader is a retriable NOT_LEADER_OR_FOLLOWER that says metadata changes wait; other errors name Kafka's error", () => {
    const noLeader = () => quorumPartition(answer(partition({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER })))
    expect(noLeader).toThrow(KafkaAnswerError)
    expect(noLeader).toThrow(/no leader.*metadata changes wait/)
    expect(() => quorumPartition(answer(partition({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION })))).toThrow(/UNKNOWN_TOPIC_OR_PARTITION/)
    expect(() => quorumPartition(answer(partition({}), ErrorCode.CLUSTER_AUTHORIZATION_FAILED))).toThrow(/CLUSTER_AUTHORIZATION_FAILED/)
    expect(() => quorumPartition({ errorCode: 0, errorMessage: '', topics: [], nodes: [] })).toThrow(/no __cluster_metadata-0/)
  })
})
