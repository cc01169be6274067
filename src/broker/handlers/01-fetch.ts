/**
 * Fetch (key 1), versions 0-12. v0-3 read the old message formats: the answer is converted down
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
 * Errors per partition: UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER, OFFSET_OUT_OF_RANGE
 * (below the log start or past the log end), FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH (v9+),
 * KAFKA_STORAGE_ERROR when the broker's log dir is offline (a full disk) or a read of it fails, or
 * when a stored batch failed its CRC-32C check (the replica recovers, see replica-recovery.ts).
 * Not implemented: fetch sessions (session id 0 is answered: every fetch is a full fetch),
 * rack-aware preferred read replicas, follower fetches (replication comes with the replicated cluster).
 */
import { ErrorCode } from '../../protocol/errors.js'
import type { PartitionInfo } from '../../cluster/metadata.js'
import { isStorageError } from '../../storage/errors.js'
import { fetchApi, type FetchRequest, type FetchResponseInput } from '../../protocol/messages/01-fetch.js'
import { readBatchHeaders } from '../../protocol/batch-layout.js'
import { defineHandler, type RequestContext } from '../handler.js'
import type { Hosted } from '../replica-manager.js'
import { adaptFetchForVersion } from '../fetch-down-conversion.js'

type FetchPartition = FetchRequest['topics'][number]['partitions'][number]
type TopicResponse = FetchResponseInput['responses'][number]
type PartitionData = TopicResponse['partitions'][number]

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
  request: FetchPartition
  p: PartitionInfo
}

/** Checks every partition; returns the ones that can be read. */
async function resolveTargets(ctx: RequestContext, req: FetchRequest): Promise<{ responses: TopicResponse[]; targets: Target[] }> {
  const { broker } = ctx
  const image = broker.cluster.image
  const targets: Target[] = []
  const responses = req.topics.map((t) => {
    const topic = image.topicsByName.get(t.topic)
    const partitions = t.partitions.map((rp): PartitionData => {
      const p = topic?.partitions[rp.partition]
      if (!p) return empty(rp.partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
      if (broker.offlineReplicaMessage(p.replicas) !== null) return empty(rp.partition, ErrorCode.KAFKA_STORAGE_ERROR)
      if (p.leader !== broker.id || !broker.running) return empty(rp.partition, ErrorCode.NOT_LEADER_OR_FOLLOWER)
      if (rp.currentLeaderEpoch !== -1 && rp.currentLeaderEpoch < p.leaderEpoch) {
        return empty(rp.partition, ErrorCode.FENCED_LEADER_EPOCH)
      }
      if (rp.currentLeaderEpoch > p.leaderEpoch) return empty(rp.partition, ErrorCode.UNKNOWN_LEADER_EPOCH)
      const out = empty(rp.partition, ErrorCode.NONE)
      // Kafka answers an empty list to read_committed fetches and null to read_uncommitted ones.
      if (req.isolationLevel === 1) out.abortedTransactions = []
      targets.push({ out, request: rp, p })
      return out
    })
    return { topic: t.topic, partitions }
  })
  return { responses, targets }
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
  const { responses, targets } = await resolveTargets(ctx, req)
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
  await adaptFetchForVersion(ctx.apiVersion, req, responses)
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses }
}

defineHandler(fetchApi, { versions: '0-12', handle })
