/**
 * The consume output: records are formatted straight into a large buffer, which goes to stdout
 * in one write per fetch response (at most 256 KiB each), never one per record. Backpressure:
 * stdout on a pipe is asynchronous in Node, so the fetch loop awaits `ready()` after each
 * response, which waits for 'drain' while more than `queuedBytesMax` are queued. Memory stays
 * bounded by that plus one chunk.
 */
import { once } from 'node:events'
import type { Writable } from 'node:stream'

const CHUNK_BYTES = 256 * 1024
const QUEUED_BYTES_MAX = 4 * 1024 * 1024
/** Below this a byte loop copies faster than a native call (which also allocates a view). */
const COPY_LOOP_BYTES_MAX = 256

/** Sign and digits of any JS integer up to 2^53 (and a little more). */
const INT_DIGITS_MAX = 21

/** Writes n in decimal at buf[pos]; returns the position after it. */
function writeInt(buf: Uint8Array, pos: number, n: number): number {
  if (n < 0) {
    buf[pos++] = 0x2d
    n = -n
  }
  let digits = 1
  for (let m = n; m >= 10; m = Math.floor(m / 10)) digits++
  let p = pos + digits
  const end = p
  do {
    const q = Math.floor(n / 10)
    buf[--p] = 0x30 + (n - q * 10)
    n = q
  } while (n >= 1)
  return end
}

/** Encodes constant ASCII text once, for OutputWriter.fragment(). */
export function fragment(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text, 'latin1'))
}

/** Waits for 'drain'; false when the stream failed or closed instead. */
async function drained(stream: Writable): Promise<boolean> {
  try {
    await once(stream, 'drain')
    return true
  } catch {
    return false
  }
}

export class OutputWriter {
  private buf: Buffer
  private pos = 0
  /** Bytes handed to the stream so far (for the summary). */
  bytesWritten = 0

  constructor(
    private readonly stream: Writable,
    private readonly chunkBytes = CHUNK_BYTES,
    private readonly queuedBytesMax = QUEUED_BYTES_MAX,
  ) {
    this.buf = Buffer.allocUnsafe(chunkBytes)
  }

  /** Makes room for n more bytes. */
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return
    this.flush()
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n)
  }

  /** Text known to be ASCII (JSON punctuation, digits, names checked by the caller). */
  ascii(s: string): void {
    this.room(s.length)
    this.pos += this.buf.write(s, this.pos, 'latin1')
  }

  utf8(s: string): void {
    this.room(Buffer.byteLength(s))
    this.pos += this.buf.write(s, this.pos, 'utf8')
  }

  byte(b: number): void {
    if (this.pos >= this.buf.length) this.flush()
    this.buf[this.pos++] = b
  }

  bytes(src: Uint8Array, start: number, end: number): void {
    const n = end - start
    this.room(n)
    if (n < COPY_LOOP_BYTES_MAX) {
      // Short copies: a loop beats the native call.
      const buf = this.buf
      let p = this.pos
      for (let i = start; i < end; i++) buf[p++] = src[i]!
    } else {
      this.buf.set(src.subarray(start, end), this.pos)
    }
    this.pos += n
  }

  /** Constant text encoded once (see fragment()). */
  fragment(f: Uint8Array): void {
    this.bytes(f, 0, f.length)
  }

  /**
   * A timestamp: records of one batch mostly share theirs, so the digits of the last one are
   * kept and copied instead of recomputed.
   */
  timestamp(ms: number): void {
    if (ms !== this.lastTimestamp) {
      this.lastTimestamp = ms
      this.lastTimestampLength = writeInt(this.lastTimestampDigits, 0, ms)
    }
    this.bytes(this.lastTimestampDigits, 0, this.lastTimestampLength)
  }
  private lastTimestamp = Number.NaN
  private readonly lastTimestampDigits = new Uint8Array(INT_DIGITS_MAX)
  private lastTimestampLength = 0

  /** An integer in decimal, without making a string. */
  int(n: number): void {
    this.room(INT_DIGITS_MAX)
    this.pos = writeInt(this.buf, this.pos, n)
  }

  /** Hands what is buffered to the stream. */
  flush(): void {
    if (this.pos === 0) return
    const chunk = this.buf.subarray(0, this.pos)
    this.bytesWritten += this.pos
    this.stream.write(chunk)
    // The stream may hold `chunk` until it is written: the next records go to a new buffer.
    this.buf = Buffer.allocUnsafe(this.chunkBytes)
    this.pos = 0
  }

  /** Resolves when the stream can take more (waits for 'drain' while too much is queued). */
  async ready(): Promise<void> {
    while (this.stream.writableLength > this.queuedBytesMax && !this.stream.destroyed) {
      // A stream error (EPIPE) ends the wait; the owner of the stream decides what it means.
      if (!(await drained(this.stream))) return
    }
  }

  /** Flushes and waits until everything queued has been written. */
  async end(): Promise<void> {
    this.flush()
    while (this.stream.writableLength > 0 && !this.stream.destroyed) {
      if (!(await drained(this.stream))) return
    }
  }
}
