/**
 * FindCoordinator (key 10), versions 0-6; v3+ flexible.
 * keyType: 0 group, 1 transaction, 2 share group (v6+, KIP-932). v0-3 ask for one key and answer
 * one coordinator; v4+ batch keys (coordinatorKeys) and answer a list of coordinators. v5 only
 * allows TRANSACTION_ABORTABLE (KIP-890) in answers.
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const FindCoordinatorRequest = message('FindCoordinatorRequest', ApiKey.FindCoordinator, '0-6', '3+', [
  f('key', 'string', '0-3'),
  f('keyType', 'int8', '1+', { default: 0 }),
  f('coordinatorKeys', '[]string', '4+'),
])

export const FindCoordinatorResponse = message('FindCoordinatorResponse', ApiKey.FindCoordinator, '0-6', '3+', [
  f('throttleTimeMs', 'int32', '1+'),
  f('errorCode', 'int16', '0-3'),
  f('errorMessage', 'string', '1-3', { nullableVersions: '1-3' }),
  f('nodeId', 'int32', '0-3'),
  f('host', 'string', '0-3'),
  f('port', 'int32', '0-3'),
  f('coordinators', '[]Coordinator', '4+', {
    fields: [
      f('key', 'string', '4+'),
      f('nodeId', 'int32', '4+'),
      f('host', 'string', '4+'),
      f('port', 'int32', '4+'),
      f('errorCode', 'int16', '4+'),
      f('errorMessage', 'string', '4+', { nullableVersions: '4+' }),
    ],
  }),
])

export const findCoordinatorApi = api(FindCoordinatorRequest, FindCoordinatorResponse)
export type FindCoordinatorRequest = Decoded<typeof FindCoordinatorRequest>
export type FindCoordinatorResponse = Decoded<typeof FindCoordinatorResponse>
export type FindCoordinatorResponseInput = Input<typeof FindCoordinatorResponse>
