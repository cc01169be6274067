/**
 * The records inside a v2 RecordBatch: parsing (for validation, tools and compaction) and
 * encoding whole batches (for tests, tools and, later, compaction).
 *
 *   record: length varint, attributes int8, timestampDelta varlong, offsetDelta varint,
 *           keyLength varint (-1 = null), key, valueLength varint (-1 = null), value,
 *           headerCount varint, headers: [keyLength varint, key (UTF-8), valueLength varint, value]
 *
 * The fetch and produce hot paths never come here: they move batches as bytes.
 * Compression: none and gzip (node:zlib); snappy, LZ4 and zstd once compression.ts's codecs are
 * loaded (else ProtocolError 'UNSUPPORTED_COMPRESSION'). The broker stores and serves batches of
 * any codec as they arrive: only the conversion of old message formats decodes them.
 */
import { ProtocolError } from './errors.js'
import { compressPayload, decompressPayload } from './compression.js'
import { Reader, Writer, chunksLength, concatChunks } from './primitives.js'
import {
  BatchField,
  ATTR_CONTROL,
  ATTR_TIMESTAMP_TYPE,
  ATTR_TRANSACTIONAL,
  Compression,
  LOG_OVERHEAD,
  MAGIC_V2,
  RECORD_BATCH_OVERHEAD,
  type BatchHeader,
  computeBatchCrc,
  readBatchHeader,
} from './batch-layout.js'

const EMPTY = Buffer.alloc(0)

export interface RecordHeader {
  key: string
  value: Buffer | null
}

/** One record as it is on the wire (deltas relative to the batch). */
export interface KafkaRecord {
  attributes: number
  timestampDelta: number
  offsetDelta: number
  key: Buffer | null
  value: Buffer | null
  headers: RecordHeader[]
}

/** A record with its absolute offset and timestamp. */
export interface DecodedRecord extends KafkaRecord {
  offset: number
  timestamp: number
}

/**
 * Parses exactly `count` records from buf[start, end) and calls onRecord for each. Throws
 * ProtocolError if a record is malformed, runs past `end`, or bytes remain after the last one
 * (Kafka's InvalidRecordException cases). Keys, values and header values are views into buf.
 */
export function parseRecords(
  buf: Buffer,
  start: number,
  end: number,
  count: number,
  onRecord?: (record: KafkaRecord, index: number) => void,
): void {
  const r = new Reader(buf, start, end)
  for (let i = 0; i < count; i++) {
    if (r.remaining === 0) throw new ProtocolError('TRUNCATED', `batch declares ${count} records but holds ${i}`)
    const len = r.varint()
    if (len < 0) throw new ProtocolError('INVALID_LENGTH', `record ${i} has negative size ${len}`)
    if (len > r.remaining) throw new ProtocolError('TRUNCATED', `record ${i} of ${len} bytes, ${r.remaining} left in batch`)
    const recordEnd = r.offset + len
    const attributes = r.int8()
    const timestampDelta = r.varlong()
    const offsetDelta = r.varint()
    // Without a callback (validation), bytes are skipped rather than sliced: no allocation.
    const keyLen = r.varint()
    const key = keyLen < 0 ? null : onRecord ? r.raw(keyLen) : (r.skip(keyLen), EMPTY)
    const valueLen = r.varint()
    const value = valueLen < 0 ? null : onRecord ? r.raw(valueLen) : (r.skip(valueLen), EMPTY)
    const headerCount = r.varint()
    if (headerCount < 0) throw new ProtocolError('INVALID_LENGTH', `record ${i} has ${headerCount} headers`)
    if (headerCount * 2 > recordEnd - r.offset) {
      throw new ProtocolError('TRUNCATED', `record ${i} declares ${headerCount} headers in ${recordEnd - r.offset} bytes`)
    }
    const headers: RecordHeader[] = []
    for (let j = 0; j < headerCount; j++) {
      const hkLen = r.varint()
      if (hkLen < 0) throw new ProtocolError('INVALID_LENGTH', `record ${i} header ${j} has a negative key size`)
      if (!onRecord) {
        r.skip(hkLen)
        const hvLen = r.varint()
        if (hvLen > 0) r.skip(hvLen)
        continue
      }
      const hk = r.raw(hkLen).toString('utf8')
      const hvLen = r.varint()
      headers.push({ key: hk, value: hvLen < 0 ? null : r.raw(hvLen) })
    }
    if (r.offset !== recordEnd) {
      throw new ProtocolError('INVALID_LENGTH', `record ${i} declares ${len} bytes but holds ${len + r.offset - recordEnd}`)
    }
    onRecord?.({ attributes, timestampDelta, offsetDelta, key, value, headers }, i)
  }
  if (r.remaining > 0) throw new ProtocolError('INVALID_LENGTH', `${r.remaining} bytes left after the batch's ${count} records`)
}

/**
 * Decodes the batch at `start` with all its records. Checks the CRC unless `verifyCrc` is false.
 * Throws ProtocolError on any malformation.
 */
export function decodeRecordBatch(
  buf: Buffer,
  start = 0,
  opts: { verifyCrc?: boolean } = {},
): { header: BatchHeader; records: DecodedRecord[] } {
  const header = readBatchHeader(buf, start)
  if (opts.verifyCrc !== false && computeBatchCrc(buf, start, header.sizeBytes) !== header.crc) {
    throw new ProtocolError('INVALID_VALUE', `record batch at ${start} fails its CRC`)
  }
  const data = decompressPayload(header.compression, buf.subarray(start + RECORD_BATCH_OVERHEAD, start + header.sizeBytes))
  const records: DecodedRecord[] = []
  parseRecords(data, 0, data.length, header.recordsCount, (rec) => {
    records.push({ ...rec, offset: header.baseOffset + rec.offsetDelta, timestamp: header.baseTimestamp + rec.timestampDelta })
  })
  return { header, records }
}

/** Decodes every batch of a records blob. */
export function decodeRecordBatches(buf: Buffer): { header: BatchHeader; records: DecodedRecord[] }[] {
  const out = []
  let at = 0
  while (at < buf.length) {
    const b = decodeRecordBatch(buf, at)
    out.push(b)
    at += b.header.sizeBytes
  }
  return out
}

type Bytes = Buffer | string

export interface RecordInput {
  key?: Bytes | null
  value?: Bytes | null
  headers?: readonly { key: string; value: Bytes | null }[]
  /** Relative to the batch's baseTimestamp. Default 0. */
  timestampDelta?: number
  /** Default: the record's index in the batch. */
  offsetDelta?: number
  /** Unused by Kafka in magic 2. Default 0. */
  attributes?: number
}

export interface RecordBatchInput {
  records: readonly RecordInput[]
  baseOffset?: number
  partitionLeaderEpoch?: number
  baseTimestamp?: number
  /** Default: baseTimestamp + the largest timestampDelta. */
  maxTimestamp?: number
  /** Default: the largest offsetDelta (0 for no records). */
  lastOffsetDelta?: number
  producerId?: number
  producerEpoch?: number
  baseSequence?: number
  /** Compression.NONE (default), GZIP, or another codec once the codecs are loaded. */
  compression?: number
  timestampType?: number
  transactional?: boolean
  control?: boolean
}

function toBuffer(b: Bytes): Buffer {
  return typeof b === 'string' ? Buffer.from(b, 'utf8') : b
}

function writeVarBytes(w: Writer, b: Bytes | null | undefined): void {
  if (b === null || b === undefined) {
    w.varint(-1)
    return
  }
  const buf = toBuffer(b)
  w.varint(buf.length).raw(buf)
}

function encodeRecord(w: Writer, rec: RecordInput, index: number): void {
  const body = new Writer(64)
  body.int8(rec.attributes ?? 0).varlong(rec.timestampDelta ?? 0).varint(rec.offsetDelta ?? index)
  writeVarBytes(body, rec.key)
  writeVarBytes(body, rec.value)
  const headers = rec.headers ?? []
  body.varint(headers.length)
  for (const h of headers) {
    const k = Buffer.from(h.key, 'utf8')
    body.varint(k.length).raw(k)
    writeVarBytes(body, h.value)
  }
  const chunks = body.finish()
  w.varint(chunksLength(chunks)).append(chunks)
}

/** Builds one v2 batch (uncompressed or gzip) with a correct CRC. */
export function encodeRecordBatch(input: RecordBatchInput): Buffer {
  const compression = input.compression ?? Compression.NONE
  const records = input.records
  const w = new Writer(1024)
  records.forEach((rec, i) => encodeRecord(w, rec, i))
  let payload = concatChunks(w.finish())
  payload = compressPayload(compression, payload)

  const baseTimestamp = input.baseTimestamp ?? 0
  let maxDelta = 0
  let maxOffsetDelta = 0
  records.forEach((rec, i) => {
    maxDelta = Math.max(maxDelta, rec.timestampDelta ?? 0)
    maxOffsetDelta = Math.max(maxOffsetDelta, rec.offsetDelta ?? i)
  })
  let attributes = compression
  if (input.timestampType === 1) attributes |= ATTR_TIMESTAMP_TYPE
  if (input.transactional) attributes |= ATTR_TRANSACTIONAL
  if (input.control) attributes |= ATTR_CONTROL

  const h = new Writer(RECORD_BATCH_OVERHEAD)
  h.int64(input.baseOffset ?? 0)
    .int32(RECORD_BATCH_OVERHEAD - LOG_OVERHEAD + payload.length)
    .int32(input.partitionLeaderEpoch ?? -1)
    .int8(MAGIC_V2)
    .uint32(0) // CRC, filled below
    .int16(attributes)
    .int32(input.lastOffsetDelta ?? maxOffsetDelta)
    .int64(baseTimestamp)
    .int64(input.maxTimestamp ?? baseTimestamp + maxDelta)
    .int64(input.producerId ?? -1)
    .int16(input.producerEpoch ?? -1)
    .int32(input.baseSequence ?? -1)
    .int32(records.length)
  const batch = Buffer.concat([...h.finish(), payload])
  batch.writeUInt32BE(computeBatchCrc(batch, 0, batch.length), BatchField.CRC)
  return batch
}
