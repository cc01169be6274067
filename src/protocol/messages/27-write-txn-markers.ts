/**
 * WriteTxnMarkers (key 27), versions 0-1; v1+ flexible.
 * Sent by a transaction coordinator to partition leaders: append a COMMIT or ABORT control batch
 * for a producer. Only brokers send it (in sluice, through the brokers' link; the handler serves
 * the same for tools that send it over the wire).
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const WriteTxnMarkersRequest = message('WriteTxnMarkersRequest', ApiKey.WriteTxnMarkers, '0-1', '1+', [
  f('markers', '[]WritableTxnMarker', '0+', {
    fields: [
      f('producerId', 'int64', '0+'),
      f('producerEpoch', 'int16', '0+'),
      f('transactionResult', 'bool', '0+'),
      f('topics', '[]WritableTxnMarkerTopic', '0+', {
        fields: [f('name', 'string', '0+'), f('partitionIndexes', '[]int32', '0+')],
      }),
      f('coordinatorEpoch', 'int32', '0+'),
    ],
  }),
])

export const WriteTxnMarkersResponse = message('WriteTxnMarkersResponse', ApiKey.WriteTxnMarkers, '0-1', '1+', [
  f('markers', '[]WritableTxnMarkerResult', '0+', {
    fields: [
      f('producerId', 'int64', '0+'),
      f('topics', '[]WritableTxnMarkerTopicResult', '0+', {
        fields: [
          f('name', 'string', '0+'),
          f('partitions', '[]WritableTxnMarkerPartitionResult', '0+', {
            fields: [f('partitionIndex', 'int32', '0+'), f('errorCode', 'int16', '0+')],
          }),
        ],
      }),
    ],
  }),
])

export const writeTxnMarkersApi = api(WriteTxnMarkersRequest, WriteTxnMarkersResponse)
export type WriteTxnMarkersRequest = Decoded<typeof WriteTxnMarkersRequest>
export type WriteTxnMarkersResponse = Decoded<typeof WriteTxnMarkersResponse>
export type WriteTxnMarkersResponseInput = Input<typeof WriteTxnMarkersResponse>
