/**
 * IncrementalAlterConfigs (key 44), versions 0-1; v1+ flexible.
 * configOperation: 0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT.
 * Not implemented: nothing in these versions.
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const IncrementalAlterConfigsRequest = message('IncrementalAlterConfigsRequest', ApiKey.IncrementalAlterConfigs, '0-1', '1+', [
  f('resources', '[]AlterConfigsResource', '0+', {
    fields: [
      f('resourceType', 'int8', '0+'),
      f('resourceName', 'string', '0+'),
      f('configs', '[]AlterableConfig', '0+', {
        fields: [
          f('name', 'string', '0+'),
          f('configOperation', 'int8', '0+'),
          f('value', 'string', '0+', { nullableVersions: '0+' }),
        ],
      }),
    ],
  }),
  f('validateOnly', 'bool', '0+'),
])

export const IncrementalAlterConfigsResponse = message('IncrementalAlterConfigsResponse', ApiKey.IncrementalAlterConfigs, '0-1', '1+', [
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

export const incrementalAlterConfigsApi = api(IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse)
export type IncrementalAlterConfigsRequest = Decoded<typeof IncrementalAlterConfigsRequest>
export type IncrementalAlterConfigsResponse = Decoded<typeof IncrementalAlterConfigsResponse>
export type IncrementalAlterConfigsResponseInput = Input<typeof IncrementalAlterConfigsResponse>

/** Kafka's AlterConfigOp.OpType values. */
export const AlterConfigOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const
