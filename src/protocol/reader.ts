/**
 * Reader: a cursor over one Buffer for Kafka's primitive types. Every read checks the remaining
 * bytes first and throws ProtocolError on truncation or an impossible length, so a hostile frame
 * can never cause a RangeError or make us allocate from a length it claims. Bytes come back as
 * views (`subarray`) into the frame, never copied. int64 values are JS numbers (exact to 2^53,
 * as everywhere in sluice); larger magnitudes are rounded.
 */
import { ProtocolError } from './errors.js'

const TWO_32 = 4294967296

function truncated(what: string, needed: number, left: number): ProtocolError {
  return new ProtocolError('TRUNCATED', `truncated ${what}: needs ${needed} bytes, ${left} left`)
}

export class Reader {
  /** Position of the next byte to read. */
  offset: number
  /** One past the last readable byte. */
  readonly end: number

  constructor(
    readonly buf: Buffer,
    offset = 0,
    end = buf.length,
  ) {
    if (offset < 0 || end > buf.length || offset > end) {
      throw new RangeError(`Reader bounds [${offset}, ${end}) outside buffer of ${buf.length}`)
    }
    this.offset = offset
    this.end = end
  }

  get remaining(): number {
    return this.end - this.offset
  }

  /** Advances past n bytes and returns where they start. */
  private take(n: number, what: string): number {
    const at = this.offset
    if (n > this.end - at) throw truncated(what, n, this.end - at)
    this.offset = at + n
    return at
  }

  skip(n: number): void {
    this.checkLength(n, 'bytes')
    this.offset += n
  }

  int8(): number {
    return this.buf.readInt8(this.take(1, 'int8'))
  }

  int16(): number {
    return this.buf.readInt16BE(this.take(2, 'int16'))
  }

  uint16(): number {
    return this.buf.readUInt16BE(this.take(2, 'uint16'))
  }

  int32(): number {
    return this.buf.readInt32BE(this.take(4, 'int32'))
  }

  uint32(): number {
    return this.buf.readUInt32BE(this.take(4, 'uint32'))
  }

  int64(): number {
    const at = this.take(8, 'int64')
    return this.buf.readInt32BE(at) * TWO_32 + this.buf.readUInt32BE(at + 4)
  }

  float64(): number {
    return this.buf.readDoubleBE(this.take(8, 'float64'))
  }

  bool(): boolean {
    return this.buf[this.take(1, 'bool')] !== 0
  }

  /** Unsigned varint of at most 5 bytes (a uint32), as used for compact lengths and tags. */
  uvarint(): number {
    let result = 0
    let scale = 1
    for (let i = 0; i < 5; i++) {
      if (this.offset >= this.end) throw truncated('varint', 1, 0)
      const b = this.buf[this.offset++]!
      result += (b & 0x7f) * scale
      if ((b & 0x80) === 0) {
        if (result > 0xffffffff) break
        return result
      }
      scale *= 128
    }
    throw new ProtocolError('INVALID_LENGTH', 'unsigned varint does not fit in 32 bits')
  }

  /** Zigzag-encoded int32. */
  varint(): number {
    const n = this.uvarint()
    return (n >>> 1) ^ -(n & 1)
  }

  /** Zigzag-encoded int64, as a JS number (exact to 2^53). */
  varlong(): number {
    const start = this.offset
    let result = 0
    let scale = 1
    // Up to 7 bytes (49 bits) plain arithmetic is exact; longer ones go through BigInt.
    for (let i = 0; i < 7; i++) {
      if (this.offset >= this.end) throw truncated('varlong', 1, 0)
      const b = this.buf[this.offset++]!
      result += (b & 0x7f) * scale
      if ((b & 0x80) === 0) return result % 2 === 0 ? result / 2 : -(result + 1) / 2
      scale *= 128
    }
    this.offset = start
    let big = 0n
    for (let i = 0; i < 10; i++) {
      if (this.offset >= this.end) throw truncated('varlong', 1, 0)
      const b = this.buf[this.offset++]!
      big |= BigInt(b & 0x7f) << BigInt(7 * i)
      if ((b & 0x80) === 0) return Number((big >> 1n) ^ -(big & 1n))
    }
    throw new ProtocolError('INVALID_LENGTH', 'varlong longer than 10 bytes')
  }

  private utf8(len: number, what: string): string {
    const at = this.take(len, what)
    return this.buf.toString('utf8', at, at + len)
  }

  private checkLength(len: number, what: string): void {
    if (len < 0) throw new ProtocolError('INVALID_LENGTH', `negative length ${len} for ${what}`)
    if (len > this.end - this.offset) throw truncated(what, len, this.end - this.offset)
  }

  /** int16 length + UTF-8. */
  string(): string {
    const len = this.int16()
    if (len === -1) throw new ProtocolError('INVALID_VALUE', 'null in a non-nullable string')
    this.checkLength(len, 'string')
    return this.utf8(len, 'string')
  }

  nullableString(): string | null {
    const len = this.int16()
    if (len === -1) return null
    this.checkLength(len, 'string')
    return this.utf8(len, 'string')
  }

  /** uvarint (length + 1) + UTF-8. */
  compactString(): string {
    const n = this.uvarint()
    if (n === 0) throw new ProtocolError('INVALID_VALUE', 'null in a non-nullable compact string')
    this.checkLength(n - 1, 'compact string')
    return this.utf8(n - 1, 'compact string')
  }

  compactNullableString(): string | null {
    const n = this.uvarint()
    if (n === 0) return null
    this.checkLength(n - 1, 'compact string')
    return this.utf8(n - 1, 'compact string')
  }

  private view(len: number, what: string): Buffer {
    this.checkLength(len, what)
    const at = this.take(len, what)
    return this.buf.subarray(at, at + len)
  }

  /** int32 length + bytes, as a view into the input. */
  bytes(): Buffer {
    const len = this.int32()
    if (len === -1) throw new ProtocolError('INVALID_VALUE', 'null in non-nullable bytes')
    return this.view(len, 'bytes')
  }

  nullableBytes(): Buffer | null {
    const len = this.int32()
    return len === -1 ? null : this.view(len, 'bytes')
  }

  compactBytes(): Buffer {
    const n = this.uvarint()
    if (n === 0) throw new ProtocolError('INVALID_VALUE', 'null in non-nullable compact bytes')
    return this.view(n - 1, 'compact bytes')
  }

  compactNullableBytes(): Buffer | null {
    const n = this.uvarint()
    return n === 0 ? null : this.view(n - 1, 'compact bytes')
  }

  /** Exactly n bytes as a view. */
  raw(n: number): Buffer {
    return this.view(n, 'bytes')
  }

  /** 16 bytes as 32 lowercase hex characters. */
  uuid(): string {
    const at = this.take(16, 'uuid')
    return this.buf.toString('hex', at, at + 16)
  }

  /**
   * Array length: int32 (-1 = null) or, compact, uvarint (length + 1, 0 = null). Checked against
   * the remaining bytes assuming each element takes at least `elementBytesMin` bytes, so a huge
   * count in a small frame fails before anything is allocated or looped over.
   */
  arrayLength(compact: boolean, elementBytesMin: number): number {
    const n = compact ? this.uvarint() - 1 : this.int32()
    if (n < -1) throw new ProtocolError('INVALID_LENGTH', `negative array length ${n}`)
    if (n > 0 && n * Math.max(1, elementBytesMin) > this.end - this.offset) {
      throw truncated(`array of ${n}`, n * Math.max(1, elementBytesMin), this.end - this.offset)
    }
    return n
  }

  /**
   * A tagged-field section. For each field, `onTag(tag, fieldReader)` may decode it from a reader
   * bounded to that field's bytes; the cursor then moves past the field whatever was consumed.
   * Unknown tags are simply skipped (return without reading).
   */
  taggedFields(onTag?: (tag: number, field: Reader) => void): void {
    const count = this.uvarint()
    if (count * 2 > this.end - this.offset) throw truncated('tagged fields', count * 2, this.remaining)
    for (let i = 0; i < count; i++) {
      const tag = this.uvarint()
      const size = this.uvarint()
      this.checkLength(size, 'tagged field')
      const start = this.offset
      if (onTag) onTag(tag, new Reader(this.buf, start, start + size))
      this.offset = start + size
    }
  }
}
