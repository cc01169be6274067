/**
 * Round trips of every API and version in the registry, request and response, with every field
 * populated, with nulls, and with empty arrays/strings/bytes; and truncated input at every cut
 * point, which must throw ProtocolError and nothing else.
 */
import { describe, expect, it } from 'vitest'
import { API_SCHEMAS } from '../../src/protocol/apis.js'
import { decode, encode } from '../../src/protocol/codec.js'
import { ProtocolError } from '../../src/protocol/errors.js'
import type { MessageSchema } from '../../src/protocol/schema.js'
import { type Variant, expectedDecode, structSample, versionsOf } from './sample-values.js'

const VARIANTS: Variant[] = ['full', 'nulls', 'empty']

function roundTrip(schema: MessageSchema, version: number, variant: Variant): Buffer {
  const input = structSample(schema.fields, version, variant)
  const bytes = encode(schema, version, input as never)
  const decoded = decode(schema, version, bytes)
  expect(decoded).toEqual(expectedDecode(schema.fields, version, input))
  // Re-encoding the decoded body gives the same bytes.
  expect(encode(schema, version, decoded as never).equals(bytes)).toBe(true)
  return bytes
}

function expectTruncationErrors(schema: MessageSchema, version: number, bytes: Buffer): void {
  for (let cut = 0; cut < bytes.length; cut++) {
    let thrown: unknown = null
    try {
      decode(schema, version, bytes.subarray(0, cut))
    } catch (error) {
      thrown = error
    }
    if (!(thrown instanceof ProtocolError)) {
      throw new Error(`${schema.name} v${version} cut at ${cut}/${bytes.length}: expected ProtocolError, got ${String(thrown)}`)
    }
  }
}

for (const api of API_SCHEMAS.values()) {
  describe(`${api.name} (key ${api.apiKey})`, () => {
    for (const schema of [api.request, api.response]) {
      for (const version of versionsOf(schema)) {
        it(`${schema.name} v${version} round-trips (full, nulls, empty) and rejects truncation`, () => {
          for (const variant of VARIANTS) roundTrip(schema, version, variant)
          expectTruncationErrors(schema, version, roundTrip(schema, version, 'full'))
        })
      }
    }
  })
}

describe('registry', () => {
  it('has one entry per API with consistent version bounds', () => {
    for (const [key, api] of API_SCHEMAS) {
      expect(api.apiKey).toBe(key)
      expect(api.minVersion).toBeLessThanOrEqual(api.maxVersion)
      if (api.firstFlexibleVersion !== null) {
        expect(api.firstFlexibleVersion).toBeGreaterThanOrEqual(api.minVersion)
        expect(api.firstFlexibleVersion).toBeLessThanOrEqual(api.maxVersion)
      }
    }
  })
})
