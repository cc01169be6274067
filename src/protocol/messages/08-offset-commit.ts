/**
 * OffsetCommit (key 8), versions 0-9; v8+ flexible. v9 is v8 (the first version KIP-848's
 * consumer groups may use).
 * v0 commits to ZooKeeper-era storage (no generation); v1 carries a per-partition commit
 * timestamp; v2-4 a retention time; v5+ neither. generationIdOrMemberEpoch -1 with an empty
 * memberId is a simple (non-group) commit.
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const OffsetCommitRequest = message('OffsetCommitRequest', ApiKey.OffsetCommit, '0-9', '8+', [
  f('groupId', 'string', '0+'),
  f('generationIdOrMemberEpoch', 'int32', '1+', { default: -1 }),
  f('memberId', 'string', '1+'),
  f('groupInstanceId', 'string', '7+', { nullableVersions: '7+', default: null }),
  f('retentionTimeMs', 'int64', '2-4', { default: -1 }),
  f('topics', '[]OffsetCommitRequestTopic', '0+', {
    fields: [
      f('name', 'string', '0+'),
      f('partitions', '[]OffsetCommitRequestPartition', '0+', {
        fields: [
          f('partitionIndex', 'int32', '0+'),
          f('committedOffset', 'int64', '0+'),
          f('committedLeaderEpoch', 'int32', '6+', { default: -1 }),
          f('commitTimestamp', 'int64', '1', { default: -1 }),
          f('committedMetadata', 'string', '0+', { nullableVersions: '0+' }),
        ],
      }),
    ],
  }),
])

export const OffsetCommitResponse = message('OffsetCommitResponse', ApiKey.OffsetCommit, '0-9', '8+', [
  f('throttleTimeMs', 'int32', '3+'),
  f('topics', '[]OffsetCommitResponseTopic', '0+', {
    fields: [
      f('name', 'string', '0+'),
      f('partitions', '[]OffsetCommitResponsePartition', '0+', {
        fields: [f('partitionIndex', 'int32', '0+'), f('errorCode', 'int16', '0+')],
      }),
    ],
  }),
])

export const offsetCommitApi = api(OffsetCommitRequest, OffsetCommitResponse)
export type OffsetCommitRequest = Decoded<typeof OffsetCommitRequest>
export type OffsetCommitResponse = Decoded<typeof OffsetCommitResponse>
export type OffsetCommitResponseInput = Input<typeof OffsetCommitResponse>
