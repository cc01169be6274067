/**
 * Kafka's primitive types: a bounds-checked Reader over one Buffer and a chunked Writer.
 *
 * Reader: every read checks the remaining bytes first and throws ProtocolError on truncation or
 * an impossible length, so a hostile frame can never cause a RangeError or make us allocate from
 * a length it claims. Bytes are returned as views (`subarray`) into the frame, never copied.
 *
 * Writer: small values go to a scratch buffer; large Buffers (record batches) are appended by
 * reference. `finish()` returns the chunks for `socket.writev` / `cork()+write()`; nothing is
 * concatenated on the way out.
 *
 * int64 values are JS numbers (exact to 2^53, as everywhere in sluice); larger magnitudes are
 * rounded on read and clamped to the int64 range on write, so Long.MAX_VALUE round-trips.
 */
import { ProtocolError } from './errors.js'

export { ProtocolError }

const TWO_32 = 4294967296
const INT64_MAX = 2n ** 63n - 1n
const INT64_MIN = -(2n ** 63n)
const ZERO_UUID = '0'.repeat(32)
const UUID_RE = /^[0-9a-f]{32}$/

export { ZERO_UUID }

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

/** Where a reserved int32 lives, to be patched once the value is known (frame sizes). */
export interface Int32Slot {
  readonly buf: Buffer
  readonly at: number
}

const SCRATCH_BYTES_MIN = 256
const SCRATCH_BYTES_MAX = 64 * 1024
/** Buffers at least this large are appended by reference rather than copied. */
const BY_REFERENCE_BYTES_MIN = 256

export class Writer {
  private readonly chunks: Buffer[] = []
  /** Bytes already moved to `chunks`. */
  private committed = 0
  private buf: Buffer
  /** Start of the scratch bytes not yet in `chunks`. Bytes before it are never rewritten. */
  private start = 0
  private pos = 0
  private finished = false

  constructor(scratchBytes = SCRATCH_BYTES_MIN) {
    this.buf = Buffer.allocUnsafe(scratchBytes)
  }

  /** Bytes written so far. */
  get length(): number {
    return this.committed + this.pos - this.start
  }

  private room(n: number): number {
    if (this.finished) throw new Error('Writer used after finish()')
    if (this.pos + n > this.buf.length) {
      this.commitScratch()
      // A fresh scratch buffer rather than a copy: what was written stays where it is.
      const size = Math.max(n, Math.min(this.buf.length * 2, SCRATCH_BYTES_MAX))
      this.buf = Buffer.allocUnsafe(size)
      this.start = 0
      this.pos = 0
    }
    const at = this.pos
    this.pos = at + n
    return at
  }

  private commitScratch(): void {
    if (this.pos > this.start) {
      this.chunks.push(this.buf.subarray(this.start, this.pos))
      this.committed += this.pos - this.start
      this.start = this.pos
    }
  }

  int8(v: number): this {
    const at = this.room(1)
    this.buf.writeInt8(v, at)
    return this
  }

  int16(v: number): this {
    const at = this.room(2)
    this.buf.writeInt16BE(v, at)
    return this
  }

  uint16(v: number): this {
    const at = this.room(2)
    this.buf.writeUInt16BE(v, at)
    return this
  }

  int32(v: number): this {
    const at = this.room(4)
    this.buf.writeInt32BE(v, at)
    return this
  }

  uint32(v: number): this {
    const at = this.room(4)
    this.buf.writeUInt32BE(v, at)
    return this
  }

  int64(v: number): this {
    const at = this.room(8)
    if (Number.isSafeInteger(v)) {
      const hi = Math.floor(v / TWO_32)
      this.buf.writeInt32BE(hi, at)
      this.buf.writeUInt32BE(v - hi * TWO_32, at + 4)
    } else {
      if (!Number.isInteger(v)) throw new TypeError(`int64 value ${v} is not an integer`)
      let big = BigInt(v)
      if (big > INT64_MAX) big = INT64_MAX
      if (big < INT64_MIN) big = INT64_MIN
      this.buf.writeBigInt64BE(big, at)
    }
    return this
  }

  float64(v: number): this {
    const at = this.room(8)
    this.buf.writeDoubleBE(v, at)
    return this
  }

  bool(v: boolean): this {
    const at = this.room(1)
    this.buf[at] = v ? 1 : 0
    return this
  }

  uvarint(v: number): this {
    if (!(v >= 0 && v <= 0xffffffff)) throw new RangeError(`uvarint ${v} out of range`)
    const at = this.room(5)
    let p = at
    while (v >= 0x80) {
      this.buf[p++] = (v & 0x7f) | 0x80
      v = Math.floor(v / 128)
    }
    this.buf[p++] = v
    this.pos = p // give back the unused reserved bytes
    return this
  }

  varint(v: number): this {
    return this.uvarint(((v << 1) ^ (v >> 31)) >>> 0)
  }

  varlong(v: number): this {
    if (!Number.isInteger(v)) throw new TypeError(`varlong value ${v} is not an integer`)
    const at = this.room(10)
    let p = at
    if (Math.abs(v) <= 2 ** 52) {
      // zigzag in plain arithmetic, exact while 2|v| fits in 53 bits
      let n = v >= 0 ? v * 2 : -v * 2 - 1
      while (n >= 0x80) {
        this.buf[p++] = (n % 128) | 0x80
        n = Math.floor(n / 128)
      }
      this.buf[p++] = n
    } else {
      let big = BigInt(v)
      big = ((big << 1n) ^ (big >> 63n)) & 0xffffffffffffffffn
      while (big >= 0x80n) {
        this.buf[p++] = Number(big & 0x7fn) | 0x80
        big >>= 7n
      }
      this.buf[p++] = Number(big)
    }
    this.pos = p
    return this
  }

  private utf8(s: string, len: number): void {
    if (len === 0) return
    const at = this.room(len)
    this.buf.write(s, at, len, 'utf8')
  }

  string(s: string): this {
    const len = Buffer.byteLength(s, 'utf8')
    if (len > 0x7fff) throw new RangeError(`string of ${len} bytes exceeds int16 length`)
    this.int16(len)
    this.utf8(s, len)
    return this
  }

  nullableString(s: string | null): this {
    return s === null ? this.int16(-1) : this.string(s)
  }

  compactString(s: string): this {
    const len = Buffer.byteLength(s, 'utf8')
    this.uvarint(len + 1)
    this.utf8(s, len)
    return this
  }

  compactNullableString(s: string | null): this {
    return s === null ? this.uvarint(0) : this.compactString(s)
  }

  /** Appends bytes with no length prefix; large ones by reference. */
  raw(b: Uint8Array): this {
    if (b.length >= BY_REFERENCE_BYTES_MIN) {
      if (this.finished) throw new Error('Writer used after finish()')
      this.commitScratch()
      this.chunks.push(Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length))
      this.committed += b.length
    } else if (b.length > 0) {
      const at = this.room(b.length)
      this.buf.set(b, at)
    }
    return this
  }

  bytes(b: Uint8Array): this {
    return this.int32(b.length).raw(b)
  }

  nullableBytes(b: Uint8Array | null): this {
    return b === null ? this.int32(-1) : this.bytes(b)
  }

  compactBytes(b: Uint8Array): this {
    return this.uvarint(b.length + 1).raw(b)
  }

  compactNullableBytes(b: Uint8Array | null): this {
    return b === null ? this.uvarint(0) : this.compactBytes(b)
  }

  /** 32 hex characters (either case) as 16 bytes. */
  uuid(hex: string): this {
    const lower = hex.toLowerCase()
    if (!UUID_RE.test(lower)) throw new TypeError(`uuid must be 32 hex characters, got '${hex}'`)
    const at = this.room(16)
    this.buf.write(lower, at, 16, 'hex')
    return this
  }

  /** Reserves 4 bytes to be filled later with patchInt32 (a size prefix). */
  reserveInt32(): Int32Slot {
    const at = this.room(4)
    return { buf: this.buf, at }
  }

  patchInt32(slot: Int32Slot, v: number): void {
    slot.buf.writeInt32BE(v, slot.at)
  }

  /** Appends another writer's finished output (large chunks by reference). */
  append(chunks: readonly Buffer[]): this {
    for (const c of chunks) this.raw(c)
    return this
  }

  /** The output, as chunks in order. The writer cannot be used afterwards. */
  finish(): Buffer[] {
    this.commitScratch()
    this.finished = true
    return this.chunks
  }
}

/** One Buffer from a Writer's chunks (tests and tools; the socket path uses the chunks). */
export function concatChunks(chunks: readonly Buffer[]): Buffer {
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks as Buffer[])
}

export function chunksLength(chunks: readonly Buffer[]): number {
  let n = 0
  for (const c of chunks) n += c.length
  return n
}
