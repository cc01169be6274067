/**
 * RecordBatch v2 (magic 2): the header layout, reading headers in place, stamping offsets, and
 * the broker-side validation of produced batches.
 *
 *   offset  size  field
 *        0     8  baseOffset
 *        8     4  batchLength            (bytes after this field)
 *       12     4  partitionLeaderEpoch
 *       16     1  magic                  (2)
 *       17     4  crc                    (CRC-32C of bytes 21..end)
 *       21     2  attributes             (bits 0-2 compression, 3 timestampType, 4 transactional, 5 control)
 *       23     4  lastOffsetDelta
 *       27     8  baseTimestamp
 *       35     8  maxTimestamp
 *       43     8  producerId
 *       51     2  producerEpoch
 *       53     4  baseSequence
 *       57     4  recordsCount
 *       61        records
 *
 * The CRC does not cover baseOffset, batchLength or partitionLeaderEpoch, so the broker stamps
 * those in place (stampBatch) and stores the producer's bytes otherwise unchanged.
 * Encoding and decoding the records themselves is in record-batch.ts.
 */
import { crc32c } from '@node-rs/crc32'
import { ErrorCode, ProtocolError } from './errors.js'
import { parseRecords } from './record-batch.js'

/** baseOffset + batchLength: the bytes before what batchLength counts. */
export const LOG_OVERHEAD = 12
/** A v2 batch header, up to the first record. */
export const RECORD_BATCH_OVERHEAD = 61
export const MAGIC_V2 = 2
/** Where the CRC-covered bytes start. */
const CRC_START = 21
/** Kafka's smallest possible batch of any magic (a v0 record); below this a size is corrupt. */
const RECORD_OVERHEAD_V0 = 14

export const Compression = { NONE: 0, GZIP: 1, SNAPPY: 2, LZ4: 3, ZSTD: 4 } as const
export const ATTR_COMPRESSION_MASK = 0x07
export const ATTR_TIMESTAMP_TYPE = 0x08
export const ATTR_TRANSACTIONAL = 0x10
export const ATTR_CONTROL = 0x20
/** 0 = CreateTime, 1 = LogAppendTime. */
export const TimestampType = { CREATE_TIME: 0, LOG_APPEND_TIME: 1 } as const

export const NO_PRODUCER_ID = -1
export const NO_PARTITION_LEADER_EPOCH = -1

export interface BatchHeader {
  /** Where the batch starts in the buffer it was read from. */
  start: number
  /** Whole batch: LOG_OVERHEAD + batchLength. */
  sizeBytes: number
  baseOffset: number
  batchLength: number
  partitionLeaderEpoch: number
  magic: number
  /** The stored CRC-32C, unsigned. */
  crc: number
  attributes: number
  lastOffsetDelta: number
  baseTimestamp: number
  maxTimestamp: number
  producerId: number
  producerEpoch: number
  baseSequence: number
  recordsCount: number
  // Derived from attributes / offsets, for readability at call sites.
  compression: number
  timestampType: number
  isTransactional: boolean
  isControl: boolean
  /** baseOffset + lastOffsetDelta. */
  lastOffset: number
}

function int64At(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * 4294967296 + buf.readUInt32BE(at + 4)
}

/** Reads the header of the v2 batch at `start`; the caller has checked RECORD_BATCH_OVERHEAD bytes. */
function headerAt(buf: Buffer, start: number): BatchHeader {
  const baseOffset = int64At(buf, start)
  const batchLength = buf.readInt32BE(start + 8)
  const attributes = buf.readInt16BE(start + 21)
  const lastOffsetDelta = buf.readInt32BE(start + 23)
  return {
    start,
    sizeBytes: LOG_OVERHEAD + batchLength,
    baseOffset,
    batchLength,
    partitionLeaderEpoch: buf.readInt32BE(start + 12),
    magic: buf.readInt8(start + 16),
    crc: buf.readUInt32BE(start + 17),
    attributes,
    lastOffsetDelta,
    baseTimestamp: int64At(buf, start + 27),
    maxTimestamp: int64At(buf, start + 35),
    producerId: int64At(buf, start + 43),
    producerEpoch: buf.readInt16BE(start + 51),
    baseSequence: buf.readInt32BE(start + 53),
    recordsCount: buf.readInt32BE(start + 57),
    compression: attributes & ATTR_COMPRESSION_MASK,
    timestampType: (attributes & ATTR_TIMESTAMP_TYPE) !== 0 ? 1 : 0,
    isTransactional: (attributes & ATTR_TRANSACTIONAL) !== 0,
    isControl: (attributes & ATTR_CONTROL) !== 0,
    lastOffset: baseOffset + lastOffsetDelta,
  }
}

/**
 * Reads the header of one v2 batch at `start`, checking that the whole batch lies in the buffer.
 * Throws ProtocolError on truncation, a bad length or a magic other than 2.
 */
export function readBatchHeader(buf: Buffer, start = 0): BatchHeader {
  const left = buf.length - start
  if (left < RECORD_BATCH_OVERHEAD) {
    throw new ProtocolError('TRUNCATED', `record batch header needs ${RECORD_BATCH_OVERHEAD} bytes, ${left} left`)
  }
  const magic = buf.readInt8(start + 16)
  if (magic !== MAGIC_V2) throw new ProtocolError('INVALID_VALUE', `record batch magic ${magic}, expected 2`)
  const batchLength = buf.readInt32BE(start + 8)
  if (batchLength < RECORD_BATCH_OVERHEAD - LOG_OVERHEAD) {
    throw new ProtocolError('INVALID_LENGTH', `record batch length ${batchLength} shorter than its header`)
  }
  if (LOG_OVERHEAD + batchLength > left) {
    throw new ProtocolError('TRUNCATED', `record batch of ${LOG_OVERHEAD + batchLength} bytes, ${left} left`)
  }
  return headerAt(buf, start)
}

/** Walks a records blob of back-to-back v2 batches (e.g. what the log stores or a fetch returns). */
export function readBatchHeaders(buf: Buffer): BatchHeader[] {
  const out: BatchHeader[] = []
  let at = 0
  while (at < buf.length) {
    const h = readBatchHeader(buf, at)
    out.push(h)
    at += h.sizeBytes
  }
  return out
}

/** CRC-32C over attributes..end of the batch at `start`. */
export function computeBatchCrc(buf: Buffer, start: number, sizeBytes: number): number {
  return crc32c(buf.subarray(start + CRC_START, start + sizeBytes)) >>> 0
}

export function isBatchCrcValid(buf: Buffer, h: BatchHeader): boolean {
  return computeBatchCrc(buf, h.start, h.sizeBytes) === h.crc
}

/** Writes baseOffset and partitionLeaderEpoch in place. The CRC does not cover them. */
export function stampBatch(buf: Buffer, batchStart: number, baseOffset: number, partitionLeaderEpoch: number): void {
  const hi = Math.floor(baseOffset / 4294967296)
  buf.writeInt32BE(hi, batchStart)
  buf.writeUInt32BE(baseOffset - hi * 4294967296, batchStart + 4)
  buf.writeInt32BE(partitionLeaderEpoch, batchStart + 12)
}

/**
 * Marks a batch as LogAppendTime with the given time (topics with message.timestamp.type =
 * LogAppendTime). This changes CRC-covered bytes, so the CRC is recomputed.
 */
export function stampLogAppendTime(buf: Buffer, batchStart: number, timestampMs: number): void {
  const sizeBytes = LOG_OVERHEAD + buf.readInt32BE(batchStart + 8)
  buf.writeInt16BE(buf.readInt16BE(batchStart + 21) | ATTR_TIMESTAMP_TYPE, batchStart + 21)
  const hi = Math.floor(timestampMs / 4294967296)
  buf.writeInt32BE(hi, batchStart + 35)
  buf.writeUInt32BE(timestampMs - hi * 4294967296, batchStart + 39)
  buf.writeUInt32BE(computeBatchCrc(buf, batchStart, sizeBytes), batchStart + 17)
}

// ---- Produce validation -----------------------------------------------------------------------

export type ValidationResult =
  | { ok: true; batches: BatchHeader[] }
  | { ok: false; errorCode: number; message: string }

export interface ValidateOptions {
  /** The Produce request version; decides a few answers as Kafka does. Default: 3+ behaviour. */
  produceVersion?: number
  /** The topic is compacted: every record needs a key (checked on uncompressed batches). */
  requireKeys?: boolean
}

function fail(errorCode: number, message: string): ValidationResult {
  return { ok: false, errorCode, message }
}

/**
 * Kafka's broker-side checks of the records of one partition in a Produce request
 * (ProduceRequest.validateRecords, UnifiedLog.analyzeAndValidateRecords, LogValidator), in
 * Kafka's order, with Kafka's error codes:
 * - no batch at all, more than one batch (v3+), or magic 0/1 with v3+   -> INVALID_RECORD
 *   (magic 0/1 below v3 -> UNSUPPORTED_FOR_MESSAGE_FORMAT: sluice stores magic 2 only)
 * - a bad magic, a size below the minimum, a batch running past the end, trailing bytes,
 *   an unknown compression codec, or a CRC mismatch                       -> CORRUPT_MESSAGE
 * - zstd before Produce v7                                               -> UNSUPPORTED_COMPRESSION_TYPE
 * - baseOffset != 0, lastOffsetDelta / recordsCount out of range or inconsistent, a control
 *   batch, a producer id without a base sequence, records that do not parse or whose count
 *   differs from recordsCount (uncompressed only), a record without a key when required
 *                                                                         -> INVALID_RECORD
 * - the producer claiming LogAppendTime                                  -> INVALID_TIMESTAMP
 * Kafka silently drops trailing bytes too short to be a batch; sluice refuses them, since it
 * stores the bytes as sent and no client sends them.
 * Not checked here (broker concerns): max.message.bytes, timestamp drift, producer state.
 */
export function validateProducedRecords(buf: Buffer | null, opts: ValidateOptions = {}): ValidationResult {
  const version = opts.produceVersion ?? 3
  if (buf === null || buf.length === 0) {
    return fail(ErrorCode.INVALID_RECORD, `Produce v${version} must have at least one record batch per partition`)
  }
  const batches: BatchHeader[] = []
  let at = 0
  while (at < buf.length) {
    const left = buf.length - at
    if (left < 17) return fail(ErrorCode.CORRUPT_MESSAGE, `${left} trailing bytes after the last record batch`)
    const batchLength = buf.readInt32BE(at + 8)
    if (batchLength < RECORD_OVERHEAD_V0) {
      return fail(ErrorCode.CORRUPT_MESSAGE, `record size ${batchLength} is less than the minimum record overhead`)
    }
    const magic = buf.readInt8(at + 16)
    if (magic < 0 || magic > MAGIC_V2) return fail(ErrorCode.CORRUPT_MESSAGE, `invalid magic ${magic} in record batch`)
    if (magic !== MAGIC_V2) {
      return version >= 3
        ? fail(ErrorCode.INVALID_RECORD, `Produce v${version} only allows record batches with magic 2`)
        : fail(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `message format v${magic} is not supported`)
    }
    if (LOG_OVERHEAD + batchLength > left) {
      return fail(ErrorCode.CORRUPT_MESSAGE, `record batch of ${LOG_OVERHEAD + batchLength} bytes but only ${left} bytes sent`)
    }
    if (batchLength < RECORD_BATCH_OVERHEAD - LOG_OVERHEAD) {
      return fail(ErrorCode.CORRUPT_MESSAGE, `record batch length ${batchLength} is shorter than a v2 batch header`)
    }
    if (batches.length === 1 && version >= 3) {
      return fail(ErrorCode.INVALID_RECORD, `Produce v${version} allows exactly one record batch per partition`)
    }
    const h = headerAt(buf, at)
    batches.push(h)
    at += h.sizeBytes
  }

  for (const h of batches) {
    const failure = validateBatch(buf, h, version, opts)
    if (failure) return failure
  }
  return { ok: true, batches }
}

function validateBatch(buf: Buffer, h: BatchHeader, version: number, opts: ValidateOptions): ValidationResult | null {
  if (h.compression === Compression.ZSTD && version < 7) {
    return fail(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `Produce v${version} may not use zstd compression`)
  }
  if (h.baseOffset !== 0) return fail(ErrorCode.INVALID_RECORD, `the baseOffset of a produced batch must be 0, not ${h.baseOffset}`)
  if (!isBatchCrcValid(buf, h)) {
    return fail(ErrorCode.CORRUPT_MESSAGE, `record batch is corrupt (stored crc ${h.crc}, computed ${computeBatchCrc(buf, h.start, h.sizeBytes)})`)
  }
  if (h.compression > Compression.ZSTD) return fail(ErrorCode.CORRUPT_MESSAGE, `unknown compression codec ${h.compression}`)
  const countFromOffsets = h.lastOffsetDelta + 1
  if (countFromOffsets <= 0) return fail(ErrorCode.INVALID_RECORD, `invalid offset range [0, ${h.lastOffsetDelta}]`)
  if (h.recordsCount <= 0) return fail(ErrorCode.INVALID_RECORD, `invalid record count ${h.recordsCount}`)
  if (countFromOffsets !== h.recordsCount) {
    return fail(ErrorCode.INVALID_RECORD, `offset range [0, ${h.lastOffsetDelta}] inconsistent with ${h.recordsCount} records`)
  }
  if (h.isControl) return fail(ErrorCode.INVALID_RECORD, 'clients may not write control records')
  if (h.producerId !== NO_PRODUCER_ID && h.baseSequence < 0) {
    return fail(ErrorCode.INVALID_RECORD, `invalid sequence ${h.baseSequence} with producerId ${h.producerId}`)
  }
  if (h.compression === Compression.NONE) {
    let missingKey = -1
    const onRecord = opts.requireKeys
      ? (rec: { key: Buffer | null }, index: number) => {
          if (missingKey < 0 && rec.key === null) missingKey = index
        }
      : undefined
    try {
      parseRecords(buf, h.start + RECORD_BATCH_OVERHEAD, h.start + h.sizeBytes, h.recordsCount, onRecord)
    } catch (error) {
      if (error instanceof ProtocolError) return fail(ErrorCode.INVALID_RECORD, error.message)
      throw error
    }
    if (opts.requireKeys && missingKey >= 0) {
      return fail(ErrorCode.INVALID_RECORD, `record ${missingKey} has no key, which a compacted topic requires`)
    }
  }
  if (h.timestampType === TimestampType.LOG_APPEND_TIME) {
    return fail(ErrorCode.INVALID_TIMESTAMP, 'producers may not set the timestamp type to LogAppendTime')
  }
  return null
}
