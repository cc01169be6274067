/**
 * Group commit for one broker's LevelDB: every write of the store (all partitions, meta) queues
 * here, and one LevelDB write at a time carries everything queued so far, as one atomic batch.
 * Callers resolve in queue order once their write is in LevelDB, which makes per-partition ordering
 * and crash consistency follow from LevelDB's atomic batches.
 *
 * The first write after idle waits for setImmediate, so that one event-loop turn's appends (a
 * produce request to many partitions, several connections' requests) share a write; under load
 * the queue fills while the previous write is in flight.
 *
 * Large batches go to the broker's second LevelDB, the batch store, under sequence keys that only
 * grow. A group commit writes them there first, then the main write that indexes them (with the
 * next sequence, NEXT_SEQUENCE_KEY), then deletes the batches the main write stopped indexing. So
 * the main store never names a batch the batch store lacks; what a crash can leave is batches
 * nothing names, and the store's open clears those written past the next sequence.
 */
import type { ClassicLevel } from 'classic-level'
import { StorageError } from './errors.js'
import { NEXT_SEQUENCE_KEY, offsetOfKey, writeOffset } from './keys.js'

type BatchOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer }
const SYNC = { sync: true }
const NO_SYNC = { sync: false }
/** From this many bytes on, a write goes in LevelDB's array form (see writeArray). */
const ARRAY_FORM_BYTES = 256 * 1024

/** Flat list of key, value pairs; a null value deletes the key. */
export type WriteOps = (Buffer | null)[]

/**
 * A state record that only matters in its latest version: when several changes of one owner share
 * a LevelDB write, only the last one's state is encoded and written (the write is atomic, so the
 * earlier versions would never be seen anyway).
 */
export interface LatestState {
  owner: object
  key: Buffer
  encode: () => Buffer
}

/** What one change does in the batch store: batches put (key, value pairs), keys deleted after. */
export interface BatchStoreOps {
  puts: WriteOps
  deletes: Buffer[]
}

interface Pending {
  ops: WriteOps
  state: LatestState | undefined
  batches: BatchStoreOps | undefined
  /** Of the main write, and of both stores (what bounds one group commit). */
  mainBytes: number
  bytes: number
  resolve: () => void
  reject: (error: unknown) => void
}

export interface GroupCommitOptions {
  sync: boolean
  /** The batch store, for changes that carry BatchStoreOps. */
  batchStore?: ClassicLevel<Buffer, Buffer>
  /** Bound of one LevelDB write; a single larger change still goes in one write. */
  writeBytesMax: number
  /** Called once when a write fails: the store goes offline. */
  onFailure: (error: StorageError) => void
}

export class GroupCommitter {
  private queue: Pending[] = []
  private queueHead = 0
  private busy = false
  private failure: StorageError | null = null
  private idleWaiters: (() => void)[] = []

  constructor(
    private readonly db: ClassicLevel<Buffer, Buffer>,
    private readonly opts: GroupCommitOptions,
  ) {}

  write(ops: WriteOps, state?: LatestState, batches?: BatchStoreOps): Promise<void> {
    if (this.failure) return Promise.reject(this.failure)
    let mainBytes = 0
    for (const op of ops) if (op) mainBytes += op.length
    let bytes = mainBytes
    if (batches) for (const op of batches.puts) if (op) bytes += op.length
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ops, state, batches, mainBytes, bytes, resolve, reject })
      if (!this.busy) {
        this.busy = true
        setImmediate(() => void this.flush())
      }
    })
  }

  /** Resolves when nothing is queued or in flight. */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  private async flush(): Promise<void> {
    const taken = this.take()
    let bytes = 0
    let puts: BatchOp[] | null = null
    let deletes: BatchOp[] | null = null
    for (const { batches, mainBytes } of taken) {
      bytes += mainBytes
      if (!batches) continue
      for (let i = 0; i < batches.puts.length; i += 2) (puts ??= []).push({ type: 'put', key: batches.puts[i]!, value: batches.puts[i + 1]! })
      for (const key of batches.deletes) (deletes ??= []).push({ type: 'del', key })
    }
    try {
      let next: Buffer | null = null
      if (puts) {
        await this.opts.batchStore!.batch(puts, this.opts.sync ? SYNC : NO_SYNC)
        next = Buffer.allocUnsafe(8)
        writeOffset(next, 0, offsetOfKey(puts[puts.length - 1]!.key) + 1)
      }
      await (bytes < ARRAY_FORM_BYTES ? this.writeChained(taken, next) : this.writeArray(taken, next))
      // Only once nothing names them: a crash before this leaves them unnamed, never missing.
      if (deletes) await this.opts.batchStore!.batch(deletes, NO_SYNC)
    } catch (error) {
      this.fail(error, taken)
      return
    }
    for (const pending of taken) pending.resolve()
    if (this.queueHead < this.queue.length) {
      setImmediate(() => void this.flush())
    } else {
      this.busy = false
      for (const resolve of this.idleWaiters.splice(0)) resolve()
    }
  }

  /**
   * Small writes (the latency path) as a chained batch: measured, the array form raised the bench's
   * produce-to-consume p99 at 10,000 records/s from 11-17 ms to 29-215 ms (same build otherwise,
   * runs interleaved; not explained yet).
   */
  private async writeChained(taken: Pending[], next: Buffer | null): Promise<void> {
    const batch = this.db.batch()
    try {
      eachOp(
        taken,
        (key, value) => batch.put(key, value),
        (key) => batch.del(key),
      )
      if (next) batch.put(NEXT_SEQUENCE_KEY, next)
      await (this.opts.sync ? batch.write({ sync: true }) : batch.write())
    } catch (error) {
      await batch.close().catch(() => undefined)
      throw error
    }
  }

  /**
   * Large writes (bulk loads) in the array form: classic-level frees a chained batch's native copy
   * of the values only when V8 collects the JavaScript object, which it does not hurry to do (it
   * does not see that memory); measured, those copies held 100+ MB per broker under a bulk load.
   * The array form's native batch is freed as soon as the write returns.
   */
  private writeArray(taken: Pending[], next: Buffer | null): Promise<void> {
    const batch: BatchOp[] = []
    eachOp(
      taken,
      (key, value) => batch.push({ type: 'put', key, value }),
      (key) => batch.push({ type: 'del', key }),
    )
    if (next) batch.push({ type: 'put', key: NEXT_SEQUENCE_KEY, value: next })
    return this.db.batch(batch, this.opts.sync ? SYNC : NO_SYNC)
  }

  private take(): Pending[] {
    let bytes = 0
    let end = this.queueHead
    while (end < this.queue.length && (end === this.queueHead || bytes + this.queue[end]!.bytes <= this.opts.writeBytesMax)) {
      bytes += this.queue[end]!.bytes
      end++
    }
    const taken = this.queue.slice(this.queueHead, end)
    this.queueHead = end
    if (this.queueHead === this.queue.length || this.queueHead > 1024) {
      this.queue = this.queue.slice(this.queueHead)
      this.queueHead = 0
    }
    return taken
  }

  private fail(error: unknown, taken: Pending[]): void {
    this.failure = new StorageError('STORE_FAILED', 'a LevelDB write failed: the store is offline', { cause: error })
    const rest = this.queue.slice(this.queueHead)
    this.queue = []
    this.queueHead = 0
    for (const pending of [...taken, ...rest]) pending.reject(this.failure)
    this.busy = false
    for (const resolve of this.idleWaiters.splice(0)) resolve()
    this.opts.onFailure(this.failure)
  }
}

/** The writes of `taken` in queue order; of the states of one owner, only its latest is written. */
function eachOp(taken: Pending[], put: (key: Buffer, value: Buffer) => void, del: (key: Buffer) => void): void {
  const latest = new Map<object, LatestState>()
  for (const { state } of taken) if (state) latest.set(state.owner, state)
  for (const { ops, state } of taken) {
    for (let i = 0; i < ops.length; i += 2) {
      const value = ops[i + 1]
      if (value) put(ops[i]!, value)
      else del(ops[i]!)
    }
    if (state && latest.get(state.owner) === state) put(state.key, state.encode())
  }
}
