/**
 * Splits a byte stream (socket chunks) into Kafka frames.
 *
 * The 4-byte size is checked against `frameBytesMax` before anything is buffered for the frame,
 * so a bogus size cannot make us allocate. A frame that lies inside one chunk is returned as a
 * view of it (no copy); one spread over chunks is copied once into a buffer of exactly its size.
 * Chunks are kept in a list until a frame is complete, so many small chunks cost O(n), not O(n^2).
 */
import { ProtocolError } from './errors.js'

/** Kafka's default socket.request.max.bytes. */
export const FRAME_BYTES_MAX_DEFAULT = 100 * 1024 * 1024

const EMPTY = Buffer.alloc(0)

export class FrameDecoder {
  private chunks: Buffer[] = []
  /** Index of the first chunk still holding unread bytes. */
  private head = 0
  /** Bytes already consumed from chunks[head]. */
  private headOffset = 0
  private buffered = 0
  /** Size of the frame being assembled, or -1 while its size prefix is still awaited. */
  private frameBytes = -1

  constructor(readonly frameBytesMax = FRAME_BYTES_MAX_DEFAULT) {}

  /** Bytes received but not yet returned as frames. */
  get bufferedBytes(): number {
    return this.buffered
  }

  /**
   * Feeds one chunk and returns the frames it completed (without their size prefix).
   * Throws ProtocolError('FRAME_TOO_LARGE') on a negative or oversize frame; the caller should
   * close the connection, as the stream cannot be resynchronised.
   */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = []
    if (chunk.length > 0) {
      this.chunks.push(chunk)
      this.buffered += chunk.length
    }
    for (;;) {
      if (this.frameBytes < 0) {
        if (this.buffered < 4) break
        const size = this.take(4).readInt32BE(0)
        if (size < 0 || size > this.frameBytesMax) {
          throw new ProtocolError('FRAME_TOO_LARGE', `frame size ${size} outside 0..${this.frameBytesMax}`)
        }
        this.frameBytes = size
      }
      if (this.buffered < this.frameBytes) break
      frames.push(this.take(this.frameBytes))
      this.frameBytes = -1
    }
    this.compact()
    return frames
  }

  /** Removes n buffered bytes (n <= buffered): a view when they sit in one chunk, else a copy. */
  private take(n: number): Buffer {
    if (n === 0) return EMPTY
    const first = this.chunks[this.head]!
    const available = first.length - this.headOffset
    if (available >= n) {
      const view = first.subarray(this.headOffset, this.headOffset + n)
      this.advance(n)
      return view
    }
    const out = Buffer.allocUnsafe(n)
    let filled = 0
    while (filled < n) {
      const c = this.chunks[this.head]!
      const k = Math.min(c.length - this.headOffset, n - filled)
      c.copy(out, filled, this.headOffset, this.headOffset + k)
      filled += k
      this.advance(k)
    }
    return out
  }

  private advance(n: number): void {
    this.buffered -= n
    this.headOffset += n
    if (this.headOffset === this.chunks[this.head]!.length) {
      this.chunks[this.head] = EMPTY // drop the reference early
      this.head++
      this.headOffset = 0
    }
  }

  private compact(): void {
    if (this.head === this.chunks.length) {
      this.chunks = []
      this.head = 0
    } else if (this.head > 64 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head)
      this.head = 0
    }
  }
}
