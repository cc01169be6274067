/**
 * Fetch (key 1), versions 0-17. v0-3 read the old message formats: the answer is converted down
 * (and v0-5's KAFKA_STORAGE_ERROR answered as NOT_LEADER_OR_FOLLOWER) in fetch-down-conversion.ts.
 * Serves stored batches as they are (never decoded): the batch that contains the fetch offset and
 * the ones after it, up to the high watermark (read_uncommitted) or the last stable offset
 * (read_committed: below the oldest open transaction), within partition_max_bytes and max_bytes,
 * but always at least one batch for the first partition that has data, even when it is larger than
 * the limits (clients skip the records before their offset). Long-polls: when less than min_bytes is ready it
 * waits up to max_wait_ms for a move of the high watermark or the last stable offset (a marker that
 * ends a transaction) of any requested partition. Every answer carries the last stable offset;
 * read_committed answers list the aborted transactions overlapping the batches returned ([] when
 * none), so the consumer drops their records; read_uncommitted answers null. Control batches are
 * served like any other: consumers skip them.
 * Topics by name up to v12, by topic id from v13: an id this broker does not know (a deleted
 * topic, even one re-created under the same name) answers UNKNOWN_TOPIC_ID for its partitions.
 * v16+: a NOT_LEADER_OR_FOLLOWER or FENCED_LEADER_EPOCH partition carries the current leader and
 * epoch, and the response that leader's endpoint (KIP-951). v15's ReplicaState and v17's
 * ReplicaDirectoryId are accepted and ignored (they are a follower's; sluice's followers replicate
 * through their own link, replica-fetcher.ts).
 * Errors per partition: UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_TOPIC_ID (v13+), NOT_LEADER_OR_FOLLOWER,
 * OFFSET_OUT_OF_RANGE (below the log start or past the log end), FENCED_LEADER_EPOCH /
 * UNKNOWN_LEADER_EPOCH (v9+), KAFKA_STORAGE_ERROR when the broker's log dir is offline (a full
 * disk) or a read of it fails, or when a stored batch failed its CRC-32C check (the replica
 * recovers, see replica-recovery.ts).
 * Fetch sessions (KIP-227, v7+): the broker's session cache (fetch-session.ts) decides which
 * partitions a request fetches (an incremental fetch: the session's) and which of the answers go
 * out (an incremental answer: only those that changed); a session error (FETCH_SESSION_ID_NOT_FOUND,
 * INVALID_FETCH_SESSION_EPOCH, FETCH_SESSION_TOPIC_ID_ERROR) is the response's own error code.
 * Not implemented: rack-aware preferred read replicas, follower fetches (sluice's followers
 * replicate through their own link, replica-fetcher.ts).
 */
import { ErrorCode } from '../../protocol/errors.js'
import type { PartitionInfo } from '../../cluster/metadata.js'
import { isStorageError } from '../../storage/errors.js'
import { fetchApi, type FetchRequest, type FetchResponseInput } from '../../protocol/messages/01-fetch.js'
import { readBatchHeaders } from '../../protocol/batch-layout.js'
import { ZERO_UUID } from '../../protocol/primitives.js'
import { defineHandler, type RequestContext } from '../handler.js'
import type { Hosted } from '../replica-manager.js'
import { NodeEndpoints, currentLeader } from '../current-leader.js'
import { NO_SESSION_ID, TOPIC_ID_VERSION, type FetchPartitionRequest, type PartitionAnswer, type SessionPartition } from '../fetch-session.js'
import { adaptFetchForVersion } from '../fetch-down-conversion.js'

type TopicResponse = FetchResponseInput['responses'][number]
type PartitionData = TopicResponse['partitions'][number]

/** The first version that answers the current leader's endpoint (KIP-951). */
const NODE_ENDPOINTS_VERSION = 16

const MAX_WAIT_CAP_MS = 30_000

function empty(partitionIndex: number, errorCode: number): PartitionData {
  return {
    partitionIndex,
    errorCode,
    highWatermark: -1,
    lastStableOffset: -1,
    logStartOffset: -1,
    abortedTransactions: null,
    preferredReadReplica: -1,
    // Kafka answers an empty record set, never null: librdkafka rejects a null one.
    records: [],
  }
}

interface Target {
  out: PartitionData
  request: FetchPartitionRequest
  p: PartitionInfo
}

/** One answer per partition fetched, in the same order. */
interface Answered {
  part: SessionPartition
  out: PartitionData
  /** The partition as the metadata has it, when the topic is known. */
  p: PartitionInfo | undefined
}

/** A topic as a request names it: by id from v13, named here from the metadata (null: unknown id). */
function topicOf(ctx: RequestContext, t: { topic: string; topicId: string }): { topicId: string; name: string | null } {
  if (ctx.apiVersion < TOPIC_ID_VERSION) return { topicId: ZERO_UUID, name: t.topic }
  return { topicId: t.topicId, name: ctx.broker.cluster.image.topicsById.get(t.topicId)?.name ?? null }
}

/** The partitions a request names (a topic deleted and re-created under its name has a new id: the old one stays unknown). */
function askedPartitions(ctx: RequestContext, req: FetchRequest): SessionPartition[] {
  return req.topics.flatMap((t) => {
    const topic = topicOf(ctx, t)
    return t.partitions.map((request) => ({ ...topic, partition: request.partition, request }))
  })
}

function forgottenPartitions(ctx: RequestContext, req: FetchRequest): { topicId: string; name: string | null; partition: number }[] {
  return req.forgottenTopicsData.flatMap((t) => {
    const topic = topicOf(ctx, t)
    return t.partitions.map((partition) => ({ ...topic, partition }))
  })
}

/** Checks every partition; returns the answers, and the partitions that can be read. */
function resolveTargets(ctx: RequestContext, req: FetchRequest, asked: SessionPartition[]): { answered: Answered[]; targets: Target[] } {
  const { broker } = ctx
  const image = broker.cluster.image
  const byId = ctx.apiVersion >= TOPIC_ID_VERSION
  const targets: Target[] = []
  const answered = asked.map((a): Answered => {
    const rp = a.request
    const topic = byId ? image.topicsById.get(a.topicId) : a.name === null ? undefined : image.topicsByName.get(a.name)
    const p = topic?.partitions[a.partition]
    const answer = (errorCode: number): Answered => ({ part: a, out: empty(a.partition, errorCode), p })
    if (!topic) return answer(byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    if (!p) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    if (broker.offlineReplicaMessage(p.replicas) !== null) return answer(ErrorCode.KAFKA_STORAGE_ERROR)
    if (p.leader !== broker.id || !broker.running) return answer(ErrorCode.NOT_LEADER_OR_FOLLOWER)
    if (rp.currentLeaderEpoch !== -1 && rp.currentLeaderEpoch < p.leaderEpoch) return answer(ErrorCode.FENCED_LEADER_EPOCH)
    if (rp.currentLeaderEpoch > p.leaderEpoch) return answer(ErrorCode.UNKNOWN_LEADER_EPOCH)
    const out = empty(a.partition, ErrorCode.NONE)
    // Kafka answers an empty list to read_committed fetches and null to read_uncommitted ones.
    if (req.isolationLevel === 1) out.abortedTransactions = []
    targets.push({ out, request: rp, p })
    return { part: a, out, p }
  })
  return { answered, targets }
}

/**
 * v16+ (KIP-951): a partition answered NOT_LEADER_OR_FOLLOWER or FENCED_LEADER_EPOCH names the
 * current leader and its epoch, and the response carries that leader's endpoint, so the client
 * goes there without a metadata round trip first.
 */
function leaderHints(ctx: RequestContext, answered: Answered[]): NodeEndpoints {
  const endpoints = new NodeEndpoints()
  if (ctx.apiVersion < NODE_ENDPOINTS_VERSION) return endpoints
  for (const { out, p } of answered) {
    if (out.errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER && out.errorCode !== ErrorCode.FENCED_LEADER_EPOCH) continue
    const leader = currentLeader(ctx.broker.cluster.image, p)
    out.currentLeader = { leaderId: leader.leaderId, leaderEpoch: leader.leaderEpoch }
    endpoints.add(leader.endpoint)
  }
  return endpoints
}

/** The answers grouped by topic as Kafka groups them: consecutive partitions of one topic share an entry. */
function byTopic(answered: Answered[]): TopicResponse[] {
  const groups: { part: SessionPartition; partitions: PartitionData[] }[] = []
  for (const { part, out } of answered) {
    const last = groups[groups.length - 1]
    if (last && last.part.topicId === part.topicId && last.part.name === part.name) last.partitions.push(out)
    else groups.push({ part, partitions: [out] })
  }
  return groups.map(({ part, partitions }) => ({ topic: part.name ?? '', topicId: part.topicId, partitions }))
}

/** What the fetch session compares between answers. */
function answerOf(out: PartitionData): PartitionAnswer {
  const records = out.records ?? []
  const hasRecords = Array.isArray(records) ? records.some((b: Buffer) => b.length > 0) : (records as Buffer).length > 0
  return {
    errorCode: out.errorCode,
    highWatermark: out.highWatermark,
    lastStableOffset: out.lastStableOffset ?? -1,
    logStartOffset: out.logStartOffset ?? -1,
    hasRecords,
  }
}

/**
 * The aborted transactions a read_committed consumer needs for the batches returned from
 * `fetchOffset` (Kafka's collectAbortedTxns): those whose marker is at or after the fetch offset
 * and whose first offset is before the end of the last batch returned.
 */
function abortedIn(h: Hosted, fetchOffset: number, batches: Buffer[]): PartitionData['abortedTransactions'] {
  const last = batches[batches.length - 1]
  if (!last || h.producers.aborted.size === 0) return []
  const headers = readBatchHeaders(last)
  const upperBoundOffset = headers[headers.length - 1]!.lastOffset + 1
  return h.producers.aborted.overlapping(fetchOffset, upperBoundOffset).map((t) => ({ producerId: t.producerId, firstOffset: t.firstOffset }))
}

async function readAll(ctx: RequestContext, req: FetchRequest, targets: Target[]): Promise<number> {
  let remaining = req.maxBytes > 0 ? req.maxBytes : Number.MAX_SAFE_INTEGER
  let total = 0
  for (const target of targets) {
    const { out, request, p } = target
    const led = ctx.broker.running ? ctx.broker.replicas.leaderLog(p) : { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER }
    if ('errorCode' in led) {
      out.errorCode = led.errorCode
      continue
    }
    const log = led.log
    const lastStableOffset = ctx.broker.replicas.lastStableOffset(led.hosted)
    out.highWatermark = log.highWatermark
    out.lastStableOffset = lastStableOffset
    out.logStartOffset = log.logStartOffset
    if (request.fetchOffset < log.logStartOffset || request.fetchOffset > log.logEndOffset) {
      out.errorCode = ErrorCode.OFFSET_OUT_OF_RANGE
      continue
    }
    // read_committed reads up to the last stable offset, read_uncommitted up to the high watermark.
    const readUpTo = req.isolationLevel === 1 ? lastStableOffset : log.highWatermark
    if (request.fetchOffset >= readUpTo) continue
    // The first partition with data gets at least one batch; later ones only what fits.
    const budget = Math.max(Math.min(request.partitionMaxBytes, remaining), 0)
    if (budget === 0 && total > 0) continue
    let batches: Buffer[]
    try {
      batches = await log.read(request.fetchOffset, budget, readUpTo)
    } catch (error) {
      // Retention or truncation moved the log between the check above and the read.
      if (isStorageError(error, 'OFFSET_OUT_OF_RANGE')) {
        out.errorCode = ErrorCode.OFFSET_OUT_OF_RANGE
        continue
      }
      // A failed store (its log dir offline): the partition's error, not a closed connection.
      if (isStorageError(error, 'STORE_FAILED') || isStorageError(error, 'IO_ERROR')) {
        out.errorCode = ErrorCode.KAFKA_STORAGE_ERROR
        continue
      }
      // A stored batch failed its check: never served. Clients retry KAFKA_STORAGE_ERROR and
      // refresh their metadata; meanwhile this replica hands leadership to a healthy one.
      if (isStorageError(error, 'CORRUPT_BATCH')) {
        ctx.broker.replicas.corruptionFound(led.hosted, error)
        out.errorCode = ErrorCode.KAFKA_STORAGE_ERROR
        out.records = []
        continue
      }
      throw error
    }
    let bytes = 0
    for (const b of batches) bytes += b.length
    if (total > 0 && bytes > budget) continue
    out.records = batches
    if (req.isolationLevel === 1) out.abortedTransactions = abortedIn(led.hosted, request.fetchOffset, batches)
    total += bytes
    remaining -= bytes
  }
  return total
}

async function handle(ctx: RequestContext, req: FetchRequest): Promise<FetchResponseInput> {
  const { broker } = ctx
  const image = broker.cluster.image
  const context = broker.fetchSessions.newContext({
    version: ctx.apiVersion,
    sessionId: req.sessionId,
    sessionEpoch: req.sessionEpoch,
    privileged: req.replicaId >= 0 || req.replicaState.replicaId >= 0,
    partitions: askedPartitions(ctx, req),
    forgotten: forgottenPartitions(ctx, req),
    topicName: (topicId) => image.topicsById.get(topicId)?.name ?? null,
    nowMs: broker.scheduler.nowMs(),
  })
  if (context.errorCode !== ErrorCode.NONE) {
    return { throttleTimeMs: 0, errorCode: context.errorCode, sessionId: NO_SESSION_ID, responses: [] }
  }
  const { answered, targets } = resolveTargets(ctx, req, context.partitions)
  await readWithinWait(ctx, req, targets)
  const items = answered.map((a) => ({ ...a, answer: answerOf(a.out) }))
  const session = context.finish(items, broker.scheduler.nowMs())
  const nodeEndpoints = leaderHints(ctx, session.answered).list()
  const responses = byTopic(session.answered)
  await adaptFetchForVersion(ctx.apiVersion, req, responses)
  return { throttleTimeMs: 0, errorCode: session.errorCode, sessionId: session.sessionId, responses, nodeEndpoints }
}

/** Reads the targets, then, while less than min_bytes came and max_wait_ms allows, waits for more. */
async function readWithinWait(ctx: RequestContext, req: FetchRequest, targets: Target[]): Promise<void> {
  let total = await readAll(ctx, req, targets)
  const waitMs = Math.min(Math.max(req.maxWaitMs, 0), MAX_WAIT_CAP_MS)
  const minBytes = Math.max(req.minBytes, 1)
  const anyError = targets.some((t) => t.out.errorCode !== ErrorCode.NONE)
  if (total < minBytes && waitMs > 0 && targets.length > 0 && !anyError) {
    // Wake on any move of the high watermark (or the LSO) of a requested partition; re-read, and
    // wait again while there is still too little and time left.
    const { scheduler } = ctx.broker
    const deadlineMs = scheduler.nowMs() + waitMs
    while (total < minBytes && scheduler.nowMs() < deadlineMs && ctx.broker.running) {
      await new Promise<void>((resolve) => {
        const cancelTimer = scheduler.setTimer(done, deadlineMs - scheduler.nowMs())
        const cancel = ctx.broker.waitForData(
          targets.map((t) => ({ topicId: t.p.topicId, partition: t.p.partition })),
          done,
        )
        function done(): void {
          cancelTimer()
          cancel()
          resolve()
        }
      })
      total = await readAll(ctx, req, targets)
      if (targets.some((t) => t.out.errorCode !== ErrorCode.NONE)) break
    }
  }
}

defineHandler(fetchApi, { versions: '0-17', handle })
