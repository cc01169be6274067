/**
 * A Raft voter's durable state in its own LevelDB (one directory per voter): its quorum state
 * (KIP-595's quorum-state file), the entries of its copy of the metadata log and its latest
 * snapshot (KIP-630). The contract is `RaftLogStore` (cluster/raft/log-store.ts), which the
 * in-memory store of the tests and the simulation implements too; both run one conformance suite
 * (test/storage/raft-log-store-conformance.ts).
 *
 * Keys sort by bytes, so an entry's offset is fixed-width big-endian and the log is one range:
 *
 *   'e' offset:u64   -> epoch:i32, then the entry's value
 *   'q'              -> quorum state (JSON: epoch, votedFor, leaderId)
 *   's'              -> snapshot: offset:u64, epoch:i32, then its data
 *
 * Every method is one atomic LevelDB write, fsynced with `sync` (as the partition logs' `--fsync`;
 * without it the write is in the OS: it survives kill -9, not power loss). Writes run one at a
 * time in call order, so a caller may issue the next before the last resolved. Whether an append
 * continues the log is checked when its turn comes, against what is durable by then, as the
 * memory store does.
 *
 * A failed write (a full disk) rejects with STORE_FAILED, its cause LevelDB's error
 * (`describeFailure` reads it). LevelDB refuses every later write on that handle, so the next
 * write first reopens the database over the same directory and re-reads where the log starts and
 * ends (a write reported failed may yet be there); while the disk is still full that reopen or the
 * write fails again, each time with STORE_FAILED.
 */
import fs from 'node:fs/promises'
import { ClassicLevel } from 'classic-level'
import type { QuorumStateRecord, RaftLogEntry, RaftLogStore, RaftSnapshotRecord } from '../cluster/raft/log-store.js'
import { assert, StorageError } from './errors.js'
import { offsetOfKey, writeOffset } from './keys.js'

const KEYSPACE_ENTRY = 0x65 // 'e'
const KEY_QUORUM = Buffer.from('q')
const KEY_SNAPSHOT = Buffer.from('s')
const ENTRIES = { gte: Buffer.from([KEYSPACE_ENTRY]), lt: Buffer.from([KEYSPACE_ENTRY + 1]) }

export interface LevelRaftLogStoreOptions {
  /** Fsync every write (the partition logs' `--fsync` mode: survives power loss). */
  sync?: boolean
}

type Op = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer }

interface DurableState {
  quorum: QuorumStateRecord | null
  snapshot: RaftSnapshotRecord | null
  entries: RaftLogEntry[]
}

function entryKey(offset: number): Buffer {
  const key = Buffer.allocUnsafe(9)
  key[0] = KEYSPACE_ENTRY
  writeOffset(key, 1, offset)
  return key
}

function assertOffset(offset: number, what: string): void {
  assert(Number.isSafeInteger(offset) && offset >= 0, `${what}: bad offset ${offset}`)
}

function assertEpoch(epoch: number, what: string): void {
  assert(Number.isInteger(epoch) && epoch >= 0 && epoch <= 0x7fffffff, `${what}: bad epoch ${epoch}`)
}

export class LevelRaftLogStore implements RaftLogStore {
  private db: ClassicLevel<Buffer, Buffer>
  private state: 'new' | 'open' | 'closing' | 'closed' = 'new'
  /** A write failed: LevelDB refuses every later write on this handle, so the next one reopens. */
  private failed = false
  /** The end of the chain of writes, in call order (never rejects). */
  private tail: Promise<void> = Promise.resolve()
  /** The durable log's bounds: entries are [startOffset, endOffset); startOffset is the snapshot's offset, or 0. */
  private startOffset = 0
  private endOffset = 0
  private snapshotOffset: number | null = null

  constructor(
    readonly dir: string,
    private readonly options: LevelRaftLogStoreOptions = {},
  ) {
    this.db = this.newDb()
  }

  async open(): Promise<DurableState> {
    assert(this.state === 'new' || this.state === 'closed', `raft log store ${this.dir} opened twice`)
    await fs.mkdir(this.dir, { recursive: true })
    await this.openDb()
    let durable: DurableState
    try {
      durable = await this.load()
    } catch (error) {
      await this.db.close() // let go of the directory's lock
      throw error
    }
    this.state = 'open'
    return durable
  }

  saveQuorumState(quorum: QuorumStateRecord): Promise<void> {
    assertEpoch(quorum.epoch, 'quorum state')
    const value = Buffer.from(JSON.stringify({ epoch: quorum.epoch, votedFor: quorum.votedFor, leaderId: quorum.leaderId }))
    return this.enqueue(async () => {
      await this.commit([{ type: 'put', key: KEY_QUORUM, value }])
    })
  }

  append(entries: readonly RaftLogEntry[]): Promise<void> {
    const ops: Op[] = entries.map((e) => {
      assertOffset(e.offset, 'append')
      assertEpoch(e.epoch, 'append')
      const value = Buffer.allocUnsafe(4 + e.value.length)
      value.writeInt32BE(e.epoch, 0)
      value.set(e.value, 4)
      return { type: 'put', key: entryKey(e.offset), value }
    })
    const first = entries[0]?.offset
    return this.enqueue(async () => {
      if (first === undefined) return
      // The Raft node's bug if not: it appends only at its log end.
      entries.forEach((e, i) => assert(e.offset === this.endOffset + i, `append at ${e.offset}, log end is ${this.endOffset + i}`))
      await this.commit(ops)
      this.endOffset = first + entries.length
    })
  }

  truncateFrom(offset: number): Promise<void> {
    assertOffset(offset, 'truncateFrom')
    return this.enqueue(async () => {
      const from = Math.max(offset, this.startOffset)
      if (from >= this.endOffset) return
      await this.commit(this.deletes(from, this.endOffset))
      this.endOffset = from
    })
  }

  saveSnapshot(snapshot: RaftSnapshotRecord): Promise<void> {
    assertOffset(snapshot.offset, 'saveSnapshot')
    assertEpoch(snapshot.epoch, 'saveSnapshot')
    const value = Buffer.allocUnsafe(12 + snapshot.data.length)
    writeOffset(value, 0, snapshot.offset)
    value.writeInt32BE(snapshot.epoch, 8)
    value.set(snapshot.data, 12)
    return this.enqueue(async () => {
      // A snapshot no newer than the stored one adds nothing (the memory store ignores it too).
      if (this.snapshotOffset !== null && this.snapshotOffset >= snapshot.offset) return
      const dropped = this.deletes(this.startOffset, Math.min(this.endOffset, snapshot.offset))
      await this.commit([...dropped, { type: 'put', key: KEY_SNAPSHOT, value }])
      // Entries at and past the snapshot stay; a log that ends before it continues from it.
      this.startOffset = snapshot.offset
      this.endOffset = Math.max(this.endOffset, snapshot.offset)
      this.snapshotOffset = snapshot.offset
    })
  }

  async close(): Promise<void> {
    if (this.state !== 'open') return
    this.state = 'closing'
    await this.tail
    await this.db.close()
    this.state = 'closed'
  }

  private newDb(): ClassicLevel<Buffer, Buffer> {
    return new ClassicLevel<Buffer, Buffer>(this.dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
  }

  private async openDb(): Promise<void> {
    try {
      await this.db.open()
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause
      if (cause?.code === 'LEVEL_LOCKED') {
        throw new StorageError('STORE_LOCKED', `${this.dir} is in use by another process`, { cause: error })
      }
      throw new StorageError('IO_ERROR', `cannot open the raft log store in ${this.dir}`, { cause: error })
    }
  }

  /** Reads everything durable and sets the log's bounds from it. */
  private async load(): Promise<DurableState> {
    const quorumValue = await this.db.get(KEY_QUORUM)
    const snapshotValue = await this.db.get(KEY_SNAPSHOT)
    const quorum = quorumValue === undefined ? null : this.parseQuorum(quorumValue)
    const snapshot =
      snapshotValue === undefined
        ? null
        : { offset: offsetOfKey(snapshotValue.subarray(0, 8)), epoch: snapshotValue.readInt32BE(8), data: snapshotValue.subarray(12) }
    const entries: RaftLogEntry[] = []
    const start = snapshot?.offset ?? 0
    for await (const [key, value] of this.db.iterator(ENTRIES)) {
      const offset = offsetOfKey(key)
      if (offset !== start + entries.length) {
        throw new StorageError('CORRUPT', `raft log store ${this.dir}: entry ${offset} where ${start + entries.length} was expected`)
      }
      entries.push({ offset, epoch: value.readInt32BE(0), value: value.subarray(4) })
    }
    this.snapshotOffset = snapshot?.offset ?? null
    this.startOffset = start
    this.endOffset = start + entries.length
    return { quorum, snapshot, entries }
  }

  private parseQuorum(value: Buffer): QuorumStateRecord {
    try {
      const { epoch, votedFor, leaderId } = JSON.parse(value.toString('utf8')) as QuorumStateRecord
      assert(Number.isInteger(epoch), 'epoch')
      return { epoch, votedFor, leaderId }
    } catch (error) {
      throw new StorageError('CORRUPT', `raft log store ${this.dir}: unreadable quorum state`, { cause: error })
    }
  }

  /** Runs `op` after every write called before it; refuses at once when the store is not open. */
  private enqueue(op: () => Promise<void>): Promise<void> {
    if (this.state !== 'open') return Promise.reject(new StorageError('STORE_CLOSED', `raft log store ${this.dir} is not open`))
    const run = this.tail.then(async () => {
      if (this.failed) await this.reopen()
      await op()
    })
    this.tail = run.catch(() => undefined)
    return run
  }

  private async commit(ops: Op[]): Promise<void> {
    try {
      await this.db.batch(ops, { sync: this.options.sync ?? false })
    } catch (error) {
      this.failed = true
      throw new StorageError('STORE_FAILED', `raft log store ${this.dir}: a write failed`, { cause: error })
    }
  }

  /** After a failed write: a new LevelDB over the same directory, and the log's bounds read again. */
  private async reopen(): Promise<void> {
    await this.db.close().catch(() => undefined)
    this.db = this.newDb()
    try {
      await this.openDb()
      await this.load()
    } catch (error) {
      throw new StorageError('STORE_FAILED', `raft log store ${this.dir}: cannot reopen after a failed write`, { cause: error })
    }
    this.failed = false
  }

  private deletes(from: number, to: number): Op[] {
    const ops: Op[] = []
    for (let offset = from; offset < to; offset++) ops.push({ type: 'del', key: entryKey(offset) })
    return ops
  }
}
