/**
 * Writer: builds output as a list of chunks. Small values go to a scratch buffer; large Buffers
 * (record batches) are appended by reference. `finish()` returns the chunks for
 * `socket.writev` / `cork()+write()`; nothing is concatenated on the way out.
 * int64 values beyond 2^53 are clamped to the int64 range, so Long.MAX_VALUE round-trips.
 */
const TWO_32 = 4294967296
const INT64_MAX = 2n ** 63n - 1n
const INT64_MIN = -(2n ** 63n)
const UUID_RE = /^[0-9a-f]{32}$/

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
