/**
 * The handler registry. Each Kafka API lives in its own file under handlers/ (named by API key)
 * and registers itself here against its API's schema (src/protocol/apis.ts), so the request type
 * comes from the schema and the response type is checked against it; ApiVersions is computed
 * from this registry: there is no second list.
 *
 * A handler returns the response body, or null for "send no response" (Produce with acks=0).
 * Kafka failures travel as error codes inside the body; a thrown exception closes the connection.
 */
import type { ApiSchema, Decoded, Input } from '../protocol/schema.js'
import { parseVersions } from '../protocol/schema.js'
import type { Broker } from './broker.js'

export interface RequestContext {
  broker: Broker
  apiVersion: number
  correlationId: number
  clientId: string | null
  /** Remote address of the connection, for logs and group member hosts. */
  clientHost: string
}

/** What a handler of API `A` answers: its response body, or null to send none. */
export type HandlerResponse<A extends ApiSchema> = Input<A['response']> | null

export interface HandlerSpec<A extends ApiSchema> {
  /** The versions served, in Kafka's range syntax (`0-4`): within what the codec decodes. */
  versions: string
  handle(ctx: RequestContext, request: Decoded<A['request']>): HandlerResponse<A> | Promise<HandlerResponse<A>>
}

/** A registered handler, its API's types erased so that one registry holds them all. */
export interface Handler {
  api: ApiSchema
  apiKey: number
  name: string
  minVersion: number
  maxVersion: number
  /** Runs the handler on a request decoded with `api.request` at `ctx.apiVersion`. */
  handle(ctx: RequestContext, request: unknown): unknown
}

const registry = new Map<number, Handler>()

export function defineHandler<A extends ApiSchema>(api: A, spec: HandlerSpec<A>): void {
  const [minVersion, maxVersion] = parseVersions(spec.versions)
  if (minVersion < api.minVersion || maxVersion > api.maxVersion || minVersion > maxVersion) {
    throw new Error(`${api.name} handler serves versions ${spec.versions}, outside what the codec decodes (${api.minVersion}-${api.maxVersion})`)
  }
  if (registry.has(api.apiKey)) throw new Error(`handler for ${api.name} registered twice`)
  registry.set(api.apiKey, {
    api,
    apiKey: api.apiKey,
    name: api.name,
    minVersion,
    maxVersion,
    // Every caller decodes the request with this handler's own schema (the listener looks the
    // handler up by the frame's API key), which is what makes this one cast sound.
    handle: (ctx, request) => spec.handle(ctx, request as Decoded<A['request']>),
  })
}

export function handlerFor(apiKey: number): Handler | undefined {
  return registry.get(apiKey)
}

export function allHandlers(): Handler[] {
  return [...registry.values()].sort((a, b) => a.apiKey - b.apiKey)
}
