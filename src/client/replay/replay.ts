/**
 * `sluice replay`: reads a bounded range of a topic (per partition, --from to --to, never past the
 * end seen at start) with the consume Fetcher, keeps the records a --filter accepts, and writes
 * them as envelope lines on stdout or re-produces them into another topic (acks=all, idempotent,
 * through the produce send pipeline), each with headers naming where it came from.
 *
 * The range is fixed at start (--to, never past the end then), so replaying a topic into itself
 * (re-driving records) ends.
 *
 * Resuming: a partition's `next` is the offset after the last record handled; with --into every
 * handled record is acknowledged before the result is returned (the pipeline is drained, also
 * after Ctrl-C), so `--from <resumeFrom>` continues without a gap or a repeat.
 */
import type { Writable } from 'node:stream'
import { Consumer, Producer } from '@platformatic/kafka'
import { SluiceError } from '../../cli/errors.js'
import { clientOptions, toClusterError, type ClusterTarget } from '../kafka.js'
import type { OffsetSpec } from '../offsets.js'
import { choosePartitions, TopicReader } from '../consume/topic-reader.js'
import { createFormatter } from '../consume/format.js'
import { OutputWriter } from '../consume/output.js'
import { keyOf, readHeaders, valueOf, type RecordView } from '../consume/record-view.js'
import {
  DELIVERY_TIMEOUT_MS,
  REQUEST_TIMEOUT_MS,
  RETRY_BACKOFF_MS,
  describeTopic,
  isRetriableSend,
  producerOptions,
  type BufferProducer,
} from '../produce/cluster.js'
import { RawSender } from '../produce/raw-sender.js'
import { partitionForKey } from '../produce/partitioner.js'
import { SendPipeline, type Message } from '../produce/send-pipeline.js'
import type { FilterRecord, RecordFilter } from './filter.js'
import { ReplayProgress } from './progress.js'

/** The headers added to every re-produced record (values are UTF-8 decimal text for numbers). */
export const SOURCE_TOPIC_HEADER = 'sluice-replay-source-topic'
export const SOURCE_PARTITION_HEADER = 'sluice-replay-source-partition'
export const SOURCE_OFFSET_HEADER = 'sluice-replay-source-offset'

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
  stdout: Writable
  signal: AbortSignal
  /** The live progress line (drawn only when stderr is a terminal). */
  progress?: boolean
  nowMs?: number
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
}

const MAX_WAIT_MS = 100
const IN_FLIGHT_MAX = 4

/** The record as --filter sees it (built only when there is a filter). */
export function filterRecord(topic: string, partition: number, r: RecordView): FilterRecord {
  const key = keyOf(r)
  const valueBytes = valueOf(r)
  let value: unknown = null
  if (valueBytes !== null) {
    const text = valueBytes.toString('utf8')
    try {
      value = JSON.parse(text)
    } catch {
      value = text
    }
  }
  const headers: Record<string, string | null> = {}
  for (const [name, v] of readHeaders(r)) headers[name] = v === null ? null : v.toString('utf8')
  return { topic, partition, offset: r.offset, timestamp: r.timestamp, key: key === null ? null : key.toString('utf8'), value, headers }
}

/** Resolves after `ms`, or at once when the signal aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve()
  return new Promise((resolve) => {
    const t = setTimeout(done, ms)
    function done(): void {
      clearTimeout(t)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}

/** Where each record goes in the target topic, and the batch being filled for one send. */
class IntoSink {
  private messages: Message[] = []
  private perPartition: number[]
  private bytes = 0
  private batches = 0
  readonly pipeline: SendPipeline
  private roundRobin = 0

  constructor(
    producer: BufferProducer,
    private readonly sourceTopic: string,
    private readonly into: string,
    private readonly numPartitions: number,
    private readonly rehash: boolean,
  ) {
    this.perPartition = new Array<number>(numPartitions).fill(0)
    const sender = new RawSender(producer, { topic: into, numPartitions, idempotent: true, timeoutMs: REQUEST_TIMEOUT_MS })
    this.pipeline = new SendPipeline(sender, {
      acks: -1,
      compression: 'none',
      numPartitions,
      inFlightMax: IN_FLIGHT_MAX,
      idempotent: true,
      deliveryTimeoutMs: DELIVERY_TIMEOUT_MS,
      retryBackoffMs: RETRY_BACKOFF_MS,
      retriable: isRetriableSend,
    })
  }

  add(r: RecordView, sourcePartition: number): void {
    // Copies: the view's bytes are reused once the visit returns.
    const key = keyOf(r)
    const value = valueOf(r)
    const headers = new Map<Buffer, Buffer | null>()
    for (const [name, v] of readHeaders(r)) headers.set(Buffer.from(name), v === null ? null : Buffer.from(v))
    headers.set(Buffer.from(SOURCE_TOPIC_HEADER), Buffer.from(this.sourceTopic))
    headers.set(Buffer.from(SOURCE_PARTITION_HEADER), Buffer.from(String(sourcePartition)))
    headers.set(Buffer.from(SOURCE_OFFSET_HEADER), Buffer.from(String(r.offset)))
    let partition = sourcePartition
    if (this.rehash) {
      partition = key !== null ? partitionForKey(key, this.numPartitions) : this.roundRobin++ % this.numPartitions
    }
    this.messages.push({
      topic: this.into,
      partition,
      key: key === null ? null : Buffer.from(key),
      value: value === null ? null : Buffer.from(value),
      headers,
      timestamp: BigInt(r.timestamp),
    })
    this.perPartition[partition]!++
    this.bytes += (key?.length ?? 0) + (value?.length ?? 0)
  }

  /** Hands the batch being filled to the pipeline (waits while too many sends are in flight). */
  async flush(): Promise<void> {
    if (this.messages.length === 0) return
    const n = ++this.batches
    const batch = { messages: this.messages, perPartition: this.perPartition, bytes: this.bytes, firstLineNo: n, lastLineNo: n }
    this.messages = []
    this.perPartition = new Array<number>(this.numPartitions).fill(0)
    this.bytes = 0
    await this.pipeline.send(batch)
  }

  /** Sends what is left and waits for every acknowledgement; throws the first failed send. */
  async finish(): Promise<void> {
    await this.flush()
    await this.pipeline.drain()
    const failure = this.pipeline.failure
    if (failure !== undefined) {
      const base = toClusterErrorSafe(failure.error, this.into)
      throw base
    }
  }
}

function toClusterErrorSafe(error: unknown, into: string): SluiceError {
  if (error instanceof SluiceError) return error
  const message = error instanceof Error ? error.message : String(error)
  return new SluiceError('KAFKA_ERROR', `producing to ${into} failed: ${message}; records after the resume offsets below were not all acknowledged`, {
    exit: 7,
    cause: error,
  })
}

/** The --from value that resumes each partition at its `next`. */
export function resumeSpec(partitions: { partition: number; next: number }[]): string {
  return partitions.map((p) => `${p.partition}:${p.next}`).join(',')
}

export async function replay(opts: ReplayOptions): Promise<ReplayResult> {
  // --into the source topic itself is allowed (re-driving records): the range ends at the end
  // seen at start, so the copies appended meanwhile are never read again.
  const consumer = new Consumer({ ...clientOptions(opts.target, 'sluice-replay'), groupId: 'sluice-replay' })
  let producer: BufferProducer | undefined
  const formatter = createFormatter('json', opts.topic, opts.binary)
  const out = new OutputWriter(opts.stdout)
  const reader = new TopicReader({ ...opts, client: consumer, maxWaitMs: MAX_WAIT_MS })
  try {
    const count = await reader.partitionCount()
    const partitions = choosePartitions(opts, count)
    // Never past the end seen now (--exit).
    const cursors = await reader.plan(partitions, { ...opts, exit: true })
    const stats = new Map<number, ReplayedPartition>(
      cursors.map((c) => [c.partition, { partition: c.partition, from: c.position, to: c.stopOffset, next: c.position, records: 0, matched: 0 }]),
    )
    let sink: IntoSink | undefined
    let rehash = false
    if (opts.into !== undefined && !opts.dryRun) {
      producer = new Producer(producerOptions(opts.target, true)) as BufferProducer
      const target = await describeTopic(producer, opts.target, opts.into)
      rehash = opts.repartition || target.numPartitions !== count
      sink = new IntoSink(producer, opts.topic, opts.into, target.numPartitions, rehash)
    }
    let matched = 0
    let records = 0
    const startedMs = performance.now()
    // --rate: each fetch loop stops after a tick's worth of matched records (a tenth of a
    // second's), waits until the rate allows more, and goes on from the cursors where it stopped.
    const tickMax = opts.ratePerSec === undefined || opts.dryRun ? Number.POSITIVE_INFINITY : Math.max(1, Math.ceil(opts.ratePerSec / 10))
    let inTick = 0
    // --speed: the first matched record's timestamp is time zero; a record not yet due stops the
    // fetch loop before it is handled, and its partition is read again from it once it is due.
    let speedZeroMs: number | undefined
    interface NotDue {
      partition: number
      offset: number
      dueMs: number
    }
    let notDue: NotDue | undefined
    const speed = opts.dryRun ? undefined : opts.speed
    const progress = opts.progress === true ? new ReplayProgress(process.stderr, {
      total: cursors.reduce((n, c) => n + (c.stopOffset - c.position), 0),
      done: () => cursors.reduce((n, c) => n + (c.position - stats.get(c.partition)!.from), 0),
      matched: () => matched,
    }) : undefined
    progress?.start()
    const flush = async (): Promise<void> => {
      if (sink !== undefined) await sink.flush()
      else {
        out.flush()
        await out.ready()
      }
    }
    try {
      while (!reader.isStopped && cursors.some((c) => !c.done)) {
        inTick = 0
        notDue = undefined
        await reader.read(cursors, {
          onRecord: (r, partition) => {
            const match = opts.filter === undefined || opts.filter(filterRecord(opts.topic, partition, r))
            if (match && speed !== undefined) {
              speedZeroMs ??= r.timestamp
              const dueMs = (r.timestamp - speedZeroMs) / speed
              if (dueMs > performance.now() - startedMs + 5) {
                notDue = { partition, offset: r.offset, dueMs }
                return false
              }
            }
            const s = stats.get(partition)!
            s.records++
            records++
            s.firstTimestamp ??= r.timestamp
            s.lastTimestamp = r.timestamp
            if (!match) return true
            s.matched++
            matched++
            if (sink !== undefined) sink.add(r, partition)
            else if (!opts.dryRun) formatter.write(r, partition, out)
            return ++inTick < tickMax
          },
          ready: flush,
        })
        await flush()
        // Assigned in onRecord (a closure): TypeScript's narrowing does not see it.
        const late = notDue as NotDue | undefined
        if (late !== undefined) {
          const cursor = cursors.find((c) => c.partition === late.partition)!
          cursor.position = late.offset
          cursor.done = false
          await pause(late.dueMs - (performance.now() - startedMs), opts.signal)
        }
        if (opts.ratePerSec !== undefined && inTick >= tickMax) {
          await pause((matched / opts.ratePerSec) * 1000 - (performance.now() - startedMs), opts.signal)
        }
      }
    } finally {
      progress?.stop()
      reader.close()
    }
    // Every record handled is written or acknowledged before the resume offsets are reported.
    if (sink !== undefined) await sink.finish()
    await out.end()
    for (const c of cursors) stats.get(c.partition)!.next = c.position
    const list = [...stats.values()]
    return {
      topic: opts.topic,
      ...(opts.into !== undefined ? { into: opts.into } : {}),
      dryRun: opts.dryRun,
      records,
      matched,
      produced: sink?.pipeline.acked.records ?? 0,
      repartitioned: rehash,
      partitions: list,
      // A replay stops only at its end, on the signal or when stdout closes.
      stoppedBy: reader.stoppedBy as ReplayResult['stoppedBy'],
      resumeFrom: resumeSpec(list),
    }
  } finally {
    reader.close()
    out.flush()
    await new Promise<void>((resolve) => consumer.close(true, () => resolve()))
    if (producer !== undefined) await producer.close().catch(() => undefined)
  }
}
