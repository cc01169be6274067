/**
 * ListOffsets (key 2), versions 1-5.
 * Per partition: timestamp -2 (earliest) answers the log start offset, -1 (latest) what a consumer
 * of the request's isolation level can read up to (the high watermark for read_uncommitted, the
 * last stable offset for read_committed), and any other timestamp the first offset below that
 * whose batch holds a record at or after it (offset -1 when none). v4+ checks the client's current leader epoch
 * and answers the leader epoch. Not implemented: v0 (the old offsets-list form), -3 (max timestamp).
 */
import { ErrorCode } from '../../protocol/errors.js'
import { isStorageError } from '../../storage/errors.js'
import { decodeRecordBatch } from '../../protocol/record-batch.js'
import type { PartitionLog } from '../../storage/types.js'
import { listOffsetsApi, type ListOffsetsRequest, type ListOffsetsResponseInput } from '../../protocol/messages/02-list-offsets.js'
import { defineHandler, type RequestContext } from '../handler.js'

const EARLIEST = -2
const LATEST = -1

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
      out.leaderEpoch = p.leaderEpoch
      // What a consumer of this isolation level can read up to (Kafka's lastFetchableOffset).
      const fetchable = req.isolationLevel === 1 ? broker.replicas.lastStableOffset(led.hosted) : log.highWatermark
      if (rp.timestamp === EARLIEST) {
        out.offset = log.logStartOffset
      } else if (rp.timestamp === LATEST) {
        out.offset = fetchable
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

defineHandler(listOffsetsApi, { versions: '1-5', handle })
