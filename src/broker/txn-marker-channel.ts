/**
 * The transaction coordinator's sending of markers (Kafka's TransactionMarkerChannelManager): one
 * WriteTxnMarkers per partition leader, through the BrokerLink, retried per partition until each
 * has its COMMIT or ABORT marker. A leader that moved or cannot be reached is looked up again in
 * the metadata image after a backoff; a partition whose topic is gone is dropped (nothing can read
 * it any more), as Kafka skips partitions with no leader endpoint; a newer producer epoch or
 * coordinator epoch at a leader abandons the send (another coordinator owns the transaction now).
 */
import type { Scheduler } from '../cluster/scheduler.js'
import { sleep } from '../cluster/scheduler.js'
import type { TxnPartition } from '../cluster/txn-state.js'
import type { Logger } from '../common/logger.js'
import { ErrorCode } from '../protocol/errors.js'
import type { ClusterView } from './cluster-view.js'
import type { BrokerLink } from './replica-fetcher.js'
import type { TxnMarkerOutcome, TxnMarkerSpec } from './txn-markers.js'

const BACKOFF_MIN_MS = 50
const BACKOFF_MAX_MS = 1_000

/** The markers of one transaction: its producer, result, coordinator epoch and partitions. */
export interface TxnMarkers {
  transactionalId: string
  producerId: number
  producerEpoch: number
  committed: boolean
  coordinatorEpoch: number
  partitions: TxnPartition[]
}

/** 'written': every partition has its marker (or is gone); 'abandoned': a leader refused it for good; 'cancelled': `wanted` said stop. */
export type MarkersOutcome = 'written' | 'abandoned' | 'cancelled'

export interface TxnMarkerChannelOptions {
  brokerId: number
  cluster: ClusterView
  scheduler: Scheduler
  log: Logger
  link: BrokerLink
}

export class TxnMarkerChannel {
  constructor(private readonly opts: TxnMarkerChannelOptions) {}

  /** Sends the markers until each partition has one; `wanted()` is asked before each round (false: this broker no longer coordinates the id). */
  async send(markers: TxnMarkers, wanted: () => boolean): Promise<MarkersOutcome> {
    let remaining = markers.partitions
    let backoffMs = BACKOFF_MIN_MS
    while (remaining.length > 0) {
      if (!wanted()) return 'cancelled'
      const byLeader = new Map<number, TxnPartition[]>()
      const waiting: TxnPartition[] = []
      const image = this.opts.cluster.image
      for (const tp of remaining) {
        const p = image.topicsByName.get(tp.topic)?.partitions[tp.partition]
        if (!p) {
          this.opts.log.info('transaction marker skipped: the partition is gone', { transactionalId: markers.transactionalId, topic: tp.topic, partition: tp.partition })
          continue
        }
        if (p.leader < 0) waiting.push(tp)
        else byLeader.set(p.leader, [...(byLeader.get(p.leader) ?? []), tp])
      }
      const outcomes = await Promise.all([...byLeader].map(([leaderId, tps]) => this.sendTo(leaderId, markers, tps)))
      if (outcomes.includes('abandon')) {
        this.opts.log.warn('transaction markers abandoned: a newer producer or coordinator epoch', { transactionalId: markers.transactionalId, producerId: markers.producerId, producerEpoch: markers.producerEpoch })
        return 'abandoned'
      }
      remaining = [...waiting, ...outcomes.flatMap((o) => (o === 'abandon' ? [] : o))]
      if (remaining.length > 0) {
        await sleep(this.opts.scheduler, backoffMs)
        backoffMs = Math.min(backoffMs * 2, BACKOFF_MAX_MS)
      }
    }
    return 'written'
  }

  /** One WriteTxnMarkers to a leader: the partitions to retry, or 'abandon'. */
  private async sendTo(leaderId: number, markers: TxnMarkers, tps: TxnPartition[]): Promise<TxnPartition[] | 'abandon'> {
    const topics = new Map<string, number[]>()
    for (const tp of tps) topics.set(tp.topic, [...(topics.get(tp.topic) ?? []), tp.partition])
    const spec: TxnMarkerSpec = {
      producerId: markers.producerId,
      producerEpoch: markers.producerEpoch,
      committed: markers.committed,
      coordinatorEpoch: markers.coordinatorEpoch,
      topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
    }
    let outcomes: TxnMarkerOutcome[]
    try {
      outcomes = await this.opts.link.writeTxnMarkers(this.opts.brokerId, leaderId, [spec])
    } catch {
      return tps // the leader cannot be reached: look it up again and retry
    }
    const retry: TxnPartition[] = []
    const answered = new Set<string>()
    for (const o of outcomes) {
      for (const t of o.topics) {
        for (const p of t.partitions) {
          answered.add(`${p.partition}:${t.name}`)
          switch (p.errorCode) {
            case ErrorCode.NONE:
              break
            case ErrorCode.INVALID_PRODUCER_EPOCH:
            case ErrorCode.TRANSACTION_COORDINATOR_FENCED:
              return 'abandon'
            case ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT:
            case ErrorCode.UNSUPPORTED_VERSION:
              break // the producer could not have written there either
            default:
              // NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION (a leader still opening it),
              // NOT_ENOUGH_REPLICAS, REQUEST_TIMED_OUT, KAFKA_STORAGE_ERROR: retried, as Kafka.
              retry.push({ topic: t.name, partition: p.partition })
          }
        }
      }
    }
    for (const tp of tps) if (!answered.has(`${tp.partition}:${tp.topic}`)) retry.push(tp)
    return retry
  }
}
