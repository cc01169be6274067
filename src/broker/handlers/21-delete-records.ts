/**
 * DeleteRecords (key 21), versions 0-2 (v2+ flexible), as Kafka 3.9.
 * Per partition, on its leader: moves the log start offset up to `offset` (-1: the high
 * watermark); records below it are gone for every reader (fetches there answer
 * OFFSET_OUT_OF_RANGE, ListOffsets earliest answers the new start). The new start is durable on
 * the leader before the wait, and the answer (`lowWatermark`) comes once every ISR follower has
 * moved its own log start there too (they learn it from their fetches and report it back), or
 * REQUEST_TIMED_OUT after the request's timeout. Errors: OFFSET_OUT_OF_RANGE above the high
 * watermark (or a negative offset other than -1), NOT_LEADER_OR_FOLLOWER on any other broker,
 * UNKNOWN_TOPIC_OR_PARTITION, POLICY_VIOLATION on a topic whose cleanup.policy has no `delete`
 * (as Kafka refuses it on compacted topics), KAFKA_STORAGE_ERROR with an offline log dir.
 * Not implemented: nothing in these versions.
 */
import { ErrorCode } from '../../protocol/errors.js'
import { deleteRecordsApi, type DeleteRecordsRequest, type DeleteRecordsResponseInput } from '../../protocol/messages/21-delete-records.js'
import { defineHandler, type RequestContext } from '../handler.js'

type PartitionResult = DeleteRecordsResponseInput['topics'][number]['partitions'][number]

async function handle(ctx: RequestContext, req: DeleteRecordsRequest): Promise<DeleteRecordsResponseInput> {
  const { broker } = ctx
  const image = broker.cluster.image
  const pending: Promise<void>[] = []
  const topics = req.topics.map((t) => {
    const topic = image.topicsByName.get(t.name)
    const partitions = t.partitions.map((rp): PartitionResult => {
      const out: PartitionResult = { partitionIndex: rp.partitionIndex, lowWatermark: -1, errorCode: ErrorCode.NONE }
      const p = topic?.partitions[rp.partitionIndex]
      if (!topic || !p) return { ...out, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }
      if (broker.offlineReplicaMessage(p.replicas) !== null) return { ...out, errorCode: ErrorCode.KAFKA_STORAGE_ERROR }
      if (p.leader !== broker.id || !broker.running) return { ...out, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER }
      if (!broker.topicConfig(topic.name, 'cleanup.policy').split(',').includes('delete')) {
        return { ...out, errorCode: ErrorCode.POLICY_VIOLATION }
      }
      pending.push(
        broker.replicas.deleteRecords(p, rp.offset, req.timeoutMs).then((result) => {
          out.errorCode = result.errorCode
          out.lowWatermark = result.lowWatermark
        }),
      )
      return out
    })
    return { name: t.name, partitions }
  })
  await Promise.all(pending)
  return { throttleTimeMs: 0, topics }
}

defineHandler(deleteRecordsApi, { versions: '0-2', handle })
