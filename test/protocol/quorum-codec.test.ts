/**
 * The KRaft quorum's APIs field by field (roundtrip.test.ts covers every version generically):
 * Vote v0's exact bytes, BeginQuorumEpoch's move to flexible encoding at v1, EndQuorumEpoch's
 * successors becoming candidates at v1, DescribeQuorum's per-version replica fields and
 * FetchSnapshot's tagged fields, each present only where Kafka's schema has it; and DescribeQuorum
 * v2 both ways with @platformatic/kafka, a client that asks for it.
 */
import { Reader, describeQuorumV2 } from '@platformatic/kafka'
import { describe, expect, it } from 'vitest'
import { decode, encode } from '../../src/protocol/codec.js'
import { VoteRequest, VoteResponse } from '../../src/protocol/messages/52-vote.js'
import { BeginQuorumEpochRequest } from '../../src/protocol/messages/53-begin-quorum-epoch.js'
import { EndQuorumEpochRequest } from '../../src/protocol/messages/54-end-quorum-epoch.js'
import { DescribeQuorumRequest, DescribeQuorumResponse } from '../../src/protocol/messages/55-describe-quorum.js'
import { FetchSnapshotRequest, FetchSnapshotResponse } from '../../src/protocol/messages/59-fetch-snapshot.js'
import { ZERO_UUID } from '../../src/protocol/primitives.js'

const METADATA_TOPIC = '__cluster_metadata'
const DIR_A = 'a1'.repeat(16)
const DIR_B = 'b2'.repeat(16)

describe('protocol/Vote', () => {
  it('v0 request: compact strings and arrays, an empty tag buffer after every struct', () => {
    const body = {
      clusterId: 'c1',
      topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: 0, candidateEpoch: 5, candidateId: 2, lastOffsetEpoch: 4, lastOffset: 17 }] }],
    }
    const expected = Buffer.concat([
      Buffer.from([0x03, 0x63, 0x31]), // clusterId: length + 1, "c1"
      Buffer.from([0x02, 0x13]), // one topic; its name's length + 1
      Buffer.from(METADATA_TOPIC),
      Buffer.from([0x02]), // one partition
      Buffer.from('00000000' + '00000005' + '00000002' + '00000004' + '0000000000000011', 'hex'),
      Buffer.from([0x00, 0x00, 0x00]), // the partition's, the topic's and the body's tag buffers
    ])
    expect(encode(VoteRequest, 0, body).toString('hex')).toBe(expected.toString('hex'))
  })

  it("v1 adds the voter's id and both directory ids; v0 decodes them as their defaults", () => {
    const body = {
      clusterId: null,
      voterId: 3,
      topics: [
        {
          topicName: METADATA_TOPIC,
          partitions: [
            { partitionIndex: 0, candidateEpoch: 5, candidateId: 2, candidateDirectoryId: DIR_A, voterDirectoryId: DIR_B, lastOffsetEpoch: 4, lastOffset: 17 },
          ],
        },
      ],
    }
    const v1 = decode(VoteRequest, 1, encode(VoteRequest, 1, body))
    expect([v1.voterId, v1.topics[0]!.partitions[0]!.candidateDirectoryId, v1.topics[0]!.partitions[0]!.voterDirectoryId]).toEqual([3, DIR_A, DIR_B])
    const v0 = decode(VoteRequest, 0, encode(VoteRequest, 0, body))
    expect([v0.clusterId, v0.voterId, v0.topics[0]!.partitions[0]!.candidateDirectoryId]).toEqual([null, -1, ZERO_UUID])
    // Two 16-byte directory ids and a 4-byte voter id.
    expect(encode(VoteRequest, 1, body).length - encode(VoteRequest, 0, body).length).toBe(36)
  })

  it("v1's response carries the leader's endpoints as a tagged field, left out when empty", () => {
    const res = {
      errorCode: 0,
      topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: 0, errorCode: 0, leaderId: 1, leaderEpoch: 5, voteGranted: true }] }],
      nodeEndpoints: [{ nodeId: 1, host: 'localhost', port: 65001 }],
    }
    expect(decode(VoteResponse, 1, encode(VoteResponse, 1, res)).nodeEndpoints).toEqual([{ nodeId: 1, host: 'localhost', port: 65001 }])
    expect(decode(VoteResponse, 0, encode(VoteResponse, 0, res)).nodeEndpoints).toEqual([])
    expect(encode(VoteResponse, 1, { ...res, nodeEndpoints: [] }).equals(encode(VoteResponse, 0, res))).toBe(true)
  })
})

describe('protocol/BeginQuorumEpoch', () => {
  const body = {
    clusterId: null,
    voterId: 2,
    topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: 0, voterDirectoryId: DIR_A, leaderId: 1, leaderEpoch: 7 }] }],
    leaderEndpoints: [{ name: 'CONTROLLER', host: 'localhost', port: 9093 }],
  }

  it('v0 is not flexible (int16 lengths, a null string as -1); v1 is', () => {
    const v0 = encode(BeginQuorumEpochRequest, 0, body)
    expect(v0.subarray(0, 2).toString('hex')).toBe('ffff') // null clusterId
    expect(v0.subarray(2, 6).toString('hex')).toBe('00000001') // one topic, int32 count
    const v1 = encode(BeginQuorumEpochRequest, 1, body)
    expect(v1[0]).toBe(0x00) // null clusterId, compact
  })

  it("v1 adds the voter's ids and the leader's endpoints as regular fields", () => {
    const v1 = decode(BeginQuorumEpochRequest, 1, encode(BeginQuorumEpochRequest, 1, body))
    expect(v1.leaderEndpoints).toEqual(body.leaderEndpoints)
    expect(v1.topics[0]!.partitions[0]).toEqual(body.topics[0]!.partitions[0])
    const v0 = decode(BeginQuorumEpochRequest, 0, encode(BeginQuorumEpochRequest, 0, body))
    expect([v0.voterId, v0.leaderEndpoints, v0.topics[0]!.partitions[0]!.voterDirectoryId]).toEqual([-1, [], ZERO_UUID])
  })
})

describe('protocol/EndQuorumEpoch', () => {
  it('v0 names preferred successors by id, v1 names preferred candidates by id and directory', () => {
    const body = {
      clusterId: 'c1',
      topics: [
        {
          topicName: METADATA_TOPIC,
          partitions: [
            {
              partitionIndex: 0,
              leaderId: 1,
              leaderEpoch: 7,
              preferredSuccessors: [3, 2],
              preferredCandidates: [
                { candidateId: 3, candidateDirectoryId: DIR_A },
                { candidateId: 2, candidateDirectoryId: DIR_B },
              ],
            },
          ],
        },
      ],
    }
    const v0 = decode(EndQuorumEpochRequest, 0, encode(EndQuorumEpochRequest, 0, body)).topics[0]!.partitions[0]!
    expect([v0.preferredSuccessors, v0.preferredCandidates]).toEqual([[3, 2], []])
    const v1 = decode(EndQuorumEpochRequest, 1, encode(EndQuorumEpochRequest, 1, body)).topics[0]!.partitions[0]!
    expect([v1.preferredSuccessors, v1.preferredCandidates]).toEqual([[], body.topics[0]!.partitions[0]!.preferredCandidates])
  })
})

describe('protocol/DescribeQuorum', () => {
  const voter = { replicaId: 1, replicaDirectoryId: DIR_A, logEndOffset: 42, lastFetchTimestamp: 1000, lastCaughtUpTimestamp: 999 }
  const res = {
    errorCode: 0,
    errorMessage: null,
    topics: [
      {
        topicName: METADATA_TOPIC,
        partitions: [
          { partitionIndex: 0, errorCode: 0, errorMessage: null, leaderId: 1, leaderEpoch: 3, highWatermark: 40, currentVoters: [voter], observers: [{ ...voter, replicaId: 4 }] },
        ],
      },
    ],
    nodes: [{ nodeId: 1, listeners: [{ name: 'CONTROLLER', host: 'localhost', port: 9093 }] }],
  }

  it('v0 has the log end offsets only: the timestamps decode as -1 (unknown)', () => {
    const p = decode(DescribeQuorumResponse, 0, encode(DescribeQuorumResponse, 0, res)).topics[0]!.partitions[0]!
    expect(p.currentVoters[0]).toEqual({ replicaId: 1, replicaDirectoryId: ZERO_UUID, logEndOffset: 42, lastFetchTimestamp: -1, lastCaughtUpTimestamp: -1 })
    expect(p.highWatermark).toBe(40)
  })

  it('v1 adds the timestamps; v2 the directory ids, error messages and the voters’ listeners', () => {
    const v1 = decode(DescribeQuorumResponse, 1, encode(DescribeQuorumResponse, 1, res))
    expect(v1.topics[0]!.partitions[0]!.observers[0]).toEqual({ ...voter, replicaId: 4, replicaDirectoryId: ZERO_UUID })
    expect([v1.errorMessage, v1.nodes]).toEqual(['', []])
    const v2 = decode(DescribeQuorumResponse, 2, encode(DescribeQuorumResponse, 2, res))
    expect(v2).toEqual(res)
  })
})

describe('protocol/FetchSnapshot', () => {
  const request = {
    clusterId: null,
    replicaId: 2,
    maxBytes: 1 << 20,
    topics: [
      {
        name: METADATA_TOPIC,
        partitions: [{ partition: 0, currentLeaderEpoch: 3, snapshotId: { endOffset: 100, epoch: 2 }, position: 4096, replicaDirectoryId: DIR_A }],
      },
    ],
  }

  it('the cluster id is tagged: written only when set', () => {
    const withId = encode(FetchSnapshotRequest, 0, { ...request, clusterId: 'c1' })
    const without = encode(FetchSnapshotRequest, 0, request)
    // tag 0, its size, then the compact string "c1" (3 bytes): 5 bytes and the tag count.
    expect(withId.length - without.length).toBe(5)
    expect(decode(FetchSnapshotRequest, 0, withId).clusterId).toBe('c1')
    expect(decode(FetchSnapshotRequest, 0, without).clusterId).toBeNull()
  })

  it("v1 adds the follower's tagged directory id; v0 drops it", () => {
    expect(decode(FetchSnapshotRequest, 1, encode(FetchSnapshotRequest, 1, request)).topics[0]!.partitions[0]!.replicaDirectoryId).toBe(DIR_A)
    expect(decode(FetchSnapshotRequest, 0, encode(FetchSnapshotRequest, 0, request)).topics[0]!.partitions[0]!.replicaDirectoryId).toBe(ZERO_UUID)
  })

  it('the response carries a chunk of the snapshot as unaligned records and the tagged current leader', () => {
    const chunk = Buffer.from('an arbitrary cut of a snapshot')
    const res = {
      throttleTimeMs: 0,
      errorCode: 0,
      topics: [
        {
          name: METADATA_TOPIC,
          partitions: [
            { index: 0, errorCode: 0, snapshotId: { endOffset: 100, epoch: 2 }, currentLeader: { leaderId: 1, leaderEpoch: 3 }, size: 9000, position: 4096, unalignedRecords: chunk },
          ],
        },
      ],
      nodeEndpoints: [{ nodeId: 1, host: 'localhost', port: 9093 }],
    }
    const v1 = decode(FetchSnapshotResponse, 1, encode(FetchSnapshotResponse, 1, res))
    const p = v1.topics[0]!.partitions[0]!
    expect(Buffer.from(p.unalignedRecords!).equals(chunk)).toBe(true)
    expect([p.currentLeader, p.size, p.position, v1.nodeEndpoints]).toEqual([{ leaderId: 1, leaderEpoch: 3 }, 9000, 4096, res.nodeEndpoints])
    const v0 = decode(FetchSnapshotResponse, 0, encode(FetchSnapshotResponse, 0, res))
    expect([v0.topics[0]!.partitions[0]!.currentLeader, v0.nodeEndpoints]).toEqual([{ leaderId: 1, leaderEpoch: 3 }, []])
  })
})

describe('protocol/DescribeQuorum against @platformatic/kafka (a client that reads it)', () => {
  it("its v2 request decodes with ours, and our v2 response parses with its reader", () => {
    const request = describeQuorumV2.createRequest([{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: 0 }] }]).buffer
    expect(decode(DescribeQuorumRequest, 2, request)).toEqual({ topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: 0 }] }] })

    const voter = { replicaId: 1, replicaDirectoryId: DIR_A, logEndOffset: 42, lastFetchTimestamp: 1000, lastCaughtUpTimestamp: 999 }
    const res = {
      errorCode: 0,
      errorMessage: null,
      topics: [
        {
          topicName: METADATA_TOPIC,
          partitions: [
            { partitionIndex: 0, errorCode: 0, errorMessage: null, leaderId: 1, leaderEpoch: 3, highWatermark: 40, currentVoters: [voter, { ...voter, replicaId: 2 }], observers: [] },
          ],
        },
      ],
      nodes: [{ nodeId: 1, listeners: [{ name: 'CONTROLLER', host: 'localhost', port: 9093 }] }],
    }
    const parsed = describeQuorumV2.parseResponse(0, 55, 2, Reader.from(encode(DescribeQuorumResponse, 2, res)))
    // Its reader gives int64 as bigint and directory ids in UUID form; the rest as ours.
    const p = parsed.topics[0]!.partitions[0]!
    expect([p.leaderId, p.leaderEpoch, Number(p.highWatermark)]).toEqual([1, 3, 40])
    expect(p.currentVoters.map((v) => [v.replicaId, Number(v.logEndOffset), Number(v.lastFetchTimestamp), Number(v.lastCaughtUpTimestamp)])).toEqual([
      [1, 42, 1000, 999],
      [2, 42, 1000, 999],
    ])
    expect(p.currentVoters[0]!.replicaDirectoryId.replaceAll('-', '')).toBe(DIR_A)
    expect(parsed.nodes).toEqual(res.nodes)
  })
})
