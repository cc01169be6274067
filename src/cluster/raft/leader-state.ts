/**
 * The leader's view of replication in its epoch (KRaft's LeaderState): how far each voter's log
 * is known to be durable, and the high watermark that follows from it. A voter's end offset is
 * what its last valid fetch asked from (a follower fetches only after what it appended is
 * durable); the leader's own is its durable log end.
 *
 * The high watermark is the offset a majority of voters reached, and it only moves once that
 * offset passes the start of this epoch (the LeaderChange entry the leader appended first): an
 * entry of an older epoch is committed only by committing one of the leader's own (Raft, 5.4.2).
 * It never goes back.
 */
export class LeaderState {
  private readonly endOffsets = new Map<number, number>()
  private readonly fetchedInEpoch = new Set<number>()
  /** When each voter last fetched in this epoch (the leader's start counts as one, for grace). */
  private readonly lastFetchMs = new Map<number, number>()
  private hw: number

  constructor(
    readonly epoch: number,
    private readonly selfId: number,
    private readonly voters: readonly number[],
    /** The offset of this epoch's LeaderChange entry. */
    readonly epochStartOffset: number,
    highWatermark: number,
    nowMs: number,
  ) {
    for (const v of voters) {
      this.endOffsets.set(v, 0)
      this.lastFetchMs.set(v, nowMs)
    }
    this.hw = highWatermark
  }

  get highWatermark(): number {
    return this.hw
  }

  /** Voters that have not fetched in this epoch yet: BeginQuorumEpoch is resent to them. */
  votersNotFetched(): number[] {
    return this.voters.filter((v) => v !== this.selfId && !this.fetchedInEpoch.has(v))
  }

  /** Records a replica's end offset (observers are not counted); true when the high watermark moved. */
  updateEndOffset(replicaId: number, endOffset: number): boolean {
    if (!this.endOffsets.has(replicaId)) return false
    if (replicaId !== this.selfId) this.fetchedInEpoch.add(replicaId)
    // A follower that truncated reports a lower end: take it as it is, the high watermark stays.
    this.endOffsets.set(replicaId, endOffset)
    return this.maybeAdvance()
  }

  /** A voter fetched (whatever the answer): it can reach this leader. */
  fetched(replicaId: number, nowMs: number): void {
    if (this.lastFetchMs.has(replicaId)) this.lastFetchMs.set(replicaId, nowMs)
  }

  /** A majority of voters (this leader included) fetched since `sinceMs`: the leader still leads a quorum. */
  quorumReachedSince(sinceMs: number): boolean {
    const reached = this.voters.filter((v) => v === this.selfId || this.lastFetchMs.get(v)! >= sinceMs)
    return reached.length > this.voters.length / 2
  }

  /** Voters ordered by end offset, furthest first (EndQuorumEpoch's preferred successors). */
  votersByEndOffset(): number[] {
    return [...this.voters].filter((v) => v !== this.selfId).sort((a, b) => this.endOffsets.get(b)! - this.endOffsets.get(a)!)
  }

  private maybeAdvance(): boolean {
    const sorted = [...this.endOffsets.values()].sort((a, b) => b - a)
    const majorityOffset = sorted[Math.floor(this.voters.length / 2)]!
    if (majorityOffset > this.epochStartOffset && majorityOffset > this.hw) {
      this.hw = majorityOffset
      return true
    }
    return false
  }
}
