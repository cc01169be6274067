/**
 * AddPartitionsToTxn (key 24), versions 0-5; v3+ flexible.
 * v0-3 (clients): a transactional producer names the partitions it is about to write before its
 * first batch to each; the transaction coordinator records them, so that EndTxn knows where to
 * write markers. v4+ (KIP-890, between brokers): several transactions per request, each either
 * added as before or, with verifyOnly, only checked; a top-level error code. v5 only allows
 * TRANSACTION_ABORTABLE (KIP-890).
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

const topicFields = [f('name', 'string', '0+'), f('partitions', '[]int32', '0+')]
const topicResultFields = [
  f('name', 'string', '0+'),
  f('resultsByPartition', '[]AddPartitionsToTxnPartitionResult', '0+', {
    fields: [f('partitionIndex', 'int32', '0+'), f('partitionErrorCode', 'int16', '0+')],
  }),
]

export const AddPartitionsToTxnRequest = message('AddPartitionsToTxnRequest', ApiKey.AddPartitionsToTxn, '0-5', '3+', [
  f('transactions', '[]AddPartitionsToTxnTransaction', '4+', {
    fields: [
      f('transactionalId', 'string', '4+'),
      f('producerId', 'int64', '4+'),
      f('producerEpoch', 'int16', '4+'),
      f('verifyOnly', 'bool', '4+', { default: false }),
      f('topics', '[]AddPartitionsToTxnTopic', '4+', { fields: topicFields }),
    ],
  }),
  f('v3AndBelowTransactionalId', 'string', '0-3'),
  f('v3AndBelowProducerId', 'int64', '0-3'),
  f('v3AndBelowProducerEpoch', 'int16', '0-3'),
  f('v3AndBelowTopics', '[]AddPartitionsToTxnTopic', '0-3', { fields: topicFields }),
])

export const AddPartitionsToTxnResponse = message('AddPartitionsToTxnResponse', ApiKey.AddPartitionsToTxn, '0-5', '3+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('errorCode', 'int16', '4+'),
  f('resultsByTransaction', '[]AddPartitionsToTxnResult', '4+', {
    fields: [f('transactionalId', 'string', '4+'), f('topicResults', '[]AddPartitionsToTxnTopicResult', '4+', { fields: topicResultFields })],
  }),
  f('resultsByTopicV3AndBelow', '[]AddPartitionsToTxnTopicResult', '0-3', { fields: topicResultFields }),
])

export const addPartitionsToTxnApi = api(AddPartitionsToTxnRequest, AddPartitionsToTxnResponse)
export type AddPartitionsToTxnRequest = Decoded<typeof AddPartitionsToTxnRequest>
export type AddPartitionsToTxnResponse = Decoded<typeof AddPartitionsToTxnResponse>
export type AddPartitionsToTxnResponseInput = Input<typeof AddPartitionsToTxnResponse>
