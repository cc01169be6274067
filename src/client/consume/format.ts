/**
 * Output formats of `sluice consume`: how one record becomes bytes on stdout.
 *
 *   json      the envelope (../envelope.ts), one line per record (and per marker with --show-control)
 *   value     the value's bytes and a newline (a null value is an empty line)
 *   key       the key's bytes and a newline (a null key is an empty line)
 *   raw       the value's bytes exactly, nothing added between records
 *   template  any text with {fields} (see TEMPLATE_FIELDS), a newline added after each record
 *
 * With `binary`, keys, values and header values that are not UTF-8 are written as base64 (json
 * marks them with keyEncoding/valueEncoding/headerEncoding). In `raw`, bytes are always as stored.
 *
 * The json format has a fast path for the common record (key null or plain ASCII, value one JSON
 * text, no headers) that writes the same bytes as encodeEnvelope() without building strings:
 * test/client/consume/format.test.ts checks that both agree. Every other record goes through
 * encodeEnvelope() itself, so the envelope has one definition.
 */
import { isUtf8 } from 'node:buffer'
import { SluiceError } from '../../common/errors.js'
import { encodeControlEnvelope, encodeEnvelope, topLevelSpans } from '../envelope.js'
import type { MarkerView } from './batches.js'
import { keyOf, readHeaders, valueOf, type RecordView } from './record-view.js'
import { isEmbeddableJsonBytes } from '../json-bytes.js'
import { fragment, type OutputWriter } from './output.js'

export interface RecordFormatter {
  /** Writes one record of `partition`. */
  write(r: RecordView, partition: number, out: OutputWriter): void
  /** Writes one transaction marker (--show-control); only the json format has a form for them. */
  writeMarker?(m: MarkerView, partition: number, out: OutputWriter): void
  /** True once some bytes were not UTF-8 and were shown with U+FFFD (json without --binary). */
  readonly lossy: boolean
}

export const FORMAT_NAMES = ['json', 'value', 'key', 'raw'] as const

export const TEMPLATE_FIELDS = ['topic', 'partition', 'offset', 'timestamp', 'time', 'key', 'value', 'keySize', 'valueSize', 'headers', 'headers.NAME'] as const

const NEWLINE = 0x0a
const TIMESTAMP = fragment(',"timestamp":')
const KEY_NULL = fragment(',"key":null')
const KEY_OPEN = fragment(',"key":"')
const VALUE_NULL = fragment(',"value":null')
const VALUE = fragment(',"value":')
const HEADERS_NONE_END = fragment(',"headers":{}}\n')

/** True when the bytes are printable ASCII without `"` or `\`: JSON.stringify would only add quotes. */
function isPlainAscii(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buf[i]!
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false
  }
  return true
}

class JsonFormatter implements RecordFormatter {
  lossy = false
  private readonly prefixes = new Map<number, Buffer>()

  constructor(
    private readonly topic: string,
    private readonly binary: boolean,
  ) {}

  /** `{"topic":"t","partition":p,"offset":` for a partition, made once. */
  private prefix(partition: number): Buffer {
    let p = this.prefixes.get(partition)
    if (p === undefined) {
      p = Buffer.from(`{"topic":${JSON.stringify(this.topic)},"partition":${partition},"offset":`)
      this.prefixes.set(partition, p)
    }
    return p
  }

  write(r: RecordView, partition: number, out: OutputWriter): void {
    const buf = r.buf
    const fast =
      r.headerCount === 0 &&
      (r.keyLength < 0 || isPlainAscii(buf, r.keyStart, r.keyStart + r.keyLength)) &&
      (r.valueLength < 0 || isEmbeddableJsonBytes(buf, r.valueStart, r.valueStart + r.valueLength))
    if (!fast) {
      this.writeSlow(r, partition, out)
      return
    }
    const prefix = this.prefix(partition)
    out.bytes(prefix, 0, prefix.length)
    out.int(r.offset)
    out.fragment(TIMESTAMP)
    out.timestamp(r.timestamp)
    if (r.keyLength < 0) out.fragment(KEY_NULL)
    else {
      out.fragment(KEY_OPEN)
      out.bytes(buf, r.keyStart, r.keyStart + r.keyLength)
      out.byte(0x22)
    }
    if (r.valueLength < 0) out.fragment(VALUE_NULL)
    else {
      out.fragment(VALUE)
      out.bytes(buf, r.valueStart, r.valueStart + r.valueLength)
    }
    out.fragment(HEADERS_NONE_END)
  }

  writeMarker(m: MarkerView, partition: number, out: OutputWriter): void {
    const { offset, type: control, producerId, producerEpoch, timestamp } = m
    out.utf8(encodeControlEnvelope({ topic: this.topic, partition, offset, control, producerId, producerEpoch, timestamp }))
    out.byte(NEWLINE)
  }

  private writeSlow(r: RecordView, partition: number, out: OutputWriter): void {
    const encoded = encodeEnvelope(
      {
        topic: this.topic,
        partition,
        offset: r.offset,
        timestamp: r.timestamp,
        key: keyOf(r),
        value: valueOf(r),
        headers: r.headerCount === 0 ? [] : readHeaders(r),
      },
      { binary: this.binary },
    )
    if (encoded.lossy) this.lossy = true
    out.utf8(encoded.line)
    out.byte(NEWLINE)
  }
}

/** Bytes as text: as stored, or base64 when `binary` and they are not UTF-8. */
function writeText(out: OutputWriter, buf: Buffer, start: number, length: number, binary: boolean): void {
  if (length <= 0) return
  const end = start + length
  if (binary && !isUtf8(buf.subarray(start, end))) out.ascii(buf.toString('base64', start, end))
  else out.bytes(buf, start, end)
}

class FieldFormatter implements RecordFormatter {
  readonly lossy = false
  constructor(
    private readonly field: 'key' | 'value' | 'raw',
    private readonly binary: boolean,
  ) {}

  write(r: RecordView, _partition: number, out: OutputWriter): void {
    if (this.field === 'key') {
      writeText(out, r.buf, r.keyStart, r.keyLength, this.binary)
      out.byte(NEWLINE)
    } else if (this.field === 'value') {
      writeText(out, r.buf, r.valueStart, r.valueLength, this.binary)
      out.byte(NEWLINE)
    } else if (r.valueLength > 0) {
      out.bytes(r.buf, r.valueStart, r.valueStart + r.valueLength)
    }
  }
}

type TemplatePart =
  | { kind: 'text'; bytes: Buffer }
  | { kind: 'field'; field: 'topic' | 'partition' | 'offset' | 'timestamp' | 'time' | 'key' | 'value' | 'keySize' | 'valueSize' | 'headers' }
  | { kind: 'header'; name: string }

/** Splits a template into literal text and fields. `\n`, `\t`, `\\`, `{{` and `}}` are escapes. */
export function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = []
  let text = ''
  const pushText = (): void => {
    if (text !== '') parts.push({ kind: 'text', bytes: Buffer.from(text) })
    text = ''
  }
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!
    const next = template[i + 1]
    if (c === '\\' && (next === 'n' || next === 't' || next === '\\')) {
      text += next === 'n' ? '\n' : next === 't' ? '\t' : '\\'
      i++
    } else if ((c === '{' && next === '{') || (c === '}' && next === '}')) {
      text += c
      i++
    } else if (c === '{') {
      const close = template.indexOf('}', i)
      if (close < 0) throw new SluiceError('USAGE', `--format: "{" at column ${i + 1} is not closed (write {{ for a literal brace)`)
      const name = template.slice(i + 1, close)
      pushText()
      if (name.startsWith('headers.') && name.length > 'headers.'.length) parts.push({ kind: 'header', name: name.slice('headers.'.length) })
      else if ((TEMPLATE_FIELDS as readonly string[]).includes(name) && name !== 'headers.NAME') {
        parts.push({ kind: 'field', field: name as Extract<TemplatePart, { kind: 'field' }>['field'] })
      } else {
        throw new SluiceError('USAGE', `--format: unknown field {${name}}; fields are ${TEMPLATE_FIELDS.map((f) => `{${f}}`).join(' ')}`)
      }
      i = close
    } else if (c === '}') {
      throw new SluiceError('USAGE', `--format: "}" at column ${i + 1} has no "{" (write }} for a literal brace)`)
    } else {
      text += c
    }
  }
  pushText()
  return parts
}

class TemplateFormatter implements RecordFormatter {
  readonly lossy = false
  private readonly topicBytes: Buffer

  constructor(
    private readonly parts: TemplatePart[],
    topic: string,
    private readonly binary: boolean,
  ) {
    this.topicBytes = Buffer.from(topic)
  }

  write(r: RecordView, partition: number, out: OutputWriter): void {
    let headers: [string, Buffer | null][] | undefined
    for (const part of this.parts) {
      if (part.kind === 'text') {
        out.bytes(part.bytes, 0, part.bytes.length)
        continue
      }
      if (part.kind === 'header') {
        headers ??= r.headerCount === 0 ? [] : readHeaders(r)
        // The last header of that name, as Kafka's Headers.lastHeader() answers.
        const found = headers.findLast(([name]) => name === part.name)
        const v = found?.[1]
        if (v) writeText(out, v, 0, v.length, this.binary)
        continue
      }
      switch (part.field) {
        case 'topic':
          out.bytes(this.topicBytes, 0, this.topicBytes.length)
          break
        case 'partition':
          out.int(partition)
          break
        case 'offset':
          out.int(r.offset)
          break
        case 'timestamp':
          out.int(r.timestamp)
          break
        case 'time':
          out.ascii(Number.isFinite(r.timestamp) && r.timestamp >= 0 ? new Date(r.timestamp).toISOString() : '')
          break
        case 'key':
          writeText(out, r.buf, r.keyStart, r.keyLength, this.binary)
          break
        case 'value':
          writeText(out, r.buf, r.valueStart, r.valueLength, this.binary)
          break
        // kcat's %K and %S: -1 for none, so a null key or value (a tombstone) shows apart from an empty one.
        case 'keySize':
          out.int(r.keyLength < 0 ? -1 : r.keyLength)
          break
        case 'valueSize':
          out.int(r.valueLength < 0 ? -1 : r.valueLength)
          break
        case 'headers': {
          headers ??= r.headerCount === 0 ? [] : readHeaders(r)
          out.utf8(headersJson(headers, this.binary))
          break
        }
      }
    }
    out.byte(NEWLINE)
  }
}

/** The headers exactly as the envelope writes them (object, or pairs when a name repeats). */
function headersJson(headers: [string, Buffer | null][], binary: boolean): string {
  const line = encodeEnvelope({ topic: '', partition: 0, offset: 0, timestamp: 0, key: null, value: null, headers }, { binary }).line
  const span = topLevelSpans(line).get('headers')!
  return line.slice(span[0], span[1])
}

/** Throws the usage error createFormatter would, without a topic (for checks before connecting). */
export function validateFormat(format: string): void {
  createFormatter(format, '', false)
}

/** The formatter for a --format value: a format name, or a template when it holds a `{`. */
export function createFormatter(format: string, topic: string, binary: boolean): RecordFormatter {
  switch (format) {
    case 'json':
      return new JsonFormatter(topic, binary)
    case 'value':
    case 'key':
    case 'raw':
      return new FieldFormatter(format, binary)
  }
  if (format.includes('{')) return new TemplateFormatter(parseTemplate(format), topic, binary)
  throw new SluiceError('USAGE', `--format must be json, value, key, raw or a template with {fields}, not "${format}"`)
}
