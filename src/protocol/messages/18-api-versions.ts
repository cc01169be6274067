/**
 * ApiVersions (key 18), versions 0-4; v3+ flexible.
 * The response header is always v0 (no tagged fields) whatever the version: frame.ts handles that.
 * A request for a version above 4 is answered by the broker as v0 with UNSUPPORTED_VERSION.
 * v4 has v3's layout (it only lifts KAFKA-17011's ban on a supported feature's MinVersion 0).
 */
import { type Decoded, type Input, api, f, message } from '../schema.js'
import { ApiKey } from '../api-keys.js'

export const ApiVersionsRequest = message('ApiVersionsRequest', ApiKey.ApiVersions, '0-4', '3+', [
  f('clientSoftwareName', 'string', '3+'),
  f('clientSoftwareVersion', 'string', '3+'),
])

export const ApiVersionsResponse = message('ApiVersionsResponse', ApiKey.ApiVersions, '0-4', '3+', [
  f('errorCode', 'int16', '0+'),
  f('apiKeys', '[]ApiVersion', '0+', {
    fields: [f('apiKey', 'int16', '0+'), f('minVersion', 'int16', '0+'), f('maxVersion', 'int16', '0+')],
  }),
  f('throttleTimeMs', 'int32', '1+'),
  f('supportedFeatures', '[]SupportedFeatureKey', '3+', {
    taggedVersions: '3+',
    tag: 0,
    fields: [f('name', 'string', '3+'), f('minVersion', 'int16', '3+'), f('maxVersion', 'int16', '3+')],
  }),
  f('finalizedFeaturesEpoch', 'int64', '3+', { taggedVersions: '3+', tag: 1, default: -1 }),
  f('finalizedFeatures', '[]FinalizedFeatureKey', '3+', {
    taggedVersions: '3+',
    tag: 2,
    fields: [f('name', 'string', '3+'), f('maxVersionLevel', 'int16', '3+'), f('minVersionLevel', 'int16', '3+')],
  }),
  f('zkMigrationReady', 'bool', '3+', { taggedVersions: '3+', tag: 3, default: false }),
])

export const apiVersionsApi = api(ApiVersionsRequest, ApiVersionsResponse)
export type ApiVersionsRequest = Decoded<typeof ApiVersionsRequest>
export type ApiVersionsResponse = Decoded<typeof ApiVersionsResponse>
export type ApiVersionsResponseInput = Input<typeof ApiVersionsResponse>
