/**
 * Test record batches: a valid RecordBatch v2 header (CRC-32C included) and a fake records
 * payload. Storage never decodes records, so the payload only needs to be recognisable: it carries
 * a tag, so a test can tell which append a stored batch came from.
 */
import { crc32c } from '@node-rs/crc32'

export interface BatchSpec {
  /** Records in the batch (lastOffsetDelta = records - 1). */
  records?: number
  baseOffset?: number
  leaderEpoch?: number
  baseTimestamp?: number
  maxTimestamp?: number
  /** Bytes of fake record payload after the 61-byte header. */
  payloadBytes?: number
  /** Written at the start of the payload (utf8), to recognise the batch when read back. */
  tag?: string
}

const TWO_POW_32 = 2 ** 32

function writeInt64(buf: Buffer, pos: number, value: number): void {
  const hi = Math.floor(value / TWO_POW_32)
  buf.writeInt32BE(hi, pos)
  buf.writeUInt32BE(value - hi * TWO_POW_32, pos + 4)
}

export function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * TWO_POW_32 + buf.readUInt32BE(pos + 4)
}

export function makeBatch(spec: BatchSpec = {}): Buffer {
  const records = spec.records ?? 1
  const tag = Buffer.from(spec.tag ?? '')
  const payloadBytes = Math.max(spec.payloadBytes ?? 16, tag.length + 4)
  const buf = Buffer.alloc(61 + payloadBytes)
  writeInt64(buf, 0, spec.baseOffset ?? 0)
  buf.writeInt32BE(buf.length - 12, 8)
  buf.writeInt32BE(spec.leaderEpoch ?? -1, 12)
  buf.writeInt8(2, 16)
  buf.writeInt16BE(0, 21) // attributes: no compression, CreateTime
  buf.writeInt32BE(records - 1, 23)
  const baseTimestamp = spec.baseTimestamp ?? spec.maxTimestamp ?? 1_700_000_000_000
  writeInt64(buf, 27, baseTimestamp)
  writeInt64(buf, 35, spec.maxTimestamp ?? baseTimestamp)
  writeInt64(buf, 43, -1) // producerId
  buf.writeInt16BE(-1, 51) // producerEpoch
  buf.writeInt32BE(-1, 53) // baseSequence
  buf.writeInt32BE(records, 57)
  buf.writeUInt32BE(tag.length, 61)
  tag.copy(buf, 65)
  for (let i = 65 + tag.length; i < buf.length; i++) buf[i] = i & 0xff
  buf.writeUInt32BE(crc32c(buf.subarray(21)), 17)
  return buf
}

/** What the header of a stored batch says. */
export function describeBatch(batch: Buffer): {
  baseOffset: number
  lastOffset: number
  leaderEpoch: number
  maxTimestamp: number
  records: number
  tag: string
  crcOk: boolean
} {
  const baseOffset = readInt64(batch, 0)
  const tagLength = batch.readUInt32BE(61)
  return {
    baseOffset,
    lastOffset: baseOffset + batch.readInt32BE(23),
    leaderEpoch: batch.readInt32BE(12),
    maxTimestamp: readInt64(batch, 35),
    records: batch.readInt32BE(57),
    tag: batch.toString('utf8', 65, 65 + tagLength),
    crcOk: crc32c(batch.subarray(21)) === batch.readUInt32BE(17),
  }
}

/** Several batches in one records buffer, as a produce request or a fetch response carries them. */
export function concatBatches(...specs: BatchSpec[]): Buffer {
  return Buffer.concat(specs.map((spec) => makeBatch(spec)))
}
