/**
 * OffsetFetch (key 9), versions 0-9; v6+ flexible.
 * v0-7 ask for one group (topics null = all, v2+); v8 batches groups, each answered in `groups`.
 * A partition with no committed offset answers committedOffset -1.
 * v9 adds each group's member id and epoch (KIP-848: set by consumers of the new protocol).
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const OffsetFetchRequest = message('OffsetFetchRequest', ApiKey.OffsetFetch, '0-9', '6+', [
  f('groupId', 'string', '0-7'),
  f('topics', '[]OffsetFetchRequestTopic', '0-7', {
    nullableVersions: '2-7',
    fields: [f('name', 'string', '0-7'), f('partitionIndexes', '[]int32', '0-7')],
  }),
  f('groups', '[]OffsetFetchRequestGroup', '8+', {
    fields: [
      f('groupId', 'string', '8+'),
      f('memberId', 'string', '9+', { nullableVersions: '9+', default: null }),
      f('memberEpoch', 'int32', '9+', { default: -1 }),
      f('topics', '[]OffsetFetchRequestTopics', '8+', {
        nullableVersions: '8+',
        fields: [f('name', 'string', '8+'), f('partitionIndexes', '[]int32', '8+')],
      }),
    ],
  }),
  f('requireStable', 'bool', '7+', { default: false }),
])

export const OffsetFetchResponse = message('OffsetFetchResponse', ApiKey.OffsetFetch, '0-9', '6+', [
  f('throttleTimeMs', 'int32', '3+'),
  f('topics', '[]OffsetFetchResponseTopic', '0-7', {
    fields: [
      f('name', 'string', '0-7'),
      f('partitions', '[]OffsetFetchResponsePartition', '0-7', {
        fields: [
          f('partitionIndex', 'int32', '0-7'),
          f('committedOffset', 'int64', '0-7'),
          f('committedLeaderEpoch', 'int32', '5-7', { default: -1 }),
          f('metadata', 'string', '0-7', { nullableVersions: '0-7' }),
          f('errorCode', 'int16', '0-7'),
        ],
      }),
    ],
  }),
  f('errorCode', 'int16', '2-7', { default: 0 }),
  f('groups', '[]OffsetFetchResponseGroup', '8+', {
    fields: [
      f('groupId', 'string', '8+'),
      f('topics', '[]OffsetFetchResponseTopics', '8+', {
        fields: [
          f('name', 'string', '8+'),
          f('partitions', '[]OffsetFetchResponsePartitions', '8+', {
            fields: [
              f('partitionIndex', 'int32', '8+'),
              f('committedOffset', 'int64', '8+'),
              f('committedLeaderEpoch', 'int32', '8+', { default: -1 }),
              f('metadata', 'string', '8+', { nullableVersions: '8+' }),
              f('errorCode', 'int16', '8+'),
            ],
          }),
        ],
      }),
      f('errorCode', 'int16', '8+', { default: 0 }),
    ],
  }),
])

export const offsetFetchApi = api(OffsetFetchRequest, OffsetFetchResponse)
export type OffsetFetchRequest = Decoded<typeof OffsetFetchRequest>
export type OffsetFetchResponse = Decoded<typeof OffsetFetchResponse>
export type OffsetFetchResponseInput = Input<typeof OffsetFetchResponse>
