/**
 * One record of a fetched batch as spans into the bytes that hold it (RecordView), and what the
 * formatters read from it. Kept apart from batches.ts, which needs the Kafka client's codecs,
 * so that checking a --format does not load the client.
 */
import { SluiceError } from '../../common/errors.js'

/** One record, as spans into `buf`. Valid only during the visit that receives it. */
export interface RecordView {
  buf: Buffer
  offset: number
  timestamp: number
  /** -1 for a null key. */
  keyLength: number
  keyStart: number
  /** -1 for a null value. */
  valueLength: number
  valueStart: number
  headerCount: number
  headersStart: number
}

/** Position after the last varint read (shared state: no tuple allocated per varint). */
export const varint = { pos: 0 }

/** A zigzag varint or varlong as a JS number (exact to 2^53). */
export function readVarNumber(buf: Buffer, limit: number): number {
  let b = 0
  let result = 0
  let shift = 0
  let mul = 1
  do {
    if (varint.pos >= limit) throw corrupt('a varint runs past the end of its batch')
    b = buf[varint.pos++]!
    if (shift < 28) result |= (b & 0x7f) << shift
    else result += (b & 0x7f) * mul
    shift += 7
    mul = shift === 28 ? 2 ** 28 : mul * 128
    if (shift > 63) throw corrupt('a varint is longer than 10 bytes')
  } while (b & 0x80)
  // Below 2^28 the bits were OR-ed into an int32 (result >>> 0 keeps it unsigned).
  const u = shift <= 28 ? result >>> 0 : result
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2
}

export function corrupt(what: string): SluiceError {
  return new SluiceError('KAFKA_ERROR', `corrupt record batch from the broker: ${what}`)
}

/** Reads the headers of a record (only formatters that show headers pay for this). */
export function readHeaders(r: RecordView): [string, Buffer | null][] {
  const out: [string, Buffer | null][] = []
  const buf = r.buf
  varint.pos = r.headersStart
  for (let i = 0; i < r.headerCount; i++) {
    const keyLength = readVarNumber(buf, buf.length)
    const name = buf.toString('utf8', varint.pos, varint.pos + keyLength)
    varint.pos += keyLength
    const valueLength = readVarNumber(buf, buf.length)
    out.push([name, valueLength < 0 ? null : buf.subarray(varint.pos, varint.pos + valueLength)])
    if (valueLength > 0) varint.pos += valueLength
  }
  return out
}

/** The key or value bytes of a view (a new Buffer view; null for null). */
export function keyOf(r: RecordView): Buffer | null {
  return r.keyLength < 0 ? null : r.buf.subarray(r.keyStart, r.keyStart + r.keyLength)
}
export function valueOf(r: RecordView): Buffer | null {
  return r.valueLength < 0 ? null : r.buf.subarray(r.valueStart, r.valueStart + r.valueLength)
}

