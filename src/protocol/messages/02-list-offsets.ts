/**
 * ListOffsets (key 2), versions 0-10; v6+ flexible.
 * Timestamps -1 (latest), -2 (earliest), -3 (max timestamp, v7+), -4 (earliest local, v8+), -5
 * (latest tiered, v9+) are special (a broker concern). v10 adds TimeoutMs (for tiered storage).
 * v0 asks for up to maxNumOffsets offsets and answers oldStyleOffsets; v1+ one offset + timestamp.
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const ListOffsetsRequest = message('ListOffsetsRequest', ApiKey.ListOffsets, '0-10', '6+', [
  f('replicaId', 'int32', '0+'),
  f('isolationLevel', 'int8', '2+'),
  f('topics', '[]ListOffsetsTopic', '0+', {
    fields: [
      f('name', 'string', '0+'),
      f('partitions', '[]ListOffsetsPartition', '0+', {
        fields: [
          f('partitionIndex', 'int32', '0+'),
          f('currentLeaderEpoch', 'int32', '4+', { default: -1 }),
          f('timestamp', 'int64', '0+'),
          f('maxNumOffsets', 'int32', '0', { default: 1 }),
        ],
      }),
    ],
  }),
  f('timeoutMs', 'int32', '10+'),
])

export const ListOffsetsResponse = message('ListOffsetsResponse', ApiKey.ListOffsets, '0-10', '6+', [
  f('throttleTimeMs', 'int32', '2+'),
  f('topics', '[]ListOffsetsTopicResponse', '0+', {
    fields: [
      f('name', 'string', '0+'),
      f('partitions', '[]ListOffsetsPartitionResponse', '0+', {
        fields: [
          f('partitionIndex', 'int32', '0+'),
          f('errorCode', 'int16', '0+'),
          f('oldStyleOffsets', '[]int64', '0'),
          f('timestamp', 'int64', '1+', { default: -1 }),
          f('offset', 'int64', '1+', { default: -1 }),
          f('leaderEpoch', 'int32', '4+', { default: -1 }),
        ],
      }),
    ],
  }),
])

export const listOffsetsApi = api(ListOffsetsRequest, ListOffsetsResponse)
export type ListOffsetsRequest = Decoded<typeof ListOffsetsRequest>
export type ListOffsetsResponse = Decoded<typeof ListOffsetsResponse>
export type ListOffsetsResponseInput = Input<typeof ListOffsetsResponse>
