/**
 * EndTxn (key 26), versions 0-4; v3+ flexible. v4 only allows TRANSACTION_ABORTABLE (KIP-890).
 * Commits or aborts a producer's transaction: the coordinator writes PrepareCommit/PrepareAbort,
 * answers, then writes the COMMIT/ABORT markers into every partition of the transaction.
 * Not implemented: v5 (KIP-890 part 2: the bumped producer id and epoch in the answer), which
 * Kafka 3.9 does not serve.
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const EndTxnRequest = message('EndTxnRequest', ApiKey.EndTxn, '0-4', '3+', [
  f('transactionalId', 'string', '0+'),
  f('producerId', 'int64', '0+'),
  f('producerEpoch', 'int16', '0+'),
  f('committed', 'bool', '0+'),
])

export const EndTxnResponse = message('EndTxnResponse', ApiKey.EndTxn, '0-4', '3+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('errorCode', 'int16', '0+'),
])

export const endTxnApi = api(EndTxnRequest, EndTxnResponse)
export type EndTxnRequest = Decoded<typeof EndTxnRequest>
export type EndTxnResponse = Decoded<typeof EndTxnResponse>
export type EndTxnResponseInput = Input<typeof EndTxnResponse>
