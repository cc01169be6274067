/**
 * One Kafka request on either kind of broker connection, encoded and decoded by src/protocol's
 * schemas: sluice's own (connection.ts: frames by protocol/frame.ts, the version negotiated
 * through ApiVersions) or a @platformatic/kafka connection, which the group path, replay and the
 * `group` commands get from that library's clients (library-request.ts, loaded only then: a plain
 * produce or consume never loads the library).
 *
 * Either way the request body is written by the codec with record batches by reference, and the
 * response body is decoded with `records` as a view into the received bytes: no copy of records.
 */
import type { Connection } from '@platformatic/kafka'
import type { ApiSchema, Decoded, Input } from '../../protocol/schema.js'
import { WireConnection } from './connection.js'

/** A broker connection: sluice's own, or one of @platformatic/kafka's clients. */
export type KafkaConnection = Connection | WireConnection

export interface KafkaRequestOptions {
  /** The version to send at most (a library connection sends exactly this one: it does not negotiate per request). */
  version: number
  /** The oldest version whose answer the caller can read (default: the schema's oldest). */
  versionMin?: number
  /** How long to wait for the answer on sluice's connection; the library's own request timeout applies to its connections. */
  timeoutMs: number
}

let library: Promise<typeof import('./library-request.js')> | undefined
const loadLibrary = (): Promise<typeof import('./library-request.js')> => (library ??= import('./library-request.js'))

/** One request and its decoded answer (Kafka error codes in it are the caller's to read). */
export async function kafkaRequest<A extends ApiSchema>(connection: KafkaConnection, api: A, body: Input<A['request']>, opts: KafkaRequestOptions): Promise<Decoded<A['response']>> {
  if (connection instanceof WireConnection) return connection.request(api, body, { timeoutMs: opts.timeoutMs, max: opts.version, min: opts.versionMin })
  return (await loadLibrary()).libraryRequest(connection, api, opts.version, body)
}

/** A request the broker does not answer (Produce with acks=0): resolves once it is written. */
export async function kafkaRequestNoResponse<A extends ApiSchema>(connection: KafkaConnection, api: A, body: Input<A['request']>, opts: KafkaRequestOptions): Promise<void> {
  if (connection instanceof WireConnection) return connection.requestNoResponse(api, body, { timeoutMs: opts.timeoutMs, max: opts.version })
  await (await loadLibrary()).libraryRequest(connection, api, opts.version, body, { noResponse: true })
}
