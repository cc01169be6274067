/**
 * The broker-side validation of produced record batches (Kafka's LogValidator checks). The batch
 * layout, header reader and stamper are in batch-layout.ts; the records codec in record-batch.ts.
 */
import { ErrorCode, ProtocolError } from './errors.js'
import {
  BatchField,
  batchHeaderAt,
  computeBatchCrc,
  Compression,
  isBatchCrcValid,
  LOG_OVERHEAD,
  MAGIC_V2,
  NO_PRODUCER_ID,
  RECORD_BATCH_OVERHEAD,
  TimestampType,
  type BatchHeader,
  type ParsedBatches,
} from './batch-layout.js'
import { parseRecords } from './record-batch.js'
import { upConvertMessageSet } from './message-format-conversion.js'

/** Kafka's smallest possible batch of any magic (a v0 record); below this a size is corrupt. */
const RECORD_OVERHEAD_V0 = 14

/** One refused record of a batch (Kafka's RecordError): its index in the batch and why. */
export interface RecordError {
  batchIndex: number
  message: string
}

export type ValidationResult =
  | ({ ok: true } & ParsedBatches)
  | { ok: false; errorCode: number; message: string; recordErrors?: RecordError[] }

export interface ValidateOptions {
  /** The Produce request version; decides a few answers as Kafka does. Default: 3+ behaviour. */
  produceVersion?: number
  /** The topic is compacted: every record needs a key (checked on uncompressed batches). */
  requireKeys?: boolean
  /** The partition, as `topic-partition`, named in per-record messages as Kafka does. */
  topicPartition?: string
  /**
   * For a message set of magic 0/1 (Produce v0-2), converted to v2: the time to stamp when the
   * topic keeps LogAppendTime, null (the default) for CreateTime.
   */
  logAppendTimeMs?: number | null
}

function fail(errorCode: number, message: string): ValidationResult {
  return { ok: false, errorCode, message }
}

/**
 * Kafka's broker-side checks of the records of one partition in a Produce request
 * (ProduceRequest.validateRecords, UnifiedLog.analyzeAndValidateRecords, LogValidator), in
 * Kafka's order, with Kafka's error codes:
 * - no batch at all, more than one batch (v3+), or magic 0/1 with v3+   -> INVALID_RECORD
 *   (a message set of magic 0/1 below v3 is converted to one v2 batch and checked there:
 *   message-format-conversion.ts; a v2 batch followed by magic 0/1 -> INVALID_RECORD)
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
    if (left < BatchField.MAGIC + 1) return fail(ErrorCode.CORRUPT_MESSAGE, `${left} trailing bytes after the last record batch`)
    const batchLength = buf.readInt32BE(at + BatchField.BATCH_LENGTH)
    if (batchLength < RECORD_OVERHEAD_V0) {
      return fail(ErrorCode.CORRUPT_MESSAGE, `record size ${batchLength} is less than the minimum record overhead`)
    }
    const magic = buf.readInt8(at + BatchField.MAGIC)
    if (magic < 0 || magic > MAGIC_V2) return fail(ErrorCode.CORRUPT_MESSAGE, `invalid magic ${magic} in record batch`)
    if (magic !== MAGIC_V2) {
      if (version >= 3) return fail(ErrorCode.INVALID_RECORD, `Produce v${version} only allows record batches with magic 2`)
      if (at > 0) return fail(ErrorCode.INVALID_RECORD, `message magic ${magic} is not the same as the first batch's magic 2`)
      const converted = upConvertMessageSet(buf, version, opts)
      return converted.ok ? { ok: true, bytes: converted.bytes, batches: [converted.batch] } : converted
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
    const h = batchHeaderAt(buf, at)
    batches.push(h)
    at += h.sizeBytes
  }

  for (const h of batches) {
    const failure = validateBatch(buf, h, version, opts)
    if (failure) return failure
  }
  return { ok: true, bytes: buf, batches }
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
    const missingKeys: number[] = []
    const onRecord = opts.requireKeys
      ? (rec: { key: Buffer | null }, index: number) => {
          if (rec.key === null) missingKeys.push(index)
        }
      : undefined
    try {
      parseRecords(buf, h.start + RECORD_BATCH_OVERHEAD, h.start + h.sizeBytes, h.recordsCount, onRecord)
    } catch (error) {
      if (error instanceof ProtocolError) return fail(ErrorCode.INVALID_RECORD, error.message)
      throw error
    }
    if (missingKeys.length > 0) {
      const message = `Compacted topic cannot accept message without key in topic partition ${opts.topicPartition ?? 'of this batch'}`
      return recordsRefused(missingKeys.map((batchIndex) => ({ batchIndex, message })))
    }
  }
  if (h.timestampType === TimestampType.LOG_APPEND_TIME) {
    return fail(ErrorCode.INVALID_TIMESTAMP, 'producers may not set the timestamp type to LogAppendTime')
  }
  return null
}

/**
 * A batch refused for some of its records (Kafka's processRecordErrors): INVALID_RECORD, every
 * refused record in `recordErrors` (Produce v8+ answers them), and Kafka's message for the partition.
 */
function recordsRefused(recordErrors: RecordError[]): ValidationResult {
  const shown = recordErrors.slice(0, 3).map((e) => `RecordError(batchIndex=${e.batchIndex}, message='${e.message}')`)
  const message = `One or more records have been rejected due to ${recordErrors.length} record errors in total, and only showing the first three errors at most: [${shown.join(', ')}]`
  return { ok: false, errorCode: ErrorCode.INVALID_RECORD, message, recordErrors }
}
