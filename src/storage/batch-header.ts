/**
 * The few RecordBatch v2 header fields the log needs, read in place. The protocol layer owns the
 * full codec and the CRC check; storage keeps its own tiny reader so the layers stay independent.
 *
 * Layout: baseOffset int64 @0, batchLength int32 @8 (bytes after this field), partitionLeaderEpoch
 * int32 @12, magic int8 @16, crc uint32 @17 (covers attributes onwards), attributes int16 @21,
 * lastOffsetDelta int32 @23, baseTimestamp int64 @27, maxTimestamp int64 @35, producerId int64 @43,
 * producerEpoch int16 @51, baseSequence int32 @53, recordsCount int32 @57, records @61.
 */
import { computeBatchCrc } from '../protocol/records.js'
import { StorageError } from './errors.js'

export const BATCH_HEADER_BYTES = 61
const LENGTH_PREFIX_BYTES = 12
const OFFSET_BASE_OFFSET = 0
const OFFSET_BATCH_LENGTH = 8
const OFFSET_LEADER_EPOCH = 12
const OFFSET_MAGIC = 16
const OFFSET_CRC = 17
const OFFSET_LAST_OFFSET_DELTA = 23
const OFFSET_MAX_TIMESTAMP = 35
const OFFSET_RECORDS_COUNT = 57

/** One batch inside a records buffer. */
export interface BatchView {
  bytes: Buffer
  baseOffset: number
  lastOffsetDelta: number
  leaderEpoch: number
  maxTimestamp: number
  recordCount: number
}

const TWO_POW_32 = 2 ** 32

/** int64 as a JS number: exact for the safe range, which sluice uses throughout. */
export function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * TWO_POW_32 + buf.readUInt32BE(pos + 4)
}

export function writeInt64(buf: Buffer, pos: number, value: number): void {
  const hi = Math.floor(value / TWO_POW_32)
  buf.writeInt32BE(hi, pos)
  buf.writeUInt32BE(value - hi * TWO_POW_32, pos + 4)
}

/**
 * Splits a records buffer into its batches, checking only the framing (the CRC was checked by the
 * protocol layer). Zero batches is an error: every append must add at least one.
 */
export function splitBatches(records: Buffer): BatchView[] {
  const batches: BatchView[] = []
  let pos = 0
  while (pos < records.length) {
    const remaining = records.length - pos
    if (remaining < BATCH_HEADER_BYTES) {
      throw new StorageError('INVALID_BATCH', `truncated record batch: ${remaining} bytes left at byte ${pos}`)
    }
    const size = LENGTH_PREFIX_BYTES + records.readInt32BE(pos + OFFSET_BATCH_LENGTH)
    if (size < BATCH_HEADER_BYTES || size > remaining) {
      throw new StorageError('INVALID_BATCH', `record batch at byte ${pos} claims ${size} bytes, ${remaining} left`)
    }
    const magic = records.readInt8(pos + OFFSET_MAGIC)
    if (magic !== 2) throw new StorageError('INVALID_BATCH', `record batch at byte ${pos} has magic ${magic}, not 2`)
    const lastOffsetDelta = records.readInt32BE(pos + OFFSET_LAST_OFFSET_DELTA)
    if (lastOffsetDelta < 0) {
      throw new StorageError('INVALID_BATCH', `record batch at byte ${pos} has lastOffsetDelta ${lastOffsetDelta}`)
    }
    const bytes = records.subarray(pos, pos + size)
    batches.push({
      bytes,
      baseOffset: readInt64(bytes, OFFSET_BASE_OFFSET),
      lastOffsetDelta,
      leaderEpoch: bytes.readInt32BE(OFFSET_LEADER_EPOCH),
      maxTimestamp: readInt64(bytes, OFFSET_MAX_TIMESTAMP),
      recordCount: bytes.readInt32BE(OFFSET_RECORDS_COUNT),
    })
    pos += size
  }
  if (batches.length === 0) throw new StorageError('INVALID_BATCH', 'no record batch to append')
  return batches
}

/**
 * Why a batch read back from disk cannot be served, or null when it is sound: its framing, the
 * base offset it is stored under, and its CRC-32C (the protocol layer's one CRC helper). The CRC
 * does not cover baseOffset and partitionLeaderEpoch, hence the offset check beside it.
 */
export function storedBatchFault(bytes: Buffer, baseOffset: number): string | null {
  if (bytes.length < BATCH_HEADER_BYTES) return `${bytes.length} bytes, shorter than a batch header`
  const size = LENGTH_PREFIX_BYTES + bytes.readInt32BE(OFFSET_BATCH_LENGTH)
  if (size !== bytes.length) return `the header claims ${size} bytes, ${bytes.length} are stored`
  const magic = bytes.readInt8(OFFSET_MAGIC)
  if (magic !== 2) return `magic ${magic}, not 2`
  const stored = readInt64(bytes, OFFSET_BASE_OFFSET)
  if (stored !== baseOffset) return `base offset ${stored} stored under offset ${baseOffset}`
  const crc = bytes.readUInt32BE(OFFSET_CRC)
  const computed = computeBatchCrc(bytes, 0, bytes.length)
  if (crc !== computed) return `CRC-32C ${computed.toString(16).padStart(8, '0')}, the batch says ${crc.toString(16).padStart(8, '0')}`
  return null
}

/** Leader stamping: the two header fields the CRC does not cover. */
export function stampBatch(batch: BatchView, baseOffset: number, leaderEpoch: number): void {
  writeInt64(batch.bytes, OFFSET_BASE_OFFSET, baseOffset)
  batch.bytes.writeInt32BE(leaderEpoch, OFFSET_LEADER_EPOCH)
  batch.baseOffset = baseOffset
  batch.leaderEpoch = leaderEpoch
}
