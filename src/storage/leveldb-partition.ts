/**
 * One partition's persistence in the broker's LevelDB (key layout in keys.ts).
 *
 * Every change is one entry of the store's group commit: batch bytes, their index entries and the
 * partition state go in the same atomic LevelDB write, so a crash never leaves them disagreeing.
 * Large batches (BATCH_STORE_MIN_BYTES and up, by default) go to the batch store instead, under a sequence
 * number their index entry keeps as its location: written before the write that indexes them,
 * deleted after the write that stops indexing them (group-commit.ts).
 *
 * Index persistence is built for fast opening: the newest batches have one small "loose" index
 * key each; once chunkBatches (2048) of them accumulate, they are sealed into one chunk value (and the
 * loose keys deleted) in the same write. Opening reads a few hundred chunk values per million
 * batches instead of a million keys. Head deletions drop chunks that became entirely dead (a
 * partly dead chunk stays; its dead entries are skipped on load); a truncation rewrites the chunk
 * it cuts.
 */
import type { ClassicLevel } from 'classic-level'
import type { PartitionBackend, PartitionChange, PartitionState } from './backend.js'
import { storedBatchFault } from './batch-checks.js'
import { BatchIndex } from './batch-index.js'
import { StorageError } from './errors.js'
import type { BatchStoreOps, GroupCommitter, WriteOps } from './group-commit.js'
import {
  batchStoreKey,
  decodeState,
  encodeChunk,
  encodeIndexEntry,
  encodeState,
  KEYSPACE_CHUNK,
  KEYSPACE_DATA,
  KEYSPACE_INDEX,
  loadChunk,
  loadIndexEntry,
  offsetOfKey,
  PartitionKeys,
} from './keys.js'
import type { PartitionTail, TailCache } from './tail-cache.js'

/** Loose index entries sealed per chunk by default (a chunk is then ~64 KB). */
export const CHUNK_BATCHES = 2048
const LOAD_STEP = 256
/**
 * Reads of the batch store leave its block cache (8 MB a store) alone, as Kafka leaves log reads to
 * the page cache: a batch there is 16 KB or more, blocks of its own, and a consumer or the scrub
 * reading a log from disk reads each once (followers and tailing consumers read the tail cache).
 * The main store's small batches share blocks, so reading them in order uses its cache.
 */
const BATCH_STORE_READ = { fillCache: false }
/**
 * Batches of this size and up go to the batch store. Its keys only grow, so LevelDB moves its
 * files down the levels without rewriting them; in the main store, where partitions' keys
 * interleave, every memtable flush overlaps the files below and compaction rewrites them (half the
 * CPU of a bulk load, docs/performance.md). Small batches (the latency path: a few records each)
 * stay in the main store: one LevelDB write per commit.
 */
export const BATCH_STORE_MIN_BYTES = 16 * 1024
const EMPTY = Buffer.alloc(0)

/** The broker's batch store: its LevelDB, the next sequence to give a batch, the size that goes there. */
export interface BatchStore {
  db: ClassicLevel<Buffer, Buffer>
  nextSeq: number
  minBytes: number
}

export class LevelPartitionBackend implements PartitionBackend {
  private readonly keys: PartitionKeys
  private readonly stateKey: Buffer
  private readonly tail: PartitionTail = new Map()
  /** Keys (first base offsets) of the sealed chunks, ascending. */
  private chunkBases: number[] = []
  /** Base offset of the oldest loose index entry; null when every entry is in a chunk. */
  private looseFirstBase: number | null = null
  /** The partition log's index (the same object at load and every commit). */
  private index: BatchIndex | null = null

  constructor(
    private readonly db: ClassicLevel<Buffer, Buffer>,
    private readonly batchStore: BatchStore,
    private readonly committer: GroupCommitter,
    private readonly tailCache: TailCache,
    private readonly name: string,
    topicId: string,
    partition: number,
    private readonly chunkBatches = CHUNK_BATCHES,
  ) {
    this.keys = new PartitionKeys(topicId, partition)
    this.stateKey = this.keys.state()
  }

  async load(index: BatchIndex): Promise<PartitionState | undefined> {
    this.index = index
    const stored = await this.db.get(this.stateKey)
    if (stored === undefined) {
      // Keys without state (a deletion a crash interrupted, in a home without its mark) are not
      // ours anymore.
      await this.clearByStoredIndex()
      return undefined
    }
    const state = decodeState(stored, this.name)
    await this.loadIndex(index)
    return state
  }

  commit(change: PartitionChange, index: BatchIndex): Promise<void> {
    const ops: WriteOps = []
    const batches: BatchStoreOps = { puts: [], deletes: [] }
    if (change.removedFrom === 'compaction') this.compact(change, index, ops, batches)
    else if (change.removed.length > 0) this.remove(change, index, ops, batches)
    if (change.appended.length > 0) this.append(change.appended, index, ops, batches)
    const state = { owner: this, key: this.stateKey, encode: () => encodeState(change.state) }
    return this.committer.write(ops, state, batches.puts.length + batches.deletes.length > 0 ? batches : undefined)
  }

  async fetch(baseOffsets: number[]): Promise<(Buffer | undefined)[]> {
    const found: (Buffer | undefined)[] = baseOffsets.map((base) => this.tail.get(base))
    const missing: number[] = []
    for (let i = 0; i < found.length; i++) if (found[i] === undefined) missing.push(i)
    if (missing.length === 0) return found
    // Where each batch is, as the index says now (a batch gone meanwhile reads as undefined).
    const index = this.index!
    const locations = missing.map((i) => {
      const pos = index.positionOfBase(baseOffsets[i]!)
      return pos < 0 ? 0 : index.location(pos)
    })
    const keyOf = (j: number): Buffer => (locations[j]! > 0 ? batchStoreKey(locations[j]!) : this.keys.data(baseOffsets[missing[j]!]!))
    let values: (Buffer | undefined)[]
    try {
      values = await this.getMany(locations, keyOf)
    } catch (error) {
      if ((error as { code?: string }).code !== 'LEVEL_CORRUPTION') {
        throw new StorageError('IO_ERROR', `reading ${this.name} from offset ${baseOffsets[missing[0]!]} failed`, { cause: error })
      }
      // LevelDB names no key: find the first batch it cannot read, so recovery starts there.
      values = []
      for (let j = 0; j < missing.length; j++) {
        try {
          values.push(await (locations[j]! > 0 ? this.batchStore.db.get(keyOf(j), BATCH_STORE_READ) : this.db.get(keyOf(j))))
        } catch (keyError) {
          throw this.corrupt(baseOffsets[missing[j]!]!, `LevelDB: ${String(keyError)}`, keyError)
        }
      }
    }
    // Batches from disk are checked once, here, before anything serves them; the tail cache holds
    // the bytes as appended, which never went through the disk.
    for (let j = 0; j < missing.length; j++) {
      const base = baseOffsets[missing[j]!]!
      const value = values[j]
      const fault = value === undefined ? null : storedBatchFault(value, base)
      if (fault !== null) throw this.corrupt(base, fault)
      found[missing[j]!] = value
    }
    return found
  }

  /** The values of keyOf(0..n) from the store each location names, in order. */
  private async getMany(locations: number[], keyOf: (j: number) => Buffer): Promise<(Buffer | undefined)[]> {
    const inBatchStore: number[] = []
    const inMain: number[] = []
    for (let j = 0; j < locations.length; j++) (locations[j]! > 0 ? inBatchStore : inMain).push(j)
    if (inMain.length === 0) return this.batchStore.db.getMany(inBatchStore.map(keyOf), BATCH_STORE_READ)
    if (inBatchStore.length === 0) return this.db.getMany(inMain.map(keyOf))
    const [main, stored] = await Promise.all([this.db.getMany(inMain.map(keyOf)), this.batchStore.db.getMany(inBatchStore.map(keyOf), BATCH_STORE_READ)])
    const values = new Array<Buffer | undefined>(locations.length)
    inMain.forEach((j, k) => (values[j] = main[k]))
    inBatchStore.forEach((j, k) => (values[j] = stored[k]))
    return values
  }

  /** The partition log adds the batch's last offset from its index. */
  private corrupt(baseOffset: number, fault: string, cause?: unknown): StorageError {
    return new StorageError('CORRUPT_BATCH', `the stored batch of ${this.name} at offset ${baseOffset} is corrupt: ${fault}`, {
      cause,
      offsets: { first: baseOffset, last: baseOffset },
    })
  }

  /**
   * Deletes the partition: its state goes, with a mark of the deletion, in one write; then its
   * batches and keys, found from what is stored when the log was not opened (a partition deleted
   * before its broker opened it); then the mark. A crash before the mark goes leaves it for the
   * store's open to finish the deletion (clearDeleted).
   */
  async destroy(): Promise<void> {
    this.tailCache.clear(this.tail)
    const mark = this.keys.deleting()
    await this.committer.write([this.stateKey, null, mark, EMPTY])
    await this.clearStored()
    await this.committer.write([mark, null])
  }

  /**
   * Finishes a deletion a crash interrupted: clears the partition's batches and keys unless it has
   * a state again (it was created anew after the deletion), then drops the mark. At the store's
   * open, before the committer takes writes.
   */
  async clearDeleted(): Promise<void> {
    if ((await this.db.get(this.stateKey)) === undefined) await this.clearStored()
    await this.db.del(this.keys.deleting())
  }

  /** Every batch and key of the partition, by its loaded index, or by the stored one. */
  private async clearStored(): Promise<void> {
    if (this.index) await this.clearAll(this.index)
    else await this.clearByStoredIndex()
  }

  /** Every batch and key of the partition, found by the index as stored. */
  private async clearByStoredIndex(): Promise<void> {
    const stored = new BatchIndex()
    await this.loadIndex(stored)
    await this.clearAll(stored)
    this.chunkBases = []
    this.looseFirstBase = null
  }

  private async loadIndex(index: BatchIndex): Promise<void> {
    for await (const [key, value] of this.entries(KEYSPACE_CHUNK)) {
      this.chunkBases.push(offsetOfKey(key))
      loadChunk(index, value, this.name)
    }
    for await (const [key, value] of this.entries(KEYSPACE_INDEX)) {
      const base = offsetOfKey(key)
      this.looseFirstBase ??= base
      loadIndexEntry(index, base, value, this.name)
    }
  }

  /** Every batch of the index out of the batch store, then the partition's keyspaces. */
  private async clearAll(index: BatchIndex): Promise<void> {
    const deletes: { type: 'del'; key: Buffer }[] = []
    for (let pos = 0; pos < index.length; pos++) {
      if (index.location(pos) > 0) deletes.push({ type: 'del', key: batchStoreKey(index.location(pos)) })
    }
    if (deletes.length > 0) await this.batchStore.db.batch(deletes)
    for (const keyspace of [KEYSPACE_DATA, KEYSPACE_INDEX, KEYSPACE_CHUNK]) await this.db.clear(this.keys.range(keyspace))
  }

  private append(appended: Buffer[], index: BatchIndex, ops: WriteOps, batches: BatchStoreOps): void {
    const first = index.length - appended.length
    for (let i = 0; i < appended.length; i++) {
      const base = index.baseOffset(first + i)
      const bytes = appended[i]!
      if (bytes.length >= this.batchStore.minBytes) {
        const seq = this.batchStore.nextSeq++
        index.setLocation(first + i, seq)
        batches.puts.push(batchStoreKey(seq), bytes)
      } else {
        ops.push(this.keys.data(base), bytes)
      }
      this.tailCache.add(this.tail, base, bytes)
    }
    this.looseFirstBase ??= index.baseOffset(first)
    const looseFrom = index.positionFor(this.looseFirstBase)
    if (index.length - looseFrom >= this.chunkBatches) {
      // Seal: one chunk replaces the loose entries (those of this change are never written loose).
      ops.push(this.keys.chunk(this.looseFirstBase), encodeChunk(index, looseFrom, index.length))
      for (let pos = looseFrom; pos < first; pos++) ops.push(this.keys.index(index.baseOffset(pos)), null)
      this.chunkBases.push(this.looseFirstBase)
      this.looseFirstBase = null
    } else {
      for (let pos = first; pos < index.length; pos++) ops.push(this.keys.index(index.baseOffset(pos)), encodeIndexEntry(index, pos))
    }
  }

  /**
   * Compaction: batches removed or replaced anywhere below the tail (`index` is already rewritten).
   * The sealed chunks are rewritten from the index (the sizes in them changed) and the loose
   * entries put again: O(batches), like the cleaner's pass over the log.
   */
  private compact(change: PartitionChange, index: BatchIndex, ops: WriteOps, batches: BatchStoreOps): void {
    const loose = this.looseFirstBase ?? Infinity
    this.removeBatches(change, ops, batches, loose)
    // A rewritten batch is put in the main store under its offset (compacted topics are small).
    for (const { baseOffset, bytes } of change.replaced ?? []) {
      const pos = index.positionOfBase(baseOffset)
      if (index.location(pos) > 0) batches.deletes.push(batchStoreKey(index.location(pos)))
      index.setLocation(pos, 0)
      ops.push(this.keys.data(baseOffset), bytes)
      this.tailCache.add(this.tail, baseOffset, bytes)
    }
    for (const base of this.chunkBases) ops.push(this.keys.chunk(base), null)
    this.chunkBases = []
    const looseFrom = index.positionFor(loose)
    for (let from = 0; from < looseFrom; from += this.chunkBatches) {
      const to = Math.min(from + this.chunkBatches, looseFrom)
      ops.push(this.keys.chunk(index.baseOffset(from)), encodeChunk(index, from, to))
      this.chunkBases.push(index.baseOffset(from))
    }
    for (let pos = looseFrom; pos < index.length; pos++) ops.push(this.keys.index(index.baseOffset(pos)), encodeIndexEntry(index, pos))
    this.looseFirstBase = looseFrom < index.length ? index.baseOffset(looseFrom) : null
  }

  /** The batches in `change.removed` are already gone from `index`. */
  private remove(change: PartitionChange, index: BatchIndex, ops: WriteOps, batches: BatchStoreOps): void {
    const loose = this.looseFirstBase ?? Infinity
    this.removeBatches(change, ops, batches, loose)
    if (change.removedFrom === 'head') {
      // A chunk is dead once everything up to the next boundary is gone.
      const firstLive = index.length > 0 ? index.baseOffset(0) : Infinity
      while (this.chunkBases.length > 0) {
        const end = this.chunkBases.length > 1 ? this.chunkBases[1]! : loose
        if (end > firstLive) break
        ops.push(this.keys.chunk(this.chunkBases.shift()!), null)
      }
      if (index.length === 0) this.looseFirstBase = null
      else if (this.looseFirstBase !== null) this.looseFirstBase = Math.max(this.looseFirstBase, firstLive)
      return
    }
    // Tail truncation at `cut`: chunks starting at or after it go, the one it cuts is rewritten.
    const cut = change.removed[0]!
    if (cut >= loose) {
      if (index.length === 0 || index.baseOffset(index.length - 1) < loose) this.looseFirstBase = null
      return
    }
    while (this.chunkBases.length > 0 && this.chunkBases[this.chunkBases.length - 1]! >= cut) {
      ops.push(this.keys.chunk(this.chunkBases.pop()!), null)
    }
    const last = this.chunkBases[this.chunkBases.length - 1]
    if (last !== undefined) {
      const from = index.positionFor(last)
      if (from < index.length) ops.push(this.keys.chunk(last), encodeChunk(index, from, index.length))
      else ops.push(this.keys.chunk(this.chunkBases.pop()!), null)
    }
    this.looseFirstBase = null
  }

  private removeBatches(change: PartitionChange, ops: WriteOps, batches: BatchStoreOps, loose: number): void {
    for (let i = 0; i < change.removed.length; i++) {
      const base = change.removed[i]!
      const location = change.removedLocations[i]!
      if (location > 0) batches.deletes.push(batchStoreKey(location))
      else ops.push(this.keys.data(base), null)
      if (base >= loose) ops.push(this.keys.index(base), null)
      this.tailCache.remove(this.tail, base)
    }
  }

  private async *entries(keyspace: number): AsyncGenerator<[Buffer, Buffer]> {
    const iterator = this.db.iterator({ ...this.keys.range(keyspace) })
    try {
      for (;;) {
        const step = await iterator.nextv(LOAD_STEP)
        if (step.length === 0) return
        yield* step
      }
    } finally {
      await iterator.close()
    }
  }
}
