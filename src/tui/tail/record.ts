/**
 * A record kept by `sluice tail`: its bytes copied out of the fetch response (a RecordView is
 * valid only during its visit), and its text made lazily, once, when a row or the detail needs it.
 * Counting needs none of this: only records that may still be shown are copied.
 */
import { isUtf8 } from 'node:buffer'
import { keyOf, readHeaders, valueOf, type RecordView } from '../../client/consume/record-view.js'
import type { EnvelopeRecord } from '../../client/envelope.js'
import type { FilterRecord } from '../../client/replay/filter.js'

/** The envelope's fields (as `sluice consume` writes them), and lazy caches of their text. */
export interface TailRecord extends EnvelopeRecord {
  /** Lazy caches (see keyText, valueText, parsedValue). */
  keyText?: string
  valueText?: string
  parsed?: { value: unknown }
}

const NO_HEADERS: [string, Buffer | null][] = []

/** Copies the record out of the view (the view's buffer is reused once the visit returns). */
export function copyRecord(topic: string, r: RecordView, partition: number): TailRecord {
  const key = keyOf(r)
  const value = valueOf(r)
  let headers = NO_HEADERS
  if (r.headerCount > 0) headers = readHeaders(r).map(([name, v]) => [name, v === null ? null : Buffer.from(v)])
  return {
    topic,
    partition,
    offset: r.offset,
    timestamp: r.timestamp,
    key: key === null ? null : Buffer.from(key),
    value: value === null ? null : Buffer.from(value),
    headers,
  }
}

/** Bytes as text: UTF-8, or base64 with `binary` when they are not UTF-8. */
function bytesText(bytes: Buffer, binary: boolean): string {
  return binary && !isUtf8(bytes) ? bytes.toString('base64') : bytes.toString('utf8')
}

/** The key as shown in a row ("" for a null key). */
export function keyText(rec: TailRecord, binary = false): string {
  if (rec.keyText === undefined) rec.keyText = rec.key === null ? '' : bytesText(rec.key, binary)
  return rec.keyText
}

/** The value as shown in a row: its text as stored ("null" for a tombstone). */
export function valueText(rec: TailRecord, binary = false): string {
  if (rec.valueText === undefined) rec.valueText = rec.value === null ? 'null' : bytesText(rec.value, binary)
  return rec.valueText
}

/** The value parsed as JSON when it is JSON, else its UTF-8 text (as `replay --filter` sees it); null for a null value. Parsed once. */
export function parsedValue(rec: TailRecord): unknown {
  if (rec.parsed === undefined) {
    let value: unknown = null
    if (rec.value !== null) {
      const text = rec.value.toString('utf8')
      try {
        value = JSON.parse(text)
      } catch {
        value = text
      }
    }
    rec.parsed = { value }
  }
  return rec.parsed.value
}

/** The record as `--filter` sees it: the same fields as `replay --filter`. */
export function filterView(rec: TailRecord): FilterRecord {
  const headers: Record<string, string | null> = {}
  for (const [name, v] of rec.headers) headers[name] = v === null ? null : v.toString('utf8')
  return {
    topic: rec.topic,
    partition: rec.partition,
    offset: rec.offset,
    timestamp: rec.timestamp,
    key: rec.key === null ? null : rec.key.toString('utf8'),
    value: parsedValue(rec),
    headers,
  }
}

/** The whole record for the detail view: the envelope's fields, the value pretty when JSON. */
export function detailJson(rec: TailRecord, binary = false): string {
  const headers: Record<string, string | null> = {}
  for (const [name, v] of rec.headers) headers[name] = v === null ? null : bytesText(v, binary)
  const time = Number.isFinite(rec.timestamp) && rec.timestamp >= 0 ? new Date(rec.timestamp).toISOString() : null
  const envelope = {
    topic: rec.topic,
    partition: rec.partition,
    offset: rec.offset,
    timestamp: rec.timestamp,
    time,
    key: rec.key === null ? null : bytesText(rec.key, binary),
    // With --binary, bytes that are not UTF-8 (hence not JSON) show as base64.
    value: binary && rec.value !== null && !isUtf8(rec.value) ? rec.value.toString('base64') : parsedValue(rec),
    headers,
  }
  return JSON.stringify(envelope, null, 2)
}
