/**
 * `sluice consume` without the command: resolve where each partition starts and stops, then run
 * the fetch loop into the output. Works against any Kafka cluster (no sluice-only API).
 *
 * Start: --from (default earliest). Stop, per partition, at the first of: --to (exclusive), the
 * end seen at start (--exit: the last stable offset under read_committed), --max records in all. Without --to or --exit it follows until the
 * signal aborts.
 */
import type { Writable } from 'node:stream'
import { SluiceError } from '../../common/errors.js'
import type { ClusterTarget } from '../kafka.js'
import type { OffsetSpec } from '../offsets.js'
import { WireClient } from '../wire/client.js'
import { createFormatter, type RecordFormatter } from './format.js'
import { OutputWriter } from './output.js'
import { FormatterSink, RecordPipeline, type RecordPredicate, type RecordSink } from './record-pipeline.js'
import type { Isolation } from './isolation.js'
import { choosePartitions, TopicReader } from './topic-reader.js'

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
  /** Default read_committed (isolation.ts). */
  isolation?: Isolation
  /** Transaction markers as envelope lines of their own (the json format only: the command checks). */
  showControl?: boolean
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
  /** Records written (or taken by the sink): those the filter kept. */
  records: number
  /** Records read, kept or not. */
  read: number
  bytes: number
  partitions: ConsumedPartition[]
  /** Why it stopped. */
  stoppedBy: 'end' | 'max' | 'interrupt' | 'closed'
  /** Some keys/values were not UTF-8 and were shown with U+FFFD (json without --binary). */
  lossy: boolean
}

/** consume's record pipeline: the filter, then the sink (or the formatter into `out`), then --max. Group consumes use it too. */
export function consumePipeline(opts: ConsumeOptions, formatter: RecordFormatter, out: OutputWriter, reader: TopicReader): RecordPipeline {
  const sink = opts.sink ?? new FormatterSink(formatter, out, opts.showControl)
  return new RecordPipeline({ filter: opts.filter, sink, max: opts.max, onStop: (why) => reader.stop(why) })
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
  const pipeline = consumePipeline(opts, formatter, out, reader)
  try {
    const partitions = choosePartitions(opts, await reader.partitionCount())
    const cursors = await reader.plan(partitions, opts)
    const firstOffsets = new Map(cursors.map((c) => [c.partition, c.position]))
    opts.onAssigned?.(partitions)
    await reader.read(cursors, pipeline)
    reader.close()
    await pipeline.drain()
    return {
      topic: opts.topic,
      records: pipeline.kept,
      read: pipeline.read,
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
