/**
 * One partition's persistence in the broker's LevelDB (key layout in keys.ts).
 *
 * Every change is one entry of the store's group commit: batch bytes, their index entries and the
 * partition state go in the same atomic LevelDB write, so a crash never leaves them disagreeing.
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
import type { GroupCommitter, WriteOps } from './group-commit.js'
import {
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

/** Loose index entries sealed per chunk by default (a chunk is then ~48 KB). */
export const CHUNK_BATCHES = 2048
const LOAD_STEP = 256

export class LevelPartitionBackend implements PartitionBackend {
  private readonly keys: PartitionKeys
  private readonly stateKey: Buffer
  private readonly tail: PartitionTail = new Map()
  /** Keys (first base offsets) of the sealed chunks, ascending. */
  private chunkBases: number[] = []
  /** Base offset of the oldest loose index entry; null when every entry is in a chunk. */
  private looseFirstBase: number | null = null

  constructor(
    private readonly db: ClassicLevel<Buffer, Buffer>,
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
    const stored = await this.db.get(this.stateKey)
    if (stored === undefined) {
      // A crash in the middle of deletePartition can leave keys without state: not ours anymore.
      await this.clearKeyspaces()
      return undefined
    }
    const state = decodeState(stored, this.name)
    for await (const [key, value] of this.entries(KEYSPACE_CHUNK)) {
      this.chunkBases.push(offsetOfKey(key))
      loadChunk(index, value, this.name)
    }
    for await (const [key, value] of this.entries(KEYSPACE_INDEX)) {
      const base = offsetOfKey(key)
      this.looseFirstBase ??= base
      loadIndexEntry(index, base, value)
    }
    return state
  }

  commit(change: PartitionChange, index: BatchIndex): Promise<void> {
    const ops: WriteOps = []
    if (change.removedFrom === 'compaction') this.compact(change, index, ops)
    else if (change.removed.length > 0) this.remove(change, index, ops)
    if (change.appended.length > 0) this.append(change.appended, index, ops)
    return this.committer.write(ops, { owner: this, key: this.stateKey, encode: () => encodeState(change.state) })
  }

  async fetch(baseOffsets: number[]): Promise<(Buffer | undefined)[]> {
    const found: (Buffer | undefined)[] = baseOffsets.map((base) => this.tail.get(base))
    const missing: number[] = []
    for (let i = 0; i < found.length; i++) if (found[i] === undefined) missing.push(i)
    if (missing.length === 0) return found
    let values: (Buffer | undefined)[]
    try {
      values = await this.db.getMany(missing.map((i) => this.keys.data(baseOffsets[i]!)))
    } catch (error) {
      if ((error as { code?: string }).code !== 'LEVEL_CORRUPTION') {
        throw new StorageError('IO_ERROR', `reading ${this.name} from offset ${baseOffsets[missing[0]!]} failed`, { cause: error })
      }
      // LevelDB names no key: find the first batch it cannot read, so recovery starts there.
      values = []
      for (const i of missing) {
        try {
          values.push(await this.db.get(this.keys.data(baseOffsets[i]!)))
        } catch (keyError) {
          throw this.corrupt(baseOffsets[i]!, `LevelDB: ${String(keyError)}`, keyError)
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

  /** The partition log adds the batch's last offset from its index. */
  private corrupt(baseOffset: number, fault: string, cause?: unknown): StorageError {
    return new StorageError('CORRUPT_BATCH', `the stored batch of ${this.name} at offset ${baseOffset} is corrupt: ${fault}`, {
      cause,
      offsets: { first: baseOffset, last: baseOffset },
    })
  }

  async destroy(): Promise<void> {
    this.tailCache.clear(this.tail)
    // State first: without it the rest is garbage that the next open of this partition clears.
    await this.committer.write([this.stateKey, null])
    await this.clearKeyspaces()
  }

  private append(appended: Buffer[], index: BatchIndex, ops: WriteOps): void {
    const first = index.length - appended.length
    for (let i = 0; i < appended.length; i++) {
      const base = index.baseOffset(first + i)
      ops.push(this.keys.data(base), appended[i]!)
      this.tailCache.add(this.tail, base, appended[i]!)
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
  private compact(change: PartitionChange, index: BatchIndex, ops: WriteOps): void {
    const loose = this.looseFirstBase ?? Infinity
    for (const base of change.removed) {
      ops.push(this.keys.data(base), null)
      if (base >= loose) ops.push(this.keys.index(base), null)
      this.tailCache.remove(this.tail, base)
    }
    for (const { baseOffset, bytes } of change.replaced ?? []) {
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
  private remove(change: PartitionChange, index: BatchIndex, ops: WriteOps): void {
    const loose = this.looseFirstBase ?? Infinity
    for (const base of change.removed) {
      ops.push(this.keys.data(base), null)
      if (base >= loose) ops.push(this.keys.index(base), null)
      this.tailCache.remove(this.tail, base)
    }
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

  private async clearKeyspaces(): Promise<void> {
    for (const keyspace of [KEYSPACE_DATA, KEYSPACE_INDEX, KEYSPACE_CHUNK]) await this.db.clear(this.keys.range(keyspace))
  }
}
