/**
 * The fetch loop of `consume`: reads partitions directly from their leaders (no consumer group),
 * one Fetch at a time per leader covering all its partitions, as Kafka's own consumer does.
 *
 * - Pipelining: when a response arrives, the next fetch for the same partitions goes out at once
 *   (its offsets come from the batch headers), and the records are formatted while it travels. So
 *   each leader has at most one fetch in flight and one response being formatted: memory is
 *   bounded by the leaders times max bytes.
 * - Output: `ready()` is called after each response (it flushes, and waits while stdout is
 *   backed up: backpressure).
 * - Leader changes and lost connections (NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, a closed
 *   socket...): the partitions concerned go back to `reassign`, which waits (backoff), refreshes
 *   the metadata and hands each to the worker of its new leader. A partition that keeps failing
 *   for RETRY_WINDOW_MS (longer than a broker's session timeout, after which Kafka elects a new
 *   leader) fails the consume.
 * - OFFSET_OUT_OF_RANGE is never skipped over silently: records that retention deleted before
 *   they were read fail the consume with where the data now starts.
 * - Following: fetches long-poll (maxWaitMs) at the end of the log.
 */
import { SluiceError } from '../../common/errors.js'
import { ErrorCode, errorName } from '../../protocol/errors.js'
import { RETRY_WINDOW_MS, toClusterError, type ClusterTarget } from '../kafka.js'
import { kafkaOffsetLookup, type ListOffsetsClient } from '../offsets.js'
import { nextOffsetAfter, walkBatches, type AbortedTransaction, type MarkerView, type RecordView } from './batches.js'
import { isolationLevelOf, type Isolation } from './isolation.js'
import type { BrokerAddress } from '../wire/connection.js'
import { fetchRaw, type FetchConnection, type FetchOptions, type FetchResult } from './fetch-api.js'

export interface PartitionCursor {
  partition: number
  /** The next offset to read. */
  position: number
  /** Exclusive; Infinity when open-ended. */
  stopOffset: number
  /** Stop at the first record whose timestamp is at or after this (a --to @time not reached yet). */
  stopTimestampMs?: number
  done: boolean
  partitionMaxBytes: number
  /** Consecutive failed attempts (reset by a good response): the backoff grows with them. */
  failures: number
  /** When the current run of failures began (undefined while healthy). */
  failingSinceMs?: number
}

/** The metadata the fetch loop reads: brokers by id, and each partition's leader. */
export interface FetcherMetadata {
  brokers: Map<number, BrokerAddress>
  topics: Map<string, { partitionsCount: number; partitions: { leader: number }[] }>
}

/**
 * What the fetch loop needs of a client: sluice's WireClient (consume, group consume, replay), or a
 * fake in tests.
 */
export interface FetcherClient extends ListOffsetsClient {
  metadata(options: { topics: string[]; forceUpdate?: boolean }): Promise<FetcherMetadata>
  connections: { get(broker: BrokerAddress): Promise<FetchConnection> }
}

export interface FetcherOptions {
  consumer: FetcherClient
  /** One Fetch request (fetchRaw; tests give a fake). */
  fetch?: (connection: FetchConnection, opts: FetchOptions) => Promise<FetchResult>
  target: ClusterTarget
  topic: string
  cursors: PartitionCursor[]
  /** Long-poll wait at the end of the log. */
  maxWaitMs: number
  /** Response size cap per fetch. */
  maxBytes: number
  /** What the fetches ask for: read_committed drops aborted transactions and stops at the LSO. */
  isolation: Isolation
  /** Each record in order within its partition; return false to stop the whole consume. */
  onRecord(r: RecordView, partition: number): boolean
  /** Each transaction marker, in order with the records (--show-control); return false to stop the whole consume. */
  onMarker?(m: MarkerView, partition: number): boolean
  /** Called after each response's records: flush, and wait while the output is backed up. */
  ready(): Promise<void>
  /** Retry backoff bounds and window (tests shorten them). */
  backoffMsMin?: number
  backoffMsMax?: number
  retryWindowMs?: number
}

/** How long a partition may keep failing before the consume gives up. */
export { RETRY_WINDOW_MS }
const BACKOFF_MS_MIN = 100
const BACKOFF_MS_MAX = 2_000
const PARTITION_MAX_BYTES_MAX = 64 * 1024 * 1024

/** Partition errors that a metadata refresh and a retry can cure. */
const RETRY_WITH_METADATA = new Set<number>([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.REPLICA_NOT_AVAILABLE,
  // The leader's log dir went offline (a full disk): the controller moves leadership elsewhere.
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.OFFSET_NOT_AVAILABLE,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.BROKER_NOT_AVAILABLE,
  ErrorCode.NOT_ENOUGH_REPLICAS,
])

interface InFlight {
  promise: Promise<FetchResult>
  /** The offset each partition was fetched at (a response only counts if the cursor is still there). */
  offsets: Map<PartitionCursor, number>
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export class Fetcher {
  private readonly workers = new Map<number, Set<PartitionCursor>>()
  private readonly byPartition = new Map<number, PartitionCursor>()
  private stopped = false
  private failure: Error | undefined
  private pendingWork = 0
  private settle!: () => void
  private readonly settled: Promise<void>
  private readonly stopSignal: Promise<void>
  private wake!: () => void
  private rotation = 0

  constructor(private readonly opts: FetcherOptions) {
    for (const c of opts.cursors) this.byPartition.set(c.partition, c)
    this.settled = new Promise((resolve) => (this.settle = resolve))
    this.stopSignal = new Promise((resolve) => (this.wake = resolve))
  }

  /** Reads until every cursor is done, stop() is called, or a failure. */
  async run(): Promise<void> {
    const active = this.opts.cursors.filter((c) => !c.done)
    if (active.length > 0) {
      this.pendingWork++
      void this.reassign(active, undefined, false).finally(() => this.workDone())
      await this.settled
    }
    if (this.failure) throw this.failure
  }

  /** Stops fetching at once (in-flight fetches are abandoned; closing the client ends them). */
  stop(): void {
    this.stopped = true
    this.wake()
    this.settle()
  }

  private fail(err: Error): void {
    this.failure ??= err
    this.stop()
  }

  private workDone(): void {
    if (--this.pendingWork === 0) this.settle()
  }

  /** Refreshes metadata (after a backoff when `retry`) and gives each cursor to its leader's worker. */
  private async reassign(cursors: PartitionCursor[], cause: unknown, retry = true): Promise<void> {
    const { topic } = this.opts
    for (;;) {
      if (this.stopped) return
      if (retry) {
        const nowMs = Date.now()
        const { backoffMsMin = BACKOFF_MS_MIN, backoffMsMax = BACKOFF_MS_MAX, retryWindowMs = RETRY_WINDOW_MS } = this.opts
        for (const c of cursors) {
          c.failures++
          c.failingSinceMs ??= nowMs
        }
        const oldest = cursors.reduce((a, c) => (c.failingSinceMs! < a.failingSinceMs! ? c : a))
        if (nowMs - oldest.failingSinceMs! > retryWindowMs) return this.fail(this.giveUp(oldest, cause, nowMs - oldest.failingSinceMs!))
        const attempts = Math.max(...cursors.map((c) => c.failures))
        await Promise.race([sleep(Math.min(backoffMsMin * 2 ** (attempts - 1), backoffMsMax)), this.stopSignal])
        if (this.stopped) return
      }
      retry = true
      let leaders: number[]
      try {
        const md = await this.opts.consumer.metadata({ topics: [topic], forceUpdate: cause !== undefined })
        const t = md.topics.get(topic)
        if (t === undefined) throw new SluiceError('NOT_FOUND', `topic "${topic}" does not exist`)
        leaders = cursors.map((c) => t.partitions[c.partition]?.leader ?? -1)
      } catch (err) {
        cause = err
        continue
      }
      const leaderless: PartitionCursor[] = []
      cursors.forEach((c, i) => (leaders[i]! >= 0 ? this.assign(c, leaders[i]!) : leaderless.push(c)))
      if (leaderless.length === 0) return
      cursors = leaderless
      cause = new SluiceError('KAFKA_ERROR', `${topic}/${leaderless[0]!.partition} has no leader`)
    }
  }

  private giveUp(c: PartitionCursor, cause: unknown, failingMs: number): Error {
    const what = `reading ${this.opts.topic}/${c.partition} (failing for ${Math.round(failingMs / 1000)} s, ${c.failures} attempts)`
    if (cause instanceof SluiceError) return new SluiceError(cause.code, `${what}: ${cause.message}`, { cause, exit: cause.exit })
    return toClusterError(cause, this.opts.target, what)
  }

  private assign(c: PartitionCursor, leader: number): void {
    let set = this.workers.get(leader)
    if (set) {
      set.add(c)
      return
    }
    set = new Set([c])
    this.workers.set(leader, set)
    this.pendingWork++
    void this.work(leader, set)
      .catch((err: unknown) => this.fail(err instanceof Error ? err : new Error(String(err))))
      .finally(() => this.workDone())
  }

  /** Moves cursors out of a worker to be reassigned. */
  private handOff(set: Set<PartitionCursor>, cursors: PartitionCursor[], cause: unknown): void {
    for (const c of cursors) set.delete(c)
    if (cursors.length === 0 || this.stopped) return
    this.pendingWork++
    void this.reassign(cursors, cause).finally(() => this.workDone())
  }

  private issue(connection: FetchConnection, cursors: PartitionCursor[], positions: Map<PartitionCursor, number>): InFlight | null {
    const parts = cursors.filter((c) => !c.done && (positions.get(c) ?? c.position) < c.stopOffset)
    if (parts.length === 0) return null
    // Rotate the order: a broker fills max bytes from the first partitions of a request.
    const shift = this.rotation++ % parts.length
    const ordered = [...parts.slice(shift), ...parts.slice(0, shift)]
    const offsets = new Map<PartitionCursor, number>()
    for (const c of ordered) offsets.set(c, positions.get(c) ?? c.position)
    const promise = (this.opts.fetch ?? fetchRaw)(connection, {
      topic: this.opts.topic,
      partitions: ordered.map((c) => ({
        partition: c.partition,
        fetchOffset: offsets.get(c)!,
        partitionMaxBytes: c.partitionMaxBytes,
        currentLeaderEpoch: -1,
      })),
      // The broker answers as soon as any data is there: the wait only matters at the end of the log.
      maxWaitMs: this.opts.maxWaitMs,
      minBytes: 1,
      maxBytes: this.opts.maxBytes,
      isolation: this.opts.isolation,
    })
    promise.catch(() => undefined) // an abandoned fetch (after stop) must not be an unhandled rejection
    return { promise, offsets }
  }

  private async work(leader: number, set: Set<PartitionCursor>): Promise<void> {
    try {
      await this.fetchFrom(leader, set)
    } finally {
      // At once, not in a later callback: a cursor assigned after this point needs a new worker.
      if (this.workers.get(leader) === set) this.workers.delete(leader)
    }
  }

  private async fetchFrom(leader: number, set: Set<PartitionCursor>): Promise<void> {
    const { consumer, topic } = this.opts
    let connection: FetchConnection
    try {
      const md = await consumer.metadata({ topics: [topic] })
      const broker = md.brokers.get(leader)
      if (broker === undefined) throw new SluiceError('KAFKA_ERROR', `broker ${leader} is not in the metadata`)
      connection = await consumer.connections.get(broker)
    } catch (err) {
      this.handOff(set, [...set], err)
      return
    }
    let inFlight: InFlight | null = null
    while (!this.stopped) {
      inFlight ??= this.issue(connection, [...set], new Map())
      if (inFlight === null) return // every partition here is done
      let result: FetchResult
      try {
        const r = await Promise.race([inFlight.promise, this.stopSignal])
        if (r === undefined || this.stopped) return
        result = r
      } catch (err) {
        this.handOff(set, [...set], err)
        return
      }
      const sent = inFlight.offsets
      inFlight = null
      if (result.errorCode !== ErrorCode.NONE) {
        this.handOff(set, [...set], new SluiceError('KAFKA_ERROR', `the broker answered ${errorName(result.errorCode)}`))
        return
      }
      // Sort the answers: records to format, partitions to move to another leader, failures.
      const fresh: { c: PartitionCursor; records: Buffer; aborted: AbortedTransaction[] }[] = []
      const moved: PartitionCursor[] = []
      let movedCause: unknown
      for (const p of result.partitions) {
        const c = this.byPartition.get(p.partition)
        if (!c || c.done || !set.has(c) || sent.get(c) !== c.position) continue // stale: the cursor moved on
        if (p.errorCode === ErrorCode.NONE) {
          fresh.push({ c, records: p.records, aborted: p.abortedTransactions })
          continue
        }
        if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
          this.fail(await this.outOfRange(c))
          return
        }
        if (!RETRY_WITH_METADATA.has(p.errorCode)) {
          this.fail(new SluiceError('KAFKA_ERROR', `reading ${topic}/${c.partition}: the broker answered ${errorName(p.errorCode)}`))
          return
        }
        moved.push(c)
        movedCause =
          p.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
            ? new SluiceError('NOT_FOUND', `topic "${topic}" or its partition ${c.partition} no longer exists`)
            : p.errorCode === ErrorCode.KAFKA_STORAGE_ERROR
              ? new SluiceError('KAFKA_ERROR', `reading ${topic}/${c.partition}: the log dir of broker ${leader} is offline (KAFKA_STORAGE_ERROR: is its disk full? see sluice cluster status)`)
              : new SluiceError('KAFKA_ERROR', `the broker answered ${errorName(p.errorCode)}`)
      }
      // Answers for these from a fetch already in flight are ignored: they are no longer in the set.
      this.handOff(set, moved, movedCause)
      // Send the next fetch before formatting this one (the broker works while we write): for
      // every partition this worker has now, including those handed to it meanwhile.
      const next = new Map<PartitionCursor, number>()
      for (const { c, records } of fresh) next.set(c, nextOffsetAfter(records, c.position))
      inFlight = this.issue(connection, [...set], next)
      for (const { c, records, aborted } of fresh) {
        this.consumeRecords(c, records, aborted)
        if (this.stopped) return
      }
      await Promise.race([this.opts.ready(), this.stopSignal])
    }
  }

  /** Formats the records of one partition's response and moves its cursor. */
  private consumeRecords(c: PartitionCursor, records: Buffer, aborted: AbortedTransaction[]): void {
    const { onRecord, onMarker } = this.opts
    const partition = c.partition
    const stopOffset = c.stopOffset
    const stopTimestampMs = c.stopTimestampMs
    let stopAll = false
    // The first record NOT read (past --to): the position stays on it, not after it (a group
    // commits positions, and a record skipped this way would never be read).
    let notRead = -1
    const pastStop = (offset: number, timestamp: number): boolean => offset >= stopOffset || (stopTimestampMs !== undefined && timestamp >= stopTimestampMs)
    const result = walkBatches(
      records,
      c.position,
      (r) => {
        if (pastStop(r.offset, r.timestamp)) {
          c.done = true
          notRead = r.offset
          return false
        }
        if (!onRecord(r, partition)) {
          stopAll = true
          return false
        }
        return true
      },
      {
        aborted: this.opts.isolation === 'read_committed' ? aborted : undefined,
        // A marker is not a record: past the stop it ends the read, and the position may pass it.
        onMarker:
          onMarker &&
          ((m) => {
            if (pastStop(m.offset, m.timestamp)) c.done = true
            else if (!onMarker(m, partition)) stopAll = true
            return !c.done && !stopAll
          }),
      },
    )
    if (records.length > 0 && result.batches === 0) {
      // Only part of a batch came back: ask for more room next time (Kafka returns at least
      // one whole batch for the first partition of a fetch, not for the ones after it).
      c.partitionMaxBytes = Math.min(c.partitionMaxBytes * 2, PARTITION_MAX_BYTES_MAX)
    }
    c.failures = 0
    c.failingSinceMs = undefined
    c.position = notRead >= 0 ? notRead : result.nextOffset
    if (c.position >= stopOffset) c.done = true
    if (stopAll) this.stop()
  }

  private async outOfRange(c: PartitionCursor): Promise<Error> {
    const { topic } = this.opts
    try {
      const b = (await kafkaOffsetLookup(this.opts.consumer, topic, isolationLevelOf(this.opts.isolation)).bounds([c.partition])).get(c.partition)!
      if (c.position < b.start) {
        return new SluiceError(
          'OFFSET_OUT_OF_RANGE',
          `${topic}/${c.partition}: offset ${c.position} was deleted by retention before it was read; data now starts at ${b.start}`,
          { exit: 4 },
        )
      }
      return new SluiceError(
        'OFFSET_OUT_OF_RANGE',
        `${topic}/${c.partition}: offset ${c.position} is past the end of the partition (${b.end}); the log was truncated`,
        { exit: 4 },
      )
    } catch (err) {
      return toClusterError(err, this.opts.target, `reading ${topic}/${c.partition}: offset ${c.position} is out of range`)
    }
  }
}
