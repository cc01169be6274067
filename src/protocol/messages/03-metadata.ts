/**
 * Metadata (key 3), versions 0-12; v9+ flexible.
 * Request topics: v0 empty array = all topics; v1+ null = all topics, empty = none.
 * Topic ids (v10+) are UUIDs as 32 hex characters; '000...0' is "no id".
 * Not implemented: nothing in these versions (authorized operations are plain fields).
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const MetadataRequest = message('MetadataRequest', ApiKey.Metadata, '0-12', '9+', [
  f('topics', '[]MetadataRequestTopic', '0+', {
    nullableVersions: '1+',
    fields: [f('topicId', 'uuid', '10+'), f('name', 'string', '0+', { nullableVersions: '10+' })],
  }),
  f('allowAutoTopicCreation', 'bool', '4+', { default: true }),
  f('includeClusterAuthorizedOperations', 'bool', '8-10'),
  f('includeTopicAuthorizedOperations', 'bool', '8+'),
])

export const MetadataResponse = message('MetadataResponse', ApiKey.Metadata, '0-12', '9+', [
  f('throttleTimeMs', 'int32', '3+'),
  f('brokers', '[]MetadataResponseBroker', '0+', {
    fields: [
      f('nodeId', 'int32', '0+'),
      f('host', 'string', '0+'),
      f('port', 'int32', '0+'),
      f('rack', 'string', '1+', { nullableVersions: '1+', default: null }),
    ],
  }),
  f('clusterId', 'string', '2+', { nullableVersions: '2+', default: null }),
  f('controllerId', 'int32', '1+', { default: -1 }),
  f('topics', '[]MetadataResponseTopic', '0+', {
    fields: [
      f('errorCode', 'int16', '0+'),
      f('name', 'string', '0+', { nullableVersions: '12+' }),
      f('topicId', 'uuid', '10+'),
      f('isInternal', 'bool', '1+', { default: false }),
      f('partitions', '[]MetadataResponsePartition', '0+', {
        fields: [
          f('errorCode', 'int16', '0+'),
          f('partitionIndex', 'int32', '0+'),
          f('leaderId', 'int32', '0+'),
          f('leaderEpoch', 'int32', '7+', { default: -1 }),
          f('replicaNodes', '[]int32', '0+'),
          f('isrNodes', '[]int32', '0+'),
          f('offlineReplicas', '[]int32', '5+'),
        ],
      }),
      f('topicAuthorizedOperations', 'int32', '8+', { default: -2147483648 }),
    ],
  }),
  f('clusterAuthorizedOperations', 'int32', '8-10', { default: -2147483648 }),
])

export const metadataApi = api(MetadataRequest, MetadataResponse)
export type MetadataRequest = Decoded<typeof MetadataRequest>
export type MetadataResponse = Decoded<typeof MetadataResponse>
export type MetadataResponseInput = Input<typeof MetadataResponse>
