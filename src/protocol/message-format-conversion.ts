/**
 * Conversion between the old message formats (v0/v1, message-set.ts) and RecordBatch v2, as Kafka
 * 3.9 does it: up for Produce v0-2 (LogValidator's convertAndAssignOffsetsNonCompressed and
 * buildRecordsAndAssignOffsets: one v2 batch, in the codec the producer used, since sluice
 * honours compression.type=producer only), down for Fetch v0-3 (RecordsUtil.downConvert).
 * The codecs must be loaded (compression.ts) before a snappy or lz4 set comes here.
 */
import { ErrorCode, ProtocolError } from './errors.js'
import { Compression, TimestampType, batchHeaderAt, type BatchHeader } from './batch-layout.js'
import { decodeRecordBatch, encodeRecordBatch } from './record-batch.js'
import { codecNeedsLoading } from './compression.js'
import {
  MAGIC_V1,
  codecOf,
  encodeMessageSet,
  entryCodecAt,
  entryMagicAt,
  innerMessages,
  readMessageSet,
  timestampTypeOf,
  type LegacyMessage,
} from './message-set.js'
import type { RecordError } from './produce-validation.js'

/**
 * The codec of the first message of a produced records blob when it is in an old format and its
 * codec needs the codecs loaded (compression.ts), else undefined. A compressed message set holds
 * one message, so the first tells.
 */
export function legacyCodecToLoad(records: Buffer | null): number | undefined {
  if (records === null) return undefined
  const magic = entryMagicAt(records, 0)
  const codec = entryCodecAt(records, 0)
  if (magic === undefined || magic > MAGIC_V1 || codec === undefined) return undefined
  return codecNeedsLoading(codec) ? codec : undefined
}

export type UpConversion =
  | { ok: true; bytes: Buffer; batch: BatchHeader }
  | { ok: false; errorCode: number; message: string; recordErrors?: RecordError[] }

export interface UpConversionOptions {
  /** The topic is compacted: every message needs a key. */
  requireKeys?: boolean
  /** The time to stamp when the topic keeps LogAppendTime; null for CreateTime. */
  logAppendTimeMs?: number | null
  topicPartition?: string
}

function fail(errorCode: number, message: string): UpConversion {
  return { ok: false, errorCode, message }
}

/** The messages whose records go into the batch, or why the set is refused (Kafka's checks, in its order). */
function validatedMessages(buf: Buffer, produceVersion: number): { messages: LegacyMessage[]; codec: number } | UpConversion {
  let shallow: LegacyMessage[]
  try {
    shallow = readMessageSet(buf)
  } catch (error) {
    if (error instanceof ProtocolError) return fail(ErrorCode.CORRUPT_MESSAGE, `corrupt message set: ${error.message}`)
    throw error
  }
  const magic = shallow[0]!.magic
  for (const m of shallow) {
    if (m.magic !== magic) return fail(ErrorCode.INVALID_RECORD, `message magic ${m.magic} is not the same as the first message's magic ${magic}`)
    if (!m.crcValid) return fail(ErrorCode.CORRUPT_MESSAGE, `message at offset ${m.offset} is corrupt (stored crc ${m.crc})`)
    const codec = codecOf(m)
    if (codec === Compression.ZSTD) return fail(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `Produce v${produceVersion} may not use zstd compression`)
    if (codec > Compression.ZSTD) return fail(ErrorCode.CORRUPT_MESSAGE, `unknown compression codec ${codec}`)
    if (timestampTypeOf(m) === TimestampType.LOG_APPEND_TIME) {
      return fail(ErrorCode.INVALID_TIMESTAMP, 'producers may not set the timestamp type to LogAppendTime')
    }
  }
  const wrapper = shallow.find((m) => codecOf(m) !== Compression.NONE)
  if (wrapper === undefined) return { messages: shallow, codec: Compression.NONE }
  if (shallow.length > 1) return fail(ErrorCode.INVALID_RECORD, 'a compressed message set must hold exactly one (wrapper) message')
  let inner: LegacyMessage[]
  try {
    inner = innerMessages(wrapper)
  } catch (error) {
    if (error instanceof ProtocolError) return fail(ErrorCode.CORRUPT_MESSAGE, `corrupt compressed message: ${error.message}`)
    throw error
  }
  if (inner.length === 0) return fail(ErrorCode.INVALID_RECORD, 'a compressed message without inner messages')
  for (const m of inner) {
    if (codecOf(m) !== Compression.NONE) return fail(ErrorCode.INVALID_RECORD, 'a compressed message may not hold compressed messages')
    if (m.magic !== magic) return fail(ErrorCode.INVALID_RECORD, `inner message magic ${m.magic} does not match its wrapper's ${magic}`)
    if (!m.crcValid) return fail(ErrorCode.CORRUPT_MESSAGE, `inner message is corrupt (stored crc ${m.crc})`)
  }
  return { messages: inner, codec: codecOf(wrapper) }
}

/**
 * A produced message set of magic 0 or 1 as one RecordBatch v2 at base offset 0 (the leader
 * stamps offsets and epoch as for any batch): keys, values and timestamps kept (v0's none:
 * NO_TIMESTAMP), no headers, no producer id; LogAppendTime when the topic keeps it. Refusals with
 * Kafka's codes: CORRUPT_MESSAGE (framing, CRC-32, a codec that does not decompress),
 * INVALID_RECORD (mixed magics, a wrapper beside other messages or inside one, a keyless message on
 * a compacted topic, with recordErrors), UNSUPPORTED_COMPRESSION_TYPE (zstd), INVALID_TIMESTAMP.
 */
export function upConvertMessageSet(buf: Buffer, produceVersion: number, opts: UpConversionOptions = {}): UpConversion {
  const validated = validatedMessages(buf, produceVersion)
  if ('ok' in validated) return validated
  const { messages, codec } = validated
  if (opts.requireKeys) {
    const message = `Compacted topic cannot accept message without key in topic partition ${opts.topicPartition ?? 'of this batch'}`
    const recordErrors = messages.flatMap((m, batchIndex) => (m.key === null ? [{ batchIndex, message }] : []))
    if (recordErrors.length > 0) return { ok: false, errorCode: ErrorCode.INVALID_RECORD, message, recordErrors }
  }
  const first = messages[0]!
  const logAppendTime = opts.logAppendTimeMs ?? null
  const bytes = encodeRecordBatch({
    records: messages.map((m) => ({ key: m.key, value: m.value, timestampDelta: m.timestamp - first.timestamp })),
    baseTimestamp: first.timestamp,
    compression: codec,
    ...(logAppendTime !== null ? { timestampType: TimestampType.LOG_APPEND_TIME, maxTimestamp: logAppendTime } : {}),
  })
  return { ok: true, bytes, batch: batchHeaderAt(bytes, 0) }
}

/**
 * One stored v2 batch as a message set of `toMagic` (0 or 1), as Kafka's RecordsUtil.downConvert:
 * a control batch gives nothing (old formats have no markers); an uncompressed batch gives one
 * message per record, dropping those before `firstOffset` (a fetch from the middle of a batch);
 * a compressed one gives one wrapper in the same codec holding all its records. Headers are
 * dropped; LogAppendTime batches give their time to every message. zstd has no old format:
 * ProtocolError 'UNSUPPORTED_COMPRESSION'.
 */
export function downConvertBatch(batch: Buffer, toMagic: number, firstOffset: number): Buffer {
  const h = batchHeaderAt(batch, 0)
  if (h.isControl) return Buffer.alloc(0)
  if (h.compression === Compression.ZSTD) throw new ProtocolError('UNSUPPORTED_COMPRESSION', 'zstd batches have no message format before v2')
  const { records } = decodeRecordBatch(batch, 0, { verifyCrc: false })
  const kept = h.compression === Compression.NONE ? records.filter((r) => r.offset >= firstOffset) : records
  const logAppendTimeMs = h.timestampType === TimestampType.LOG_APPEND_TIME ? h.maxTimestamp : null
  return encodeMessageSet(
    toMagic,
    kept.map((r) => ({ offset: r.offset, timestamp: logAppendTimeMs ?? r.timestamp, key: r.key, value: r.value })),
    { codec: h.compression, logAppendTimeMs },
  )
}
