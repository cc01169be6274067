/**
 * AlterConfigs (key 33), versions 0-2; v2+ flexible.
 * Replaces the whole configuration of each resource (IncrementalAlterConfigs edits keys).
 * Not implemented: nothing in these versions.
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const AlterConfigsRequest = message('AlterConfigsRequest', ApiKey.AlterConfigs, '0-2', '2+', [
  f('resources', '[]AlterConfigsResource', '0+', {
    fields: [
      f('resourceType', 'int8', '0+'),
      f('resourceName', 'string', '0+'),
      f('configs', '[]AlterableConfig', '0+', {
        fields: [f('name', 'string', '0+'), f('value', 'string', '0+', { nullableVersions: '0+' })],
      }),
    ],
  }),
  f('validateOnly', 'bool', '0+'),
])

export const AlterConfigsResponse = message('AlterConfigsResponse', ApiKey.AlterConfigs, '0-2', '2+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('responses', '[]AlterConfigsResourceResponse', '0+', {
    fields: [
      f('errorCode', 'int16', '0+'),
      f('errorMessage', 'string', '0+', { nullableVersions: '0+' }),
      f('resourceType', 'int8', '0+'),
      f('resourceName', 'string', '0+'),
    ],
  }),
])

export const alterConfigsApi = api(AlterConfigsRequest, AlterConfigsResponse)
export type AlterConfigsRequest = Decoded<typeof AlterConfigsRequest>
export type AlterConfigsResponse = Decoded<typeof AlterConfigsResponse>
export type AlterConfigsResponseInput = Input<typeof AlterConfigsResponse>
