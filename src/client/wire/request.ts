/**
 * One Kafka request on a broker connection of sluice's own client (connection.ts: frames by
 * protocol/frame.ts, the version negotiated through ApiVersions), encoded and decoded by
 * src/protocol's schemas: the request body is written with record batches by reference, and the
 * response body is decoded with `records` as a view into the received bytes (no copy of records).
 * Every command runs on this client; no client library's connection is used any more.
 */
import type { ApiSchema, Decoded, Input } from '../../protocol/schema.js'
import type { WireConnection } from './connection.js'

/** A broker connection, as the request helpers of produce, consume and the groups take it. */
export type KafkaConnection = WireConnection

export interface KafkaRequestOptions {
  /** The version to send at most. */
  version: number
  /** The oldest version whose answer the caller can read (default: the schema's oldest). */
  versionMin?: number
  /** How long to wait for the answer. */
  timeoutMs: number
}

/** One request and its decoded answer (Kafka error codes in it are the caller's to read). */
export function kafkaRequest<A extends ApiSchema>(connection: KafkaConnection, api: A, body: Input<A['request']>, opts: KafkaRequestOptions): Promise<Decoded<A['response']>> {
  return connection.request(api, body, { timeoutMs: opts.timeoutMs, max: opts.version, min: opts.versionMin })
}

/** A request the broker does not answer (Produce with acks=0): resolves once it is written. */
export function kafkaRequestNoResponse<A extends ApiSchema>(connection: KafkaConnection, api: A, body: Input<A['request']>, opts: KafkaRequestOptions): Promise<void> {
  return connection.requestNoResponse(api, body, { timeoutMs: opts.timeoutMs, max: opts.version })
}
