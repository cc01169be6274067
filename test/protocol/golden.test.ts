/**
 * Golden frames captured from real clients: each decodes with our codec, and re-encoding the
 * decoded body gives back the exact bytes on the wire, requests and responses alike.
 * - test/tools/capture-frames.mjs: the opening request of each client (ApiVersions, Metadata).
 * - test/tools/capture-data-path.mjs: the data path through a recording proxy in front of a real
 *   sluice daemon: Produce, Fetch, ListOffsets and the auto-create Metadata, request + response.
 * Fixture format: <client>-<Api>-v<N>.hex (one frame, size prefix included) + a .json sidecar
 * { client, clientVersion, direction: 'request' | 'response', apiKey, apiVersion, ... }; a
 * response is <client>-<Api>-v<N>-response, its sidecar naming its request (`request`).
 */
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { isSupported } from '../../src/protocol/apis.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { FrameDecoder, decodeRequestBody, decodeRequestHeader, decodeResponse, encodeRequest, encodeResponse } from '../../src/protocol/frame.js'
import { fetchApi } from '../../src/protocol/messages/01-fetch.js'
import { listOffsetsApi } from '../../src/protocol/messages/02-list-offsets.js'
import { metadataApi } from '../../src/protocol/messages/03-metadata.js'
import { produceApi } from '../../src/protocol/messages/00-produce.js'
import { concatChunks } from '../../src/protocol/primitives.js'
import { decodeRecordBatches } from '../../src/protocol/record-batch.js'
import { Compression } from '../../src/protocol/batch-layout.js'
import { validateProducedRecords } from '../../src/protocol/produce-validation.js'

const dir = fileURLToPath(new URL('../fixtures/golden/', import.meta.url))

interface Sidecar {
  client: string
  clientVersion: string
  direction: 'request' | 'response'
  apiKey: number
  apiVersion: number
  sizePrefixed: boolean
  capturedWith: string
  /** For responses of the data-path capture: the base name of the request fixture. */
  request?: string
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

  // sluice's own client (src/client) encodes these requests and decodes these responses with the
  // same codec as the broker: each has both directions from a real client
  // (test/tools/capture-client-apis.mjs for the group protocol and the administration).
  it('has a request and a response of every API sluice\'s own client speaks', () => {
    const CLIENT_APIS = [
      'Produce', 'Fetch', 'ListOffsets', 'Metadata', 'InitProducerId', 'FindCoordinator', 'JoinGroup', 'SyncGroup',
      'Heartbeat', 'LeaveGroup', 'OffsetCommit', 'OffsetFetch', 'CreateTopics', 'DeleteTopics', 'DescribeConfigs',
      'IncrementalAlterConfigs', 'DescribeLogDirs',
    ]
    const covered = (direction: Sidecar['direction']): string[] =>
      fixtures.filter((f) => f.meta.direction === direction).map((f) => /^[a-z]+-(?:noapiversions-)?([A-Za-z]+)-v/.exec(f.base)![1]!)
    expect(covered('request')).toEqual(expect.arrayContaining(CLIENT_APIS))
    expect(covered('response')).toEqual(expect.arrayContaining(CLIENT_APIS))
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

// ---- the data path (test/tools/capture-data-path.mjs) -------------------------------------------

/** What capture-data-path.mjs has every client produce (kept in step with GOLDEN_RECORDS there). */
type Header = [string, string | null]
interface Sent {
  key: string | null
  value: string | null
  headers: Header[]
}
const GOLDEN_RECORDS: Sent[] = [
  ...Array.from({ length: 6 }, (_, n): Sent => ({ key: `key-${n % 3}`, value: `{"n":${n}}`, headers: [['n', String(n)], ['trace', `t-${n}`]] })),
  { key: 'key-0', value: null, headers: [['n', '6']] },
]
/** kcat cannot set headers per record: it sends these on every one. */
const KCAT_HEADERS: Header[] = [
  ['source', 'kcat'],
  ['trace', 'golden'],
]
const DATA_PATH_CLIENTS = ['kcat', 'kafkajs', 'platformatic']
const DATA_PATH_APIS = { Produce: 0, Fetch: 1, ListOffsets: 2, Metadata: 3 } as const

function expectedRecords(client: string): Sent[] {
  return client === 'kcat' ? GOLDEN_RECORDS.map((r) => ({ ...r, headers: KCAT_HEADERS })) : GOLDEN_RECORDS
}

const text = (b: Buffer | null): string | null => (b === null ? null : b.toString('utf8'))

/** The records of a records blob as sent values, with their partition-relative offsets. */
function recordsOf(blob: Buffer): (Sent & { offset: number })[] {
  return decodeRecordBatches(blob).flatMap(({ records }) =>
    records.map((r) => ({ key: text(r.key), value: text(r.value), headers: r.headers.map((h): Header => [h.key, text(h.value)]), offset: r.offset })),
  )
}

const sortSent = (xs: Sent[]): string[] => xs.map((x) => JSON.stringify([x.key, x.value, x.headers])).sort()

/** The captured exchange of one client for one API: the request and the response fixture, decoded. */
function exchange(client: string, apiKey: number) {
  const req = fixtures.find((f) => f.meta.client === client && f.meta.apiKey === apiKey && f.meta.direction === 'request' && f.meta.capturedWith.endsWith('capture-data-path.mjs'))
  if (!req) throw new Error(`no ${client} request fixture for API ${apiKey}`)
  const res = fixtures.find((f) => f.meta.direction === 'response' && f.meta.request === req.base)
  if (!res) throw new Error(`no response fixture for ${req.base}`)
  const frame = frameOf(req.wire)
  const header = decodeRequestHeader(frame)
  return { req, res, version: req.meta.apiVersion, frame, header, responseFrame: frameOf(res.wire) }
}

describe('golden data path: real clients against a real sluice daemon', () => {
  it('has Produce, Fetch, ListOffsets and Metadata, requests and responses, of every client', () => {
    for (const client of DATA_PATH_CLIENTS) {
      for (const [name, apiKey] of Object.entries(DATA_PATH_APIS)) {
        const { req, res, header } = exchange(client, apiKey)
        expect(req.base).toMatch(new RegExp(`^${client}-${name}-v\\d+$`))
        expect(res.base).toBe(`${req.base}-response`)
        expect([res.meta.apiKey, res.meta.apiVersion]).toEqual([req.meta.apiKey, req.meta.apiVersion])
        // Paired by correlation id, as the proxy paired them.
        expect(res.wire.readInt32BE(4)).toBe(header.correlationId)
      }
    }
  })

  for (const client of DATA_PATH_CLIENTS) {
    const topic = `golden-${client}`

    it(`${client}: the Produce request's records pass Kafka's checks and decode to what was sent`, () => {
      const { version, frame, header } = exchange(client, DATA_PATH_APIS.Produce)
      const body = decodeRequestBody(produceApi, version, frame, header.bodyOffset)
      expect(body.acks).toBe(-1)
      expect(body.topicData.map((t) => t.name)).toEqual([topic])
      const got: Sent[] = []
      for (const p of body.topicData[0]!.partitionData) {
        const validation = validateProducedRecords(p.records, { produceVersion: version })
        expect(validation, JSON.stringify(validation)).toMatchObject({ ok: true })
        for (const { header: h } of decodeRecordBatches(p.records!)) {
          expect([h.magic, h.baseOffset, h.compression, h.isTransactional, h.isControl]).toEqual([2, 0, Compression.NONE, false, false])
        }
        const records = recordsOf(p.records!)
        // Offsets dense from 0, records in the order they were sent (keys pick the partition).
        expect(records.map((r) => r.offset)).toEqual(records.map((_, i) => i))
        const ns = records.map((r) => expectedRecords(client).findIndex((e) => JSON.stringify([e.key, e.value, e.headers]) === JSON.stringify([r.key, r.value, r.headers])))
        expect(ns).toEqual([...ns].sort((a, b) => a - b))
        got.push(...records.map(({ key, value, headers }) => ({ key, value, headers })))
      }
      expect(sortSent(got)).toEqual(sortSent(expectedRecords(client)))
    })

    it(`${client}: the Produce response acknowledges every partition at offset 0`, () => {
      const { version, frame, header, responseFrame } = exchange(client, DATA_PATH_APIS.Produce)
      const request = decodeRequestBody(produceApi, version, frame, header.bodyOffset)
      const { body } = decodeResponse(produceApi, version, responseFrame)
      expect(body.responses.map((t) => t.name)).toEqual([topic])
      const partitions = body.responses[0]!.partitionResponses
      expect(partitions.map((p) => p.index).sort()).toEqual(request.topicData[0]!.partitionData.map((p) => p.index).sort())
      for (const p of partitions) {
        expect([p.errorCode, p.baseOffset, p.logAppendTimeMs]).toEqual([ErrorCode.NONE, 0, -1])
        if (version >= 5) expect(p.logStartOffset).toBe(0)
      }
    })

    it(`${client}: the Fetch response serves the produced batches byte for byte, stamped with their offsets`, () => {
      const { version, frame, header, responseFrame } = exchange(client, DATA_PATH_APIS.Fetch)
      const request = decodeRequestBody(fetchApi, version, frame, header.bodyOffset)
      expect(request.topics.map((t) => t.topic)).toEqual([topic])
      const { body } = decodeResponse(fetchApi, version, responseFrame)
      expect(body.errorCode).toBe(ErrorCode.NONE)
      expect(body.responses.map((t) => t.topic)).toEqual([topic])
      // What the same client produced, per partition.
      const produce = exchange(client, DATA_PATH_APIS.Produce)
      const produced = new Map(
        decodeRequestBody(produceApi, produce.version, produce.frame, produce.header.bodyOffset).topicData[0]!.partitionData.map((p) => [p.index, p.records!]),
      )
      const got: Sent[] = []
      for (const p of body.responses[0]!.partitions) {
        expect(p.errorCode).toBe(ErrorCode.NONE)
        const sent = produced.get(p.partitionIndex)
        if (!sent) {
          expect(p.records?.length ?? 0).toBe(0)
          continue
        }
        const records = recordsOf(p.records!)
        expect(p.highWatermark).toBe(records.length)
        expect([p.lastStableOffset, p.logStartOffset]).toEqual([records.length, 0])
        // baseOffset (bytes 0-7) and partitionLeaderEpoch (12-15) are the broker's; the rest is the producer's.
        expect(p.records!.length).toBe(sent.length)
        expect(p.records!.subarray(8, 12).toString('hex')).toBe(sent.subarray(8, 12).toString('hex'))
        expect(p.records!.subarray(16).toString('hex')).toBe(sent.subarray(16).toString('hex'))
        got.push(...records.map(({ key, value, headers }) => ({ key, value, headers })))
      }
      expect(sortSent(got)).toEqual(sortSent(expectedRecords(client)))
    })

    it(`${client}: the ListOffsets response answers the log start (earliest) or the log end (latest)`, () => {
      const { version, frame, header, responseFrame } = exchange(client, DATA_PATH_APIS.ListOffsets)
      const request = decodeRequestBody(listOffsetsApi, version, frame, header.bodyOffset)
      expect(request.topics.map((t) => t.name)).toEqual([topic])
      const asked = new Map(request.topics[0]!.partitions.map((p) => [p.partitionIndex, p.timestamp]))
      const produce = exchange(client, DATA_PATH_APIS.Produce)
      const counts = new Map(
        decodeRequestBody(produceApi, produce.version, produce.frame, produce.header.bodyOffset).topicData[0]!.partitionData.map((p) => [
          p.index,
          recordsOf(p.records!).length,
        ]),
      )
      const { body } = decodeResponse(listOffsetsApi, version, responseFrame)
      expect(body.topics.map((t) => t.name)).toEqual([topic])
      const partitions = body.topics[0]!.partitions
      expect(partitions.map((p) => p.partitionIndex).sort()).toEqual([...asked.keys()].sort())
      for (const p of partitions) {
        expect(p.errorCode).toBe(ErrorCode.NONE)
        const timestamp = asked.get(p.partitionIndex)
        expect([-1, -2]).toContain(timestamp)
        expect(p.offset).toBe(timestamp === -2 ? 0 : (counts.get(p.partitionIndex) ?? 0))
      }
    })

    it(`${client}: the Metadata exchange that auto-creates the topic`, () => {
      const { version, frame, header, responseFrame } = exchange(client, DATA_PATH_APIS.Metadata)
      const request = decodeRequestBody(metadataApi, version, frame, header.bodyOffset)
      expect(request.topics?.map((t) => t.name)).toEqual([topic])
      if (version >= 4) expect(request.allowAutoTopicCreation).toBe(true)
      const { body } = decodeResponse(metadataApi, version, responseFrame)
      expect(body.brokers.map((b) => [b.nodeId, b.host])).toEqual([[1, '127.0.0.1']])
      expect(body.topics.map((t) => t.name)).toEqual([topic])
      // Kafka answers a topic it has just auto-created with LEADER_NOT_AVAILABLE and no partitions.
      expect([ErrorCode.NONE, ErrorCode.LEADER_NOT_AVAILABLE]).toContain(body.topics[0]!.errorCode)
    })
  }
})
