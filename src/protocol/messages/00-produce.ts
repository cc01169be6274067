/**
 * Produce (key 0), versions 0-9; v9+ flexible.
 * `records` is a view into the request frame (no copy); validate it with validateProducedRecords.
 * v0-2 carry old message formats (magic 0/1) that sluice does not store: the broker answers them
 * with an error code. acks=0 requests get no response at all (a broker concern).
 * Not implemented: v10-11 (CurrentLeader / NodeEndpoints tagged fields, KIP-951).
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const ProduceRequest = message('ProduceRequest', ApiKey.Produce, '0-9', '9+', [
  f('transactionalId', 'string', '3+', { nullableVersions: '3+', default: null }),
  f('acks', 'int16', '0+'),
  f('timeoutMs', 'int32', '0+'),
  f('topicData', '[]TopicProduceData', '0+', {
    fields: [
      f('name', 'string', '0+'),
      f('partitionData', '[]PartitionProduceData', '0+', {
        fields: [f('index', 'int32', '0+'), f('records', 'records', '0+', { nullableVersions: '0+' })],
      }),
    ],
  }),
])

export const ProduceResponse = message('ProduceResponse', ApiKey.Produce, '0-9', '9+', [
  f('responses', '[]TopicProduceResponse', '0+', {
    fields: [
      f('name', 'string', '0+'),
      f('partitionResponses', '[]PartitionProduceResponse', '0+', {
        fields: [
          f('index', 'int32', '0+'),
          f('errorCode', 'int16', '0+'),
          f('baseOffset', 'int64', '0+'),
          f('logAppendTimeMs', 'int64', '2+', { default: -1 }),
          f('logStartOffset', 'int64', '5+', { default: -1 }),
          f('recordErrors', '[]BatchIndexAndErrorMessage', '8+', {
            fields: [
              f('batchIndex', 'int32', '8+'),
              f('batchIndexErrorMessage', 'string', '8+', { nullableVersions: '8+', default: null }),
            ],
          }),
          f('errorMessage', 'string', '8+', { nullableVersions: '8+', default: null }),
        ],
      }),
    ],
  }),
  f('throttleTimeMs', 'int32', '1+', { default: 0 }),
])

export const produceApi = api(ProduceRequest, ProduceResponse)
export type ProduceRequest = Decoded<typeof ProduceRequest>
export type ProduceResponse = Decoded<typeof ProduceResponse>
export type ProduceResponseInput = Input<typeof ProduceResponse>
