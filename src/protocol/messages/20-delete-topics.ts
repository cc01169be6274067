/**
 * DeleteTopics (key 20), versions 0-6; v4+ flexible.
 * v0-5 name topics in topicNames; v6 in topics (by name or by id).
 * Not implemented: nothing in these versions.
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const DeleteTopicsRequest = message('DeleteTopicsRequest', ApiKey.DeleteTopics, '0-6', '4+', [
  f('topics', '[]DeleteTopicState', '6+', {
    fields: [f('name', 'string', '6+', { nullableVersions: '6+', default: null }), f('topicId', 'uuid', '6+')],
  }),
  f('topicNames', '[]string', '0-5'),
  f('timeoutMs', 'int32', '0+'),
])

export const DeleteTopicsResponse = message('DeleteTopicsResponse', ApiKey.DeleteTopics, '0-6', '4+', [
  f('throttleTimeMs', 'int32', '1+'),
  f('responses', '[]DeletableTopicResult', '0+', {
    fields: [
      f('name', 'string', '0+', { nullableVersions: '6+' }),
      f('topicId', 'uuid', '6+'),
      f('errorCode', 'int16', '0+'),
      f('errorMessage', 'string', '5+', { nullableVersions: '5+', default: null }),
    ],
  }),
])

export const deleteTopicsApi = api(DeleteTopicsRequest, DeleteTopicsResponse)
export type DeleteTopicsRequest = Decoded<typeof DeleteTopicsRequest>
export type DeleteTopicsResponse = Decoded<typeof DeleteTopicsResponse>
export type DeleteTopicsResponseInput = Input<typeof DeleteTopicsResponse>
