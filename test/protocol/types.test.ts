/**
 * The decoded and input types computed from the schema values (checked by tsc via vitest's
 * expectTypeOf; the runtime part is trivial).
 */
import { describe, expectTypeOf, it } from 'vitest'
import type { FetchResponseInput } from '../../src/protocol/messages/01-fetch.js'
import { MetadataRequest as MetadataRequestSchema, type MetadataRequest, type MetadataResponse } from '../../src/protocol/messages/03-metadata.js'
import type { HeartbeatResponseInput } from '../../src/protocol/messages/12-heartbeat.js'
import type { Input } from '../../src/protocol/schema.js'
import type { ProduceRequest } from '../../src/protocol/messages/00-produce.js'
import type { ApiVersionsResponse } from '../../src/protocol/messages/18-api-versions.js'
import { ZERO_UUID } from '../../src/protocol/primitives.js'

type MetadataRequestInput = Input<typeof MetadataRequestSchema>

describe('schema-derived types', () => {
  it('map Kafka types to TypeScript', () => {
    expectTypeOf<MetadataRequest['topics']>().toEqualTypeOf<{ topicId: string; name: string | null }[] | null>()
    expectTypeOf<MetadataRequest['allowAutoTopicCreation']>().toEqualTypeOf<boolean>()
    expectTypeOf<MetadataResponse['topics'][number]['partitions'][number]['isrNodes']>().toEqualTypeOf<number[]>()
    expectTypeOf<MetadataResponse['clusterId']>().toEqualTypeOf<string | null>()
    expectTypeOf<ProduceRequest['topicData'][number]['partitionData'][number]['records']>().toEqualTypeOf<Buffer | null>()
    expectTypeOf<ApiVersionsResponse['finalizedFeaturesEpoch']>().toEqualTypeOf<number>()
  })

  it('require every response field without a Kafka default, and refuse unknown names', () => {
    const partition = { partitionIndex: 0, errorCode: 0, highWatermark: 5, abortedTransactions: null, records: [Buffer.alloc(1)] }
    const body: FetchResponseInput = { throttleTimeMs: 0, errorCode: 0, responses: [{ topic: 't', topicId: ZERO_UUID, partitions: [partition] }] }
    expectTypeOf(body).toMatchTypeOf<FetchResponseInput>()
    // @ts-expect-error unknown field names are refused
    const unknown: HeartbeatResponseInput = { throttleTimeMs: 0, errorCode: 0, nope: 1 }
    // @ts-expect-error a field without a default may not be left out (errorCode)
    const missing: HeartbeatResponseInput = { throttleTimeMs: 0 }
    // @ts-expect-error a misspelt list field does not compile (it would go out as an empty list)
    const misspelt: FetchResponseInput = { throttleTimeMs: 0, errorCode: 0, response: [] }
    // @ts-expect-error nor does a missing field deep in a list (highWatermark)
    const deep: FetchResponseInput = { throttleTimeMs: 0, errorCode: 0, responses: [{ topic: 't', partitions: [{ partitionIndex: 0, errorCode: 0, abortedTransactions: null, records: [] }] }] }
    // Fields with a Kafka default may be left out (sessionId, lastStableOffset, ...).
    const defaults: FetchResponseInput = { throttleTimeMs: 0, errorCode: 0, responses: [] }
    void [unknown, missing, misspelt, deep, defaults]
  })

  it('leave every request field optional: the client relies on per-version defaults', () => {
    const request: MetadataRequestInput = { topics: [{ name: 't' }] }
    expectTypeOf(request).toMatchTypeOf<MetadataRequestInput>()
    // @ts-expect-error unknown field names are refused in requests too
    const bad: MetadataRequestInput = { nope: 1 }
    void bad
  })
})
