/**
 * What a broker does when one of its replicas turns out corrupt (a stored batch fails its CRC-32C
 * or is missing, or the log lost acknowledged writes while the store was closed): Kafka's handling
 * of a replica on a failed log directory, for one partition.
 *
 * 1. Say it once, in the log: broker, partition, offsets, what was wrong.
 * 2. Ask the controller to take the replica out of the ISR and, if it led, to elect a healthy ISR
 *    member (reads of the bad range meanwhile answer KAFKA_STORAGE_ERROR, which clients retry).
 * 3. Once it is no longer the leader, truncate the log before the bad range; the replica fetcher
 *    fetches it again from the leader (it is held back until then, so the leader never counts the
 *    damaged log as caught up), and the leader adds it back to the ISR when it has caught up.
 * 4. Back in the ISR, the recovery is over: said in the log too.
 *
 * When the damaged replica is the last live ISR member, the controller elects a live replica
 * outside the ISR (an unclean election, told as one). When no other replica is live it refuses:
 * the damaged replica keeps its role and the bad range keeps failing reads (state `unrecoverable`
 * in the status) rather than being served or dropped.
 *
 * Every recovery is kept (the last RECOVERIES_KEPT per broker) for `daemon status` and
 * `cluster status`; the list belongs to the broker, so it outlives a restart of the broker.
 */
import type { Logger } from '../common/logger.js'
import { isStorageError, type StorageError } from '../storage/errors.js'
import type { LogStore } from '../storage/types.js'
import type { ClusterView } from './cluster-view.js'
import type { Scheduler } from '../cluster/scheduler.js'
import { ProducerStateTable, rebuildProducerState } from './producer-state.js'
import type { Hosted } from './replica-manager.js'
import { ErrorCode } from '../protocol/errors.js'

const RECOVERIES_KEPT = 100

export interface ReplicaRecovery {
  brokerId: number
  topicId: string
  partition: number
  /** The damaged range: first and last offset (inclusive). */
  firstOffset: number
  lastOffset: number
  /** What was wrong, as the storage layer said it. */
  reason: string
  foundAtMs: number
  state: 'recovering' | 'recovered' | 'unrecoverable'
  /** The log end the replica was cut back to before fetching again; null until then. */
  truncatedTo: number | null
  recoveredAtMs: number | null
}

/** A broker's recoveries, newest last. */
export class RecoveryRecords {
  private readonly kept: ReplicaRecovery[] = []

  add(recovery: ReplicaRecovery): ReplicaRecovery {
    this.kept.push(recovery)
    if (this.kept.length > RECOVERIES_KEPT) this.kept.shift()
    return recovery
  }

  list(): ReplicaRecovery[] {
    return this.kept.map((r) => ({ ...r }))
  }
}

export interface CorruptReplicasOptions {
  brokerId: number
  store: LogStore
  cluster: ClusterView
  scheduler: Scheduler
  log: Logger
  records: RecoveryRecords
  /** Brings every replica to the role the metadata gives it (after a refused report). */
  reconcile: () => void
  /** Deletes a partition's persisted producer snapshot (it covers offsets the truncation removed). */
  dropProducerSnapshot: (h: Hosted) => Promise<void>
}

export class CorruptReplicas {
  /** Partitions with a recovery under way, by hosted key. */
  private readonly active = new Map<string, ReplicaRecovery>()
  /** Not to be fetched for: found corrupt and not truncated yet. */
  private readonly held = new Set<string>()

  constructor(private readonly opts: CorruptReplicasOptions) {}

  /** The replica fetcher leaves this partition alone (its log is about to be cut back). */
  isHeld(key: string): boolean {
    return this.held.has(key)
  }

  /** A corrupt range in `h`'s log. Runs the recovery once per partition at a time. */
  found(h: Hosted, offsets: { first: number; last: number }, reason: string): void {
    this.start(h, offsets, reason, 'corrupt replica: leaving the ISR, the range is fetched again from a healthy replica')
  }

  /**
   * `h`'s log cannot even be opened (its state or index is unreadable): once the controller has
   * moved the replica out of the ISR, the local copy is deleted and fetched again in full. Its
   * recovery shows offsets 0 to -1: the whole log.
   */
  unreadable(h: Hosted, error: unknown): void {
    const reason = `the log cannot be opened: ${error instanceof Error ? error.message : String(error)}`
    const message = 'corrupt replica: its log cannot be opened; leaving the ISR, it is fetched again in full from a healthy replica'
    this.start(h, { first: 0, last: -1 }, reason, message, async () => {
      await this.opts.store.deletePartition(h.topicId, h.partition)
      h.log = await this.opts.store.partition(h.topicId, h.partition)
      h.producers.replaceWith(new ProducerStateTable(), 0)
      return 0
    })
  }

  private start(h: Hosted, offsets: { first: number; last: number }, reason: string, message: string, replace?: () => Promise<number>): void {
    if (this.active.has(h.key)) return
    const { brokerId, log, records } = this.opts
    const recovery = records.add({
      brokerId,
      topicId: h.topicId,
      partition: h.partition,
      firstOffset: offsets.first,
      lastOffset: offsets.last,
      reason,
      foundAtMs: this.opts.scheduler.nowMs(),
      state: 'recovering',
      truncatedTo: null,
      recoveredAtMs: null,
    })
    this.active.set(h.key, recovery)
    this.held.add(h.key)
    log.error(message, { broker: brokerId, partition: this.name(h), offsets: offsetsText(recovery), reason })
    void this.recover(h, recovery, replace)
  }

  /** A corrupt batch read from `h`'s log (the storage error carries its offsets). */
  foundBatch(h: Hosted, error: StorageError): void {
    const offsets = error.offsets ?? { first: h.log?.logStartOffset ?? 0, last: h.log?.logStartOffset ?? 0 }
    this.found(h, offsets, error.message)
  }

  /** After every metadata commit: a recovered replica is one back in the ISR. */
  onMetadata(hosted: (key: string) => Hosted | undefined): void {
    const image = this.opts.cluster.image
    for (const [key, recovery] of this.active) {
      if (recovery.state !== 'recovering' || recovery.truncatedTo === null) continue
      const p = image.topicsById.get(recovery.topicId)?.partitions[recovery.partition]
      if (!p?.isr.includes(this.opts.brokerId)) continue
      recovery.state = 'recovered'
      recovery.recoveredAtMs = this.opts.scheduler.nowMs()
      this.active.delete(key)
      const h = hosted(key)
      this.opts.log.info('corrupt replica recovered: back in the ISR', {
        broker: this.opts.brokerId,
        partition: h ? this.name(h) : key,
        offsets: offsetsText(recovery),
        fetchedFrom: recovery.truncatedTo,
      })
    }
  }

  private async recover(h: Hosted, recovery: ReplicaRecovery, replace?: () => Promise<number>): Promise<void> {
    const { brokerId, cluster, log } = this.opts
    let refused: string | null = null
    try {
      const result = await cluster.replicaCorrupt({
        brokerId,
        topicId: h.topicId,
        partition: h.partition,
        reason: `broker ${brokerId}: corrupt replica at offsets ${offsetsText(recovery)}`,
      })
      if (result.errorCode !== ErrorCode.NONE) refused = result.errorMessage ?? `controller error ${result.errorCode}`
    } catch (error) {
      refused = String(error)
    }
    if (refused !== null) return this.giveUp(h, recovery, `the controller kept it in place: ${refused}`)
    // Queue this replica's role as the metadata now says (a replica found corrupt as it opened has
    // none yet, and a report that changed nothing commits nothing), then cut the log back after it.
    this.opts.reconcile()
    h.transition = h.transition.then(async () => {
      if (replace) {
        if (h.role === 'leader') return this.giveUp(h, recovery, 'it still leads the partition')
        try {
          recovery.truncatedTo = await replace()
        } catch (replaceError) {
          return this.giveUp(h, recovery, `replacing it failed: ${String(replaceError)}`)
        }
        this.held.delete(h.key)
        log.info('corrupt replica replaced by an empty log: fetching it again from the leader', { broker: brokerId, partition: this.name(h) })
        // It had no role (its log never opened): take the one the metadata gives now.
        this.opts.reconcile()
        return
      }
      const replica = h.log
      if (!replica || h.role === 'leader') return this.giveUp(h, recovery, 'it still leads the partition')
      const to = Math.min(recovery.firstOffset, replica.logEndOffset)
      try {
        await replica.truncateTo(to)
        // As after a divergence truncation: a snapshot past the new log end describes lost batches.
        if (h.producerSnapshot && h.producerSnapshot.offset > replica.logEndOffset) {
          h.producerSnapshot = null
          await this.opts.dropProducerSnapshot(h)
        }
        await rebuildProducerState(replica, h.producers, h.producerSnapshot)
      } catch (error) {
        return this.giveUp(h, recovery, `truncating it failed: ${String(error)}`)
      }
      recovery.truncatedTo = to
      this.held.delete(h.key)
      log.info('corrupt replica truncated: fetching the range again from the leader', { broker: brokerId, partition: this.name(h), from: to })
      this.onMetadata(() => h)
    })
  }

  private giveUp(h: Hosted, recovery: ReplicaRecovery, why: string): void {
    recovery.state = 'unrecoverable'
    this.held.delete(h.key)
    this.opts.log.error('corrupt replica cannot recover: reads of the range keep failing', {
      broker: this.opts.brokerId,
      partition: this.name(h),
      offsets: offsetsText(recovery),
      why,
    })
    // Kept in `active`: the same damage is reported once. The replica takes its role as it is.
    this.opts.reconcile()
  }

  private name(h: Hosted): string {
    const topic = this.opts.cluster.image.topicsById.get(h.topicId)?.name ?? h.topicId
    return `${topic}-${h.partition}`
  }
}

/** An error opening a log that says its stored state is damaged (not a closed or failed store). */
export function isUnreadableLog(error: unknown): boolean {
  return isStorageError(error, 'CORRUPT') || (error as { code?: string } | null)?.code === 'LEVEL_CORRUPTION'
}

function offsetsText(r: { firstOffset: number; lastOffset: number }): string {
  return r.lastOffset < r.firstOffset ? 'all' : `${r.firstOffset}-${r.lastOffset}`
}
