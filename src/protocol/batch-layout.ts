/**
 * RecordBatch v2 (magic 2): where every header field is, the one header reader, the one stamper
 * and the CRC range. Every other place that touches batch bytes (validation, the records codec,
 * the partition log, the client's encoder and decoder) takes its offsets from here. storage/
 * imports this module and nothing else of protocol/ for the header.
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
 */
import { crc32c } from '@node-rs/crc32'
import { ProtocolError } from './errors.js'

/** Byte offsets of the header fields, from the start of the batch. */
export const BatchField = {
  BASE_OFFSET: 0,
  BATCH_LENGTH: 8,
  PARTITION_LEADER_EPOCH: 12,
  MAGIC: 16,
  CRC: 17,
  ATTRIBUTES: 21,
  LAST_OFFSET_DELTA: 23,
  BASE_TIMESTAMP: 27,
  MAX_TIMESTAMP: 35,
  PRODUCER_ID: 43,
  PRODUCER_EPOCH: 51,
  BASE_SEQUENCE: 53,
  RECORDS_COUNT: 57,
} as const

/** baseOffset + batchLength: the bytes before what batchLength counts. */
export const LOG_OVERHEAD = 12
/** A v2 batch header, up to the first record. */
export const RECORD_BATCH_OVERHEAD = 61
export const MAGIC_V2 = 2
/** Where the CRC-covered bytes start (attributes to the end of the batch). */
export const CRC_START = BatchField.ATTRIBUTES

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

/**
 * Back-to-back batches with their headers read: what one append carries from the Produce handler
 * (or a replica fetch) through producer state to the log, so that no step reads the headers again.
 * `batches[i].start` is an index into `bytes`.
 */
export interface ParsedBatches {
  bytes: Buffer
  batches: BatchHeader[]
}

const TWO_POW_32 = 4294967296

/** int64 as a JS number: exact for the safe range, which sluice uses throughout. */
export function readInt64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * TWO_POW_32 + buf.readUInt32BE(at + 4)
}

export function writeInt64(buf: Buffer, at: number, value: number): void {
  const hi = Math.floor(value / TWO_POW_32)
  buf.writeInt32BE(hi, at)
  buf.writeUInt32BE(value - hi * TWO_POW_32, at + 4)
}

/** The whole size of the batch at `start`, from its batchLength (the caller has checked 12 bytes). */
export function batchSizeAt(buf: Buffer, start: number): number {
  return LOG_OVERHEAD + buf.readInt32BE(start + BatchField.BATCH_LENGTH)
}

/** Reads the header of the v2 batch at `start`, unchecked: the caller has checked its framing. */
export function batchHeaderAt(buf: Buffer, start: number): BatchHeader {
  const baseOffset = readInt64(buf, start)
  const batchLength = buf.readInt32BE(start + BatchField.BATCH_LENGTH)
  const attributes = buf.readInt16BE(start + BatchField.ATTRIBUTES)
  const lastOffsetDelta = buf.readInt32BE(start + BatchField.LAST_OFFSET_DELTA)
  return {
    start,
    sizeBytes: LOG_OVERHEAD + batchLength,
    baseOffset,
    batchLength,
    partitionLeaderEpoch: buf.readInt32BE(start + BatchField.PARTITION_LEADER_EPOCH),
    magic: buf.readInt8(start + BatchField.MAGIC),
    crc: buf.readUInt32BE(start + BatchField.CRC),
    attributes,
    lastOffsetDelta,
    baseTimestamp: readInt64(buf, start + BatchField.BASE_TIMESTAMP),
    maxTimestamp: readInt64(buf, start + BatchField.MAX_TIMESTAMP),
    producerId: readInt64(buf, start + BatchField.PRODUCER_ID),
    producerEpoch: buf.readInt16BE(start + BatchField.PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(start + BatchField.BASE_SEQUENCE),
    recordsCount: buf.readInt32BE(start + BatchField.RECORDS_COUNT),
    compression: attributes & ATTR_COMPRESSION_MASK,
    timestampType: (attributes & ATTR_TIMESTAMP_TYPE) !== 0 ? TimestampType.LOG_APPEND_TIME : TimestampType.CREATE_TIME,
    isTransactional: (attributes & ATTR_TRANSACTIONAL) !== 0,
    isControl: (attributes & ATTR_CONTROL) !== 0,
    lastOffset: baseOffset + lastOffsetDelta,
  }
}

/** What is wrong with the framing of the batch at `start`, in ProtocolError's terms. */
export interface BatchFramingFault {
  code: 'TRUNCATED' | 'INVALID_VALUE' | 'INVALID_LENGTH'
  message: string
}

/**
 * Checks that a whole v2 batch lies at `start`: a full header, magic 2, a batchLength that covers
 * the header and does not run past the end of `buf`. Null when it does. Callers turn a fault into
 * their own layer's error (ProtocolError here, StorageError in the log).
 */
export function batchFramingFault(buf: Buffer, start: number): BatchFramingFault | null {
  const left = buf.length - start
  if (left < RECORD_BATCH_OVERHEAD) {
    return { code: 'TRUNCATED', message: `record batch header needs ${RECORD_BATCH_OVERHEAD} bytes, ${left} left` }
  }
  const magic = buf.readInt8(start + BatchField.MAGIC)
  if (magic !== MAGIC_V2) return { code: 'INVALID_VALUE', message: `record batch magic ${magic}, expected 2` }
  const batchLength = buf.readInt32BE(start + BatchField.BATCH_LENGTH)
  if (batchLength < RECORD_BATCH_OVERHEAD - LOG_OVERHEAD) {
    return { code: 'INVALID_LENGTH', message: `record batch length ${batchLength} shorter than its header` }
  }
  if (LOG_OVERHEAD + batchLength > left) {
    return { code: 'TRUNCATED', message: `record batch of ${LOG_OVERHEAD + batchLength} bytes, ${left} left` }
  }
  return null
}

/**
 * Reads the header of one v2 batch at `start`, checking that the whole batch lies in the buffer.
 * Throws ProtocolError on truncation, a bad length or a magic other than 2.
 */
export function readBatchHeader(buf: Buffer, start = 0): BatchHeader {
  const fault = batchFramingFault(buf, start)
  if (fault) throw new ProtocolError(fault.code, fault.message)
  return batchHeaderAt(buf, start)
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

/** Reads every header of a records blob once, for an append (throws ProtocolError, as readBatchHeaders). */
export function parseBatches(bytes: Buffer): ParsedBatches {
  return { bytes, batches: readBatchHeaders(bytes) }
}

/** The bytes of one batch of a ParsedBatches. */
export function batchBytes(parsed: ParsedBatches, h: BatchHeader): Buffer {
  return parsed.bytes.subarray(h.start, h.start + h.sizeBytes)
}

/** CRC-32C over attributes..end of the batch at `start`. */
export function computeBatchCrc(buf: Buffer, start: number, sizeBytes: number): number {
  return crc32c(buf.subarray(start + CRC_START, start + sizeBytes)) >>> 0
}

export function isBatchCrcValid(buf: Buffer, h: BatchHeader): boolean {
  return computeBatchCrc(buf, h.start, h.sizeBytes) === h.crc
}

/**
 * The leader's stamp: writes baseOffset and partitionLeaderEpoch into the batch `h` was read from
 * (the CRC does not cover them), and updates `h` to match.
 */
export function stampBatch(buf: Buffer, h: BatchHeader, baseOffset: number, partitionLeaderEpoch: number): void {
  writeInt64(buf, h.start + BatchField.BASE_OFFSET, baseOffset)
  buf.writeInt32BE(partitionLeaderEpoch, h.start + BatchField.PARTITION_LEADER_EPOCH)
  h.baseOffset = baseOffset
  h.lastOffset = baseOffset + h.lastOffsetDelta
  h.partitionLeaderEpoch = partitionLeaderEpoch
}

/**
 * Marks a batch as LogAppendTime with the given time (topics with message.timestamp.type =
 * LogAppendTime). This changes CRC-covered bytes, so the CRC is recomputed.
 */
export function stampLogAppendTime(buf: Buffer, batchStart: number, timestampMs: number): void {
  const sizeBytes = batchSizeAt(buf, batchStart)
  const attributesAt = batchStart + BatchField.ATTRIBUTES
  buf.writeInt16BE(buf.readInt16BE(attributesAt) | ATTR_TIMESTAMP_TYPE, attributesAt)
  writeInt64(buf, batchStart + BatchField.MAX_TIMESTAMP, timestampMs)
  buf.writeUInt32BE(computeBatchCrc(buf, batchStart, sizeBytes), batchStart + BatchField.CRC)
}
