/**
 * A byte-level JSON validator for the consume hot path: tells whether a value's bytes are one
 * JSON text that the envelope may embed as is, without decoding them to a string or building
 * objects (JSON.parse on every value costs more than everything else consume does per record).
 *
 * Contract: `isEmbeddableJsonBytes(buf, start, end) === true` implies that the bytes are UTF-8 and
 * that `isEmbeddableJson(text)` in ../envelope.ts holds for their text (non-empty, one JSON text,
 * no CR or LF). It may answer false for a value that is embeddable (nesting deeper than
 * DEPTH_MAX); callers then take the slow path, which decides exactly. JSON here is RFC 8259, which
 * is also what JSON.parse accepts.
 */
import { isUtf8 } from 'node:buffer'

/** Deeper values are left to JSON.parse (the slow path) rather than growing a stack here. */
const DEPTH_MAX = 64

const SPACE = 0x20
const TAB = 0x09
const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const COLON = 0x3a
const LBRACE = 0x7b
const RBRACE = 0x7d
const LBRACKET = 0x5b
const RBRACKET = 0x5d
const MINUS = 0x2d
const PLUS = 0x2b
const DOT = 0x2e
const ZERO = 0x30
const NINE = 0x39

/** Container kinds on the stack. */
const IN_OBJECT = 1
const IN_ARRAY = 2

/** What the scanner expects next. */
const VALUE = 0 // any value
const VALUE_OR_CLOSE = 1 // just after '['
const KEY_OR_CLOSE = 2 // just after '{'
const KEY = 3 // after ',' in an object
const COLON_NEXT = 4
const AFTER_VALUE = 5 // ',' or a close, or the end at top level

const stack = new Uint8Array(DEPTH_MAX)

function isHex(c: number): boolean {
  return (c >= ZERO && c <= NINE) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)
}

/** Index just past the closing quote of the string whose opening quote is at i, or -1. Sets highBit. */
let highBit = false
function scanString(buf: Uint8Array, i: number, end: number): number {
  i++
  while (i < end) {
    const c = buf[i]!
    if (c === QUOTE) return i + 1
    if (c === BACKSLASH) {
      if (i + 1 >= end) return -1
      const e = buf[i + 1]!
      if (e === 0x75 /* u */) {
        if (i + 5 >= end || !isHex(buf[i + 2]!) || !isHex(buf[i + 3]!) || !isHex(buf[i + 4]!) || !isHex(buf[i + 5]!)) return -1
        i += 6
        continue
      }
      // " \ / b f n r t
      if (e !== QUOTE && e !== BACKSLASH && e !== 0x2f && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) return -1
      i += 2
      continue
    }
    if (c < SPACE) return -1
    if (c >= 0x80) highBit = true
    i++
  }
  return -1
}

function scanDigits(buf: Uint8Array, i: number, end: number): number {
  while (i < end && buf[i]! >= ZERO && buf[i]! <= NINE) i++
  return i
}

/** Index just past the number starting at i, or -1. */
function scanNumber(buf: Uint8Array, i: number, end: number): number {
  if (buf[i] === MINUS) i++
  if (i >= end) return -1
  const first = buf[i]!
  if (first === ZERO) i++
  else if (first > ZERO && first <= NINE) i = scanDigits(buf, i + 1, end)
  else return -1
  if (i < end && buf[i] === DOT) {
    const j = scanDigits(buf, i + 1, end)
    if (j === i + 1) return -1
    i = j
  }
  if (i < end && (buf[i] === 0x65 || buf[i] === 0x45) /* e E */) {
    i++
    if (i < end && (buf[i] === PLUS || buf[i] === MINUS)) i++
    const j = scanDigits(buf, i, end)
    if (j === i) return -1
    i = j
  }
  return i
}

function scanLiteral(buf: Uint8Array, i: number, end: number, a: number, b: number, c: number, d: number, e: number): number {
  // a..d are the literal's bytes; e is its fifth byte for "false", else -1.
  const n = e < 0 ? 4 : 5
  if (i + n > end || buf[i] !== a || buf[i + 1] !== b || buf[i + 2] !== c || buf[i + 3] !== d) return -1
  if (e >= 0 && buf[i + 4] !== e) return -1
  return i + n
}

/** True when buf[start, end) is one JSON text (UTF-8, no CR/LF) that can be embedded as is. */
export function isEmbeddableJsonBytes(buf: Uint8Array, start: number, end: number): boolean {
  highBit = false
  // Whitespace around the value would be lost when the envelope is parsed back: not embeddable.
  if (end <= start || buf[start] === SPACE || buf[start] === TAB || buf[end - 1] === SPACE || buf[end - 1] === TAB) return false
  // The JSON text null is not embedded (it would read back as a tombstone): see ../envelope.ts.
  if (end - start === 4 && buf[start] === 0x6e && buf[start + 1] === 0x75 && buf[start + 2] === 0x6c && buf[start + 3] === 0x6c) return false
  let depth = 0
  let expect = VALUE
  let i = start
  for (;;) {
    // JSON whitespace minus CR and LF (a value with a line break cannot sit on one line).
    while (i < end && (buf[i] === SPACE || buf[i] === TAB)) i++
    if (i >= end) break
    const c = buf[i]!
    switch (expect) {
      case COLON_NEXT:
        if (c !== COLON) return false
        i++
        expect = VALUE
        continue
      case KEY:
      case KEY_OR_CLOSE:
        if (c === QUOTE) {
          i = scanString(buf, i, end)
          if (i < 0) return false
          expect = COLON_NEXT
          continue
        }
        if (c === RBRACE && expect === KEY_OR_CLOSE) {
          depth--
          i++
          expect = AFTER_VALUE
          continue
        }
        return false
      case AFTER_VALUE:
        if (depth === 0) return false // something after the top-level value
        if (c === COMMA) {
          i++
          expect = stack[depth - 1] === IN_OBJECT ? KEY : VALUE
          continue
        }
        if ((c === RBRACE && stack[depth - 1] === IN_OBJECT) || (c === RBRACKET && stack[depth - 1] === IN_ARRAY)) {
          depth--
          i++
          continue
        }
        return false
      default: // VALUE, VALUE_OR_CLOSE
        if (c === RBRACKET && expect === VALUE_OR_CLOSE) {
          depth--
          i++
          expect = AFTER_VALUE
          continue
        }
        if (c === LBRACE || c === LBRACKET) {
          if (depth === DEPTH_MAX) return false
          stack[depth++] = c === LBRACE ? IN_OBJECT : IN_ARRAY
          i++
          expect = c === LBRACE ? KEY_OR_CLOSE : VALUE_OR_CLOSE
          continue
        }
        if (c === QUOTE) i = scanString(buf, i, end)
        else if (c === MINUS || (c >= ZERO && c <= NINE)) i = scanNumber(buf, i, end)
        else if (c === 0x74) i = scanLiteral(buf, i, end, 0x74, 0x72, 0x75, 0x65, -1) // true
        else if (c === 0x66) i = scanLiteral(buf, i, end, 0x66, 0x61, 0x6c, 0x73, 0x65) // false
        else if (c === 0x6e) i = scanLiteral(buf, i, end, 0x6e, 0x75, 0x6c, 0x6c, -1) // null
        else return false
        if (i < 0) return false
        expect = AFTER_VALUE
        continue
    }
  }
  if (expect !== AFTER_VALUE || depth !== 0) return false
  // Bytes >= 0x80 can only be inside strings here; they must form valid UTF-8.
  return !highBit || isUtf8(buf.subarray(start, end))
}
