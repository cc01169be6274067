/**
 * Fetch v12 through @platformatic/kafka's connections (for the consumer-group path, which runs on
 * that library; fetch-api.ts loads this module only then), with a response parser that keeps each
 * partition's records as bytes. The library's own Fetch parser decodes every record into objects
 * (with BigInts) and throws on any partition error; consume needs neither: it walks the batches
 * itself (batches.ts) and handles errors per partition.
 *
 * v12 is the newest Fetch version that names topics (v13+ use topic ids) and is served by every
 * broker since Kafka 2.7; the request is the library's own v12 encoder.
 */
import { createAPI, fetchV12, type Connection, type Reader } from '@platformatic/kafka'
import type { FetchedPartition, FetchOptions, FetchResult } from './fetch-api.js'
import { ApiKey } from '../../protocol/api-keys.js'

const EMPTY = Buffer.alloc(0)

function parseResponse(_correlationId: number, _apiKey: number, _apiVersion: number, reader: Reader): FetchResult {
  reader.readInt32() // throttle_time_ms
  const errorCode = reader.readInt16()
  reader.readInt32() // session_id
  const partitions: FetchedPartition[] = []
  reader.readArray((r) => {
    r.readString() // topic
    r.readArray((r) => {
      const partition = r.readInt32()
      const partitionError = r.readInt16()
      const highWatermark = Number(r.readInt64())
      r.readInt64() // last_stable_offset
      const logStartOffset = Number(r.readInt64())
      r.readArray((r) => {
        r.readInt64() // producer_id
        r.readInt64() // first_offset
      })
      r.readInt32() // preferred_read_replica
      const size = r.readUnsignedVarInt() - 1 // COMPACT_RECORDS: length + 1, 0 = null
      // One contiguous copy at most (when the response arrived in several socket chunks).
      const records = size > 0 ? (r.buffer.slice(r.position, r.position + size) as Buffer) : EMPTY
      if (size > 0) r.skip(size)
      partitions.push({ partition, errorCode: partitionError, highWatermark, logStartOffset, records })
    })
  })
  return { errorCode, partitions }
}

type RawFetch = (
  connection: Connection,
  maxWaitMs: number,
  minBytes: number,
  maxBytes: number,
  isolationLevel: number,
  sessionId: number,
  sessionEpoch: number,
  topics: fetchV12.FetchRequestTopic[],
  forgottenTopicsData: fetchV12.FetchRequestForgottenTopicsData[],
  rackId: string,
  callback: (error: Error | null, result?: FetchResult) => void,
) => void

const rawFetchV12 = createAPI(ApiKey.Fetch, 12, fetchV12.createRequest, parseResponse) as unknown as RawFetch

/** One Fetch request on `connection`. Partition errors are in the result, never thrown. */
export function fetchLib(connection: Connection, opts: FetchOptions): Promise<FetchResult> {
  return new Promise((resolve, reject) => {
    const partitions = opts.partitions.map((p) => ({
      partition: p.partition,
      currentLeaderEpoch: p.currentLeaderEpoch,
      fetchOffset: BigInt(p.fetchOffset),
      lastFetchedEpoch: -1,
      partitionMaxBytes: p.partitionMaxBytes,
    }))
    rawFetchV12(
      connection,
      opts.maxWaitMs,
      opts.minBytes,
      opts.maxBytes,
      0, // read_uncommitted, as kcat and the Java consumer by default
      0, // no fetch session: every fetch is a full fetch
      -1,
      [{ topicId: opts.topic, partitions }],
      [],
      '',
      (error, result) => (error ? reject(error) : resolve(result!)),
    )
  })
}
