/**
 * The one byte-level JSON validator (src/client/json-bytes.ts) against JSON.parse: produce's
 * question (one JSON text?) and consume's (embeddable as is?), on hand-picked and on seeded
 * mutated texts.
 */
import { isUtf8 } from 'node:buffer'
import { describe, expect, it } from 'vitest'
import { isEmbeddableJson } from '../../src/client/envelope.js'
import { isEmbeddableJsonBytes, isJsonText } from '../../src/client/json-bytes.js'

function parses(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

/** isJsonText on the text embedded in other bytes, so it must respect start and end. */
function check(text: string): boolean | undefined {
  const b = Buffer.from(`"{[${text}]}"`)
  return isJsonText(b, 3, b.length - 3)
}

// A tiny seeded generator: failures replay.
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

describe('client/json-bytes: isJsonText (produce: is a line one JSON text?)', () => {
  it('agrees with JSON.parse on hand-picked texts', () => {
    const samples = [
      '{}', '[]', '{"a":1}', ' {"a" : [1, 2.5e-3, -0, true, false, null, "x\\u00e9\\n"]} ', '"s"', '0', '-1.5E+10', '"é"',
      '{"a":{"b":[{}]}}', '[[[[]]]]', '"\\/"', '12345678901234567890', '\t[1]\r',
      '01', '1.', '.5', '-', '{"a"}', '{"a":}', '[1,]', '{,}', '[1 2]', 'tru', 'nul', 'true false', '"\\x"', '"\\u12g4"',
      '"a\tb"', '{"a":1,}', '\u00a0{}', '{}\u00a0', '1e', '1e+', '-01', '[-]', '{"a":1 "b":2}', '[]]', '[[]', '{"a":[}]}', '',
      ' ', "{'a':1}", '{a:1}', 'NaN', 'Infinity', '+1', '0x10', '"unterminated', '[1,2', '{"a":1}{"b":2}', '"\\', '"\\u00"',
    ]
    for (const s of samples) expect([s, check(s)]).toEqual([s, parses(s)])
  })

  it('agrees with JSON.parse on 100,000 mutated texts', () => {
    const random = rng(42)
    const bases = ['{"id":1,"name":"x","tags":["a","b"],"n":{"x":-1.5e3,"y":null,"z":true}}', '[1,2,{"a":"\\u0041\\n"},[],{}]', '"\\"q\\" é"']
    const alphabet = '{}[],:"\\ 0123456789.eE+-tfnrulasx\t\n\u0001é'
    let valid = 0
    for (let round = 0; round < 100_000; round++) {
      let s = bases[round % bases.length]!
      for (let j = 0; j <= round % 3; j++) {
        const pos = Math.floor(random() * (s.length + 1))
        const ch = alphabet[Math.floor(random() * alphabet.length)]!
        const op = random()
        if (op < 0.33) s = s.slice(0, pos) + ch + s.slice(pos)
        else if (op < 0.66) s = s.slice(0, pos) + s.slice(pos + 1)
        else s = s.slice(0, pos) + ch + s.slice(pos + 1)
      }
      const want = parses(s)
      if (want) valid++
      if (check(s) !== want) expect([s, check(s)]).toEqual([s, want])
    }
    expect(valid).toBeGreaterThan(5_000)
  })

  it('leaves very deep nesting to JSON.parse', () => {
    const deep = '['.repeat(600) + ']'.repeat(600)
    expect(check(deep)).toBeUndefined()
    expect(check('['.repeat(100) + ']'.repeat(100))).toBe(true)
    expect(check('['.repeat(100) + ']'.repeat(99))).toBe(false)
  })
})

/** The slow path's verdict, the definition the scanner must never contradict. */
const slow = (b: Buffer): boolean => isUtf8(b) && isEmbeddableJson(b.toString('utf8'))
const fast = (b: Buffer): boolean => isEmbeddableJsonBytes(b, 0, b.length)

/** A tiny seeded RNG (mulberry32), so a failure replays. */
function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('client/json-bytes: isEmbeddableJsonBytes (consume: may the envelope embed a value as is?)', () => {
  it('accepts JSON texts and rejects the rest, as JSON.parse does', () => {
    const yes = [
      '{}', '[]', '0', '-0', '1.5e+10', '-12.25E-3', '"x"', '""', 'true', 'false', '{"a" : [1 , 2] }',
      '[{"a":{"b":[null,true,false,"\\u00e9\\n\\"\\\\\\/\\b\\f\\r\\t"]}}]', '{"é":"日本"}', '"\\ud800"', '12345678901234567890',
      '[[[[[[[[[[]]]]]]]]]]',
    ]
    const no = [
      '', ' ', '{', '}', '[1,]', '{"a":1,}', '{"a"}', '{"a":}', '{1:2}', '01', '1.', '.5', '+1', '1e', '-', 'tru', 'nul', 'True',
      '"abc', '"a\u0001"', '"\\x"', '"\\u12g4"', '{"a":1}{}', '1 2', '{"a":\n1}', '[1,\r2]', "'a'", 'NaN', 'Infinity', '\ufeff{}',
      '[1]]', '{"a":1]', '[}',
      // Whitespace around the value would not survive the envelope's round trip: not embeddable.
      ' {"a":1}', '{"a":1} ', '\t[]',
      // Embedded, the JSON text null would read back as a tombstone: it goes as a string.
      'null',
    ]
    for (const t of yes) expect([t, fast(Buffer.from(t))]).toEqual([t, true])
    for (const t of no) expect([t, fast(Buffer.from(t))]).toEqual([t, slow(Buffer.from(t))])
    for (const t of no) expect([t, fast(Buffer.from(t))]).toEqual([t, false])
  })

  it('rejects bytes that are not UTF-8 inside strings', () => {
    expect(fast(Buffer.from([0x22, 0xff, 0x22]))).toBe(false)
    expect(fast(Buffer.from([0x22, 0xc3, 0xa9, 0x22]))).toBe(true)
    expect(fast(Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]))).toBe(false) // an encoded surrogate
  })

  it('scans within the given span only', () => {
    const b = Buffer.from('xx{"a":1}yy')
    expect(isEmbeddableJsonBytes(b, 2, 9)).toBe(true)
    expect(isEmbeddableJsonBytes(b, 2, 8)).toBe(false)
  })

  it('leaves very deep nesting to the slow path (false), never a wrong true', () => {
    const deep = Buffer.from('['.repeat(600) + ']'.repeat(600))
    expect(fast(deep)).toBe(false)
    expect(slow(deep)).toBe(true)
    expect(fast(Buffer.from('['.repeat(100) + ']'.repeat(100)))).toBe(true)
  })

  it('never says true where the slow path says false (seeded fuzz of mutated JSON)', () => {
    const random = mulberry32(20261120)
    const seeds = ['{"a":[1,2.5,-3e2,"x\\"y"],"b":{"c":null,"d":true}}', '[0,{"k":"v"},[],""]', '"\\u0041é"', '-0.0e-0']
    const alphabet = '{}[]":,.-+eE0123456789 \t\n\\/ubtrfnaslx\u00e9'
    let agreed = 0
    for (let i = 0; i < 20_000; i++) {
      const chars = [...seeds[i % seeds.length]!]
      const edits = 1 + Math.floor(random() * 3)
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(random() * (chars.length + 1))
        const c = alphabet[Math.floor(random() * alphabet.length)]!
        const op = random()
        if (op < 0.4) chars.splice(at, 1)
        else if (op < 0.8) chars.splice(at, 0, c)
        else chars[Math.min(at, chars.length - 1)] = c
      }
      const b = Buffer.from(chars.join(''))
      if (random() < 0.05 && b.length > 0) b[Math.floor(random() * b.length)] = 0x80 + Math.floor(random() * 0x80)
      const f = fast(b)
      const s = slow(b)
      if (f) expect([b.toString('latin1'), s]).toEqual([b.toString('latin1'), true])
      if (f === s) agreed++
    }
    // Shallow inputs: the two must agree on every one, not merely never contradict.
    expect(agreed).toBe(20_000)
  })
})
