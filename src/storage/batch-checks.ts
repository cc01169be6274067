/**
 * What the log checks of RecordBatch v2 bytes, in storage's terms (StorageError, fault strings).
 * The layout, the header reader and the stamper are protocol's batch-layout.ts, the one module of
 * protocol/ that storage imports.
 */
import {
  batchFramingFault,
  batchSizeAt,
  BatchField,
  computeBatchCrc,
  MAGIC_V2,
  readInt64,
  RECORD_BATCH_OVERHEAD,
  batchHeaderAt,
  type ParsedBatches,
} from '../protocol/batch-layout.js'
import { StorageError } from './errors.js'

/**
 * Reads the headers of a records buffer given to an append without them, checking only the
 * framing (the CRC was checked by the protocol layer). Zero batches is an error: every append
 * must add at least one.
 */
export function splitBatches(records: Buffer): ParsedBatches {
  const batches = []
  let pos = 0
  while (pos < records.length) {
    const fault = batchFramingFault(records, pos)
    if (fault) throw new StorageError('INVALID_BATCH', `record batch at byte ${pos}: ${fault.message}`)
    const h = batchHeaderAt(records, pos)
    if (h.lastOffsetDelta < 0) {
      throw new StorageError('INVALID_BATCH', `record batch at byte ${pos} has lastOffsetDelta ${h.lastOffsetDelta}`)
    }
    batches.push(h)
    pos += h.sizeBytes
  }
  if (batches.length === 0) throw new StorageError('INVALID_BATCH', 'no record batch to append')
  return { bytes: records, batches }
}

/**
 * Why a batch read back from disk cannot be served, or null when it is sound: its framing, the
 * base offset it is stored under, and its CRC-32C. The CRC does not cover baseOffset and
 * partitionLeaderEpoch, hence the offset check beside it.
 */
export function storedBatchFault(bytes: Buffer, baseOffset: number): string | null {
  if (bytes.length < RECORD_BATCH_OVERHEAD) return `${bytes.length} bytes, shorter than a batch header`
  const size = batchSizeAt(bytes, 0)
  if (size !== bytes.length) return `the header claims ${size} bytes, ${bytes.length} are stored`
  const magic = bytes.readInt8(BatchField.MAGIC)
  if (magic !== MAGIC_V2) return `magic ${magic}, not 2`
  const stored = readInt64(bytes, BatchField.BASE_OFFSET)
  if (stored !== baseOffset) return `base offset ${stored} stored under offset ${baseOffset}`
  const crc = bytes.readUInt32BE(BatchField.CRC)
  const computed = computeBatchCrc(bytes, 0, bytes.length)
  if (crc !== computed) return `CRC-32C ${computed.toString(16).padStart(8, '0')}, the batch says ${crc.toString(16).padStart(8, '0')}`
  return null
}
