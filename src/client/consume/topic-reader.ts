/**
 * Reading a topic, the one way consume, consume --group, replay and tail do it: check the
 * partitions against the topic, plan a cursor per partition (where it starts, where it stops),
 * and run the fetch loop (fetcher.ts) over the cursors, handing each record to the caller's
 * per-record step (a RecordPipeline). One reader may read several times (a group's assignments,
 * replay's paced ticks) over the same or new cursors.
 *
 * Stopping: the signal (Ctrl-C, SIGTERM) stops the reader with 'interrupt', a closed stdout
 * (`consume | head -5`: EPIPE on the next write) with 'closed', both at once (the fetch in flight
 * is abandoned). The first reason wins; whoever stops it (the pipeline's --max, the end of an
 * --exit) gives theirs through stop().
 */
import type { Writable } from 'node:stream'
import { SluiceError } from '../../common/errors.js'
import { ErrorCode } from '../../protocol/errors.js'
import { kafkaApiCode, toClusterError, type ClusterTarget } from '../kafka.js'
import { checkStartOffset, kafkaOffsetLookup, resolveOffsets, type OffsetLookup, type OffsetSpec, type PartitionBounds } from '../offsets.js'
import type { MarkerView } from './batches.js'
import { DEFAULT_ISOLATION, isolationLevelOf, type Isolation } from './isolation.js'
import type { RecordView } from './record-view.js'
import { Fetcher, type FetcherClient, type PartitionCursor } from './fetcher.js'

/** Why a read ended for good. */
export type StopReason = 'end' | 'max' | 'interrupt' | 'closed'

/** Where a read starts and stops, per partition (the offsets grammar, already parsed). */
export interface ReadRange {
  /** Default: earliest. */
  from?: OffsetSpec
  /** Exclusive; partitions it does not name (and without a default) have no stop. */
  to?: OffsetSpec
  /** Stop every partition at the end offset seen now, at the latest. */
  exit: boolean
  nowMs?: number
}

export interface TopicReaderOptions {
  client: FetcherClient
  target: ClusterTarget
  topic: string
  /** Aborting stops the reader ('interrupt'). */
  signal: AbortSignal
  /** Watched (not written): when it fails or closes, the reader stops ('closed'). */
  stdout: Writable
  /** Long-poll wait at the end of the log. */
  maxWaitMs?: number
  maxBytes?: number
  partitionMaxBytes?: number
  /** Default read_committed: aborted transactions are dropped, the end is the last stable offset. */
  isolation?: Isolation
  /** Told once, when the reader stops for good (whoever stops it). */
  onStop?(why: StopReason): void
}

/** What the fetch loop does with each record, and after each response. */
export interface ReadStep {
  /** Each record in order within its partition; false ends this read. */
  onRecord(r: RecordView, partition: number): boolean
  /** Each transaction marker, in order with the records (only when given: --show-control); false ends this read. */
  onMarker?(m: MarkerView, partition: number): boolean
  /** After each response's records: hand them over, and wait while the output is backed up. */
  ready(): Promise<void>
}

const MAX_WAIT_MS = 500
const PARTITION_MAX_BYTES = 1024 * 1024
const MAX_BYTES = 8 * 1024 * 1024

function describePartitions(count: number): string {
  return count === 1 ? 'it has 1 partition: 0' : `it has ${count} partitions: 0-${count - 1}`
}

/** The partitions to read, checked against the topic (also those named in --from/--to). */
export function choosePartitions(opts: { topic: string; partitions?: number[]; from?: OffsetSpec; to?: OffsetSpec }, count: number): number[] {
  const missing = (p: number): boolean => p < 0 || p >= count
  for (const p of opts.partitions ?? []) {
    if (missing(p)) throw new SluiceError('NOT_FOUND', `topic "${opts.topic}" has no partition ${p} (${describePartitions(count)})`)
  }
  for (const [flag, spec] of [['--from', opts.from], ['--to', opts.to]] as const) {
    for (const p of spec?.partitions.keys() ?? []) {
      if (missing(p)) throw new SluiceError('NOT_FOUND', `${flag} names partition ${p}, but topic "${opts.topic}" ${describePartitions(count)}`)
    }
  }
  const all = Array.from({ length: count }, (_, i) => i)
  return opts.partitions ? all.filter((p) => opts.partitions!.includes(p)) : all
}

export class TopicReader {
  /** Why it stopped ('end' while it has not). */
  stoppedBy: StopReason = 'end'
  private stopped = false
  private fetcher: Fetcher | undefined
  private readonly onAbort = (): void => this.stop('interrupt')
  private readonly onClosed = (): void => this.stop('closed')

  constructor(private readonly opts: TopicReaderOptions) {
    if (opts.signal.aborted) this.onAbort()
    else opts.signal.addEventListener('abort', this.onAbort, { once: true })
    opts.stdout.on('error', this.onClosed)
    opts.stdout.on('close', this.onClosed)
  }

  get isolation(): Isolation {
    return this.opts.isolation ?? DEFAULT_ISOLATION
  }

  /** True once stopped for good (by the signal, stdout, or stop()). */
  get isStopped(): boolean {
    return this.stopped
  }

  /** Partition count of the topic (`fresh`: asked of the cluster, not the cached metadata); NOT_FOUND when it does not exist. */
  async partitionCount(fresh = false): Promise<number> {
    const { client, target, topic } = this.opts
    try {
      const md = await client.metadata({ topics: [topic], forceUpdate: fresh })
      const t = md.topics.get(topic)
      if (t === undefined) throw new SluiceError('NOT_FOUND', `topic "${topic}" does not exist`)
      return t.partitionsCount
    } catch (err) {
      if (err instanceof SluiceError) throw err
      if (kafkaApiCode(err) === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION || /unknown topic/i.test(err instanceof Error ? err.message : '')) {
        throw new SluiceError('NOT_FOUND', `topic "${topic}" does not exist`, { cause: err })
      }
      throw toClusterError(err, target, `reading the metadata of "${topic}"`)
    }
  }

  /** Offsets of the topic's partitions by position or time (ListOffsets). */
  lookup(): OffsetLookup {
    return kafkaOffsetLookup(this.opts.client, this.opts.topic, isolationLevelOf(this.isolation))
  }

  /** The cursors: where each partition starts (checked against the log), and where it stops. */
  async plan(partitions: number[], range: ReadRange): Promise<PartitionCursor[]> {
    const { topic } = this.opts
    const lookup = this.lookup()
    const nowMs = range.nowMs ?? Date.now()
    let bounds: Map<number, PartitionBounds>
    try {
      bounds = await lookup.bounds(partitions)
    } catch (err) {
      throw toClusterError(err, this.opts.target, `listing the offsets of "${topic}"`)
    }
    const starts = await resolveOffsets(range.from, { partitions, lookup, bounds, fallback: { kind: 'earliest' }, role: 'from', nowMs })
    const to = range.to
    const bounded = to === undefined ? [] : partitions.filter((p) => to.partitions.has(p) || to.default !== undefined)
    const stops = await resolveOffsets(to, { partitions: bounded, lookup, bounds, fallback: { kind: 'latest' }, role: 'to', nowMs })
    return partitions.map((p) => {
      const b = bounds.get(p)!
      const position = starts.get(p)!.offset
      // Below the log start: "deleted by retention; data starts at N".
      checkStartOffset(topic, p, position, b)
      const stop = stops.get(p)
      let stopOffset = stop?.offset ?? Number.POSITIVE_INFINITY
      if (range.exit) stopOffset = Math.min(stopOffset, b.end)
      const cursor = this.cursor(p, position, stopOffset)
      if (stop?.timestampMs !== undefined && stop.offset === Number.POSITIVE_INFINITY) cursor.stopTimestampMs = stop.timestampMs
      return cursor
    })
  }

  /** A cursor at `position`, stopping before `stopOffset` (Infinity: open-ended). */
  cursor(partition: number, position: number, stopOffset: number): PartitionCursor {
    return {
      partition,
      position,
      stopOffset,
      done: position >= stopOffset,
      partitionMaxBytes: this.opts.partitionMaxBytes ?? PARTITION_MAX_BYTES,
      failures: 0,
    }
  }

  /**
   * Reads until every cursor is done, the step ends this read, pause() or stop(). The cursors
   * move as records are handed to the step; a later read goes on from them.
   */
  async read(cursors: PartitionCursor[], step: ReadStep): Promise<void> {
    if (this.stopped) return
    const fetcher = new Fetcher({
      consumer: this.opts.client,
      target: this.opts.target,
      topic: this.opts.topic,
      cursors,
      maxWaitMs: this.opts.maxWaitMs ?? MAX_WAIT_MS,
      maxBytes: this.opts.maxBytes ?? MAX_BYTES,
      isolation: this.isolation,
      onRecord: step.onRecord,
      onMarker: step.onMarker,
      ready: step.ready,
    })
    this.fetcher = fetcher
    try {
      await fetcher.run()
    } finally {
      if (this.fetcher === fetcher) this.fetcher = undefined
    }
  }

  /** Ends the current read at once (a group's revoked assignment); the reader may read again. */
  pause(): void {
    this.fetcher?.stop()
  }

  /** Stops for good: the current read ends at once, later reads return at once. The first reason wins. */
  stop(why: StopReason): void {
    if (this.stopped) return
    this.stopped = true
    this.stoppedBy = why
    this.fetcher?.stop()
    this.opts.onStop?.(why)
  }

  /** Stops watching the signal and stdout. */
  close(): void {
    this.opts.signal.removeEventListener('abort', this.onAbort)
    this.opts.stdout.off('error', this.onClosed)
    this.opts.stdout.off('close', this.onClosed)
  }
}
