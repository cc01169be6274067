/**
 * Leader epoch cache of one partition: epoch -> offset of the first batch written in that epoch.
 * Kafka's LeaderEpochFileCache rules (assign, endOffsetFor, truncateFromEnd/Start), so that
 * OffsetForLeaderEpoch and follower truncation behave as they do against a real broker.
 * Entries are few (one per leader change), kept sorted by epoch and by start offset at once.
 */
import { assert } from './errors.js'

export const UNDEFINED_EPOCH = -1
export const UNDEFINED_EPOCH_OFFSET = -1

export type EpochPair = [epoch: number, startOffset: number]

export class LeaderEpochCache {
  private entries: EpochPair[]

  constructor(entries: EpochPair[] = []) {
    this.entries = entries.map(([e, s]) => [e, s])
  }

  toJSON(): EpochPair[] {
    return this.entries.map(([e, s]) => [e, s])
  }

  list(): { epoch: number; startOffset: number }[] {
    return this.entries.map(([epoch, startOffset]) => ({ epoch, startOffset }))
  }

  latestEpoch(): number {
    return this.entries.length > 0 ? this.entries[this.entries.length - 1]![0] : UNDEFINED_EPOCH
  }

  /** Returns whether the cache changed. Entries that would break monotonicity are dropped first. */
  assign(epoch: number, startOffset: number): boolean {
    assert(Number.isInteger(epoch) && epoch >= 0 && startOffset >= 0, `invalid epoch entry ${epoch}@${startOffset}`)
    const latest = this.entries[this.entries.length - 1]
    if (latest && latest[0] === epoch && startOffset >= latest[1]) return false
    while (this.entries.length > 0) {
      const [e, s] = this.entries[this.entries.length - 1]!
      if (e >= epoch || s >= startOffset) this.entries.pop()
      else break
    }
    this.entries.push([epoch, startOffset])
    return true
  }

  /**
   * OffsetForLeaderEpoch: the largest epoch <= requested and where it ends (the start of the next
   * higher epoch, or LEO for the latest epoch).
   */
  endOffsetFor(epoch: number, logEndOffset: number): { epoch: number; endOffset: number } {
    const undefinedResult = { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET }
    if (epoch === UNDEFINED_EPOCH) return undefinedResult
    if (this.latestEpoch() === epoch) return { epoch, endOffset: logEndOffset }
    const higher = this.entries.findIndex(([e]) => e > epoch)
    if (higher < 0) return undefinedResult
    const higherStart = this.entries[higher]![1]
    // No floor entry: the data of older epochs is gone; answer with the requested epoch so the
    // follower replicates from the leader's start.
    if (higher === 0) return { epoch, endOffset: higherStart }
    return { epoch: this.entries[higher - 1]![0], endOffset: higherStart }
  }

  /** Removes entries starting at or after `endOffset` (the log was truncated there). */
  truncateFromEnd(endOffset: number): boolean {
    let changed = false
    while (this.entries.length > 0 && this.entries[this.entries.length - 1]![1] >= endOffset) {
      this.entries.pop()
      changed = true
    }
    return changed
  }

  /**
   * The log now starts at `startOffset`: entries starting at or before it collapse into one, the
   * latest of them, moved to start at `startOffset`.
   */
  truncateFromStart(startOffset: number): boolean {
    let removed = 0
    while (removed < this.entries.length && this.entries[removed]![1] <= startOffset) removed++
    if (removed === 0) return false
    const kept = this.entries[removed - 1]!
    const changed = removed > 1 || kept[1] !== startOffset
    this.entries.splice(0, removed, [kept[0], startOffset])
    return changed
  }
}
