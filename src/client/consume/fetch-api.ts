/**
 * One Fetch request, encoded and decoded by src/protocol's Fetch schema, on either kind of
 * connection (wire/request.ts): sluice's own (what a plain `consume` uses, so that it never loads
 * a client library) or @platformatic/kafka's (the consumer group path and replay). Either way each
 * partition's records stay bytes, a view into the response (batches.ts walks them), and partition
 * errors are in the result, never thrown. The isolation level (isolation.ts) is the caller's:
 * read_committed answers stop at the last stable offset and name the aborted transactions.
 *
 * Fetch v12 at most: the newest version that names topics (v13+ use topic ids), served by every
 * broker since Kafka 2.7; an older broker gets the newest version it speaks.
 */
import { fetchApi } from '../../protocol/messages/01-fetch.js'
import { loadCompression } from '../../protocol/compression.js'
import { kafkaRequest, type KafkaConnection } from '../wire/request.js'
import { hasCompressedBatch, type AbortedTransaction } from './batches.js'
import { isolationLevelOf, type Isolation } from './isolation.js'

export interface FetchPartitionRequest {
  partition: number
  fetchOffset: number
  partitionMaxBytes: number
  /** -1 when unknown. */
  currentLeaderEpoch: number
}

export interface FetchedPartition {
  partition: number
  errorCode: number
  highWatermark: number
  logStartOffset: number
  /** -1 when the broker does not say (Fetch before v4). */
  lastStableOffset: number
  /**
   * read_committed: the aborted transactions overlapping the records returned (batches.ts drops
   * their records); empty under read_uncommitted.
   */
  abortedTransactions: AbortedTransaction[]
  /** The record set as sent (empty when none). */
  records: Buffer
}

export interface FetchResult {
  errorCode: number
  partitions: FetchedPartition[]
}

export interface FetchOptions {
  topic: string
  partitions: FetchPartitionRequest[]
  maxWaitMs: number
  minBytes: number
  maxBytes: number
  /** Default read_uncommitted, Kafka's on the wire (the readers pass theirs: read_committed by default). */
  isolation?: Isolation
}

/** A broker connection the fetch loop reads from. */
export type FetchConnection = KafkaConnection

const FETCH_VERSION_MAX = 12
/** Kafka's request.timeout.ms, on top of the long-poll wait. */
const REQUEST_TIMEOUT_MS = 30_000
const EMPTY = Buffer.alloc(0)

export async function fetchRaw(connection: FetchConnection, opts: FetchOptions): Promise<FetchResult> {
  const answer = await kafkaRequest(
    connection,
    fetchApi,
    {
      maxWaitMs: opts.maxWaitMs,
      minBytes: opts.minBytes,
      maxBytes: opts.maxBytes,
      isolationLevel: isolationLevelOf(opts.isolation ?? 'read_uncommitted'),
      sessionId: 0, // no fetch session: every fetch is a full fetch
      sessionEpoch: -1,
      topics: [
        {
          topic: opts.topic,
          partitions: opts.partitions.map((p) => ({
            partition: p.partition,
            currentLeaderEpoch: p.currentLeaderEpoch,
            fetchOffset: p.fetchOffset,
            lastFetchedEpoch: -1,
            logStartOffset: -1,
            partitionMaxBytes: p.partitionMaxBytes,
          })),
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    },
    { timeoutMs: opts.maxWaitMs + REQUEST_TIMEOUT_MS, version: FETCH_VERSION_MAX },
  )
  const partitions: FetchedPartition[] = []
  for (const t of answer.responses) {
    if (t.topic !== opts.topic) continue
    for (const p of t.partitions) {
      partitions.push({
        partition: p.partitionIndex,
        errorCode: p.errorCode,
        highWatermark: p.highWatermark,
        logStartOffset: p.logStartOffset,
        lastStableOffset: p.lastStableOffset,
        abortedTransactions: p.abortedTransactions ?? [],
        records: p.records ?? EMPTY,
      })
    }
  }
  // walkBatches decompresses synchronously: the codecs are loaded before it sees the records.
  if (partitions.some((p) => hasCompressedBatch(p.records))) await loadCompression()
  return { errorCode: answer.errorCode, partitions }
}
