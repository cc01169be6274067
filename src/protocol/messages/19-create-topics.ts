/**
 * CreateTopics (key 19), versions 0-7; v5+ flexible.
 * numPartitions / replicationFactor -1 mean "broker default" (v4+); assignments, when given,
 * replace both. v7 returns topic ids.
 * Not implemented: nothing in these versions.
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const CreateTopicsRequest = message('CreateTopicsRequest', ApiKey.CreateTopics, '0-7', '5+', [
  f('topics', '[]CreatableTopic', '0+', {
    fields: [
      f('name', 'string', '0+'),
      f('numPartitions', 'int32', '0+'),
      f('replicationFactor', 'int16', '0+'),
      f('assignments', '[]CreatableReplicaAssignment', '0+', {
        fields: [f('partitionIndex', 'int32', '0+'), f('brokerIds', '[]int32', '0+')],
      }),
      f('configs', '[]CreatableTopicConfig', '0+', {
        fields: [f('name', 'string', '0+'), f('value', 'string', '0+', { nullableVersions: '0+' })],
      }),
    ],
  }),
  f('timeoutMs', 'int32', '0+', { default: 60000 }),
  f('validateOnly', 'bool', '1+', { default: false }),
])

export const CreateTopicsResponse = message('CreateTopicsResponse', ApiKey.CreateTopics, '0-7', '5+', [
  f('throttleTimeMs', 'int32', '2+'),
  f('topics', '[]CreatableTopicResult', '0+', {
    fields: [
      f('name', 'string', '0+'),
      f('topicId', 'uuid', '7+'),
      f('errorCode', 'int16', '0+'),
      f('errorMessage', 'string', '1+', { nullableVersions: '0+' }),
      f('topicConfigErrorCode', 'int16', '5+', { taggedVersions: '5+', tag: 0 }),
      f('numPartitions', 'int32', '5+', { default: -1 }),
      f('replicationFactor', 'int16', '5+', { default: -1 }),
      f('configs', '[]CreatableTopicConfigs', '5+', {
        nullableVersions: '5+',
        fields: [
          f('name', 'string', '5+'),
          f('value', 'string', '5+', { nullableVersions: '5+' }),
          f('readOnly', 'bool', '5+'),
          f('configSource', 'int8', '5+', { default: -1 }),
          f('isSensitive', 'bool', '5+'),
        ],
      }),
    ],
  }),
])

export const createTopicsApi = api(CreateTopicsRequest, CreateTopicsResponse)
export type CreateTopicsRequest = Decoded<typeof CreateTopicsRequest>
export type CreateTopicsResponse = Decoded<typeof CreateTopicsResponse>
export type CreateTopicsResponseInput = Input<typeof CreateTopicsResponse>
