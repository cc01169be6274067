/**
 * A voter's log in memory: the latest snapshot (its offset is the log start) and the entries after
 * it. The node mirrors every change here into its RaftLogStore; this file only answers questions
 * about the log (where it ends, which epoch an offset holds, where an epoch ends) as KRaft's
 * ReplicatedLog does.
 */
import type { RaftLogEntry, RaftSnapshotRecord } from './log-store.js'
import type { OffsetAndEpoch } from './messages.js'

/** How a leader answers a fetch from `fetchOffset` whose previous entry is of `lastFetchedEpoch`. */
export type FetchValidation =
  | { kind: 'valid' }
  | { kind: 'diverging'; divergingEpoch: OffsetAndEpoch }
  | { kind: 'snapshot'; snapshotId: OffsetAndEpoch | null }

export class RaftLog {
  private entries: RaftLogEntry[]
  private snapshotValue: RaftSnapshotRecord | null

  constructor(snapshot: RaftSnapshotRecord | null, entries: readonly RaftLogEntry[]) {
    this.snapshotValue = snapshot
    this.entries = entries.filter((e) => e.offset >= (snapshot?.offset ?? 0))
  }

  get snapshot(): RaftSnapshotRecord | null {
    return this.snapshotValue
  }

  get startOffset(): number {
    return this.snapshotValue?.offset ?? 0
  }

  get endOffset(): number {
    return this.startOffset + this.entries.length
  }

  /** The log end and the epoch of the entry before it (the snapshot's epoch when no entry follows it). */
  lastOffsetAndEpoch(): OffsetAndEpoch {
    return { offset: this.endOffset, epoch: this.entries.at(-1)?.epoch ?? this.snapshotValue?.epoch ?? 0 }
  }

  entryAt(offset: number): RaftLogEntry | undefined {
    return this.entries[offset - this.startOffset]
  }

  /** The epoch of the entry at `offset`, the snapshot's for the offset just below the log start. */
  epochAt(offset: number): number | undefined {
    if (offset === this.startOffset - 1) return this.snapshotValue?.epoch
    return this.entryAt(offset)?.epoch
  }

  /** Entries in [from, to). */
  slice(from: number, to: number): RaftLogEntry[] {
    const start = this.startOffset
    return this.entries.slice(Math.max(0, from - start), Math.max(0, to - start))
  }

  append(entries: readonly RaftLogEntry[]): void {
    for (const e of entries) {
      if (e.offset !== this.endOffset) throw new Error(`raft log: append at ${e.offset}, log end ${this.endOffset}`)
      this.entries.push(e)
    }
  }

  truncateFrom(offset: number): void {
    if (offset < this.startOffset) throw new Error(`raft log: truncate to ${offset} below log start ${this.startOffset}`)
    this.entries.length = Math.min(this.entries.length, offset - this.startOffset)
  }

  /** A snapshot of this log's own committed prefix: entries below it go, the rest stay. */
  compactTo(snapshot: RaftSnapshotRecord): void {
    if (snapshot.offset <= this.startOffset) return
    this.entries = this.entries.filter((e) => e.offset >= snapshot.offset)
    this.snapshotValue = snapshot
  }

  /** A snapshot fetched from the leader replaces the whole log (what followed may have diverged). */
  replaceWith(snapshot: RaftSnapshotRecord): void {
    this.entries = []
    this.snapshotValue = snapshot
  }

  /**
   * KRaft's validateOffsetAndEpoch, on the leader's log: a fetcher behind the log start (or whose
   * last epoch lies before it) is sent to the snapshot; one whose last epoch ends earlier here, or
   * is not here at all, is told the diverging epoch and where it ends; else its log matches this
   * one up to `fetchOffset` (Raft's log matching: one leader wrote every entry of an epoch).
   */
  validateFetch(fetchOffset: number, lastFetchedEpoch: number): FetchValidation {
    const end = this.endOffsetForEpoch(lastFetchedEpoch)
    if (fetchOffset < this.startOffset || end === null) {
      const snap = this.snapshotValue
      return { kind: 'snapshot', snapshotId: snap ? { offset: snap.offset, epoch: snap.epoch } : null }
    }
    if (end.epoch !== lastFetchedEpoch || end.offset < fetchOffset) return { kind: 'diverging', divergingEpoch: end }
    return { kind: 'valid' }
  }

  /**
   * KRaft's endOffsetForEpoch: the greatest epoch in this log not above `epoch`, and the offset
   * where it ends. Null when that epoch lies before the log start (only a snapshot can help then).
   */
  endOffsetForEpoch(epoch: number): OffsetAndEpoch | null {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i]!
      if (e.epoch <= epoch) return { epoch: e.epoch, offset: e.offset + 1 }
    }
    const snap = this.snapshotValue
    if (snap && snap.epoch <= epoch) return { epoch: snap.epoch, offset: snap.offset }
    if (!snap) return { epoch: 0, offset: 0 }
    return null
  }
}

/** Raft's "at least as up to date": a later last epoch wins, then a longer log. */
export function isLogUpToDate(candidate: OffsetAndEpoch, local: OffsetAndEpoch): boolean {
  return candidate.epoch > local.epoch || (candidate.epoch === local.epoch && candidate.offset >= local.offset)
}
