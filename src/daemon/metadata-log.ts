/**
 * The controller's metadata log before the quorum: an append-only sequence of metadata records in
 * its own LevelDB (<home>/metadata). The daemon now keeps its metadata on the controller quorum
 * (quorum-metadata-log.ts) and reads this log only to import a home made before it
 * (metadata-import.ts). MetadataPersistence, what the controller needs of any metadata log, is here.
 */
import { randomBytes } from 'node:crypto'
import { ClassicLevel } from 'classic-level'
import type { MetadataRecord } from '../cluster/metadata.js'

const RECORD_PREFIX = 'r/'
const OFFSET_DIGITS = 16

export interface StoredRecord {
  offset: number
  timestampMs: number
  record: MetadataRecord
  /**
   * One of a metadata snapshot's records (KIP-630, quorum-metadata-log.ts): together, all at the
   * snapshot's offset, they are the image then, not changes committed at that offset.
   */
  snapshot?: boolean
}

/** Told the records committed after those `open()` returned: in commit order, each once. */
export type CommitListener = (records: StoredRecord[]) => void

/**
 * Where the controller's metadata records are kept: the controller quorum in the daemon
 * (quorum-metadata-log.ts), the metadata log file of homes made before it, an in-memory log
 * with a seeded write delay in the simulation.
 *
 * The controller applies what the log commits (the commit stream), never what it asked to
 * append: on a quorum an append that failed may still commit later, or under another leader.
 */
export interface MetadataPersistence {
  /**
   * Opens the log; returns the records that rebuild the image, oldest first: every record stored,
   * or a snapshot's (all at its offset) and those after it.
   */
  open(): Promise<StoredRecord[]>
  /** The commit stream: every record committed after those `open()` returned (set before `open()`). */
  onCommit(listener: CommitListener): void
  /**
   * Resolves once nothing appended may still commit unseen: every entry that will ever commit
   * below the log's end is committed and told to the commit stream. A quorum is settled when a
   * leader committed its own epoch's first entry and holds nothing uncommitted (what an older
   * leader appended is then committed or gone). Throws QUORUM_NO_MAJORITY when it is not by
   * `sinceMs` plus the append timeout.
   */
  settled(sinceMs: number): Promise<void>
  /** The cluster's id, created on first use. */
  clusterId(): Promise<string>
  /**
   * Appends records; resolves once they are committed and told to the commit stream. Returns the
   * first record's offset. A failure (QUORUM_NO_MAJORITY) does not say the records will not commit.
   */
  append(records: MetadataRecord[], timestampMs: number): Promise<number>
  /** Every record, oldest first, from the last snapshot's records when there is one (for `cluster events`). */
  readAll(): Promise<StoredRecord[]>
  /**
   * The log's position after what the commit stream told (a Raft offset on a quorum, where
   * LeaderChange entries count): where a broker following the log stands once it applied
   * everything told, in the offsets DescribeQuorum gives. Absent: the next metadata offset.
   */
  position?(): number
  close(): Promise<void>
}

const keyOf = (offset: number): string => RECORD_PREFIX + String(offset).padStart(OFFSET_DIGITS, '0')

export class MetadataLog implements MetadataPersistence {
  private db: ClassicLevel<string, string>
  private nextOffset = 0
  /** A write failed (a full disk): LevelDB refuses every later write, so the next one reopens it. */
  private failed = false
  private listener: CommitListener = () => undefined

  constructor(private readonly dir: string) {
    this.db = new ClassicLevel<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8' })
  }

  /** After a failed write: a new LevelDB over the same directory (throws while the disk is still full). */
  private async reopenIfFailed(): Promise<void> {
    if (!this.failed) return
    await this.db.close().catch(() => undefined)
    this.db = new ClassicLevel<string, string>(this.dir, { keyEncoding: 'utf8', valueEncoding: 'utf8' })
    await this.db.open()
    this.failed = false
  }

  onCommit(listener: CommitListener): void {
    this.listener = listener
  }

  /** One writer, and a failed write stored nothing: never anything left to commit. */
  async settled(): Promise<void> {}

  async open(): Promise<StoredRecord[]> {
    await this.db.open()
    const records = await this.readAll()
    this.nextOffset = records.length > 0 ? records[records.length - 1]!.offset + 1 : 0
    return records
  }

  async clusterId(): Promise<string> {
    const existing = await this.get('clusterId')
    if (existing) return existing
    // Kafka cluster ids are 22 characters of URL-safe base64 (a UUID).
    const id = randomBytes(16).toString('base64url')
    await this.put('clusterId', id)
    return id
  }

  async get(key: string): Promise<string | undefined> {
    return this.db.get(key)
  }

  async put(key: string, value: string): Promise<void> {
    await this.reopenIfFailed()
    await this.db.put(key, value)
  }

  /** Appends records durably (one LevelDB write), then tells them to the commit stream. Returns the first record's offset. */
  async append(records: MetadataRecord[], timestampMs: number): Promise<number> {
    const first = this.nextOffset
    if (records.length === 0) return first
    await this.reopenIfFailed()
    const batch = this.db.batch()
    for (const [i, record] of records.entries()) batch.put(keyOf(first + i), JSON.stringify({ t: timestampMs, r: record }))
    try {
      await batch.write()
    } catch (error) {
      this.failed = true
      throw error
    }
    this.nextOffset = first + records.length
    this.listener(records.map((record, i) => ({ offset: first + i, timestampMs, record })))
    return first
  }

  /** Every record, oldest first (for `cluster events`). */
  async readAll(): Promise<StoredRecord[]> {
    const records: StoredRecord[] = []
    for await (const [key, value] of this.db.iterator({ gte: RECORD_PREFIX, lt: RECORD_PREFIX + '~' })) {
      const parsed = JSON.parse(value) as { t: number; r: MetadataRecord }
      records.push({ offset: Number(key.slice(RECORD_PREFIX.length)), timestampMs: parsed.t, record: parsed.r })
    }
    return records
  }

  async close(): Promise<void> {
    await this.db.close()
  }
}
