/**
 * Produce (key 0), versions 0-11; v9+ flexible. v10 is v9 plus the tagged CurrentLeader and
 * NodeEndpoints of KIP-951; v11 is v10 (it allows TRANSACTION_ABORTABLE, KIP-890).
 * `records` is a view into the request frame (no copy); validate it with validateProducedRecords.
 * v0-2 carry old message formats (magic 0/1) that sluice does not store: the broker answers them
 * with an error code. acks=0 requests get no response at all (a broker concern).
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const ProduceRequest = message('ProduceRequest', ApiKey.Produce, '0-11', '9+', [
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

export const ProduceResponse = message('ProduceResponse', ApiKey.Produce, '0-11', '9+', [
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
          f('currentLeader', 'LeaderIdAndEpoch', '10+', {
            taggedVersions: '10+',
            tag: 0,
            fields: [f('leaderId', 'int32', '10+', { default: -1 }), f('leaderEpoch', 'int32', '10+', { default: -1 })],
          }),
        ],
      }),
    ],
  }),
  f('throttleTimeMs', 'int32', '1+', { default: 0 }),
  f('nodeEndpoints', '[]NodeEndpoint', '10+', {
    taggedVersions: '10+',
    tag: 0,
    fields: [
      f('nodeId', 'int32', '10+'),
      f('host', 'string', '10+'),
      f('port', 'int32', '10+'),
      f('rack', 'string', '10+', { nullableVersions: '10+', default: null }),
    ],
  }),
])

export const produceApi = api(ProduceRequest, ProduceResponse)
export type ProduceRequest = Decoded<typeof ProduceRequest>
export type ProduceResponse = Decoded<typeof ProduceResponse>
export type ProduceResponseInput = Input<typeof ProduceResponse>
