/**
 * DescribeTransactions (key 65), version 0; flexible.
 * A transaction coordinator's view of transactional ids (KIP-664): state, producer id and epoch,
 * timeout, start time and partitions. States are Kafka's names (Empty, Ongoing, PrepareCommit,
 * PrepareAbort, CompleteCommit, CompleteAbort, Dead, PrepareEpochFence).
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const DescribeTransactionsRequest = message('DescribeTransactionsRequest', ApiKey.DescribeTransactions, '0', '0+', [
  f('transactionalIds', '[]string', '0+'),
])

export const DescribeTransactionsResponse = message('DescribeTransactionsResponse', ApiKey.DescribeTransactions, '0', '0+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('transactionStates', '[]TransactionState', '0+', {
    fields: [
      f('errorCode', 'int16', '0+'),
      f('transactionalId', 'string', '0+'),
      f('transactionState', 'string', '0+'),
      f('transactionTimeoutMs', 'int32', '0+'),
      f('transactionStartTimeMs', 'int64', '0+'),
      f('producerId', 'int64', '0+'),
      f('producerEpoch', 'int16', '0+'),
      f('topics', '[]TopicData', '0+', {
        fields: [f('topic', 'string', '0+'), f('partitions', '[]int32', '0+')],
      }),
    ],
  }),
])

export const describeTransactionsApi = api(DescribeTransactionsRequest, DescribeTransactionsResponse)
export type DescribeTransactionsRequest = Decoded<typeof DescribeTransactionsRequest>
export type DescribeTransactionsResponse = Decoded<typeof DescribeTransactionsResponse>
export type DescribeTransactionsResponseInput = Input<typeof DescribeTransactionsResponse>
