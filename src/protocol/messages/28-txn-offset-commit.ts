/**
 * TxnOffsetCommit (key 28), versions 0-4; v3+ flexible. v4 only allows TRANSACTION_ABORTABLE
 * (KIP-890).
 * A transactional producer commits a group's offsets inside its transaction (KIP-98; v3 adds the
 * group's generation and member, KIP-447): they take effect when the transaction commits.
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const TxnOffsetCommitRequest = message('TxnOffsetCommitRequest', ApiKey.TxnOffsetCommit, '0-4', '3+', [
  f('transactionalId', 'string', '0+'),
  f('groupId', 'string', '0+'),
  f('producerId', 'int64', '0+'),
  f('producerEpoch', 'int16', '0+'),
  f('generationId', 'int32', '3+', { default: -1 }),
  f('memberId', 'string', '3+', { default: '' }),
  f('groupInstanceId', 'string', '3+', { nullableVersions: '3+', default: null }),
  f('topics', '[]TxnOffsetCommitRequestTopic', '0+', {
    fields: [
      f('name', 'string', '0+'),
      f('partitions', '[]TxnOffsetCommitRequestPartition', '0+', {
        fields: [
          f('partitionIndex', 'int32', '0+'),
          f('committedOffset', 'int64', '0+'),
          f('committedLeaderEpoch', 'int32', '2+', { default: -1 }),
          f('committedMetadata', 'string', '0+', { nullableVersions: '0+' }),
        ],
      }),
    ],
  }),
])

export const TxnOffsetCommitResponse = message('TxnOffsetCommitResponse', ApiKey.TxnOffsetCommit, '0-4', '3+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('topics', '[]TxnOffsetCommitResponseTopic', '0+', {
    fields: [
      f('name', 'string', '0+'),
      f('partitions', '[]TxnOffsetCommitResponsePartition', '0+', {
        fields: [f('partitionIndex', 'int32', '0+'), f('errorCode', 'int16', '0+')],
      }),
    ],
  }),
])

export const txnOffsetCommitApi = api(TxnOffsetCommitRequest, TxnOffsetCommitResponse)
export type TxnOffsetCommitRequest = Decoded<typeof TxnOffsetCommitRequest>
export type TxnOffsetCommitResponse = Decoded<typeof TxnOffsetCommitResponse>
export type TxnOffsetCommitResponseInput = Input<typeof TxnOffsetCommitResponse>
