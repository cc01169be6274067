/**
 * Splitting input into lines by hand: large chunks in, newline positions found with
 * Buffer.indexOf (native, about 1.7x faster than readline), lines handed out as (buffer, start,
 * end) so the caller decides whether to copy. A line's bytes stay exactly as read, except a final
 * CR before the LF (CRLF input), which is not part of the line.
 *
 * Line numbers count every line of the input from 1, blank ones included, so a message that
 * names line N points at what `sed -n Np` shows.
 */

/**
 * Called once per non-blank line (per non-empty line, when exact). `ascii` is true when the whole chunk holding the line was
 * ASCII (then the caller can skip the UTF-8 check and decode as latin1, which is faster).
 * Returning false stops the split: no later line of this chunk is handed out.
 */
export type OnLine = (buf: Buffer, start: number, end: number, lineNo: number, ascii: boolean) => boolean

const LF = 0x0a
const CR = 0x0d

export class LineSplitter {
  /** Number of the last line handed out or skipped as blank. */
  lineNo = 0
  /** The start of a line that earlier chunks did not finish (parts, joined once at its end). */
  private carry: Buffer[] = []
  /** Bytes of that unfinished line, to bound memory on input without newlines. */
  private carryBytes = 0
  private stopped = false

  /**
   * @param lineBytesMax a line longer than this throws LineTooLongError (memory bound).
   * @param exact every non-empty line is handed out with its bytes as read, a final CR and
   *   spaces included (`produce --text`, as kcat reads lines); else blank lines are skipped and
   *   CRLF ends accepted (JSON lines).
   */
  constructor(
    private readonly lineBytesMax: number,
    private readonly exact = false,
  ) {}

  /** Splits one chunk. Returns false when onLine stopped the split (later calls do nothing). */
  push(chunk: Buffer, ascii: boolean, onLine: OnLine): boolean {
    if (this.stopped) return false
    let start = 0
    let nl = chunk.indexOf(LF)
    if (this.carry.length > 0) {
      if (nl === -1) {
        this.appendCarry(chunk)
        return true
      }
      // The line that spans chunks: one copy, then handed out like any other.
      this.carry.push(chunk.subarray(0, nl))
      const joined = Buffer.concat(this.carry)
      this.carry = []
      this.carryBytes = 0
      if (!this.emit(joined, 0, joined.length, false, onLine)) return false
      start = nl + 1
      nl = chunk.indexOf(LF, start)
    }
    while (nl !== -1) {
      if (!this.emit(chunk, start, nl, ascii, onLine)) return false
      start = nl + 1
      nl = chunk.indexOf(LF, start)
    }
    if (start < chunk.length) this.appendCarry(chunk.subarray(start))
    return true
  }

  /** The input ended: hands out a last line that had no newline. */
  end(onLine: OnLine): boolean {
    if (this.stopped) return false
    if (this.carry.length === 0) return true
    const joined = Buffer.concat(this.carry)
    this.carry = []
    this.carryBytes = 0
    return this.emit(joined, 0, joined.length, false, onLine)
  }

  private appendCarry(part: Buffer): void {
    this.carryBytes += part.length
    if (this.carryBytes > this.lineBytesMax) throw new LineTooLongError(this.lineNo + 1, this.lineBytesMax)
    this.carry.push(part)
  }

  private emit(buf: Buffer, start: number, end: number, ascii: boolean, onLine: OnLine): boolean {
    this.lineNo++
    if (!this.exact && end > start && buf[end - 1] === CR) end--
    if (end - start > this.lineBytesMax) throw new LineTooLongError(this.lineNo, this.lineBytesMax)
    // kcat -P skips empty lines too, but sends one of spaces as those spaces.
    if (this.exact ? end === start : isBlank(buf, start, end)) return true
    if (onLine(buf, start, end, this.lineNo, ascii)) return true
    this.stopped = true
    return false
  }
}

/** True for an empty line or one of spaces and tabs only. */
function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buf[i]
    if (c !== 0x20 && c !== 0x09 && c !== CR) return false
  }
  return true
}

/** A line longer than any record could be: reported by line number, never buffered further. */
export class LineTooLongError extends Error {
  constructor(
    readonly lineNo: number,
    readonly lineBytesMax: number,
  ) {
    super(`line ${lineNo} is longer than ${lineBytesMax} bytes`)
  }
}
