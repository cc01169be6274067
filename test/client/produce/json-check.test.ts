import { describe, expect, it } from 'vitest'
import { isJsonText } from '../../../src/client/produce/json-check.js'

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

describe('client/produce/json-check', () => {
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
