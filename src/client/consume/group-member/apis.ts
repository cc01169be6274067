/**
 * The classic group protocol's requests, encoded and decoded by src/protocol's schemas on either
 * kind of connection (wire/request.ts), returning the error codes instead of throwing them, so
 * the member (member.ts) decides what each code means.
 *
 * Versions: FindCoordinator v4, JoinGroup v6, SyncGroup v4, Heartbeat v4, LeaveGroup v4,
 * OffsetCommit v8, OffsetFetch v8 (all flexible; served by Kafka since 2.4-3.0 and by sluice).
 */
import { ErrorCode } from '../../../protocol/errors.js'
import { offsetCommitApi } from '../../../protocol/messages/08-offset-commit.js'
import { offsetFetchApi } from '../../../protocol/messages/09-offset-fetch.js'
import { findCoordinatorApi } from '../../../protocol/messages/10-find-coordinator.js'
import { joinGroupApi } from '../../../protocol/messages/11-join-group.js'
import { heartbeatApi } from '../../../protocol/messages/12-heartbeat.js'
import { leaveGroupApi } from '../../../protocol/messages/13-leave-group.js'
import { syncGroupApi } from '../../../protocol/messages/14-sync-group.js'
import { kafkaRequest, type KafkaConnection, type KafkaRequestOptions } from '../../wire/request.js'

export interface FoundCoordinator {
  errorCode: number
  nodeId: number
  host: string
  port: number
}

export interface JoinResult {
  errorCode: number
  generationId: number
  protocolName: string | null
  leader: string
  memberId: string
  members: { memberId: string; metadata: Buffer }[]
}

export interface SyncResult {
  errorCode: number
  assignment: Buffer
}

export interface CommittedOffset {
  partition: number
  /** -1 when the group has none. */
  offset: number
  /** The metadata committed with the offset. */
  metadata: string | null
  errorCode: number
}

export interface OffsetFetchResult {
  errorCode: number
  partitions: CommittedOffset[]
}

export interface CommitResult {
  /** One code per partition, in the order sent. */
  errorCodes: number[]
}

/**
 * On sluice's own connections: the driver bounds each request itself (a JoinGroup is held up to
 * the rebalance timeout, Kafka's default 5 minutes); this only ends one that nothing else would.
 */
const BACKSTOP_TIMEOUT_MS = 6 * 60_000

const FIND_COORDINATOR_VERSION = 4
const JOIN_GROUP_VERSION = 6
const SYNC_GROUP_VERSION = 4
const HEARTBEAT_VERSION = 4
const LEAVE_GROUP_VERSION = 4
const OFFSET_COMMIT_VERSION = 8
const OFFSET_FETCH_VERSION = 8

/** Exactly `version`: what this reads of each answer (e.g. OffsetFetch's `groups`) is in that version. */
const at = (version: number): KafkaRequestOptions => ({ version, versionMin: version, timeoutMs: BACKSTOP_TIMEOUT_MS })

/** Kafka's coordinator key types: a consumer group's, or a transactional id's. */
export const CoordinatorKeyType = { GROUP: 0, TRANSACTION: 1 } as const

/** The coordinator of a group (or, with CoordinatorKeyType.TRANSACTION, of a transactional id). */
export async function findCoordinator(connection: KafkaConnection, key: string, keyType: number = CoordinatorKeyType.GROUP): Promise<FoundCoordinator> {
  const answer = await kafkaRequest(connection, findCoordinatorApi, { keyType, coordinatorKeys: [key] }, at(FIND_COORDINATOR_VERSION))
  const found = answer.coordinators[0]
  // An empty answer: no coordinator to name.
  if (found === undefined) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1, host: '', port: -1 }
  return { errorCode: found.errorCode, nodeId: found.nodeId, host: found.host, port: found.port }
}

export async function joinGroup(
  connection: KafkaConnection,
  req: { groupId: string; sessionTimeoutMs: number; rebalanceTimeoutMs: number; memberId: string; protocols: { name: string; metadata: Buffer }[] },
): Promise<JoinResult> {
  const answer = await kafkaRequest(
    connection,
    joinGroupApi,
    {
      groupId: req.groupId,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      memberId: req.memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: req.protocols,
    },
    at(JOIN_GROUP_VERSION),
  )
  return {
    errorCode: answer.errorCode,
    generationId: answer.generationId,
    protocolName: answer.protocolName,
    leader: answer.leader,
    memberId: answer.memberId,
    members: answer.members.map((m) => ({ memberId: m.memberId, metadata: m.metadata })),
  }
}

export async function syncGroup(
  connection: KafkaConnection,
  req: { groupId: string; generationId: number; memberId: string; assignments: { memberId: string; assignment: Buffer }[] },
): Promise<SyncResult> {
  const answer = await kafkaRequest(
    connection,
    syncGroupApi,
    { groupId: req.groupId, generationId: req.generationId, memberId: req.memberId, groupInstanceId: null, assignments: req.assignments },
    at(SYNC_GROUP_VERSION),
  )
  return { errorCode: answer.errorCode, assignment: answer.assignment }
}

/** The error code. */
export async function heartbeat(connection: KafkaConnection, req: { groupId: string; generationId: number; memberId: string }): Promise<number> {
  const answer = await kafkaRequest(connection, heartbeatApi, { ...req, groupInstanceId: null }, at(HEARTBEAT_VERSION))
  return answer.errorCode
}

/** The error code (the request's, else the member's). */
export async function leaveGroup(connection: KafkaConnection, req: { groupId: string; memberId: string }): Promise<number> {
  const answer = await kafkaRequest(connection, leaveGroupApi, { groupId: req.groupId, members: [{ memberId: req.memberId, groupInstanceId: null }] }, at(LEAVE_GROUP_VERSION))
  if (answer.errorCode !== ErrorCode.NONE) return answer.errorCode
  return answer.members.find((m) => m.errorCode !== ErrorCode.NONE)?.errorCode ?? ErrorCode.NONE
}

export async function offsetCommit(
  connection: KafkaConnection,
  req: { groupId: string; generationId: number; memberId: string; topic: string; offsets: { partition: number; offset: number }[] },
): Promise<CommitResult> {
  const answer = await kafkaRequest(
    connection,
    offsetCommitApi,
    {
      groupId: req.groupId,
      generationIdOrMemberEpoch: req.generationId,
      memberId: req.memberId,
      groupInstanceId: null,
      topics: [
        {
          name: req.topic,
          partitions: req.offsets.map((o) => ({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, committedMetadata: '' })),
        },
      ],
    },
    at(OFFSET_COMMIT_VERSION),
  )
  const byPartition = new Map(answer.topics.flatMap((t) => t.partitions.map((p) => [p.partitionIndex, p.errorCode] as const)))
  // A partition missing from the answer was not committed: UNKNOWN_SERVER_ERROR for it.
  return { errorCodes: req.offsets.map((o) => byPartition.get(o.partition) ?? ErrorCode.UNKNOWN_SERVER_ERROR) }
}

/** `requireStable`: a partition with a transactional commit still pending answers UNSTABLE_OFFSET_COMMIT (KIP-447). */
export async function offsetFetch(connection: KafkaConnection, req: { groupId: string; topic: string; partitions: number[]; requireStable?: boolean }): Promise<OffsetFetchResult> {
  const answer = await kafkaRequest(
    connection,
    offsetFetchApi,
    { groups: [{ groupId: req.groupId, topics: [{ name: req.topic, partitionIndexes: req.partitions }] }], requireStable: req.requireStable === true },
    at(OFFSET_FETCH_VERSION),
  )
  const group = answer.groups[0]
  // An empty answer: no coordinator answered for the group.
  if (group === undefined) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, partitions: [] }
  const partitions = group.topics.flatMap((t) => t.partitions.map((p) => ({ partition: p.partitionIndex, offset: p.committedOffset, metadata: p.metadata, errorCode: p.errorCode })))
  return { errorCode: group.errorCode, partitions }
}
