/**
 * The consume envelope: one JSON line per record, which `produce --envelope` accepts back
 * unchanged, so `consume A --exit | produce B --envelope` copies a topic byte for byte.
 *
 *   {"topic":"orders","partition":0,"offset":42,"timestamp":1795460244909,
 *    "key":"cust-1","value":{"id":1},"headers":{"trace":"abc"}}
 *
 * - value: a value whose bytes are one JSON text (on one line) is embedded as is, byte for byte
 *   (never re-serialized). Anything else is a JSON string with "valueEncoding":"string" (UTF-8
 *   text that is not JSON, or has a line break) or "valueEncoding":"base64" (not UTF-8, with
 *   --binary). null is a null value (a tombstone); an empty value is "" with "valueEncoding":"string";
 *   the four bytes `null` (the JSON text null) are "null" with "valueEncoding":"string", so that
 *   they never read back as a tombstone.
 * - key: null, or the key's UTF-8 text as a JSON string; "keyEncoding":"base64" when it is not
 *   UTF-8 (with --binary).
 * - headers: an object of name -> UTF-8 value (or null); an array of [name, value] pairs when a
 *   name repeats (order kept); "headerEncoding":"base64" when header values are base64 (--binary).
 * - timestamp: milliseconds since the epoch (the record's timestamp).
 * Without --binary, bytes that are not UTF-8 are shown with U+FFFD replacements (lossy) and the
 * caller is told (`lossy` in the result), so it can warn once.
 *
 * Transaction markers are not records and are never written, unless asked (`consume
 * --show-control`): then each is a line of its own, told apart by its "control" field and
 * without key, value or headers:
 *
 *   {"topic":"orders","partition":0,"offset":7,"control":"commit","producerId":4000,
 *    "producerEpoch":0,"timestamp":1795460244909}
 *
 * `produce --envelope` refuses such a line (it is not a record to write).
 */
import { isUtf8 } from 'node:buffer'

export interface EnvelopeRecord {
  topic: string
  partition: number
  offset: number
  timestamp: number
  key: Buffer | null
  value: Buffer | null
  headers: readonly (readonly [string, Buffer | null])[]
}

export type Encoding = 'json' | 'string' | 'base64'

/** A transaction marker as consume --show-control writes it (see the module comment). */
export interface ControlEnvelope {
  topic: string
  partition: number
  offset: number
  control: 'commit' | 'abort'
  producerId: number
  producerEpoch: number
  timestamp: number
}

/** One marker line, without its newline. */
export function encodeControlEnvelope(m: ControlEnvelope): string {
  return `{"topic":${JSON.stringify(m.topic)},"partition":${m.partition},"offset":${m.offset},"control":"${m.control}","producerId":${m.producerId},"producerEpoch":${m.producerEpoch},"timestamp":${m.timestamp}}`
}

export interface EncodedEnvelope {
  line: string
  /** True when some bytes were not UTF-8 and were replaced (only without `binary`). */
  lossy: boolean
}

/** True when `text` is a single JSON text that can sit inside a JSON line as is. */
export function isEmbeddableJson(text: string): boolean {
  // Whitespace around the value would be lost when the envelope is parsed back.
  if (text.length === 0 || text.includes('\n') || text.includes('\r') || text !== text.trim()) return false
  // Embedded, the JSON text null would read back as a tombstone: it goes as the string "null".
  if (text === 'null') return false
  // Cheap rejections before JSON.parse: a JSON text starts with one of these (after whitespace).
  const c = text.trimStart().charCodeAt(0)
  const plausible =
    c === 0x7b /* { */ || c === 0x5b /* [ */ || c === 0x22 /* " */ || c === 0x2d /* - */ ||
    (c >= 0x30 && c <= 0x39) || c === 0x74 /* t */ || c === 0x66 /* f */ || c === 0x6e /* n */
  if (!plausible) return false
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

function text(bytes: Buffer, binary: boolean): { json: string; encoding: 'string' | 'base64'; lossy: boolean } {
  if (isUtf8(bytes)) return { json: JSON.stringify(bytes.toString('utf8')), encoding: 'string', lossy: false }
  if (binary) return { json: JSON.stringify(bytes.toString('base64')), encoding: 'base64', lossy: false }
  return { json: JSON.stringify(bytes.toString('utf8')), encoding: 'string', lossy: true }
}

export function encodeEnvelope(r: EnvelopeRecord, opts: { binary?: boolean } = {}): EncodedEnvelope {
  const binary = opts.binary === true
  let lossy = false
  let out = `{"topic":${JSON.stringify(r.topic)},"partition":${r.partition},"offset":${r.offset},"timestamp":${r.timestamp}`

  let keyEncoding: Encoding | null = null
  if (r.key === null) {
    out += ',"key":null'
  } else {
    const k = text(r.key, binary)
    lossy ||= k.lossy
    if (k.encoding === 'base64') keyEncoding = 'base64'
    out += `,"key":${k.json}`
  }

  let valueEncoding: Encoding | null = null
  if (r.value === null) {
    out += ',"value":null'
  } else {
    const utf8 = isUtf8(r.value)
    const asText = utf8 ? r.value.toString('utf8') : ''
    if (utf8 && isEmbeddableJson(asText)) {
      out += `,"value":${asText}`
    } else {
      const v = text(r.value, binary)
      lossy ||= v.lossy
      valueEncoding = v.encoding
      out += `,"value":${v.json}`
    }
  }

  let headerEncoding: Encoding | null = null
  const names = new Set<string>()
  let repeated = false
  for (const [name] of r.headers) {
    if (names.has(name)) repeated = true
    names.add(name)
  }
  const headerBinary = binary && r.headers.some(([, v]) => v !== null && !isUtf8(v))
  if (headerBinary) headerEncoding = 'base64'
  const headerValue = (v: Buffer | null): string => {
    if (v === null) return 'null'
    if (headerBinary) return JSON.stringify(v.toString('base64'))
    const t = text(v, false)
    lossy ||= t.lossy
    return t.json
  }
  if (repeated) {
    out += `,"headers":[${r.headers.map(([n, v]) => `[${JSON.stringify(n)},${headerValue(v)}]`).join(',')}]`
  } else {
    out += `,"headers":{${r.headers.map(([n, v]) => `${JSON.stringify(n)}:${headerValue(v)}`).join(',')}}`
  }

  if (keyEncoding) out += `,"keyEncoding":"${keyEncoding}"`
  if (valueEncoding) out += `,"valueEncoding":"${valueEncoding}"`
  if (headerEncoding) out += `,"headerEncoding":"${headerEncoding}"`
  return { line: out + '}', lossy }
}

/** What `produce --envelope` takes from a line. Fields the line does not have are undefined. */
export interface ParsedEnvelope {
  key: Buffer | null
  value: Buffer | null
  headers: [string, Buffer | null][]
  partition?: number
  timestamp?: number
}

export class EnvelopeError extends Error {}

/**
 * The raw text spans of the top-level members of a JSON object line (which must already be known
 * to be valid JSON): name -> [start, end). Lets an embedded JSON value be stored byte for byte.
 */
export function topLevelSpans(line: string): Map<string, [number, number]> {
  const spans = new Map<string, [number, number]>()
  let i = line.indexOf('{') + 1
  const n = line.length
  const skipWs = (): void => {
    while (i < n && (line[i] === ' ' || line[i] === '\t' || line[i] === '\n' || line[i] === '\r')) i++
  }
  const skipString = (): void => {
    i++ // opening quote
    while (i < n) {
      const c = line.charCodeAt(i)
      if (c === 0x5c /* \ */) i += 2
      else if (c === 0x22 /* " */) {
        i++
        return
      } else i++
    }
  }
  const skipValue = (): void => {
    const c = line[i]
    if (c === '"') return skipString()
    if (c === '{' || c === '[') {
      let depth = 0
      while (i < n) {
        const d = line[i]
        if (d === '"') {
          skipString()
          continue
        }
        if (d === '{' || d === '[') depth++
        else if (d === '}' || d === ']') {
          depth--
          if (depth === 0) {
            i++
            return
          }
        }
        i++
      }
      return
    }
    while (i < n && line[i] !== ',' && line[i] !== '}' && line[i] !== ' ' && line[i] !== '\t' && line[i] !== '\n' && line[i] !== '\r') i++
  }
  for (;;) {
    skipWs()
    if (i >= n || line[i] === '}') break
    const keyStart = i
    skipString()
    const name = JSON.parse(line.slice(keyStart, i)) as string
    skipWs()
    i++ // colon
    skipWs()
    const start = i
    skipValue()
    spans.set(name, [start, i])
    skipWs()
    if (line[i] === ',') i++
  }
  return spans
}

function decodeBytes(v: unknown, encoding: unknown, what: string): Buffer | null {
  if (v === null) return null
  if (encoding === 'base64') {
    if (typeof v !== 'string') throw new EnvelopeError(`${what} must be a base64 string when ${what}Encoding is "base64"`)
    return Buffer.from(v, 'base64')
  }
  if (typeof v !== 'string') throw new EnvelopeError(`${what} must be a string or null`)
  return Buffer.from(v, 'utf8')
}

/** Parses one envelope line. Throws EnvelopeError (or SyntaxError for bad JSON) with what is wrong. */
export function parseEnvelope(line: string): ParsedEnvelope {
  const obj = JSON.parse(line) as unknown
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new EnvelopeError('an envelope line must be a JSON object')
  const o = obj as Record<string, unknown>
  if ('control' in o) throw new EnvelopeError('a "control" line is a transaction marker, not a record (consume without --show-control to copy a topic)')
  if (!('value' in o)) throw new EnvelopeError('the envelope has no "value" (use null for a tombstone)')
  for (const enc of ['keyEncoding', 'valueEncoding', 'headerEncoding'] as const) {
    const e = o[enc]
    if (e !== undefined && e !== 'json' && e !== 'string' && e !== 'base64') {
      throw new EnvelopeError(`${enc} must be "json", "string" or "base64", not ${JSON.stringify(e)}`)
    }
  }

  let value: Buffer | null
  const valueEncoding = o.valueEncoding ?? 'json'
  // null is a tombstone, as older sluice wrote it; only an explicit "valueEncoding":"json" makes
  // it the four bytes `null` (the text this sluice writes as "null" with "valueEncoding":"string").
  if (o.value === null) value = o.valueEncoding === 'json' ? Buffer.from('null') : null
  else if (valueEncoding === 'json') {
    const span = topLevelSpans(line).get('value')!
    value = Buffer.from(line.slice(span[0], span[1]), 'utf8')
  } else value = decodeBytes(o.value, valueEncoding, 'value')

  const key = o.key === undefined ? null : decodeBytes(o.key, o.keyEncoding, 'key')

  const headers: [string, Buffer | null][] = []
  const h = o.headers
  const headerValue = (name: string, v: unknown): Buffer | null => {
    if (v === null) return null
    if (typeof v !== 'string') throw new EnvelopeError(`header "${name}" must have a string or null value`)
    return Buffer.from(v, o.headerEncoding === 'base64' ? 'base64' : 'utf8')
  }
  if (Array.isArray(h)) {
    for (const pair of h) {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string') {
        throw new EnvelopeError('headers as an array must hold [name, value] pairs')
      }
      headers.push([pair[0], headerValue(pair[0], pair[1])])
    }
  } else if (typeof h === 'object' && h !== null) {
    for (const [name, v] of Object.entries(h)) headers.push([name, headerValue(name, v)])
  } else if (h !== undefined && h !== null) {
    throw new EnvelopeError('headers must be an object or an array of [name, value] pairs')
  }

  const out: ParsedEnvelope = { key, value, headers }
  if (o.partition !== undefined && o.partition !== null) {
    if (!Number.isInteger(o.partition) || (o.partition as number) < 0) throw new EnvelopeError('partition must be a non-negative integer')
    out.partition = o.partition as number
  }
  if (o.timestamp !== undefined && o.timestamp !== null) {
    if (typeof o.timestamp === 'number' && Number.isInteger(o.timestamp)) out.timestamp = o.timestamp
    else if (typeof o.timestamp === 'string' && !Number.isNaN(Date.parse(o.timestamp))) out.timestamp = Date.parse(o.timestamp)
    else throw new EnvelopeError('timestamp must be milliseconds since the epoch or an ISO-8601 time')
  }
  return out
}
