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
 * nothing names: the store's open clears those written past the next sequence, and those the main
 * write listed under REMOVALS_KEY for deletion (the next main write drops the list once they are
 * gone).
 */
import type { ClassicLevel } from 'classic-level'
import { StorageError } from './errors.js'
import { encodeRemovals, NEXT_SEQUENCE_KEY, offsetOfKey, REMOVALS_KEY, writeOffset } from './keys.js'

type BatchOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer }
const SYNC = { sync: true }
const NO_SYNC = { sync: false }

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
  /** Of both stores' writes (what bounds one group commit). */
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
  /** REMOVALS_KEY holds a list whose deletes are done: the next main write removes it. */
  private removalsListed = false

  constructor(
    private readonly db: ClassicLevel<Buffer, Buffer>,
    private readonly opts: GroupCommitOptions,
  ) {}

  write(ops: WriteOps, state?: LatestState, batches?: BatchStoreOps): Promise<void> {
    if (this.failure) return Promise.reject(this.failure)
    let bytes = 0
    for (const op of ops) if (op) bytes += op.length
    if (batches) for (const op of batches.puts) if (op) bytes += op.length
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ops, state, batches, bytes, resolve, reject })
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
    let puts: BatchOp[] | null = null
    let deletes: BatchOp[] | null = null
    for (const { batches } of taken) {
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
      await this.writeMain(taken, next, deletes && encodeRemovals(deletes.map((op) => op.key)))
      // Only once nothing names them: a crash before this leaves them unnamed, never missing, and
      // listed under REMOVALS_KEY for the next open to delete.
      if (deletes) {
        await this.opts.batchStore!.batch(deletes, NO_SYNC)
        this.removalsListed = true
      }
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
   * The main write as a chained batch: each put goes to LevelDB's native batch as it is made. The
   * array form (`db.batch(ops)`) costs far more per operation (abstract-level clones and checks
   * every one, then the binding reads its properties one by one): measured, at 50,000 records/s in
   * batches of a few records, once the daemon fell behind its writes grew past 256 KiB, went in
   * the array form, which took two thirds of the main thread with its garbage, and it did not catch
   * up (p50 0.4-1.2 s; chained, 3-47 ms in most runs, though some still fall behind: the daemon is
   * short of CPU there, docs/performance.md). The array form is for the batch store's writes: few
   * operations, large values, whose native copy it frees as soon as the write returns (a chained
   * batch holds it until V8 collects the JavaScript object: 100+ MB per broker under a bulk load,
   * when the large batches were in the main store).
   */
  private async writeMain(taken: Pending[], next: Buffer | null, removals: Buffer | null): Promise<void> {
    const batch = this.db.batch()
    try {
      eachOp(taken, batch)
      if (next) batch.put(NEXT_SEQUENCE_KEY, next)
      // The previous list's deletes are done (each flush waits for its own): replace or drop it.
      if (removals) batch.put(REMOVALS_KEY, removals)
      else if (this.removalsListed) batch.del(REMOVALS_KEY)
      this.removalsListed = false
      await (this.opts.sync ? batch.write({ sync: true }) : batch.write())
    } catch (error) {
      await batch.close().catch(() => undefined)
      throw error
    }
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
function eachOp(taken: Pending[], batch: { put(key: Buffer, value: Buffer): unknown; del(key: Buffer): unknown }): void {
  const latest = new Map<object, LatestState>()
  for (const { state } of taken) if (state) latest.set(state.owner, state)
  for (const { ops, state } of taken) {
    for (let i = 0; i < ops.length; i += 2) {
      const value = ops[i + 1]
      if (value) batch.put(ops[i]!, value)
      else batch.del(ops[i]!)
    }
    if (state && latest.get(state.owner) === state) batch.put(state.key, state.encode())
  }
}
