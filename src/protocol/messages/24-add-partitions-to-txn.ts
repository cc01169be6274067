/**
 * AddPartitionsToTxn (key 24), versions 0-3; v3+ flexible.
 * A transactional producer names the partitions it is about to write before its first batch to
 * each; the transaction coordinator records them, so that EndTxn knows where to write markers.
 * Not implemented: v4-5 (KIP-890: several transactions per request, sent between brokers to verify).
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const AddPartitionsToTxnRequest = message('AddPartitionsToTxnRequest', ApiKey.AddPartitionsToTxn, '0-3', '3+', [
  f('v3AndBelowTransactionalId', 'string', '0-3'),
  f('v3AndBelowProducerId', 'int64', '0-3'),
  f('v3AndBelowProducerEpoch', 'int16', '0-3'),
  f('v3AndBelowTopics', '[]AddPartitionsToTxnTopic', '0-3', {
    fields: [f('name', 'string', '0+'), f('partitions', '[]int32', '0+')],
  }),
])

export const AddPartitionsToTxnResponse = message('AddPartitionsToTxnResponse', ApiKey.AddPartitionsToTxn, '0-3', '3+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('resultsByTopicV3AndBelow', '[]AddPartitionsToTxnTopicResult', '0-3', {
    fields: [
      f('name', 'string', '0+'),
      f('resultsByPartition', '[]AddPartitionsToTxnPartitionResult', '0+', {
        fields: [f('partitionIndex', 'int32', '0+'), f('partitionErrorCode', 'int16', '0+')],
      }),
    ],
  }),
])

export const addPartitionsToTxnApi = api(AddPartitionsToTxnRequest, AddPartitionsToTxnResponse)
export type AddPartitionsToTxnRequest = Decoded<typeof AddPartitionsToTxnRequest>
export type AddPartitionsToTxnResponse = Decoded<typeof AddPartitionsToTxnResponse>
export type AddPartitionsToTxnResponseInput = Input<typeof AddPartitionsToTxnResponse>
