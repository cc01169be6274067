/**
 * DescribeProducers (key 61), version 0; flexible.
 * The active producers of partitions, as their leaders know them (KIP-664): producer id and epoch,
 * last sequence and timestamp, and the first offset of the transaction each has open.
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const DescribeProducersRequest = message('DescribeProducersRequest', ApiKey.DescribeProducers, '0', '0+', [
  f('topics', '[]TopicRequest', '0+', {
    fields: [f('name', 'string', '0+'), f('partitionIndexes', '[]int32', '0+')],
  }),
])

export const DescribeProducersResponse = message('DescribeProducersResponse', ApiKey.DescribeProducers, '0', '0+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('topics', '[]TopicResponse', '0+', {
    fields: [
      f('name', 'string', '0+'),
      f('partitions', '[]PartitionResponse', '0+', {
        fields: [
          f('partitionIndex', 'int32', '0+'),
          f('errorCode', 'int16', '0+'),
          f('errorMessage', 'string', '0+', { nullableVersions: '0+', default: null }),
          f('activeProducers', '[]ProducerState', '0+', {
            fields: [
              f('producerId', 'int64', '0+'),
              f('producerEpoch', 'int32', '0+'),
              f('lastSequence', 'int32', '0+', { default: -1 }),
              f('lastTimestamp', 'int64', '0+', { default: -1 }),
              f('coordinatorEpoch', 'int32', '0+'),
              f('currentTxnStartOffset', 'int64', '0+', { default: -1 }),
            ],
          }),
        ],
      }),
    ],
  }),
])

export const describeProducersApi = api(DescribeProducersRequest, DescribeProducersResponse)
export type DescribeProducersRequest = Decoded<typeof DescribeProducersRequest>
export type DescribeProducersResponse = Decoded<typeof DescribeProducersResponse>
export type DescribeProducersResponseInput = Input<typeof DescribeProducersResponse>
