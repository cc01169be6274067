import { describe, expect, it } from 'vitest'
import { encodeEnvelope, parseEnvelope, topLevelSpans, type EnvelopeRecord } from '../../src/client/envelope.js'

function rec(value: Buffer | null, key: Buffer | null = null, headers: [string, Buffer | null][] = []): EnvelopeRecord {
  return { topic: 't', partition: 2, offset: 7, timestamp: 1795460244909, key, value, headers }
}

const roundTrip = (r: EnvelopeRecord, binary = true) => {
  const { line } = encodeEnvelope(r, { binary })
  expect(line).not.toMatch(/[\n\r]/)
  JSON.parse(line)
  return { line, parsed: parseEnvelope(line) }
}

describe('client/envelope', () => {
  it('embeds a JSON value byte for byte, never re-serialized', () => {
    const raw = '{"b": 1,  "a":[1.50, 1e3, "x"], "n":12345678901234567890}'
    const { line, parsed } = roundTrip(rec(Buffer.from(raw)))
    expect(line).toBe(`{"topic":"t","partition":2,"offset":7,"timestamp":1795460244909,"key":null,"value":${raw},"headers":{}}`)
    expect(parsed.value!.toString()).toBe(raw)
    expect(parsed).toMatchObject({ partition: 2, timestamp: 1795460244909, key: null })
  })

  it('marks values that are not JSON, and brings back their exact bytes', () => {
    const cases: [Buffer | null, string | undefined][] = [
      [Buffer.from('plain text'), 'string'],
      [Buffer.from(''), 'string'],
      [Buffer.from('{"a":\n1}'), 'string'],
      [Buffer.from('"quoted"'), undefined],
      [Buffer.from([0xff, 0x00, 0xfe]), 'base64'],
      [null, undefined],
    ]
    for (const [value, encoding] of cases) {
      const { line, parsed } = roundTrip(rec(value))
      expect(JSON.parse(line).valueEncoding).toBe(encoding)
      expect(parsed.value === null ? null : [...parsed.value]).toEqual(value === null ? null : [...value])
    }
  })

  it('keys and headers: strings, null, binary, repeated names', () => {
    const r = rec(Buffer.from('1'), Buffer.from([0x80, 0x81]), [
      ['a', Buffer.from('1')],
      ['a', null],
      ['b', Buffer.from([0xc3, 0x28])],
    ])
    const { line, parsed } = roundTrip(r)
    const obj = JSON.parse(line)
    expect(obj.keyEncoding).toBe('base64')
    expect(obj.headerEncoding).toBe('base64')
    expect(Array.isArray(obj.headers)).toBe(true)
    expect([...parsed.key!]).toEqual([0x80, 0x81])
    expect(parsed.headers.map(([n, v]) => [n, v === null ? null : [...v]])).toEqual([
      ['a', [0x31]],
      ['a', null],
      ['b', [0xc3, 0x28]],
    ])
    const simple = encodeEnvelope(rec(Buffer.from('1'), Buffer.from('k'), [['trace', Buffer.from('abc')]])).line
    expect(JSON.parse(simple)).toMatchObject({ key: 'k', headers: { trace: 'abc' } })
  })

  it('without --binary, bytes that are not UTF-8 are lossy and say so', () => {
    const out = encodeEnvelope(rec(Buffer.from([0xff])), { binary: false })
    expect(out.lossy).toBe(true)
    expect(JSON.parse(out.line).valueEncoding).toBe('string')
  })

  it('finds top-level member spans in any order and spacing', () => {
    const line = ' { "value" : [1, {"x":"}"}] , "key":"k","nested":{"value":2} }'
    const spans = topLevelSpans(line)
    const [s, e] = spans.get('value')!
    expect(line.slice(s, e)).toBe('[1, {"x":"}"}]')
    expect(spans.has('nested')).toBe(true)
    expect(parseEnvelope('{"value":"a\\"b","valueEncoding":"string"}').value!.toString()).toBe('a"b')
  })

  it('rejects malformed envelopes with a reason', () => {
    expect(() => parseEnvelope('[1]')).toThrow(/JSON object/)
    expect(() => parseEnvelope('{"key":"k"}')).toThrow(/no "value"/)
    expect(() => parseEnvelope('{"value":1,"partition":-1}')).toThrow(/partition/)
    expect(() => parseEnvelope('{"value":1,"valueEncoding":"hex"}')).toThrow(/valueEncoding/)
    expect(() => parseEnvelope('{"value":1,"timestamp":"yesterday"}')).toThrow(/timestamp/)
    expect(parseEnvelope('{"value":1,"timestamp":"2026-11-20T10:00:00Z"}').timestamp).toBe(Date.parse('2026-11-20T10:00:00Z'))
  })

  it('keeps the JSON text null apart from a tombstone, both ways', () => {
    const base = { topic: 't', partition: 0, offset: 0, timestamp: 0, headers: [] }
    const jsonNull = encodeEnvelope({ ...base, key: Buffer.from('null'), value: Buffer.from('null') }).line
    expect(jsonNull).toContain('"key":"null","value":"null"')
    expect(jsonNull).toContain('"valueEncoding":"string"')
    expect(parseEnvelope(jsonNull).value).toEqual(Buffer.from('null'))
    expect(parseEnvelope(jsonNull).key).toEqual(Buffer.from('null'))
    const tombstone = encodeEnvelope({ ...base, key: null, value: null }).line
    expect(parseEnvelope(tombstone).value).toBeNull()
    expect(parseEnvelope(tombstone).key).toBeNull()
    // Written by hand or by a newer tool: an explicit "json" encoding makes null the text null.
    expect(parseEnvelope('{"value":null,"valueEncoding":"json"}').value).toEqual(Buffer.from('null'))
  })
})
