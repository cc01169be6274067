/**
 * OffsetDelete (key 47), version 0; never flexible.
 * Deletes committed offsets of partitions the group no longer consumes.
 * Not implemented: nothing.
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const OffsetDeleteRequest = message('OffsetDeleteRequest', ApiKey.OffsetDelete, '0', 'none', [
  f('groupId', 'string', '0+'),
  f('topics', '[]OffsetDeleteRequestTopic', '0+', {
    fields: [
      f('name', 'string', '0+'),
      f('partitions', '[]OffsetDeleteRequestPartition', '0+', { fields: [f('partitionIndex', 'int32', '0+')] }),
    ],
  }),
])

export const OffsetDeleteResponse = message('OffsetDeleteResponse', ApiKey.OffsetDelete, '0', 'none', [
  f('errorCode', 'int16', '0+'),
  f('throttleTimeMs', 'int32', '0+'),
  f('topics', '[]OffsetDeleteResponseTopic', '0+', {
    fields: [
      f('name', 'string', '0+'),
      f('partitions', '[]OffsetDeleteResponsePartition', '0+', {
        fields: [f('partitionIndex', 'int32', '0+'), f('errorCode', 'int16', '0+')],
      }),
    ],
  }),
])

export const offsetDeleteApi = api(OffsetDeleteRequest, OffsetDeleteResponse)
export type OffsetDeleteRequest = Decoded<typeof OffsetDeleteRequest>
export type OffsetDeleteResponse = Decoded<typeof OffsetDeleteResponse>
export type OffsetDeleteResponseInput = Input<typeof OffsetDeleteResponse>
