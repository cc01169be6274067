/**
 * Hostile input: random bytes and mutated valid messages through every request and response
 * decoder. Decoding must return a value or throw ProtocolError, never anything else (no
 * RangeError, no TypeError, no hang). Seeded, so a failure replays.
 */
import { describe, expect, it } from 'vitest'
import { API_SCHEMAS } from '../../src/protocol/apis.js'
import { decode, encode } from '../../src/protocol/codec.js'
import { ProtocolError } from '../../src/protocol/errors.js'
import { decodeRequestHeader } from '../../src/protocol/frame.js'
import { structSample } from './sample-values.js'

function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    // xorshift32
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s / 0x100000000
  }
}

function onlyProtocolErrors(fn: () => unknown, what: string): void {
  try {
    fn()
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw new Error(`${what}: ${String(error)}`, { cause: error })
  }
}

describe('decoders under hostile input', () => {
  for (const api of API_SCHEMAS.values()) {
    it(`${api.name}: random and mutated bytes give ProtocolError or a value`, () => {
      const rnd = rng(api.apiKey + 1)
      for (const schema of [api.request, api.response]) {
        for (let v = api.minVersion; v <= api.maxVersion; v++) {
          const valid = encode(schema, v, structSample(schema.fields, v, 'full') as never)
          for (let i = 0; i < 40; i++) {
            const random = Buffer.alloc(Math.floor(rnd() * 64))
            for (let j = 0; j < random.length; j++) random[j] = Math.floor(rnd() * 256)
            onlyProtocolErrors(() => decode(schema, v, random), `${schema.name} v${v} random ${random.toString('hex')}`)
            const mutated = Buffer.from(valid)
            const flips = 1 + Math.floor(rnd() * 3)
            for (let j = 0; j < flips; j++) mutated[Math.floor(rnd() * mutated.length)] = rnd() < 0.5 ? 0xff : Math.floor(rnd() * 256)
            onlyProtocolErrors(() => decode(schema, v, mutated), `${schema.name} v${v} mutated ${mutated.toString('hex')}`)
          }
        }
      }
    })
  }

  it('request headers: random bytes give ProtocolError or a header', () => {
    const rnd = rng(7)
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.alloc(Math.floor(rnd() * 24))
      for (let j = 0; j < b.length; j++) b[j] = Math.floor(rnd() * 256)
      onlyProtocolErrors(() => decodeRequestHeader(b), `header ${b.toString('hex')}`)
    }
    expect(true).toBe(true)
  })
})
