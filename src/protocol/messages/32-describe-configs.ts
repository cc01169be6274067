/**
 * DescribeConfigs (key 32), versions 0-4; v4+ flexible.
 * resourceType: 2 = topic, 4 = broker, 8 = broker logger. configurationKeys null = all.
 * v0 reports isDefault; v1+ configSource instead (and synonyms on request).
 * Not implemented: nothing in these versions.
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const DescribeConfigsRequest = message('DescribeConfigsRequest', ApiKey.DescribeConfigs, '0-4', '4+', [
  f('resources', '[]DescribeConfigsResource', '0+', {
    fields: [
      f('resourceType', 'int8', '0+'),
      f('resourceName', 'string', '0+'),
      f('configurationKeys', '[]string', '0+', { nullableVersions: '0+' }),
    ],
  }),
  f('includeSynonyms', 'bool', '1+', { default: false }),
  f('includeDocumentation', 'bool', '3+', { default: false }),
])

export const DescribeConfigsResponse = message('DescribeConfigsResponse', ApiKey.DescribeConfigs, '0-4', '4+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('results', '[]DescribeConfigsResult', '0+', {
    fields: [
      f('errorCode', 'int16', '0+'),
      f('errorMessage', 'string', '0+', { nullableVersions: '0+' }),
      f('resourceType', 'int8', '0+'),
      f('resourceName', 'string', '0+'),
      f('configs', '[]DescribeConfigsResourceResult', '0+', {
        fields: [
          f('name', 'string', '0+'),
          f('value', 'string', '0+', { nullableVersions: '0+' }),
          f('readOnly', 'bool', '0+'),
          f('isDefault', 'bool', '0'),
          f('configSource', 'int8', '1+', { default: -1 }),
          f('isSensitive', 'bool', '0+'),
          f('synonyms', '[]DescribeConfigsSynonym', '1+', {
            fields: [
              f('name', 'string', '1+'),
              f('value', 'string', '1+', { nullableVersions: '0+' }),
              f('source', 'int8', '1+'),
            ],
          }),
          f('configType', 'int8', '3+', { default: 0 }),
          f('documentation', 'string', '3+', { nullableVersions: '0+' }),
        ],
      }),
    ],
  }),
])

export const describeConfigsApi = api(DescribeConfigsRequest, DescribeConfigsResponse)
export type DescribeConfigsRequest = Decoded<typeof DescribeConfigsRequest>
export type DescribeConfigsResponse = Decoded<typeof DescribeConfigsResponse>
export type DescribeConfigsResponseInput = Input<typeof DescribeConfigsResponse>

/** Kafka's ConfigResource.Type values (DescribeConfigs, AlterConfigs, IncrementalAlterConfigs). */
export const ConfigResourceType = { TOPIC: 2, BROKER: 4 } as const

/** Kafka's ConfigSource values (DescribeConfigs v1+, CreateTopics v5+). */
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const
