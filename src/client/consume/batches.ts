/**
 * Walking the record batches of a fetch response without building an object per record: one
 * reusable RecordView points into the bytes (the response's records, or a decompressed batch),
 * and formatters copy what they need straight from there to the output.
 *
 *   batch (v2): the header (src/protocol/batch-layout.ts), then the records
 *   record:     length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
 *               keyLength varint (-1 = null) | key | valueLength varint (-1 = null) | value |
 *               headerCount varint | [keyLength varint | key | valueLength varint | value]...
 *
 * A fetch may end with a partial batch (the broker cuts at max bytes): it is left for the next fetch.
 * Compressed batches are decompressed with @platformatic/kafka's codecs (gzip, snappy, lz4, zstd).
 *
 * Transactions (isolation.ts), as Kafka's consumer reads them (Fetcher's CompletedFetch):
 * - Control batches (the COMMIT and ABORT markers) take offsets but hold no data: they are never
 *   records. A caller that asks (`onMarker`, for --show-control) is shown each marker.
 * - read_committed (`aborted` given): the fetch answer names the aborted transactions overlapping
 *   it (producer id, first offset). Walking in offset order, a producer's aborted transaction
 *   opens at its first offset and ends at that producer's ABORT marker; a transactional batch of
 *   a producer whose aborted transaction is open is skipped whole. The answer lists only the
 *   transactions overlapping the range fetched, so the state lives for one walk.
 * Skipped batches still move the position past them (nextOffset), so a read that stops at the
 * end never stalls on a trailing marker or an aborted batch.
 */
import { SluiceError } from '../../common/errors.js'
import {
  ATTR_COMPRESSION_MASK,
  BatchField,
  batchHeaderAt,
  type BatchHeader,
  batchSizeAt,
  Compression,
  LOG_OVERHEAD,
  MAGIC_V2,
  RECORD_BATCH_OVERHEAD,
  TimestampType,
} from '../../protocol/batch-layout.js'
import { readControlMarker } from '../../protocol/control-batch.js'
import { ProtocolError } from '../../protocol/errors.js'
import { compressionByBitmask } from '../../protocol/compression.js'
import { corrupt, readVarNumber, varint, type RecordView } from './record-view.js'

export { keyOf, readHeaders, valueOf, type RecordView } from './record-view.js'

const COMPRESSION_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

/** Return false to stop the walk at this record (it counts as consumed). */
export type RecordVisitor = (r: RecordView) => boolean

/** A transaction that its producer aborted: from its first offset in the partition to its ABORT marker. */
export interface AbortedTransaction {
  producerId: number
  firstOffset: number
}

/** A transaction marker (a control batch's one record). Valid only during the visit. */
export interface MarkerView {
  offset: number
  type: 'commit' | 'abort'
  producerId: number
  producerEpoch: number
  /** The epoch of the transaction coordinator that wrote it. */
  coordinatorEpoch: number
  timestamp: number
}

/** Return false to stop the walk at this marker (it counts as consumed). */
export type MarkerVisitor = (m: MarkerView) => boolean

/** How a walk treats transactions (see the module comment); the default is read_uncommitted, markers unseen. */
export interface TransactionView {
  /** read_committed: the aborted transactions of the fetch answer, whose records are skipped. */
  aborted?: readonly AbortedTransaction[]
  /** Shown each transaction marker at or after the walk's start. */
  onMarker?: MarkerVisitor
}

/**
 * Which producers have an aborted transaction open at the batch being walked: each opens at its
 * first offset (taken in order as the walk reaches it) and closes at the producer's ABORT marker.
 */
class AbortedRanges {
  private readonly pending: readonly AbortedTransaction[]
  private next = 0
  private readonly open = new Set<number>()

  constructor(aborted: readonly AbortedTransaction[]) {
    this.pending = aborted.length > 1 ? [...aborted].sort((a, b) => a.firstOffset - b.firstOffset) : aborted
  }

  /** True when the batch is skipped: a transactional data batch of a producer whose aborted transaction is open. */
  skips(h: BatchHeader, markerType: 'commit' | 'abort' | null): boolean {
    if (h.producerId < 0) return false
    while (this.next < this.pending.length && this.pending[this.next]!.firstOffset <= h.lastOffset) this.open.add(this.pending[this.next++]!.producerId)
    if (h.isControl) {
      if (markerType === 'abort') this.open.delete(h.producerId)
      return false
    }
    return h.isTransactional && this.open.has(h.producerId)
  }
}

const marker: MarkerView = { offset: 0, type: 'commit', producerId: -1, producerEpoch: -1, coordinatorEpoch: -1, timestamp: 0 }

/** The marker of a control batch (null: a control batch of another kind, as KRaft's). */
function markerOf(records: Buffer, h: BatchHeader): MarkerView | null {
  let m
  try {
    m = readControlMarker(records, h.start)
  } catch (err) {
    if (err instanceof ProtocolError) throw corrupt(err.message)
    throw err
  }
  if (m === null) return null
  marker.offset = h.baseOffset
  marker.type = m.type
  marker.producerId = h.producerId
  marker.producerEpoch = h.producerEpoch
  marker.coordinatorEpoch = m.coordinatorEpoch
  marker.timestamp = h.timestampType === TimestampType.LOG_APPEND_TIME ? h.maxTimestamp : h.baseTimestamp
  return marker
}

export interface WalkResult {
  /** The offset to fetch next: past the last whole batch seen, or past the record the visitor stopped at. */
  nextOffset: number
  /** True when the visitor asked to stop. */
  stopped: boolean
  /** Whole batches found (0 with a non-empty buffer means the first batch was cut short). */
  batches: number
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
    const batchEnd = at + batchSizeAt(records, at)
    if (batchEnd > records.length || batchEnd < at + RECORD_BATCH_OVERHEAD) return false
    if ((records.readInt16BE(at + BatchField.ATTRIBUTES) & ATTR_COMPRESSION_MASK) !== Compression.NONE) return true
    at = batchEnd
  }
  return false
}

/**
 * Visits the records at or after `fromOffset` in `records` (a fetch response's record set), in
 * offset order, until the visitor returns false. `txn`: read_committed's aborted transactions, and
 * who is shown the markers.
 */
export function walkBatches(records: Buffer, fromOffset: number, visit: RecordVisitor, txn: TransactionView = {}): WalkResult {
  let at = 0
  let nextOffset = fromOffset
  let batches = 0
  const aborted = txn.aborted === undefined ? undefined : new AbortedRanges(txn.aborted)
  const onMarker = txn.onMarker
  while (at + LOG_OVERHEAD <= records.length) {
    const batchEnd = at + batchSizeAt(records, at)
    if (batchEnd > records.length) break // cut short by max bytes: the next fetch gets it whole
    if (batchEnd < at + RECORD_BATCH_OVERHEAD) throw corrupt('a batch is shorter than its header')
    batches++
    const magic = records[at + BatchField.MAGIC]
    if (magic !== MAGIC_V2) {
      throw new SluiceError('KAFKA_ERROR', `the broker sent a record batch of message format v${magic}; only v2 (Kafka 0.11+) is supported`)
    }
    const h = batchHeaderAt(records, at)
    // Only markers are read: other batches' records are not decoded to be skipped.
    const m = h.isControl && (aborted !== undefined || onMarker !== undefined) ? markerOf(records, h) : null
    const skipped = aborted?.skips(h, m?.type ?? null) === true
    if (m !== null && onMarker !== undefined && h.lastOffset >= fromOffset && !onMarker(m)) {
      return { nextOffset: h.lastOffset + 1, stopped: true, batches }
    }
    if (h.lastOffset >= fromOffset && !h.isControl && !skipped) {
      const logAppendTime = h.timestampType === TimestampType.LOG_APPEND_TIME ? h.maxTimestamp : -1
      let buf = records
      let start = at + RECORD_BATCH_OVERHEAD
      let end = batchEnd
      if (h.compression !== Compression.NONE) {
        const algorithm = compressionByBitmask(h.compression)
        if (algorithm === undefined) throw corrupt(`unknown compression codec ${h.compression}`)
        try {
          buf = algorithm.decompressSync(records.subarray(start, end)) as Buffer
        } catch (err) {
          // zstd needs Node 22.15+; a damaged batch fails here too.
          throw new SluiceError('KAFKA_ERROR', `cannot read a batch compressed with ${COMPRESSION_NAMES[h.compression]}: ${(err as Error).message}`, {
            cause: err,
          })
        }
        start = 0
        end = buf.length
      }
      const stoppedAt = walkRecords(buf, start, end, h.recordsCount, h.baseOffset, h.baseTimestamp, logAppendTime, fromOffset, visit)
      if (stoppedAt >= 0) return { nextOffset: stoppedAt + 1, stopped: true, batches }
    }
    if (h.lastOffset + 1 > nextOffset) nextOffset = h.lastOffset + 1
    at = batchEnd
  }
  return { nextOffset, stopped: false, batches }
}

/** The offset after the last whole batch of a record set, from the batch headers alone. */
export function nextOffsetAfter(records: Buffer, position: number): number {
  let at = 0
  let next = position
  while (at + RECORD_BATCH_OVERHEAD <= records.length) {
    const batchEnd = at + batchSizeAt(records, at)
    // A batch shorter than its header would not move `at`: corrupt, and walkBatches says so.
    if (batchEnd > records.length || batchEnd < at + RECORD_BATCH_OVERHEAD) break
    const lastOffset = batchHeaderAt(records, at).lastOffset
    if (lastOffset + 1 > next) next = lastOffset + 1
    at = batchEnd
  }
  return next
}
