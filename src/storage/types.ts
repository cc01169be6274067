/**
 * The storage layer's contract: one LogStore per simulated broker, one PartitionLog per hosted
 * partition. Two stores implement it (LevelDB in leveldb.ts, memory in memory.ts) on one shared
 * partition-log core, and test/storage/conformance.ts holds both to the same behaviour.
 *
 * Offsets, timestamps and sizes are JS numbers (exact up to 2^53). Record batches are Kafka
 * RecordBatch v2 bytes; the log reads a few header fields and never decodes records.
 */
import type { ParsedBatches } from '../protocol/batch-layout.js'
import type { CompactionOptions, CompactionResult } from './compaction.js'
import type { StorageError } from './errors.js'

export interface LogStoreOptions {
  /** `--fsync` mode: every group commit is a synchronous LevelDB write (survives power loss). */
  sync?: boolean
  /** Budget of the store-wide cache of recently appended batches that serves tailing reads. */
  tailCacheBytes?: number
}

export interface LogStore {
  open(): Promise<void>
  /** Waits for pending writes, checkpoints every open partition, closes the database. */
  close(): Promise<void>
  /** Opens (loading its state) or creates the log of a partition. Concurrent calls share one log. */
  partition(topicId: string, partition: number): Promise<PartitionLog>
  /** Removes the partition's data, index and state. An open log of it fails with PARTITION_DELETED. */
  deletePartition(topicId: string, partition: number): Promise<void>
  listPartitions(): Promise<{ topicId: string; partition: number }[]>
  /** Persists the lazily kept state (high watermarks) of every open partition. */
  checkpoint(): Promise<void>
  /** A small ordered KV space for the broker's own metadata (e.g. the controller's metadata log). */
  readonly meta: MetaStore
  /** The write failure that took the store offline (every later call fails with it), or null. */
  readonly failed: StorageError | null
  /** Told once, when a write fails and the store goes offline. */
  onFailure(listener: (error: StorageError) => void): void
}

export type MetaOp = { type: 'put'; key: string; value: Buffer } | { type: 'del'; key: string }

/** String keys ordered by their UTF-8 bytes, Buffer values. Writes are atomic and in call order. */
export interface MetaStore {
  get(key: string): Promise<Buffer | undefined>
  put(key: string, value: Buffer): Promise<void>
  del(key: string): Promise<void>
  /** Applies all operations in one atomic write. */
  batch(ops: MetaOp[]): Promise<void>
  /** Entries whose key starts with `prefix`, in key order (or reverse); `gt` skips up to a key. */
  entries(prefix: string, opts?: { gt?: string; limit?: number; reverse?: boolean }): Promise<[string, Buffer][]>
}

export interface AppendInfo {
  baseOffset: number
  lastOffset: number
  /** Max of the appended batches' maxTimestamp (-1 when none carries one). */
  maxTimestamp: number
  recordCount: number
  sizeBytes: number
}

export interface RetentionOptions {
  nowMs: number
  /** retention.ms; negative means unlimited. */
  retentionMs: number
  /** retention.bytes; negative means unlimited. */
  retentionBytes: number
}

export interface EpochEndOffset {
  /** -1 (UNDEFINED_EPOCH) when the requested epoch is unknown or above the latest. */
  epoch: number
  /** -1 (UNDEFINED_EPOCH_OFFSET) with epoch -1. */
  endOffset: number
}

export interface PartitionLog {
  readonly topicId: string
  readonly partition: number
  readonly logStartOffset: number
  /** LEO: next offset to assign. Only covers durable batches: it moves when the write lands. */
  readonly logEndOffset: number
  /**
   * Where the next append goes: logEndOffset plus the appends whose write is still in flight. A
   * leader serves its followers up to here (ReadOptions.inFlight), so that their writes overlap
   * its own; the high watermark still waits for the leader's write (logEndOffset).
   */
  readonly appendedEndOffset: number
  readonly highWatermark: number
  readonly sizeBytes: number
  /** Stored batches (after retention). */
  readonly batchCount: number
  /**
   * Offsets the log held when its store last closed cleanly and did not hold when it opened (the
   * store lost writes while closed, e.g. a cut LevelDB write-ahead log); null when none were lost
   * or the last close was not clean (nothing to compare with).
   */
  readonly lostAtOpen: { first: number; last: number } | null

  /**
   * Leader append: `records` holds one or more batches (already validated by the protocol layer),
   * as bytes or with their headers read (ParsedBatches: the Produce handler's, used as they are;
   * bare bytes are read here, checking only the framing). Assigns offsets from LEO, stamps
   * baseOffset and partitionLeaderEpoch in place (in the bytes and the headers), writes, and
   * resolves once in LevelDB. Appends to one partition are ordered; concurrent calls are group
   * committed. The log owns `records` from the call on: the caller must not modify it.
   * Rejects with StorageError INVALID_BATCH if the framing of bare bytes is wrong.
   */
  appendAsLeader(records: Buffer | ParsedBatches, leaderEpoch: number): Promise<AppendInfo>
  /**
   * Follower append: batches already carry their offsets and epochs. The first must start at or
   * after LEO (past LEO only where compaction left a gap), else UNEXPECTED_APPEND_OFFSET.
   */
  appendAsFollower(records: Buffer | ParsedBatches | readonly ParsedBatches[]): Promise<AppendInfo>

  /**
   * Whole stored batches starting with the one that contains `offset`, in order, while the total
   * stays within maxBytes, but always at least one batch if any starts below `maxOffsetExclusive`
   * (HWM for consumers, LEO for followers). Never a batch whose base offset >= maxOffsetExclusive.
   * Throws StorageError OFFSET_OUT_OF_RANGE when offset < logStartOffset or offset > LEO; an
   * offset equal to LEO gives []. The returned buffers are shared: do not modify them.
   * Batches read from disk are checked (framing, offset, CRC-32C) before they are returned: a bad
   * or missing one throws StorageError CORRUPT_BATCH with its offsets, never its bytes.
   */
  read(offset: number, maxBytes: number, maxOffsetExclusive: number, opts?: ReadOptions): Promise<Buffer[]>
  /**
   * ListOffsets by time, at batch granularity: the first batch (in offset order) whose maxTimestamp
   * >= ts; returns max(its base offset, logStartOffset) and that batch's maxTimestamp, or null.
   * Kafka answers with the exact record: a broker that wants it reads that one batch and looks
   * for the first record with timestamp >= ts (the log does not decode records).
   */
  offsetForTimestamp(ts: number): Promise<{ offset: number; timestamp: number } | null>

  /** Clamped to [logStartOffset, LEO] as Kafka does; persisted with the next write or checkpoint. */
  setHighWatermark(offset: number): void

  /** Leader epoch cache (epoch -> start offset), Kafka's LeaderEpochFileCache rules. Appends also
   * assign the epochs their batches carry. Persisted soon after (in call order with appends). */
  assignEpochStart(epoch: number, startOffset: number): void
  /** -1 when empty. */
  latestEpoch(): number
  /** OffsetForLeaderEpoch semantics. */
  endOffsetForEpoch(epoch: number, opts?: ReadOptions): EpochEndOffset
  /** Epoch cache entries, oldest first (for diagnostics and tests). */
  epochEntries(): { epoch: number; startOffset: number }[]

  /**
   * Drops every batch with an offset >= `offset` (replica divergence) and fixes the epoch cache.
   * A batch that straddles `offset` goes entirely: the LEO becomes its base offset. Below
   * logStartOffset, the log is emptied and starts at `offset`. At or beyond LEO no batch goes, but
   * epoch entries starting at the LEO do (an epoch assigned at an election, nothing written in it).
   */
  truncateTo(offset: number): Promise<void>
  /**
   * A follower whose log ends below its leader's log start (Kafka's truncateFullyAndStartAt): every
   * batch and epoch entry goes, and the log restarts empty at `offset` (log start, LEO and HWM).
   */
  truncateFullyAndStartAt(offset: number): Promise<void>
  /** DeleteRecords: moves logStartOffset to `offset` (no-op if not above it) and deletes whole
   * batches entirely below it. OFFSET_OUT_OF_RANGE beyond LEO. */
  deleteRecordsBefore(offset: number): Promise<void>
  /**
   * Kafka retention at batch granularity (a batch plays a segment): deletes the longest head prefix
   * whose maxTimestamp is older than retentionMs, then the head batches that the log can lose while
   * staying at or above retentionBytes. Only batches below the high watermark go; the last batch
   * may go too (Kafka rolls and deletes an expired active segment), the LEO stays. Deletes at most
   * RETENTION_BATCHES_MAX per call. Returns the number of batches deleted.
   * (cleanup.policy=compact is `compact`.)
   */
  applyRetention(opts: RetentionOptions): Promise<number>

  /**
   * cleanup.policy=compact: below the HWM and never in the last stored batch, keeps only the last
   * record of each key (tombstones go after deleteRetentionMs); rewritten batches keep their base
   * offset and every kept record its offset, batches left empty are removed. See compaction.ts.
   */
  compact(opts: CompactionOptions): Promise<CompactionResult>

  /**
   * Long-poll support: `listener` runs synchronously after the LEO, HWM or log start offset
   * changes. Returns the unsubscribe function; keep listeners cheap and always unsubscribe.
   */
  onChange(listener: (log: PartitionLog) => void): () => void
  /** Resolves true once `ready(log)` holds (checked now and on every change), false on abort. */
  waitFor(ready: (log: PartitionLog) => boolean, signal?: AbortSignal): Promise<boolean>
}

export interface ReadOptions {
  /** Up to appendedEndOffset instead of logEndOffset: batches whose write is in flight too (a leader serving its followers). */
  inFlight?: boolean
}

/**
 * The read size of a pass over a whole log: the scrub, the replay of the idempotent producers'
 * state, a coordinator's load of its internal topic. Many such passes run at once when a broker
 * starts or takes over coordinators, and a read holds its bytes twice (LevelDB's copy, then the
 * Buffers made from it): 32 MB reads of the producer state's replay took 80-140 MB for seconds at
 * a broker's start (docs/performance.md), so they read a little at a time.
 */
export const LOG_PASS_READ_BYTES = 1024 * 1024
