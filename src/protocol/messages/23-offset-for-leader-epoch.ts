/**
 * OffsetForLeaderEpoch (key 23), versions 0-4; v4+ flexible.
 * For each partition: the end offset of the given leader epoch (the start offset of the next
 * epoch, or the LEO for the current one), used by consumers and followers to detect truncation.
 * replicaId -2 = a consumer (v3+), a broker id = a follower.
 * Not implemented: nothing in these versions.
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const OffsetForLeaderEpochRequest = message('OffsetForLeaderEpochRequest', ApiKey.OffsetForLeaderEpoch, '0-4', '4+', [
  f('replicaId', 'int32', '3+', { default: -2 }),
  f('topics', '[]OffsetForLeaderTopic', '0+', {
    fields: [
      f('topic', 'string', '0+'),
      f('partitions', '[]OffsetForLeaderPartition', '0+', {
        fields: [
          f('partition', 'int32', '0+'),
          f('currentLeaderEpoch', 'int32', '2+', { default: -1 }),
          f('leaderEpoch', 'int32', '0+'),
        ],
      }),
    ],
  }),
])

export const OffsetForLeaderEpochResponse = message('OffsetForLeaderEpochResponse', ApiKey.OffsetForLeaderEpoch, '0-4', '4+', [
  f('throttleTimeMs', 'int32', '2+'),
  f('topics', '[]OffsetForLeaderTopicResult', '0+', {
    fields: [
      f('topic', 'string', '0+'),
      f('partitions', '[]EpochEndOffset', '0+', {
        fields: [
          f('errorCode', 'int16', '0+'),
          f('partition', 'int32', '0+'),
          f('leaderEpoch', 'int32', '1+', { default: -1 }),
          f('endOffset', 'int64', '0+', { default: -1 }),
        ],
      }),
    ],
  }),
])

export const offsetForLeaderEpochApi = api(OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse)
export type OffsetForLeaderEpochRequest = Decoded<typeof OffsetForLeaderEpochRequest>
export type OffsetForLeaderEpochResponse = Decoded<typeof OffsetForLeaderEpochResponse>
export type OffsetForLeaderEpochResponseInput = Input<typeof OffsetForLeaderEpochResponse>
