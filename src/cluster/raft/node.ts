/**
 * A KRaft replica (KIP-595 with KIP-630 snapshots and KIP-996 pre-vote): a voter, or an observer
 * (a replica outside the voter set that only fetches). Pure and deterministic: messages leave
 * through `send` and come in through `receive`, time only through the Scheduler, randomness
 * (election timeouts, backoffs) only through the seeded Rng, and durable state only through the
 * RaftLogStore.
 *
 * The ordering contract, "persist before you send": every store write and every outgoing message
 * goes through one queue (`io`), so a message leaves only once every write queued before it is
 * durable. So a vote, an epoch or a leader is durable before anyone hears of it, and a follower's
 * next Fetch (whose offset acknowledges what it appended) leaves only once that append is durable.
 *
 * Replication is KRaft's pull model: a follower fetches from the leader with its log end and the
 * epoch of its last entry; the leader answers with entries, or with the diverging epoch and where
 * it ends (the follower truncates there), or with its snapshot id when the follower is behind its
 * log start (the follower fetches the snapshot). The leader's high watermark: leader-state.ts.
 *
 * A leader no majority fetched from for 1.5 fetch timeouts resigns (KRaft's check-quorum).
 *
 * Fetches are long-polled when `fetchMaxWaitMs` is set (KRaft's Fetch max_wait_ms): a leader
 * with nothing new for a follower (no entries past its offset, no high watermark it was not told)
 * holds the Fetch until it has, or until the wait runs out, and the follower fetches again at
 * once; so an append commits within a few message hops. Without it an empty answer makes the
 * follower wait `fetchIntervalMs` before the next Fetch.
 *
 * Not done: voter set changes (KIP-853).
 */
import type { Rng } from '../rng.js'
import type { Scheduler } from '../scheduler.js'
import { LeaderState } from './leader-state.js'
import type { RaftLogEntry, RaftLogStore, RaftSnapshotRecord } from './log-store.js'
import type { FetchRequest, FetchResponse, FetchSnapshotRequest, RaftMessage, VoteRequest } from './messages.js'
import * as q from './quorum-state.js'
import { RaftLog } from './raft-log.js'

export interface RaftNodeOptions {
  id: number
  voters: readonly number[]
  store: RaftLogStore
  scheduler: Scheduler
  rng: Rng
  send: (msg: RaftMessage) => void
  /** Committed data entries, in offset order, each once per incarnation (LeaderChange entries are not passed). */
  onCommitted?: (entries: RaftLogEntry[]) => void
  /** The state machine is replaced by a snapshot (at start, or fetched from the leader). */
  onSnapshotLoaded?: (snapshot: RaftSnapshotRecord) => void
  /** The replica's quorum state changed (role, epoch, vote or leader): for watching, not for acting on the replica. */
  onStateChanged?: (prev: Readonly<q.QuorumState>, next: Readonly<q.QuorumState>) => void
  /** quorum.election.timeout.ms: a timeout is drawn in [this, 2 × this). */
  electionTimeoutMs?: number
  /** quorum.fetch.timeout.ms: a follower that hears nothing from its leader this long campaigns. */
  fetchTimeoutMs?: number
  /** quorum.election.backoff.max.ms: the most a failed election waits before the next. */
  electionBackoffMaxMs?: number
  /** quorum.request.timeout.ms: an unanswered Fetch or BeginQuorumEpoch is sent again after this. */
  requestTimeoutMs?: number
  /** How long a follower waits after an empty fetch answer (without long polls). */
  fetchIntervalMs?: number
  /** fetch.max.wait.ms: how long a leader holds a Fetch it has nothing new for; 0: answers at once. Below `requestTimeoutMs`. */
  fetchMaxWaitMs?: number
  fetchMaxEntries?: number
}

export type ProposeResult = { offset: number } | { error: 'NOT_LEADER'; leaderId: number | null }

/** The LeaderChange control entry a leader appends first in its epoch; data entries are never empty. */
export const isControlEntry = (e: RaftLogEntry): boolean => e.value.length === 0

export class RaftNode {
  private s: q.QuorumState
  private readonly log: RaftLog
  private hw: number
  /** Next offset to hand to onCommitted. */
  private applied: number
  private leaderState: LeaderState | null = null
  private votes = new Set<number>()
  private io: Promise<void> = Promise.resolve()
  private stopped = false
  /** Why the replica stopped on its own (a store write failed); undefined while healthy. A broken invariant throws from `receive` instead. */
  failure: unknown = undefined
  private roleTimer: (() => void) | null = null
  private fetchTimer: (() => void) | null = null
  private fetchSeq = 0
  private lastLeaderContactMs = -Infinity
  /** A leader's long-polled Fetches, by follower (a follower has one outstanding: a newer replaces it). */
  private readonly parked = new Map<number, { msg: FetchRequest; cancel: () => void }>()
  /** The high watermark each follower was last told, while leading (a Fetch is held only if it is current). */
  private readonly hwTold = new Map<number, number>()
  private readonly o: Required<Omit<RaftNodeOptions, 'onCommitted' | 'onSnapshotLoaded' | 'onStateChanged'>> &
    Pick<RaftNodeOptions, 'onCommitted' | 'onSnapshotLoaded' | 'onStateChanged'>

  /** Opens the store and starts the replica from what it holds. */
  static async start(options: RaftNodeOptions): Promise<RaftNode> {
    const { quorum, snapshot, entries } = await options.store.open()
    const node = new RaftNode(options, q.restoredState(options.id, quorum), new RaftLog(snapshot, entries))
    if (snapshot) options.onSnapshotLoaded?.(snapshot)
    node.enter()
    return node
  }

  private constructor(options: RaftNodeOptions, state: q.QuorumState, log: RaftLog) {
    this.o = {
      electionTimeoutMs: 1000,
      fetchTimeoutMs: 2000,
      electionBackoffMaxMs: 1000,
      requestTimeoutMs: 2000,
      fetchIntervalMs: 50,
      fetchMaxWaitMs: 0,
      fetchMaxEntries: 100,
      ...options,
    }
    this.s = state
    this.log = log
    this.hw = log.startOffset
    this.applied = log.startOffset
  }

  get id(): number {
    return this.o.id
  }
  get state(): Readonly<q.QuorumState> {
    return this.s
  }
  get highWatermark(): number {
    return this.hw
  }
  get logStartOffset(): number {
    return this.log.startOffset
  }
  get logEndOffset(): number {
    return this.log.endOffset
  }
  entryAt(offset: number): RaftLogEntry | undefined {
    return this.log.entryAt(offset)
  }
  /** The epoch of the entry at `offset`; for the offset just below the log start, the snapshot's. */
  epochAt(offset: number): number | undefined {
    return this.log.epochAt(offset)
  }
  private get isVoter(): boolean {
    return this.o.voters.includes(this.o.id)
  }

  /** Appends values on the leader; they are committed once a majority has them durable. */
  propose(values: readonly Uint8Array[]): ProposeResult {
    if (this.s.role !== 'leader' || !this.leaderState || this.stopped) return { error: 'NOT_LEADER', leaderId: this.s.leaderId }
    for (const v of values) if (v.length === 0) throw new Error('raft: an empty value is the LeaderChange control entry')
    const first = this.log.endOffset
    this.appendAsLeader(values.map((value, i) => ({ offset: first + i, epoch: this.s.epoch, value })))
    return { offset: first }
  }

  /**
   * The state machine's snapshot of every entry below `offset` (already handed to it: committed).
   * Entries below it leave the log. False when the offset is not a new committed point.
   */
  snapshot(offset: number, data: Uint8Array): boolean {
    if (this.stopped || offset > this.applied || offset <= this.log.startOffset) return false
    const epoch = this.log.epochAt(offset - 1)
    if (epoch === undefined) return false
    const snap = { offset, epoch, data }
    this.log.compactTo(snap)
    this.write(() => this.o.store.saveSnapshot(snap))
    return true
  }

  /**
   * Campaigns now rather than when an election timeout fires (a pre-vote first, so voters that
   * hear from a live leader refuse it and nothing is disrupted). For voters that start together:
   * one of them starts the first election at once instead of every one waiting out a timeout.
   */
  campaign(): void {
    const role = this.s.role
    if (this.stopped || !this.isVoter || role === 'leader' || role === 'candidate' || role === 'prospective') return
    this.become(q.prospective(this.s))
  }

  /** A leader's graceful step down: voters are told, so that one of them campaigns at once. */
  resign(): void {
    if (this.s.role !== 'leader' || !this.leaderState) return
    const successors = this.leaderState.votersByEndOffset()
    for (const to of successors) {
      this.send({ type: 'EndQuorumEpoch', from: this.o.id, to, epoch: this.s.epoch, leaderId: this.o.id, preferredSuccessors: successors })
    }
    this.become(q.resigned(this.s))
  }

  /** Stops every timer and every pending send: the process is gone (a crash or a shutdown). */
  stop(): void {
    this.stopped = true
    this.cancelTimers()
    this.unparkAll(false)
  }

  receive(msg: RaftMessage): void {
    if (this.stopped) return
    switch (msg.type) {
      case 'Vote':
        return this.onVote(msg)
      case 'VoteResponse':
        if (this.observeEpoch(msg.epoch, msg.leaderId)) return
        return this.onVoteResponse(msg.from, msg.preVote, msg.requestEpoch, msg.granted)
      case 'BeginQuorumEpoch':
        return this.onBeginQuorumEpoch(msg.from, msg.epoch, msg.leaderId)
      case 'BeginQuorumEpochResponse':
        this.observeEpoch(msg.epoch, null)
        return
      case 'EndQuorumEpoch':
        return this.onEndQuorumEpoch(msg.epoch, msg.leaderId, msg.preferredSuccessors)
      case 'Fetch':
        return this.onFetch(msg)
      case 'FetchResponse':
        return this.onFetchResponse(msg)
      case 'FetchSnapshot':
        return this.onFetchSnapshot(msg)
      case 'FetchSnapshotResponse':
        if (this.observeEpoch(msg.epoch, msg.leaderId)) return
        return this.onSnapshotFetched(msg.from, msg.epoch, msg.snapshot)
    }
  }

  // ---- state transitions ----

  private become(next: q.QuorumState): void {
    const prev = this.s
    this.cancelTimers()
    this.leaderState = null
    this.unparkAll(false)
    this.hwTold.clear()
    this.s = next
    // Only contact with this epoch's leader counts as a sign of its life (KIP-996).
    if (prev.epoch !== next.epoch || prev.leaderId !== next.leaderId) this.lastLeaderContactMs = -Infinity
    if (prev.epoch !== next.epoch || prev.votedFor !== next.votedFor || prev.leaderId !== next.leaderId) {
      const record = q.toRecord(next)
      this.write(() => this.o.store.saveQuorumState(record))
    }
    // Before enter(), which may move on at once (a lone voter's candidacy wins): told in order.
    this.o.onStateChanged?.(prev, next)
    this.enter()
  }

  private enter(): void {
    const s = this.s
    switch (s.role) {
      case 'unattached':
      case 'resigned':
        if (this.isVoter) this.setRoleTimer(this.electionTimeout(), () => this.become(q.prospective(this.s)))
        else this.sendFetch()
        return
      case 'follower':
        this.armFetchTimeout()
        this.sendFetch()
        return
      case 'prospective':
      case 'candidate':
        return this.startElection()
      case 'leader':
        return this.startLeading()
    }
  }

  /** A message from `epoch` with its leader: a higher epoch moves this replica there. True when the message is stale. */
  private observeEpoch(epoch: number, leaderId: number | null): boolean {
    const s = this.s
    if (epoch < s.epoch) return true
    const knownLeader = leaderId !== null && leaderId !== this.o.id
    if (epoch > s.epoch) this.become(knownLeader ? q.follower(s, epoch, leaderId) : q.unattached(epoch))
    else if (knownLeader && s.role !== 'leader' && s.role !== 'follower' && (s.leaderId === null || s.leaderId === leaderId)) {
      // A prospective voter told that its old leader is still alive follows it again: pre-votes
      // are refused while the leader lives, so waiting for them would wait for ever.
      this.become(q.follower(s, epoch, leaderId))
    }
    return false
  }

  // ---- elections ----

  private startElection(): void {
    const s = this.s
    this.votes = new Set([this.o.id])
    if (this.hasMajority(this.votes)) return this.electionWon()
    const last = this.log.lastOffsetAndEpoch()
    const preVote = s.role === 'prospective'
    for (const to of this.o.voters) {
      if (to === this.o.id) continue
      this.send({ type: 'Vote', from: this.o.id, to, epoch: preVote ? s.epoch + 1 : s.epoch, preVote, lastEpoch: last.epoch, endOffset: last.offset })
    }
    this.setRoleTimer(this.electionTimeout(), () =>
      this.setRoleTimer(1 + this.o.rng.int(this.o.electionBackoffMaxMs), () => this.become(q.prospective(this.s))),
    )
  }

  private electionWon(): void {
    if (this.s.role === 'prospective') this.become(q.candidate(this.s, this.o.id))
    else this.become(q.leader(this.s, this.o.id))
  }

  private onVote(msg: VoteRequest): void {
    // A pre-vote from a replica already in a higher epoch (a candidate whose round failed, cut
    // off meanwhile) moves this one to that epoch, as any message of a higher epoch does: its
    // pre-votes would be refused for ever otherwise, and no voter goes back an epoch to rejoin us.
    if (msg.preVote && this.isVoter && msg.epoch - 1 > this.s.epoch) this.become(q.unattached(msg.epoch - 1))
    const s = this.s
    const alive = this.leaderAlive()
    const last = { epoch: msg.lastEpoch, offset: msg.endOffset }
    const { granted, next } = this.isVoter
      ? q.decideVote(s, { from: msg.from, epoch: msg.epoch, preVote: msg.preVote, last }, this.log.lastOffsetAndEpoch(), alive)
      : { granted: false, next: s }
    // A granted vote restarts the election timer (the voter waits for the candidate it chose).
    if (granted && !msg.preVote && next.votedFor !== s.votedFor) this.become({ ...next, role: 'unattached' })
    else if (next.epoch !== s.epoch) this.become(next)
    this.send({ type: 'VoteResponse', from: this.o.id, to: msg.from, epoch: this.s.epoch, leaderId: this.liveLeaderId(), preVote: msg.preVote, requestEpoch: msg.epoch, granted })
  }

  private onVoteResponse(from: number, preVote: boolean, requestEpoch: number, granted: boolean): void {
    const s = this.s
    const round = s.role === 'prospective' && preVote && requestEpoch === s.epoch + 1
    const vote = s.role === 'candidate' && !preVote && requestEpoch === s.epoch
    if (!granted || !(round || vote)) return
    this.votes.add(from)
    if (this.hasMajority(this.votes)) this.electionWon()
  }

  private onBeginQuorumEpoch(from: number, epoch: number, leaderId: number): void {
    const s = this.s
    if (epoch > s.epoch || (epoch === s.epoch && s.role !== 'leader' && (s.leaderId === null || s.leaderId === leaderId))) {
      if (!(s.role === 'follower' && s.epoch === epoch && s.leaderId === leaderId)) this.become(q.follower(s, epoch, leaderId))
      this.lastLeaderContactMs = this.o.scheduler.nowMs()
    }
    this.send({ type: 'BeginQuorumEpochResponse', from: this.o.id, to: from, epoch: this.s.epoch })
  }

  private onEndQuorumEpoch(epoch: number, leaderId: number, successors: readonly number[]): void {
    const s = this.s
    if (epoch !== s.epoch || s.leaderId !== leaderId || s.role !== 'follower' || !this.isVoter) return
    // The leader is gone: it no longer counts as alive for pre-votes, and the best placed
    // successor campaigns first, the others after a backoff growing with their rank.
    this.lastLeaderContactMs = -Infinity
    const rank = Math.max(0, successors.indexOf(this.o.id))
    const delayMs = rank === 0 ? 0 : rank * this.o.rng.int(this.o.electionBackoffMaxMs + 1)
    this.setRoleTimer(delayMs, () => this.become(q.prospective(this.s)))
  }

  /**
   * The leader this replica points others to: itself leading, or the leader it follows and has
   * heard from lately. A replica that only remembers its epoch's leader does not vouch for it, or
   * voters that lost their leader would keep sending each other back to it.
   */
  private liveLeaderId(): number | null {
    if (this.s.role === 'leader') return this.o.id
    return this.s.role === 'follower' && this.leaderAlive() ? this.s.leaderId : null
  }

  /** Heard from this epoch's leader within the fetch timeout (a leader counts itself alive). */
  private leaderAlive(): boolean {
    if (this.s.role === 'leader') return true
    return this.s.role === 'follower' && this.o.scheduler.nowMs() - this.lastLeaderContactMs < this.o.fetchTimeoutMs
  }

  private hasMajority(ids: ReadonlySet<number>): boolean {
    return this.o.voters.filter((v) => ids.has(v)).length > this.o.voters.length / 2
  }

  private electionTimeout(): number {
    return this.o.electionTimeoutMs + this.o.rng.int(this.o.electionTimeoutMs)
  }

  // ---- leading ----

  private startLeading(): void {
    const epochStart = this.log.endOffset
    const now = this.o.scheduler.nowMs()
    this.leaderState = new LeaderState(this.s.epoch, this.o.id, this.o.voters, epochStart, this.hw, now)
    this.armCheckQuorum()
    this.appendAsLeader([{ offset: epochStart, epoch: this.s.epoch, value: new Uint8Array(0) }])
    const announce = (): void => {
      for (const to of this.leaderState?.votersNotFetched() ?? []) {
        this.send({ type: 'BeginQuorumEpoch', from: this.o.id, to, epoch: this.s.epoch, leaderId: this.o.id })
      }
      this.fetchTimer = this.o.scheduler.setTimer(announce, this.o.requestTimeoutMs)
    }
    announce()
  }

  /**
   * KRaft's check-quorum: a leader that no majority of voters fetched from for 1.5 fetch timeouts
   * resigns, so that clients stop proposing to a leader cut off from its quorum (the others have
   * elected another by then, or will once it is told that it is gone).
   */
  private armCheckQuorum(): void {
    const windowMs = Math.ceil(this.o.fetchTimeoutMs * 1.5)
    this.setRoleTimer(windowMs, () => {
      if (this.leaderState?.quorumReachedSince(this.o.scheduler.nowMs() - windowMs)) this.armCheckQuorum()
      else this.resign()
    })
  }

  private appendAsLeader(entries: RaftLogEntry[]): void {
    this.log.append(entries)
    this.unparkAll(true)
    const end = this.log.endOffset
    const leaderState = this.leaderState
    this.write(
      () => this.o.store.append(entries),
      () => {
        if (this.leaderState === leaderState && leaderState!.updateEndOffset(this.o.id, end)) this.advanceHw(leaderState!.highWatermark)
      },
    )
  }

  private onFetch(msg: FetchRequest): void {
    const s = this.s
    const ls = this.leaderState
    const answer = (fields: Partial<FetchResponse>): void =>
      this.send({
        type: 'FetchResponse', from: this.o.id, to: msg.from, error: 'NONE', epoch: s.epoch, leaderId: this.liveLeaderId(),
        fetchId: msg.fetchId, fetchOffset: msg.fetchOffset, highWatermark: this.hw, entries: [], divergingEpoch: null, snapshotId: null,
        ...fields,
      })
    if (s.role !== 'leader' || !ls || msg.epoch > s.epoch) return answer({ error: 'NOT_LEADER_OR_FOLLOWER' })
    if (msg.epoch < s.epoch) return answer({ error: 'FENCED_LEADER_EPOCH' })
    ls.fetched(msg.from, this.o.scheduler.nowMs())
    const check = this.log.validateFetch(msg.fetchOffset, msg.lastFetchedEpoch)
    if (check.kind === 'snapshot') return answer({ snapshotId: check.snapshotId })
    if (check.kind === 'diverging') return answer({ divergingEpoch: check.divergingEpoch })
    if (ls.updateEndOffset(msg.from, msg.fetchOffset)) this.advanceHw(ls.highWatermark)
    const nothingNew = msg.fetchOffset >= this.log.endOffset && this.hwTold.get(msg.from) === this.hw
    if (nothingNew && this.o.fetchMaxWaitMs > 0) return this.park(msg)
    this.answerFetch(msg)
  }

  /** Entries from the follower's offset and the high watermark (the Fetch is valid in this epoch). */
  private answerFetch(msg: FetchRequest): void {
    const to = Math.min(this.log.endOffset, msg.fetchOffset + this.o.fetchMaxEntries)
    this.hwTold.set(msg.from, this.hw)
    this.send({
      type: 'FetchResponse', from: this.o.id, to: msg.from, error: 'NONE', epoch: this.s.epoch, leaderId: this.o.id,
      fetchId: msg.fetchId, fetchOffset: msg.fetchOffset, highWatermark: this.hw, entries: this.log.slice(msg.fetchOffset, to), divergingEpoch: null, snapshotId: null,
    })
  }

  /** Holds a Fetch until there is something new for it (unparkAll) or the wait runs out. */
  private park(msg: FetchRequest): void {
    this.parked.get(msg.from)?.cancel()
    const cancel = this.o.scheduler.setTimer(() => {
      this.parked.delete(msg.from)
      this.answerFetch(msg)
    }, this.o.fetchMaxWaitMs)
    this.parked.set(msg.from, { msg, cancel })
  }

  /** The log grew or the high watermark moved: held Fetches are answered (`answer`), or dropped when leadership ends. */
  private unparkAll(answer: boolean): void {
    if (this.parked.size === 0) return
    const held = [...this.parked.values()]
    this.parked.clear()
    for (const p of held) {
      p.cancel()
      if (answer) this.answerFetch(p.msg)
    }
  }

  private onFetchSnapshot(msg: FetchSnapshotRequest): void {
    const s = this.s
    const snap = s.role === 'leader' && msg.epoch === s.epoch ? this.log.snapshot : null
    this.send({ type: 'FetchSnapshotResponse', from: this.o.id, to: msg.from, epoch: s.epoch, leaderId: this.liveLeaderId(), snapshot: snap && snap.offset >= msg.snapshotId.offset ? snap : null })
  }

  // ---- following ----

  private armFetchTimeout(): void {
    this.setRoleTimer(this.o.fetchTimeoutMs, () => {
      if (this.isVoter) this.become(q.prospective(this.s))
      else this.become({ ...this.s, role: 'unattached', leaderId: null })
    })
  }

  /** Sends the next Fetch once every write before it is durable (it acknowledges the log end). */
  private sendFetch(delayMs = 0): void {
    this.cancelFetchTimer()
    if (delayMs > 0) {
      this.fetchTimer = this.o.scheduler.setTimer(() => this.sendFetch(), delayMs)
      return
    }
    const fetchId = ++this.fetchSeq
    const { epoch } = this.s
    const to = this.s.leaderId ?? this.o.voters[this.o.rng.int(this.o.voters.length)]!
    this.fetchTimer = this.o.scheduler.setTimer(() => this.sendFetch(), this.s.leaderId === null ? this.o.fetchIntervalMs : this.o.requestTimeoutMs)
    this.afterDurable(() => {
      if (this.fetchSeq !== fetchId || this.s.epoch !== epoch) return
      const last = this.log.lastOffsetAndEpoch()
      this.o.send({ type: 'Fetch', from: this.o.id, to, epoch, fetchId, fetchOffset: last.offset, lastFetchedEpoch: last.epoch })
    })
  }

  private onFetchResponse(msg: FetchResponse): void {
    if (this.observeEpoch(msg.epoch, msg.leaderId)) return
    const s = this.s
    if (s.role !== 'follower' || msg.from !== s.leaderId || msg.fetchId !== this.fetchSeq) return
    if (msg.error !== 'NONE' || msg.fetchOffset !== this.log.endOffset) return this.sendFetch(this.o.fetchIntervalMs)
    this.lastLeaderContactMs = this.o.scheduler.nowMs()
    this.armFetchTimeout()
    if (msg.snapshotId) {
      this.cancelFetchTimer()
      this.fetchTimer = this.o.scheduler.setTimer(() => this.sendFetch(), this.o.requestTimeoutMs)
      return this.send({ type: 'FetchSnapshot', from: this.o.id, to: msg.from, epoch: s.epoch, snapshotId: msg.snapshotId })
    }
    if (msg.divergingEpoch) {
      const local = this.log.endOffsetForEpoch(msg.divergingEpoch.epoch)
      const at = Math.min(msg.divergingEpoch.offset, local?.offset ?? this.log.startOffset)
      this.truncate(Math.max(at, this.log.startOffset))
      return this.sendFetch()
    }
    if (msg.entries.length > 0) {
      this.log.append(msg.entries)
      const entries = msg.entries
      this.write(() => this.o.store.append(entries))
    }
    // What lies above this log's end is not known committed here until it is fetched.
    this.advanceHw(Math.min(msg.highWatermark, this.log.endOffset))
    // A long-polled Fetch came back empty only after its wait: the next one may leave at once.
    this.sendFetch(msg.entries.length > 0 || this.o.fetchMaxWaitMs > 0 ? 0 : this.o.fetchIntervalMs)
  }

  private truncate(offset: number): void {
    // Committed entries are never truncated: reaching here means a safety bug, not a fault.
    if (offset < this.hw) throw new Error(`raft ${this.o.id}: truncation to ${offset} below the high watermark ${this.hw}`)
    if (offset >= this.log.endOffset) return
    this.log.truncateFrom(offset)
    this.write(() => this.o.store.truncateFrom(offset))
  }

  private onSnapshotFetched(from: number, epoch: number, snapshot: RaftSnapshotRecord | null): void {
    const s = this.s
    if (s.role !== 'follower' || from !== s.leaderId || epoch !== s.epoch) return
    if (snapshot && snapshot.offset > this.log.startOffset) {
      const oldStart = this.log.startOffset
      this.log.replaceWith(snapshot)
      this.write(async () => {
        await this.o.store.truncateFrom(oldStart)
        await this.o.store.saveSnapshot(snapshot)
      })
      // What this replica knew committed above the snapshot left with its log: it learns it again.
      this.hw = snapshot.offset
      this.applied = snapshot.offset
      this.o.onSnapshotLoaded?.(snapshot)
    }
    this.sendFetch()
  }

  // ---- committing ----

  /** Moves the high watermark up and hands what it newly covers to onCommitted. */
  private advanceHw(hw: number): void {
    if (hw > this.hw) {
      this.hw = hw
      if (this.s.role === 'leader') this.unparkAll(true)
    }
    if (this.applied >= this.hw) return
    const upTo = this.hw
    const entries = this.log.slice(this.applied, upTo)
    if (entries.length !== upTo - this.applied || entries[0]!.offset !== this.applied) {
      throw new Error(`raft ${this.o.id}: committed offsets ${this.applied}-${upTo - 1} not all in the log`)
    }
    this.applied = upTo
    const data = entries.filter((e) => !isControlEntry(e))
    if (data.length > 0) this.o.onCommitted?.(data)
  }

  // ---- durability, messages, timers ----

  /** Queues a store write; `then` runs once it is durable (never, if the process died first). */
  private write(op: () => Promise<void>, then?: () => void): void {
    this.io = this.io
      .then(async () => {
        if (this.stopped) return
        await op()
        if (!this.stopped) then?.()
      })
      .catch((err: unknown) => this.fail(err))
  }

  private afterDurable(fn: () => void): void {
    this.io = this.io
      .then(() => {
        if (!this.stopped) fn()
      })
      .catch((err: unknown) => this.fail(err))
  }

  /** A store that failed leaves the replica unable to promise anything: it stops. */
  private fail(err: unknown): void {
    this.failure ??= err
    this.stop()
  }

  private send(msg: RaftMessage): void {
    this.afterDurable(() => this.o.send(msg))
  }

  private setRoleTimer(ms: number, fn: () => void): void {
    this.roleTimer?.()
    this.roleTimer = this.o.scheduler.setTimer(fn, ms)
  }

  private cancelFetchTimer(): void {
    this.fetchTimer?.()
    this.fetchTimer = null
  }

  private cancelTimers(): void {
    this.roleTimer?.()
    this.roleTimer = null
    this.cancelFetchTimer()
  }
}
