/**
 * Request and response frames: the 4-byte size prefix, the headers, and the body codec.
 *
 * A frame here is the bytes after the size prefix (what FrameDecoder yields). Header versions:
 * - request header v1 (apiKey, apiVersion, correlationId, clientId as a nullable int16 string)
 *   for non-flexible versions, v2 (+ tagged fields) for flexible ones. v0 (no clientId) is only
 *   for ControlledShutdown v0, which sluice does not serve.
 * - response header v0 (correlationId) or v1 (+ tagged fields) when flexible, except for
 *   ApiVersions, whose response header is always v0 so that any client can read it.
 *
 * Trailing bytes after a request body are ignored, as Kafka's own request parsing does.
 */
import { ProtocolError } from './errors.js'
import { Reader, Writer } from './primitives.js'
import { decodeMessage, encodeMessage } from './codec.js'
import { API_SCHEMAS, isFlexible } from './apis.js'
import type { ApiSchema, Decoded, Encodable, Input } from './schema.js'
import { ApiKey } from './api-keys.js'

export { FrameDecoder, FRAME_BYTES_MAX_DEFAULT } from './frame-decoder.js'

export interface RequestHeader {
  apiKey: number
  apiVersion: number
  correlationId: number
  clientId: string | null
  /** 1 or 2 (flexible). */
  headerVersion: number
  /** Where the body starts in the frame. */
  bodyOffset: number
}

/**
 * Decodes a request header. For an unknown API key or an unsupported version it still decodes
 * up to the clientId (as v1 when the key is unknown) so the broker can answer.
 */
export function decodeRequestHeader(frame: Buffer): RequestHeader {
  const r = new Reader(frame)
  const apiKey = r.int16()
  const apiVersion = r.int16()
  const correlationId = r.int32()
  const clientId = r.nullableString()
  let headerVersion = 1
  if (isFlexible(apiKey, apiVersion)) {
    r.taggedFields()
    headerVersion = 2
  }
  return { apiKey, apiVersion, correlationId, clientId, headerVersion, bodyOffset: r.offset }
}

type AnyBody = Record<string, unknown>

function lookup(apiOrKey: ApiSchema | number): ApiSchema {
  if (typeof apiOrKey !== 'number') return apiOrKey
  const api = API_SCHEMAS.get(apiOrKey)
  if (api === undefined) throw new ProtocolError('UNKNOWN_API', `unknown API key ${apiOrKey}`)
  return api
}

function checkVersion(api: ApiSchema, version: number): void {
  if (!(version >= api.minVersion && version <= api.maxVersion)) {
    throw new ProtocolError('UNSUPPORTED_VERSION', `${api.name} v${version} is not supported (${api.minVersion}-${api.maxVersion})`)
  }
}

function flexible(api: ApiSchema, version: number): boolean {
  return api.firstFlexibleVersion !== null && version >= api.firstFlexibleVersion
}

/** Decodes a request body. Throws ProtocolError on unknown API, unsupported version or bad bytes. */
export function decodeRequestBody<A extends ApiSchema>(api: A, version: number, frame: Buffer, bodyOffset: number): Decoded<A['request']>
export function decodeRequestBody(apiKey: number, version: number, frame: Buffer, bodyOffset: number): AnyBody
export function decodeRequestBody(apiOrKey: ApiSchema | number, version: number, frame: Buffer, bodyOffset: number): AnyBody {
  const api = lookup(apiOrKey)
  checkVersion(api, version)
  return decodeMessage(api.request, version, new Reader(frame, bodyOffset)) as AnyBody
}

/** A response frame with its 4-byte size prefix, as chunks for writev. */
export function encodeResponse<A extends ApiSchema>(api: A, version: number, correlationId: number, body: Encodable<A['response']>): Buffer[]
export function encodeResponse(apiKey: number, version: number, correlationId: number, body: unknown): Buffer[]
export function encodeResponse(apiOrKey: ApiSchema | number, version: number, correlationId: number, body: unknown): Buffer[] {
  const api = lookup(apiOrKey)
  checkVersion(api, version)
  const w = new Writer()
  const size = w.reserveInt32()
  w.int32(correlationId)
  if (flexible(api, version) && api.apiKey !== ApiKey.ApiVersions) w.uvarint(0)
  encodeMessage(api.response, version, body as never, w)
  w.patchInt32(size, w.length - 4)
  return w.finish()
}

/** A request frame with its 4-byte size prefix (client side: tests, tools, replica fetchers). */
export function encodeRequest<A extends ApiSchema>(
  api: A,
  version: number,
  correlationId: number,
  clientId: string | null,
  body: Input<A['request']>,
): Buffer[]
export function encodeRequest(apiKey: number, version: number, correlationId: number, clientId: string | null, body: unknown): Buffer[]
export function encodeRequest(
  apiOrKey: ApiSchema | number,
  version: number,
  correlationId: number,
  clientId: string | null,
  body: unknown,
): Buffer[] {
  const api = lookup(apiOrKey)
  checkVersion(api, version)
  const w = new Writer()
  const size = w.reserveInt32()
  w.int16(api.apiKey).int16(version).int32(correlationId).nullableString(clientId)
  if (flexible(api, version)) w.uvarint(0)
  encodeMessage(api.request, version, body as never, w)
  w.patchInt32(size, w.length - 4)
  return w.finish()
}

/** Decodes a response frame (without its size prefix). */
export function decodeResponse<A extends ApiSchema>(api: A, version: number, frame: Buffer): { correlationId: number; body: Decoded<A['response']> }
export function decodeResponse(apiKey: number, version: number, frame: Buffer): { correlationId: number; body: AnyBody }
export function decodeResponse(apiOrKey: ApiSchema | number, version: number, frame: Buffer): { correlationId: number; body: AnyBody } {
  const api = lookup(apiOrKey)
  checkVersion(api, version)
  const r = new Reader(frame)
  const correlationId = r.int32()
  if (flexible(api, version) && api.apiKey !== ApiKey.ApiVersions) r.taggedFields()
  return { correlationId, body: decodeMessage(api.response, version, r) as AnyBody }
}
