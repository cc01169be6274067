/**
 * ListPartitionReassignments (key 46), version 0 (as Kafka 3.9); flexible.
 * Topics null lists every reassignment in progress; else the partitions named.
 * Not implemented: nothing in this version.
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const ListPartitionReassignmentsRequest = message('ListPartitionReassignmentsRequest', ApiKey.ListPartitionReassignments, '0', '0+', [
  f('timeoutMs', 'int32', '0+', { default: 60000 }),
  f('topics', '[]ListPartitionReassignmentsTopics', '0+', {
    nullableVersions: '0+',
    default: null,
    fields: [f('name', 'string', '0+'), f('partitionIndexes', '[]int32', '0+')],
  }),
])

export const ListPartitionReassignmentsResponse = message('ListPartitionReassignmentsResponse', ApiKey.ListPartitionReassignments, '0', '0+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('errorCode', 'int16', '0+'),
  f('errorMessage', 'string', '0+', { nullableVersions: '0+' }),
  f('topics', '[]OngoingTopicReassignment', '0+', {
    fields: [
      f('name', 'string', '0+'),
      f('partitions', '[]OngoingPartitionReassignment', '0+', {
        fields: [
          f('partitionIndex', 'int32', '0+'),
          f('replicas', '[]int32', '0+'),
          f('addingReplicas', '[]int32', '0+'),
          f('removingReplicas', '[]int32', '0+'),
        ],
      }),
    ],
  }),
])

export const listPartitionReassignmentsApi = api(ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse)
export type ListPartitionReassignmentsRequest = Decoded<typeof ListPartitionReassignmentsRequest>
export type ListPartitionReassignmentsResponse = Decoded<typeof ListPartitionReassignmentsResponse>
export type ListPartitionReassignmentsResponseInput = Input<typeof ListPartitionReassignmentsResponse>
