/**
 * One consumer group's membership, as Kafka's classic group coordinator keeps it: a deterministic
 * state machine (Empty, PreparingRebalance, CompletingRebalance, Stable, Dead) driven by JoinGroup,
 * SyncGroup, Heartbeat and LeaveGroup requests and by clock ticks (session and rebalance
 * timeouts). Time is passed in; responses that Kafka holds back (a JoinGroup until the rebalance
 * completes, a SyncGroup until the leader sends the assignment) are callbacks the group calls
 * when they are due.
 *
 * Rules followed (Kafka's GroupCoordinator): the two-step join for JoinGroup v4+
 * (MEMBER_ID_REQUIRED), generation fencing (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID,
 * REBALANCE_IN_PROGRESS), static membership (a known group.instance.id rejoining replaces its old
 * member id without a rebalance when nothing changed; the old member id is then fenced:
 * FENCED_INSTANCE_ID, the instance id being checked before the member id), protocol selection
 * by vote among the protocols every member supports.
 */

import { ErrorCode } from '../protocol/errors.js'

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead'

export interface Protocol {
  name: string
  metadata: Buffer
}

export interface JoinResponse {
  errorCode: number
  generationId: number
  protocolType: string | null
  protocolName: string | null
  leader: string
  memberId: string
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[]
  /** KIP-814 (JoinGroup v9+): a static leader rejoining a stable group is told to run no assignor. */
  skipAssignment?: boolean
}

export interface SyncResponse {
  errorCode: number
  protocolType: string | null
  protocolName: string | null
  assignment: Buffer
}

/** Who a member is and its timeouts: what a JoinGroup says of it, kept and snapshotted as is. */
export interface MemberIdentity {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  clientHost: string
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
}

/** Just the identity fields (a snapshot must not carry a member's callbacks or buffers). */
function memberIdentity(m: MemberIdentity): MemberIdentity {
  const { memberId, groupInstanceId, clientId, clientHost, sessionTimeoutMs, rebalanceTimeoutMs } = m
  return { memberId, groupInstanceId, clientId, clientHost, sessionTimeoutMs, rebalanceTimeoutMs }
}

export interface Member extends MemberIdentity {
  protocolType: string
  protocols: Protocol[]
  assignment: Buffer
  lastHeartbeatMs: number
  /** A JoinGroup waiting for the rebalance to complete. */
  awaitingJoin: ((r: JoinResponse) => void) | null
  /** A SyncGroup waiting for the leader's assignment. */
  awaitingSync: ((r: SyncResponse) => void) | null
}

export interface JoinRequest extends MemberIdentity {
  protocolType: string
  protocols: Protocol[]
  /** JoinGroup v4+: a new member first gets its id with MEMBER_ID_REQUIRED. */
  requireKnownMemberId: boolean
  /** JoinGroup v9+ (KIP-814): the member understands `skipAssignment`. */
  supportSkippingAssignment?: boolean
}

export interface GroupSnapshot {
  groupId: string
  state: GroupState
  generationId: number
  protocolType: string | null
  protocolName: string | null
  leaderId: string | null
  members: (MemberIdentity & { protocols: { name: string; metadata: string }[]; assignment: string })[]
}

const EMPTY = Buffer.alloc(0)

export interface GroupOptions {
  /** group.initial.rebalance.delay.ms: how long a new group waits for more members. */
  initialRebalanceDelayMs: number
  /** A new member id: `${clientId}-${uuid}` in Kafka. Injected so tests and simulations are deterministic. */
  newMemberId: (clientId: string) => string
  /** Called when the group's membership was settled (after a completed sync, or when it empties). */
  onStable?: (group: Group) => void
}

export class Group {
  state: GroupState = 'Empty'
  generationId = 0
  protocolType: string | null = null
  protocolName: string | null = null
  leaderId: string | null = null
  readonly members = new Map<string, Member>()
  /** Member ids handed out with MEMBER_ID_REQUIRED, not yet joined. */
  private readonly pendingMembers = new Map<string, number>()
  private readonly staticMembers = new Map<string, string>()
  /** When the current join phase ends at the latest (the largest member rebalance timeout). */
  private joinDeadlineMs = 0
  /** A group that was empty waits until then for more members (group.initial.rebalance.delay.ms). */
  private initialDelayUntilMs = 0

  constructor(
    readonly groupId: string,
    private readonly opts: GroupOptions,
  ) {}

  get isEmpty(): boolean {
    return this.members.size === 0
  }

  // ---- JoinGroup ---------------------------------------------------------------------------

  join(req: JoinRequest, nowMs: number, reply: (r: JoinResponse) => void): void {
    const fail = (errorCode: number, memberId = req.memberId): void =>
      reply({ errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [] })
    if (this.state === 'Dead') return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    if (!this.supportsProtocols(req.protocolType, req.protocols)) return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)

    if (req.memberId === '') {
      if (req.groupInstanceId !== null) {
        const existing = this.staticMembers.get(req.groupInstanceId)
        if (existing) return this.rejoinStatic(existing, req, nowMs, reply)
      }
      const memberId = this.opts.newMemberId(req.clientId)
      if (req.requireKnownMemberId && req.groupInstanceId === null) {
        // The two-step join: the member learns its id and joins again with it.
        this.pendingMembers.set(memberId, nowMs + req.sessionTimeoutMs)
        return fail(ErrorCode.MEMBER_ID_REQUIRED, memberId)
      }
      return this.addMember(memberId, req, nowMs, reply)
    }

    if (this.pendingMembers.has(req.memberId)) {
      this.pendingMembers.delete(req.memberId)
      return this.addMember(req.memberId, req, nowMs, reply)
    }
    const invalid = this.memberError(req.memberId, req.groupInstanceId)
    if (invalid !== ErrorCode.NONE) return fail(invalid)
    const member = this.members.get(req.memberId)!
    member.lastHeartbeatMs = nowMs
    switch (this.state) {
      case 'PreparingRebalance':
        this.updateMember(member, req, reply)
        this.maybeCompleteJoin(nowMs)
        return
      case 'CompletingRebalance':
        if (sameProtocols(member.protocols, req.protocols)) return reply(this.joinResponse(member.memberId))
        this.updateMember(member, req, reply)
        return this.prepareRebalance(nowMs)
      case 'Stable':
        if (member.memberId === this.leaderId || !sameProtocols(member.protocols, req.protocols)) {
          this.updateMember(member, req, reply)
          return this.prepareRebalance(nowMs)
        }
        return reply(this.joinResponse(member.memberId))
      default:
        return fail(ErrorCode.UNKNOWN_MEMBER_ID)
    }
  }

  private rejoinStatic(oldMemberId: string, req: JoinRequest, nowMs: number, reply: (r: JoinResponse) => void): void {
    const old = this.members.get(oldMemberId)!
    const memberId = this.opts.newMemberId(req.clientId)
    // The old incarnation's pending requests are fenced.
    old.awaitingJoin?.({ errorCode: ErrorCode.FENCED_INSTANCE_ID, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId: oldMemberId, members: [] })
    old.awaitingSync?.({ errorCode: ErrorCode.FENCED_INSTANCE_ID, protocolType: null, protocolName: null, assignment: EMPTY })
    this.members.delete(oldMemberId)
    const member: Member = { ...old, memberId, clientId: req.clientId, clientHost: req.clientHost, lastHeartbeatMs: nowMs, awaitingJoin: null, awaitingSync: null }
    this.members.set(memberId, member)
    this.staticMembers.set(req.groupInstanceId!, memberId)
    const previousLeader = this.leaderId
    if (this.leaderId === oldMemberId) this.leaderId = memberId
    if (this.state === 'Stable' && sameProtocols(old.protocols, req.protocols)) {
      // Nothing changed for the group: the member gets its assignment back at the next sync, and
      // must not run an assignor (a stable group ignores a new assignment). From v9 a leader is
      // told so (skipAssignment, with the members, so it can watch metadata); before, the answer
      // names the previous leader id, which is not the member's, as Kafka does.
      if (req.supportSkippingAssignment) return reply({ ...this.joinResponse(memberId), skipAssignment: memberId === this.leaderId })
      return reply({ ...this.joinResponse(memberId), leader: previousLeader ?? '', members: [] })
    }
    this.updateMember(member, req, reply)
    if (this.state === 'PreparingRebalance') this.maybeCompleteJoin(nowMs)
    else this.prepareRebalance(nowMs)
  }

  private addMember(memberId: string, req: JoinRequest, nowMs: number, reply: (r: JoinResponse) => void): void {
    const member: Member = {
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: req.clientId,
      clientHost: req.clientHost,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs > 0 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols,
      assignment: EMPTY,
      lastHeartbeatMs: nowMs,
      awaitingJoin: reply,
      awaitingSync: null,
    }
    if (this.members.size === 0) this.protocolType = req.protocolType
    this.members.set(memberId, member)
    if (req.groupInstanceId !== null) this.staticMembers.set(req.groupInstanceId, memberId)
    if (this.state === 'PreparingRebalance') this.maybeCompleteJoin(nowMs)
    else this.prepareRebalance(nowMs)
  }

  private updateMember(member: Member, req: JoinRequest, reply: (r: JoinResponse) => void): void {
    member.protocols = req.protocols
    member.sessionTimeoutMs = req.sessionTimeoutMs
    if (req.rebalanceTimeoutMs > 0) member.rebalanceTimeoutMs = req.rebalanceTimeoutMs
    member.awaitingJoin = reply
  }

  private supportsProtocols(protocolType: string, protocols: Protocol[]): boolean {
    if (protocols.length === 0 || protocolType === '') return false
    if (this.members.size === 0) return true
    if (protocolType !== this.protocolType) return false
    const names = new Set(protocols.map((p) => p.name))
    return this.candidateProtocols().some((c) => names.has(c))
  }

  private candidateProtocols(): string[] {
    const members = [...this.members.values()]
    if (members.length === 0) return []
    return members[0]!.protocols.map((p) => p.name).filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)))
  }

  private prepareRebalance(nowMs: number): void {
    // A sync in flight is told to rejoin.
    for (const m of this.members.values()) {
      m.awaitingSync?.({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, protocolType: this.protocolType, protocolName: this.protocolName, assignment: EMPTY })
      m.awaitingSync = null
    }
    const wasEmpty = this.state === 'Empty'
    this.state = 'PreparingRebalance'
    const rebalanceTimeoutMs = Math.max(0, ...[...this.members.values()].map((m) => m.rebalanceTimeoutMs))
    this.joinDeadlineMs = nowMs + rebalanceTimeoutMs
    this.initialDelayUntilMs = wasEmpty ? nowMs + Math.min(this.opts.initialRebalanceDelayMs, rebalanceTimeoutMs) : 0
    this.maybeCompleteJoin(nowMs)
  }

  private maybeCompleteJoin(nowMs: number): void {
    if (this.state !== 'PreparingRebalance') return
    if (nowMs >= this.joinDeadlineMs) return this.completeJoin()
    if (nowMs < this.initialDelayUntilMs) return
    const allJoined = [...this.members.values()].every((m) => m.awaitingJoin !== null)
    if (allJoined && this.pendingMembers.size === 0) this.completeJoin()
  }

  private completeJoin(): void {
    // Members that did not rejoin in time are out.
    for (const m of [...this.members.values()]) if (!m.awaitingJoin) this.removeMember(m.memberId)
    // Pending members (told MEMBER_ID_REQUIRED, not back yet) stay until their session runs out,
    // as in Kafka: one whose second join comes after this completion joins the next generation.
    this.generationId++
    if (this.members.size === 0) {
      this.state = 'Empty'
      this.protocolName = null
      this.leaderId = null
      this.opts.onStable?.(this)
      return
    }
    this.protocolName = this.selectProtocol()
    if (!this.leaderId || !this.members.has(this.leaderId)) this.leaderId = this.members.keys().next().value!
    this.state = 'CompletingRebalance'
    for (const m of this.members.values()) {
      const reply = m.awaitingJoin!
      m.awaitingJoin = null
      reply(this.joinResponse(m.memberId))
    }
  }

  private selectProtocol(): string {
    const candidates = this.candidateProtocols()
    const votes = new Map<string, number>()
    for (const m of this.members.values()) {
      const vote = m.protocols.find((p) => candidates.includes(p.name))!.name
      votes.set(vote, (votes.get(vote) ?? 0) + 1)
    }
    return [...votes].sort((a, b) => b[1] - a[1] || candidates.indexOf(a[0]) - candidates.indexOf(b[0]))[0]![0]
  }

  private joinResponse(memberId: string): JoinResponse {
    const isLeader = memberId === this.leaderId
    return {
      errorCode: ErrorCode.NONE,
      generationId: this.generationId,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      leader: this.leaderId ?? '',
      memberId,
      members: isLeader
        ? [...this.members.values()].map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            metadata: m.protocols.find((p) => p.name === this.protocolName)?.metadata ?? EMPTY,
          }))
        : [],
    }
  }

  // ---- SyncGroup ---------------------------------------------------------------------------

  sync(
    req: { memberId: string; generationId: number; groupInstanceId: string | null; protocolType: string | null; protocolName: string | null; assignments: { memberId: string; assignment: Buffer }[] },
    nowMs: number,
    reply: (r: SyncResponse) => void,
  ): void {
    const fail = (errorCode: number): void => reply({ errorCode, protocolType: null, protocolName: null, assignment: EMPTY })
    if (this.state === 'Dead') return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    const invalid = this.memberError(req.memberId, req.groupInstanceId)
    if (invalid !== ErrorCode.NONE) return fail(invalid)
    const member = this.members.get(req.memberId)!
    if (req.generationId !== this.generationId) return fail(ErrorCode.ILLEGAL_GENERATION)
    if ((req.protocolType !== null && req.protocolType !== this.protocolType) || (req.protocolName !== null && req.protocolName !== this.protocolName)) {
      return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    }
    member.lastHeartbeatMs = nowMs
    switch (this.state) {
      case 'PreparingRebalance':
        return fail(ErrorCode.REBALANCE_IN_PROGRESS)
      case 'CompletingRebalance':
        member.awaitingSync = reply
        if (req.memberId === this.leaderId) {
          const given = new Map(req.assignments.map((a) => [a.memberId, a.assignment]))
          for (const m of this.members.values()) m.assignment = given.get(m.memberId) ?? EMPTY
          this.state = 'Stable'
          for (const m of this.members.values()) {
            const r = m.awaitingSync
            m.awaitingSync = null
            r?.({ errorCode: ErrorCode.NONE, protocolType: this.protocolType, protocolName: this.protocolName, assignment: m.assignment })
          }
          this.opts.onStable?.(this)
        }
        return
      case 'Stable':
        return reply({ errorCode: ErrorCode.NONE, protocolType: this.protocolType, protocolName: this.protocolName, assignment: member.assignment })
      default:
        return fail(ErrorCode.UNKNOWN_MEMBER_ID)
    }
  }

  // ---- Heartbeat, LeaveGroup, time ---------------------------------------------------------

  heartbeat(req: { memberId: string; generationId: number; groupInstanceId: string | null }, nowMs: number): number {
    if (this.state === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE
    const invalid = this.memberError(req.memberId, req.groupInstanceId)
    if (invalid !== ErrorCode.NONE) return invalid
    if (req.generationId !== this.generationId) return ErrorCode.ILLEGAL_GENERATION
    this.members.get(req.memberId)!.lastHeartbeatMs = nowMs
    if (this.state === 'PreparingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS
    return ErrorCode.NONE
  }

  /**
   * Members leave; returns each one's error code. A member named by group.instance.id alone (an
   * empty member id: an admin removing a static member) is looked up by it; otherwise the member
   * is checked as any request's (`memberError`).
   */
  leave(members: { memberId: string; groupInstanceId: string | null }[], nowMs: number): number[] {
    let left = false
    let pendingLeft = false
    const codes = members.map((who) => {
      let memberId = who.memberId
      if (memberId === '') {
        const current = who.groupInstanceId === null ? undefined : this.staticMembers.get(who.groupInstanceId)
        if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
        memberId = current
      } else if (this.pendingMembers.delete(memberId)) {
        pendingLeft = true
        return ErrorCode.NONE
      } else {
        const invalid = this.memberError(memberId, who.groupInstanceId)
        if (invalid !== ErrorCode.NONE) return invalid
      }
      this.removeMember(memberId)
      left = true
      return ErrorCode.NONE
    })
    if (left) this.afterMembershipLoss(nowMs)
    // A join phase may have been waiting only for that pending member.
    else if (pendingLeft) this.maybeCompleteJoin(nowMs)
    return codes
  }

  /**
   * Who may speak for a member (Kafka's validateCurrentMember): a request that names a
   * group.instance.id is checked against the member id that holds the instance now, before the
   * member id itself. A member replaced by a newer incarnation of its instance thus gets
   * FENCED_INSTANCE_ID and stops; UNKNOWN_MEMBER_ID would make it rejoin, replace its
   * replacement, and so on without end.
   */
  memberError(memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const current = this.staticMembers.get(groupInstanceId)
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
      return current === memberId ? ErrorCode.NONE : ErrorCode.FENCED_INSTANCE_ID
    }
    return this.members.has(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID
  }

  /** Expires members whose session ran out, and ends a join phase whose time is up. */
  tick(nowMs: number): void {
    for (const [memberId, deadline] of this.pendingMembers) if (nowMs > deadline) this.pendingMembers.delete(memberId)
    let expired = false
    for (const m of [...this.members.values()]) {
      // A member waiting in a JoinGroup is alive (its request is its heartbeat).
      if (m.awaitingJoin) continue
      if (nowMs - m.lastHeartbeatMs > m.sessionTimeoutMs) {
        this.removeMember(m.memberId)
        expired = true
      }
    }
    if (expired) this.afterMembershipLoss(nowMs)
    else this.maybeCompleteJoin(nowMs)
  }

  private afterMembershipLoss(nowMs: number): void {
    if (this.state === 'Stable' || this.state === 'CompletingRebalance') {
      if (this.members.size === 0) {
        this.state = 'Empty'
        this.generationId++
        this.leaderId = null
        this.protocolName = null
        this.opts.onStable?.(this)
      } else this.prepareRebalance(nowMs)
    } else if (this.state === 'PreparingRebalance') {
      this.maybeCompleteJoin(nowMs)
    }
  }

  private removeMember(memberId: string): void {
    const m = this.members.get(memberId)
    if (!m) return
    this.members.delete(memberId)
    if (m.groupInstanceId !== null && this.staticMembers.get(m.groupInstanceId) === memberId) this.staticMembers.delete(m.groupInstanceId)
    m.awaitingJoin?.({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [] })
    m.awaitingSync?.({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, protocolType: null, protocolName: null, assignment: EMPTY })
    if (this.leaderId === memberId) this.leaderId = null
  }

  /** The group is being unloaded (its coordinator moved) or deleted: pending requests are told. */
  markDead(errorCode: number = ErrorCode.COORDINATOR_NOT_AVAILABLE): void {
    this.state = 'Dead'
    for (const m of this.members.values()) {
      m.awaitingJoin?.({ errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId: m.memberId, members: [] })
      m.awaitingSync?.({ errorCode, protocolType: null, protocolName: null, assignment: EMPTY })
      m.awaitingJoin = null
      m.awaitingSync = null
    }
  }

  // ---- persistence -------------------------------------------------------------------------

  snapshot(): GroupSnapshot {
    return {
      groupId: this.groupId,
      state: this.state,
      generationId: this.generationId,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      leaderId: this.leaderId,
      members: [...this.members.values()].map((m) => ({
        ...memberIdentity(m),
        protocols: m.protocols.map((p) => ({ name: p.name, metadata: p.metadata.toString('base64') })),
        assignment: m.assignment.toString('base64'),
      })),
    }
  }

  /** Restores a group loaded from __consumer_offsets: members must heartbeat within their session. */
  static restore(s: GroupSnapshot, opts: GroupOptions, nowMs: number): Group {
    const g = new Group(s.groupId, opts)
    g.generationId = s.generationId
    g.protocolType = s.protocolType
    g.protocolName = s.protocolName
    g.leaderId = s.leaderId
    for (const m of s.members) {
      g.members.set(m.memberId, {
        ...memberIdentity(m),
        protocolType: s.protocolType ?? '',
        protocols: m.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata, 'base64') })),
        assignment: Buffer.from(m.assignment, 'base64'),
        lastHeartbeatMs: nowMs,
        awaitingJoin: null,
        awaitingSync: null,
      })
      if (m.groupInstanceId !== null) g.staticMembers.set(m.groupInstanceId, m.memberId)
    }
    g.state = g.members.size > 0 ? 'Stable' : 'Empty'
    return g
  }
}

function sameProtocols(a: Protocol[], b: Protocol[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i]!.name && p.metadata.equals(b[i]!.metadata))
}
