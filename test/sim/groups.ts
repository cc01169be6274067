/**
 * The group workload: consumer-group members of one group, driving the brokers' real group
 * coordinator through its handlers (FindCoordinator, JoinGroup, SyncGroup, Heartbeat,
 * OffsetCommit, OffsetFetch) over the simulated network, as a classic consumer does: find the
 * coordinator, join (the first join is told its member id), the leader assigns the topic's
 * partitions round-robin, everyone syncs, then heartbeats on its own timer while it commits
 * growing offsets of its partitions and reads them back. A member crashes without leaving (its
 * session runs out) and comes back as a new member. Errors send a member where a client goes:
 * coordinator errors and lost requests to FindCoordinator, rebalances and fencing to JoinGroup.
 * The invariants are in group-invariants.ts.
 */
import { ErrorCode, errorName } from '../../src/protocol/errors.js'
import type { FindCoordinatorResponse } from '../../src/protocol/messages/10-find-coordinator.js'
import type { HeartbeatResponse } from '../../src/protocol/messages/12-heartbeat.js'
import type { JoinGroupResponse } from '../../src/protocol/messages/11-join-group.js'
import type { OffsetCommitResponse } from '../../src/protocol/messages/08-offset-commit.js'
import type { OffsetFetchResponse } from '../../src/protocol/messages/09-offset-fetch.js'
import type { SyncGroupResponse } from '../../src/protocol/messages/14-sync-group.js'
import type { Rng } from '../../src/cluster/rng.js'
import type { SimNode } from './sim-node.js'
import { GroupInvariants } from './group-invariants.js'

export const GROUP = 'sim-group'
const api = (apiKey: number, version: number) => ({ apiKey, version, clientId: 'sim-member' })
const FIND_COORDINATOR = api(10, 3)
const JOIN_GROUP = api(11, 5)
const SYNC_GROUP = api(14, 3)
const HEARTBEAT = api(12, 3)
const OFFSET_COMMIT = api(8, 7)
const OFFSET_FETCH = api(9, 7)
/** The group coordinator's own write timeout, within which an OffsetCommit is answered. */
const COMMIT_WRITE_TIMEOUT_MS = 5_000

const COORDINATOR_MOVED = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS])
const REJOIN = new Set<number>([ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.ILLEGAL_GENERATION, ErrorCode.UNKNOWN_MEMBER_ID])

interface Member {
  name: string
  /** Bumped by a crash: answers to an earlier incarnation are dropped. */
  incarnation: number
  up: boolean
  memberId: string
  generation: number
  /** The generation's name for the invariants (its number and its leader). */
  generationName: string
  coordinator: number | null
  joined: boolean
  busy: boolean
  heartbeating: boolean
  assigned: number[]
  /** The committed offsets of its partitions were read since it synced (a consumer's start). */
  offsetsKnown: boolean
  /** partition -> the next offset this member commits. */
  next: Map<number, number>
}

export class GroupMembers {
  readonly checks: GroupInvariants
  readonly errors = new Map<string, number>()
  private readonly members: Member[]

  constructor(
    private readonly sim: SimNode,
    private readonly topicName: string,
    private readonly partitions: number,
    count: number,
    private readonly sessionTimeoutMs: number,
    private readonly requestTimeoutMs: number,
    private readonly trace: ((line: () => string) => void) | null,
    fail: (message: string) => void,
  ) {
    this.checks = new GroupInvariants(fail)
    this.members = Array.from({ length: count }, (_, i) => ({
      name: `m${i + 1}`,
      incarnation: 0,
      up: false,
      memberId: '',
      generation: -1,
      generationName: '',
      coordinator: null,
      joined: false,
      busy: false,
      heartbeating: false,
      assigned: [],
      offsetsKnown: false,
      next: new Map(),
    }))
  }

  /** One member moves on: starts, finds its coordinator, joins, or commits or reads its offsets. */
  step(rng: Rng): string | null {
    const m = this.members[rng.int(this.members.length)]!
    if (!m.up) {
      m.up = true
      m.incarnation++
      this.heartbeatLoop(m, m.incarnation)
    }
    if (m.busy) return null
    if (m.coordinator === null) return this.findCoordinator(m)
    if (!m.joined) return this.join(m)
    // As a consumer: where to start first (the committed offsets), then commit as it goes.
    return !m.offsetsKnown || rng.int(3) === 0 ? this.fetchOffsets(m) : this.commit(m, rng)
  }

  /** A member process dies: no LeaveGroup, its session runs out. */
  crash(rng: Rng): string | null {
    const live = this.members.filter((m) => m.up)
    if (live.length === 0) return null
    const m = live[rng.int(live.length)]!
    Object.assign(m, { up: false, incarnation: m.incarnation + 1, memberId: '', generation: -1, generationName: '', coordinator: null, joined: false, busy: false, heartbeating: false, assigned: [], offsetsKnown: false, next: new Map() })
    return `member ${m.name} crashes`
  }

  private send<R>(m: Member, to: number, what: string, apiVersion: ReturnType<typeof api>, body: unknown, timeoutMs: number, answered: (r: R) => void): string {
    const incarnation = m.incarnation
    m.busy = true
    this.sim.net.request<R>(to, apiVersion, body, timeoutMs).then(
      (r) => {
        if (m.incarnation !== incarnation) return
        m.busy = false
        answered(r)
      },
      (error: unknown) => {
        if (m.incarnation !== incarnation) return
        m.busy = false
        this.count('lost')
        this.trace?.(() => `${m.name} ${what}: lost (${String(error)})`)
        m.coordinator = null
      },
    )
    return `${m.name} ${what} to b${to}`
  }

  /** A coordinator moved or a request was lost: find it again and join again. */
  private failed(m: Member, what: string, errorCode: number): void {
    this.count(errorName(errorCode))
    this.trace?.(() => `${m.name} ${what}: ${errorName(errorCode)}`)
    if (COORDINATOR_MOVED.has(errorCode)) {
      m.coordinator = null
      m.joined = false
    } else if (REJOIN.has(errorCode)) {
      if (errorCode === ErrorCode.UNKNOWN_MEMBER_ID) m.memberId = ''
      m.joined = false
    }
  }

  private findCoordinator(m: Member): string | null {
    const up = this.sim.withCondition('up')
    if (up.length === 0) return null
    const to = up[m.incarnation % up.length]!
    return this.send<FindCoordinatorResponse>(m, to, 'FindCoordinator', FIND_COORDINATOR, { key: GROUP, keyType: 0 }, this.requestTimeoutMs, (r) => {
      if (r.errorCode !== ErrorCode.NONE) return this.failed(m, 'FindCoordinator', r.errorCode)
      m.coordinator = r.nodeId
      m.joined = false
      this.join(m)
    })
  }

  private join(m: Member): string {
    const body = {
      groupId: GROUP,
      sessionTimeoutMs: this.sessionTimeoutMs,
      rebalanceTimeoutMs: this.sessionTimeoutMs,
      memberId: m.memberId,
      groupInstanceId: null,
      protocolType: 'sim',
      protocols: [{ name: 'round-robin', metadata: Buffer.from(m.name) }],
    }
    return this.send<JoinGroupResponse>(m, m.coordinator!, `JoinGroup as '${m.memberId}'`, JOIN_GROUP, body, this.sessionTimeoutMs + this.requestTimeoutMs, (r) => {
      if (r.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        // As clients do: join again at once with the id given.
        m.memberId = r.memberId
        this.join(m)
        return
      }
      if (r.errorCode !== ErrorCode.NONE) return this.failed(m, 'JoinGroup', r.errorCode)
      m.memberId = r.memberId
      m.generation = r.generationId
      m.generationName = GroupInvariants.generation(r.generationId, r.leader)
      this.trace?.(() => `${m.name} joined generation ${r.generationId} as ${r.memberId}${r.leader === r.memberId ? ' (leader)' : ''}`)
      this.sync(m, r.leader === r.memberId ? this.assign(r.members.map((x) => x.memberId)) : [])
    })
  }

  /** Round-robin over the members sorted by id. */
  private assign(memberIds: string[]): { memberId: string; assignment: Buffer }[] {
    const sorted = [...memberIds].sort()
    const parts = new Map<string, number[]>(sorted.map((id) => [id, []]))
    for (let p = 0; p < this.partitions; p++) parts.get(sorted[p % sorted.length]!)!.push(p)
    return sorted.map((id) => ({ memberId: id, assignment: Buffer.from(JSON.stringify(parts.get(id))) }))
  }

  private sync(m: Member, assignments: { memberId: string; assignment: Buffer }[]): void {
    const { generation, generationName } = m
    const body = { groupId: GROUP, generationId: generation, memberId: m.memberId, groupInstanceId: null, assignments }
    this.send<SyncGroupResponse>(m, m.coordinator!, `SyncGroup generation ${generation}`, SYNC_GROUP, body, this.sessionTimeoutMs + this.requestTimeoutMs, (r) => {
      if (r.errorCode !== ErrorCode.NONE) return this.failed(m, 'SyncGroup', r.errorCode)
      m.assigned = JSON.parse(r.assignment.toString() || '[]') as number[]
      m.joined = true
      m.offsetsKnown = false
      m.next = new Map()
      this.trace?.(() => `${m.name} generation ${generation}: partitions [${m.assigned}]`)
      this.checks.assigned(generationName, m.memberId, m.assigned)
    })
  }

  private heartbeatLoop(m: Member, incarnation: number): void {
    this.sim.sched.setTimer(() => {
      if (m.incarnation !== incarnation) return
      this.heartbeatLoop(m, incarnation)
      if (!m.joined || m.heartbeating || m.coordinator === null) return
      m.heartbeating = true
      const body = { groupId: GROUP, generationId: m.generation, memberId: m.memberId, groupInstanceId: null }
      this.sim.net.request<HeartbeatResponse>(m.coordinator, HEARTBEAT, body, this.requestTimeoutMs).then(
        (r) => {
          if (m.incarnation !== incarnation) return
          m.heartbeating = false
          if (r.errorCode !== ErrorCode.NONE) this.failed(m, 'Heartbeat', r.errorCode)
        },
        () => {
          if (m.incarnation === incarnation) m.heartbeating = false
        },
      )
    }, Math.max(1, Math.floor(this.sessionTimeoutMs / 3)))
  }

  private commit(m: Member, rng: Rng): string | null {
    if (m.assigned.length === 0) return null
    // As sent: a heartbeat told UNKNOWN_MEMBER_ID meanwhile clears m.memberId before this commit's answer.
    const { generation, generationName, memberId } = m
    const offsets = m.assigned.map((p) => ({ partition: p, offset: m.next.get(p) ?? 0 }))
    for (const o of offsets) this.checks.commitSent(generationName, o.partition)
    const body = {
      groupId: GROUP,
      generationIdOrMemberEpoch: generation,
      memberId,
      groupInstanceId: null,
      topics: [{ name: this.topicName, partitions: offsets.map((o) => ({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, committedMetadata: null })) }],
    }
    const what = `OffsetCommit generation ${generation} ${offsets.map((o) => `p${o.partition}@${o.offset}`).join(' ')}`
    return this.send<OffsetCommitResponse>(m, m.coordinator!, what, OFFSET_COMMIT, body, COMMIT_WRITE_TIMEOUT_MS + this.requestTimeoutMs, (r) => {
      for (const p of r.topics[0]?.partitions ?? []) {
        if (p.errorCode !== ErrorCode.NONE) return this.failed(m, 'OffsetCommit', p.errorCode)
        const offset = offsets.find((o) => o.partition === p.partitionIndex)!.offset
        this.checks.commitAcked(generationName, memberId, p.partitionIndex, offset)
        m.next.set(p.partitionIndex, Math.max(m.next.get(p.partitionIndex) ?? 0, offset + 1 + rng.int(3)))
      }
    })
  }

  private fetchOffsets(m: Member): string | null {
    if (m.assigned.length === 0) return null
    const { generation, generationName } = m
    const floors = new Map(m.assigned.map((p) => [p, this.checks.floor(generationName, p)]))
    const body = { groupId: GROUP, topics: [{ name: this.topicName, partitionIndexes: m.assigned }], requireStable: false }
    return this.send<OffsetFetchResponse>(m, m.coordinator!, `OffsetFetch generation ${generation}`, OFFSET_FETCH, body, this.requestTimeoutMs, (r) => {
      if (r.errorCode !== ErrorCode.NONE) return this.failed(m, 'OffsetFetch', r.errorCode)
      for (const p of r.topics[0]?.partitions ?? []) {
        if (p.errorCode !== ErrorCode.NONE) return this.failed(m, 'OffsetFetch', p.errorCode)
        this.checks.fetched(generationName, p.partitionIndex, floors.get(p.partitionIndex) ?? null, p.committedOffset)
        // A new owner carries on from what was committed.
        if (p.committedOffset >= 0) m.next.set(p.partitionIndex, Math.max(m.next.get(p.partitionIndex) ?? 0, p.committedOffset + 1))
      }
      m.offsetsKnown = true
    })
  }

  private count(what: string): void {
    this.errors.set(what, (this.errors.get(what) ?? 0) + 1)
  }
}
