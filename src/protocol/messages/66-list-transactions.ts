/**
 * ListTransactions (key 66), versions 0-1; flexible.
 * The transactions a broker coordinates (KIP-664), filtered by state, producer id and (v1+,
 * KIP-994) by running longer than a duration. A client asks every broker.
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const ListTransactionsRequest = message('ListTransactionsRequest', ApiKey.ListTransactions, '0-1', '0+', [
  f('stateFilters', '[]string', '0+'),
  f('producerIdFilters', '[]int64', '0+'),
  f('durationFilter', 'int64', '1+', { default: -1 }),
])

export const ListTransactionsResponse = message('ListTransactionsResponse', ApiKey.ListTransactions, '0-1', '0+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('errorCode', 'int16', '0+'),
  f('unknownStateFilters', '[]string', '0+'),
  f('transactionStates', '[]TransactionState', '0+', {
    fields: [f('transactionalId', 'string', '0+'), f('producerId', 'int64', '0+'), f('transactionState', 'string', '0+')],
  }),
])

export const listTransactionsApi = api(ListTransactionsRequest, ListTransactionsResponse)
export type ListTransactionsRequest = Decoded<typeof ListTransactionsRequest>
export type ListTransactionsResponse = Decoded<typeof ListTransactionsResponse>
export type ListTransactionsResponseInput = Input<typeof ListTransactionsResponse>
