/**
 * The classic group protocol's requests, over @platformatic/kafka's connections: the library's
 * request encoders (by version) with response parsers that return the error codes instead of
 * throwing them, so the member (member.ts) decides what each code means.
 *
 * Versions: FindCoordinator v4, JoinGroup v6, SyncGroup v4, Heartbeat v4, LeaveGroup v4,
 * OffsetCommit v8, OffsetFetch v8 (all flexible; served by Kafka since 2.4-3.0 and by sluice).
 */
import {
  createAPI,
  findCoordinatorV4,
  heartbeatV4,
  joinGroupV6,
  leaveGroupV4,
  offsetCommitV8,
  offsetFetchV8,
  syncGroupV4,
  type Connection,
  type Reader,
} from '@platformatic/kafka'
import { ErrorCode } from '../../../protocol/errors.js'
import { ApiKey } from '../../../protocol/api-keys.js'

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

type Callback<T> = (error: Error | null, result?: T) => void
type Raw = (connection: Connection, ...args: unknown[]) => void

function raw(apiKey: number, apiVersion: number, createRequest: unknown, parse: (reader: Reader) => unknown): Raw {
  return createAPI(apiKey, apiVersion, createRequest as never, (_c, _k, _v, reader) => parse(reader)) as unknown as Raw
}

function call<T>(api: Raw, connection: Connection, ...args: unknown[]): Promise<T> {
  return new Promise((resolve, reject) => {
    api(connection, ...args, ((error, result) => (error ? reject(error) : resolve(result as T))) as Callback<unknown>)
  })
}

const findCoordinatorApi = raw(ApiKey.FindCoordinator, 4, findCoordinatorV4.createRequest, (r) => {
  r.readInt32() // throttle_time_ms
  return r.readArray((r) => {
    r.readString() // key
    const nodeId = r.readInt32()
    const host = r.readString()
    const port = r.readInt32()
    const errorCode = r.readInt16()
    r.readNullableString() // error_message
    return { errorCode, nodeId, host, port }
  })
})

export async function findCoordinator(connection: Connection, groupId: string): Promise<FoundCoordinator> {
  const found = await call<FoundCoordinator[]>(findCoordinatorApi, connection, 0, [groupId])
  return found[0] ?? { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1, host: '', port: -1 } // an empty answer
}

const joinGroupApi = raw(ApiKey.JoinGroup, 6, joinGroupV6.createRequest, (r) => {
  r.readInt32() // throttle_time_ms
  const errorCode = r.readInt16()
  const generationId = r.readInt32()
  const protocolName = r.readNullableString()
  const leader = r.readString()
  const memberId = r.readNullableString() ?? ''
  const members = r.readArray((r) => {
    const id = r.readString()
    r.readNullableString() // group_instance_id
    return { memberId: id, metadata: r.readNullableBytes() ?? Buffer.alloc(0) }
  })
  return { errorCode, generationId, protocolName, leader, memberId, members }
})

export function joinGroup(
  connection: Connection,
  req: { groupId: string; sessionTimeoutMs: number; rebalanceTimeoutMs: number; memberId: string; protocols: { name: string; metadata: Buffer }[] },
): Promise<JoinResult> {
  return call(joinGroupApi, connection, req.groupId, req.sessionTimeoutMs, req.rebalanceTimeoutMs, req.memberId, null, 'consumer', req.protocols, '')
}

const syncGroupApi = raw(ApiKey.SyncGroup, 4, syncGroupV4.createRequest, (r) => {
  r.readInt32() // throttle_time_ms
  const errorCode = r.readInt16()
  return { errorCode, assignment: r.readBytes() }
})

export function syncGroup(
  connection: Connection,
  req: { groupId: string; generationId: number; memberId: string; assignments: { memberId: string; assignment: Buffer }[] },
): Promise<SyncResult> {
  return call(syncGroupApi, connection, req.groupId, req.generationId, req.memberId, null, 'consumer', null, req.assignments)
}

const heartbeatApi = raw(ApiKey.Heartbeat, 4, heartbeatV4.createRequest, (r) => {
  r.readInt32() // throttle_time_ms
  return r.readInt16()
})

/** The error code. */
export function heartbeat(connection: Connection, req: { groupId: string; generationId: number; memberId: string }): Promise<number> {
  return call(heartbeatApi, connection, req.groupId, req.generationId, req.memberId, null)
}

const leaveGroupApi = raw(ApiKey.LeaveGroup, 4, leaveGroupV4.createRequest, (r) => {
  r.readInt32() // throttle_time_ms
  const errorCode = r.readInt16()
  const members = r.readArray((r) => {
    r.readString() // member_id
    r.readNullableString() // group_instance_id
    return r.readInt16()
  })
  return errorCode !== ErrorCode.NONE ? errorCode : (members.find((c) => c !== ErrorCode.NONE) ?? ErrorCode.NONE)
})

/** The error code (the request's, else the member's). */
export function leaveGroup(connection: Connection, req: { groupId: string; memberId: string }): Promise<number> {
  return call(leaveGroupApi, connection, req.groupId, [{ memberId: req.memberId, groupInstanceId: null }])
}

const offsetCommitApi = raw(ApiKey.OffsetCommit, 8, offsetCommitV8.createRequest, (r) => {
  r.readInt32() // throttle_time_ms
  return r.readArray((r) => {
    r.readString() // name
    return r.readArray((r) => [r.readInt32(), r.readInt16()] as const)
  }).flat()
})

export async function offsetCommit(
  connection: Connection,
  req: { groupId: string; generationId: number; memberId: string; topic: string; offsets: { partition: number; offset: number }[] },
): Promise<CommitResult> {
  const answers = await call<(readonly [number, number])[]>(offsetCommitApi, connection, req.groupId, req.generationId, req.memberId, null, [
    {
      name: req.topic,
      partitions: req.offsets.map((o) => ({ partitionIndex: o.partition, committedOffset: BigInt(o.offset), committedLeaderEpoch: -1, committedMetadata: '' })),
    },
  ])
  const byPartition = new Map(answers)
  // A partition missing from the answer was not committed: UNKNOWN_SERVER_ERROR (-1) for it.
  return { errorCodes: req.offsets.map((o) => byPartition.get(o.partition) ?? -1) }
}

const offsetFetchApi = raw(ApiKey.OffsetFetch, 8, offsetFetchV8.createRequest, (r) => {
  r.readInt32() // throttle_time_ms
  const groups = r.readArray((r) => {
    r.readString() // group_id
    const partitions = r
      .readArray((r) => {
        r.readString() // name
        return r.readArray((r) => {
          const partition = r.readInt32()
          const offset = Number(r.readInt64())
          r.readInt32() // committed_leader_epoch
          r.readNullableString() // metadata
          return { partition, offset, errorCode: r.readInt16() }
        })
      })
      .flat()
    return { errorCode: r.readInt16(), partitions }
  })
  return groups[0] ?? { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, partitions: [] }
})

export function offsetFetch(connection: Connection, req: { groupId: string; topic: string; partitions: number[] }): Promise<OffsetFetchResult> {
  return call(offsetFetchApi, connection, [{ groupId: req.groupId, topics: [{ name: req.topic, partitionIndexes: req.partitions }] }], false)
}
