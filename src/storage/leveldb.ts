/**
 * The LevelDB log store of one simulated broker (`<home>/brokers/<id>/`): one classic-level
 * database, one keyspace range per partition (keys.ts), and a second one in `batches/` for large
 * batches under sequence keys (leveldb-partition.ts); every write through one group committer.
 *
 * Durability: an append resolves once its LevelDB write returned. Without `sync` that write is in
 * the OS (survives kill -9 of the process, not power loss); with `sync` (--fsync) each group
 * commit is fsynced.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { ClassicLevel } from 'classic-level'
import { StorageError } from './errors.js'
import { GroupCommitter } from './group-commit.js'
import { batchStoreKey, decodePartitionKey, decodeRemovals, KEYSPACE_DELETING, KEYSPACE_META, KEYSPACE_STATE, NEXT_SEQUENCE_KEY, offsetOfKey, REMOVALS_KEY } from './keys.js'
import { BATCH_STORE_MIN_BYTES, LevelPartitionBackend, type BatchStore } from './leveldb-partition.js'
import { BaseLogStore, endKey } from './store-base.js'
import { TailCache } from './tail-cache.js'
import type { LogStoreOptions, MetaOp, MetaStore } from './types.js'

/**
 * What a broker holds in memory, by bound (docs/performance.md, "Memory"): its tail cache, and
 * each store's memtable (one being filled, at most one being flushed).
 */
export const DEFAULT_TAIL_CACHE_BYTES = 8 * 1024 * 1024
/**
 * The main store's memtable: 16 MB. It holds the small batches (and every index entry and state):
 * 32 MB held about 100 MB across three brokers after the bench's latency steps; 16 MB lowered that
 * run's peak by 35 MB at the same p99, for more compaction at 50,000 records/s (0.7 CPU-s over 13 s).
 * 4 MB cost far more compaction there, 8 MB 1.5-2.7 CPU-s more for 30 MB (docs/performance.md).
 */
const WRITE_BUFFER_BYTES = 16 * 1024 * 1024
const FILE_BYTES = 16 * 1024 * 1024
/**
 * The batch store's memtable, table files and open files. Its keys only grow, so a flush overlaps
 * nothing and LevelDB moves the file down without rewriting it: a small memtable or file costs no
 * compaction there, where the main store's interleaved keys pay for every flush.
 * - Memtable: 32 MB held up to 3 x 64 MB under a bulk load; 8 MB lowered the `--only produce`
 *   peak from 263-318 MB to 207-231 MB at the same daemon CPU. 2 MB since: see Files.
 * - Files: LevelDB maps each open table whole, and what was read of it stays resident while it is
 *   mapped. The scrub after a broker restart reads the whole log, and with up to 990 tables open
 *   (classic-level's default) a restarted broker kept all it had read in its resident set. 74 open
 *   files (LevelDB's least: 64 tables) bound the tables mapped. A table is as large as the flush
 *   that made it, not the file size (a flush writes one table, and moving it down does not split
 *   it): 2.8 MB on average from 8 MB memtables of JSON, 1.0 MB from 2 MB ones, so the bound is now
 *   about 64 MB a store (128 MB for batches snappy cannot shrink; a single larger write, such as a
 *   follower's catch-up append, makes a table of its own size), where it was 180. After the
 *   scrub of 328 MB: 61 tables mapped, 44 MB resident (with 8 MB memtables: 30 tables, 51 MB, the
 *   35 tables all fitting). kcat into the daemon as fast, at the same daemon CPU
 *   (docs/performance.md).
 */
export const BATCH_STORE_OPTIONS = { writeBufferSize: 2 * 1024 * 1024, maxFileSize: 1024 * 1024, maxOpenFiles: 74 } as const
const WRITE_BYTES_MAX = 64 * 1024 * 1024
/** Beside LevelDB's own files in the broker directory (LevelDB leaves names it does not know alone). */
export const CLEAN_SHUTDOWN_FILE = 'sluice-clean-shutdown.json'
/** The batch store's directory, inside the broker directory (LevelDB ignores it). */
export const BATCH_STORE_DIR = 'batches'

export interface LevelLogStoreOptions extends LogStoreOptions {
  /** Batches per sealed index chunk (tests lower it to exercise chunking on small logs). */
  indexChunkBatches?: number
  /** Batches of this size and up go to the batch store (tests lower it; 0 puts every batch there). */
  batchStoreMinBytes?: number
}

export class LevelLogStore extends BaseLogStore {
  readonly meta: MetaStore
  private readonly db: ClassicLevel<Buffer, Buffer>
  private readonly batchStore: BatchStore
  private readonly committer: GroupCommitter
  private readonly tailCache: TailCache
  private readonly indexChunkBatches: number | undefined
  /** Log end offsets at the last clean close (Kafka's clean-shutdown file), empty after a crash. */
  private cleanEnds = new Map<string, number>()

  constructor(
    readonly location: string,
    opts: LevelLogStoreOptions = {},
  ) {
    super()
    this.indexChunkBatches = opts.indexChunkBatches
    // The main store's memtable and files are larger than LevelDB's defaults (4 MB, 2 MB), the
    // batch store's smaller; each is sized above. A memtable takes memory as it fills: the main
    // store's holds little under a bulk load (the batches go to the batch store), the batch
    // store's nothing under a trickle of small batches.
    const options = { keyEncoding: 'buffer', valueEncoding: 'buffer', writeBufferSize: WRITE_BUFFER_BYTES, maxFileSize: FILE_BYTES } as const
    this.db = new ClassicLevel<Buffer, Buffer>(location, options)
    this.batchStore = {
      db: new ClassicLevel<Buffer, Buffer>(path.join(location, BATCH_STORE_DIR), { ...options, ...BATCH_STORE_OPTIONS }),
      nextSeq: 1,
      minBytes: opts.batchStoreMinBytes ?? BATCH_STORE_MIN_BYTES,
    }
    this.committer = new GroupCommitter(this.db, {
      batchStore: this.batchStore.db,
      sync: opts.sync ?? false,
      writeBytesMax: WRITE_BYTES_MAX,
      onFailure: (error) => this.failStore(error),
    })
    this.tailCache = new TailCache(opts.tailCacheBytes ?? DEFAULT_TAIL_CACHE_BYTES)
    this.meta = new LevelMetaStore(this.db, this.committer, () => this.checkOpen())
  }

  /** Bytes held by the tail cache (for status and tests). */
  get tailCacheBytes(): number {
    return this.tailCache.bytes
  }

  protected async openStorage(): Promise<void> {
    await fs.mkdir(this.location, { recursive: true })
    try {
      await this.db.open()
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause
      if (cause?.code === 'LEVEL_LOCKED') {
        throw new StorageError('STORE_LOCKED', `${this.location} is in use by another process`, { cause: error })
      }
      throw new StorageError('IO_ERROR', `cannot open the log store in ${this.location}`, { cause: error })
    }
    try {
      await this.batchStore.db.open()
      this.batchStore.nextSeq = await this.recoverBatchStore()
      await this.finishDeletions()
    } catch (error) {
      await this.db.close().catch(() => undefined)
      await this.batchStore.db.close().catch(() => undefined)
      throw new StorageError('IO_ERROR', `cannot open the batch store in ${path.join(this.location, BATCH_STORE_DIR)}`, { cause: error })
    }
    this.cleanEnds = await takeCleanShutdown(path.join(this.location, CLEAN_SHUTDOWN_FILE))
  }

  /**
   * The next sequence of the batch store. Batches at or past the one the main store last recorded
   * were written by a group commit whose main write did not land (a crash between the two): nothing
   * names them, and they go. So do the batches the last main write that stopped naming some listed
   * for deletion (REMOVALS_KEY), in case the crash came before those deletes.
   */
  private async recoverBatchStore(): Promise<number> {
    const removals = await this.db.get(REMOVALS_KEY)
    if (removals !== undefined) {
      const keys = decodeRemovals(removals)
      if (keys.length > 0) await this.batchStore.db.batch(keys.map((key) => ({ type: 'del' as const, key })))
      await this.db.del(REMOVALS_KEY)
    }
    const recorded = await this.db.get(NEXT_SEQUENCE_KEY)
    if (recorded !== undefined) {
      const next = offsetOfKey(recorded)
      await this.batchStore.db.clear({ gte: batchStoreKey(next) })
      return next
    }
    const [last] = await this.batchStore.db.keys({ reverse: true, limit: 1 }).all()
    return last === undefined ? 1 : offsetOfKey(last) + 1
  }

  /** Partitions whose deletion a crash interrupted (their mark is still there): finished now. */
  private async finishDeletions(): Promise<void> {
    const marks = await this.db.keys({ gte: Buffer.from([KEYSPACE_DELETING]), lt: Buffer.from([KEYSPACE_DELETING + 1]) }).all()
    for (const mark of marks) {
      const { topicId, partition } = decodePartitionKey(mark)
      await this.backendFor(topicId, partition).clearDeleted()
    }
  }

  protected async closeStorage(ends: Map<string, number>): Promise<void> {
    await this.committer.idle()
    await this.db.close()
    await this.batchStore.db.close()
    if (ends.size === 0 && this.cleanEnds.size === 0) return
    // Written after LevelDB closed, outside it: whatever LevelDB loses while closed (a cut
    // write-ahead log drops its last writes without a word), this record still says what was there.
    // Partitions not opened this time keep the end the previous record gave them.
    const record = Object.fromEntries([...this.cleanEnds, ...ends])
    await fs.writeFile(path.join(this.location, CLEAN_SHUTDOWN_FILE), JSON.stringify({ version: 1, ends: record }))
  }

  protected override cleanShutdownEnd(topicId: string, partition: number): number | undefined {
    return this.cleanEnds.get(endKey(topicId, partition))
  }

  protected backendFor(topicId: string, partition: number): LevelPartitionBackend {
    const name = `${topicId}/${partition}`
    return new LevelPartitionBackend(this.db, this.batchStore, this.committer, this.tailCache, name, topicId, partition, this.indexChunkBatches)
  }

  protected async storedPartitions(): Promise<{ topicId: string; partition: number }[]> {
    const keys = await this.db.keys({ gte: Buffer.from([KEYSPACE_STATE]), lt: Buffer.from([KEYSPACE_STATE + 1]) }).all()
    return keys.map(decodePartitionKey)
  }
}

/** Meta keys live under 'm'; writes share the group commit (and its ordering) with the logs. */
class LevelMetaStore implements MetaStore {
  constructor(
    private readonly db: ClassicLevel<Buffer, Buffer>,
    private readonly committer: GroupCommitter,
    private readonly checkOpen: () => void,
  ) {}

  async get(key: string): Promise<Buffer | undefined> {
    this.checkOpen()
    return this.db.get(metaKey(key))
  }

  put(key: string, value: Buffer): Promise<void> {
    return this.batch([{ type: 'put', key, value }])
  }

  del(key: string): Promise<void> {
    return this.batch([{ type: 'del', key }])
  }

  async batch(ops: MetaOp[]): Promise<void> {
    this.checkOpen()
    await this.committer.write(ops.flatMap((op) => [metaKey(op.key), op.type === 'put' ? op.value : null]))
  }

  async entries(prefix: string, opts: { gt?: string; limit?: number; reverse?: boolean } = {}): Promise<[string, Buffer][]> {
    this.checkOpen()
    const start = metaKey(prefix)
    const lowerBound = opts.gt !== undefined && opts.gt >= prefix ? { gt: metaKey(opts.gt) } : { gte: start }
    const entries = await this.db
      .iterator({ ...lowerBound, lt: Buffer.concat([start, Buffer.from([0xff])]), limit: opts.limit ?? -1, reverse: opts.reverse ?? false })
      .all()
    return entries.map(([key, value]) => [key.toString('utf8', 1), value])
  }
}

function metaKey(key: string): Buffer {
  const utf8 = Buffer.from(key, 'utf8')
  const out = Buffer.allocUnsafe(utf8.length + 1)
  out[0] = KEYSPACE_META
  utf8.copy(out, 1)
  return out
}

/**
 * Reads and removes the clean-shutdown record: it vouches for one close only, so a crash after this
 * open leaves none (and nothing is compared after a crash, when Kafka too runs recovery instead).
 */
async function takeCleanShutdown(file: string): Promise<Map<string, number>> {
  let text: string
  try {
    text = await fs.readFile(file, 'utf8')
  } catch {
    return new Map()
  }
  await fs.rm(file, { force: true })
  try {
    const parsed = JSON.parse(text) as { ends?: Record<string, unknown> }
    return new Map(Object.entries(parsed.ends ?? {}).filter((e): e is [string, number] => Number.isSafeInteger(e[1])))
  } catch {
    // A record cut short is no record: the comparison is a check, never a source of data.
    return new Map()
  }
}
