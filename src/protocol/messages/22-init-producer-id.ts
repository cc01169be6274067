/**
 * InitProducerId (key 22), versions 0-5; v2+ flexible. v5 only allows TRANSACTION_ABORTABLE (KIP-890).
 * transactionalId null = an idempotent producer. v3+ may pass the current producerId/epoch to
 * bump the epoch instead of getting a new id.
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const InitProducerIdRequest = message('InitProducerIdRequest', ApiKey.InitProducerId, '0-5', '2+', [
  f('transactionalId', 'string', '0+', { nullableVersions: '0+' }),
  f('transactionTimeoutMs', 'int32', '0+'),
  f('producerId', 'int64', '3+', { default: -1 }),
  f('producerEpoch', 'int16', '3+', { default: -1 }),
])

export const InitProducerIdResponse = message('InitProducerIdResponse', ApiKey.InitProducerId, '0-5', '2+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('errorCode', 'int16', '0+'),
  f('producerId', 'int64', '0+', { default: -1 }),
  f('producerEpoch', 'int16', '0+'),
])

export const initProducerIdApi = api(InitProducerIdRequest, InitProducerIdResponse)
export type InitProducerIdRequest = Decoded<typeof InitProducerIdRequest>
export type InitProducerIdResponse = Decoded<typeof InitProducerIdResponse>
export type InitProducerIdResponseInput = Input<typeof InitProducerIdResponse>
