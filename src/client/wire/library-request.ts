/**
 * src/protocol's codec on a @platformatic/kafka connection, through the library's public
 * `createAPI`: the library writes the size prefix and the request header (v1, or v2 with tagged
 * fields when the version is flexible) and matches the answer by correlation id; the body, both
 * ways, is the schema's. Loaded only by request.ts, when a connection is the library's.
 *
 * The answer's body is handed to the decoder as one Buffer: a view of the bytes received when
 * they arrived in one socket chunk, else one copy (the library keeps a response's chunks apart).
 */
import { createAPI, Writer as LibraryWriter, type Connection, type Reader as LibraryReader } from '@platformatic/kafka'
import { ApiKey } from '../../protocol/api-keys.js'
import { decode, encodeMessage, isFlexibleVersion } from '../../protocol/codec.js'
import type { ApiSchema, Decoded, Encodable, Input } from '../../protocol/schema.js'
import { Writer } from '../../protocol/writer.js'

export function libraryRequest<A extends ApiSchema>(
  connection: Connection,
  api: A,
  version: number,
  body: Input<A['request']>,
  opts: { noResponse?: boolean } = {},
): Promise<Decoded<A['response']>> {
  const flexible = isFlexibleVersion(api.request, version)
  const createRequest = (): LibraryWriter => {
    const w = new Writer()
    encodeMessage(api.request, version, body as Encodable<A['request']>, w) // a request's Input is Encodable; TS cannot see it through the generic
    const out = LibraryWriter.create()
    for (const chunk of w.finish()) out.append(chunk)
    if (opts.noResponse) out.context.noResponse = true
    return out
  }
  const parseResponse = (_correlationId: number, _apiKey: number, _version: number, reader: LibraryReader): Decoded<A['response']> =>
    decode(api.response, version, reader.buffer.slice(reader.position, reader.buffer.length))
  // ApiVersions answers with a v0 response header whatever the version, so that any client can read it.
  const call = createAPI(api.apiKey, version, createRequest, parseResponse, flexible, flexible && api.apiKey !== ApiKey.ApiVersions)
  return call.async(connection) as Promise<Decoded<A['response']>>
}
