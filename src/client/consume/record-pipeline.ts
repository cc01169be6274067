/**
 * What happens to each record a TopicReader reads, the one way for consume, consume --group,
 * replay and tail: the filter (tail's and replay's --filter), then the sink (consume's formatter
 * into stdout, replay's producer, tail's store), then --max. Replay's pacing (--rate, --speed)
 * sits around the sink and may pause the read.
 *
 * The plain consume (no filter, no pacing, no tally) takes a step with nothing else in it: the
 * per-record hot path is the formatter and a count.
 */
import type { FilterRecord, RecordFilter } from '../replay/filter.js'
import type { RecordFormatter } from './format.js'
import type { OutputWriter } from './output.js'
import type { MarkerView } from './batches.js'
import { keyOf, readHeaders, valueOf, type RecordView } from './record-view.js'
import type { ReadStep } from './topic-reader.js'

/**
 * Where records go. The view is valid only during the call: copy what you keep.
 */
export interface RecordSink {
  /** Takes one record; false stops the read for good ('closed'). */
  onRecord(r: RecordView, partition: number): boolean
  /** Takes one transaction marker (only sinks that show them have this: --show-control); not a record, not counted. */
  onMarker?(m: MarkerView, partition: number): boolean
  /** After each fetch response: hand over what was taken; resolves when more may come (backpressure). */
  ready?(): Promise<void>
  /** Everything taken so far is handed over for good (written and drained, or acknowledged). */
  drain?(): Promise<void>
}

/** Keeps a record (true) or skips it (read past: not handed to the sink, not counted for --max). */
export type RecordPredicate = (r: RecordView, partition: number) => boolean

/** Replay's --rate and --speed: when records may be handed to the sink. */
export interface Pacer {
  /** False: the record is not due yet; the read pauses before it (and reads it again later). */
  due(r: RecordView, partition: number): boolean
  /** After a record was handed over: false pauses the read (this tick's share is used up). */
  taken(): boolean
}

export interface RecordPipelineOptions {
  filter?: RecordPredicate
  pacer?: Pacer
  /** Sees every record read (kept or skipped), before the sink: replay's per-partition figures. */
  tally?(r: RecordView, partition: number, kept: boolean): void
  sink: RecordSink
  /** Stop after this many records kept, in all. */
  max?: number
  /** Told when the pipeline ends the read for good: 'max', or 'closed' when the sink refused a record. */
  onStop?(why: 'max' | 'closed'): void
}

export class RecordPipeline implements ReadStep {
  /** Records handed to the sink. */
  kept = 0
  /** Records read past (the filter refused them). */
  skipped = 0
  /** Set when the pipeline ended the read for good. */
  stoppedBy: 'max' | 'closed' | undefined
  /** The fetch loop's per-record step; false ends the read (paused, or stopped: see stoppedBy). */
  readonly onRecord: (r: RecordView, partition: number) => boolean
  /** Markers go straight to the sink when it shows them: no filter, pacing or --max applies to them. */
  readonly onMarker?: (m: MarkerView, partition: number) => boolean
  private readonly max: number

  constructor(private readonly opts: RecordPipelineOptions) {
    this.max = opts.max ?? Number.POSITIVE_INFINITY
    const plain = opts.filter === undefined && opts.pacer === undefined && opts.tally === undefined
    this.onRecord = plain ? this.keep : this.step
    const sink = opts.sink
    if (sink.onMarker) this.onMarker = (m, partition) => sink.onMarker!(m, partition) || this.stop('closed')
  }

  /** Records read: kept or skipped (a record a pacer paused before is read again, counted once). */
  get read(): number {
    return this.kept + this.skipped
  }

  /** After each fetch response. */
  readonly ready = (): Promise<void> => this.opts.sink.ready?.() ?? Promise.resolve()

  /** Everything kept so far is handed over for good. */
  drain(): Promise<void> {
    return this.opts.sink.drain?.() ?? Promise.resolve()
  }

  /** The sink, then --max: every record, when there is nothing else. */
  private readonly keep = (r: RecordView, partition: number): boolean => {
    if (!this.opts.sink.onRecord(r, partition)) return this.stop('closed')
    if (++this.kept < this.max) return true
    return this.stop('max')
  }

  private readonly step = (r: RecordView, partition: number): boolean => {
    const { filter, pacer, tally } = this.opts
    const kept = filter === undefined || filter(r, partition)
    if (kept && pacer !== undefined && !pacer.due(r, partition)) return false
    tally?.(r, partition, kept)
    if (!kept) {
      this.skipped++
      return true
    }
    if (!this.keep(r, partition)) return false
    return pacer === undefined || pacer.taken()
  }

  private stop(why: 'max' | 'closed'): false {
    this.stoppedBy = why
    this.opts.onStop?.(why)
    return false
  }
}

/** consume's sink: each record formatted into the output, which goes to stdout after each response. */
export class FormatterSink implements RecordSink {
  readonly onMarker?: (m: MarkerView, partition: number) => boolean

  /** `markers`: the formatter writes transaction markers too (--show-control). */
  constructor(
    private readonly formatter: RecordFormatter,
    private readonly out: OutputWriter,
    markers = false,
  ) {
    const writeMarker = formatter.writeMarker?.bind(formatter)
    if (markers && writeMarker) {
      this.onMarker = (m, partition) => {
        writeMarker(m, partition, out)
        return true
      }
    }
  }

  onRecord(r: RecordView, partition: number): boolean {
    this.formatter.write(r, partition, this.out)
    return true
  }

  // Each response's records go out together, at once: a follow must not sit on them.
  ready(): Promise<void> {
    this.out.flush()
    return this.out.ready()
  }

  drain(): Promise<void> {
    return this.out.end()
  }
}

/** The record as --filter sees it (see filter.ts): built only for records a filter tests. */
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

/** A compiled --filter as a predicate over the records of `topic`. */
export function filterPredicate(topic: string, filter: RecordFilter): RecordPredicate {
  return (r, partition) => filter(filterRecord(topic, partition, r))
}
