/**
 * Frames: request/response headers (v1/v2 request, v0/v1 response, ApiVersions' v0 response
 * header), the client-side encoders/decoders, error cases, and FrameDecoder's splitting of a
 * byte stream (views for frames inside one chunk, size checked before buffering).
 */
import { describe, expect, it } from 'vitest'
import { API_SCHEMAS, apiByName } from '../../src/protocol/apis.js'
import { ErrorCode, ProtocolError } from '../../src/protocol/errors.js'
import {
  FrameDecoder,
  decodeRequestBody,
  decodeRequestHeader,
  decodeResponse,
  encodeRequest,
  encodeResponse,
} from '../../src/protocol/frame.js'
import { metadataApi } from '../../src/protocol/messages/03-metadata.js'
import { apiVersionsApi } from '../../src/protocol/messages/18-api-versions.js'
import { concatChunks } from '../../src/protocol/primitives.js'
import { expectedDecode, structSample } from './sample-values.js'
import { ApiKey } from '../../src/protocol/api-keys.js'

/** Strips the 4-byte size prefix after checking it. */
function unframe(chunks: Buffer[]): Buffer {
  const buf = concatChunks(chunks)
  expect(buf.readInt32BE(0)).toBe(buf.length - 4)
  return buf.subarray(4)
}

describe('request frames', () => {
  for (const api of API_SCHEMAS.values()) {
    it(`${api.name}: every version round-trips through encodeRequest / decodeRequestHeader / decodeRequestBody`, () => {
      for (let v = api.minVersion; v <= api.maxVersion; v++) {
        const body = structSample(api.request.fields, v, 'full')
        const frame = unframe(encodeRequest(api.apiKey, v, 77, 'client-\u00e9', body))
        const header = decodeRequestHeader(frame)
        const flexible = api.firstFlexibleVersion !== null && v >= api.firstFlexibleVersion
        expect(header).toMatchObject({ apiKey: api.apiKey, apiVersion: v, correlationId: 77, clientId: 'client-\u00e9', headerVersion: flexible ? 2 : 1 })
        expect(decodeRequestBody(api.apiKey, v, frame, header.bodyOffset)).toEqual(expectedDecode(api.request.fields, v, body))
      }
    })
  }

  it('knows v1 and v2 header bytes', () => {
    const v1 = unframe(encodeRequest(metadataApi, 1, 5, null, { topics: null }))
    expect(v1.toString('hex')).toBe('0003' + '0001' + '00000005' + 'ffff' + 'ffffffff')
    const v9 = unframe(encodeRequest(metadataApi, 9, 5, 'c', { topics: [], allowAutoTopicCreation: false }))
    // clientId stays an int16 string in v2 headers, followed by an empty tagged-field section.
    expect(v9.toString('hex')).toBe('0003' + '0009' + '00000005' + '000163' + '00' + '01' + '00' + '00' + '00' + '00')
  })

  it('decodes the header of unknown APIs and versions so the broker can answer', () => {
    const unknown = Buffer.from('03e7' + '0002' + '0000002a' + '0003616263' + 'deadbeef', 'hex')
    expect(decodeRequestHeader(unknown)).toEqual({ apiKey: 999, apiVersion: 2, correlationId: 42, clientId: 'abc', headerVersion: 1, bodyOffset: 13 })
    expect(() => decodeRequestBody(999, 2, unknown, 13)).toThrow(expect.objectContaining({ code: 'UNKNOWN_API' }))
    // ApiVersions v5 (newer than we decode) is flexible: header v2, body not decodable.
    const av5 = Buffer.from('0012' + '0005' + '00000001' + '0001' + '78' + '00' + '02' + '6b' + '02' + '76' + '00', 'hex')
    const h = decodeRequestHeader(av5)
    expect(h).toMatchObject({ apiKey: ApiKey.ApiVersions, apiVersion: 5, clientId: 'x', headerVersion: 2, bodyOffset: 12 })
    expect(() => decodeRequestBody(ApiKey.ApiVersions, 5, av5, h.bodyOffset)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_VERSION' }))
  })

  it('throws ProtocolError for a header cut anywhere', () => {
    const frame = unframe(encodeRequest(metadataApi, 9, 5, 'client', { topics: [] }))
    const headerBytes = decodeRequestHeader(frame).bodyOffset
    for (let cut = 0; cut < headerBytes; cut++) {
      expect(() => decodeRequestHeader(frame.subarray(0, cut))).toThrow(ProtocolError)
    }
  })

  it('ignores trailing bytes after a request body, as Kafka does', () => {
    const frame = Buffer.concat([unframe(encodeRequest(metadataApi, 4, 1, 'c', { topics: [{ name: 't' }] })), Buffer.from([1, 2, 3])])
    const h = decodeRequestHeader(frame)
    expect(decodeRequestBody(metadataApi, 4, frame, h.bodyOffset).topics).toEqual([{ topicId: '0'.repeat(32), name: 't' }])
  })

  it('skips unknown tagged fields in a flexible request body', () => {
    // ApiVersions v3: clientSoftwareName 'n', clientSoftwareVersion 'v', tagged section with tag 9 (3 bytes).
    const frame = Buffer.from('0012' + '0003' + '00000001' + 'ffff' + '00' + '026e' + '0276' + '01' + '09' + '03' + 'aabbcc', 'hex')
    const h = decodeRequestHeader(frame)
    expect(decodeRequestBody(apiVersionsApi, 3, frame, h.bodyOffset)).toEqual({ clientSoftwareName: 'n', clientSoftwareVersion: 'v' })
  })
})

describe('response frames', () => {
  for (const api of API_SCHEMAS.values()) {
    it(`${api.name}: every version round-trips through encodeResponse / decodeResponse`, () => {
      for (let v = api.minVersion; v <= api.maxVersion; v++) {
        const body = structSample(api.response.fields, v, 'full')
        const frame = unframe(encodeResponse(api.apiKey, v, 123, body))
        expect(decodeResponse(api.apiKey, v, frame)).toEqual({ correlationId: 123, body: expectedDecode(api.response.fields, v, body) })
      }
    })
  }

  it('writes response header v1 (tagged fields) for flexible versions', () => {
    const frame = unframe(encodeResponse(metadataApi, 9, 7, {}))
    // correlationId, empty header tags, throttle 0, brokers [], clusterId null, controllerId -1, topics [],
    // clusterAuthorizedOperations INT32_MIN (its default), body tags
    expect(frame.toString('hex')).toBe('00000007' + '00' + '00000000' + '01' + '00' + 'ffffffff' + '01' + '80000000' + '00')
  })

  it('always writes response header v0 for ApiVersions', () => {
    const body = { errorCode: ErrorCode.NONE, apiKeys: [{ apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 3 }], throttleTimeMs: 0 }
    const v3 = unframe(encodeResponse(apiVersionsApi, 3, 9, body))
    expect(v3.toString('hex')).toBe('00000009' + '0000' + '02' + '0012' + '0000' + '0003' + '00' + '00000000' + '00')
    expect(decodeResponse(apiVersionsApi, 3, v3).body.apiKeys).toEqual(body.apiKeys)
    const v0 = unframe(encodeResponse(ApiKey.ApiVersions, 0, 9, { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: body.apiKeys }))
    expect(v0.toString('hex')).toBe('00000009' + '0023' + '00000001' + '0012' + '0000' + '0003')
  })

  it('writes records given as a list of buffers back to back, by reference', () => {
    const a = Buffer.alloc(400, 1)
    const b = Buffer.alloc(300, 2)
    const fetch = apiByName('Fetch')!
    const body = { responses: [{ topic: 't', partitions: [{ partitionIndex: 0, highWatermark: 5, records: [a, b] }] }] }
    const chunks = encodeResponse(fetch.apiKey, 12, 1, body)
    expect(chunks).toContain(a)
    expect(chunks).toContain(b)
    const decoded = decodeResponse(fetch.apiKey, 12, unframe(chunks)).body as { responses: { partitions: { records: Buffer }[] }[] }
    expect(decoded.responses[0]!.partitions[0]!.records).toEqual(Buffer.concat([a, b]))
  })

  it('refuses to encode null in a non-nullable field (a programmer error, not a ProtocolError)', () => {
    expect(() => encodeResponse(metadataApi, 11, 1, { topics: [{ name: null }] })).toThrow(TypeError)
    expect(() => encodeResponse(metadataApi, 12, 1, { topics: [{ name: null }] })).not.toThrow()
  })
})

describe('FrameDecoder', () => {
  const frameOf = (payload: Buffer): Buffer => {
    const size = Buffer.alloc(4)
    size.writeInt32BE(payload.length)
    return Buffer.concat([size, payload])
  }
  const payloads = [Buffer.from('first'), Buffer.alloc(0), Buffer.alloc(1000, 9), Buffer.from('last')]
  const stream = Buffer.concat(payloads.map(frameOf))

  it('returns views of the chunk for frames that arrive whole', () => {
    const frames = new FrameDecoder().push(stream)
    expect(frames).toEqual(payloads)
    expect(frames[0]!.buffer).toBe(stream.buffer)
    expect(frames[2]!.byteOffset).toBe(stream.byteOffset + 4 + 5 + 4 + 4)
  })

  it('reassembles frames fed one byte at a time or in odd chunks', () => {
    for (const step of [1, 2, 3, 5, 7, 64, 1001]) {
      const d = new FrameDecoder()
      const frames: Buffer[] = []
      for (let at = 0; at < stream.length; at += step) frames.push(...d.push(stream.subarray(at, at + step)))
      expect(frames, `step ${step}`).toEqual(payloads)
      expect(d.bufferedBytes).toBe(0)
    }
  })

  it('handles a large frame in many small chunks', () => {
    const big = Buffer.alloc(200_000)
    for (let i = 0; i < big.length; i++) big[i] = i & 0xff
    const wire = frameOf(big)
    const d = new FrameDecoder()
    const frames: Buffer[] = []
    for (let at = 0; at < wire.length; at += 17) frames.push(...d.push(wire.subarray(at, at + 17)))
    expect(frames.length).toBe(1)
    expect(frames[0]!.equals(big)).toBe(true)
  })

  it('rejects an oversize or negative size before buffering the frame', () => {
    const d = new FrameDecoder(1024)
    expect(() => d.push(Buffer.from('00000401', 'hex'))).toThrow(expect.objectContaining({ code: 'FRAME_TOO_LARGE' }))
    expect(() => new FrameDecoder().push(Buffer.from('ffffffff00', 'hex'))).toThrow(ProtocolError)
    const ok = new FrameDecoder(1024)
    expect(ok.push(Buffer.from('00000400', 'hex'))).toEqual([])
  })
})
