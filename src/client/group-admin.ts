/**
 * Consumer-group administration for `sluice group ...`, on sluice's own wire client (so a group
 * command does not load a client library), the same calls against the local daemon and any Kafka
 * cluster: ListGroups (every broker), and at the group's coordinator DescribeGroups (the consumer
 * protocol's assignment bytes decoded by sluice, null user data included, as the Java consumer's
 * assignors write it), OffsetFetch, OffsetCommit with generation -1 and an empty member id (how
 * Kafka's own tools commit for a group with no active members) and DeleteGroups; ListOffsets and
 * Fetch (the age of the oldest record not yet consumed) at the partitions' leaders.
 */
import { ErrorCode, errorName, isRetriable } from '../protocol/errors.js'
import { describeGroupsApi } from '../protocol/messages/15-describe-groups.js'
import { listGroupsApi } from '../protocol/messages/16-list-groups.js'
import { deleteGroupsApi } from '../protocol/messages/42-delete-groups.js'
import { offsetFetchApi } from '../protocol/messages/09-offset-fetch.js'
import type { Decoded } from '../protocol/schema.js'
import { SluiceError } from '../common/errors.js'
import { walkBatches } from './consume/batches.js'
import { fetchRaw } from './consume/fetch-api.js'
import { findCoordinator, offsetCommit } from './consume/group-member/apis.js'
import { decodeAssignment } from './consume/group-member/consumer-protocol.js'
import { kafkaApiCode, toClusterError, type ClusterTarget } from './kafka.js'
import { kafkaOffsetLookup, resolveOffsets, type OffsetPosition, type PartitionBounds } from './offsets.js'
import { KafkaAnswerError, WireClient } from './wire/client.js'
import type { WireConnection } from './wire/connection.js'

type DescribedGroup = Decoded<(typeof describeGroupsApi)['response']>['groups'][number]

const REQUEST_TIMEOUT_MS = 30_000
/** DescribeGroups v5 (group instance ids), OffsetFetch v8 (groups), ListGroups v4 (states), DeleteGroups v2. */
const DESCRIBE_GROUPS_VERSION = 5
const OFFSET_FETCH_VERSION = 8
const LIST_GROUPS_VERSION = 4
/** How often a request to a moving or loading coordinator is tried, and how long apart. */
const COORDINATOR_ATTEMPTS = 10
const COORDINATOR_RETRY_MS = 200
/** The coordinator errors that mean "find it again, and retry". */
const COORDINATOR_MOVED = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS])

/** Kafka's names for the classic group states (DescribeGroups/ListGroups spell them so). */
const STATE_NAMES: Record<string, string> = {
  PREPARING_REBALANCE: 'PreparingRebalance',
  COMPLETING_REBALANCE: 'CompletingRebalance',
  STABLE: 'Stable',
  DEAD: 'Dead',
  EMPTY: 'Empty',
}
const stateName = (s: string): string => STATE_NAMES[s] ?? s

export interface GroupSummary {
  group: string
  state: string
  protocolType: string
}

export interface GroupMemberInfo {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  host: string
  /** topic -> partitions, from the consumer protocol assignment. */
  assignment: { topic: string; partitions: number[] }[]
}

export interface GroupPartitionLag {
  topic: string
  partition: number
  /** null: the group has no committed offset here. */
  committedOffset: number | null
  endOffset: number
  /** Records between the committed offset (or the log start when none) and the end. */
  lag: number
  /** Age of the oldest record not yet consumed (ms); null when none is waiting or it cannot be read. */
  lagMs: number | null
  /** The member that has this partition now, if any. */
  memberId: string | null
}

export interface GroupDescription {
  group: string
  state: string
  protocolType: string
  protocol: string
  members: GroupMemberInfo[]
  partitions: GroupPartitionLag[]
  /** Sum of the partitions' lag. */
  lag: number
}

export interface ResetPlanPartition {
  partition: number
  /** null: no committed offset now. */
  currentOffset: number | null
  newOffset: number
  /** Positive: records that will be read again; negative: records that will be skipped. */
  delta: number
  /** Time span of those records (ms between the timestamps at both ends); null when unknown. */
  spanMs: number | null
  logStartOffset: number
  endOffset: number
}

export interface ResetPlan {
  group: string
  topic: string
  state: string
  executed: boolean
  partitions: ResetPlanPartition[]
}

const GROUP_NOT_FOUND = (group: string): SluiceError => new SluiceError('NOT_FOUND', `group "${group}" does not exist`)

export class GroupAdmin {
  constructor(
    readonly target: ClusterTarget,
    readonly client: WireClient,
  ) {}

  /** Every group of the cluster: ListGroups asked of each broker (each lists those it coordinates). */
  async list(): Promise<GroupSummary[]> {
    try {
      const md = await this.client.metadata({ topics: [] })
      const answers = await Promise.all(
        [...md.brokers.values()].map((broker) =>
          this.client.request(broker, listGroupsApi, { statesFilter: [] }, {
            timeoutMs: REQUEST_TIMEOUT_MS,
            max: LIST_GROUPS_VERSION,
            check: (answer) => {
              if (answer.errorCode !== ErrorCode.NONE) throw new KafkaAnswerError(answer.errorCode, `ListGroups: ${errorName(answer.errorCode)}`)
              return answer.groups
            },
          }),
        ),
      )
      return answers
        .flat()
        .map((g) => ({ group: g.groupId, state: stateName(g.groupState), protocolType: g.protocolType }))
        .sort((a, b) => a.group.localeCompare(b.group))
    } catch (err) {
      throw toClusterError(err, this.target, 'listing the consumer groups')
    }
  }

  /**
   * Runs `fn` on a connection to the group's coordinator, found through any broker; finds it
   * again and retries while it moves or loads (fn throws a KafkaAnswerError with the code).
   */
  private async atCoordinator<T>(group: string, fn: (coordinator: WireConnection) => Promise<T>): Promise<T> {
    let last: unknown
    for (let attempt = 0; attempt < COORDINATOR_ATTEMPTS; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, COORDINATOR_RETRY_MS))
      try {
        const coordinator = await this.findCoordinator(group)
        return await fn(coordinator)
      } catch (err) {
        const code = kafkaApiCode(err)
        if (code === undefined || !COORDINATOR_MOVED.has(code)) throw err
        last = err
      }
    }
    throw last
  }

  /** A connection to the group's coordinator, as any broker of the cluster names it. */
  private async findCoordinator(group: string): Promise<WireConnection> {
    const md = await this.client.metadata({ topics: [] })
    let last: unknown = new SluiceError('CLUSTER_UNREACHABLE', 'no broker in the metadata')
    for (const broker of md.brokers.values()) {
      let connection: WireConnection
      try {
        connection = await this.client.connections.get(broker)
      } catch (err) {
        last = err
        continue
      }
      const found = await findCoordinator(connection, group)
      if (found.errorCode !== ErrorCode.NONE) throw new KafkaAnswerError(found.errorCode, `FindCoordinator: ${errorName(found.errorCode)}`)
      return this.client.connections.get({ host: found.host, port: found.port })
    }
    throw last
  }

  /** The group's state and members; NOT_FOUND when it is Dead (unknown) and has no offsets. */
  async members(group: string): Promise<{ state: string; protocolType: string; protocol: string; members: GroupMemberInfo[] }> {
    let g: DescribedGroup | undefined
    try {
      g = await this.describeRaw(group)
    } catch (err) {
      if (kafkaApiCode(err) === ErrorCode.GROUP_ID_NOT_FOUND) throw GROUP_NOT_FOUND(group)
      throw toClusterError(err, this.target, `describing group "${group}"`)
    }
    if (g === undefined) throw GROUP_NOT_FOUND(group)
    const consumerProtocol = g.protocolType === 'consumer'
    const members = g.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId ?? null,
      clientId: m.clientId,
      host: m.clientHost,
      assignment: consumerProtocol ? assignmentOf(m.memberAssignment) : [],
    }))
    return { state: g.groupState, protocolType: g.protocolType, protocol: g.protocolData, members }
  }

  /** DescribeGroups v5 at the group's coordinator. */
  private describeRaw(group: string): Promise<DescribedGroup | undefined> {
    return this.atCoordinator(group, async (coordinator) => {
      const answer = await coordinator.request(describeGroupsApi, { groups: [group], includeAuthorizedOperations: false }, { timeoutMs: REQUEST_TIMEOUT_MS, max: DESCRIBE_GROUPS_VERSION })
      const g = answer.groups.find((x) => x.groupId === group)
      if (g !== undefined && g.errorCode !== ErrorCode.NONE) throw new KafkaAnswerError(g.errorCode, `DescribeGroups: ${errorName(g.errorCode)}`)
      return g
    })
  }

  /** Committed offsets: topic -> partition -> offset (only those committed). */
  async committed(group: string): Promise<Map<string, Map<number, number>>> {
    const out = new Map<string, Map<number, number>>()
    try {
      await this.atCoordinator(group, async (coordinator) => {
        // Every topic the group has offsets for (topics null).
        const answer = await coordinator.request(
          offsetFetchApi,
          { groups: [{ groupId: group, topics: null }], requireStable: false },
          { timeoutMs: REQUEST_TIMEOUT_MS, max: OFFSET_FETCH_VERSION, min: OFFSET_FETCH_VERSION },
        )
        const g = answer.groups[0]
        if (g === undefined) throw new KafkaAnswerError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'OffsetFetch: no answer for the group')
        if (g.errorCode !== ErrorCode.NONE) throw new KafkaAnswerError(g.errorCode, `OffsetFetch: ${errorName(g.errorCode)}`)
        out.clear()
        for (const t of g.topics) {
          for (const p of t.partitions) {
            if (p.committedOffset < 0) continue
            let m = out.get(t.name)
            if (!m) out.set(t.name, (m = new Map()))
            m.set(p.partitionIndex, p.committedOffset)
          }
        }
      })
    } catch (err) {
      if (kafkaApiCode(err) === ErrorCode.GROUP_ID_NOT_FOUND) return out
      throw toClusterError(err, this.target, `reading the committed offsets of group "${group}"`)
    }
    return out
  }

  async partitionCount(topic: string): Promise<number> {
    try {
      const md = await this.client.metadata({ topics: [topic] })
      const t = md.topics.get(topic)
      if (t === undefined) throw new SluiceError('NOT_FOUND', `topic "${topic}" does not exist`)
      return t.partitionsCount
    } catch (err) {
      if (err instanceof SluiceError) throw err
      if (kafkaApiCode(err) === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION || /unknown topic/i.test(err instanceof Error ? err.message : '')) {
        throw new SluiceError('NOT_FOUND', `topic "${topic}" does not exist`, { cause: err })
      }
      throw toClusterError(err, this.target, `reading the metadata of "${topic}"`)
    }
  }

  async bounds(topic: string, partitions: number[]): Promise<Map<number, PartitionBounds>> {
    try {
      return await kafkaOffsetLookup(this.client, topic).bounds(partitions)
    } catch (err) {
      throw toClusterError(err, this.target, `listing the offsets of "${topic}"`)
    }
  }

  /** The timestamp of the first record at or after `offset` per partition (null when none/unreadable). */
  async timestampsAt(topic: string, offsets: Map<number, number>): Promise<Map<number, number | null>> {
    const out = new Map<number, number | null>()
    for (const p of offsets.keys()) out.set(p, null)
    if (offsets.size === 0) return out
    try {
      const md = await this.client.metadata({ topics: [topic] })
      const t = md.topics.get(topic)
      const byLeader = new Map<number, number[]>()
      for (const p of offsets.keys()) {
        const leader = t?.partitions[p]?.leader ?? -1
        if (leader < 0) continue
        byLeader.set(leader, [...(byLeader.get(leader) ?? []), p])
      }
      await Promise.all(
        [...byLeader].map(async ([leader, parts]) => {
          const broker = md.brokers.get(leader)
          if (broker === undefined) return
          const connection = await this.client.connections.get(broker)
          const result = await fetchRaw(connection, {
            topic,
            partitions: parts.map((p) => ({ partition: p, fetchOffset: offsets.get(p)!, partitionMaxBytes: 64 * 1024, currentLeaderEpoch: -1 })),
            maxWaitMs: 0,
            minBytes: 0,
            maxBytes: 1024 * 1024,
          })
          for (const fp of result.partitions) {
            if (fp.errorCode !== ErrorCode.NONE || fp.records.length === 0) continue
            walkBatches(fp.records, offsets.get(fp.partition)!, (r) => {
              out.set(fp.partition, r.timestamp)
              return false
            })
          }
        }),
      )
    } catch {
      // The age is a hint: a partition whose leader cannot answer shows none.
    }
    return out
  }

  async describe(group: string, nowMs = Date.now()): Promise<GroupDescription> {
    const [info, committed] = await Promise.all([this.members(group), this.committed(group)])
    if (info.state === 'Dead' && committed.size === 0) throw GROUP_NOT_FOUND(group)
    const owner = new Map<string, string>()
    const topics = new Set(committed.keys())
    for (const m of info.members) {
      for (const a of m.assignment) {
        topics.add(a.topic)
        for (const p of a.partitions) owner.set(`${a.topic}/${p}`, m.memberId)
      }
    }
    const partitions: GroupPartitionLag[] = []
    for (const topic of [...topics].sort()) {
      let count: number
      try {
        count = await this.partitionCount(topic)
      } catch (err) {
        if (err instanceof SluiceError && err.code === 'NOT_FOUND') continue // offsets of a deleted topic
        throw err
      }
      const offsets = committed.get(topic) ?? new Map<number, number>()
      // Partitions the group has offsets for or is assigned.
      const parts = Array.from({ length: count }, (_, i) => i).filter((p) => offsets.has(p) || owner.has(`${topic}/${p}`))
      const bounds = await this.bounds(topic, parts)
      const from = new Map<number, number>()
      for (const p of parts) {
        const b = bounds.get(p)!
        const start = Math.max(offsets.get(p) ?? b.start, b.start)
        if (start < b.end) from.set(p, start)
      }
      const times = await this.timestampsAt(topic, from)
      for (const p of parts) {
        const b = bounds.get(p)!
        const c = offsets.get(p) ?? null
        const ts = times.get(p) ?? null
        partitions.push({
          topic,
          partition: p,
          committedOffset: c,
          endOffset: b.end,
          lag: Math.max(0, b.end - Math.max(c ?? b.start, b.start)),
          lagMs: ts === null ? null : Math.max(0, nowMs - ts),
          memberId: owner.get(`${topic}/${p}`) ?? null,
        })
      }
    }
    return { group, ...info, partitions, lag: partitions.reduce((s, p) => s + p.lag, 0) }
  }

  async delete(group: string): Promise<void> {
    try {
      await this.atCoordinator(group, async (coordinator) => {
        const answer = await coordinator.request(deleteGroupsApi, { groupsNames: [group] }, { timeoutMs: REQUEST_TIMEOUT_MS })
        const code = answer.results.find((r) => r.groupId === group)?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR
        if (code !== ErrorCode.NONE) throw new KafkaAnswerError(code, `DeleteGroups: ${errorName(code)}`)
      })
    } catch (err) {
      const code = kafkaApiCode(err)
      if (code === ErrorCode.GROUP_ID_NOT_FOUND) throw GROUP_NOT_FOUND(group)
      if (code === ErrorCode.NON_EMPTY_GROUP) {
        throw new SluiceError('CONFLICT', `group "${group}" has active members: stop its consumers first (sluice group describe ${group})`, { cause: err })
      }
      throw toClusterError(err, this.target, `deleting group "${group}"`)
    }
  }

  /**
   * The reset plan for `topic` (all partitions, or `only`): where each partition goes, how many
   * records are re-read (positive delta) or skipped (negative), and the time between them.
   */
  async plan(group: string, topic: string, target: ResetTarget, only?: number[], nowMs = Date.now()): Promise<ResetPlan> {
    const [info, committed] = await Promise.all([this.members(group), this.committed(group)])
    const count = await this.partitionCount(topic)
    for (const p of only ?? []) {
      if (p < 0 || p >= count) throw new SluiceError('NOT_FOUND', `topic "${topic}" has no partition ${p} (it has ${count})`)
    }
    let parts = only ?? Array.from({ length: count }, (_, i) => i)
    const lookup = kafkaOffsetLookup(this.client, topic)
    const bounds = await this.bounds(topic, parts)
    const current = committed.get(topic) ?? new Map<number, number>()
    const newOffsets = new Map<number, number>()
    if (target.kind === 'shift') {
      // Without --partition, only the partitions the group has an offset for move.
      if (only === undefined) parts = parts.filter((p) => current.has(p))
      if (parts.length === 0) throw new SluiceError('NOT_FOUND', `group "${group}" has no committed offsets on "${topic}": --shift-by needs them (use a --to-* mode)`)
      for (const p of parts) {
        const b = bounds.get(p)!
        const from = current.get(p)
        if (from === undefined) {
          throw new SluiceError('NOT_FOUND', `group "${group}" has no committed offset for ${topic}/${p}: --shift-by needs one (use another --to-* mode)`)
        }
        newOffsets.set(p, clamp(from + target.by, b))
      }
    } else {
      let resolved
      try {
        resolved = await resolveOffsets(undefined, { partitions: parts, lookup, bounds, fallback: target.position, role: 'from', nowMs })
      } catch (err) {
        throw toClusterError(err, this.target, `listing the offsets of "${topic}"`)
      }
      for (const p of parts) newOffsets.set(p, clamp(resolved.get(p)!.offset, bounds.get(p)!))
    }
    // Times at both ends of each move (the oldest record not yet consumed, before and after).
    const ends = new Map<number, number>()
    const starts = new Map<number, number>()
    for (const p of parts) {
      const b = bounds.get(p)!
      const a = Math.max(current.get(p) ?? b.start, b.start)
      const n = newOffsets.get(p)!
      if (a < b.end) starts.set(p, a)
      if (n < b.end) ends.set(p, n)
    }
    const [t0, t1] = await Promise.all([this.timestampsAt(topic, starts), this.timestampsAt(topic, ends)])
    const partitions = parts.map((p) => {
      const b = bounds.get(p)!
      const cur = current.get(p) ?? null
      const n = newOffsets.get(p)!
      const a = Math.max(cur ?? b.start, b.start)
      // A position at the end has no record yet: its time is "now".
      const ta = a >= b.end ? nowMs : (t0.get(p) ?? null)
      const tn = n >= b.end ? nowMs : (t1.get(p) ?? null)
      return {
        partition: p,
        currentOffset: cur,
        newOffset: n,
        delta: a - n,
        spanMs: ta === null || tn === null || a === n ? (a === n ? 0 : null) : Math.abs(ta - tn),
        logStartOffset: b.start,
        endOffset: b.end,
      }
    })
    return { group, topic, state: info.state, executed: false, partitions }
  }

  /** Commits the plan; CONFLICT while the group has members (they would overwrite it). */
  async execute(plan: ResetPlan): Promise<ResetPlan> {
    const info = await this.members(plan.group)
    if (info.members.length > 0 || (info.state !== 'Empty' && info.state !== 'Dead')) {
      throw new SluiceError(
        'CONFLICT',
        `group "${plan.group}" is ${info.state} with ${info.members.length} active member(s) (${info.members.map((m) => m.clientId + '@' + m.host).join(', ')}): stop its consumers first, their commits would overwrite the reset`,
      )
    }
    try {
      await this.atCoordinator(plan.group, async (coordinator) => {
        const { errorCodes } = await offsetCommit(coordinator, {
          groupId: plan.group,
          generationId: -1,
          memberId: '',
          topic: plan.topic,
          offsets: plan.partitions.map((p) => ({ partition: p.partition, offset: p.newOffset })),
        })
        const failed = errorCodes.find((code) => code !== ErrorCode.NONE)
        if (failed !== undefined) throw new KafkaAnswerError(failed, `OffsetCommit: ${errorName(failed)}`)
      })
    } catch (err) {
      const code = kafkaApiCode(err)
      if (code === ErrorCode.UNKNOWN_MEMBER_ID || code === ErrorCode.REBALANCE_IN_PROGRESS || code === ErrorCode.ILLEGAL_GENERATION) {
        throw new SluiceError('CONFLICT', `group "${plan.group}" gained active members meanwhile: stop its consumers first`, { cause: err })
      }
      throw toClusterError(err, this.target, `committing offsets for group "${plan.group}"`)
    }
    return { ...plan, state: info.state, executed: true }
  }
}

export type ResetTarget = { kind: 'position'; position: OffsetPosition } | { kind: 'shift'; by: number }

function clamp(offset: number, b: PartitionBounds): number {
  return Math.min(Math.max(offset, b.start), b.end)
}

export async function withGroupAdmin<T>(target: ClusterTarget, fn: (admin: GroupAdmin) => Promise<T>): Promise<T> {
  const client = new WireClient(target, 'sluice-group')
  try {
    return await fn(new GroupAdmin(target, client))
  } finally {
    client.close()
  }
}

/** A member's assignment as topic -> sorted partitions; none when the bytes are not the consumer protocol's. */
function assignmentOf(bytes: Buffer): { topic: string; partitions: number[] }[] {
  try {
    return decodeAssignment(bytes).partitions.map((a) => ({ topic: a.topic, partitions: [...a.partitions].sort((x, y) => x - y) }))
  } catch {
    return []
  }
}
