import { describe, expect, it } from 'vitest'
import { SluiceError } from '../../../src/common/errors.js'
import { encodeEnvelope } from '../../../src/client/envelope.js'
import { createFormatter, parseTemplate } from '../../../src/client/consume/format.js'
import type { RecordInput } from '../../../src/protocol/record-batch.js'
import { batch, formatAll } from './helpers.js'

const TS = 1795460244909

function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** What encodeEnvelope writes for the same records: the definition the fast path must match. */
function expectedLines(topic: string, partition: number, baseOffset: number, records: RecordInput[], binary: boolean): string {
  const toBuf = (b: Buffer | string | null | undefined): Buffer | null => (b === null || b === undefined ? null : Buffer.from(b))
  return records
    .map(
      (r, i) =>
        encodeEnvelope(
          {
            topic,
            partition,
            offset: baseOffset + i,
            timestamp: TS + (r.timestampDelta ?? 0),
            key: toBuf(r.key),
            value: toBuf(r.value),
            headers: (r.headers ?? []).map((h) => [h.key, toBuf(h.value)] as const),
          },
          { binary },
        ).line + '\n',
    )
    .join('')
}

const SAMPLES: (string | Buffer | null)[] = [
  null, '', '{"a":1}', ' {"a" : [1, 2.50, "é"]} ', '12', '-0.5e3', '"str"', 'true', 'null', 'plain text', '{"a":\n1}',
  '{"bad":', 'tab\there', 'quote " and \\', '日本語', Buffer.from([0xff, 0xfe, 0x00]), Buffer.from([0x7b, 0x22, 0xc3, 0x22, 0x7d]),
  '[' + '1,'.repeat(1000) + '1]', '\u0001control', 'emoji 😀',
]

describe('client/consume/format json', () => {
  it('writes exactly what encodeEnvelope writes, fast path or not (seeded random records)', () => {
    const random = rng(42)
    const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)]!
    for (const binary of [false, true]) {
      for (let round = 0; round < 30; round++) {
        const records: RecordInput[] = Array.from({ length: 40 }, () => ({
          key: random() < 0.3 ? null : pick(SAMPLES.filter((s) => s !== null)),
          value: pick(SAMPLES),
          timestampDelta: Math.floor(random() * 3),
          headers: random() < 0.8 ? [] : [{ key: 'h', value: pick(SAMPLES) }, ...(random() < 0.5 ? [{ key: 'h', value: 'again' }] : [])],
        }))
        const baseOffset = Math.floor(random() * 1e12)
        const out = formatAll(createFormatter('json', 'topic "q"', binary), batch({ baseOffset, baseTimestamp: TS, records }), 7, 0, 1024)
        expect(out.toString('utf8')).toBe(expectedLines('topic "q"', 7, baseOffset, records, binary))
      }
    }
  })

  it('embeds JSON values byte for byte and reports lossy text without --binary', () => {
    const raw = '{"b": 1,  "a":[1.50, 1e3, "x"], "n":12345678901234567890}'
    const f = createFormatter('json', 't', false)
    const out = formatAll(f, batch({ baseOffset: 3, baseTimestamp: TS, records: [{ key: 'k', value: raw }] }))
    expect(out.toString()).toBe(`{"topic":"t","partition":0,"offset":3,"timestamp":${TS},"key":"k","value":${raw},"headers":{}}\n`)
    expect(f.lossy).toBe(false)
    formatAll(f, batch({ records: [{ value: Buffer.from([0xff]) }] }))
    expect(f.lossy).toBe(true)
  })

  it('writes negative timestamps (records without one) as numbers', () => {
    const out = formatAll(createFormatter('json', 't', false), batch({ baseTimestamp: -1, records: [{ value: '1' }] }))
    expect(JSON.parse(out.toString())).toMatchObject({ timestamp: -1, value: 1 })
  })
})

describe('client/consume/format value, key, raw', () => {
  const records = batch({ records: [{ key: 'k1', value: '{"a":1}' }, { key: null, value: null }, { key: Buffer.from([0xff]), value: Buffer.from([0x00, 0xff]) }] })

  it('value: bytes and a newline, null as an empty line, base64 only with --binary', () => {
    expect(formatAll(createFormatter('value', 't', false), records)).toEqual(Buffer.from([...Buffer.from('{"a":1}\n\n'), 0x00, 0xff, 0x0a]))
    expect(formatAll(createFormatter('value', 't', true), records).toString()).toBe('{"a":1}\n\nAP8=\n')
  })

  it('key: the same for keys', () => {
    expect(formatAll(createFormatter('key', 't', false), records)).toEqual(Buffer.from([...Buffer.from('k1\n\n'), 0xff, 0x0a]))
    expect(formatAll(createFormatter('key', 't', true), records).toString()).toBe('k1\n\n/w==\n')
  })

  it('raw: the value bytes exactly, nothing between records', () => {
    expect(formatAll(createFormatter('raw', 't', false), records)).toEqual(Buffer.from([...Buffer.from('{"a":1}'), 0x00, 0xff]))
  })
})

describe('client/consume/format templates', () => {
  const records = batch({
    baseOffset: 41,
    baseTimestamp: Date.parse('2026-11-20T10:00:00Z'),
    records: [
      { key: 'cust-1', value: '{"id":1}', headers: [{ key: 'trace', value: 'abc' }, { key: 'trace', value: 'def' }] },
      { key: null, value: Buffer.from([0xff]), headers: [] },
    ],
  })

  it('fills every field', () => {
    const f = createFormatter('{topic}|{partition}:{offset}|{timestamp}|{time}|{key}|{value}|{headers}|{headers.trace}|{headers.none}', 'orders', true)
    expect(formatAll(f, records, 2).toString().split('\n')).toEqual([
      `orders|2:41|${Date.parse('2026-11-20T10:00:00Z')}|2026-11-20T10:00:00.000Z|cust-1|{"id":1}|[["trace","abc"],["trace","def"]]|def|`,
      `orders|2:42|${Date.parse('2026-11-20T10:00:00Z')}|2026-11-20T10:00:00.000Z||/w==|{}||`,
      '',
    ])
  })

  it('reads \\n, \\t, \\\\, {{ and }} as escapes', () => {
    const f = createFormatter('{{{offset}}}\\t\\\\x\\n', 't', false)
    expect(formatAll(f, records).toString()).toBe('{41}\t\\x\n\n{42}\t\\x\n\n')
  })

  it('rejects unknown fields and unbalanced braces as usage errors', () => {
    for (const bad of ['{nope}', '{offset', 'x}', '{headers.}', '{}']) {
      expect(() => parseTemplate(bad)).toThrow(SluiceError)
    }
    expect(() => createFormatter('yaml', 't', false)).toThrow(/json, value, key, raw or a template/)
  })
})
