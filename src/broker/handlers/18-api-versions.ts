/**
 * ApiVersions (key 18), versions 0-4.
 * Answers the version range of every API that has a handler: the list is the handler registry.
 * A request at a version above 4 is answered by the listener, at v0, with UNSUPPORTED_VERSION and
 * the same list, as Kafka does. v3+ carries the client's software name and version: either one
 * outside Kafka's pattern (letters, digits, '-' and '.', starting and ending with a letter or
 * digit) answers INVALID_REQUEST with no ranges, as Kafka does.
 * Not implemented: supported/finalized features (sent empty).
 */
import { ErrorCode } from '../../protocol/errors.js'
import { apiVersionsApi, type ApiVersionsRequest, type ApiVersionsResponseInput } from '../../protocol/messages/18-api-versions.js'
import { allHandlers, defineHandler, type RequestContext } from '../handler.js'

const SOFTWARE_NAME_OR_VERSION = /^[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?$/

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

function handle(ctx: RequestContext, req: ApiVersionsRequest): ApiVersionsResponseInput {
  const valid = ctx.apiVersion < 3 || (SOFTWARE_NAME_OR_VERSION.test(req.clientSoftwareName) && SOFTWARE_NAME_OR_VERSION.test(req.clientSoftwareVersion))
  return valid ? apiVersionsBody(ErrorCode.NONE) : { ...apiVersionsBody(ErrorCode.INVALID_REQUEST), apiKeys: [] }
}

defineHandler(apiVersionsApi, { versions: '0-4', handle })
