/**
 * The decoded and input types computed from the schema values (checked by tsc via vitest's
 * expectTypeOf; the runtime part is trivial).
 */
import { describe, expectTypeOf, it } from 'vitest'
import type { FetchResponseInput } from '../../src/protocol/messages/01-fetch.js'
import type { MetadataRequest, MetadataResponse } from '../../src/protocol/messages/03-metadata.js'
import type { ProduceRequest } from '../../src/protocol/messages/00-produce.js'
import type { ApiVersionsResponse } from '../../src/protocol/messages/18-api-versions.js'

describe('schema-derived types', () => {
  it('map Kafka types to TypeScript', () => {
    expectTypeOf<MetadataRequest['topics']>().toEqualTypeOf<{ topicId: string; name: string | null }[] | null>()
    expectTypeOf<MetadataRequest['allowAutoTopicCreation']>().toEqualTypeOf<boolean>()
    expectTypeOf<MetadataResponse['topics'][number]['partitions'][number]['isrNodes']>().toEqualTypeOf<number[]>()
    expectTypeOf<MetadataResponse['clusterId']>().toEqualTypeOf<string | null>()
    expectTypeOf<ProduceRequest['topicData'][number]['partitionData'][number]['records']>().toEqualTypeOf<Buffer | null>()
    expectTypeOf<ApiVersionsResponse['finalizedFeaturesEpoch']>().toEqualTypeOf<number>()
  })

  it('make every input field optional and accept records as a list of buffers', () => {
    const body: FetchResponseInput = { responses: [{ topic: 't', partitions: [{ partitionIndex: 0, records: [Buffer.alloc(1)] }] }] }
    expectTypeOf(body).toMatchTypeOf<FetchResponseInput>()
    // @ts-expect-error unknown field names are refused
    const bad: FetchResponseInput = { nope: 1 }
    void bad
  })
})
