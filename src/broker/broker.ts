/**
 * A simulated broker: its id and listener address, its own log store (one LevelDB), the partition
 * logs it hosts, and the wake-ups that long-polling fetches wait on.
 */
import type { Logger } from '../daemon/cluster.js'
import type { LogStore, PartitionLog } from '../storage/types.js'
import type { PartitionInfo } from '../cluster/metadata.js'
import { topicConfig } from '../cluster/configs.js'
import type { ClusterView, Clock } from './cluster-view.js'

export interface BrokerOptions {
  id: number
  host: string
  port: number
  store: LogStore
  cluster: ClusterView
  clock: Clock
  log: Logger
}

const partitionKey = (topicId: string, partition: number): string => `${topicId}:${partition}`

export class Broker {
  readonly id: number
  readonly host: string
  readonly port: number
  readonly store: LogStore
  readonly cluster: ClusterView
  readonly clock: Clock
  readonly log: Logger
  private readonly logs = new Map<string, PartitionLog | Promise<PartitionLog>>()
  private readonly waiters = new Map<string, Set<() => void>>()

  constructor(opts: BrokerOptions) {
    this.id = opts.id
    this.host = opts.host
    this.port = opts.port
    this.store = opts.store
    this.cluster = opts.cluster
    this.clock = opts.clock
    this.log = opts.log
  }

  /**
   * The partition's log on this broker, opened on first use. Returns the log itself when it is
   * already open, so that callers that append without awaiting keep their arrival order.
   */
  partitionLog(topicId: string, partition: number): PartitionLog | Promise<PartitionLog> {
    const key = partitionKey(topicId, partition)
    const existing = this.logs.get(key)
    if (existing) return existing
    const opening = this.store.partition(topicId, partition).then(
      (log) => {
        this.logs.set(key, log)
        // The checkpointed high watermark may lag the log after a crash. A leader that is the only
        // ISR member has every record it holds in sync, so its high watermark is its log end
        // (as Kafka's leader does when it finds the ISR is itself).
        const p = this.cluster.image.topicsById.get(topicId)?.partitions[partition]
        if (p && p.leader === this.id && p.isr.length <= 1 && log.highWatermark < log.logEndOffset) {
          log.setHighWatermark(log.logEndOffset)
        }
        return log
      },
      (error: unknown) => {
        this.logs.delete(key)
        throw error
      },
    )
    this.logs.set(key, opening)
    return opening
  }

  /** Called after the leader appended: advances the high watermark while the leader is the only ISR member. */
  afterLeaderAppend(p: PartitionInfo, log: PartitionLog): void {
    if (p.isr.length <= 1 && log.highWatermark < log.logEndOffset) log.setHighWatermark(log.logEndOffset)
    this.wake(partitionKey(p.topicId, p.partition))
  }

  /** Registers a one-shot wake-up for when any of the partitions gets new readable data. */
  waitForData(partitions: { topicId: string; partition: number }[], wake: () => void): () => void {
    const keys = partitions.map((p) => partitionKey(p.topicId, p.partition))
    for (const key of keys) {
      let set = this.waiters.get(key)
      if (!set) this.waiters.set(key, (set = new Set()))
      set.add(wake)
    }
    return () => {
      for (const key of keys) {
        const set = this.waiters.get(key)
        if (!set) continue
        set.delete(wake)
        if (set.size === 0) this.waiters.delete(key)
      }
    }
  }

  private wake(key: string): void {
    const set = this.waiters.get(key)
    if (!set) return
    this.waiters.delete(key)
    for (const wake of set) wake()
  }

  topicConfig(topicName: string, name: string): string {
    const topic = this.cluster.image.topicsByName.get(topicName)
    return topicConfig(topic?.configs ?? new Map(), this.cluster.image.brokerConfigs, name)
  }

  /** Drops every log of a deleted topic from this broker's store. */
  async dropTopicLogs(topicId: string): Promise<void> {
    const hosted = (await this.store.listPartitions()).filter((p) => p.topicId === topicId)
    for (const { partition } of hosted) {
      const key = partitionKey(topicId, partition)
      const open = this.logs.get(key)
      this.logs.delete(key)
      if (open) await Promise.resolve(open).catch(() => undefined)
      this.wake(key)
      await this.store.deletePartition(topicId, partition)
    }
  }

  /** Applies time and size retention to every open log this broker leads. Returns batches deleted. */
  async runRetention(): Promise<number> {
    let deleted = 0
    const nowMs = this.clock.nowMs()
    for (const topic of this.cluster.image.topicsById.values()) {
      const policy = this.topicConfig(topic.name, 'cleanup.policy')
      if (!policy.split(',').includes('delete')) continue
      const retentionMs = Number(this.topicConfig(topic.name, 'retention.ms'))
      const retentionBytes = Number(this.topicConfig(topic.name, 'retention.bytes'))
      for (const p of topic.partitions) {
        if (p.leader !== this.id) continue
        const open = this.logs.get(partitionKey(p.topicId, p.partition))
        if (!open || open instanceof Promise) continue
        deleted += await open.applyRetention({ nowMs, retentionMs, retentionBytes })
      }
    }
    return deleted
  }

  async close(): Promise<void> {
    for (const [key, set] of this.waiters) {
      this.waiters.delete(key)
      for (const wake of set) wake()
    }
    await Promise.allSettled([...this.logs.values()])
    this.logs.clear()
    await this.store.close()
  }
}
