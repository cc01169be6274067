/**
 * From input lines to records, and from records to send batches.
 *
 * A line becomes a record in one of four ways:
 *   plain      the line's bytes, as read, are the value (validated as JSON, never re-serialized)
 *   --text     the line's bytes, as read, are the value, whatever they are (as kcat -P)
 *   --key      the same, and the key is taken from the parsed value (key-path.ts)
 *   --envelope the line is a consume envelope (envelope.ts): key, value, headers, timestamp and
 *              partition come from it
 * With plain and --text, `keyDelimiter` (kcat's -K) splits the key off at its first occurrence:
 * the bytes before it are the key, the bytes after it the value; a line without it has no key.
 * A record's partition: --partition, else the envelope's (when the topic has it), else Kafka's
 * default partitioner (murmur2 of the key, sticky for unkeyed records; partitioner.ts).
 *
 * Batches close at `batchRecordsMax` records or `batchBytesMax` bytes (kept under the topic's
 * max.message.bytes, since the client puts a send's records for one partition in one batch).
 */
import { isUtf8 } from 'node:buffer'
import { EnvelopeError, parseEnvelope } from '../envelope.js'
import { isJsonText } from '../json-bytes.js'
import { keyFromValue, type KeyPath } from './key-path.js'
import { partitionForKey, StickyPartitioner } from './partitioner.js'
import type { Message, SendBatch } from './send-pipeline.js'

/** The most a record's framing can take (length, attributes, deltas, key/value lengths, header count). */
const RECORD_OVERHEAD_BYTES_MAX = 36
const HEADER_OVERHEAD_BYTES_MAX = 10

export type Mode =
  | { kind: 'plain'; keyDelimiter?: Buffer }
  | { kind: 'text'; keyDelimiter?: Buffer }
  | { kind: 'key'; path: KeyPath }
  | { kind: 'envelope' }

export interface BuilderOptions {
  topic: string
  mode: Mode
  /** --header k=v, added to every record (after an envelope's own headers). */
  headers: readonly (readonly [string, string])[]
  /** --partition: every record goes there. */
  partition: number | undefined
  numPartitions: number
  /** The largest record the topic takes (max.message.bytes less the batch header); undefined: not checked here. */
  recordBytesMax: number | undefined
  batchRecordsMax: number
  batchBytesMax: number
  /** A one-time note for the person at the terminal. */
  note: (message: string) => void
}

/** Why a line did not become a record. */
export interface InvalidLine {
  lineNo: number
  code: 'BAD_INPUT' | 'RECORD_TOO_LARGE'
  reason: string
}

export class BatchBuilder {
  /** Records whose --key path was missing or null (sent unkeyed). */
  nullKeys = 0
  private batch: SendBatch
  /** Bytes of the current batch, framing included (held under batchBytesMax). */
  private batchBytes = 0
  private readonly full: SendBatch[] = []
  private readonly sticky: StickyPartitioner
  private readonly sharedHeaders: Map<Buffer, Buffer> | undefined
  private readonly flagHeaderBytes: number
  private notedMissingPartition = false
  /** The record being read, reused from line to line (no allocation per line). */
  private readonly record: {
    key: Buffer | null
    value: Buffer | null
    headers: Map<Buffer, Buffer | null> | undefined
    headerBytes: number
    partition: number | undefined
    timestamp: bigint | undefined
  } = { key: null, value: null, headers: undefined, headerBytes: 0, partition: undefined, timestamp: undefined }

  constructor(private readonly opts: BuilderOptions) {
    this.sticky = new StickyPartitioner(opts.numPartitions)
    this.batch = this.newBatch()
    const flagHeaders = opts.headers.map(([k, v]) => [Buffer.from(k), Buffer.from(v)] as const)
    this.flagHeaderBytes = flagHeaders.reduce((n, [k, v]) => n + k.length + v.length + HEADER_OVERHEAD_BYTES_MAX, 0)
    // Plain and --key records share one header map: the client only reads it.
    this.sharedHeaders = flagHeaders.length > 0 && opts.mode.kind !== 'envelope' ? new Map(flagHeaders) : undefined
  }

  /** Batches that are full, in input order (taken out). */
  takeFull(): SendBatch[] {
    return this.full.splice(0)
  }

  /** Closes the current batch (end of input, or before stopping) and returns every batch left. */
  takeAll(): SendBatch[] {
    this.close()
    return this.takeFull()
  }

  /** Closes the batch holding the last record added and marks it as the end of a transaction (--transaction-records). */
  endTransaction(): void {
    this.close()
    const last = this.full[this.full.length - 1]
    if (last !== undefined) last.endsTransaction = true
  }

  /** Adds one line. Returns undefined when it became a record, else why not (nothing was added). */
  add(buf: Buffer, start: number, end: number, lineNo: number, ascii: boolean): InvalidLine | undefined {
    const mode = this.opts.mode
    if (mode.kind !== 'text' && !ascii && !isUtf8(buf.subarray(start, end))) return { lineNo, code: 'BAD_INPUT', reason: 'not valid UTF-8 (JSON text must be UTF-8)' }
    const r = this.record
    r.key = null
    if ((mode.kind === 'plain' || mode.kind === 'text') && mode.keyDelimiter !== undefined) {
      const at = buf.subarray(start, end).indexOf(mode.keyDelimiter)
      if (at >= 0) {
        r.key = buf.subarray(start, start + at)
        start += at + mode.keyDelimiter.length
      }
    }
    r.headers = this.sharedHeaders
    r.headerBytes = this.flagHeaderBytes
    r.partition = this.opts.partition
    r.timestamp = undefined
    const reason =
      mode.kind === 'text'
        ? this.readText(buf, start, end)
        : mode.kind === 'plain'
          ? this.readPlain(buf, start, end)
          : mode.kind === 'key' ? this.readKeyed(buf, start, end, ascii, mode.path) : this.readEnvelope(buf, start, end, lineNo)
    if (reason !== undefined) return { lineNo, code: 'BAD_INPUT', reason }
    return this.append(lineNo)
  }

  /** The hot path: the bytes are validated in place; JSON.parse only explains a rejected line. */
  private readPlain(buf: Buffer, start: number, end: number): string | undefined {
    if (isJsonText(buf, start, end) !== true) {
      const error = parseError(buf.toString('utf8', start, end))
      if (error !== undefined) return error
    }
    this.record.value = buf.subarray(start, end)
    return undefined
  }

  private readText(buf: Buffer, start: number, end: number): undefined {
    this.record.value = buf.subarray(start, end)
    return undefined
  }

  private readKeyed(buf: Buffer, start: number, end: number, ascii: boolean, path: KeyPath): string | undefined {
    let parsed: unknown
    try {
      parsed = JSON.parse(buf.toString(ascii ? 'latin1' : 'utf8', start, end))
    } catch (err) {
      return describeParseError(err)
    }
    const r = this.record
    r.value = buf.subarray(start, end)
    // "." is the whole value: its bytes as read, not a re-serialization.
    r.key = path.length === 0 ? r.value : keyFromValue(parsed, path)
    if (r.key === null) this.nullKeys++
    return undefined
  }

  private readEnvelope(buf: Buffer, start: number, end: number, lineNo: number): string | undefined {
    let env
    try {
      env = parseEnvelope(buf.toString('utf8', start, end))
    } catch (err) {
      return describeParseError(err)
    }
    const r = this.record
    r.key = env.key
    r.value = env.value
    if (env.timestamp !== undefined) r.timestamp = BigInt(env.timestamp)
    if (env.headers.length > 0 || this.opts.headers.length > 0) {
      // A map per record (keys are distinct Buffer objects, so a repeated name stays repeated).
      const headers = new Map<Buffer, Buffer | null>()
      let headerBytes = 0
      const all: [string, Buffer | null][] = [...env.headers, ...this.opts.headers.map(([n, v]): [string, Buffer] => [n, Buffer.from(v)])]
      for (const [name, v] of all) {
        const k = Buffer.from(name)
        headers.set(k, v)
        headerBytes += k.length + (v?.length ?? 0) + HEADER_OVERHEAD_BYTES_MAX
      }
      r.headers = headers
      r.headerBytes = headerBytes
    } else r.headers = undefined
    if (r.partition === undefined && env.partition !== undefined) {
      if (env.partition < this.opts.numPartitions) r.partition = env.partition
      else this.noteMissingPartition(env.partition, lineNo)
    }
    return undefined
  }

  /** Appends the record read to the current batch, closing the batch first if it is full. */
  private append(lineNo: number): InvalidLine | undefined {
    const { key, value, headers, headerBytes, timestamp } = this.record
    const payloadBytes = (key?.length ?? 0) + (value?.length ?? 0)
    const recordBytes = payloadBytes + headerBytes + RECORD_OVERHEAD_BYTES_MAX
    const max = this.opts.recordBytesMax
    if (max !== undefined && recordBytes > max) {
      return {
        lineNo,
        code: 'RECORD_TOO_LARGE',
        reason: `the record is ${recordBytes} bytes, more than the topic accepts (max.message.bytes allows ${max} for one record)`,
      }
    }
    let b = this.batch
    if (b.messages.length > 0 && (b.messages.length >= this.opts.batchRecordsMax || this.batchBytes + recordBytes > this.opts.batchBytesMax)) {
      this.close()
      b = this.batch
    }
    const partition = this.record.partition ?? (key === null ? this.sticky.partition : partitionForKey(key, this.opts.numPartitions))
    // value null is a tombstone; the client writes it as such.
    const message: Message = { topic: this.opts.topic, key, value, partition }
    if (headers !== undefined) message.headers = headers
    if (timestamp !== undefined) message.timestamp = timestamp
    b.messages.push(message)
    b.perPartition[partition]++
    b.bytes += payloadBytes
    this.batchBytes += recordBytes
    if (b.messages.length === 1) b.firstLineNo = lineNo
    b.lastLineNo = lineNo
    return undefined
  }

  private close(): void {
    if (this.batch.messages.length === 0) return
    this.full.push(this.batch)
    this.batch = this.newBatch()
    this.batchBytes = 0
    this.sticky.next()
  }

  private newBatch(): SendBatch {
    return { messages: [], perPartition: new Array<number>(this.opts.numPartitions).fill(0), bytes: 0, firstLineNo: 0, lastLineNo: 0 }
  }

  private noteMissingPartition(partition: number, lineNo: number): void {
    if (this.notedMissingPartition) return
    this.notedMissingPartition = true
    this.opts.note(
      `line ${lineNo}: partition ${partition} does not exist in ${this.opts.topic} (${this.opts.numPartitions} partitions); ` +
        'records whose partition is missing go where the default partitioner puts them (noted once)',
    )
  }
}

const REASON_CHARS_MAX = 200

/** JSON.parse's own words for what is wrong with a text, or undefined when it parses after all. */
function parseError(text: string): string | undefined {
  try {
    JSON.parse(text)
    return undefined
  } catch (err) {
    return describeParseError(err)
  }
}

/** "not valid JSON: Unexpected token ..." with the engine's own words, kept short. */
export function describeParseError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  const short = message.length > REASON_CHARS_MAX ? message.slice(0, REASON_CHARS_MAX) + '...' : message
  if (err instanceof EnvelopeError) return `not a valid envelope: ${short}`
  return `not valid JSON: ${short}`
}
