/**
 * `sluice replay`: reads a bounded range of a topic (per partition, --from to --to, never past the
 * end seen at start) with the topic reader of consume, keeps the records a --filter accepts, and
 * writes them as envelope lines on stdout or re-produces them into another topic (into-sink.ts:
 * acks=all, idempotent, through the produce send pipeline), each with headers naming where it
 * came from. --rate and --speed pace the reads (pacer.ts).
 *
 * With --into the replay is exactly once across interruptions (exactly-once.ts): each chunk and the
 * progress commit in one transaction, and a run again of the same command resumes from the
 * progress committed (reported in `resumed`), or reports the replay complete.
 *
 * The range is fixed at start (--to, never past the end then), so replaying a topic into itself
 * (re-driving records) ends.
 *
 * Resuming by hand: a partition's `next` is the offset after the last record handled; with --into
 * every handled record is acknowledged and committed before the result is returned (the pipeline
 * is drained, also after Ctrl-C), so `--from <resumeFrom>` continues without a gap or a repeat.
 */
import type { Writable } from 'node:stream'
import type { ClusterTarget } from '../kafka.js'
import { WireClient } from '../wire/client.js'
import type { OffsetSpec } from '../offsets.js'
import type { PartitionCursor } from '../consume/fetcher.js'
import type { Isolation } from '../consume/isolation.js'
import { choosePartitions, TopicReader } from '../consume/topic-reader.js'
import { createFormatter } from '../consume/format.js'
import { OutputWriter } from '../consume/output.js'
import { FormatterSink, RecordPipeline, filterPredicate, type RecordSink } from '../consume/record-pipeline.js'
import { describeTopic } from '../produce/producer-setup.js'
import { RECORD_BATCH_OVERHEAD } from '../../protocol/batch-layout.js'
import { ReplayCheckpoint, type PartitionProgress } from './exactly-once.js'
import type { RecordFilter } from './filter.js'
import { IntoSink } from './into-sink.js'
import { ReplayPacer } from './pacer.js'
import { ReplayProgress } from './progress.js'

export interface ReplayOptions {
  target: ClusterTarget
  topic: string
  partitions?: number[]
  from: OffsetSpec
  to?: OffsetSpec
  filter?: RecordFilter
  /** Re-produce into this topic instead of writing to stdout. */
  into?: string
  /** Partition by the murmur2 hash of the key (as Kafka's default partitioner) instead of the source partition. */
  repartition: boolean
  /** Records per second at most (matched records). */
  ratePerSec?: number
  /** Replay with the records' original spacing (by timestamp), this many times faster. */
  speed?: number
  dryRun: boolean
  binary: boolean
  /** Default read_committed (consume/isolation.ts): aborted transactions are never replayed. */
  isolation?: Isolation
  stdout: Writable
  signal: AbortSignal
  /** The live progress line (drawn only when stderr is a terminal). */
  progress?: boolean
  nowMs?: number
  /** With --into: the replay's transactional id and group id (exactly-once.ts replayId). */
  replayId?: string
  /** With --into: ignore the committed progress and start again at --from. */
  restart?: boolean
  /** A line for the person running it (stderr). */
  note?: (message: string) => void
}

export interface ReplayedPartition {
  partition: number
  /** First offset read. */
  from: number
  /** Exclusive end of the range. */
  to: number
  /** The next offset to read: where `--from` resumes. */
  next: number
  /** Records read, and of them those that matched the filter (all, without one). */
  records: number
  matched: number
  /** Timestamps of the first and last record read (undefined when none). */
  firstTimestamp?: number
  lastTimestamp?: number
}

export interface ReplayResult {
  topic: string
  into?: string
  dryRun: boolean
  /** Records read, matched (written or produced, or that would be). */
  records: number
  matched: number
  /** Records acknowledged by the target topic (--into). */
  produced: number
  repartitioned: boolean
  partitions: ReplayedPartition[]
  stoppedBy: 'end' | 'interrupt' | 'closed'
  /** A --from value that resumes where this replay stopped. */
  resumeFrom: string
  /** With --into: the transactional id and group id that hold its progress. */
  replayId?: string
  /** With --into: where a run again started from the progress committed earlier (partition -> offset). */
  resumed?: Record<string, number>
  /** With --into: every partition was already at its end when this run started. */
  alreadyComplete?: boolean
  /** With --into: transactions committed by this run. */
  transactions?: number
}

const MAX_WAIT_MS = 100
/** One send's most to the target, as produce's batches (1 MiB, less when max.message.bytes is smaller). */
const BATCH_BYTES_MAX = 1 << 20

/** The --from value that resumes each partition at its `next`. */
export function resumeSpec(partitions: { partition: number; next: number }[]): string {
  return partitions.map((p) => `${p.partition}:${p.next}`).join(',')
}

export async function replay(opts: ReplayOptions): Promise<ReplayResult> {
  const run = new Replay(opts)
  try {
    const cursors = await run.plan()
    const pipeline = await run.openSink(cursors)
    await run.resume(cursors)
    await run.read(cursors, pipeline)
    // Every record handled is written or acknowledged before the resume offsets are reported.
    await pipeline.drain()
    return run.result(cursors, pipeline)
  } catch (err) {
    await run.abort()
    throw err
  } finally {
    await run.close()
  }
}

/** One replay, step by step: plan the range, open the sink (dry run, stdout or --into), read, report where to resume. */
class Replay {
  // --into the source topic itself is allowed (re-driving records): the range ends at the end
  // seen at start, so the copies appended meanwhile are never read again.
  private readonly consumer: WireClient
  private readonly reader: TopicReader
  private readonly out: OutputWriter
  private checkpoint: ReplayCheckpoint | undefined
  private resumed: Record<string, number> | undefined
  private alreadyComplete = false
  private into: IntoSink | undefined
  private pacer: ReplayPacer | undefined
  private count = 0
  private readonly stats = new Map<number, ReplayedPartition>()

  constructor(private readonly opts: ReplayOptions) {
    this.consumer = new WireClient(opts.target, 'sluice-replay')
    this.out = new OutputWriter(opts.stdout)
    this.reader = new TopicReader({ ...opts, client: this.consumer, maxWaitMs: MAX_WAIT_MS })
  }

  /** The cursors of the range: from --from to --to, never past the end seen now. */
  async plan(): Promise<PartitionCursor[]> {
    this.count = await this.reader.partitionCount()
    const partitions = choosePartitions(this.opts, this.count)
    const cursors = await this.reader.plan(partitions, { ...this.opts, exit: true })
    for (const c of cursors) this.stats.set(c.partition, { partition: c.partition, from: c.position, to: c.stopOffset, next: c.position, records: 0, matched: 0 })
    return cursors
  }

  /** The pipeline into the sink: nothing (--dry-run), the target topic (--into), or envelopes on stdout. */
  async openSink(cursors: PartitionCursor[]): Promise<RecordPipeline> {
    const { opts } = this
    let sink: RecordSink = new FormatterSink(createFormatter('json', opts.topic, opts.binary), this.out)
    if (opts.dryRun) sink = { onRecord: () => true }
    else if (opts.into !== undefined) {
      const target = await describeTopic(this.consumer, opts.target, opts.into)
      const rehash = opts.repartition || target.numPartitions !== this.count
      if (opts.replayId === undefined) throw new Error('replay --into without a replay id')
      this.checkpoint = new ReplayCheckpoint(this.consumer, opts.target, opts.replayId, opts.topic)
      const batchBytesMax = Math.min(BATCH_BYTES_MAX, target.maxMessageBytes - RECORD_BATCH_OVERHEAD)
      sink = this.into = new IntoSink(this.consumer, opts.topic, opts.into, target.numPartitions, rehash, { progress: this.checkpoint, cursors: () => cursors }, batchBytesMax)
    }
    if (!opts.dryRun && (opts.ratePerSec !== undefined || opts.speed !== undefined)) this.pacer = new ReplayPacer(opts)
    return new RecordPipeline({
      filter: opts.filter === undefined ? undefined : filterPredicate(opts.topic, opts.filter),
      pacer: this.pacer,
      tally: (r, partition, matched) => {
        const s = this.stats.get(partition)!
        s.records++
        s.firstTimestamp ??= r.timestamp
        s.lastTimestamp = r.timestamp
        if (matched) s.matched++
      },
      sink,
    })
  }

  /**
   * With --into: fences an earlier run of this replay (aborting what it left open), then moves each
   * cursor to the progress committed (unless --restart), with the range's end the first run fixed.
   */
  async resume(cursors: PartitionCursor[]): Promise<void> {
    const checkpoint = this.checkpoint
    if (checkpoint === undefined) return
    await checkpoint.init()
    if (this.opts.restart === true) return
    const progress = await checkpoint.load(cursors.map((c) => c.partition))
    if (progress.size === 0) return
    this.resumed = {}
    for (let i = 0; i < cursors.length; i++) {
      const p = progress.get(cursors[i]!.partition)
      if (p !== undefined) cursors[i] = this.resumedCursor(cursors[i]!, p)
    }
    this.alreadyComplete = cursors.every((c) => c.done)
    const where = cursors.map((c) => `${c.partition}:${c.position}`).join(',')
    this.opts.note?.(
      this.alreadyComplete
        ? `replay ${checkpoint.id} completed in an earlier run: nothing to write (--restart runs it again)`
        : `resuming replay ${checkpoint.id} from its committed progress at ${where} (--restart starts again at --from)`,
    )
  }

  private resumedCursor(c: PartitionCursor, p: PartitionProgress): PartitionCursor {
    const cursor = this.reader.cursor(c.partition, p.next, Number.isFinite(p.stopOffset) ? p.stopOffset : c.stopOffset)
    if (p.stopTimestampMs !== undefined) cursor.stopTimestampMs = p.stopTimestampMs
    this.resumed![String(c.partition)] = p.next
    this.stats.set(c.partition, { partition: c.partition, from: p.next, to: cursor.stopOffset, next: p.next, records: 0, matched: 0 })
    return cursor
  }

  /** Reads the range (in paced reads with --rate/--speed) until its end, Ctrl-C or a closed stdout. */
  async read(cursors: PartitionCursor[], pipeline: RecordPipeline): Promise<void> {
    const progress = this.opts.progress === true ? new ReplayProgress(process.stderr, {
      total: cursors.reduce((n, c) => n + (c.stopOffset - c.position), 0),
      done: () => cursors.reduce((n, c) => n + (c.position - this.stats.get(c.partition)!.from), 0),
      matched: () => pipeline.kept,
    }) : undefined
    progress?.start()
    try {
      while (!this.reader.isStopped && cursors.some((c) => !c.done)) {
        await this.reader.read(cursors, pipeline)
        await pipeline.ready()
        await this.pacer?.wait(cursors, this.opts.signal)
      }
    } finally {
      progress?.stop()
      this.reader.close()
    }
  }

  /** The figures, and the --from that resumes each partition where it stopped. */
  result(cursors: PartitionCursor[], pipeline: RecordPipeline): ReplayResult {
    const { opts } = this
    for (const c of cursors) this.stats.get(c.partition)!.next = c.position
    const list = [...this.stats.values()]
    return {
      topic: opts.topic,
      ...(opts.into !== undefined ? { into: opts.into } : {}),
      dryRun: opts.dryRun,
      records: pipeline.read,
      matched: pipeline.kept,
      produced: this.into?.pipeline.acked.records ?? 0,
      repartitioned: this.into?.rehash ?? false,
      partitions: list,
      // A replay stops only at its end, on the signal or when stdout closes.
      stoppedBy: this.reader.stoppedBy as ReplayResult['stoppedBy'],
      resumeFrom: resumeSpec(list),
      ...(this.checkpoint !== undefined
        ? { replayId: this.checkpoint.id, resumed: this.resumed, alreadyComplete: this.alreadyComplete, transactions: this.checkpoint.committed }
        : {}),
    }
  }

  /** After a failure: the open transaction is aborted (what it held is never visible to read_committed readers). */
  async abort(): Promise<void> {
    await this.checkpoint?.abort()
  }

  async close(): Promise<void> {
    this.reader.close()
    this.out.flush()
    this.consumer.close()
  }
}
