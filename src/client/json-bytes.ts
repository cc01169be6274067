/**
 * One byte-level JSON validator, for the two hot paths that must know whether bytes are one JSON
 * text without decoding them to a string or building objects (JSON.parse does both, and costs
 * more than everything else produce or consume does per record):
 * - produce: is this input line one JSON text? (`isJsonText`; the line is stored as read)
 * - consume: may the envelope embed this value as is? (`isEmbeddableJsonBytes`)
 *
 * JSON here is RFC 8259, the grammar JSON.parse accepts, scanned byte by byte with nothing
 * allocated. Nesting deeper than DEPTH_MAX is left to the callers' slow paths (JSON.parse).
 * test/client/json-bytes.test.ts compares both answers with JSON.parse on mutated texts.
 */
import { isUtf8 } from 'node:buffer'

const enum C {
  TAB = 0x09,
  LF = 0x0a,
  CR = 0x0d,
  SPACE = 0x20,
  QUOTE = 0x22,
  PLUS = 0x2b,
  COMMA = 0x2c,
  MINUS = 0x2d,
  DOT = 0x2e,
  ZERO = 0x30,
  NINE = 0x39,
  COLON = 0x3a,
  UPPER_E = 0x45,
  LBRACKET = 0x5b,
  BACKSLASH = 0x5c,
  RBRACKET = 0x5d,
  LOWER_E = 0x65,
  LBRACE = 0x7b,
  RBRACE = 0x7d,
}

const IN_OBJECT = 1
const IN_ARRAY = 2
const DEPTH_MAX = 512
const stack = new Uint8Array(DEPTH_MAX)

/** What may follow a backslash: " \ / b f n r t u. */
const ESCAPABLE = new Uint8Array(256)
for (const c of '"\\/bfnrtu') ESCAPABLE[c.charCodeAt(0)] = 1
const HEX = new Uint8Array(256)
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1

/** Set by scanString when a string holds a byte of 0x80 or above (the UTF-8 check is then needed). */
let highBit = false

/**
 * What counts as whitespace, as a table by byte: JSON's (space, tab, LF, CR) for a produce line,
 * which may hold any JSON whitespace; space and tab only for a value that consume embeds, which
 * must stay on one line.
 */
type Whitespace = Uint8Array
const JSON_WHITESPACE: Whitespace = new Uint8Array(256)
const BLANKS: Whitespace = new Uint8Array(256)
for (const c of [C.SPACE, C.TAB]) JSON_WHITESPACE[c] = BLANKS[c] = 1
for (const c of [C.LF, C.CR]) JSON_WHITESPACE[c] = 1

function skipWs(b: Uint8Array, i: number, end: number, ws: Whitespace): number {
  while (i < end) {
    const c = b[i]!
    // Most bytes after which whitespace may come are not whitespace: one comparison says so.
    if (c > C.SPACE || ws[c] !== 1) break
    i++
  }
  return i
}

/** b[i] is a quote: the index after the closing quote, or -1. */
function scanString(b: Uint8Array, i: number, end: number): number {
  i++
  while (i < end) {
    const c = b[i]!
    if (c === C.QUOTE) return i + 1
    if (c === C.BACKSLASH) {
      if (i + 1 >= end || ESCAPABLE[b[i + 1]!] === 0) return -1
      if (b[i + 1] === 0x75 /* u */) {
        if (i + 5 >= end || !HEX[b[i + 2]!] || !HEX[b[i + 3]!] || !HEX[b[i + 4]!] || !HEX[b[i + 5]!]) return -1
        i += 6
      } else i += 2
    } else if (c < C.SPACE) return -1
    else {
      if (c >= 0x80) highBit = true
      i++
    }
  }
  return -1
}

function scanDigits(b: Uint8Array, i: number, end: number): number {
  while (i < end && b[i]! >= C.ZERO && b[i]! <= C.NINE) i++
  return i
}

/** A number at b[i]: the index after it, or -1. */
function scanNumber(b: Uint8Array, i: number, end: number): number {
  if (b[i] === C.MINUS) i++
  if (i >= end) return -1
  if (b[i] === C.ZERO) i++
  else if (b[i]! > C.ZERO && b[i]! <= C.NINE) i = scanDigits(b, i + 1, end)
  else return -1
  if (i < end && b[i] === C.DOT) {
    const j = scanDigits(b, i + 1, end)
    if (j === i + 1) return -1
    i = j
  }
  if (i < end && (b[i] === C.LOWER_E || b[i] === C.UPPER_E)) {
    i++
    if (i < end && (b[i] === C.PLUS || b[i] === C.MINUS)) i++
    const j = scanDigits(b, i, end)
    if (j === i) return -1
    i = j
  }
  return i
}

function scanLiteral(b: Uint8Array, i: number, end: number, word: string): number {
  if (i + word.length > end) return -1
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word.charCodeAt(k)) return -1
  return i + word.length
}

/** An object key and its colon at b[i]: the index of the value (after whitespace), or -1. */
function scanKey(b: Uint8Array, i: number, end: number, ws: Whitespace): number {
  if (i >= end || b[i] !== C.QUOTE) return -1
  i = scanString(b, i, end)
  if (i < 0) return -1
  i = skipWs(b, i, end, ws)
  if (i >= end || b[i] !== C.COLON) return -1
  return skipWs(b, i + 1, end, ws)
}

/** One JSON text in b[start, end), whitespace around it allowed: true, false, or undefined when nested too deep to tell. */
function scanText(b: Uint8Array, start: number, end: number, ws: Whitespace): boolean | undefined {
  highBit = false
  let depth = 0
  let i = skipWs(b, start, end, ws)
  for (;;) {
    // A value starts at b[i].
    if (i >= end) return false
    const c = b[i]
    if (c === C.LBRACE || c === C.LBRACKET) {
      const close = c === C.LBRACE ? C.RBRACE : C.RBRACKET
      i = skipWs(b, i + 1, end, ws)
      if (i < end && b[i] === close) {
        i++
      } else {
        if (depth === DEPTH_MAX) return undefined
        stack[depth++] = c === C.LBRACE ? IN_OBJECT : IN_ARRAY
        if (c === C.LBRACE) {
          i = scanKey(b, i, end, ws)
          if (i < 0) return false
        }
        continue
      }
    } else if (c === C.QUOTE) i = scanString(b, i, end)
    else if (c === 0x74 /* t */) i = scanLiteral(b, i, end, 'true')
    else if (c === 0x66 /* f */) i = scanLiteral(b, i, end, 'false')
    else if (c === 0x6e /* n */) i = scanLiteral(b, i, end, 'null')
    else i = scanNumber(b, i, end)
    if (i < 0) return false

    // After a value: a comma, a closing bracket, or the end.
    for (;;) {
      i = skipWs(b, i, end, ws)
      if (depth === 0) return i === end
      if (i >= end) return false
      const d = b[i]
      const inObject = stack[depth - 1] === IN_OBJECT
      if (d === C.COMMA) {
        i = skipWs(b, i + 1, end, ws)
        if (inObject) {
          i = scanKey(b, i, end, ws)
          if (i < 0) return false
        }
        break
      }
      if (d !== (inObject ? C.RBRACE : C.RBRACKET)) return false
      depth--
      i++
    }
  }
}

/**
 * Produce: true when b[start, end) is exactly one JSON text (any JSON whitespace around it),
 * false when it is not, undefined when nesting is too deep to tell here. It does not check UTF-8
 * (the caller does, once per chunk) and accepts any byte of 0x80 and above inside strings, as
 * JSON.parse accepts any character there.
 */
export function isJsonText(b: Uint8Array, start: number, end: number): boolean | undefined {
  return scanText(b, start, end, JSON_WHITESPACE)
}

/**
 * Consume: true when buf[start, end) is one JSON text that the envelope may embed as is.
 * Contract: true implies that the bytes are UTF-8 and that `isEmbeddableJson(text)` in
 * envelope.ts holds for their text (non-empty, one JSON text, no CR or LF, no whitespace around
 * it, not the text `null`). It may answer false for an embeddable value nested deeper than
 * DEPTH_MAX; callers then take the slow path, which decides exactly.
 */
export function isEmbeddableJsonBytes(buf: Uint8Array, start: number, end: number): boolean {
  // Whitespace around the value would be lost when the envelope is parsed back: not embeddable.
  if (end <= start || buf[start] === C.SPACE || buf[start] === C.TAB || buf[end - 1] === C.SPACE || buf[end - 1] === C.TAB) return false
  // The JSON text null is not embedded (it would read back as a tombstone): see envelope.ts.
  if (end - start === 4 && buf[start] === 0x6e && buf[start + 1] === 0x75 && buf[start + 2] === 0x6c && buf[start + 3] === 0x6c) return false
  if (scanText(buf, start, end, BLANKS) !== true) return false
  // Bytes >= 0x80 can only be inside strings here; they must form valid UTF-8.
  return !highBit || isUtf8(buf.subarray(start, end))
}
