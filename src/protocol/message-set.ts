/**
 * Message formats v0 and v1 (magic 0 and 1, Kafka's "message sets", before RecordBatch v2): the
 * one reader and writer. Old clients produce them (Produce v0-2) and read them (Fetch v0-3); the
 * broker converts them up to v2 and down from it (message-format-conversion.ts).
 *
 *   entry:   offset int64, messageSize int32, message        (LOG_OVERHEAD: 12 bytes before it)
 *   message: crc uint32        CRC-32 (IEEE, not the C of v2) of magic..end
 *            magic int8        0 or 1
 *            attributes int8   bits 0-2 codec; v1: bit 3 timestamp type (1 = LogAppendTime)
 *            timestamp int64   v1 only (v0 messages have none: NO_TIMESTAMP)
 *            key bytes         int32 length (-1 = null), bytes
 *            value bytes       int32 length (-1 = null), bytes
 *
 * Uncompressed, every message is its own entry. A compressed message (a "wrapper": codec != 0)
 * holds a whole message set of inner messages, compressed, in its value; its offset is that of
 * its last inner message. v1's inner offsets are relative (0..n-1, so the producer need not know
 * them), v0's are absolute; a v1 wrapper with LogAppendTime gives its timestamp to every inner one.
 */
import { crc32 } from '@node-rs/crc32'
import { ProtocolError } from './errors.js'
import { decompressPayload, compressPayload } from './compression.js'
import { LOG_OVERHEAD, readInt64, writeInt64, TimestampType } from './batch-layout.js'

export const MAGIC_V0 = 0
export const MAGIC_V1 = 1
export const NO_TIMESTAMP = -1
/** crc, magic, attributes, key length, value length. */
export const MESSAGE_OVERHEAD_V0 = 14
/** v0's overhead and the timestamp. */
export const MESSAGE_OVERHEAD_V1 = 22
const MESSAGE_CRC_START = 4
const ATTR_CODEC_MASK = 0x07
const ATTR_TIMESTAMP_TYPE = 0x08

/** One message of a message set, as read (key and value are views into the buffer read). */
export interface LegacyMessage {
  offset: number
  magic: number
  attributes: number
  /** NO_TIMESTAMP for v0. For an inner message of a LogAppendTime wrapper, the wrapper's. */
  timestamp: number
  key: Buffer | null
  value: Buffer | null
  /** The CRC-32 stored, and whether the message's bytes match it. */
  crc: number
  crcValid: boolean
  /** The whole entry: LOG_OVERHEAD + messageSize. */
  sizeBytes: number
}

export function codecOf(m: { attributes: number }): number {
  return m.attributes & ATTR_CODEC_MASK
}

/** CreateTime or LogAppendTime (v0 messages have no timestamp: CreateTime, as Kafka's v2 batches built from them). */
export function timestampTypeOf(m: { magic: number; attributes: number }): number {
  return m.magic > MAGIC_V0 && (m.attributes & ATTR_TIMESTAMP_TYPE) !== 0 ? TimestampType.LOG_APPEND_TIME : TimestampType.CREATE_TIME
}

function overhead(magic: number): number {
  return magic === MAGIC_V0 ? MESSAGE_OVERHEAD_V0 : MESSAGE_OVERHEAD_V1
}

function nullableBytesAt(buf: Buffer, at: number, end: number, what: string): { bytes: Buffer | null; next: number } {
  if (at + 4 > end) throw new ProtocolError('TRUNCATED', `message ${what} length runs past the message`)
  const len = buf.readInt32BE(at)
  if (len < -1) throw new ProtocolError('INVALID_LENGTH', `message ${what} length ${len}`)
  if (len === -1) return { bytes: null, next: at + 4 }
  if (at + 4 + len > end) throw new ProtocolError('TRUNCATED', `message ${what} of ${len} bytes runs past the message`)
  return { bytes: buf.subarray(at + 4, at + 4 + len), next: at + 4 + len }
}

/** The message of the entry at `start` (whose framing the caller has checked). */
function messageAt(buf: Buffer, start: number, sizeBytes: number): LegacyMessage {
  const end = start + sizeBytes
  const at = start + LOG_OVERHEAD
  const magic = buf.readInt8(at + 4)
  if (magic !== MAGIC_V0 && magic !== MAGIC_V1) throw new ProtocolError('INVALID_VALUE', `message magic ${magic}, expected 0 or 1`)
  if (sizeBytes - LOG_OVERHEAD < overhead(magic)) {
    throw new ProtocolError('INVALID_LENGTH', `message of ${sizeBytes - LOG_OVERHEAD} bytes is shorter than a v${magic} message`)
  }
  const crc = buf.readUInt32BE(at)
  const attributes = buf.readInt8(at + 5)
  let p = at + 6
  let timestamp = NO_TIMESTAMP
  if (magic === MAGIC_V1) {
    timestamp = readInt64(buf, p)
    p += 8
  }
  const key = nullableBytesAt(buf, p, end, 'key')
  const value = nullableBytesAt(buf, key.next, end, 'value')
  if (value.next !== end) throw new ProtocolError('INVALID_LENGTH', `${end - value.next} bytes left after the message's value`)
  return {
    offset: readInt64(buf, start),
    magic,
    attributes,
    timestamp,
    key: key.bytes,
    value: value.bytes,
    crc,
    crcValid: (crc32(buf.subarray(at + MESSAGE_CRC_START, end)) >>> 0) === crc,
    sizeBytes,
  }
}

/** Where a message's magic and attributes are, from the start of its entry (after offset, size, crc). */
const ENTRY_MAGIC = LOG_OVERHEAD + 4
const ENTRY_ATTRIBUTES = LOG_OVERHEAD + 5

/** The magic of the entry at `start`, or undefined when fewer bytes than its header are left. */
export function entryMagicAt(buf: Buffer, start: number): number | undefined {
  return buf.length - start > ENTRY_MAGIC ? buf.readInt8(start + ENTRY_MAGIC) : undefined
}

/** The codec of the (magic 0 or 1) entry at `start`, or undefined when fewer bytes than its header are left. */
export function entryCodecAt(buf: Buffer, start: number): number | undefined {
  return buf.length - start > ENTRY_ATTRIBUTES ? buf.readInt8(start + ENTRY_ATTRIBUTES) & ATTR_CODEC_MASK : undefined
}

/**
 * Reads the messages of a message set (not decompressing wrappers). Throws ProtocolError on a
 * malformed or truncated entry; with `partialTail`, a truncated last entry ends the set instead,
 * as a consumer reads a fetch response cut at its size limit.
 */
export function readMessageSet(buf: Buffer, opts: { partialTail?: boolean } = {}): LegacyMessage[] {
  const out: LegacyMessage[] = []
  let at = 0
  while (at < buf.length) {
    const left = buf.length - at
    const size = left >= LOG_OVERHEAD ? LOG_OVERHEAD + buf.readInt32BE(at + 8) : Infinity
    if (size > left) {
      if (opts.partialTail) break
      throw new ProtocolError('TRUNCATED', `message set entry of ${size === Infinity ? 'unknown size' : `${size} bytes`}, ${left} left`)
    }
    if (size < LOG_OVERHEAD + MESSAGE_OVERHEAD_V0) throw new ProtocolError('INVALID_LENGTH', `message size ${size - LOG_OVERHEAD} is below the minimum`)
    out.push(messageAt(buf, at, size))
    at += size
  }
  return out
}

/**
 * The inner messages of a compressed wrapper, with absolute offsets (v1's relative ones resolved
 * against the wrapper's offset, as Kafka's deep iterator does) and, under a LogAppendTime v1
 * wrapper, the wrapper's timestamp. The codecs must be loaded for snappy and lz4.
 */
export function innerMessages(wrapper: LegacyMessage): LegacyMessage[] {
  if (wrapper.value === null) throw new ProtocolError('INVALID_VALUE', 'a compressed message without a value')
  const inner = readMessageSet(decompressPayload(codecOf(wrapper), wrapper.value))
  if (wrapper.magic === MAGIC_V1 && inner.length > 0) {
    const base = wrapper.offset - inner[inner.length - 1]!.offset
    const logAppendTime = timestampTypeOf(wrapper) === TimestampType.LOG_APPEND_TIME
    for (const m of inner) {
      m.offset += base
      if (logAppendTime) m.timestamp = wrapper.timestamp
    }
  }
  return inner
}

/** What a message to write holds. */
export interface MessageInput {
  offset: number
  /** Ignored for v0. */
  timestamp: number
  key: Buffer | null
  value: Buffer | null
}

function entry(magic: number, offset: number, attributes: number, timestamp: number, key: Buffer | null, value: Buffer | null): Buffer {
  const size = overhead(magic) + (key?.length ?? 0) + (value?.length ?? 0)
  const buf = Buffer.allocUnsafe(LOG_OVERHEAD + size)
  writeInt64(buf, 0, offset)
  buf.writeInt32BE(size, 8)
  let p = LOG_OVERHEAD + 4
  buf.writeInt8(magic, p++)
  buf.writeInt8(attributes, p++)
  if (magic === MAGIC_V1) {
    writeInt64(buf, p, timestamp)
    p += 8
  }
  for (const bytes of [key, value]) {
    buf.writeInt32BE(bytes === null ? -1 : bytes.length, p)
    p += 4
    if (bytes !== null) p += bytes.copy(buf, p)
  }
  buf.writeUInt32BE(crc32(buf.subarray(LOG_OVERHEAD + MESSAGE_CRC_START)) >>> 0, LOG_OVERHEAD)
  return buf
}

export interface MessageSetOptions {
  /** 0 (none, the default): one entry per message; else one wrapper holding them all. */
  codec?: number
  /** v1: LogAppendTime marks the messages (or the wrapper) and gives them this time. */
  logAppendTimeMs?: number | null
}

/**
 * Writes messages as a message set of `magic` (Kafka's MemoryRecordsBuilder for magic 0/1): one
 * entry each, or, compressed, one wrapper at the last message's offset whose inner offsets are
 * relative (v1) or absolute (v0) and whose timestamp is the largest (or the LogAppendTime).
 * The codecs must be loaded for snappy and lz4.
 */
export function encodeMessageSet(magic: number, messages: readonly MessageInput[], opts: MessageSetOptions = {}): Buffer {
  const codec = opts.codec ?? 0
  const logAppendTime = magic === MAGIC_V1 && opts.logAppendTimeMs !== undefined && opts.logAppendTimeMs !== null ? opts.logAppendTimeMs : null
  const tsAttr = logAppendTime !== null ? ATTR_TIMESTAMP_TYPE : 0
  const first = messages[0]
  const last = messages[messages.length - 1]
  if (first === undefined || last === undefined) return Buffer.alloc(0)
  const relative = codec !== 0 && magic === MAGIC_V1
  const entries = messages.map((m) =>
    entry(magic, relative ? m.offset - first.offset : m.offset, tsAttr, logAppendTime ?? m.timestamp, m.key, m.value),
  )
  if (codec === 0) return Buffer.concat(entries)
  let maxTimestamp = NO_TIMESTAMP
  for (const m of messages) maxTimestamp = Math.max(maxTimestamp, m.timestamp)
  const payload = compressPayload(codec, Buffer.concat(entries))
  return entry(magic, last.offset, codec | tsAttr, logAppendTime ?? maxTimestamp, null, payload)
}
