/**
 * The body of a consumer's Fetch (replica id -1, no session unless asked): one topic, named (up to
 * v12) or by id (v13+), at given offsets. Every field any version needs is set; the codec writes
 * those of the version asked for. The options are what the tests vary; the defaults are the
 * sizes most of them use.
 */
import type { Input } from '../../src/protocol/schema.js'
import type { FetchRequest } from '../../src/protocol/messages/01-fetch.js'

export type FetchBody = Input<typeof FetchRequest>

/** A topic by name, or by name and id (v13+ sends only the id). */
export type FetchTopic = string | { name: string; topicId: string }

export interface FetchOptions {
  /** The partition of `fetchRequest` (default 0). */
  partition?: number
  maxWaitMs?: number
  /** The response's bytes (default 10 MB). */
  maxBytes?: number
  /** Each partition's bytes (default 1 MB). */
  partitionMaxBytes?: number
  /** 0 read_uncommitted (default), 1 read_committed. */
  isolationLevel?: number
  sessionId?: number
  sessionEpoch?: number
  currentLeaderEpoch?: number
  forgotten?: { topic: string; topicId: string; partitions: number[] }[]
  /** v17's follower field, on each partition. */
  replicaDirectoryId?: string
}

/** A fetch of one partition (`opts.partition`, default 0) from `fetchOffset`. */
export function fetchRequest(topic: FetchTopic, fetchOffset: number, opts: FetchOptions = {}): FetchBody {
  return fetchPartitionsRequest(topic, [{ partition: opts.partition ?? 0, fetchOffset }], opts)
}

/** A fetch of several partitions of one topic; none gives a request with no topics (a session's incremental fetch that names nothing). */
export function fetchPartitionsRequest(topic: FetchTopic, partitions: { partition: number; fetchOffset: number }[], opts: FetchOptions = {}): FetchBody {
  const named = typeof topic === 'string' ? { topic } : { topic: topic.name, topicId: topic.topicId }
  return {
    replicaId: -1,
    maxWaitMs: opts.maxWaitMs ?? 0,
    minBytes: 1,
    maxBytes: opts.maxBytes ?? 10_000_000,
    isolationLevel: opts.isolationLevel ?? 0,
    sessionId: opts.sessionId ?? 0,
    sessionEpoch: opts.sessionEpoch ?? -1,
    topics: partitions.length === 0 ? [] : [
      {
        ...named,
        partitions: partitions.map((p) => ({
          partition: p.partition,
          currentLeaderEpoch: opts.currentLeaderEpoch ?? -1,
          fetchOffset: p.fetchOffset,
          lastFetchedEpoch: -1,
          logStartOffset: -1,
          partitionMaxBytes: opts.partitionMaxBytes ?? 1_000_000,
          ...(opts.replicaDirectoryId === undefined ? {} : { replicaDirectoryId: opts.replicaDirectoryId }),
        })),
      },
    ],
    forgottenTopicsData: opts.forgotten ?? [],
    rackId: '',
  }
}
