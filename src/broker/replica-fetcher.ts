/**
 * The follower side of replication (Kafka's ReplicaFetcherThread): one loop per leader broker,
 * fetching every partition this broker follows from it, starting at the local log end with the
 * last fetched leader epoch. The leader answers records (which are appended as they are: offsets
 * and epochs stamped by the leader), or a diverging epoch, in which case the follower truncates
 * its log to where the leader's history and its own agree before fetching again.
 *
 * Brokers reach each other through a BrokerLink: a direct call in the daemon (where faults such as
 * latency or a cut link are injected) and a simulated network in the seeded simulation.
 */
import { brokerConfig } from '../cluster/configs.js'
import type { Logger } from '../common/logger.js'
import { parseBatches } from '../protocol/batch-layout.js'
import { ErrorCode } from '../protocol/errors.js'
import type { ClusterView } from './cluster-view.js'
import type { TxnVerifyAnswer, TxnVerifyRequest } from './txn-verification.js'
import type { Scheduler } from '../cluster/scheduler.js'
import { sleep } from '../cluster/scheduler.js'
import { rebuildProducerState } from './producer-state.js'
import type { Hosted } from './replica-manager.js'
import type { PartitionLog } from '../storage/types.js'
import type { TxnMarkerOutcome, TxnMarkerSpec } from './txn-markers.js'

export interface ReplicaFetchPartition {
  topicId: string
  partition: number
  fetchOffset: number
  /** Epoch of the follower's last batch (its latest epoch); -1 when its log is empty. */
  lastFetchedEpoch: number
  currentLeaderEpoch: number
  /** The follower's log start offset: the leader answers DeleteRecords once its ISR has moved it. */
  logStartOffset: number
}

export interface ReplicaFetchResult {
  topicId: string
  partition: number
  errorCode: number
  highWatermark: number
  logStartOffset: number
  /** Set when the follower's log diverges from the leader's: the leader's end of that epoch. */
  divergingEpoch: { epoch: number; endOffset: number } | null
  records: Buffer[]
}

export interface BrokerLink {
  /** A follower's fetch from a leader. Rejects when the leader cannot be reached. */
  replicaFetch(
    followerId: number,
    leaderId: number,
    partitions: ReplicaFetchPartition[],
    maxWaitMs: number,
    maxBytes: number,
  ): Promise<ReplicaFetchResult[]>
  /**
   * Ends the follower's fetch waiting at the leader now (its partitions changed: one joined, or a
   * leader epoch moved), so that the next fetch asks for the new set. Optional: without it, the
   * waiting fetch ends at its timeout.
   */
  wakeReplicaFetch?(followerId: number, leaderId: number): void
  /**
   * A transaction coordinator's markers, sent to the leader `toId` of their partitions, which
   * appends them (txn-markers.ts). Rejects when that broker cannot be reached.
   */
  writeTxnMarkers(fromId: number, toId: number, markers: TxnMarkerSpec[]): Promise<TxnMarkerOutcome[]>
  /**
   * A leader asks the transaction coordinator `toId` whether a partition is in a producer's
   * transaction (AddPartitionsToTxn v4 verifyOnly, KIP-890: txn-verification.ts). Rejects when
   * that broker cannot be reached.
   */
  verifyTxnPartitions(fromId: number, toId: number, req: TxnVerifyRequest): Promise<TxnVerifyAnswer>
}

export interface FetchersOptions {
  brokerId: number
  link: BrokerLink
  scheduler: Scheduler
  log: Logger
  cluster: ClusterView
  /** The partitions this broker currently follows from a leader. */
  partitions: (leaderId: number) => Hosted[]
  wake: (key: string) => void
  /** Deletes a partition's persisted producer snapshot (a truncation went below it). */
  dropProducerSnapshot: (h: Hosted) => Promise<void>
}

const BACKOFF_MS = 100
/** The same truncation this many times in a row: the replica cannot converge, and says so once. */
const STUCK_TRUNCATIONS = 10
const FETCH_MAX_BYTES = 10 * 1024 * 1024

export class ReplicaFetchers {
  private readonly loops = new Set<number>()
  private stopped = false

  constructor(private readonly opts: FetchersOptions) {}

  /** Starts a loop for every leader this broker now follows partitions from. */
  refresh(): void {
    if (this.stopped) return
    const image = this.opts.cluster.image
    for (const topic of image.topicsById.values()) {
      for (const p of topic.partitions) {
        if (p.leader < 0 || p.leader === this.opts.brokerId || !p.replicas.includes(this.opts.brokerId)) continue
        if (!this.loops.has(p.leader)) this.start(p.leader)
      }
    }
  }

  /** Makes sure a loop fetches from this leader (a partition just became its follower). */
  follow(leaderId: number): void {
    if (this.stopped || leaderId < 0 || leaderId === this.opts.brokerId) return
    if (!this.loops.has(leaderId)) this.start(leaderId)
    // The loop's fetch in flight may be waiting at the leader without this partition (or with its
    // old epoch): an idle fetch waits up to seconds, so end it and let the loop ask again.
    else this.opts.link.wakeReplicaFetch?.(this.opts.brokerId, leaderId)
  }

  stop(): void {
    this.stopped = true
  }

  private start(leaderId: number): void {
    this.loops.add(leaderId)
    void this.run(leaderId).finally(() => this.loops.delete(leaderId))
  }

  private async run(leaderId: number): Promise<void> {
    const { scheduler, link, cluster } = this.opts
    let idleRounds = 0
    while (!this.stopped) {
      const hosted = this.opts.partitions(leaderId)
      if (hosted.length === 0) {
        // Transitions may still be opening logs: give them a moment before the loop ends.
        if (++idleRounds > 20) return
        await sleep(scheduler, BACKOFF_MS)
        continue
      }
      idleRounds = 0
      const request = hosted.map((h) => ({
        topicId: h.topicId,
        partition: h.partition,
        fetchOffset: h.log!.logEndOffset,
        lastFetchedEpoch: h.log!.latestEpoch(),
        currentLeaderEpoch: h.leaderEpoch,
        logStartOffset: h.log!.logStartOffset,
      }))
      const maxWaitMs = Number(brokerConfig(cluster.image, 'replica.fetch.wait.max.ms'))
      let results: ReplicaFetchResult[]
      try {
        results = await link.replicaFetch(this.opts.brokerId, leaderId, request, maxWaitMs, FETCH_MAX_BYTES)
      } catch {
        await sleep(scheduler, BACKOFF_MS)
        continue
      }
      if (this.stopped) return
      let progressed = false
      for (const [i, r] of results.entries()) {
        const h = hosted[i]!
        try {
          progressed = (await this.applyResult(h, leaderId, request[i]!, r)) || progressed
        } catch (error) {
          this.opts.log.warn('replica fetch result failed', { broker: this.opts.brokerId, partition: h.key, error: String(error) })
        }
      }
      if (!progressed) await sleep(scheduler, results.some((r) => r.errorCode !== ErrorCode.NONE) ? BACKOFF_MS : 0)
    }
  }

  /**
   * Applies one partition's fetch result in the partition's transition chain, as Kafka applies it
   * under the partition's lock: a role change waits for a follower append or truncation in
   * flight, and the result is dropped if the role changed meanwhile. Unserialised, a follower
   * append could land after the broker had become leader (under the new epoch's start), and a
   * truncation's producer-state rebuild could wipe what the new leader's appends recorded.
   */
  private applyResult(h: Hosted, leaderId: number, sent: ReplicaFetchPartition, r: ReplicaFetchResult): Promise<boolean> {
    const current = (): boolean => h.role === 'follower' && h.leaderId === leaderId && h.leaderEpoch === sent.currentLeaderEpoch && h.log !== null
    if (r.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE && r.logStartOffset > sent.fetchOffset) return this.inChain(h, () => current() && this.startAtLeaderLogStart(h, sent, r))
    if (r.errorCode !== ErrorCode.NONE) return Promise.resolve(false)
    if (r.divergingEpoch === null && r.records.length === 0 && r.logStartOffset <= h.log!.logStartOffset) {
      // Nothing to write (the idle case, for every partition of every round): only the HWM moves,
      // which needs no step in the chain.
      if (current()) this.followHighWatermark(h.log!, r.highWatermark)
      return Promise.resolve(false)
    }
    return this.inChain(h, () => current() && this.process(h, sent, r))
  }

  /** Runs `step` in the partition's transition chain; resolves with its result. */
  private inChain(h: Hosted, step: () => false | Promise<boolean>): Promise<boolean> {
    const work = h.transition.then(step)
    h.transition = work.then(
      () => undefined,
      () => undefined,
    )
    return work
  }

  /**
   * The leader's log starts past our log end (records deleted, or retention, while this replica
   * was away): nothing we hold is of use, and fetching at our end would be out of range forever.
   * As Kafka's follower (truncateFullyAndStartAt), the log restarts empty at the leader's start.
   */
  private async startAtLeaderLogStart(h: Hosted, sent: ReplicaFetchPartition, r: ReplicaFetchResult): Promise<boolean> {
    const log = h.log!
    if (log.logEndOffset !== sent.fetchOffset || r.logStartOffset <= log.logEndOffset) return false
    await this.restartLogAt(h, r.logStartOffset)
    return true
  }

  /** The log restarts empty at `offset` (the leader's log start), producer state with it. */
  private async restartLogAt(h: Hosted, offset: number): Promise<void> {
    const log = h.log!
    this.opts.log.info('replica restarts at the leader log start', { broker: this.opts.brokerId, partition: h.key, from: log.logEndOffset, to: offset })
    await log.truncateFullyAndStartAt(offset)
    if (h.producerSnapshot) {
      h.producerSnapshot = null
      await this.opts.dropProducerSnapshot(h)
    }
    await rebuildProducerState(log, h.producers, null)
  }

  /**
   * Counts a truncation. The same one (same LEO, same target) coming back means the follower
   * refetches what it dropped and diverges again: a bug in the divergence rules, never to loop
   * silently. It is logged once, and shown (`cluster status`, `sluice ui`) until the replica gets
   * past it. Returns true when this truncation repeats the last one (already logged).
   */
  private noteTruncation(h: Hosted, fromOffset: number, toOffset: number): boolean {
    const d = h.divergence
    if (d && d.fromOffset === fromOffset && d.toOffset === toOffset) {
      d.truncations++
      if (d.truncations === STUCK_TRUNCATIONS) {
        h.stuck = d
        this.opts.log.warn('replica stuck: it truncates and refetches the same records without converging', {
          broker: this.opts.brokerId,
          partition: h.key,
          leader: h.leaderId,
          from: fromOffset,
          to: toOffset,
          truncations: d.truncations,
        })
      }
      return true
    }
    h.divergence = { fromOffset, toOffset, truncations: 1, sinceMs: this.opts.scheduler.nowMs() }
    return false
  }

  /** The follower got past its last divergence. */
  private converged(h: Hosted): void {
    if (h.stuck) {
      this.opts.log.info('replica no longer stuck', { broker: this.opts.brokerId, partition: h.key, truncations: h.stuck.truncations })
    }
    h.divergence = null
    h.stuck = null
  }

  /** Applies one partition's fetch result. Returns true when the log moved. */
  private async process(h: Hosted, sent: ReplicaFetchPartition, r: ReplicaFetchResult): Promise<boolean> {
    const log = h.log!
    if (r.errorCode !== ErrorCode.NONE) return false
    if (r.divergingEpoch) {
      const { epoch, endOffset } = r.divergingEpoch
      let truncateTo: number
      if (epoch < 0 || endOffset < 0) {
        // The leader knows nothing of our epochs: keep only what was committed.
        truncateTo = log.highWatermark
      } else {
        // Kafka's getOffsetTruncationState: where we know the leader's epoch, keep what both
        // hold of it; where we do not, our largest smaller epoch ends where our next epoch (one
        // the leader never had) starts: truncate there and ask again. Truncating only to the
        // leader's end offset left a follower whose epochs 2.. the leader never had fetching
        // "diverging" forever (test/broker/replica-fetcher.test.ts).
        const local = log.endOffsetForEpoch(epoch)
        if (local.epoch === epoch) truncateTo = Math.min(endOffset, local.endOffset)
        else if (local.epoch >= 0) truncateTo = Math.min(local.endOffset, log.logEndOffset)
        else truncateTo = Math.min(endOffset, log.logEndOffset)
      }
      // All we would keep lies below the leader's log start, where the leader no longer knows its
      // epochs (its cache starts at its log start: an epoch older than that "ends" there), so
      // nothing vouches for it, and it may hold batches the leader never had. Kept, a transaction
      // batch there stayed open for good, its marker written (and deleted) at the leader only: as
      // leader later, this replica's LSO stuck at its log start (seed 85 of the quorum sweep).
      // Those records are deleted for every reader anyway: restart empty at the leader's start.
      if (truncateTo <= r.logStartOffset && log.logStartOffset < r.logStartOffset) {
        await this.restartLogAt(h, r.logStartOffset)
        return true
      }
      // Against the end with appends in flight: a leader's append still landing when the broker
      // became a follower is cut too, and the producer state rebuilt without it (seed 3138: kept,
      // its sequence answered a producer's retry as a duplicate at an offset another batch took).
      if (truncateTo < log.appendedEndOffset) {
        if (!this.noteTruncation(h, log.appendedEndOffset, truncateTo)) {
          this.opts.log.info('truncating diverged replica', { broker: this.opts.brokerId, partition: h.key, from: log.appendedEndOffset, to: truncateTo })
        }
        await log.truncateTo(truncateTo)
        // A snapshot past the truncation names batches that are gone: read the log tail instead
        // (and drop it, so the next start does not load it over different batches).
        if (h.producerSnapshot && h.producerSnapshot.offset > log.logEndOffset) {
          h.producerSnapshot = null
          await this.opts.dropProducerSnapshot(h)
        }
        await rebuildProducerState(log, h.producers, h.producerSnapshot)
        return true
      }
      // No batch to drop, but the epoch we sent may be one we assigned at our LEO when elected and
      // never wrote in: the leader never had it. Truncating at the LEO drops that entry (as Kafka
      // does), so the next fetch sends the epoch of our last batch and agrees.
      const latest = log.latestEpoch()
      await log.truncateTo(log.logEndOffset)
      return log.latestEpoch() !== latest
    }
    let moved = false
    if (r.records.length > 0 && log.logEndOffset === sent.fetchOffset) {
      // Headers read once, for the log and producer state both. The answer's buffers (the leader's
      // stored batches, by reference) are appended as they came, in one append: concatenating
      // them first copied every replicated byte once more per follower.
      const parts = r.records.map(parseBatches)
      // The leader's first batch begins below our end only when we fetched at its log start,
      // inside that batch (a deletion fell inside it, and we truncated to there or got there):
      // all we hold lies below the leader's log start, so the log restarts empty there and takes
      // the batch whole (a follower append refuses a batch below its end otherwise, forever).
      const first = parts[0]?.batches[0]
      if (first && first.baseOffset < log.logEndOffset && r.logStartOffset >= log.logEndOffset && log.logStartOffset < log.logEndOffset) {
        await this.restartLogAt(h, log.logEndOffset)
      }
      await log.appendAsFollower(parts)
      for (const part of parts) h.producers.recordStored(part)
      moved = true
      if (h.divergence && log.logEndOffset > h.divergence.fromOffset) this.converged(h)
    }
    this.followHighWatermark(log, r.highWatermark)
    return (await this.followLogStart(h, r.logStartOffset)) || moved
  }

  /**
   * The leader's log start moved (DeleteRecords, retention): the follower moves its own there too,
   * as Kafka's follower does (maybeIncrementLogStartOffset after each fetch), up to its own HWM (what
   * it holds that the leader has committed), and reports it in its next fetch. Returns true when
   * the log start moved.
   */
  private async followLogStart(h: Hosted, leaderLogStartOffset: number): Promise<boolean> {
    const log = h.log!
    const target = Math.min(leaderLogStartOffset, log.highWatermark)
    if (target <= log.logStartOffset) return false
    await log.deleteRecordsBefore(target)
    return true
  }

  /** A follower's HWM: the leader's, up to what it holds itself. */
  private followHighWatermark(log: PartitionLog, leaderHighWatermark: number): void {
    const hwm = Math.min(leaderHighWatermark, log.logEndOffset)
    if (hwm > log.highWatermark) log.setHighWatermark(hwm)
  }
}

