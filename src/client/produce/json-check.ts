/**
 * Is this line one JSON text? A validator over the bytes that allocates nothing.
 *
 * JSON.parse answers the same question but must first decode the bytes into a string and then
 * builds every object, array and string of the value only to drop them: for 100-byte lines that
 * is most of produce's own CPU time, and garbage for the collector. This scanner follows RFC 8259
 * (the grammar JSON.parse accepts) byte by byte. It does not check UTF-8 (the caller does, once
 * per chunk) and accepts any byte of 0x80 and above inside strings, as JSON.parse accepts any
 * character there.
 *
 * Callers use it as a fast path: a line it rejects goes to JSON.parse for the error message (and
 * is accepted should JSON.parse disagree); test/client/produce/json-check.test.ts compares the two
 * on generated and mutated texts.
 */

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
  SLASH = 0x2f,
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
/** Deeper nesting than this is left to JSON.parse (the caller falls back on `undefined`). */
const DEPTH_MAX = 512
const stack = new Uint8Array(DEPTH_MAX)

/** [0x22, 0x5c, 0x2f, b, f, n, r, t, u]: what may follow a backslash. */
const ESCAPABLE = new Uint8Array(256)
for (const c of '"\\/bfnrtu') ESCAPABLE[c.charCodeAt(0)] = 1
const HEX = new Uint8Array(256)
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1

function skipWs(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i]
    if (c !== C.SPACE && c !== C.TAB && c !== C.LF && c !== C.CR) break
    i++
  }
  return i
}

/** b[i] is a quote: the index after the closing quote, or -1. */
function scanString(b: Uint8Array, i: number, end: number): number {
  i++
  while (i < end) {
    const c = b[i]
    if (c === C.QUOTE) return i + 1
    if (c === C.BACKSLASH) {
      if (i + 1 >= end || ESCAPABLE[b[i + 1]] === 0) return -1
      if (b[i + 1] === 0x75 /* u */) {
        if (i + 5 >= end || !HEX[b[i + 2]] || !HEX[b[i + 3]] || !HEX[b[i + 4]] || !HEX[b[i + 5]]) return -1
        i += 6
      } else i += 2
    } else if (c < C.SPACE) return -1
    else i++
  }
  return -1
}

function scanDigits(b: Uint8Array, i: number, end: number): number {
  while (i < end && b[i] >= C.ZERO && b[i] <= C.NINE) i++
  return i
}

/** A number at b[i]: the index after it, or -1. */
function scanNumber(b: Uint8Array, i: number, end: number): number {
  if (b[i] === C.MINUS) i++
  if (i >= end) return -1
  if (b[i] === C.ZERO) i++
  else if (b[i] > C.ZERO && b[i] <= C.NINE) i = scanDigits(b, i + 1, end)
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

/** An object key and its colon at b[i] (after whitespace): the index of the value, or -1. */
function scanKey(b: Uint8Array, i: number, end: number): number {
  if (i >= end || b[i] !== C.QUOTE) return -1
  i = scanString(b, i, end)
  if (i < 0) return -1
  i = skipWs(b, i, end)
  if (i >= end || b[i] !== C.COLON) return -1
  return skipWs(b, i + 1, end)
}

/**
 * True when b[start, end) is exactly one JSON text (whitespace around it allowed), false when
 * it is not, undefined when nesting is too deep to tell here.
 */
export function isJsonText(b: Uint8Array, start: number, end: number): boolean | undefined {
  let depth = 0
  let i = skipWs(b, start, end)
  for (;;) {
    // A value starts at b[i].
    if (i >= end) return false
    const c = b[i]
    if (c === C.LBRACE || c === C.LBRACKET) {
      const close = c === C.LBRACE ? C.RBRACE : C.RBRACKET
      i = skipWs(b, i + 1, end)
      if (i < end && b[i] === close) {
        i++
      } else {
        if (depth === DEPTH_MAX) return undefined
        stack[depth++] = c === C.LBRACE ? IN_OBJECT : IN_ARRAY
        if (c === C.LBRACE) {
          i = scanKey(b, i, end)
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
      i = skipWs(b, i, end)
      if (depth === 0) return i === end
      if (i >= end) return false
      const d = b[i]
      const inObject = stack[depth - 1] === IN_OBJECT
      if (d === C.COMMA) {
        i = skipWs(b, i + 1, end)
        if (inObject) {
          i = scanKey(b, i, end)
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
