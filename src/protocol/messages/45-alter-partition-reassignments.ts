/**
 * AlterPartitionReassignments (key 45), version 0 (as Kafka 3.9); flexible.
 * Per partition: the target replicas, or null to cancel the reassignment in progress.
 * Not implemented: nothing in this version.
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const AlterPartitionReassignmentsRequest = message('AlterPartitionReassignmentsRequest', ApiKey.AlterPartitionReassignments, '0', '0+', [
  f('timeoutMs', 'int32', '0+', { default: 60000 }),
  f('topics', '[]ReassignableTopic', '0+', {
    fields: [
      f('name', 'string', '0+'),
      f('partitions', '[]ReassignablePartition', '0+', {
        fields: [f('partitionIndex', 'int32', '0+'), f('replicas', '[]int32', '0+', { nullableVersions: '0+', default: null })],
      }),
    ],
  }),
])

export const AlterPartitionReassignmentsResponse = message('AlterPartitionReassignmentsResponse', ApiKey.AlterPartitionReassignments, '0', '0+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('errorCode', 'int16', '0+'),
  f('errorMessage', 'string', '0+', { nullableVersions: '0+' }),
  f('responses', '[]ReassignableTopicResponse', '0+', {
    fields: [
      f('name', 'string', '0+'),
      f('partitions', '[]ReassignablePartitionResponse', '0+', {
        fields: [f('partitionIndex', 'int32', '0+'), f('errorCode', 'int16', '0+'), f('errorMessage', 'string', '0+', { nullableVersions: '0+' })],
      }),
    ],
  }),
])

export const alterPartitionReassignmentsApi = api(AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse)
export type AlterPartitionReassignmentsRequest = Decoded<typeof AlterPartitionReassignmentsRequest>
export type AlterPartitionReassignmentsResponse = Decoded<typeof AlterPartitionReassignmentsResponse>
export type AlterPartitionReassignmentsResponseInput = Input<typeof AlterPartitionReassignmentsResponse>
