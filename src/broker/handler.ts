/**
 * The handler registry. Each Kafka API lives in its own file under handlers/ (named by API key),
 * registers itself here, and ApiVersions is computed from this registry: there is no second list.
 *
 * A handler returns the response body, or null for "send no response" (Produce with acks=0).
 * Kafka failures travel as error codes inside the body; a thrown exception closes the connection.
 */
import type { Broker } from './broker.js'

export interface RequestContext {
  broker: Broker
  apiVersion: number
  correlationId: number
  clientId: string | null
  /** Remote address of the connection, for logs and group member hosts. */
  clientHost: string
}

export interface Handler {
  apiKey: number
  name: string
  minVersion: number
  maxVersion: number
  // Request and response bodies are the protocol layer's decoded objects (camelCase schema fields).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  handle(ctx: RequestContext, request: any): unknown | Promise<unknown>
}

const registry = new Map<number, Handler>()

export function registerHandler(handler: Handler): void {
  if (registry.has(handler.apiKey)) throw new Error(`handler for API ${handler.apiKey} registered twice`)
  registry.set(handler.apiKey, handler)
}

export function handlerFor(apiKey: number): Handler | undefined {
  return registry.get(apiKey)
}

export function allHandlers(): Handler[] {
  return [...registry.values()].sort((a, b) => a.apiKey - b.apiKey)
}
