/**
 * AddOffsetsToTxn (key 25), versions 0-4; v3+ flexible. v4 only allows TRANSACTION_ABORTABLE (KIP-890).
 * A transactional producer that will commit a group's offsets in its transaction (TxnOffsetCommit)
 * first adds the group's partition of __consumer_offsets to the transaction.
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const AddOffsetsToTxnRequest = message('AddOffsetsToTxnRequest', ApiKey.AddOffsetsToTxn, '0-4', '3+', [
  f('transactionalId', 'string', '0+'),
  f('producerId', 'int64', '0+'),
  f('producerEpoch', 'int16', '0+'),
  f('groupId', 'string', '0+'),
])

export const AddOffsetsToTxnResponse = message('AddOffsetsToTxnResponse', ApiKey.AddOffsetsToTxn, '0-4', '3+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('errorCode', 'int16', '0+'),
])

export const addOffsetsToTxnApi = api(AddOffsetsToTxnRequest, AddOffsetsToTxnResponse)
export type AddOffsetsToTxnRequest = Decoded<typeof AddOffsetsToTxnRequest>
export type AddOffsetsToTxnResponse = Decoded<typeof AddOffsetsToTxnResponse>
export type AddOffsetsToTxnResponseInput = Input<typeof AddOffsetsToTxnResponse>
