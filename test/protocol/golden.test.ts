/**
 * Golden frames captured from real clients (test/tools/capture-frames.mjs): each decodes with
 * our codec, and re-encoding the decoded body gives back the exact bytes the client sent.
 * Fixture format: <client>-<Api>-v<N>.hex (one frame, size prefix included) + a .json sidecar
 * { client, clientVersion, direction: 'request' | 'response', apiKey, apiVersion, ... }.
 */
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { isSupported } from '../../src/protocol/apis.js'
import { FrameDecoder, decodeRequestBody, decodeRequestHeader, decodeResponse, encodeRequest, encodeResponse } from '../../src/protocol/frame.js'
import { concatChunks } from '../../src/protocol/primitives.js'

const dir = fileURLToPath(new URL('../fixtures/golden/', import.meta.url))

interface Sidecar {
  client: string
  clientVersion: string
  direction: 'request' | 'response'
  apiKey: number
  apiVersion: number
  sizePrefixed: boolean
  /** For responses: the correlation id is in the frame; the request's clientId is irrelevant. */
}

const fixtures = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.hex'))
  .map((f) => {
    const base = f.slice(0, -'.hex'.length)
    const wire = Buffer.from(fs.readFileSync(`${dir}${f}`, 'utf8').replace(/\s+/g, ''), 'hex')
    const meta = JSON.parse(fs.readFileSync(`${dir}${base}.json`, 'utf8')) as Sidecar
    return { base, wire, meta }
  })

/** The frame without its size prefix, through FrameDecoder as the broker would get it. */
function frameOf(wire: Buffer): Buffer {
  const frames = new FrameDecoder().push(wire)
  expect(frames.length).toBe(1)
  return frames[0]!
}

describe('golden frames from real clients', () => {
  it('has the ApiVersions requests of kcat, kafkajs and @platformatic/kafka', () => {
    const names = fixtures.map((f) => f.base)
    expect(names).toEqual(expect.arrayContaining(['kcat-ApiVersions-v3', 'kafkajs-ApiVersions-v2', 'platformatic-ApiVersions-v3']))
  })

  for (const { base, wire, meta } of fixtures) {
    it(`${base} (${meta.clientVersion}) decodes and re-encodes byte for byte`, () => {
      expect(meta.sizePrefixed).toBe(true)
      const frame = frameOf(wire)
      expect(isSupported(meta.apiKey, meta.apiVersion)).toBe(true)
      if (meta.direction === 'request') {
        const header = decodeRequestHeader(frame)
        expect([header.apiKey, header.apiVersion]).toEqual([meta.apiKey, meta.apiVersion])
        const body = decodeRequestBody(header.apiKey, header.apiVersion, frame, header.bodyOffset)
        const again = concatChunks(encodeRequest(header.apiKey, header.apiVersion, header.correlationId, header.clientId, body))
        expect(again.toString('hex')).toBe(wire.toString('hex'))
      } else {
        const { correlationId, body } = decodeResponse(meta.apiKey, meta.apiVersion, frame)
        const again = concatChunks(encodeResponse(meta.apiKey, meta.apiVersion, correlationId, body))
        expect(again.toString('hex')).toBe(wire.toString('hex'))
      }
    })
  }

  it('reads what each client says about itself', () => {
    const decoded = (base: string): { clientId: string | null; body: Record<string, unknown> } => {
      const f = fixtures.find((x) => x.base === base)!
      const frame = frameOf(f.wire)
      const h = decodeRequestHeader(frame)
      return { clientId: h.clientId, body: decodeRequestBody(h.apiKey, h.apiVersion, frame, h.bodyOffset) }
    }
    expect(decoded('kcat-ApiVersions-v3')).toEqual({
      clientId: 'rdkafka',
      body: { clientSoftwareName: 'librdkafka', clientSoftwareVersion: expect.stringMatching(/^\d+\.\d+\.\d+/) },
    })
    expect(decoded('kafkajs-ApiVersions-v2')).toEqual({ clientId: 'sluice-capture', body: { clientSoftwareName: '', clientSoftwareVersion: '' } })
    expect(decoded('platformatic-ApiVersions-v3')).toEqual({
      clientId: 'sluice-capture',
      body: { clientSoftwareName: 'platformatic-kafka', clientSoftwareVersion: expect.stringMatching(/^\d+\.\d+\.\d+/) },
    })
  })
})
