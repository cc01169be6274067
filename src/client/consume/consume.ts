/**
 * `sluice consume` without the command: resolve where each partition starts and stops, then run
 * the fetch loop into the output. Works against any Kafka cluster (no sluice-only API).
 *
 * Start: --from (default earliest). Stop, per partition, at the first of: --to (exclusive), the
 * end seen at start (--exit), --max records in all. Without --to or --exit it follows until the
 * signal aborts.
 */
import type { Writable } from 'node:stream'
import { SluiceError } from '../../common/errors.js'
import { clientOptions, kafkaApiCode, toClusterError, type ClusterTarget } from '../kafka.js'
import {
  checkStartOffset,
  kafkaOffsetLookup,
  resolveOffsets,
  type OffsetSpec,
  type PartitionBounds,
} from '../offsets.js'
import { WireClient } from '../wire/client.js'
import { Fetcher, type FetcherClient, type PartitionCursor } from './fetcher.js'
import { createFormatter } from './format.js'
import { OutputWriter } from './output.js'
import type { RecordView } from './record-view.js'

/**
 * Where records go instead of the formatter and stdout (`sluice tail` feeds its view's store).
 * The view is valid only during the call: copy what you keep.
 */
export interface RecordSink {
  /** Return false to stop the consume (stoppedBy 'closed'). */
  onRecord(r: RecordView, partition: number): boolean
}

/** Keeps a record (true) or skips it (not written, not counted for --max): tail's --filter. */
export type RecordPredicate = (r: RecordView, partition: number) => boolean

export interface ConsumeOptions {
  target: ClusterTarget
  topic: string
  /** Only these partitions (default: all). */
  partitions?: number[]
  from?: OffsetSpec
  to?: OffsetSpec
  /** Stop at the end offsets seen at start. */
  exit: boolean
  /** Stop after this many records in all. */
  max?: number
  format: string
  binary: boolean
  stdout: Writable
  /** Aborting stops the consume cleanly (what was formatted is written). */
  signal: AbortSignal
  /** Long-poll wait at the end of the log. */
  maxWaitMs?: number
  partitionMaxBytes?: number
  maxBytes?: number
  nowMs?: number
  /** Only records it accepts are written (and counted); the others are read past. */
  filter?: RecordPredicate
  /** Records go here instead of being formatted to `stdout` (which is then left alone). */
  sink?: RecordSink
  /** The partitions being read, once known: at start, and with --group at each assignment. */
  onAssigned?(partitions: number[]): void
}

export interface ConsumedPartition {
  partition: number
  /** First offset read from. */
  from: number
  /** The next offset that would be read. */
  next: number
}

export interface ConsumeResult {
  topic: string
  records: number
  bytes: number
  partitions: ConsumedPartition[]
  /** Why it stopped. */
  stoppedBy: 'end' | 'max' | 'interrupt' | 'closed'
  /** Some keys/values were not UTF-8 and were shown with U+FFFD (json without --binary). */
  lossy: boolean
}

const MAX_WAIT_MS = 500
const PARTITION_MAX_BYTES = 1024 * 1024
const MAX_BYTES = 8 * 1024 * 1024

/** Partition count of the topic; NOT_FOUND when it does not exist. */
export async function partitionCount(consumer: Pick<FetcherClient, 'metadata'>, target: ClusterTarget, topic: string): Promise<number> {
  try {
    const md = await consumer.metadata({ topics: [topic] })
    const t = md.topics.get(topic)
    if (t === undefined) throw new SluiceError('NOT_FOUND', `topic "${topic}" does not exist`)
    return t.partitionsCount
  } catch (err) {
    if (err instanceof SluiceError) throw err
    if (kafkaApiCode(err) === 3 || /unknown topic/i.test(err instanceof Error ? err.message : '')) {
      throw new SluiceError('NOT_FOUND', `topic "${topic}" does not exist`, { cause: err })
    }
    throw toClusterError(err, target, `reading the metadata of "${topic}"`)
  }
}

function describePartitions(count: number): string {
  return count === 1 ? 'it has 1 partition: 0' : `it has ${count} partitions: 0-${count - 1}`
}

/** The partitions to read, checked against the topic (also those named in --from/--to). Replay uses it too. */
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

/** The cursors: where each partition starts, and where it stops. */
async function planCursors(consumer: FetcherClient, opts: ConsumeOptions, partitions: number[]): Promise<PartitionCursor[]> {
  const lookup = kafkaOffsetLookup(consumer, opts.topic)
  const nowMs = opts.nowMs ?? Date.now()
  let bounds: Map<number, PartitionBounds>
  try {
    bounds = await lookup.bounds(partitions)
  } catch (err) {
    throw toClusterError(err, opts.target, `listing the offsets of "${opts.topic}"`)
  }
  const starts = await resolveOffsets(opts.from, { partitions, lookup, bounds, fallback: { kind: 'earliest' }, role: 'from', nowMs })
  const to = opts.to
  const bounded = to === undefined ? [] : partitions.filter((p) => to.partitions.has(p) || to.default !== undefined)
  const stops = await resolveOffsets(to, { partitions: bounded, lookup, bounds, fallback: { kind: 'latest' }, role: 'to', nowMs })
  return partitions.map((p) => {
    const b = bounds.get(p)!
    const position = starts.get(p)!.offset
    checkStartOffset(opts.topic, p, position, b)
    const stop = stops.get(p)
    let stopOffset = stop?.offset ?? Number.POSITIVE_INFINITY
    if (opts.exit) stopOffset = Math.min(stopOffset, b.end)
    const cursor: PartitionCursor = {
      partition: p,
      position,
      stopOffset,
      done: position >= stopOffset,
      partitionMaxBytes: opts.partitionMaxBytes ?? PARTITION_MAX_BYTES,
      failures: 0,
    }
    if (stop?.timestampMs !== undefined && stop.offset === Number.POSITIVE_INFINITY) cursor.stopTimestampMs = stop.timestampMs
    return cursor
  })
}

/**
 * The per-record step of the fetch loop when there is a filter or a sink: the filter, then the
 * sink or `write`. Returns 'skip' (filtered out), 'stop' (the sink asked to stop) or 'kept'.
 * Undefined without either: the plain consume keeps its hot path as it was (the formatter alone).
 * Group consumes use it too.
 */
export function recordStep(
  opts: Pick<ConsumeOptions, 'filter' | 'sink'>,
  write: (r: RecordView, partition: number) => void,
): ((r: RecordView, partition: number) => 'skip' | 'stop' | 'kept') | undefined {
  const { filter, sink } = opts
  if (filter === undefined && sink === undefined) return undefined
  return (r, partition) => {
    if (filter !== undefined && !filter(r, partition)) return 'skip'
    if (sink === undefined) write(r, partition)
    else if (!sink.onRecord(r, partition)) return 'stop'
    return 'kept'
  }
}

export async function consumeTopic(opts: ConsumeOptions): Promise<ConsumeResult> {
  const formatter = createFormatter(opts.format, opts.topic, opts.binary)
  if (opts.max !== undefined && (!Number.isSafeInteger(opts.max) || opts.max < 1)) {
    throw new SluiceError('USAGE', '--max must be a positive integer')
  }
  // Sluice's own client, not @platformatic/kafka's Consumer: a short consume must not pay for
  // loading that library (docs/performance.md, start-up).
  const consumer = new WireClient(opts.target, 'sluice-consume')
  const out = new OutputWriter(opts.stdout)
  let records = 0
  let stoppedBy: ConsumeResult['stoppedBy'] = 'end'
  try {
    const count = await partitionCount(consumer, opts.target, opts.topic)
    const partitions = choosePartitions(opts, count)
    const cursors = await planCursors(consumer, opts, partitions)
    const firstOffsets = new Map(cursors.map((c) => [c.partition, c.position]))
    opts.onAssigned?.(partitions)
    const max = opts.max ?? Number.POSITIVE_INFINITY
    const step = recordStep(opts, (r, partition) => formatter.write(r, partition, out))
    const fetcher = new Fetcher({
      consumer,
      target: opts.target,
      topic: opts.topic,
      cursors,
      maxWaitMs: opts.maxWaitMs ?? MAX_WAIT_MS,
      maxBytes: opts.maxBytes ?? MAX_BYTES,
      onRecord: (r, partition) => {
        if (step === undefined) formatter.write(r, partition, out)
        else {
          const kept = step(r, partition)
          if (kept === 'skip') return true
          if (kept === 'stop') {
            stoppedBy = 'closed'
            return false
          }
        }
        if (++records < max) return true
        stoppedBy = 'max'
        return false
      },
      // Each response's records go out together, at once: a follow must not sit on them.
      ready: () => {
        out.flush()
        return out.ready()
      },
    })
    const onAbort = (): void => {
      stoppedBy = 'interrupt'
      fetcher.stop()
    }
    // stdout closed (`consume | head -5`: EPIPE on the next write): stop fetching at once.
    const onClosed = (): void => {
      stoppedBy = 'closed'
      fetcher.stop()
    }
    if (opts.signal.aborted) onAbort()
    else opts.signal.addEventListener('abort', onAbort, { once: true })
    opts.stdout.on('error', onClosed)
    opts.stdout.on('close', onClosed)
    try {
      await fetcher.run()
    } finally {
      opts.signal.removeEventListener('abort', onAbort)
      opts.stdout.off('error', onClosed)
      opts.stdout.off('close', onClosed)
    }
    await out.end()
    return {
      topic: opts.topic,
      records,
      bytes: out.bytesWritten,
      partitions: cursors.map((c) => ({ partition: c.partition, from: firstOffsets.get(c.partition)!, next: c.position })),
      stoppedBy,
      lossy: formatter.lossy,
    }
  } finally {
    // Whatever was formatted before a failure still goes out (it was read, in order).
    out.flush()
    // Fetches still in flight (a long-poll) are abandoned, not awaited.
    consumer.close()
  }
}
