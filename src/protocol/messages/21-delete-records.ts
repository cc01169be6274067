/**
 * DeleteRecords (key 21), versions 0-2; v2+ flexible.
 * Moves each partition's log start offset up to `offset` (-1 = the high watermark).
 * Not implemented: nothing in these versions.
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const DeleteRecordsRequest = message('DeleteRecordsRequest', ApiKey.DeleteRecords, '0-2', '2+', [
  f('topics', '[]DeleteRecordsTopic', '0+', {
    fields: [
      f('name', 'string', '0+'),
      f('partitions', '[]DeleteRecordsPartition', '0+', {
        fields: [f('partitionIndex', 'int32', '0+'), f('offset', 'int64', '0+')],
      }),
    ],
  }),
  f('timeoutMs', 'int32', '0+'),
])

export const DeleteRecordsResponse = message('DeleteRecordsResponse', ApiKey.DeleteRecords, '0-2', '2+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('topics', '[]DeleteRecordsTopicResult', '0+', {
    fields: [
      f('name', 'string', '0+'),
      f('partitions', '[]DeleteRecordsPartitionResult', '0+', {
        fields: [f('partitionIndex', 'int32', '0+'), f('lowWatermark', 'int64', '0+'), f('errorCode', 'int16', '0+')],
      }),
    ],
  }),
])

export const deleteRecordsApi = api(DeleteRecordsRequest, DeleteRecordsResponse)
export type DeleteRecordsRequest = Decoded<typeof DeleteRecordsRequest>
export type DeleteRecordsResponse = Decoded<typeof DeleteRecordsResponse>
export type DeleteRecordsResponseInput = Input<typeof DeleteRecordsResponse>
