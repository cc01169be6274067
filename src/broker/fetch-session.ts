/**
 * Fetch sessions (KIP-227), as Kafka's FetchSession.scala keeps them: one cache per broker, in
 * memory only (a restarted broker has none: its clients get FETCH_SESSION_ID_NOT_FOUND and start
 * over with a full fetch).
 *
 * A full fetch (epoch 0) names every partition; the broker answers them all and, when the cache
 * has room, a new session id. An incremental fetch (that id, the session's epoch) names only the
 * partitions added or changed (fetch offset, max bytes...) and those to forget; the broker fetches
 * every partition of the session and answers only those with records or a change (high
 * watermark, log start offset, last stable offset, an error). Epoch -1 closes the session (the
 * request is then answered as a sessionless fetch). A session keys its partitions by topic id
 * from Fetch v13 and by name before, and is used only with versions on the same side of v13
 * (FETCH_SESSION_TOPIC_ID_ERROR otherwise).
 *
 * Eviction, as Kafka's FetchSessionCacheShard: a new session takes a slot when there is one
 * (`max.incremental.fetch.session.cache.slots`); else it evicts the least recently used session
 * if that one has been idle for longer than EVICTION_MS; else the lowest ranked evictable one
 * (rank: a consumer's below a follower's, then fewer partitions) if the new one ranks above it
 * (a follower's against a consumer's, or more partitions). Evictable: last used more than
 * EVICTION_MS after its creation (a new session is safe for a while), or any consumer's session
 * when the new one is a follower's. Otherwise the client gets no session (id 0) and its fetches
 * stay full.
 *
 * Pure: time comes in as `nowMs`, session ids from the injected RNG.
 * Not implemented: Kafka's sharding of the cache (one shard here), its metrics.
 */
import { ErrorCode } from '../protocol/errors.js'
import type { FetchRequest } from '../protocol/messages/01-fetch.js'
import type { Rng } from '../cluster/rng.js'

export type FetchPartitionRequest = FetchRequest['topics'][number]['partitions'][number]

/** Kafka's INVALID_SESSION_ID (no session) and its epochs. */
export const NO_SESSION_ID = 0
const INITIAL_EPOCH = 0
const FINAL_EPOCH = -1

/** Kafka's MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS: how long a session is safe from eviction. */
export const EVICTION_MS = 120_000

/** The first Fetch version that names topics by id. */
export const TOPIC_ID_VERSION = 13

/** A partition of a fetch: by id (v13+, `name` null when the id is unknown) or by name (`topicId` zero). */
export interface SessionPartition {
  topicId: string
  name: string | null
  partition: number
  request: FetchPartitionRequest
}

/** What the session compares between answers to decide whether a partition must be answered. */
export interface PartitionAnswer {
  errorCode: number
  highWatermark: number
  lastStableOffset: number
  logStartOffset: number
  hasRecords: boolean
}

interface Cached extends SessionPartition {
  highWatermark: number
  lastStableOffset: number
  logStartOffset: number
}

class FetchSession {
  readonly partitions = new Map<string, Cached>()
  lastUsedMs: number
  /** The epoch the next incremental fetch must carry. */
  epoch = nextEpoch(INITIAL_EPOCH)

  constructor(
    readonly id: number,
    readonly privileged: boolean,
    readonly usesTopicIds: boolean,
    readonly creationMs: number,
  ) {
    this.lastUsedMs = creationMs
  }

  key(p: { topicId: string; name: string | null; partition: number }): string {
    return `${this.usesTopicIds ? p.topicId : p.name}:${p.partition}`
  }
}

export interface FetchContextRequest {
  version: number
  sessionId: number
  sessionEpoch: number
  /** A follower's fetch: its session ranks above consumers' for eviction. */
  privileged: boolean
  partitions: SessionPartition[]
  forgotten: { topicId: string; name: string | null; partition: number }[]
  /** The current name of a topic id (null when unknown): cached partitions are named again each fetch. */
  topicName: (topicId: string) => string | null
  nowMs: number
}

export interface FetchContextResult<T> {
  errorCode: number
  sessionId: number
  /** The partitions to answer, in order. */
  answered: T[]
}

/** How one Fetch request is served: the partitions to fetch, then what of the answers goes out. */
export interface FetchContext {
  /** A session error: nothing is fetched, the answer is this top-level error. */
  readonly errorCode: number
  readonly partitions: SessionPartition[]
  finish<T extends { part: SessionPartition; answer: PartitionAnswer }>(items: T[], nowMs: number): FetchContextResult<T>
}

/** Kafka's FetchMetadata.nextEpoch. */
function nextEpoch(epoch: number): number {
  if (epoch < 0) return FINAL_EPOCH
  return epoch === 0x7fffffff ? 1 : epoch + 1
}

function sessionless(partitions: SessionPartition[]): FetchContext {
  return { errorCode: ErrorCode.NONE, partitions, finish: (items) => ({ errorCode: ErrorCode.NONE, sessionId: NO_SESSION_ID, answered: items }) }
}

function sessionError(errorCode: number): FetchContext {
  return { errorCode, partitions: [], finish: () => ({ errorCode, sessionId: NO_SESSION_ID, answered: [] }) }
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>()

  constructor(private readonly opts: { rng: Rng; slots: () => number; evictionMs?: number }) {}

  get size(): number {
    return this.sessions.size
  }

  /** Kafka's FetchManager.newContext. */
  newContext(req: FetchContextRequest): FetchContext {
    const usesTopicIds = req.version >= TOPIC_ID_VERSION
    if (req.sessionEpoch === INITIAL_EPOCH || req.sessionEpoch === FINAL_EPOCH) {
      // A full fetch ends the session it names, if any.
      if (req.sessionId !== NO_SESSION_ID) this.sessions.delete(req.sessionId)
      if (req.sessionEpoch === FINAL_EPOCH) return sessionless(req.partitions)
      return this.fullContext(req, usesTopicIds)
    }
    const session = this.sessions.get(req.sessionId)
    if (!session) return sessionError(ErrorCode.FETCH_SESSION_ID_NOT_FOUND)
    if (session.epoch !== req.sessionEpoch) return sessionError(ErrorCode.INVALID_FETCH_SESSION_EPOCH)
    if (session.usesTopicIds !== usesTopicIds) return sessionError(ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR)
    for (const p of req.partitions) {
      const key = session.key(p)
      const cached = session.partitions.get(key)
      if (cached) cached.request = p.request
      else session.partitions.set(key, { ...p, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1 })
    }
    for (const p of req.forgotten) session.partitions.delete(session.key(p))
    if (session.partitions.size === 0) {
      this.sessions.delete(session.id)
      return sessionless(req.partitions)
    }
    session.lastUsedMs = req.nowMs
    session.epoch = nextEpoch(session.epoch)
    return this.incrementalContext(session, req)
  }

  private fullContext(req: FetchContextRequest, usesTopicIds: boolean): FetchContext {
    return {
      errorCode: ErrorCode.NONE,
      partitions: req.partitions,
      finish: (items, nowMs) => {
        const session = this.maybeCreateSession(nowMs, req.privileged, items.length, usesTopicIds)
        if (session) {
          for (const { part, answer } of items) {
            session.partitions.set(session.key(part), {
              ...part,
              highWatermark: answer.highWatermark,
              lastStableOffset: answer.lastStableOffset,
              logStartOffset: answer.logStartOffset,
            })
          }
        }
        return { errorCode: ErrorCode.NONE, sessionId: session?.id ?? NO_SESSION_ID, answered: items }
      },
    }
  }

  private incrementalContext(session: FetchSession, req: FetchContextRequest): FetchContext {
    const partitions = [...session.partitions.values()].map((c): SessionPartition => {
      if (session.usesTopicIds) c.name = req.topicName(c.topicId)
      return { topicId: c.topicId, name: c.name, partition: c.partition, request: c.request }
    })
    const expectedEpoch = session.epoch
    return {
      errorCode: ErrorCode.NONE,
      partitions,
      finish: (items) => {
        // Another incremental fetch of this session came in while this one waited: its answer
        // would tell the client of changes this one then could not.
        if (session.epoch !== expectedEpoch) {
          return { errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH, sessionId: session.id, answered: [] }
        }
        const answered = items.filter(({ part, answer }) => {
          const key = session.key(part)
          const cached = session.partitions.get(key)
          if (!cached) return false
          const changed = mustAnswer(cached, answer)
          // Partitions that returned records go to the back of the session, so that the next
          // fetches serve the others first (max_bytes fairness, as Kafka's session order).
          if (answer.hasRecords) {
            session.partitions.delete(key)
            session.partitions.set(key, cached)
          }
          return changed
        })
        return { errorCode: ErrorCode.NONE, sessionId: session.id, answered }
      },
    }
  }

  private maybeCreateSession(nowMs: number, privileged: boolean, size: number, usesTopicIds: boolean): FetchSession | null {
    if (this.sessions.size >= this.opts.slots() && !this.tryEvict(privileged, size, nowMs)) return null
    const session = new FetchSession(this.newSessionId(), privileged, usesTopicIds, nowMs)
    this.sessions.set(session.id, session)
    return session
  }

  /** Kafka's tryEvict: a stale session first; else the smallest evictable one, if the new one outranks it. */
  private tryEvict(privileged: boolean, size: number, nowMs: number): boolean {
    const evictionMs = this.opts.evictionMs ?? EVICTION_MS
    let lru: FetchSession | null = null
    for (const s of this.sessions.values()) if (!lru || s.lastUsedMs < lru.lastUsedMs || (s.lastUsedMs === lru.lastUsedMs && s.id < lru.id)) lru = s
    if (!lru) return false
    if (nowMs - lru.lastUsedMs > evictionMs) {
      this.sessions.delete(lru.id)
      return true
    }
    // Kafka decides whether a session is evictable when it was last used: one created less than
    // EVICTION_MS before is kept, except that a follower's new session may evict a consumer's.
    let smallest: FetchSession | null = null
    for (const s of this.sessions.values()) {
      const old = s.lastUsedMs - s.creationMs > evictionMs
      if (!(old || (privileged && !s.privileged))) continue
      if (!smallest || compareRank(rankOf(s), rankOf(smallest)) < 0) smallest = s
    }
    if (!smallest || compareRank({ privileged, size, id: 0 }, rankOf(smallest)) < 0) return false
    this.sessions.delete(smallest.id)
    return true
  }

  private newSessionId(): number {
    for (;;) {
      const id = 1 + this.opts.rng.int(0x7ffffffe)
      if (!this.sessions.has(id)) return id
    }
  }
}

/** Kafka's EvictableKey: consumers rank below followers, then fewer partitions, then lower id. */
interface Rank {
  privileged: boolean
  size: number
  id: number
}

function rankOf(s: FetchSession): Rank {
  return { privileged: s.privileged, size: s.partitions.size, id: s.id }
}

function compareRank(a: Rank, b: Rank): number {
  if (a.privileged !== b.privileged) return a.privileged ? 1 : -1
  if (a.size !== b.size) return a.size - b.size
  return a.id - b.id
}

/**
 * Kafka's maybeUpdateResponseData: whether an incremental answer must include the partition, and
 * the cached values brought up to date. The last stable offset is compared too, which Kafka does
 * not (there a marker that moves it also moves the high watermark): a read_committed consumer is
 * told of every move.
 */
function mustAnswer(cached: Cached, answer: PartitionAnswer): boolean {
  let must = answer.hasRecords
  if (cached.highWatermark !== answer.highWatermark) {
    must = true
    cached.highWatermark = answer.highWatermark
  }
  if (cached.logStartOffset !== answer.logStartOffset) {
    must = true
    cached.logStartOffset = answer.logStartOffset
  }
  if (cached.lastStableOffset !== answer.lastStableOffset) {
    must = true
    cached.lastStableOffset = answer.lastStableOffset
  }
  if (answer.errorCode !== ErrorCode.NONE) {
    // Forgets the high watermark, so that the partition is answered again once it recovers.
    cached.highWatermark = -1
    must = true
  }
  return must
}
