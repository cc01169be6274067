/**
 * Walking the record batches of a fetch response without building an object per record: one
 * reusable RecordView points into the bytes (the response's records, or a decompressed batch),
 * and formatters copy what they need straight from there to the output.
 *
 *   batch (v2): baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 |
 *               crc uint32 | attributes int16 | lastOffsetDelta int32 | baseTimestamp int64 |
 *               maxTimestamp int64 | producerId int64 | producerEpoch int16 | baseSequence int32 |
 *               recordCount int32 | records...
 *   record:     length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
 *               keyLength varint (-1 = null) | key | valueLength varint (-1 = null) | value |
 *               headerCount varint | [keyLength varint | key | valueLength varint | value]...
 *
 * A fetch may end with a partial batch (the broker cuts at max bytes): it is left for the next fetch.
 * Compressed batches are decompressed with @platformatic/kafka's codecs (gzip, snappy, lz4, zstd).
 * Control batches (transaction markers) take offsets but hold no data: they are skipped.
 */
import { SluiceError } from '../../common/errors.js'
import { compressionByBitmask } from '../compression.js'
import { corrupt, readVarNumber, varint, type RecordView } from './record-view.js'

export { keyOf, readHeaders, valueOf, type RecordView } from './record-view.js'

const BATCH_HEADER_BYTES = 61
const LOG_OVERHEAD = 12 // baseOffset + batchLength
const OFF_MAGIC = 16
const OFF_ATTRIBUTES = 21
const OFF_LAST_OFFSET_DELTA = 23
const OFF_BASE_TIMESTAMP = 27
const OFF_MAX_TIMESTAMP = 35
const OFF_RECORD_COUNT = 57
const ATTR_COMPRESSION_MASK = 0x07
const ATTR_LOG_APPEND_TIME = 0x08
const ATTR_CONTROL = 0x20
const TWO_POW_32 = 4294967296
const COMPRESSION_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

/** Return false to stop the walk at this record (it counts as consumed). */
export type RecordVisitor = (r: RecordView) => boolean

export interface WalkResult {
  /** The offset to fetch next: past the last whole batch seen, or past the record the visitor stopped at. */
  nextOffset: number
  /** True when the visitor asked to stop. */
  stopped: boolean
  /** Whole batches found (0 with a non-empty buffer means the first batch was cut short). */
  batches: number
}

function readInt64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * TWO_POW_32 + buf.readUInt32BE(at + 4)
}

const view: RecordView = {
  buf: Buffer.alloc(0),
  offset: 0,
  timestamp: 0,
  keyLength: -1,
  keyStart: 0,
  valueLength: -1,
  valueStart: 0,
  headerCount: 0,
  headersStart: 0,
}

function walkRecords(
  buf: Buffer,
  start: number,
  end: number,
  count: number,
  baseOffset: number,
  baseTimestamp: number,
  logAppendTime: number,
  fromOffset: number,
  visit: RecordVisitor,
): number {
  view.buf = buf
  let next = start
  for (let i = 0; i < count; i++) {
    // Set on each record: a visitor that reads headers moves the shared position.
    varint.pos = next
    const length = readVarNumber(buf, end)
    const recordEnd = varint.pos + length
    if (length < 0 || recordEnd > end) throw corrupt('a record runs past the end of its batch')
    varint.pos++ // attributes
    const timestampDelta = readVarNumber(buf, recordEnd)
    const offset = baseOffset + readVarNumber(buf, recordEnd)
    const keyLength = readVarNumber(buf, recordEnd)
    const keyStart = varint.pos
    if (keyLength > 0) varint.pos += keyLength
    const valueLength = readVarNumber(buf, recordEnd)
    const valueStart = varint.pos
    if (valueLength > 0) varint.pos += valueLength
    const headerCount = readVarNumber(buf, recordEnd)
    const headersStart = varint.pos
    next = recordEnd
    if (offset < fromOffset) continue // the fetch started inside this batch
    view.offset = offset
    view.timestamp = logAppendTime >= 0 ? logAppendTime : baseTimestamp + timestampDelta
    view.keyLength = keyLength
    view.keyStart = keyStart
    view.valueLength = valueLength
    view.valueStart = valueStart
    view.headerCount = headerCount
    view.headersStart = headersStart
    if (headerCount < 0) throw corrupt('a record has a negative header count')
    if (!visit(view)) return offset
  }
  return -1
}

/** True when a whole batch in `records` is compressed: walkBatches then needs loadCompression(). */
export function hasCompressedBatch(records: Buffer): boolean {
  let at = 0
  while (at + LOG_OVERHEAD <= records.length) {
    const batchEnd = at + LOG_OVERHEAD + records.readInt32BE(at + 8)
    if (batchEnd > records.length || batchEnd < at + BATCH_HEADER_BYTES) return false
    if ((records.readInt16BE(at + OFF_ATTRIBUTES) & ATTR_COMPRESSION_MASK) !== 0) return true
    at = batchEnd
  }
  return false
}

/**
 * Visits the records at or after `fromOffset` in `records` (a fetch response's record set), in
 * offset order, until the visitor returns false.
 */
export function walkBatches(records: Buffer, fromOffset: number, visit: RecordVisitor): WalkResult {
  let at = 0
  let nextOffset = fromOffset
  let batches = 0
  while (at + LOG_OVERHEAD <= records.length) {
    const batchEnd = at + LOG_OVERHEAD + records.readInt32BE(at + 8)
    if (batchEnd > records.length) break // cut short by max bytes: the next fetch gets it whole
    if (batchEnd < at + BATCH_HEADER_BYTES) throw corrupt('a batch is shorter than its header')
    batches++
    const magic = records[at + OFF_MAGIC]
    if (magic !== 2) {
      throw new SluiceError('KAFKA_ERROR', `the broker sent a record batch of message format v${magic}; only v2 (Kafka 0.11+) is supported`)
    }
    const baseOffset = readInt64(records, at)
    const lastOffset = baseOffset + records.readInt32BE(at + OFF_LAST_OFFSET_DELTA)
    const attributes = records.readInt16BE(at + OFF_ATTRIBUTES)
    if (lastOffset >= fromOffset && (attributes & ATTR_CONTROL) === 0) {
      const count = records.readInt32BE(at + OFF_RECORD_COUNT)
      const baseTimestamp = readInt64(records, at + OFF_BASE_TIMESTAMP)
      const logAppendTime = attributes & ATTR_LOG_APPEND_TIME ? readInt64(records, at + OFF_MAX_TIMESTAMP) : -1
      const codec = attributes & ATTR_COMPRESSION_MASK
      let buf = records
      let start = at + BATCH_HEADER_BYTES
      let end = batchEnd
      if (codec !== 0) {
        const algorithm = compressionByBitmask(codec)
        if (algorithm === undefined) throw corrupt(`unknown compression codec ${codec}`)
        try {
          buf = algorithm.decompressSync(records.subarray(start, end)) as Buffer
        } catch (err) {
          // zstd needs Node 22.15+; a damaged batch fails here too.
          throw new SluiceError('KAFKA_ERROR', `cannot read a batch compressed with ${COMPRESSION_NAMES[codec]}: ${(err as Error).message}`, {
            cause: err,
          })
        }
        start = 0
        end = buf.length
      }
      const stoppedAt = walkRecords(buf, start, end, count, baseOffset, baseTimestamp, logAppendTime, fromOffset, visit)
      if (stoppedAt >= 0) return { nextOffset: stoppedAt + 1, stopped: true, batches }
    }
    if (lastOffset + 1 > nextOffset) nextOffset = lastOffset + 1
    at = batchEnd
  }
  return { nextOffset, stopped: false, batches }
}

/** The offset after the last whole batch of a record set, from the batch headers alone. */
export function nextOffsetAfter(records: Buffer, position: number): number {
  let at = 0
  let next = position
  while (at + BATCH_HEADER_BYTES <= records.length) {
    const batchEnd = at + LOG_OVERHEAD + records.readInt32BE(at + 8)
    if (batchEnd > records.length) break
    const lastOffset = readInt64(records, at) + records.readInt32BE(at + OFF_LAST_OFFSET_DELTA)
    if (lastOffset + 1 > next) next = lastOffset + 1
    at = batchEnd
  }
  return next
}
