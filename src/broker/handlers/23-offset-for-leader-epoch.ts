/**
 * OffsetForLeaderEpoch (key 23), versions 0-4 (KIP-101, KIP-279; KIP-320 for consumers).
 * Per partition, on its leader: the end offset of the requested leader epoch from the log's epoch
 * history (the start offset of the next higher epoch, or the log end offset for the latest), with
 * the largest epoch at or below the one asked (v1+). A client that finds its position beyond that
 * end after a leader change knows its log was truncated. An epoch above the latest, or -1,
 * answers epoch -1 and end offset -1 with no error, as Kafka; one below the first entry (its data
 * deleted) answers itself, ending where the first entry starts.
 * v2+ checks the client's current leader epoch (FENCED_LEADER_EPOCH when older,
 * UNKNOWN_LEADER_EPOCH when newer). NOT_LEADER_OR_FOLLOWER on other brokers (Kafka answers only
 * from the leader), UNKNOWN_TOPIC_OR_PARTITION for an unknown partition, KAFKA_STORAGE_ERROR for a
 * broker whose log dir is offline.
 */
import { ErrorCode } from '../../protocol/errors.js'
import {
  offsetForLeaderEpochApi,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponseInput,
} from '../../protocol/messages/23-offset-for-leader-epoch.js'
import { defineHandler, type RequestContext } from '../handler.js'

type PartitionResponse = OffsetForLeaderEpochResponseInput['topics'][number]['partitions'][number]

function handle(ctx: RequestContext, req: OffsetForLeaderEpochRequest): OffsetForLeaderEpochResponseInput {
  const { broker } = ctx
  const image = broker.cluster.image
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((rp): PartitionResponse => {
        const out: PartitionResponse = { errorCode: ErrorCode.NONE, partition: rp.partition, leaderEpoch: -1, endOffset: -1 }
        const fail = (errorCode: number): PartitionResponse => ({ ...out, errorCode })
        const p = image.topicsByName.get(t.topic)?.partitions[rp.partition]
        if (!p) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        if (broker.offlineReplicaMessage(p.replicas) !== null) return fail(ErrorCode.KAFKA_STORAGE_ERROR)
        if (rp.currentLeaderEpoch !== -1 && rp.currentLeaderEpoch < p.leaderEpoch) return fail(ErrorCode.FENCED_LEADER_EPOCH)
        if (rp.currentLeaderEpoch > p.leaderEpoch) return fail(ErrorCode.UNKNOWN_LEADER_EPOCH)
        const led = broker.running ? broker.replicas.leaderLog(p) : { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER }
        if ('errorCode' in led) return fail(led.errorCode)
        const end = led.log.endOffsetForEpoch(rp.leaderEpoch)
        return end.endOffset === -1 ? out : { ...out, leaderEpoch: end.epoch, endOffset: end.endOffset }
      }),
    })),
  }
}

defineHandler(offsetForLeaderEpochApi, { versions: '0-4', handle })
