/**
 * The in-memory log store, for fast and deterministic cluster simulation tests. Same partition-log
 * core as the LevelDB store, so the same semantics (test/storage/conformance.ts holds both to it).
 *
 * A MemoryDisk plays the broker's directory: what a store committed stays there when the store
 * object is dropped, so `new MemoryLogStore(disk)` on the same disk is a broker restart (or, without
 * close(), a crash). Commits apply in call order: on a microtask by default (no timers, no I/O, so a
 * seeded simulation replays exactly), or after a `writeDelay` the caller supplies (the simulation
 * gives writes virtual time, so that metadata changes and fetch answers land while a write is in
 * flight, as they do on LevelDB). A write still delayed when its store is dropped never lands: a
 * crash loses what was not written yet, never what a write returned.
 */
import type { PartitionBackend, PartitionChange, PartitionState } from './backend.js'
import type { BatchIndex } from './batch-index.js'
import { BaseLogStore } from './store-base.js'
import type { MetaOp, MetaStore } from './types.js'

interface StoredBatch {
  lastOffset: number
  maxTimestamp: number
  bytes: Buffer
}

interface StoredPartition {
  topicId: string
  partition: number
  state: PartitionState
  /** Insertion order is offset order: appends go at the end, removals take the head or the tail. */
  batches: Map<number, StoredBatch>
}

export class MemoryDisk {
  readonly partitions = new Map<string, StoredPartition>()
  readonly meta = new Map<string, Buffer>()
}

const keyOf = (topicId: string, partition: number): string => `${topicId}\u0000${partition}`

export interface MemoryStoreOptions {
  /** Resolves when a write may land (virtual time in the simulation); a microtask when absent. */
  writeDelay?: () => Promise<void>
}

export class MemoryLogStore extends BaseLogStore {
  readonly meta: MetaStore
  /** Writes land one after another, in call order, as the LevelDB store's group commit. */
  private writeTail: Promise<void> = Promise.resolve()

  constructor(
    readonly disk: MemoryDisk = new MemoryDisk(),
    private readonly options: MemoryStoreOptions = {},
  ) {
    super()
    this.meta = new MemoryMetaStore(disk.meta, () => this.checkOpen())
  }

  /** Runs `apply` once the writes before it landed and the write delay passed. */
  private write(apply: () => void): Promise<void> {
    const delay = this.options.writeDelay
    const landed = delay ? this.writeTail.then(delay).then(apply) : this.writeTail.then(apply)
    this.writeTail = landed.catch(() => undefined)
    return landed
  }

  protected async openStorage(): Promise<void> {}

  protected async closeStorage(): Promise<void> {}

  protected backendFor(topicId: string, partition: number): PartitionBackend {
    return new MemoryPartitionBackend(this.disk, topicId, partition, (apply) => this.write(apply))
  }

  protected async storedPartitions(): Promise<{ topicId: string; partition: number }[]> {
    return [...this.disk.partitions.values()].map(({ topicId, partition }) => ({ topicId, partition }))
  }
}

class MemoryPartitionBackend implements PartitionBackend {
  private readonly key: string

  constructor(
    private readonly disk: MemoryDisk,
    private readonly topicId: string,
    private readonly partition: number,
    private readonly write: (apply: () => void) => Promise<void>,
  ) {
    this.key = keyOf(topicId, partition)
  }

  async load(index: BatchIndex): Promise<PartitionState | undefined> {
    const stored = this.disk.partitions.get(this.key)
    if (!stored) return undefined
    for (const [base, batch] of stored.batches) index.push(base, batch.lastOffset, batch.bytes.length, batch.maxTimestamp)
    return { ...stored.state, epochs: stored.state.epochs.map(([e, s]) => [e, s]) }
  }

  commit(change: PartitionChange, index: BatchIndex): Promise<void> {
    // Capture now: the index moves on before the microtask runs.
    const first = index.length - change.appended.length
    const appended = change.appended.map((bytes, i) => ({
      base: index.baseOffset(first + i),
      batch: { lastOffset: index.lastOffset(first + i), maxTimestamp: index.maxTimestamp(first + i), bytes },
    }))
    const { removed, state } = change
    // Compaction replaces a batch at its base: Map.set keeps its place in offset order.
    const replaced = (change.replaced ?? []).map(({ baseOffset, bytes }) => {
      const pos = index.positionOfBase(baseOffset)
      return { base: baseOffset, batch: { lastOffset: index.lastOffset(pos), maxTimestamp: index.maxTimestamp(pos), bytes } }
    })
    return this.write(() => {
      let stored = this.disk.partitions.get(this.key)
      if (!stored) {
        stored = { topicId: this.topicId, partition: this.partition, state, batches: new Map() }
        this.disk.partitions.set(this.key, stored)
      }
      for (const base of removed) stored.batches.delete(base)
      for (const { base, batch } of [...replaced, ...appended]) stored.batches.set(base, batch)
      stored.state = state
    })
  }

  async fetch(baseOffsets: number[]): Promise<(Buffer | undefined)[]> {
    const stored = this.disk.partitions.get(this.key)
    return baseOffsets.map((base) => stored?.batches.get(base)?.bytes)
  }

  async destroy(): Promise<void> {
    this.disk.partitions.delete(this.key)
  }
}

class MemoryMetaStore implements MetaStore {
  constructor(
    private readonly map: Map<string, Buffer>,
    private readonly checkOpen: () => void,
  ) {}

  async get(key: string): Promise<Buffer | undefined> {
    this.checkOpen()
    return this.map.get(key)
  }

  put(key: string, value: Buffer): Promise<void> {
    return this.batch([{ type: 'put', key, value }])
  }

  del(key: string): Promise<void> {
    return this.batch([{ type: 'del', key }])
  }

  async batch(ops: MetaOp[]): Promise<void> {
    this.checkOpen()
    // Copies, as LevelDB would: the caller may reuse its buffers.
    for (const op of ops) {
      if (op.type === 'put') this.map.set(op.key, Buffer.from(op.value))
      else this.map.delete(op.key)
    }
  }

  async entries(prefix: string, opts: { gt?: string; limit?: number; reverse?: boolean } = {}): Promise<[string, Buffer][]> {
    this.checkOpen()
    const gt = opts.gt === undefined ? undefined : Buffer.from(opts.gt)
    const keys = [...this.map.keys()]
      .map((key) => ({ key, bytes: Buffer.from(key) }))
      .filter(({ key, bytes }) => key.startsWith(prefix) && (gt === undefined || Buffer.compare(bytes, gt) > 0))
      .sort((a, b) => Buffer.compare(a.bytes, b.bytes))
    if (opts.reverse) keys.reverse()
    const limited = opts.limit !== undefined && opts.limit >= 0 ? keys.slice(0, opts.limit) : keys
    return limited.map(({ key }) => [key, this.map.get(key)!])
  }
}
