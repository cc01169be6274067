/**
 * A broker's replicas: for every partition it hosts, its role (leader, follower, offline) as the
 * metadata says, its log, and — as leader — the replication state (follower progress, high
 * watermark, ISR proposals) and the acks=all requests waiting for the ISR.
 *
 * Roles follow the metadata image: `reconcile()` runs after every metadata commit and moves each
 * hosted partition to the role the image gives it, one transition at a time per partition.
 * Ordering contract: a leader's high watermark is only computed from the *committed* ISR, so a
 * follower leaves the ISR (in the controller's log) before the high watermark stops waiting for it.
 */
import { brokerConfig, topicConfig } from '../cluster/configs.js'
import type { MetadataRecord, PartitionInfo } from '../cluster/metadata.js'
import { LeaderReplication } from '../cluster/replication.js'
import { ErrorCode } from '../protocol/errors.js'
import { isStorageError, type StorageError } from '../storage/errors.js'
import type { AppendInfo, LogStore, PartitionLog } from '../storage/types.js'
import type { Logger } from '../common/logger.js'
import type { ClusterView } from './cluster-view.js'
import type { Scheduler } from '../cluster/scheduler.js'
import {
  deleteProducerSnapshot,
  loadProducerSnapshot,
  ProducerStateTable,
  rebuildProducerState,
  saveProducerSnapshot,
  type ProducerSnapshot,
} from './producer-state.js'
import { parseBatches, type ParsedBatches } from '../protocol/batch-layout.js'
import { encodeControlBatch } from '../protocol/control-batch.js'
import type { TxnMarkerSpec } from './txn-markers.js'
import { ReplicaFetchers, type BrokerLink, type ReplicaFetchPartition, type ReplicaFetchResult } from './replica-fetcher.js'
import { CorruptReplicas, isUnreadableLog, RecoveryRecords } from './replica-recovery.js'
import { LogScrubber } from './log-scrubber.js'

/** The longest a follower fetch with nothing to answer waits (see idleFetchWaitMs). */
const IDLE_FETCH_WAIT_MAX_MS = 5_000

/** A leader's reads for its followers include batches whose write is in flight. */
const IN_FLIGHT = { inFlight: true } as const

export const partitionKey = (topicId: string, partition: number): string => `${topicId}:${partition}`

interface AckWaiter {
  offsetExclusive: number
  resolve: (errorCode: number) => void
  cancelTimer: () => void
}

/** A DeleteRecords waiting for the low watermark to reach `offset` (Kafka's DelayedDeleteRecords). */
interface DeleteWaiter {
  offset: number
  resolve: (errorCode: number) => void
}

export interface DeleteRecordsResult {
  errorCode: number
  /** The partition's low watermark when answered; -1 with an error. */
  lowWatermark: number
}

export interface Hosted {
  readonly key: string
  readonly topicId: string
  readonly partition: number
  log: PartitionLog | null
  role: 'leader' | 'follower' | 'offline'
  leaderId: number
  leaderEpoch: number
  partitionEpoch: number
  replicas: number[]
  /**
   * Kafka's replication factor of the partition: its replicas without those a move in progress
   * removes (min.insync.replicas is clamped to it, not to the union a move has for a while).
   */
  replicationFactor: number
  leader: LeaderReplication | null
  readonly ackWaiters: Set<AckWaiter>
  readonly deleteWaiters: Set<DeleteWaiter>
  /** An ISR change sent to the controller and not answered yet. */
  isrChangeInFlight: boolean
  /** Transitions of this partition run one after another. */
  transition: Promise<void>
  /** Idempotent producers' sequences (leader and followers keep it, so a new leader has it). */
  readonly producers: ProducerStateTable
  /** The last producer snapshot persisted (or loaded) for this partition. */
  producerSnapshot: ProducerSnapshot | null
  /** As follower: the last divergence truncation, and how often the same one came back. */
  divergence: Divergence | null
  /** Set while the same truncation keeps coming back (the follower cannot converge). */
  stuck: Divergence | null
}

/** A follower's truncation after a diverging epoch: from its LEO to where it agrees with the leader. */
export interface Divergence {
  fromOffset: number
  toOffset: number
  /** How many times in a row the follower truncated from the same LEO to the same offset. */
  truncations: number
  sinceMs: number
}

/** A partition this broker hosts, before its log opens and its role is known. */
export function newHosted(topicId: string, partition: number, replicas: number[]): Hosted {
  return {
    key: partitionKey(topicId, partition),
    topicId,
    partition,
    log: null,
    role: 'offline',
    leaderId: -1,
    leaderEpoch: -1,
    partitionEpoch: -1,
    replicas,
    replicationFactor: replicas.length,
    leader: null,
    ackWaiters: new Set(),
    deleteWaiters: new Set(),
    isrChangeInFlight: false,
    transition: Promise.resolve(),
    producers: new ProducerStateTable(),
    producerSnapshot: null,
    divergence: null,
    stuck: null,
  }
}

/** How often changed producer state is snapshotted to the store (Kafka snapshots at segment rolls). */
const PRODUCER_SNAPSHOT_INTERVAL_MS = 5_000

export interface AppendResult {
  errorCode: number
  errorMessage: string | null
  baseOffset: number
  logStartOffset: number
}

export interface ReplicaManagerOptions {
  brokerId: number
  store: LogStore
  cluster: ClusterView
  scheduler: Scheduler
  log: Logger
  link: BrokerLink
  /** Wakes long-polling fetches of a partition (HWM or LEO moved). */
  wake: (key: string) => void
  /** Told when this broker takes or gives up leadership of a partition (the group coordinator listens). */
  onLeadership?: (h: Hosted, leading: boolean) => void
  /**
   * Told on the leader once a transaction marker it appended is replicated to the ISR (the group
   * coordinator listens, for the transactional offsets of __consumer_offsets).
   */
  onTxnMarker?: (h: Hosted, producerId: number, committed: boolean) => void
  /** Where this broker keeps its replicas' recoveries from corruption (outlives a restart). */
  recoveries?: RecoveryRecords
  /** Read every log once in the background after it opens, to find corrupt batches (log-scrubber.ts). */
  scrubOnOpen?: boolean
  /** Deletes a partition's log and what the broker keeps beside it (producer snapshot, aborted index). */
  dropLog: (topicId: string, partition: number) => Promise<void>
}

export class ReplicaManager {
  readonly brokerId: number
  private readonly hosted = new Map<string, Hosted>()
  private readonly fetchers: ReplicaFetchers
  private stopped = false
  private cancelIsrTimer: (() => void) | null = null
  private cancelSnapshotTimer: (() => void) | null = null
  private readonly corruption: CorruptReplicas
  private readonly scrubber: LogScrubber | null
  /** Follower fetches long-polling for a leader append (waitForAppend). */
  private readonly appendWaiters = new Set<(key: string, logEndOffset: number) => void>()
  /** The same fetches by follower, to end them when the follower's partitions change. */
  private readonly fetchesWaiting = new Map<number, Set<() => void>>()
  /** Logs being deleted (the partition moved away): hosting it again waits for the deletion. */
  private readonly dropping = new Map<string, Promise<void>>()

  constructor(private readonly opts: ReplicaManagerOptions) {
    this.brokerId = opts.brokerId
    this.corruption = new CorruptReplicas({
      brokerId: opts.brokerId,
      store: opts.store,
      cluster: opts.cluster,
      scheduler: opts.scheduler,
      log: opts.log,
      records: opts.recoveries ?? new RecoveryRecords(),
      reconcile: () => this.reconcile(),
      dropProducerSnapshot: (h) => deleteProducerSnapshot(opts.store.meta, h.topicId, h.partition),
    })
    this.scrubber = opts.scrubOnOpen
      ? new LogScrubber({ brokerId: opts.brokerId, scheduler: opts.scheduler, log: opts.log, onCorrupt: (h, e) => this.corruptionFound(h, e) })
      : null
    this.fetchers = new ReplicaFetchers({
      brokerId: opts.brokerId,
      link: opts.link,
      scheduler: opts.scheduler,
      log: opts.log,
      cluster: opts.cluster,
      partitions: (leaderId) =>
        [...this.hosted.values()].filter((h) => h.role === 'follower' && h.leaderId === leaderId && h.log !== null && !this.corruption.isHeld(h.key)),
      wake: opts.wake,
      dropProducerSnapshot: (h) => deleteProducerSnapshot(opts.store.meta, h.topicId, h.partition),
    })
    this.scheduleIsrCheck()
    this.scheduleProducerSnapshots()
  }

  get(key: string): Hosted | undefined {
    return this.hosted.get(key)
  }

  all(): Hosted[] {
    return [...this.hosted.values()]
  }

  /** Brings every hosted partition to the role the metadata image gives it. */
  reconcile(): void {
    if (this.stopped) return
    const image = this.opts.cluster.image
    const wanted = new Set<string>()
    for (const topic of image.topicsById.values()) {
      for (const p of topic.partitions) {
        if (!p.replicas.includes(this.brokerId)) continue
        wanted.add(partitionKey(p.topicId, p.partition))
        this.reconcileOne(p)
      }
    }
    for (const [key, h] of this.hosted) if (!wanted.has(key)) this.drop(h)
    this.corruption.onMetadata((key) => this.hosted.get(key))
    this.fetchers.refresh()
  }

  /**
   * Reconciles only what a metadata commit touched: its partitions, and the topics it removed.
   * A commit of one ISR change costs one partition, not a walk over every partition of the
   * cluster (with 10,000 partitions, the walks after each of thousands of ISR changes were what
   * kept a restarted daemon from becoming ready).
   */
  reconcileRecords(records: readonly MetadataRecord[]): void {
    if (this.stopped) return
    const image = this.opts.cluster.image
    const seen = new Set<string>()
    let removedTopic = false
    for (const r of records) {
      if (r.type === 'removeTopic') removedTopic = true
      if (r.type !== 'partition' && r.type !== 'partitionChange') continue
      const key = partitionKey(r.topicId, r.partition)
      if (seen.has(key)) continue
      seen.add(key)
      const p = image.topicsById.get(r.topicId)?.partitions[r.partition]
      if (p && p.replicas.includes(this.brokerId)) this.reconcileOne(p)
      else {
        const h = this.hosted.get(key)
        if (h) this.drop(h)
      }
    }
    if (removedTopic) for (const h of [...this.hosted.values()]) if (!image.topicsById.has(h.topicId)) this.drop(h)
    this.corruption.onMetadata((key) => this.hosted.get(key))
  }

  private reconcileOne(p: PartitionInfo): void {
    const key = partitionKey(p.topicId, p.partition)
    let h = this.hosted.get(key)
    if (!h) {
      h = newHosted(p.topicId, p.partition, p.replicas)
      // Moved away and back: the replica starts from an empty log once the old one is gone.
      h.transition = this.dropping.get(key) ?? h.transition
      h.producers.aborted.attach(this.opts.store.meta, p.topicId, p.partition)
      this.hosted.set(key, h)
    }
    this.enqueue(h, p)
  }

  /**
   * The partition is no longer hosted here (deleted, or reassigned away): its log goes, as Kafka's
   * broker deletes a replica removed from it, once the partition's pending transition is over.
   */
  private drop(h: Hosted): void {
    this.hosted.delete(h.key)
    this.failWaiters(h, ErrorCode.NOT_LEADER_OR_FOLLOWER)
    if (h.role === 'leader') this.opts.onLeadership?.(h, false)
    h.role = 'offline'
    h.leader = null
    this.removeLog(h.topicId, h.partition, h.transition)
  }

  /** Deletes a partition's log after `after`; a re-hosting of the partition waits for it. */
  private removeLog(topicId: string, partition: number, after: Promise<void>): void {
    const key = partitionKey(topicId, partition)
    const previous = this.dropping.get(key)
    const work = Promise.all([previous, after])
      .then(() => this.opts.dropLog(topicId, partition))
      .catch((error: unknown) => this.opts.log.error('dropping a replica log failed', { broker: this.brokerId, partition: key, error: String(error) }))
    this.dropping.set(key, work)
    void work.finally(() => {
      if (this.dropping.get(key) === work) this.dropping.delete(key)
    })
  }

  /**
   * Deletes the logs in the store that the image gives this broker no replica of: moved away (or
   * their topic deleted) while the broker was down or the daemon stopped, as Kafka's broker finds
   * its stray replicas at start.
   */
  async dropStrayLogs(): Promise<void> {
    const stored = await this.opts.store.listPartitions()
    if (this.stopped) return
    const image = this.opts.cluster.image
    for (const { topicId, partition } of stored) {
      const key = partitionKey(topicId, partition)
      if (this.hosted.has(key) || this.dropping.has(key)) continue
      if (image.topicsById.get(topicId)?.partitions[partition]?.replicas.includes(this.brokerId)) continue
      this.opts.log.info('deleting a stray replica log', { broker: this.brokerId, partition: key })
      this.removeLog(topicId, partition, Promise.resolve())
    }
  }

  private enqueue(h: Hosted, p: PartitionInfo): void {
    const snapshot: PartitionInfo = { ...p, replicas: [...p.replicas], isr: [...p.isr] }
    h.transition = h.transition
      .then(() => this.apply(h, snapshot))
      .catch((error: unknown) => {
        this.opts.log.error('replica transition failed', { broker: this.brokerId, partition: h.key, error: String(error) })
      })
  }

  private async apply(h: Hosted, p: PartitionInfo): Promise<void> {
    if (this.stopped || this.hosted.get(h.key) !== h) return
    if (!h.log) {
      let opened: PartitionLog
      try {
        opened = await this.opts.store.partition(p.topicId, p.partition)
      } catch (error) {
        if (!isUnreadableLog(error)) throw error
        this.corruption.unreadable(h, error)
        return
      }
      // Found corrupt as it opened: no role until the controller has moved it out of the ISR.
      if (await this.openChecked(h, opened)) return
    }
    // Dropped while its log opened (deleted, or moved away): nothing more to do here.
    if (this.stopped || this.hosted.get(h.key) !== h) return
    const log = h.log!
    h.replicas = p.replicas
    h.replicationFactor = p.replicas.length - p.removingReplicas.length
    h.partitionEpoch = p.partitionEpoch
    const sameLeadership = h.leaderId === p.leader && h.leaderEpoch === p.leaderEpoch
    let becameLeader = false
    if (p.leader === this.brokerId) {
      if (!sameLeadership || h.role !== 'leader' || !h.leader) {
        becameLeader = true
        // A new leader epoch starts at our log end (Kafka assigns it at election).
        if (p.leaderEpoch > log.latestEpoch()) log.assignEpochStart(p.leaderEpoch, log.logEndOffset)
        h.leader = new LeaderReplication({
          leaderId: this.brokerId,
          leaderEpoch: p.leaderEpoch,
          epochStartOffset: log.logEndOffset,
          replicas: p.replicas,
          isr: p.isr,
          leaderLeo: log.logEndOffset,
          highWatermark: log.highWatermark,
          nowMs: this.opts.scheduler.nowMs(),
        })
        h.role = 'leader'
        h.leaderId = p.leader
        h.leaderEpoch = p.leaderEpoch
        h.divergence = null
        h.stuck = null
        // An ISR change still in flight from an earlier leadership stays the one in flight: when a
        // second was let out beside it, the first one's answer cleared the second's flag and a
        // third proposal replaced what the HWM waited for while the second was still undecided.
        // One change in flight per partition, as Kafka's AlterPartitionManager; a stale one is
        // refused (its leader epoch is old) and then ends.
      } else {
        h.leader.setReplicas(p.replicas)
        h.leader.setIsr(p.isr, p.partitionEpoch)
      }
      this.afterHighWatermarkMove(h)
      this.checkMinIsr(h, p.isr)
      if (becameLeader) this.opts.onLeadership?.(h, true)
    } else {
      if (h.role === 'leader') {
        this.failWaiters(h, ErrorCode.NOT_LEADER_OR_FOLLOWER)
        this.opts.onLeadership?.(h, false)
      }
      h.leader = null
      h.leaderId = p.leader
      h.leaderEpoch = p.leaderEpoch
      h.role = p.leader >= 0 ? 'follower' : 'offline'
      this.opts.wake(h.key)
    }
    if (h.role === 'follower') this.fetchers.follow(h.leaderId)
  }

  /**
   * A log just opened: did it lose acknowledged writes while closed, or is a batch of its tail (read
   * to rebuild the producers' sequences) corrupt? Then its recovery starts and it takes no role
   * now (true). Otherwise it is queued for the background scrub.
   */
  private async openChecked(h: Hosted, log: PartitionLog): Promise<boolean> {
    let corrupt: StorageError | null = null
    if (!log.lostAtOpen) {
      try {
        h.producerSnapshot = await loadProducerSnapshot(this.opts.store.meta, h.topicId, h.partition)
        await h.producers.aborted.load()
        await rebuildProducerState(log, h.producers, h.producerSnapshot)
      } catch (error) {
        if (!isStorageError(error, 'CORRUPT_BATCH')) throw error
        corrupt = error
      }
    }
    h.log = log
    if (log.lostAtOpen) {
      const { first, last } = log.lostAtOpen
      this.corruption.found(h, log.lostAtOpen, `offsets ${first}-${last}, in the log at the last clean shutdown, are gone from the store`)
      return true
    }
    if (corrupt) {
      this.corruption.foundBatch(h, corrupt)
      return true
    }
    this.scrubber?.enqueue(h)
    return false
  }

  /** A read of a hosted log found a corrupt batch (a consumer's fetch, a follower's, the scrub). */
  corruptionFound(h: Hosted, error: StorageError): void {
    this.corruption.foundBatch(h, error)
  }

  /** The leader's log for a partition this broker leads, or the error code to answer. */
  leaderLog(p: PartitionInfo): { hosted: Hosted; log: PartitionLog } | { errorCode: number } {
    const h = this.hosted.get(partitionKey(p.topicId, p.partition))
    if (!h || h.role !== 'leader' || !h.log || !h.leader || p.leader !== this.brokerId) {
      // Elected but not yet ready (the log is opening) is still "not the leader yet" to clients.
      return { errorCode: p.leader === this.brokerId ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NOT_LEADER_OR_FOLLOWER }
    }
    return { hosted: h, log: h.log }
  }

  /**
   * For a producer's transactional batch at a partition: null when a transaction of the producer is
   * open here already (nothing to verify), else the guard a verification of it holds for
   * (producer-state.ts, txn-verification.ts); undefined when the partition is not led here and
   * ready (the append answers why, or waits for the log to open).
   */
  txnVerificationGuard(p: PartitionInfo, producerId: number): string | null | undefined {
    const led = this.leaderLog(p)
    if ('errorCode' in led) return undefined
    const { producers } = led.hosted
    return producers.inTransaction(producerId) ? null : producers.verificationGuard(producerId)
  }

  /**
   * The last stable offset of a partition this broker leads (KIP-98): the high watermark, or the
   * first offset of the oldest open transaction when that is lower (never below the log start:
   * retention may delete an open transaction's first batches, as Kafka's does).
   */
  lastStableOffset(h: Hosted): number {
    const hwm = h.log?.highWatermark ?? 0
    const firstUnstable = h.producers.firstUnstableOffset()
    if (firstUnstable === null) return hwm
    return Math.min(hwm, Math.max(firstUnstable, h.log?.logStartOffset ?? 0))
  }

  /** Waits for a partition's pending transition, so a request right after an election sees its outcome. */
  async settled(p: PartitionInfo): Promise<void> {
    const h = this.hosted.get(partitionKey(p.topicId, p.partition))
    if (h) await h.transition
  }

  private minIsr(topicName: string, replicas: number): number {
    const image = this.opts.cluster.image
    const topic = image.topicsByName.get(topicName)
    const configured = Number(topicConfig(topic?.configs ?? new Map(), image, 'min.insync.replicas'))
    // Clamped to the replication factor, so a one-broker cluster still accepts acks=all.
    return Math.min(configured, replicas)
  }

  /**
   * Appends produced records as leader. With acks=all, resolves once every ISR member has them,
   * or with NOT_ENOUGH_REPLICAS (refused before appending), NOT_ENOUGH_REPLICAS_AFTER_APPEND,
   * REQUEST_TIMED_OUT or NOT_LEADER_OR_FOLLOWER.
   * The append is issued synchronously when the partition is ready, so requests keep their order.
   * `records` carries the headers the Produce handler validated: nothing here reads them again.
   */
  append(topicName: string, p: PartitionInfo, records: ParsedBatches, acks: number, timeoutMs: number): Promise<AppendResult> {
    return this.appendAsLeader(topicName, p, records, acks, timeoutMs, null, false)
  }

  /**
   * Appends a transaction marker (a COMMIT or ABORT control batch for a producer) as leader, through
   * the same path as produced batches, and resolves with its error code once the ISR has it
   * (acks=all); then tells onTxnMarker. See txn-markers.ts for the answers.
   */
  async appendTxnMarker(topicName: string, p: PartitionInfo, marker: Omit<TxnMarkerSpec, 'topics'>, timeoutMs: number): Promise<number> {
    const bytes = encodeControlBatch({ ...marker, timestampMs: this.opts.scheduler.nowMs() })
    const result = await this.appendAsLeader(topicName, p, parseBatches(bytes), -1, timeoutMs, marker, false)
    const h = this.hosted.get(partitionKey(p.topicId, p.partition))
    if (result.errorCode === ErrorCode.NONE && h) this.opts.onTxnMarker?.(h, marker.producerId, marker.committed)
    return result.errorCode
  }

  private appendAsLeader(
    topicName: string,
    p: PartitionInfo,
    records: ParsedBatches,
    acks: number,
    timeoutMs: number,
    marker: Omit<TxnMarkerSpec, 'topics'> | null,
    retried: boolean,
  ): Promise<AppendResult> {
    const failed = (errorCode: number, errorMessage: string | null = null): AppendResult => ({ errorCode, errorMessage, baseOffset: -1, logStartOffset: -1 })
    const led = this.leaderLog(p)
    if ('errorCode' in led) {
      // Elected but the transition (opening the log) is still running: wait for it once. Requests
      // that wait here resume in arrival order (they chain on the same promise).
      const h = this.hosted.get(partitionKey(p.topicId, p.partition))
      if (led.errorCode === ErrorCode.LEADER_NOT_AVAILABLE && h && !retried) {
        return h.transition.then(() => this.appendAsLeader(topicName, p, records, acks, timeoutMs, marker, true))
      }
      return Promise.resolve(failed(led.errorCode))
    }
    const { hosted: h, log } = led
    const leader = h.leader!
    const minIsr = this.minIsr(topicName, h.replicationFactor)
    if (acks === -1 && leader.isr.length < minIsr) {
      return Promise.resolve(
        failed(ErrorCode.NOT_ENOUGH_REPLICAS, `the ISR ${JSON.stringify(leader.isr)} is smaller than min.insync.replicas ${minIsr}`),
      )
    }
    // Idempotent producers: a retried batch gets its original offsets, a gap is refused.
    const header = records.batches[0]!
    let appended: Promise<AppendInfo>
    /** Runs as the write lands, before anything can see the HWM pass it. */
    let landed: ((info: AppendInfo) => void) | null = null
    if (marker) {
      const check = h.producers.checkMarker(marker.producerId, marker.producerEpoch, marker.coordinatorEpoch)
      if (check.kind === 'error') return Promise.resolve(failed(check.errorCode, check.message))
      h.producers.markerIssued(marker.producerId, marker.producerEpoch, marker.coordinatorEpoch)
      appended = log.appendAsLeader(records, h.leaderEpoch)
      landed = (info) => {
        h.producers.markerLanded(marker.producerId, marker.committed, info.baseOffset, header.maxTimestamp)
        // The transaction's end may move the last stable offset up to the HWM at once.
        this.opts.wake(h.key)
      }
    } else if (header.producerId >= 0 && header.baseSequence >= 0) {
      const firstSeq = header.baseSequence
      const lastSeq = header.baseSequence + header.lastOffsetDelta
      const check = h.producers.check(header.producerId, header.producerEpoch, firstSeq, lastSeq, header.isTransactional)
      if (check.kind === 'error') return Promise.resolve(failed(check.errorCode, check.message))
      if (check.kind === 'duplicate') {
        return check.batch.offsets.then(
          async (o): Promise<AppendResult> => {
            const ok: AppendResult = { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: o.baseOffset, logStartOffset: log.logStartOffset }
            if (acks !== -1) return ok
            const errorCode = await this.waitForIsr(h, o.lastOffset + 1, timeoutMs)
            return errorCode === ErrorCode.NONE ? ok : { ...ok, errorCode }
          },
          () => failed(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'the original of this retried batch failed'),
        )
      }
      // The log end now is where this batch will go at the earliest: the bound of a transaction it opens.
      const lowerBound = log.logEndOffset
      appended = log.appendAsLeader(records, h.leaderEpoch)
      h.producers.record(
        header.producerId,
        header.producerEpoch,
        {
          firstSeq,
          lastSeq,
          maxTimestamp: header.maxTimestamp,
          offsets: appended.then((info) => ({ baseOffset: info.baseOffset, lastOffset: info.lastOffset })),
          stored: null,
        },
        header.isTransactional,
        lowerBound,
      )
    } else if (header.producerId >= 0 && header.isTransactional) {
      // A transaction's batch without sequences (the group coordinator's TxnOffsetCommit records).
      const check = h.producers.checkUnsequenced(header.producerId, header.producerEpoch)
      if (check.kind === 'error') return Promise.resolve(failed(check.errorCode, check.message))
      const lowerBound = log.logEndOffset
      appended = log.appendAsLeader(records, h.leaderEpoch)
      h.producers.recordUnsequenced(
        header.producerId,
        header.producerEpoch,
        { firstSeq: -1, lastSeq: -1, maxTimestamp: header.maxTimestamp, offsets: appended.then((info) => ({ baseOffset: info.baseOffset, lastOffset: info.lastOffset })), stored: null },
        lowerBound,
      )
    } else {
      appended = log.appendAsLeader(records, h.leaderEpoch)
    }
    // Followers may fetch it now, while it is being written (serveOne).
    this.wakeReplicaFetches(h, log.appendedEndOffset)
    return appended.then(
      async (info): Promise<AppendResult> => {
        landed?.(info)
        this.wakeReplicaFetches(h, h.log?.logEndOffset ?? -1)
        // Consumers wake when the high watermark moves, not on the append itself.
        // The leader now, which may be a later leadership than the one this append began in.
        if (h.leader?.onLeaderAppend(log.logEndOffset)) this.afterHighWatermarkMove(h)
        const ok: AppendResult = { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: info.baseOffset, logStartOffset: log.logStartOffset }
        if (acks !== -1) return ok
        const errorCode = await this.waitForIsr(h, info.lastOffset + 1, timeoutMs)
        if (errorCode === ErrorCode.NONE && (h.leader?.isr.length ?? 0) < minIsr) {
          return { ...ok, errorCode: ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, errorMessage: `the ISR shrank below min.insync.replicas ${minIsr}` }
        }
        return errorCode === ErrorCode.NONE ? ok : { ...ok, errorCode }
      },
      (error: unknown): AppendResult => {
        this.opts.log.error('append failed', { broker: this.brokerId, partition: h.key, error: String(error) })
        return failed(ErrorCode.KAFKA_STORAGE_ERROR, String(error))
      },
    )
  }

  private waitForIsr(h: Hosted, offsetExclusive: number, timeoutMs: number): Promise<number> {
    if (h.role !== 'leader' || !h.leader) return Promise.resolve(ErrorCode.NOT_LEADER_OR_FOLLOWER)
    if (h.leader.isReplicated(offsetExclusive)) return Promise.resolve(ErrorCode.NONE)
    return new Promise((resolve) => {
      const waiter: AckWaiter = {
        offsetExclusive,
        resolve: (code) => {
          waiter.cancelTimer()
          h.ackWaiters.delete(waiter)
          resolve(code)
        },
        cancelTimer: () => undefined,
      }
      waiter.cancelTimer = this.opts.scheduler.setTimer(() => waiter.resolve(ErrorCode.REQUEST_TIMED_OUT), Math.max(timeoutMs, 1))
      h.ackWaiters.add(waiter)
    })
  }

  private failWaiters(h: Hosted, errorCode: number): void {
    for (const w of [...h.ackWaiters]) w.resolve(errorCode)
    for (const w of [...h.deleteWaiters]) w.resolve(errorCode)
  }

  /**
   * DeleteRecords on the leader (Kafka's Partition.deleteRecordsOnLeader and DelayedDeleteRecords):
   * `offset` -1 is the high watermark; beyond the HWM (or negative) is OFFSET_OUT_OF_RANGE. The log
   * start moves durably here, then the answer waits until every ISR member reports it too (the low
   * watermark reaches it), or `timeoutMs` (REQUEST_TIMED_OUT). Records below it are gone for
   * every reader: fetches below the log start answer OFFSET_OUT_OF_RANGE.
   */
  async deleteRecords(p: PartitionInfo, offset: number, timeoutMs: number): Promise<DeleteRecordsResult> {
    const failed = (errorCode: number): DeleteRecordsResult => ({ errorCode, lowWatermark: -1 })
    let led = this.leaderLog(p)
    if ('errorCode' in led && led.errorCode === ErrorCode.LEADER_NOT_AVAILABLE) {
      await this.hosted.get(partitionKey(p.topicId, p.partition))?.transition
      led = this.leaderLog(p)
    }
    if ('errorCode' in led) return failed(led.errorCode)
    const { hosted: h, log } = led
    const target = offset === -1 ? log.highWatermark : offset
    if (target < 0 || target > log.highWatermark) return failed(ErrorCode.OFFSET_OUT_OF_RANGE)
    try {
      await log.deleteRecordsBefore(target)
    } catch (error) {
      if (isStorageError(error, 'OFFSET_OUT_OF_RANGE')) return failed(ErrorCode.OFFSET_OUT_OF_RANGE)
      this.opts.log.error('delete records failed', { broker: this.brokerId, partition: h.key, error: String(error) })
      return failed(ErrorCode.KAFKA_STORAGE_ERROR)
    }
    // Followers waiting at this leader learn the new log start now, not at their next append.
    this.wakeReplicaFetches(h, Infinity)
    const errorCode = await this.waitForLowWatermark(h, target, timeoutMs)
    if (errorCode !== ErrorCode.NONE) return failed(errorCode)
    return { errorCode, lowWatermark: h.leader && h.log ? h.leader.lowWatermark(h.log.logStartOffset) : target }
  }

  private waitForLowWatermark(h: Hosted, offset: number, timeoutMs: number): Promise<number> {
    if (h.role !== 'leader' || !h.leader || !h.log) return Promise.resolve(ErrorCode.NOT_LEADER_OR_FOLLOWER)
    if (h.leader.lowWatermark(h.log.logStartOffset) >= offset) return Promise.resolve(ErrorCode.NONE)
    return new Promise((resolve) => {
      const cancelTimer = this.opts.scheduler.setTimer(() => waiter.resolve(ErrorCode.REQUEST_TIMED_OUT), Math.max(timeoutMs, 1))
      const waiter: DeleteWaiter = {
        offset,
        resolve: (code) => {
          cancelTimer()
          h.deleteWaiters.delete(waiter)
          resolve(code)
        },
      }
      h.deleteWaiters.add(waiter)
    })
  }

  /** A follower reported its log start, or the ISR changed: answers the deletions now done. */
  private checkDeleteWaiters(h: Hosted): void {
    if (h.deleteWaiters.size === 0 || !h.leader || !h.log) return
    const low = h.leader.lowWatermark(h.log.logStartOffset)
    for (const w of [...h.deleteWaiters]) if (low >= w.offset) w.resolve(ErrorCode.NONE)
  }

  /** The HWM moved (or may have): persist it, wake fetches, complete acks=all requests. */
  private afterHighWatermarkMove(h: Hosted): void {
    if (!h.leader || !h.log) return
    const hwm = h.leader.highWatermark
    const moved = hwm > h.log.highWatermark
    if (moved) h.log.setHighWatermark(hwm)
    for (const w of [...h.ackWaiters]) if (hwm >= w.offsetExclusive) w.resolve(ErrorCode.NONE)
    // The ISR may have changed (this also runs on every committed ISR): a member gone no longer holds a deletion.
    this.checkDeleteWaiters(h)
    this.opts.wake(h.key)
    if (moved) this.wakeReplicaFetches(h, Infinity)
  }

  private checkMinIsr(h: Hosted, isr: number[]): void {
    // Waiters are completed by HWM moves; an ISR below min.insync makes them fail once the HWM
    // passes them (checked in append), as Kafka answers NOT_ENOUGH_REPLICAS_AFTER_APPEND.
    if (isr.length === 0) this.failWaiters(h, ErrorCode.NOT_LEADER_OR_FOLLOWER)
  }

  /**
   * Serves a follower's fetch (the leader side of replication): divergence by leader epoch, the
   * follower's progress, and records up to the log end (followers read past the HWM).
   */
  async serveReplicaFetch(followerId: number, partitions: ReplicaFetchPartition[], maxWaitMs: number, maxBytes: number): Promise<ReplicaFetchResult[]> {
    // Whether anything is to be answered now is decided synchronously, without reading or
    // building answers: with thousands of idle partitions, this check is most of what a fetch costs.
    if (maxWaitMs > 0 && !this.stopped && partitions.every((rp) => this.caughtUp(followerId, rp))) {
      await this.waitForAppend(followerId, partitions, this.idleFetchWaitMs(maxWaitMs))
    }
    return Promise.all(partitions.map((rp) => this.serveOne(followerId, rp, maxBytes)))
  }

  /**
   * How long a fetch with nothing to answer waits for an append (or a HWM move): longer than
   * replica.fetch.wait.max.ms when the follower lag allows it, so that an idle follower of
   * thousands of partitions fetches every few seconds instead of twice a second. The follower is
   * caught up as of its fetch, and a fetch comes at least every third of replica.lag.time.max.ms,
   * so no idle follower leaves the ISR; appends and HWM moves answer at once, as before.
   */
  private idleFetchWaitMs(maxWaitMs: number): number {
    const lagMaxMs = Number(brokerConfig(this.opts.cluster.image, 'replica.lag.time.max.ms'))
    return Math.max(maxWaitMs, Math.min(IDLE_FETCH_WAIT_MAX_MS, Math.floor(lagMaxMs / 3)))
  }

  /**
   * serveOne's checks without its answer: true when the follower is caught up (nothing to send).
   * A follower whose log start is behind the leader's is not: the answer tells it the new start
   * (a DeleteRecords waits for it), whether or not it was woken when the start moved.
   */
  private caughtUp(followerId: number, rp: ReplicaFetchPartition): boolean {
    const state = this.fetchState(followerId, rp)
    return !('result' in state) && rp.fetchOffset >= state.log.appendedEndOffset && rp.logStartOffset >= state.log.logStartOffset
  }

  /**
   * One partition of a follower fetch, up to the read: an answer without records (an error or a
   * divergence), or the follower's progress recorded and the log to read from.
   */
  private fetchState(followerId: number, rp: ReplicaFetchPartition): { result: ReplicaFetchResult } | { h: Hosted; log: PartitionLog } {
    const answer = (errorCode: number, divergingEpoch: ReplicaFetchResult['divergingEpoch'] = null, h?: Hosted): { result: ReplicaFetchResult } => ({
      result: {
        topicId: rp.topicId,
        partition: rp.partition,
        errorCode,
        highWatermark: h?.leader?.highWatermark ?? -1,
        logStartOffset: h?.log?.logStartOffset ?? -1,
        divergingEpoch,
        records: [],
      },
    })
    const h = this.hosted.get(partitionKey(rp.topicId, rp.partition))
    if (!h || h.role !== 'leader' || !h.leader || !h.log) return answer(ErrorCode.NOT_LEADER_OR_FOLLOWER)
    if (rp.currentLeaderEpoch < h.leaderEpoch) return answer(ErrorCode.FENCED_LEADER_EPOCH)
    if (rp.currentLeaderEpoch > h.leaderEpoch) return answer(ErrorCode.UNKNOWN_LEADER_EPOCH)
    const log = h.log
    const leader = h.leader

    // Divergence (KIP-320/595): the follower's last epoch must end where the leader says it does.
    if (rp.lastFetchedEpoch >= 0) {
      const end = log.endOffsetForEpoch(rp.lastFetchedEpoch, IN_FLIGHT)
      if (end.epoch !== rp.lastFetchedEpoch || end.endOffset < rp.fetchOffset) {
        return answer(ErrorCode.NONE, { epoch: end.epoch, endOffset: end.endOffset }, h)
      }
    }
    if (rp.fetchOffset > log.appendedEndOffset) return answer(ErrorCode.NONE, { epoch: log.latestEpoch(), endOffset: log.appendedEndOffset }, h)
    if (rp.fetchOffset < log.logStartOffset) return answer(ErrorCode.OFFSET_OUT_OF_RANGE, null, h)

    const progress = leader.onFollowerFetch(followerId, rp.fetchOffset, this.opts.scheduler.nowMs(), rp.logStartOffset, log.logStartOffset)
    if (progress.hwmAdvanced) this.afterHighWatermarkMove(h)
    this.checkDeleteWaiters(h)
    // A fenced follower (hung, or cut from the controller, and fetching still) cannot join: the
    // controller would refuse it on every fetch (KIP-841: the leader proposes eligible replicas only).
    if (progress.expandIsr && this.opts.cluster.image.brokers.get(followerId)?.fenced === false) this.proposeIsr(h, progress.expandIsr)
    return { h, log }
  }

  /**
   * Waits until a leader append gives one of the partitions data past the follower's fetch offset,
   * or maxWaitMs. One subscription per waiting fetch, not one per partition: an idle follower of
   * thousands of partitions long-polls twice a second, and subscribing to each of their logs every
   * time was most of an idle daemon's work. The partitions are indexed only when an append happens.
   */
  private waitForAppend(followerId: number, partitions: ReplicaFetchPartition[], maxWaitMs: number): Promise<void> {
    return new Promise((resolve) => {
      let fetchOffsets: Map<string, number> | null = null
      const onAppend = (key: string, logEndOffset: number): void => {
        fetchOffsets ??= new Map(partitions.map((rp) => [partitionKey(rp.topicId, rp.partition), rp.fetchOffset]))
        const fetchOffset = fetchOffsets.get(key)
        if (fetchOffset !== undefined && logEndOffset > fetchOffset) done()
      }
      const cancelTimer = this.opts.scheduler.setTimer(() => done(), maxWaitMs)
      let woken = this.fetchesWaiting.get(followerId)
      if (!woken) this.fetchesWaiting.set(followerId, (woken = new Set()))
      const waiting = woken
      const done = (): void => {
        cancelTimer()
        this.appendWaiters.delete(onAppend)
        waiting.delete(done)
        resolve()
      }
      this.appendWaiters.add(onAppend)
      waiting.add(done)
    })
  }

  /** Ends a follower's waiting fetches now (its partitions changed: see BrokerLink.wakeReplicaFetch). */
  wakeReplicaFetchesOf(followerId: number): void {
    for (const done of [...(this.fetchesWaiting.get(followerId) ?? [])]) done()
  }

  /**
   * A leader append made a partition's log longer (logEndOffset), or its HWM moved (Infinity: any
   * fetch of it ends, so followers learn the HWM): wakes the follower fetches waiting for it.
   */
  private wakeReplicaFetches(h: Hosted, logEndOffset: number): void {
    for (const waiter of [...this.appendWaiters]) waiter(h.key, logEndOffset)
  }

  private async serveOne(followerId: number, rp: ReplicaFetchPartition, maxBytes: number): Promise<ReplicaFetchResult> {
    const state = this.fetchState(followerId, rp)
    if ('result' in state) return state.result
    const { h, log } = state
    const out: ReplicaFetchResult = {
      topicId: rp.topicId,
      partition: rp.partition,
      errorCode: ErrorCode.NONE,
      highWatermark: h.leader!.highWatermark,
      logStartOffset: log.logStartOffset,
      divergingEpoch: null,
      records: [],
    }
    if (rp.fetchOffset >= log.appendedEndOffset) return out
    try {
      // Batches whose write is still in flight too: the followers' writes overlap the leader's
      // instead of following it (the HWM still waits for the leader's own write: onLeaderAppend).
      out.records = await log.read(rp.fetchOffset, maxBytes, log.appendedEndOffset, IN_FLIGHT)
    } catch (error) {
      if (isStorageError(error, 'OFFSET_OUT_OF_RANGE')) return { ...out, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE }
      if (isStorageError(error, 'CORRUPT_BATCH')) {
        // Never served: the follower retries, and finds a healthy leader once this one stepped down.
        this.corruptionFound(h, error)
        return { ...out, errorCode: ErrorCode.KAFKA_STORAGE_ERROR, records: [] }
      }
      throw error
    }
    return out
  }

  private proposeIsr(h: Hosted, isr: number[]): void {
    if (h.isrChangeInFlight || !h.leader) return
    const leader = h.leader
    h.isrChangeInFlight = true
    // Until the controller decides, the HWM waits for the members added (the maximal ISR). A
    // request that failed in transport may still be applied: only a commit or a refusal ends it.
    leader.beginIsrChange(isr, h.partitionEpoch)
    this.opts.cluster
      .alterIsr({ brokerId: this.brokerId, topicId: h.topicId, partition: h.partition, leaderEpoch: h.leaderEpoch, partitionEpoch: h.partitionEpoch, isr })
      .then(
        (result) => {
          if (result.errorCode !== ErrorCode.NONE) {
            // A stale leader or partition epoch says an earlier change of ours may have been
            // applied unseen (this broker's image lags: cut off from the controller): its members
            // keep holding the HWM back until the metadata tells (sim seed 3466). Other refusals
            // were decided on the state this leader knows: nothing it proposed was applied.
            const stale = result.errorCode === ErrorCode.FENCED_LEADER_EPOCH || result.errorCode === ErrorCode.INVALID_UPDATE_VERSION
            if (!stale && h.leader === leader && leader.isrChangeRefused()) this.afterHighWatermarkMove(h)
            this.opts.log.warn('ISR change refused', { broker: this.brokerId, partition: h.key, isr: isr.join(','), error: result.errorMessage })
          }
        },
        (error: unknown) => this.opts.log.warn('ISR change failed', { broker: this.brokerId, partition: h.key, error: String(error) }),
      )
      .finally(() => (h.isrChangeInFlight = false))
  }

  /** Drops lagging followers from the ISR of the partitions this broker leads. */
  checkIsr(): void {
    const image = this.opts.cluster.image
    const lagMaxMs = Number(brokerConfig(image, 'replica.lag.time.max.ms'))
    const nowMs = this.opts.scheduler.nowMs()
    for (const h of this.hosted.values()) {
      if (h.role !== 'leader' || !h.leader) continue
      const shrunk = h.leader.shrinkProposal(nowMs, lagMaxMs)
      if (shrunk) this.proposeIsr(h, shrunk)
    }
  }

  private scheduleIsrCheck(): void {
    if (this.stopped) return
    const image = this.opts.cluster.image
    const lagMaxMs = Number(brokerConfig(image, 'replica.lag.time.max.ms'))
    // Kafka checks every half of replica.lag.time.max.ms.
    this.cancelIsrTimer = this.opts.scheduler.setTimer(() => {
      this.checkIsr()
      this.scheduleIsrCheck()
    }, Math.max(Math.floor(lagMaxMs / 2), 10))
  }

  /**
   * Persists the producer state of every partition whose producers changed, as of its high
   * watermark, in the partition's transition chain (a truncation's rebuild and a snapshot never
   * interleave).
   */
  snapshotProducers(): Promise<void> {
    const nowMs = this.opts.scheduler.nowMs()
    const expirationMs = Number(brokerConfig(this.opts.cluster.image, 'producer.id.expiration.ms'))
    const writes: Promise<void>[] = []
    for (const h of this.hosted.values()) {
      if (!h.log || !h.producers.changedSinceSnapshot) continue
      const work = h.transition.then(async () => {
        if (!h.log || this.stopped) return
        // Retention or DeleteRecords moved the log start: aborted transactions wholly below it go.
        h.producers.aborted.pruneBelow(h.log.logStartOffset)
        const snapshot = h.producers.snapshot(h.log.highWatermark, nowMs, expirationMs)
        // Every aborted entry of a marker below the snapshot's offset is stored before the
        // snapshot says the log need not be replayed from there.
        await h.producers.aborted.flushed()
        await saveProducerSnapshot(this.opts.store.meta, h.topicId, h.partition, snapshot)
        h.producerSnapshot = snapshot
      })
      h.transition = work.catch((error: unknown) => {
        if (!this.stopped) this.opts.log.warn('producer snapshot failed', { broker: this.brokerId, partition: h.key, error: String(error) })
      })
      writes.push(h.transition)
    }
    return Promise.all(writes).then(() => undefined)
  }

  private scheduleProducerSnapshots(): void {
    if (this.stopped) return
    this.cancelSnapshotTimer = this.opts.scheduler.setTimer(() => {
      void this.snapshotProducers().finally(() => this.scheduleProducerSnapshots())
    }, PRODUCER_SNAPSHOT_INTERVAL_MS)
  }

  /** Stops replication and fails waiting requests (the broker was killed or is closing). */
  stop(): void {
    this.stopped = true
    this.cancelIsrTimer?.()
    this.cancelSnapshotTimer?.()
    this.fetchers.stop()
    this.scrubber?.stop()
    for (const h of this.hosted.values()) this.failWaiters(h, ErrorCode.NOT_LEADER_OR_FOLLOWER)
    this.hosted.clear()
  }
}

