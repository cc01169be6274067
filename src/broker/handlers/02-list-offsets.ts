/**
 * ListOffsets (key 2), versions 0-9, as Kafka 3.9 serves them.
 * Per partition: timestamp -2 (earliest) answers the log start offset, -1 (latest) what a consumer
 * of the request's isolation level can read up to (the high watermark for read_uncommitted, the
 * last stable offset for read_committed), -3 (max timestamp, KIP-734) the offset and timestamp of
 * the first record with the largest timestamp, and any other timestamp the first offset below that
 * whose batch holds a record at or after it (offset -1 when none). v4+ checks the client's current
 * leader epoch and answers the leader epoch.
 * v0 answers Kafka's old form, `oldStyleOffsets`: up to max_num_offsets segment base offsets
 * before the timestamp, newest first, the log end offset leading (capped at the high watermark
 * for consumers). A sluice log is one segment, last written now: -1, or a timestamp not before
 * now, lists the end then the start; -2 the start; an earlier timestamp nothing.
 * The earliest offsets answer the epoch of the log's first epoch entry when it starts at or
 * before the log start (-1 otherwise), as Kafka does.
 * Tiered storage (KIP-405, KIP-1005): sluice keeps every log locally, so -4 (earliest local, v8+)
 * answers as -2, and -5 (latest tiered, v9+) offset -1, epoch -1, as Kafka without remote
 * storage. v10 (Kafka 4.0's, KIP-1075: a timeout for remote reads) is not served, as Kafka 3.9
 * does not.
 * Not implemented: -3 reads the whole log (Kafka keeps each segment's largest timestamp).
 */
import { ErrorCode } from '../../protocol/errors.js'
import { isStorageError } from '../../storage/errors.js'
import { decodeRecordBatch } from '../../protocol/record-batch.js'
import { readBatchHeader } from '../../protocol/batch-layout.js'
import type { PartitionLog } from '../../storage/types.js'
import { listOffsetsApi, type ListOffsetsRequest, type ListOffsetsResponseInput } from '../../protocol/messages/02-list-offsets.js'
import { defineHandler, type RequestContext } from '../handler.js'

const EARLIEST = -2
const LATEST = -1
const MAX_TIMESTAMP = -3
const EARLIEST_LOCAL = -4
const LATEST_TIERED = -5
/** How much of the log one read of the max-timestamp scan takes. */
const SCAN_BYTES = 1 << 20

type TopicResponse = ListOffsetsResponseInput['topics'][number]
type PartitionResponse = TopicResponse['partitions'][number]

/**
 * The log's time index answers at batch granularity; Kafka answers the first *record* at or after
 * the timestamp, so read that batch and look inside it. A batch whose codec sluice cannot decode
 * is answered at its base offset.
 */
async function exactOffsetForTimestamp(log: PartitionLog, ts: number): Promise<{ offset: number; timestamp: number } | null> {
  const found = await log.offsetForTimestamp(ts)
  if (!found) return null
  // A corrupt batch there is the fetch's and the scrub's to report: answer at batch granularity.
  const [first] = await log.read(found.offset, 1, log.highWatermark).catch((error: unknown) => {
    if (isStorageError(error, 'CORRUPT_BATCH')) return []
    throw error
  })
  if (!first) return found
  try {
    const { records } = decodeRecordBatch(first)
    const hit = records.find((r) => r.timestamp >= ts && r.offset >= found.offset)
    return hit ? { offset: hit.offset, timestamp: hit.timestamp } : found
  } catch {
    return found
  }
}

/**
 * KIP-734: the first record with the largest timestamp below `fetchable`, as Kafka's
 * fetchOffsetByTimestamp(MAX_TIMESTAMP) then its filter on the last fetchable offset: the first
 * batch whose maxTimestamp is the largest, and in it the first record with that timestamp (its
 * base offset when sluice cannot decode the batch). Kafka keeps each segment's largest timestamp;
 * sluice reads the log's batch headers up to `fetchable`.
 */
async function maxTimestampOffset(log: PartitionLog, fetchable: number): Promise<{ offset: number; timestamp: number } | null> {
  let best: { batch: Buffer; maxTimestamp: number } | null = null
  let at = log.logStartOffset
  while (at < fetchable) {
    const batches = await log.read(at, SCAN_BYTES, fetchable)
    if (batches.length === 0) break
    for (const batch of batches) {
      const h = readBatchHeader(batch)
      if (!best || h.maxTimestamp > best.maxTimestamp) best = { batch, maxTimestamp: h.maxTimestamp }
      at = h.baseOffset + h.lastOffsetDelta + 1
    }
  }
  // Kafka's answer for a log with no timestamps (all -1) is still its largest: none here.
  if (!best || best.maxTimestamp < 0) return null
  const h = readBatchHeader(best.batch)
  try {
    const hit = decodeRecordBatch(best.batch).records.find((r) => r.timestamp === best.maxTimestamp && r.offset >= log.logStartOffset)
    if (hit) return { offset: hit.offset, timestamp: hit.timestamp }
  } catch {
    // A codec sluice does not decode: the batch's base offset.
  }
  return { offset: Math.max(h.baseOffset, log.logStartOffset), timestamp: best.maxTimestamp }
}

/**
 * The epoch Kafka answers with the log start offset: the first epoch entry's, when it starts at or
 * before the log start (entries move up with DeleteRecords, so it always does once written).
 */
function epochAtLogStart(log: PartitionLog): number {
  const [first] = log.epochEntries()
  return first && first.startOffset <= log.logStartOffset ? first.epoch : -1
}

/** ListOffsets v0 (Kafka's legacyFetchOffsetsBefore on a log of one segment last written now). */
function legacyOffsets(log: PartitionLog, timestamp: number, maxNumOffsets: number, nowMs: number, fromConsumer: boolean): number[] {
  // (offset, time) pairs, oldest first: the segment's base, then the log end when it holds data.
  const points = log.logEndOffset > log.logStartOffset ? [log.logStartOffset, log.logEndOffset] : [log.logStartOffset]
  let start: number
  if (timestamp === LATEST) start = points.length - 1
  else if (timestamp === EARLIEST) start = 0
  else start = timestamp >= nowMs ? points.length - 1 : -1
  const offsets = points.slice(0, start + 1).reverse().slice(0, Math.max(0, maxNumOffsets))
  if (!fromConsumer || !offsets.some((o) => o > log.highWatermark)) return offsets
  return [log.highWatermark, ...offsets.filter((o) => o <= log.highWatermark)]
}

async function handle(ctx: RequestContext, req: ListOffsetsRequest): Promise<ListOffsetsResponseInput> {
  const { broker } = ctx
  const image = broker.cluster.image
  const topics: TopicResponse[] = []
  for (const t of req.topics) {
    const topic = image.topicsByName.get(t.name)
    const partitions: PartitionResponse[] = []
    for (const rp of t.partitions) {
      const out: PartitionResponse = { partitionIndex: rp.partitionIndex, errorCode: ErrorCode.NONE, oldStyleOffsets: [], timestamp: -1, offset: -1, leaderEpoch: -1 }
      partitions.push(out)
      const p = topic?.partitions[rp.partitionIndex]
      if (!p) {
        out.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        continue
      }
      if (p.leader !== broker.id) {
        out.errorCode = ErrorCode.NOT_LEADER_OR_FOLLOWER
        continue
      }
      if (rp.currentLeaderEpoch !== -1 && rp.currentLeaderEpoch < p.leaderEpoch) {
        out.errorCode = ErrorCode.FENCED_LEADER_EPOCH
        continue
      }
      if (rp.currentLeaderEpoch > p.leaderEpoch) {
        out.errorCode = ErrorCode.UNKNOWN_LEADER_EPOCH
        continue
      }
      const led = broker.running ? broker.replicas.leaderLog(p) : { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER }
      if ('errorCode' in led) {
        out.errorCode = led.errorCode
        continue
      }
      const log = led.log
      if (ctx.apiVersion === 0) {
        out.oldStyleOffsets = legacyOffsets(log, rp.timestamp, rp.maxNumOffsets, broker.scheduler.nowMs(), req.replicaId === -1)
        continue
      }
      out.leaderEpoch = p.leaderEpoch
      // What a consumer of this isolation level can read up to (Kafka's lastFetchableOffset).
      const fetchable = req.isolationLevel === 1 ? broker.replicas.lastStableOffset(led.hosted) : log.highWatermark
      if (rp.timestamp === EARLIEST || (rp.timestamp === EARLIEST_LOCAL && ctx.apiVersion >= 8)) {
        out.offset = log.logStartOffset
        out.leaderEpoch = epochAtLogStart(log)
      } else if (rp.timestamp === LATEST_TIERED && ctx.apiVersion >= 9) {
        out.offset = -1
        out.leaderEpoch = -1
      } else if (rp.timestamp === LATEST) {
        out.offset = fetchable
      } else if (rp.timestamp === MAX_TIMESTAMP && ctx.apiVersion >= 7) {
        const found = await maxTimestampOffset(log, fetchable).catch((error: unknown) => {
          // A batch that fails its checks is never used: the client retries, as after a Fetch's.
          if (isStorageError(error, 'CORRUPT_BATCH')) return 'corrupt' as const
          throw error
        })
        if (found === 'corrupt') out.errorCode = ErrorCode.KAFKA_STORAGE_ERROR
        else if (found && found.offset < fetchable) {
          out.offset = found.offset
          out.timestamp = found.timestamp
        }
      } else if (rp.timestamp < 0) {
        out.errorCode = ErrorCode.INVALID_REQUEST
      } else {
        const found = await exactOffsetForTimestamp(log, rp.timestamp)
        if (found && found.offset < fetchable) {
          out.offset = found.offset
          out.timestamp = found.timestamp
        }
      }
    }
    topics.push({ name: t.name, partitions })
  }
  return { throttleTimeMs: 0, topics }
}

defineHandler(listOffsetsApi, { versions: '0-9', handle })
