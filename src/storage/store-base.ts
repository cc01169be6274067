/**
 * What both stores share: one log object per partition (concurrent opens share it), deletion that
 * waits for the log's pending writes, checkpoint and close of every open log. A store subclass
 * provides the storage itself: a PartitionBackend per partition, the stored partition list, meta.
 */
import type { PartitionBackend } from './backend.js'
import { StorageError } from './errors.js'
import { assertPartitionId } from './keys.js'
import { Partition } from './partition-log.js'
import type { LogStore, MetaStore, PartitionLog } from './types.js'

type StoreStatus = 'new' | 'open' | 'closed' | 'failed'

const keyOf = (topicId: string, partition: number): string => `${topicId}\u0000${partition}`
/** A partition's key in the clean-shutdown record. */
export const endKey = (topicId: string, partition: number): string => `${topicId}/${partition}`

export abstract class BaseLogStore implements LogStore {
  abstract readonly meta: MetaStore
  private status: StoreStatus = 'new'
  private failure: StorageError | null = null
  private readonly logs = new Map<string, Promise<Partition>>()
  private readonly deleting = new Map<string, Promise<void>>()
  private readonly failureListeners: ((error: StorageError) => void)[] = []

  protected abstract openStorage(): Promise<void>
  /** `ends`: the log end offset of every log open at a clean close (none after a failure). */
  protected abstract closeStorage(ends: Map<string, number>): Promise<void>
  protected abstract backendFor(topicId: string, partition: number): PartitionBackend
  protected abstract storedPartitions(): Promise<{ topicId: string; partition: number }[]>

  async open(): Promise<void> {
    if (this.status !== 'new') throw new StorageError('STORE_CLOSED', `cannot open a store that is ${this.status}`)
    await this.openStorage()
    this.status = 'open'
  }

  partition(topicId: string, partition: number): Promise<PartitionLog> {
    return this.openPartition(topicId, partition)
  }

  async deletePartition(topicId: string, partition: number): Promise<void> {
    this.checkOpen()
    const key = keyOf(topicId, partition)
    const opening = this.logs.get(key)
    this.logs.delete(key)
    const previous = this.deleting.get(key)
    const work = (async () => {
      await previous
      const log = opening ? await opening.catch(() => null) : null
      if (log) await log.destroy()
      else await this.backendFor(topicId, partition).destroy()
    })()
    this.deleting.set(key, work)
    try {
      await work
    } finally {
      if (this.deleting.get(key) === work) this.deleting.delete(key)
    }
  }

  async listPartitions(): Promise<{ topicId: string; partition: number }[]> {
    this.checkOpen()
    const stored = await this.storedPartitions()
    return stored.sort((a, b) => (a.topicId === b.topicId ? a.partition - b.partition : a.topicId < b.topicId ? -1 : 1))
  }

  async checkpoint(): Promise<void> {
    this.checkOpen()
    const logs = await Promise.allSettled(this.logs.values())
    await Promise.all(logs.map((r) => (r.status === 'fulfilled' ? r.value.checkpoint() : undefined)))
  }

  async close(): Promise<void> {
    if (this.status === 'closed' || this.status === 'new') {
      this.status = 'closed'
      return
    }
    const logs = await Promise.allSettled(this.logs.values())
    await Promise.allSettled(this.deleting.values())
    await Promise.allSettled(logs.map((r) => (r.status === 'fulfilled' ? r.value.close() : undefined)))
    const ends = new Map<string, number>()
    if (this.status === 'open') {
      for (const r of logs) if (r.status === 'fulfilled') ends.set(endKey(r.value.topicId, r.value.partition), r.value.logEndOffset)
    }
    this.logs.clear()
    this.status = 'closed'
    await this.closeStorage(ends)
  }

  /** Where a partition's log ended at the store's last clean close, if the store knows. */
  protected cleanShutdownEnd(_topicId: string, _partition: number): number | undefined {
    return undefined
  }

  /** The write failure that took the store offline, or null while it works. */
  get failed(): StorageError | null {
    return this.failure
  }

  /** Told once when a write fails and the store goes offline (the broker takes its log dir offline). */
  onFailure(listener: (error: StorageError) => void): void {
    this.failureListeners.push(listener)
  }

  /** A write failed: every log of the store stops (Kafka takes the whole log dir offline). */
  protected failStore(error: StorageError): void {
    if (this.status !== 'open') return
    this.status = 'failed'
    this.failure = error
    for (const opening of this.logs.values()) void opening.then((log) => log.fail(error), () => undefined)
    for (const listener of this.failureListeners) listener(error)
  }

  private openPartition(topicId: string, partition: number): Promise<Partition> {
    try {
      this.checkOpen()
      assertPartitionId(topicId, partition)
    } catch (error) {
      return Promise.reject(error)
    }
    const key = keyOf(topicId, partition)
    const existing = this.logs.get(key)
    if (existing) return existing
    const deleting = this.deleting.get(key)
    const opening = (async () => {
      await deleting?.catch(() => undefined)
      return Partition.open(topicId, partition, this.backendFor(topicId, partition), this.cleanShutdownEnd(topicId, partition))
    })()
    this.logs.set(key, opening)
    opening.catch(() => {
      if (this.logs.get(key) === opening) this.logs.delete(key)
    })
    return opening
  }

  protected checkOpen(): void {
    if (this.status === 'open') return
    if (this.failure) throw this.failure
    throw new StorageError('STORE_CLOSED', `the log store is ${this.status === 'new' ? 'not open' : 'closed'}`)
  }
}
