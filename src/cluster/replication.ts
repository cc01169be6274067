/**
 * The leader's view of a partition's replication, as a deterministic state machine (Kafka's
 * Partition/Replica logic): each follower's log end offset and when it was last caught up, the
 * high watermark, and the ISR changes the leader should propose to the controller.
 *
 * Inputs: the leader's own appends, follower fetches (a fetch at offset o means the follower holds
 * everything below o), and clock ticks. Outputs: the high watermark, and ISR proposals. Time is
 * passed in; nothing here reads a clock.
 *
 * Invariants:
 * - the high watermark never goes back, and never passes the LEO of any ISR member;
 * - a follower joins the ISR only once its LEO reaches the high watermark and the start of the
 *   leader's epoch (so it holds everything any ISR member may have acknowledged);
 * - a follower leaves the ISR when it has not been caught up for longer than `replicaLagMaxMs`;
 * - while an ISR expansion is with the controller, the high watermark also waits for the members
 *   being added (Kafka's maximal ISR, KIP-497): once committed, they must hold everything below it.
 */

export interface FollowerState {
  id: number
  /** The follower's log end offset as the leader knows it; -1 before its first fetch. */
  leo: number
  lastCaughtUpMs: number
  lastFetchMs: number
  /** The leader's LEO at the follower's previous fetch (Kafka's lastFetchLeaderLogEndOffset). */
  lastFetchLeaderLeo: number
  /** The follower's log start offset as its last fetch said; -1 before its first fetch. */
  logStartOffset: number
}

export interface LeaderInit {
  leaderId: number
  leaderEpoch: number
  /** Offset at which the leader's epoch starts (its LEO when it became leader). */
  epochStartOffset: number
  replicas: readonly number[]
  isr: readonly number[]
  leaderLeo: number
  highWatermark: number
  nowMs: number
}

export class LeaderReplication {
  readonly leaderId: number
  readonly leaderEpoch: number
  readonly epochStartOffset: number
  private isrSet: Set<number>
  /** Members of a proposed ISR expansion the controller has not decided on, and the partition epoch it builds on. */
  private pending: { added: number[]; partitionEpoch: number } | null = null
  private leo: number
  private hwm: number
  private readonly followers = new Map<number, FollowerState>()

  constructor(init: LeaderInit) {
    this.leaderId = init.leaderId
    this.leaderEpoch = init.leaderEpoch
    this.epochStartOffset = init.epochStartOffset
    this.isrSet = new Set(init.isr)
    this.leo = init.leaderLeo
    this.hwm = Math.min(init.highWatermark, init.leaderLeo)
    for (const id of init.replicas) {
      if (id === init.leaderId) continue
      // ISR members start as caught up now: they get replicaLagMaxMs to fetch before they are
      // dropped, as Kafka does when a leader is elected.
      const inIsr = this.isrSet.has(id)
      this.followers.set(id, {
        id,
        leo: -1,
        lastCaughtUpMs: inIsr ? init.nowMs : 0,
        lastFetchMs: 0,
        lastFetchLeaderLeo: -1,
        logStartOffset: -1,
      })
    }
    this.recomputeHighWatermark()
  }

  get highWatermark(): number {
    return this.hwm
  }

  get logEndOffset(): number {
    return this.leo
  }

  get isr(): number[] {
    return [...this.isrSet]
  }

  follower(id: number): Readonly<FollowerState> | undefined {
    return this.followers.get(id)
  }

  /**
   * The replica set changed under the same leadership (a reassignment started or completed):
   * replicas added are followed from now on, outside the ISR until they catch up; replicas
   * removed are forgotten (their fetches no longer count).
   */
  setReplicas(replicas: readonly number[]): void {
    for (const id of [...this.followers.keys()]) if (!replicas.includes(id)) this.followers.delete(id)
    for (const id of replicas) {
      if (id === this.leaderId || this.followers.has(id)) continue
      this.followers.set(id, { id, leo: -1, lastCaughtUpMs: 0, lastFetchMs: 0, lastFetchLeaderLeo: -1, logStartOffset: -1 })
    }
  }

  /**
   * The committed ISR at `partitionEpoch` (the controller applied a proposal, or a broker was
   * fenced). A commit past the epoch a pending expansion built on decides it: applied, or stale
   * and refused.
   */
  setIsr(isr: readonly number[], partitionEpoch = Number.MAX_SAFE_INTEGER): void {
    this.isrSet = new Set(isr)
    if (this.pending && partitionEpoch > this.pending.partitionEpoch) this.pending = null
    this.recomputeHighWatermark()
  }

  /**
   * The leader sent an ISR change built on `partitionEpoch`. Until it is decided, the high
   * watermark counts the members it adds: the HWM can move on with the old ISR while the change
   * is in flight, and a member committed into the ISR without what was acknowledged meanwhile
   * could be elected and lose it (test/sim/regressions.test.ts). Shrinks count only once committed.
   */
  beginIsrChange(isr: readonly number[], partitionEpoch: number): void {
    // A change whose request failed in transport may still be applied: its members keep counting.
    const added = new Set(this.pending?.added ?? [])
    for (const id of isr) if (!this.isrSet.has(id)) added.add(id)
    this.pending = added.size > 0 ? { added: [...added], partitionEpoch: Math.max(partitionEpoch, this.pending?.partitionEpoch ?? -1) } : null
  }

  /** The controller refused the change sent: the members it added no longer hold back the HWM. Returns true when the HWM advanced. */
  isrChangeRefused(): boolean {
    this.pending = null
    return this.recomputeHighWatermark()
  }

  /** The leader appended locally. Returns true when the high watermark advanced. */
  onLeaderAppend(leo: number): boolean {
    this.leo = leo
    return this.recomputeHighWatermark()
  }

  /**
   * A follower fetched at `fetchOffset`, its log starting at `logStartOffset`. Returns whether the
   * high watermark advanced and, when the follower is out of the ISR but now caught up, the ISR the
   * leader should propose. Caught up includes the log start: a follower whose log starts below the
   * leader's (`leaderLogStartOffset`) still holds records a DeleteRecords answered may have
   * removed, as the low watermark counts the ISR only (seed 508 of the simulation: such a
   * follower joined, then led, and served deleted records); it joins once it has moved its start,
   * one fetch later.
   */
  onFollowerFetch(followerId: number, fetchOffset: number, nowMs: number, logStartOffset = -1, leaderLogStartOffset = -1): { hwmAdvanced: boolean; expandIsr: number[] | null } {
    const f = this.followers.get(followerId)
    if (!f) return { hwmAdvanced: false, expandIsr: null }
    // Not clamped to the leader's LEO: a follower may have written a batch before the leader's own
    // write of it landed (it fetches batches in flight); the HWM takes the minimum with the leader's.
    f.leo = fetchOffset
    f.logStartOffset = logStartOffset
    if (fetchOffset >= this.leo) f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, nowMs)
    else if (fetchOffset >= f.lastFetchLeaderLeo) f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, f.lastFetchMs)
    f.lastFetchLeaderLeo = this.leo
    f.lastFetchMs = nowMs
    const hwmAdvanced = this.recomputeHighWatermark()
    let expandIsr: number[] | null = null
    if (!this.isrSet.has(followerId) && f.leo >= this.hwm && f.leo >= this.epochStartOffset && logStartOffset >= leaderLogStartOffset) {
      expandIsr = [...this.isrSet, followerId]
    }
    return { hwmAdvanced, expandIsr }
  }

  /** Followers in the ISR that have not been caught up for longer than the lag limit. */
  laggingIsrMembers(nowMs: number, replicaLagMaxMs: number): number[] {
    const out: number[] = []
    for (const id of this.isrSet) {
      if (id === this.leaderId) continue
      const f = this.followers.get(id)
      if (f && nowMs - f.lastCaughtUpMs > replicaLagMaxMs) out.push(id)
    }
    return out
  }

  /** The ISR the leader should propose after dropping lagging followers, or null when none lag. */
  shrinkProposal(nowMs: number, replicaLagMaxMs: number): number[] | null {
    const lagging = this.laggingIsrMembers(nowMs, replicaLagMaxMs)
    if (lagging.length === 0) return null
    return [...this.isrSet].filter((id) => !lagging.includes(id))
  }

  /**
   * The low watermark (DeleteRecords): the lowest log start among the leader's and its ISR
   * followers' (each as its last fetch said), so that a deletion is answered once every replica
   * that may be elected has dropped the records too. A follower not heard from yet counts as -1.
   * Kafka counts every replica on a live broker; out-of-ISR replicas are left out here so that one
   * lagging replica does not hold every DeleteRecords until its timeout; a replica joins the ISR
   * only with the leader's log start (onFollowerFetch). The members an ISR expansion in flight
   * adds count too, as for the high watermark: once committed they may be elected, and one that
   * joined before the deletion still holds the records deleted.
   */
  lowWatermark(leaderLogStartOffset: number): number {
    let low = leaderLogStartOffset
    const consider = (id: number): void => {
      if (id === this.leaderId) return
      const start = this.followers.get(id)?.logStartOffset ?? -1
      if (start < low) low = start
    }
    for (const id of this.isrSet) consider(id)
    for (const id of this.pending?.added ?? []) consider(id)
    return low
  }

  /** acks=all for a batch ending before `offsetExclusive` is done once the HWM reaches it. */
  isReplicated(offsetExclusive: number): boolean {
    return this.hwm >= offsetExclusive
  }

  private recomputeHighWatermark(): boolean {
    let min = this.leo
    const consider = (id: number): void => {
      if (id === this.leaderId) return
      const f = this.followers.get(id)
      // An ISR member the leader has not heard from yet holds back the HWM at its current value.
      const leo = f && f.leo >= 0 ? f.leo : this.hwm
      if (leo < min) min = leo
    }
    for (const id of this.isrSet) consider(id)
    for (const id of this.pending?.added ?? []) consider(id)
    if (min > this.hwm) {
      this.hwm = min
      return true
    }
    return false
  }
}
