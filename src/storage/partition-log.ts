/**
 * The partition log: Kafka's log semantics over a PartitionBackend (LevelDB or memory).
 *
 * Two end offsets: `nextOffset` is where the next append goes (it counts appends whose write is in
 * flight), `endOffset` is the LEO, moved only once a write is durable, so that reads and the high
 * watermark never cover a batch that a crash could take back. Only a leader serving its followers
 * reads past it (`inFlight`: their writes overlap its own; the HWM still waits for its LEO).
 * Mutations run through an OpQueue: appends pipeline (that is how concurrent appends end up in one
 * group commit), truncation/retention/deletion wait for the writes before them.
 */
import { NOTHING_REMOVED, type PartitionBackend, type PartitionChange, type PartitionState } from './backend.js'
import { batchBytes, stampBatch, type BatchHeader, type ParsedBatches } from '../protocol/batch-layout.js'
import { splitBatches } from './batch-checks.js'
import { BatchIndex } from './batch-index.js'
import { LeaderEpochCache } from './epoch-cache.js'
import { assert, StorageError } from './errors.js'
import { OpQueue } from './op-queue.js'
import { COMPACTION_BATCHES_MAX, planCompaction, type CompactionOptions, type CompactionResult } from './compaction.js'
import { planRetention } from './retention.js'
import type { AppendInfo, EpochEndOffset, PartitionLog, ReadOptions, RetentionOptions } from './types.js'

/** Bound on the batches one read returns (maxBytes may be huge and batches tiny). */
export const READ_BATCHES_MAX = 10_000

export class Partition implements PartitionLog {
  private readonly index = new BatchIndex()
  private epochs = new LeaderEpochCache()
  private startOffset = 0
  private endOffset = 0
  private nextOffset = 0
  private hwm = 0
  /** HWM or epoch cache changed since the last persisted state. */
  private stateDirty = false
  private lastCommit: Promise<unknown> = Promise.resolve()
  private readonly queue = new OpQueue(() => this.lastCommit)
  private readonly listeners = new Set<(log: PartitionLog) => void>()
  /** The bytes of appended batches whose write is in flight, by base offset (read with inFlight). */
  private readonly inFlight = new Map<number, Buffer>()
  /** Set once the log can no longer be used: closed, deleted, or its store failed. */
  private unusable: StorageError | null = null
  /** Compaction: end of the range the last run cleaned, and whether it left tombstones to expire. */
  private cleanedEnd = -1
  private tombstonesPending = false
  /** Offsets the log held at the store's last clean shutdown and no longer held when it opened. */
  lostAtOpen: { first: number; last: number } | null = null

  private constructor(
    readonly topicId: string,
    readonly partition: number,
    private readonly backend: PartitionBackend,
  ) {}

  /** Loads the partition, or creates it (durably) if the backend has no state for it. */
  static async open(topicId: string, partition: number, backend: PartitionBackend, cleanShutdownEnd?: number): Promise<Partition> {
    const log = new Partition(topicId, partition, backend)
    const state = await backend.load(log.index)
    if (state) log.restore(state)
    else await log.commit({ appended: [], ...NOTHING_REMOVED, removedFrom: null })
    // The store said where the log ended when it last closed cleanly: ending before that now means
    // the store lost acknowledged writes while it was closed (a cut write-ahead log, say).
    if (cleanShutdownEnd !== undefined && log.endOffset < cleanShutdownEnd) {
      log.lostAtOpen = { first: log.endOffset, last: cleanShutdownEnd - 1 }
    }
    return log
  }

  get logStartOffset(): number {
    return this.startOffset
  }
  get logEndOffset(): number {
    return this.endOffset
  }
  get appendedEndOffset(): number {
    return this.nextOffset
  }
  get highWatermark(): number {
    return this.hwm
  }
  get sizeBytes(): number {
    return this.index.totalBytes
  }
  get batchCount(): number {
    return this.index.length
  }

  appendAsLeader(records: Buffer | ParsedBatches, leaderEpoch: number): Promise<AppendInfo> {
    assert(Number.isInteger(leaderEpoch) && leaderEpoch >= 0, `invalid leader epoch ${leaderEpoch}`)
    return this.queue.run(false, () => this.append(records, leaderEpoch))
  }

  /** Several parts (a fetch answer's buffers, uncopied) are one append: checked and written together. */
  appendAsFollower(records: Buffer | ParsedBatches | readonly ParsedBatches[]): Promise<AppendInfo> {
    return this.queue.run(false, () => this.append(records, null))
  }

  async read(offset: number, maxBytes: number, maxOffsetExclusive: number, opts?: ReadOptions): Promise<Buffer[]> {
    this.checkUsable()
    const end = opts?.inFlight ? this.nextOffset : this.endOffset
    this.checkInRange(offset, end)
    const limit = Math.min(maxOffsetExclusive, end)
    const bases: number[] = []
    let total = 0
    for (let pos = this.index.positionFor(offset); pos < this.index.length; pos++) {
      const base = this.index.baseOffset(pos)
      const size = this.index.sizeBytes(pos)
      if (base >= limit || bases.length === READ_BATCHES_MAX) break
      if (bases.length > 0 && total + size > maxBytes) break
      bases.push(base)
      total += size
    }
    // Batches still being written come from memory; the rest from the store.
    let inFlight: Buffer[] = []
    if (bases.length > 0 && bases[bases.length - 1]! >= this.endOffset && this.inFlight.size > 0) {
      let cut = bases.length
      while (cut > 0 && this.inFlight.has(bases[cut - 1]!)) cut--
      inFlight = bases.splice(cut).map((base) => this.inFlight.get(base)!)
      if (bases.length === 0) return inFlight
    }
    if (bases.length === 0) return []
    const found = await this.fetchChecked(bases)
    const batches: Buffer[] = []
    for (const [i, batch] of found.entries()) {
      if (batch === undefined) {
        // Retention or truncation may have removed batches while the fetch was in flight; a batch
        // the index still holds was lost by the store itself.
        if (this.index.positionOfBase(bases[i]!) >= 0) {
          throw this.corruptRange(
            new StorageError('CORRUPT_BATCH', `the batch of ${this.name()} at offset ${bases[i]} is missing from the store`, {
              offsets: { first: bases[i]!, last: bases[i]! },
            }),
          )
        }
        break
      }
      batches.push(batch)
    }
    if (batches.length === 0) this.checkInRange(offset, end)
    else if (inFlight.length > 0 && batches.length === bases.length) batches.push(...inFlight)
    return batches
  }

  async offsetForTimestamp(ts: number): Promise<{ offset: number; timestamp: number } | null> {
    this.checkUsable()
    const pos = this.index.positionForTimestamp(ts)
    if (pos >= this.index.length || this.index.baseOffset(pos) >= this.endOffset) return null
    return { offset: Math.max(this.index.baseOffset(pos), this.startOffset), timestamp: this.index.maxTimestamp(pos) }
  }

  setHighWatermark(offset: number): void {
    const clamped = Math.min(Math.max(offset, this.startOffset), this.endOffset)
    if (clamped === this.hwm) return
    this.hwm = clamped
    this.stateDirty = true
    this.notify()
  }

  assignEpochStart(epoch: number, startOffset: number): void {
    // Appends still being written are in the log already (they hold offsets below nextOffset, and
    // their epochs are in the cache): a new epoch starts after them, never under them.
    if (!this.epochs.assign(epoch, Math.max(startOffset, this.nextOffset))) return
    this.stateDirty = true
    // Durable soon, in call order with appends; a failure marks the store failed.
    this.checkpoint().catch(() => undefined)
  }

  latestEpoch(): number {
    return this.epochs.latestEpoch()
  }

  endOffsetForEpoch(epoch: number, opts?: ReadOptions): EpochEndOffset {
    return this.epochs.endOffsetFor(epoch, opts?.inFlight ? this.nextOffset : this.endOffset)
  }

  epochEntries(): { epoch: number; startOffset: number }[] {
    return this.epochs.list()
  }

  truncateTo(offset: number): Promise<void> {
    assert(Number.isInteger(offset) && offset >= 0, `invalid truncation offset ${offset}`)
    return this.queue.run(true, async () => {
      this.checkUsable()
      if (offset >= this.endOffset) {
        // No batch goes, but epochs starting at the LEO do (Kafka's truncateTo does the same): an
        // epoch a replica assigned when elected and lost before writing names data it never held.
        // Kept, it made a follower's OffsetForLeaderEpoch answers wrong once it appended an older
        // epoch's batches there, and fetches diverged forever (test/sim/regressions.test.ts).
        if (this.epochs.truncateFromEnd(this.endOffset)) await this.commit({ appended: [], ...NOTHING_REMOVED, removedFrom: null })
        return
      }
      const pos = this.index.positionFor(offset)
      // A batch straddling `offset` goes entirely: the log never holds part of a batch.
      let newEnd = pos < this.index.length ? Math.min(offset, this.index.baseOffset(pos)) : offset
      if (newEnd < this.startOffset) {
        // Below the log start the log restarts empty at `offset` (Kafka: truncateFullyAndStartAt).
        newEnd = Math.min(offset, this.startOffset)
        this.startOffset = newEnd
      }
      const removed = this.removal(pos, this.index.length)
      this.index.truncate(pos)
      this.cleanedEnd = -1 // new batches may come back up to the same end: compaction must look again
      this.nextOffset = this.endOffset = newEnd
      this.hwm = Math.min(this.hwm, newEnd)
      this.epochs.truncateFromEnd(newEnd)
      await this.commit({ appended: [], ...removed, removedFrom: 'tail' })
      this.notify()
    })
  }

  truncateFullyAndStartAt(offset: number): Promise<void> {
    assert(Number.isInteger(offset) && offset >= 0, `invalid start offset ${offset}`)
    return this.queue.run(true, async () => {
      this.checkUsable()
      const removed = this.removal(0, this.index.length)
      this.index.truncate(0)
      this.cleanedEnd = -1
      this.startOffset = this.nextOffset = this.endOffset = offset
      this.hwm = offset
      // Every epoch entry goes (all start at or after 0): the log holds no batch of any epoch.
      this.epochs.truncateFromEnd(0)
      await this.commit({ appended: [], ...removed, removedFrom: 'tail' })
      this.notify()
    })
  }

  deleteRecordsBefore(offset: number): Promise<void> {
    return this.queue.run(true, async () => {
      this.checkUsable()
      if (offset > this.endOffset) {
        throw new StorageError('OFFSET_OUT_OF_RANGE', `cannot delete records before ${offset}: the log ends at ${this.endOffset}`)
      }
      if (offset <= this.startOffset) return
      await this.removeHead(this.index.positionFor(offset), offset)
    })
  }

  applyRetention(opts: RetentionOptions): Promise<number> {
    return this.queue.run(true, async () => {
      this.checkUsable()
      const count = planRetention(this.index, this.hwm, opts)
      if (count === 0) return 0
      const nextBase = count < this.index.length ? this.index.baseOffset(count) : this.endOffset
      await this.removeHead(count, Math.max(this.startOffset, nextBase))
      return count
    })
  }

  /**
   * cleanup.policy=compact (compaction.ts): rewrites the batches below the HWM, except the last
   * stored batch, keeping the last record of each key; offsets never change. A run with nothing
   * new below the HWM since the last one and no tombstone waiting is skipped.
   */
  compact(opts: CompactionOptions): Promise<CompactionResult> {
    return this.queue.run(true, async () => {
      this.checkUsable()
      const none: CompactionResult = { batchesRewritten: 0, batchesRemoved: 0, recordsRemoved: 0, tombstonesKept: 0 }
      let count = 0
      const max = Math.min(this.index.length - 1, COMPACTION_BATCHES_MAX)
      while (count < max && this.index.lastOffset(count) < this.hwm) count++
      const cleanEnd = count > 0 ? this.index.lastOffset(count - 1) + 1 : this.startOffset
      if (count === 0 || (cleanEnd === this.cleanedEnd && !this.tombstonesPending)) return none
      const bases = this.basesFrom(0, count)
      const found = await this.fetchChecked(bases)
      const { plan, result } = planCompaction(found as Buffer[], opts)
      this.cleanedEnd = cleanEnd
      this.tombstonesPending = result.tombstonesKept > 0
      if (plan.size === 0) return result
      const sizes = new Map<number, number | null>()
      const removed: number[] = []
      const removedLocations: number[] = []
      const replaced: { baseOffset: number; bytes: Buffer }[] = []
      for (const [pos, bytes] of plan) {
        sizes.set(pos, bytes === null ? null : bytes.length)
        if (bytes === null) {
          removed.push(bases[pos]!)
          removedLocations.push(this.index.location(pos))
        } else {
          replaced.push({ baseOffset: bases[pos]!, bytes })
        }
      }
      this.index.rewrite(sizes)
      await this.commit({ appended: [], removed, removedLocations, removedFrom: 'compaction', replaced })
      this.notify()
      return result
    })
  }

  onChange(listener: (log: PartitionLog) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  waitFor(ready: (log: PartitionLog) => boolean, signal?: AbortSignal): Promise<boolean> {
    if (ready(this)) return Promise.resolve(true)
    if (this.unusable || signal?.aborted) return Promise.resolve(false)
    return new Promise((resolve) => {
      const finish = (result: boolean): void => {
        unsubscribe()
        signal?.removeEventListener('abort', onAbort)
        resolve(result)
      }
      const onAbort = (): void => finish(false)
      const unsubscribe = this.onChange(() => {
        if (ready(this)) finish(true)
        else if (this.unusable) finish(false)
      })
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** Persists the HWM and epoch cache if they changed (Kafka checkpoints the HWM periodically). */
  checkpoint(): Promise<void> {
    if (!this.stateDirty || this.unusable) return Promise.resolve()
    return this.queue.run(false, () => {
      if (!this.stateDirty || this.unusable) return Promise.resolve()
      return this.commit({ appended: [], ...NOTHING_REMOVED, removedFrom: null })
    })
  }

  /** Store-side: waits for pending work, checkpoints, then refuses further use (in one queued step,
   * so an append queued behind it fails instead of writing to a closing database). */
  async close(): Promise<void> {
    await this.queue.run(true, async () => {
      if (this.stateDirty && !this.unusable) await this.commit({ appended: [], ...NOTHING_REMOVED, removedFrom: null }).catch(() => undefined)
      this.markUnusable(new StorageError('STORE_CLOSED', `the log of ${this.name()} is closed`))
    })
  }

  /** Store-side: waits for pending work, then deletes everything of the partition. */
  async destroy(): Promise<void> {
    await this.queue.run(true, async () => {
      this.markUnusable(new StorageError('PARTITION_DELETED', `partition ${this.name()} was deleted`))
      await this.backend.destroy()
    })
  }

  /** Store-side: a write of the store failed; nothing more is accepted. */
  fail(error: StorageError): void {
    this.markUnusable(error)
  }

  private append(records: Buffer | ParsedBatches | readonly ParsedBatches[], leaderEpoch: number | null): Promise<AppendInfo> {
    this.checkUsable()
    // Headers the caller read (and validated) are used as they are; bare bytes are read here.
    const parts = Buffer.isBuffer(records) ? [splitBatches(records)] : isParts(records) ? records : [records]
    const batches = parts.length === 1 ? parts[0]!.batches : parts.flatMap((part) => part.batches)
    assert(batches.length > 0, 'an append without a record batch')
    if (leaderEpoch !== null) {
      let next = this.nextOffset
      for (const part of parts) {
        for (const batch of part.batches) {
          stampBatch(part.bytes, batch, next, leaderEpoch)
          next = batch.lastOffset + 1
        }
      }
    } else {
      this.checkFollowerOffsets(batches)
    }
    const info: AppendInfo = { baseOffset: batches[0]!.baseOffset, lastOffset: 0, maxTimestamp: -1, recordCount: 0, sizeBytes: 0 }
    for (const batch of batches) {
      this.index.push(batch.baseOffset, batch.lastOffset, batch.sizeBytes, batch.maxTimestamp)
      // Every batch's epoch, as Kafka's log does (LeaderEpochFileCache.assign): a batch of an
      // older epoch than the latest entry drops the entries it contradicts, so the cache always
      // says what the batches say. A follower append that landed after its broker had assigned a
      // new epoch at its LEO once left that entry over a batch of an older epoch, and every
      // follower of that leader truncated and refetched the batch forever.
      // (From the log start at most, as the leader's cache after a deletion: truncateFromStart.)
      if (batch.partitionLeaderEpoch >= 0) this.epochs.assign(batch.partitionLeaderEpoch, Math.max(batch.baseOffset, this.startOffset))
      info.lastOffset = batch.lastOffset
      info.maxTimestamp = Math.max(info.maxTimestamp, batch.maxTimestamp)
      info.recordCount += batch.recordsCount
      info.sizeBytes += batch.sizeBytes
    }
    this.nextOffset = info.lastOffset + 1
    const endAfter = this.nextOffset
    const appended: Buffer[] = []
    for (const part of parts) {
      for (const b of part.batches) {
        const bytes = batchBytes(part, b)
        appended.push(bytes)
        this.inFlight.set(b.baseOffset, bytes)
      }
    }
    const landed = (): void => {
      for (const batch of batches) this.inFlight.delete(batch.baseOffset)
    }
    return this.commit({ appended, ...NOTHING_REMOVED, removedFrom: null }).then(
      () => {
        landed()
        this.endOffset = endAfter
        this.notify()
        return info
      },
      (error: unknown) => {
        landed()
        throw error
      },
    )
  }

  private checkFollowerOffsets(batches: readonly BatchHeader[]): void {
    let expectedMin = this.nextOffset
    for (const [i, batch] of batches.entries()) {
      // A log restarted empty at its leader's log start (truncateFullyAndStartAt) fetches from
      // there, and gets the whole batch across it when a deletion fell inside a batch: kept whole,
      // as the leader keeps it, with the log start where it is. (Kafka restarts the log at the
      // batch's base, then moves the log start up again after the append.)
      const acrossStart = i === 0 && this.index.length === 0 && this.nextOffset === this.startOffset && batch.lastOffset >= this.startOffset
      if (batch.baseOffset < expectedMin && !acrossStart) {
        throw new StorageError(
          'UNEXPECTED_APPEND_OFFSET',
          `follower append to ${this.name()} at offset ${batch.baseOffset}, expected ${expectedMin} or later`,
        )
      }
      expectedMin = batch.lastOffset + 1
    }
  }

  private async removeHead(count: number, newStart: number): Promise<void> {
    const removed = this.removal(0, count)
    this.index.removeHead(count)
    this.startOffset = newStart
    this.hwm = Math.max(this.hwm, newStart)
    this.epochs.truncateFromStart(newStart)
    await this.commit({ appended: [], ...removed, removedFrom: count > 0 ? 'head' : null })
    this.notify()
  }

  /** Starts one durable change with the state as it is now. */
  private commit(change: Omit<PartitionChange, 'state'>): Promise<void> {
    const state: PartitionState = {
      logStartOffset: this.startOffset,
      logEndOffset: this.nextOffset,
      highWatermark: this.hwm,
      epochs: this.epochs.toJSON(),
    }
    this.stateDirty = false
    let write: Promise<void>
    try {
      write = this.backend.commit({ ...change, state }, this.index)
    } catch (error) {
      write = Promise.reject(error)
    }
    this.lastCommit = write
    return write.catch((error: unknown) => {
      const failure =
        error instanceof StorageError ? error : new StorageError('STORE_FAILED', `write to ${this.name()} failed`, { cause: error })
      this.markUnusable(failure)
      throw failure
    })
  }

  private restore(state: PartitionState): void {
    // Leftovers of batches below the log start (a partly deleted chunk of index) are not data.
    let dead = 0
    while (dead < this.index.length && this.index.lastOffset(dead) < state.logStartOffset) dead++
    this.index.removeHead(dead)
    const last = this.index.length > 0 ? this.index.lastOffset(this.index.length - 1) : -1
    if (last >= state.logEndOffset || state.logStartOffset > state.logEndOffset) {
      throw new StorageError(
        'CORRUPT',
        `stored state of ${this.name()} (log start ${state.logStartOffset}, LEO ${state.logEndOffset}) contradicts its last batch ending at ${last}`,
      )
    }
    this.startOffset = state.logStartOffset
    this.nextOffset = this.endOffset = state.logEndOffset
    this.hwm = Math.min(Math.max(state.highWatermark, this.startOffset), this.endOffset)
    this.epochs = new LeaderEpochCache(state.epochs)
  }

  /** The backend's fetch, with a corrupt batch's error naming its whole offset range. */
  private async fetchChecked(bases: number[]): Promise<(Buffer | undefined)[]> {
    try {
      return await this.backend.fetch(bases)
    } catch (error) {
      if (error instanceof StorageError && error.code === 'CORRUPT_BATCH' && error.offsets) throw this.corruptRange(error)
      throw error
    }
  }

  /** A CORRUPT_BATCH error with the bad batch's whole offset range (the store knows its base). */
  private corruptRange(error: StorageError): StorageError {
    const first = error.offsets!.first
    const pos = this.index.positionOfBase(first)
    const last = pos >= 0 ? this.index.lastOffset(pos) : first
    return new StorageError('CORRUPT_BATCH', `${error.message} (offsets ${first}-${last})`, { cause: error.cause, offsets: { first, last } })
  }

  /** The batches at positions [from, to) as a change names them, read before the index forgets them. */
  private removal(from: number, to: number): { removed: number[]; removedLocations: number[] } {
    const removedLocations = new Array<number>(to - from)
    for (let pos = from; pos < to; pos++) removedLocations[pos - from] = this.index.location(pos)
    return { removed: this.basesFrom(from, to), removedLocations }
  }

  private basesFrom(from: number, to: number): number[] {
    const bases = new Array<number>(to - from)
    for (let pos = from; pos < to; pos++) bases[pos - from] = this.index.baseOffset(pos)
    return bases
  }

  private checkInRange(offset: number, end = this.endOffset): void {
    if (offset < this.startOffset || offset > end) {
      throw new StorageError(
        'OFFSET_OUT_OF_RANGE',
        `offset ${offset} is outside the log of ${this.name()} [${this.startOffset}, ${end}]`,
      )
    }
  }

  private checkUsable(): void {
    if (this.unusable) throw this.unusable
  }

  private markUnusable(error: StorageError): void {
    if (this.unusable) return
    this.unusable = error
    this.notify()
  }

  private notify(): void {
    for (const listener of this.listeners) {
      try {
        listener(this)
      } catch (error) {
        // A listener's bug must not break the log's bookkeeping: surface it on its own.
        queueMicrotask(() => {
          throw error
        })
      }
    }
  }

  private name(): string {
    return `${this.topicId}/${this.partition}`
  }
}

function isParts(records: ParsedBatches | readonly ParsedBatches[]): records is readonly ParsedBatches[] {
  return Array.isArray(records)
}
