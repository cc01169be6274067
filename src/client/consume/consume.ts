/**
 * `sluice consume` without the command: resolve where each partition starts and stops, then run
 * the fetch loop into the output. Works against any Kafka cluster (no sluice-only API).
 *
 * Start: --from (default earliest). Stop, per partition, at the first of: --to (exclusive), the
 * end seen at start (--exit), --max records in all. Without --to or --exit it follows until the
 * signal aborts.
 */
import type { Writable } from 'node:stream'
import { SluiceError } from '../../cli/errors.js'
import type { ClusterTarget } from '../kafka.js'
import type { OffsetSpec } from '../offsets.js'
import { WireClient } from '../wire/client.js'
import { createFormatter } from './format.js'
import { OutputWriter } from './output.js'
import type { RecordView } from './record-view.js'
import { choosePartitions, TopicReader } from './topic-reader.js'

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
  const reader = new TopicReader({ ...opts, client: consumer })
  const out = new OutputWriter(opts.stdout)
  let records = 0
  try {
    const partitions = choosePartitions(opts, await reader.partitionCount())
    const cursors = await reader.plan(partitions, opts)
    const firstOffsets = new Map(cursors.map((c) => [c.partition, c.position]))
    opts.onAssigned?.(partitions)
    const max = opts.max ?? Number.POSITIVE_INFINITY
    const step = recordStep(opts, (r, partition) => formatter.write(r, partition, out))
    await reader.read(cursors, {
      onRecord: (r, partition) => {
        if (step === undefined) formatter.write(r, partition, out)
        else {
          const kept = step(r, partition)
          if (kept === 'skip') return true
          if (kept === 'stop') {
            reader.stop('closed')
            return false
          }
        }
        if (++records < max) return true
        reader.stop('max')
        return false
      },
      // Each response's records go out together, at once: a follow must not sit on them.
      ready: () => {
        out.flush()
        return out.ready()
      },
    })
    reader.close()
    await out.end()
    return {
      topic: opts.topic,
      records,
      bytes: out.bytesWritten,
      partitions: cursors.map((c) => ({ partition: c.partition, from: firstOffsets.get(c.partition)!, next: c.position })),
      stoppedBy: reader.stoppedBy,
      lossy: formatter.lossy,
    }
  } finally {
    reader.close()
    // Whatever was formatted before a failure still goes out (it was read, in order).
    out.flush()
    // Fetches still in flight (a long-poll) are abandoned, not awaited.
    consumer.close()
  }
}
