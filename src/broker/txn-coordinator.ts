/**
 * A broker's transaction coordinator (Kafka's TransactionCoordinator and TransactionStateManager;
 * the log's format is txn-state-log.ts). Each transactional id's state lives in the internal,
 * compacted, replicated topic `__transaction_state`, at the partition its id hashes to (as groups
 * in `__consumer_offsets`, coordinator-placement.ts); the coordinator of an id is the leader of
 * that partition, and its coordinator epoch is that partition's leader epoch. On becoming leader
 * the broker loads the ids from the log (COORDINATOR_LOAD_IN_PROGRESS meanwhile) and finishes the
 * transactions it finds in PrepareCommit/PrepareAbort; on losing leadership it forgets them
 * (NOT_COORDINATOR), and the new leader carries on from the log.
 *
 * The rules of each request are the pure machine of src/cluster/txn-state.ts; here they are
 * persisted: every state change is appended with acks=all and applied (and answered) only once it
 * is on every ISR member. EndTxn is answered once PrepareCommit/PrepareAbort is written; then the
 * markers go to the leader of each partition of the transaction (txn-marker-channel.ts), retried
 * until each partition has its marker, and CompleteCommit/CompleteAbort is written. A timer aborts
 * ongoing transactions older than their timeout, fencing their producer, as Kafka's
 * abortTimedOutTransactions does, and forgets idle transactional ids.
 */
import { brokerConfig } from '../cluster/configs.js'
import { EventBudget } from '../cluster/event-budget.js'
import { coordinatorPartitionFor } from '../cluster/coordinator-placement.js'
import type { TxnEventType } from '../cluster/events.js'
import type { Scheduler } from '../cluster/scheduler.js'
import { sleep } from '../cluster/scheduler.js'
import {
  complete,
  decideAddPartitions,
  decideEndTxn,
  decideInitProducerId,
  fenceAndAbort,
  isExpired,
  isTimedOut,
  isValidTxnTimeout,
  matchesListFilter,
  unknownStates,
  verifyPartitions,
  type TxnDecision,
  type TxnListFilter,
  type TxnMetadata,
  type TxnPartition,
} from '../cluster/txn-state.js'
import type { Logger } from '../common/logger.js'
import { ErrorCode } from '../protocol/errors.js'
import { isStorageError } from '../storage/errors.js'
import type { ClusterView } from './cluster-view.js'
import type { BrokerLink } from './replica-fetcher.js'
import type { Hosted, ReplicaManager } from './replica-manager.js'
import { TxnMarkerChannel } from './txn-marker-channel.js'
import { TXN_STATE_TOPIC, appendTxnState, readTxnStates } from './txn-state-log.js'

const COMPLETE_BACKOFF_MIN_MS = 50
const COMPLETE_BACKOFF_MAX_MS = 1_000
/** Transaction events told per second at most; the rest are counted in one line (a busy producer commits thousands a second). */
const EVENTS_PER_SECOND = 20

/** A transaction event for `sluice cluster events`. */
export interface TxnEvent {
  type: TxnEventType
  fields: Record<string, unknown>
  message: string
}

export interface TxnCoordinatorOptions {
  brokerId: number
  cluster: ClusterView
  scheduler: Scheduler
  log: Logger
  link: BrokerLink
  replicas: () => ReplicaManager | null
  onEvent?: (e: TxnEvent) => void
}

interface Entry {
  /** null while the first InitProducerId of the id is being written. */
  meta: TxnMetadata | null
  /** A state change is being written: other changes wait (CONCURRENT_TRANSACTIONS). */
  pending: boolean
}

interface Shard {
  partition: number
  coordinatorEpoch: number
  loaded: boolean
  txns: Map<string, Entry>
  /** Ends the wait for the loaded records to be replicated when the shard is unloaded. */
  unloaded: AbortController
}

type Lookup = { shard: Shard } | { errorCode: number }

export interface InitProducerIdResult {
  errorCode: number
  producerId: number
  producerEpoch: number
}

export interface TxnDescription {
  errorCode: number
  meta: TxnMetadata | null
}

export class TxnCoordinator {
  private readonly shards = new Map<number, Shard>()
  private cancelTick: (() => void) | null = null
  private stopped = false
  private readonly eventBudget = new EventBudget<TxnEventType>(EVENTS_PER_SECOND)
  private lastExpiryCheckMs: number
  private readonly markers: TxnMarkerChannel

  constructor(private readonly opts: TxnCoordinatorOptions) {
    this.markers = new TxnMarkerChannel(opts)
    this.lastExpiryCheckMs = opts.scheduler.nowMs()
  }

  start(): void {
    const tick = (): void => {
      if (this.stopped) return
      this.abortTimedOutTransactions()
      this.removeExpiredIds()
      this.flushSuppressedEvents()
      this.cancelTick = this.opts.scheduler.setTimer(tick, this.cleanupIntervalMs())
    }
    this.cancelTick = this.opts.scheduler.setTimer(tick, this.cleanupIntervalMs())
  }

  stop(): void {
    this.stopped = true
    this.cancelTick?.()
    this.cancelTick = null
    for (const shard of [...this.shards.values()]) this.unload(shard)
  }

  private cleanupIntervalMs(): number {
    return Number(brokerConfig(this.opts.cluster.image, 'transaction.abort.timed.out.transaction.cleanup.interval.ms'))
  }

  // ---- leadership and loading ----------------------------------------------------------------

  /** The replica manager says this broker now leads (or no longer leads) a partition. */
  onLeadership(h: Hosted, leading: boolean): void {
    const topic = this.opts.cluster.image.topicsById.get(h.topicId)
    if (topic?.name !== TXN_STATE_TOPIC) return
    const existing = this.shards.get(h.partition)
    if (!leading) {
      if (existing) this.unload(existing)
      return
    }
    if (existing && existing.coordinatorEpoch === h.leaderEpoch) return
    if (existing) this.unload(existing)
    const shard: Shard = { partition: h.partition, coordinatorEpoch: h.leaderEpoch, loaded: false, txns: new Map(), unloaded: new AbortController() }
    this.shards.set(h.partition, shard)
    this.load(shard, h).then(
      () => {
        if (!this.isCurrent(shard)) return
        shard.loaded = true
        // A coordinator that failed over in the middle of a commit or abort finishes it.
        for (const [id, entry] of shard.txns) {
          if (entry.meta?.state === 'PrepareCommit' || entry.meta?.state === 'PrepareAbort') void this.sendMarkers(shard, id)
        }
      },
      (error: unknown) => {
        this.opts.log.error('loading transactions failed', { broker: this.opts.brokerId, partition: h.partition, error: String(error) })
        if (this.shards.get(h.partition) === shard) this.unload(shard)
        if (isStorageError(error, 'CORRUPT_BATCH')) this.opts.replicas()?.corruptionFound(h, error)
      },
    )
  }

  /**
   * Reads the partition's transactional ids, then waits until everything read is replicated (the
   * high watermark at the log end read): a state this new leader has and its followers do not may
   * still be lost by the next failover, so nothing is answered from it before. (Answering from such
   * a record, a retried AddPartitionsToTxn was told NONE, the record was then lost, and a later
   * EndTxn was taken for a retry of an earlier commit: the client was told "committed" and no
   * marker was ever written. Seed 337 of the simulation.)
   */
  private async load(shard: Shard, h: Hosted): Promise<void> {
    const log = h.log!
    const end = log.logEndOffset
    for (const [id, meta] of await readTxnStates(log)) shard.txns.set(id, { meta, pending: false })
    await log.waitFor((l) => l.highWatermark >= end, shard.unloaded.signal)
    this.opts.log.info('loaded transactions', { broker: this.opts.brokerId, partition: shard.partition, coordinatorEpoch: shard.coordinatorEpoch, transactionalIds: shard.txns.size })
  }

  private unload(shard: Shard): void {
    // A reason of our own: abort() without one builds a DOMException (a stack trace) per unload,
    // and the wait it ends only looks at `aborted`.
    shard.unloaded.abort('unloaded')
    if (this.shards.get(shard.partition) === shard) this.shards.delete(shard.partition)
  }

  private isCurrent(shard: Shard): boolean {
    return !this.stopped && this.shards.get(shard.partition) === shard
  }

  private numPartitions(): number | null {
    return this.opts.cluster.image.topicsByName.get(TXN_STATE_TOPIC)?.partitions.length ?? null
  }

  /** The partition of __transaction_state that holds a transactional id, or null before the topic exists. */
  partitionFor(transactionalId: string): number | null {
    const n = this.numPartitions()
    return n === null ? null : coordinatorPartitionFor(transactionalId, n)
  }

  private lookup(transactionalId: string): Lookup {
    const partition = this.partitionFor(transactionalId)
    if (partition === null) return { errorCode: ErrorCode.NOT_COORDINATOR }
    const shard = this.shards.get(partition)
    if (!shard) return { errorCode: ErrorCode.NOT_COORDINATOR }
    if (!shard.loaded) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS }
    return { shard }
  }

  // ---- persistence ---------------------------------------------------------------------------

  private async write(shard: Shard, transactionalId: string, meta: TxnMetadata | null): Promise<number> {
    const replicas = this.opts.replicas()
    const p = this.opts.cluster.image.topicsByName.get(TXN_STATE_TOPIC)?.partitions[shard.partition]
    if (!replicas || !p) return ErrorCode.NOT_COORDINATOR
    return appendTxnState(replicas, p, transactionalId, meta, this.opts.scheduler.nowMs())
  }

  /** Writes `next` with acks=all and applies it once replicated, if this coordinator still owns the id. */
  private async persist(shard: Shard, transactionalId: string, next: TxnMetadata): Promise<number> {
    let entry = shard.txns.get(transactionalId)
    if (!entry) shard.txns.set(transactionalId, (entry = { meta: null, pending: false }))
    entry.pending = true
    const code = await this.write(shard, transactionalId, next)
    entry.pending = false
    if (!this.isCurrent(shard) || shard.txns.get(transactionalId) !== entry) return ErrorCode.NOT_COORDINATOR
    if (code === ErrorCode.NONE) entry.meta = next
    else if (entry.meta === null) shard.txns.delete(transactionalId)
    return code
  }

  /** Runs a decision: NONE or an error code to answer, after writing what it says to write. */
  private async apply(shard: Shard, transactionalId: string, d: Exclude<TxnDecision, { kind: 'needProducerId' }>): Promise<number> {
    if (d.kind === 'answer') return d.errorCode
    const before = shard.txns.get(transactionalId)?.meta ?? null
    const code = await this.persist(shard, transactionalId, d.next)
    if (code !== ErrorCode.NONE) return code
    if (d.fenced && before) this.fenced(before, d.next)
    if (d.markers) void this.sendMarkers(shard, transactionalId)
    return d.errorCode
  }

  // ---- requests ------------------------------------------------------------------------------

  /** InitProducerId with a transactional id (a null or empty one never reaches here). */
  async initProducerId(transactionalId: string, timeoutMs: number, expected: { producerId: number; producerEpoch: number } | null): Promise<InitProducerIdResult> {
    const failed = (errorCode: number): InitProducerIdResult => ({ errorCode, producerId: -1, producerEpoch: -1 })
    const maxTimeoutMs = Number(brokerConfig(this.opts.cluster.image, 'transaction.max.timeout.ms'))
    // Checked before the coordinator is, as Kafka does: any broker answers it.
    if (!isValidTxnTimeout(timeoutMs, maxTimeoutMs)) return failed(ErrorCode.INVALID_TRANSACTION_TIMEOUT)
    let newProducerId: number | undefined
    /** What the first pass decided on, when it asked for a producer id. */
    let seen: { shard: Shard; meta: TxnMetadata | null } | undefined
    // Twice at most: a first pass may find that a new producer id is needed.
    for (let pass = 0; pass < 2; pass++) {
      const found = this.lookup(transactionalId)
      if ('errorCode' in found) return failed(found.errorCode)
      const entry = found.shard.txns.get(transactionalId)
      const meta = entry?.meta ?? null
      // The id's state changed while the producer id was allocated (through the controller, which
      // can take seconds while metadata is frozen): the request was decided on a state that is
      // gone, and by now its client may have timed out and retried. Deciding it again on the
      // current state would let this stale request fence the transaction its own client's retry
      // began (seed 263 of the simulation: an abort at a bumped epoch, unseen by the producer).
      // Kafka never waits here (no block at hand: COORDINATOR_LOAD_IN_PROGRESS at once); the
      // client retries, and its retry is decided on what is current.
      if (seen && (seen.shard !== found.shard || seen.meta !== meta)) return failed(ErrorCode.CONCURRENT_TRANSACTIONS)
      const d = decideInitProducerId(meta, entry?.pending ?? false, { transactionalId, timeoutMs, maxTimeoutMs, expected, nowMs: this.opts.scheduler.nowMs(), newProducerId })
      if (d.kind === 'needProducerId') {
        seen = { shard: found.shard, meta }
        const allocated = await this.opts.cluster.allocateProducerId()
        if (allocated.errorCode !== ErrorCode.NONE || allocated.value === undefined) return failed(ErrorCode.COORDINATOR_NOT_AVAILABLE)
        newProducerId = allocated.value
        continue
      }
      const code = await this.apply(found.shard, transactionalId, d)
      if (code !== ErrorCode.NONE || d.kind !== 'write') return failed(code)
      this.opts.log.info('initialized transactional id', { transactionalId, producerId: d.next.producerId, producerEpoch: d.next.producerEpoch, partition: found.shard.partition })
      return { errorCode: ErrorCode.NONE, producerId: d.next.producerId, producerEpoch: d.next.producerEpoch }
    }
    return failed(ErrorCode.CONCURRENT_TRANSACTIONS)
  }

  /** AddPartitionsToTxn (and AddOffsetsToTxn with the group's __consumer_offsets partition). */
  async addPartitions(transactionalId: string, producerId: number, producerEpoch: number, partitions: TxnPartition[]): Promise<number> {
    const found = this.lookup(transactionalId)
    if ('errorCode' in found) return found.errorCode
    const entry = found.shard.txns.get(transactionalId)
    const d = decideAddPartitions(entry?.meta ?? null, entry?.pending ?? false, { producerId, producerEpoch, partitions, nowMs: this.opts.scheduler.nowMs() })
    return d.kind === 'needProducerId' ? ErrorCode.UNKNOWN_SERVER_ERROR : this.apply(found.shard, transactionalId, d)
  }

  /** AddPartitionsToTxn v4+ verifyOnly: one code per partition, in order (txn-state.ts verifyPartitions). */
  verifyPartitions(transactionalId: string, producerId: number, producerEpoch: number, partitions: TxnPartition[]): number[] {
    const found = this.lookup(transactionalId)
    const verdict = 'errorCode' in found ? found : verifyPartitions(found.shard.txns.get(transactionalId)?.meta ?? null, { producerId, producerEpoch, partitions })
    return 'errorCode' in verdict ? partitions.map(() => verdict.errorCode) : verdict.codes
  }

  /** EndTxn: answered once PrepareCommit/PrepareAbort is replicated; the markers follow. */
  async endTxn(transactionalId: string, producerId: number, producerEpoch: number, committed: boolean): Promise<number> {
    const found = this.lookup(transactionalId)
    if ('errorCode' in found) return found.errorCode
    const entry = found.shard.txns.get(transactionalId)
    const d = decideEndTxn(entry?.meta ?? null, entry?.pending ?? false, { producerId, producerEpoch, committed, nowMs: this.opts.scheduler.nowMs() })
    return d.kind === 'needProducerId' ? ErrorCode.UNKNOWN_SERVER_ERROR : this.apply(found.shard, transactionalId, d)
  }

  /** DescribeTransactions for one id. */
  describe(transactionalId: string): TxnDescription {
    const found = this.lookup(transactionalId)
    if ('errorCode' in found) return { errorCode: found.errorCode, meta: null }
    const meta = found.shard.txns.get(transactionalId)?.meta ?? null
    if (meta === null || meta.state === 'Dead') return { errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, meta: null }
    return { errorCode: ErrorCode.NONE, meta }
  }

  /** ListTransactions: the ids this broker coordinates, filtered as Kafka filters them. */
  list(filter: TxnListFilter): { errorCode: number; unknownStateFilters: string[]; transactions: TxnMetadata[] } {
    const unknownStateFilters = unknownStates(filter.states)
    if ([...this.shards.values()].some((s) => !s.loaded)) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, unknownStateFilters, transactions: [] }
    const nowMs = this.opts.scheduler.nowMs()
    const transactions: TxnMetadata[] = []
    for (const shard of this.shards.values()) {
      for (const entry of shard.txns.values()) if (entry.meta && matchesListFilter(entry.meta, filter, nowMs)) transactions.push(entry.meta)
    }
    transactions.sort((a, b) => (a.transactionalId < b.transactionalId ? -1 : a.transactionalId > b.transactionalId ? 1 : 0))
    return { errorCode: ErrorCode.NONE, unknownStateFilters, transactions }
  }

  // ---- markers -------------------------------------------------------------------------------

  /** The entry of a transaction whose markers are going out, while this coordinator still owns it. */
  private preparing(shard: Shard, transactionalId: string, meta: TxnMetadata): boolean {
    return this.isCurrent(shard) && shard.txns.get(transactionalId)?.meta === meta
  }

  /**
   * Writes the markers of a PrepareCommit/PrepareAbort into every partition of the transaction
   * (txn-marker-channel.ts), then CompleteCommit/CompleteAbort. Stops when this broker stops
   * coordinating the id: the new coordinator resumes from the log.
   */
  private async sendMarkers(shard: Shard, transactionalId: string): Promise<void> {
    const meta = shard.txns.get(transactionalId)?.meta
    if (!meta || (meta.state !== 'PrepareCommit' && meta.state !== 'PrepareAbort')) return
    const outcome = await this.markers.send(
      { transactionalId, producerId: meta.producerId, producerEpoch: meta.producerEpoch, committed: meta.state === 'PrepareCommit', coordinatorEpoch: shard.coordinatorEpoch, partitions: meta.partitions },
      () => this.preparing(shard, transactionalId, meta),
    )
    if (outcome === 'written') await this.writeComplete(shard, transactionalId, meta)
  }

  private async writeComplete(shard: Shard, transactionalId: string, meta: TxnMetadata): Promise<void> {
    let backoffMs = COMPLETE_BACKOFF_MIN_MS
    for (;;) {
      if (!this.preparing(shard, transactionalId, meta)) return
      const done = complete(meta, this.opts.scheduler.nowMs())
      const code = await this.persist(shard, transactionalId, done)
      if (code === ErrorCode.NONE) {
        this.ended(done)
        return
      }
      if (code !== ErrorCode.COORDINATOR_NOT_AVAILABLE) return
      await sleep(this.opts.scheduler, backoffMs)
      backoffMs = Math.min(backoffMs * 2, COMPLETE_BACKOFF_MAX_MS)
    }
  }

  // ---- timeouts ------------------------------------------------------------------------------

  /** Aborts every ongoing transaction open longer than its timeout, at a bumped epoch (fencing its producer). */
  private abortTimedOutTransactions(): void {
    const nowMs = this.opts.scheduler.nowMs()
    for (const shard of this.shards.values()) {
      if (!shard.loaded) continue
      for (const [id, entry] of shard.txns) {
        const meta = entry.meta
        if (!meta || !isTimedOut(meta, entry.pending, nowMs)) continue
        const next = fenceAndAbort(meta, nowMs)
        void this.persist(shard, id, next).then((code) => {
          if (code !== ErrorCode.NONE) return
          this.event('txn.timed-out', next, `transaction ${id} timed out after ${meta.timeoutMs} ms: aborted, producer ${meta.producerId} fenced at epoch ${next.producerEpoch}`)
          void this.sendMarkers(shard, id)
        })
      }
    }
  }

  /**
   * Forgets transactional ids with nothing open and no request for transactional.id.expiration.ms
   * (checked every transaction.remove.expired.transaction.cleanup.interval.ms): a tombstone in
   * __transaction_state, then out of memory. The id's next InitProducerId gets a new producer id.
   */
  private removeExpiredIds(): void {
    const cfg = this.opts.cluster.image
    const nowMs = this.opts.scheduler.nowMs()
    if (nowMs - this.lastExpiryCheckMs < Number(brokerConfig(cfg, 'transaction.remove.expired.transaction.cleanup.interval.ms'))) return
    this.lastExpiryCheckMs = nowMs
    const expirationMs = Number(brokerConfig(cfg, 'transactional.id.expiration.ms'))
    for (const shard of this.shards.values()) {
      if (!shard.loaded) continue
      for (const [id, entry] of shard.txns) {
        const meta = entry.meta
        if (!meta || !isExpired(meta, entry.pending, nowMs, expirationMs)) continue
        entry.pending = true
        void this.write(shard, id, null).then((code) => {
          entry.pending = false
          if (code === ErrorCode.NONE && this.isCurrent(shard) && shard.txns.get(id) === entry && entry.meta === meta) shard.txns.delete(id)
        })
      }
    }
  }

  // ---- events --------------------------------------------------------------------------------

  private fenced(before: TxnMetadata, after: TxnMetadata): void {
    const open = before.state === 'Ongoing'
    this.event(
      'txn.fenced',
      after,
      `producer ${before.producerId} epoch ${before.producerEpoch} of ${before.transactionalId} fenced by a new producer${open ? ': its open transaction is aborted' : ''}`,
    )
  }

  private ended(meta: TxnMetadata): void {
    const committed = meta.state === 'CompleteCommit'
    this.event(committed ? 'txn.committed' : 'txn.aborted', meta, `transaction ${meta.transactionalId} ${committed ? 'committed' : 'aborted'} (producer ${meta.producerId}, epoch ${meta.producerEpoch})`)
  }

  private event(type: TxnEventType, meta: TxnMetadata, message: string): void {
    if (!this.opts.onEvent || !this.eventBudget.take(type, this.opts.scheduler.nowMs())) return
    this.opts.onEvent({ type, fields: { broker: this.opts.brokerId, transactionalId: meta.transactionalId, producerId: meta.producerId, producerEpoch: meta.producerEpoch }, message })
  }

  /** One line per kind for the events over the per-second budget. */
  private flushSuppressedEvents(): void {
    for (const [type, count] of this.eventBudget.drain()) {
      this.opts.onEvent?.({ type, fields: { broker: this.opts.brokerId, count }, message: `${count} more ${type} events on broker ${this.opts.brokerId} (over ${EVENTS_PER_SECOND}/s: counted, not listed)` })
    }
  }
}
