/**
 * The error response of every served API, built from its response schema: it encodes at every
 * served version, every error code in it is the injected one, and its lists answer the request's
 * items by name or index.
 */
import { describe, expect, it } from 'vitest'
import { decode, encode } from '../../src/protocol/codec.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { decodeResponse, encodeResponse } from '../../src/protocol/frame.js'
import { concatChunks } from '../../src/protocol/primitives.js'
import type { ApiSchema } from '../../src/protocol/schema.js'
import { describeConfigsApi } from '../../src/protocol/messages/32-describe-configs.js'
import { deleteGroupsApi } from '../../src/protocol/messages/42-delete-groups.js'
import { fetchApi } from '../../src/protocol/messages/01-fetch.js'
import { findCoordinatorApi } from '../../src/protocol/messages/10-find-coordinator.js'
import { metadataApi } from '../../src/protocol/messages/03-metadata.js'
import { offsetFetchApi } from '../../src/protocol/messages/09-offset-fetch.js'
import { produceApi } from '../../src/protocol/messages/00-produce.js'
import { errorResponse, INJECTED_ERROR_MESSAGE } from '../../src/broker/error-response.js'
import { allHandlers } from '../../src/broker/handler.js'
import '../../src/broker/handlers/index.js'
import { structSample } from '../protocol/sample-values.js'

type Body = Record<string, unknown>
const CODE = ErrorCode.NOT_LEADER_OR_FOLLOWER

/** The response as a client decodes it: encoded, framed and decoded. */
function answered(api: ApiSchema, version: number, request: Body): Body {
  return roundTrip(api, version, errorResponse(api, version, request, CODE))
}

function roundTrip(api: ApiSchema, version: number, body: Body): Body {
  const frame = concatChunks(encodeResponse(api.apiKey, version, 7, body)).subarray(4)
  return decodeResponse(api.apiKey, version, frame).body
}

/** A request as the listener hands it over: decoded, with every field of the version. */
function sampleRequest(api: ApiSchema, version: number): Body {
  return decode(api.request, version, encode(api.request, version, structSample(api.request.fields, version, 'full') as never)) as Body
}

function errorCodes(value: unknown, out: number[] = []): number[] {
  if (Array.isArray(value)) for (const v of value) errorCodes(v, out)
  else if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const [k, v] of Object.entries(value)) {
      if ((k === 'errorCode' || k === 'partitionErrorCode') && typeof v === 'number') out.push(v)
      else errorCodes(v, out)
    }
  }
  return out
}

describe('error responses from the schema', () => {
  for (const h of allHandlers()) {
    it(`${h.name}: every served version encodes, every error code is the injected one`, () => {
      for (let v = h.minVersion; v <= h.maxVersion; v++) {
        const body = errorResponse(h.api, v, sampleRequest(h.api, v), CODE)
        roundTrip(h.api, v, body)
        const codes = errorCodes(body)
        // DescribeLogDirs v0-2 has no error code outside its log dirs, which an error answers none of (as Kafka).
        if (h.name === 'DescribeLogDirs' && v < 3) continue
        expect(codes.length, `${h.name} v${v}`).toBeGreaterThan(0)
        expect(new Set(codes), `${h.name} v${v}`).toEqual(new Set([CODE]))
      }
    })
  }

  it('Produce: one partition answer per partition sent, named as sent, offsets unknown', () => {
    const request = { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 't', partitionData: [{ index: 3, records: null }, { index: 5, records: null }] }] }
    const body = answered(produceApi, 8, request)
    expect(body.responses).toEqual([
      {
        name: 't',
        partitionResponses: [3, 5].map((index) => ({
          index,
          errorCode: CODE,
          baseOffset: -1,
          logAppendTimeMs: -1,
          logStartOffset: -1,
          recordErrors: [],
          errorMessage: INJECTED_ERROR_MESSAGE,
          // Not in v8: the decoder's default.
          currentLeader: { leaderId: -1, leaderEpoch: -1 },
        })),
      },
    ])
  })

  it('Fetch: partitionIndex from the request partition, empty records, the error at the top too (as Kafka)', () => {
    const request = sampleRequest(fetchApi, 12)
    const body = answered(fetchApi, 12, request) as { errorCode: number; responses: { topic: string; partitions: Body[] }[] }
    const asked = request.topics as { topic: string; partitions: { partition: number }[] }[]
    expect(body.errorCode).toBe(CODE)
    expect(body.responses.map((t) => t.topic)).toEqual(asked.map((t) => t.topic))
    expect(body.responses[0]!.partitions.map((p) => p.partitionIndex)).toEqual(asked[0]!.partitions.map((p) => p.partition))
    expect(body.responses[0]!.partitions[0]).toMatchObject({ errorCode: CODE, highWatermark: -1, logStartOffset: -1, records: Buffer.alloc(0) })
  })

  it('Metadata: the asked topics carry the error; no brokers; all topics (null) answers none', () => {
    const body = answered(metadataApi, 9, { topics: [{ name: 'a', topicId: '0'.repeat(32) }], allowAutoTopicCreation: false })
    expect(body.brokers).toEqual([])
    expect(body.topics).toEqual([expect.objectContaining({ name: 'a', errorCode: CODE, partitions: [] })])
    expect(answered(metadataApi, 9, { topics: null, allowAutoTopicCreation: false }).topics).toEqual([])
  })

  it('DescribeConfigs: one result per resource, by type and name, with the message', () => {
    const request = { resources: [{ resourceType: 2, resourceName: 'orders', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false }
    expect(answered(describeConfigsApi, 4, request).results).toEqual([
      { errorCode: CODE, errorMessage: INJECTED_ERROR_MESSAGE, resourceType: 2, resourceName: 'orders', configs: [] },
    ])
  })

  it('lists of names and indexes: DeleteGroups groups, OffsetFetch partitions, FindCoordinator v4 keys', () => {
    expect(answered(deleteGroupsApi, 2, { groupsNames: ['g1', 'g2'] }).results).toEqual([
      { groupId: 'g1', errorCode: CODE },
      { groupId: 'g2', errorCode: CODE },
    ])
    const fetched = answered(offsetFetchApi, 7, { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0, 2] }], groups: [], requireStable: false })
    expect(fetched.errorCode).toBe(CODE)
    expect(fetched.topics).toEqual([
      { name: 't', partitions: [0, 2].map((partitionIndex) => ({ partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: CODE })) },
    ])
    const found = answered(findCoordinatorApi, 4, { key: '', keyType: 0, coordinatorKeys: ['g1'] })
    expect(found.coordinators).toEqual([{ key: 'g1', nodeId: 0, host: '', port: 0, errorCode: CODE, errorMessage: INJECTED_ERROR_MESSAGE }])
  })
})
