/**
 * ApiVersions (key 18), versions 0-3.
 * Answers the version range of every API that has a handler: the list is the handler registry.
 * A request at a version above 3 is answered by the listener, at v0, with UNSUPPORTED_VERSION and
 * the same list, as Kafka does. Not implemented: supported/finalized features (sent empty).
 */
import { ErrorCode } from '../../protocol/errors.js'
import { apiVersionsApi, type ApiVersionsResponseInput } from '../../protocol/messages/18-api-versions.js'
import { allHandlers, defineHandler } from '../handler.js'

export function apiVersionsBody(errorCode: number): ApiVersionsResponseInput {
  return {
    errorCode,
    apiKeys: allHandlers().map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion })),
    throttleTimeMs: 0,
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1,
    finalizedFeatures: [],
    zkMigrationReady: false,
  }
}

defineHandler(apiVersionsApi, { versions: '0-3', handle: () => apiVersionsBody(ErrorCode.NONE) })
