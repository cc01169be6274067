/**
 * What the shared partition-log core (partition-log.ts) asks of a store: load a partition, make one
 * change durable, fetch stored batches. The LevelDB and in-memory stores each implement it; all the
 * Kafka semantics live once, in the core.
 *
 * Ordering contract: the core calls commit() in the order its changes happen, synchronously after
 * updating its index, and a backend makes changes durable in that order (commit promises settle
 * in call order). A commit whose promise resolved survives a crash of the process.
 */
import type { BatchIndex } from './batch-index.js'
import type { EpochPair } from './epoch-cache.js'

export interface PartitionState {
  logStartOffset: number
  logEndOffset: number
  /** A checkpoint: may lag after a crash, never ahead of logEndOffset. */
  highWatermark: number
  epochs: EpochPair[]
}

/** One durable step of a partition: batches added at the tail and/or removed, plus the new state. */
export interface PartitionChange {
  state: PartitionState
  /** Batches added at the tail; their index entries are already at the end of the index. */
  appended: Buffer[]
  /** Base offsets of the batches removed, all from the head or all from the tail, or (compaction)
   * anywhere. */
  removed: number[]
  /** Where the store kept each of `removed` (BatchIndex.location, read before the index forgot them). */
  removedLocations: number[]
  removedFrom: 'head' | 'tail' | 'compaction' | null
  /** Compaction: new bytes for batches kept at their base offset (their index entries are updated). */
  replaced?: { baseOffset: number; bytes: Buffer }[]
}

export interface PartitionBackend {
  /** Fills `index` from storage and returns the stored state, or undefined for a new partition. */
  load(index: BatchIndex): Promise<PartitionState | undefined>
  /** Builds the write synchronously (the index and change describe the state right now). */
  commit(change: PartitionChange, index: BatchIndex): Promise<void>
  /**
   * The stored bytes of the batches with these base offsets, in order. A batch removed meanwhile
   * (retention racing the read) comes back undefined.
   */
  fetch(baseOffsets: number[]): Promise<(Buffer | undefined)[]>
  /** Deletes everything of the partition (after the core drained its writes). */
  destroy(): Promise<void>
}

export const NOTHING_REMOVED: Readonly<Pick<PartitionChange, 'removed' | 'removedLocations'>> = { removed: [], removedLocations: [] }

export function emptyState(): PartitionState {
  return { logStartOffset: 0, logEndOffset: 0, highWatermark: 0, epochs: [] }
}
