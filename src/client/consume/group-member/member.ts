/**
 * One member of a classic consumer group, as Kafka's own consumer drives it (AbstractCoordinator
 * and ConsumerCoordinator in the Java client, rdkafka_cgrp.c in librdkafka): a pure state machine.
 * Inputs are responses, request failures and the clock; `next(nowMs)` says what to do now (a
 * request, a callback to the host, or nothing until a time). The driver (driver.ts) does the I/O.
 *
 *   find ──FindCoordinator──▶ join ──JoinGroup──▶ (leader: metadata ──▶) sync ──SyncGroup──▶ stable
 *                               ▲  MEMBER_ID_REQUIRED: again with the given id        │ Heartbeat
 *                               └── REBALANCE_IN_PROGRESS (same id) / ILLEGAL_GENERATION, ┘ every
 *                                   UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID (id dropped)  session/3
 *
 * - Before a rejoin, a member holding an assignment first asks the host to revoke it (`revoke`:
 *   stop fetching, commit what stdout took, with the generation still current), then joins.
 * - Losing the coordinator (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE,
 *   COORDINATOR_LOAD_IN_PROGRESS, a timeout, a closed connection), from any request including
 *   the host's commits: look it up again with backoff. Found again: a stable member whose session
 *   cannot have expired yet carries on heartbeating (the new coordinator loaded the group from
 *   __consumer_offsets); otherwise it rejoins (same member id: the coordinator says if it forgot it).
 * - The leader reads the subscribed topics' metadata again every `metadataMaxAgeMs` (Kafka's
 *   metadata.max.age.ms) while stable; a partition count unlike the one it assigned with (a topic
 *   grew) makes it rejoin, so the group rebalances onto the new partitions, as Kafka's
 *   ConsumerCoordinator does when its cached metadata changed.
 * - Trouble (no coordinator, or joins that keep failing) for longer than `retryWindowMs`, or an
 *   error no retry can cure (INVALID_SESSION_TIMEOUT, INCONSISTENT_GROUP_PROTOCOL...): `failed`.
 *
 * Responses are matched to the request they answer: one that arrives after the member moved on
 * (its coordinator was lost meanwhile) is ignored.
 */
import { ErrorCode, errorName } from '../../../protocol/errors.js'
import { ASSIGNOR_NAMES, assignorFor } from './assignors.js'
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription, type TopicPartitions } from './consumer-protocol.js'
import type { FoundCoordinator, JoinResult, SyncResult } from './apis.js'

export interface MemberOptions {
  groupId: string
  topics: string[]
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  /** Default: a third of the session timeout, as Kafka advises. */
  heartbeatIntervalMs?: number
  /** How long the member may be without a coordinator (or failing to join) before it gives up. */
  retryWindowMs?: number
  backoffMsMin?: number
  backoffMsMax?: number
  /** How often a stable leader checks the subscribed topics' partition counts (Kafka's metadata.max.age.ms: 5 min). */
  metadataMaxAgeMs?: number
}

export interface Coordinator {
  nodeId: number
  host: string
  port: number
}

export interface MemberFailure {
  /** The Kafka error code, when the failure is one. */
  errorCode?: number
  /** The request error (network, timeout), when the failure is one. */
  cause?: unknown
  message: string
}

interface Pending {
  readonly id: number
}
export type FindStep = Pending & { kind: 'findCoordinator' }
export type JoinStep = Pending & {
  kind: 'join'
  coordinator: Coordinator
  request: { groupId: string; sessionTimeoutMs: number; rebalanceTimeoutMs: number; memberId: string; protocols: { name: string; metadata: Buffer }[] }
}
/** The leader's metadata: to assign (`assign`), or to see whether the topics it assigned changed (`check`). */
export type MetadataStep = Pending & { kind: 'metadata'; purpose: 'assign' | 'check'; topics: string[] }
export type SyncStep = Pending & {
  kind: 'sync'
  coordinator: Coordinator
  request: { groupId: string; generationId: number; memberId: string; assignments: { memberId: string; assignment: Buffer }[] }
}
export type HeartbeatStep = Pending & { kind: 'heartbeat'; coordinator: Coordinator; request: { groupId: string; generationId: number; memberId: string } }
export type RevokeStep = Pending & { kind: 'revoke'; partitions: TopicPartitions[] }
export type AssignedStep = Pending & { kind: 'assigned'; generationId: number; partitions: TopicPartitions[] }
export type RequestStep = FindStep | JoinStep | MetadataStep | SyncStep | HeartbeatStep
export type Step =
  | RequestStep
  | RevokeStep
  | AssignedStep
  | { kind: 'wait'; untilMs: number }
  | { kind: 'failed'; failure: MemberFailure }
  | { kind: 'stopped' }

type Phase = 'find' | 'join' | 'metadata' | 'sync' | 'stable' | 'failed' | 'stopped'

export interface CommitContext {
  coordinator: Coordinator
  generationId: number
  memberId: string
}

const RETRY_WINDOW_MS = 30_000
const BACKOFF_MS_MIN = 100
/** Short enough to find a new coordinator well within a short session. */
const BACKOFF_MS_MAX = 1_000
/** Kafka's metadata.max.age.ms default. */
export const METADATA_MAX_AGE_MS = 300_000

const COORDINATOR_LOST = new Set<number>([
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.NETWORK_EXCEPTION,
])
const MEMBERSHIP_LOST = new Set<number>([ErrorCode.ILLEGAL_GENERATION, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_INSTANCE_ID])
/** No retry cures these: the member fails. */
const FATAL = new Set<number>([
  ErrorCode.INVALID_SESSION_TIMEOUT,
  ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
  ErrorCode.INVALID_GROUP_ID,
  ErrorCode.GROUP_AUTHORIZATION_FAILED,
  ErrorCode.GROUP_MAX_SIZE_REACHED,
  ErrorCode.UNSUPPORTED_VERSION,
])

export class GroupMember {
  private phase: Phase = 'find'
  private coordinator: Coordinator | null = null
  memberId = ''
  generationId = -1
  protocolName: string | null = null
  /** The partitions the host reads (delivered with `assigned`), until revoked. */
  private owned: TopicPartitions[] | null = null
  private toDeliver: TopicPartitions[] | null = null
  private revoking = false
  /** The leader's view of the members, between JoinGroup and SyncGroup. */
  private leaderOf: { memberId: string; topics: string[] }[] = []
  private assignments: { memberId: string; assignment: Buffer }[] = []
  /** As leader: the partition counts this generation was assigned with; null when not the leader. */
  private assignedCounts: ReadonlyMap<string, number> | null = null
  private nextMetadataCheckMs = Number.POSITIVE_INFINITY
  /** After the coordinator is found again: carry on heartbeating, or rejoin. */
  private resume: 'heartbeat' | 'join' = 'join'
  private pending: Pending | null = null
  private nextId = 1
  private notBeforeMs = 0
  private failures = 0
  private troubleSinceMs: number | undefined
  private lastError: MemberFailure | undefined
  private failure: MemberFailure | undefined
  private lastHeartbeatOkMs = 0
  private nextHeartbeatMs = 0
  /** Human notes for stderr (the driver drains them). */
  readonly notes: string[] = []
  private readonly heartbeatIntervalMs: number
  private readonly retryWindowMs: number
  private readonly backoffMsMin: number
  private readonly backoffMsMax: number
  private readonly metadataMaxAgeMs: number

  constructor(private readonly opts: MemberOptions) {
    this.heartbeatIntervalMs = opts.heartbeatIntervalMs ?? Math.max(100, Math.floor(opts.sessionTimeoutMs / 3))
    this.retryWindowMs = opts.retryWindowMs ?? RETRY_WINDOW_MS
    this.backoffMsMin = opts.backoffMsMin ?? BACKOFF_MS_MIN
    this.backoffMsMax = opts.backoffMsMax ?? BACKOFF_MS_MAX
    this.metadataMaxAgeMs = opts.metadataMaxAgeMs ?? METADATA_MAX_AGE_MS
  }

  get state(): Phase {
    return this.phase
  }

  /** What to do now. A request step is outstanding until its answer (or failure) is given back. */
  next(nowMs: number): Step {
    if (this.phase === 'failed') return { kind: 'failed', failure: this.failure! }
    if (this.phase === 'stopped') return { kind: 'stopped' }
    if (this.troubleSinceMs !== undefined && nowMs - this.troubleSinceMs > this.retryWindowMs) {
      const last = this.lastError ?? { message: 'no answer' }
      return this.fail({ ...last, message: `no working coordinator for group "${this.opts.groupId}" for ${Math.round((nowMs - this.troubleSinceMs) / 1000)} s: ${last.message}` })
    }
    if (this.pending || this.revoking) return { kind: 'wait', untilMs: Number.POSITIVE_INFINITY }
    // A rejoin waits for the host to give up what it reads.
    if (this.owned !== null && this.rejoining()) {
      this.revoking = true
      return { kind: 'revoke', id: 0, partitions: this.owned }
    }
    if (nowMs < this.notBeforeMs) return { kind: 'wait', untilMs: this.notBeforeMs }
    const { groupId } = this.opts
    switch (this.phase) {
      case 'find':
        return this.issue({ kind: 'findCoordinator' })
      case 'join':
        return this.issue({
          kind: 'join',
          coordinator: this.coordinator!,
          request: {
            groupId,
            sessionTimeoutMs: this.opts.sessionTimeoutMs,
            rebalanceTimeoutMs: this.opts.rebalanceTimeoutMs,
            memberId: this.memberId,
            protocols: ASSIGNOR_NAMES.map((name) => ({ name, metadata: encodeSubscription(this.opts.topics) })),
          },
        })
      case 'metadata':
        return this.issue({ kind: 'metadata', purpose: 'assign', topics: this.groupTopics() })
      case 'sync':
        return this.issue({
          kind: 'sync',
          coordinator: this.coordinator!,
          request: { groupId, generationId: this.generationId, memberId: this.memberId, assignments: this.assignments },
        })
      case 'stable':
        if (this.toDeliver !== null) {
          const partitions = this.toDeliver
          this.toDeliver = null
          this.owned = partitions
          return { kind: 'assigned', id: 0, generationId: this.generationId, partitions }
        }
        if (this.assignedCounts !== null && nowMs >= this.nextMetadataCheckMs && nowMs < this.nextHeartbeatMs) {
          return this.issue({ kind: 'metadata', purpose: 'check', topics: this.groupTopics() })
        }
        if (nowMs < this.nextHeartbeatMs) return { kind: 'wait', untilMs: Math.min(this.nextHeartbeatMs, this.assignedCounts !== null ? this.nextMetadataCheckMs : Number.POSITIVE_INFINITY) }
        return this.issue({
          kind: 'heartbeat',
          coordinator: this.coordinator!,
          request: { groupId, generationId: this.generationId, memberId: this.memberId },
        })
    }
  }

  // ---- answers ----------------------------------------------------------------------------------

  onFindCoordinator(step: FindStep, found: FoundCoordinator, nowMs: number): void {
    if (!this.accept(step)) return
    if (found.errorCode !== ErrorCode.NONE || found.nodeId < 0) {
      this.retryLater(nowMs, { errorCode: found.errorCode, message: `FindCoordinator: ${errorName(found.errorCode)}` })
      return
    }
    this.coordinator = { nodeId: found.nodeId, host: found.host, port: found.port }
    // The backoff keeps growing until a request to it works: a coordinator that is dead but not
    // yet fenced is named again and again until the controller moves its partition.
    this.notBeforeMs = 0
    const sessionAlive = nowMs - this.lastHeartbeatOkMs < this.opts.sessionTimeoutMs
    if (this.resume === 'heartbeat' && sessionAlive && this.generationId >= 0) {
      this.phase = 'stable'
      this.nextHeartbeatMs = nowMs // at once: the new coordinator says whether we are still members
    } else {
      this.phase = 'join'
    }
  }

  onJoin(step: JoinStep, r: JoinResult, nowMs: number): void {
    if (!this.accept(step)) return
    if (r.errorCode === ErrorCode.NONE) {
      this.memberId = r.memberId
      this.generationId = r.generationId
      this.protocolName = r.protocolName
      this.assignedCounts = null
      if (r.leader === r.memberId) {
        this.leaderOf = r.members.map((m) => ({ memberId: m.memberId, topics: subscribedTopics(m.metadata) }))
        this.phase = 'metadata'
      } else {
        this.assignments = []
        this.phase = 'sync'
      }
      return
    }
    if (r.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
      // KIP-394: the coordinator named us; join again with that id, at once.
      this.memberId = r.memberId
      return
    }
    this.onGroupError(r.errorCode, 'JoinGroup', nowMs)
  }

  /** The leader's metadata: partition counts of the subscribed topics (absent: unknown topic). */
  onMetadata(step: MetadataStep, partitionCounts: ReadonlyMap<string, number>, nowMs = 0): void {
    if (!this.accept(step)) return
    if (step.purpose === 'check') {
      const changed = step.topics.filter((t) => partitionCounts.get(t) !== this.assignedCounts?.get(t))
      if (changed.length === 0) {
        this.nextMetadataCheckMs = nowMs + this.metadataMaxAgeMs
        return
      }
      const what = changed.map((t) => `${t} has ${partitionCounts.get(t) ?? 'no'} partitions (assigned with ${this.assignedCounts?.get(t) ?? 'none'})`).join(', ')
      this.notes.push(`${what}: rebalancing group ${this.opts.groupId}`)
      this.rejoin(false)
      return
    }
    const assignor = assignorFor(this.protocolName ?? '')
    if (!assignor) {
      this.fail({ message: `the group chose assignment protocol "${this.protocolName}", which sluice does not implement` })
      return
    }
    const result = assignor(this.leaderOf, partitionCounts)
    this.assignedCounts = new Map(partitionCounts)
    this.assignments = this.leaderOf.map((m) => ({ memberId: m.memberId, assignment: encodeAssignment(result.get(m.memberId) ?? []) }))
    this.phase = 'sync'
  }

  onSync(step: SyncStep, r: SyncResult, nowMs: number): void {
    if (!this.accept(step)) return
    if (r.errorCode !== ErrorCode.NONE) {
      this.onGroupError(r.errorCode, 'SyncGroup', nowMs)
      return
    }
    let partitions: TopicPartitions[]
    try {
      partitions = decodeAssignment(r.assignment).partitions
    } catch (err) {
      this.fail({ cause: err, message: `the group leader sent an assignment sluice cannot read: ${err instanceof Error ? err.message : String(err)}` })
      return
    }
    this.toDeliver = partitions.filter((tp) => this.opts.topics.includes(tp.topic))
    this.phase = 'stable'
    this.nextMetadataCheckMs = nowMs + this.metadataMaxAgeMs
    this.healthy(nowMs)
    this.lastHeartbeatOkMs = nowMs
    this.nextHeartbeatMs = nowMs + this.heartbeatIntervalMs
  }

  onHeartbeat(step: HeartbeatStep, errorCode: number, nowMs: number): void {
    if (!this.accept(step)) return
    if (errorCode === ErrorCode.NONE) {
      this.healthy(nowMs)
      this.lastHeartbeatOkMs = nowMs
      this.nextHeartbeatMs = nowMs + this.heartbeatIntervalMs
      return
    }
    this.onGroupError(errorCode, 'Heartbeat', nowMs)
  }

  /** A request failed without an answer (closed connection, timeout): the coordinator is lost. */
  onRequestFailed(step: RequestStep, err: unknown, nowMs: number): void {
    if (!this.accept(step)) return
    const message = err instanceof Error ? err.message : String(err)
    if (step.kind === 'metadata' && step.purpose === 'check') {
      // The assignment stands; the next check may read it.
      this.nextMetadataCheckMs = nowMs + this.metadataMaxAgeMs
      return
    }
    if (step.kind === 'metadata') {
      // The leader could not read the metadata: join again (a new generation), after a backoff.
      this.retryLater(nowMs, { cause: err, message: `reading the metadata: ${message}` })
      this.phase = 'join'
      return
    }
    this.loseCoordinator(nowMs, { cause: err, message })
  }

  /** The host has stopped reading the revoked partitions (and committed what it could). */
  onRevoked(): void {
    this.revoking = false
    this.owned = null
  }

  // ---- the host's commits ------------------------------------------------------------------------

  /** Who to commit as, or null when there is no coordinator or generation to commit with. */
  commitContext(): CommitContext | null {
    if (this.coordinator === null || this.generationId < 0 || this.memberId === '' || this.phase === 'failed' || this.phase === 'stopped') return null
    return { coordinator: this.coordinator, generationId: this.generationId, memberId: this.memberId }
  }

  /** An OffsetCommit's first error code (or its request failure), sent with `ctx`. */
  onCommitFailed(ctx: CommitContext, failure: { errorCode?: number; cause?: unknown }, nowMs: number): void {
    // Only about the membership we still have: an answer about an older one changes nothing.
    if (ctx.generationId !== this.generationId || ctx.memberId !== this.memberId || ctx.coordinator !== this.coordinator) return
    if (this.phase === 'failed' || this.phase === 'stopped') return
    if (failure.errorCode === undefined) {
      this.loseCoordinator(nowMs, { cause: failure.cause, message: failure.cause instanceof Error ? failure.cause.message : String(failure.cause) })
      return
    }
    const code = failure.errorCode
    if (COORDINATOR_LOST.has(code) || MEMBERSHIP_LOST.has(code)) this.onGroupError(code, 'OffsetCommit', nowMs)
    else if (code === ErrorCode.REBALANCE_IN_PROGRESS && this.phase === 'stable') this.rejoin(false)
  }

  /** A coordinator request of the host (OffsetFetch) failed this way. */
  onCoordinatorError(failure: { errorCode?: number; cause?: unknown }, nowMs: number): void {
    const ctx = this.commitContext()
    if (ctx) this.onCommitFailed(ctx, failure, nowMs)
  }

  /** A clean stop: what LeaveGroup needs (null: nothing to leave). */
  stop(): { coordinator: Coordinator; memberId: string } | null {
    const leave = this.coordinator !== null && this.memberId !== '' && this.phase !== 'failed' ? { coordinator: this.coordinator, memberId: this.memberId } : null
    if (this.phase !== 'failed') this.phase = 'stopped'
    this.pending = null
    return leave
  }

  // ---- transitions --------------------------------------------------------------------------------

  /** Every topic a member of the group subscribes to (the leader's view), sorted. */
  private groupTopics(): string[] {
    return [...new Set(this.leaderOf.flatMap((m) => m.topics))].sort()
  }

  private issue<T extends Omit<Step & Pending, 'id'>>(step: T): T & Pending {
    const s = { ...step, id: this.nextId++ } as T & Pending
    this.pending = s
    return s
  }

  /** True when `step` is the request outstanding (and clears it); false for a stale answer. */
  private accept(step: Pending): boolean {
    if (this.pending === null || this.pending.id !== step.id || this.phase === 'failed' || this.phase === 'stopped') return false
    this.pending = null
    return true
  }

  private onGroupError(code: number, api: string, nowMs: number): void {
    const failure = { errorCode: code, message: `${api}: ${errorName(code)}` }
    if (FATAL.has(code)) {
      this.fail(failure)
    } else if (COORDINATOR_LOST.has(code)) {
      this.loseCoordinator(nowMs, failure)
    } else if (code === ErrorCode.REBALANCE_IN_PROGRESS) {
      // A sync that lost the race to a newer rebalance, or the heartbeat that announces one.
      this.rejoin(false)
    } else if (MEMBERSHIP_LOST.has(code)) {
      this.rejoin(true)
    } else {
      // Anything else (UNKNOWN_SERVER_ERROR...): join again after a backoff.
      this.retryLater(nowMs, failure)
      this.rejoin(false)
    }
  }

  private rejoin(dropMemberId: boolean): void {
    if (dropMemberId) {
      this.memberId = ''
      this.generationId = -1
    }
    this.toDeliver = null
    this.pending = null
    if (this.phase !== 'find') this.phase = 'join'
    else this.resume = 'join'
  }

  /** About to (re)join: what the host reads must be revoked first. */
  private rejoining(): boolean {
    return this.phase === 'join' || this.phase === 'metadata' || this.phase === 'sync' || (this.phase === 'find' && this.resume === 'join')
  }

  private loseCoordinator(nowMs: number, why: MemberFailure): void {
    // One note per outage, not one per failed attempt.
    if (this.coordinator !== null && this.troubleSinceMs === undefined) this.notes.push(`lost the coordinator of group ${this.opts.groupId} (${why.message}); finding it again`)
    if (this.phase !== 'find') this.resume = this.phase === 'stable' && this.toDeliver === null ? 'heartbeat' : 'join'
    // An assignment not handed to the host yet came from a generation it may never hear of again.
    this.toDeliver = null
    this.coordinator = null
    this.pending = null
    this.phase = 'find'
    this.retryLater(nowMs, why)
  }

  private retryLater(nowMs: number, why: MemberFailure): void {
    this.lastError = why
    this.troubleSinceMs ??= nowMs
    this.failures++
    this.notBeforeMs = nowMs + Math.min(this.backoffMsMin * 2 ** (this.failures - 1), this.backoffMsMax)
  }

  private healthy(nowMs: number): void {
    void nowMs
    this.troubleSinceMs = undefined
    this.lastError = undefined
    this.failures = 0
  }

  private fail(failure: MemberFailure): Step {
    this.failure = failure
    this.phase = 'failed'
    this.pending = null
    return { kind: 'failed', failure }
  }
}

/** The topics a member's JoinGroup metadata subscribes to (none when it cannot be read). */
function subscribedTopics(metadata: Buffer): string[] {
  try {
    return decodeSubscription(metadata).topics
  } catch {
    return []
  }
}
