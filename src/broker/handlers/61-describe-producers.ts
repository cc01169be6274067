/**
 * DescribeProducers (key 61), version 0 (KIP-664).
 * Per partition, on its leader: the producers its producer state knows (idempotent and
 * transactional), with their epoch, last sequence (-1 when none of their epoch is kept), last
 * timestamp, the coordinator epoch of their last marker (-1 before any) and the first offset of
 * their open transaction (-1 when none). UNKNOWN_TOPIC_OR_PARTITION for a partition that does not
 * exist, NOT_LEADER_OR_FOLLOWER on any other broker than the leader (and while it opens the log).
 */
import { ErrorCode } from '../../protocol/errors.js'
import { describeProducersApi, type DescribeProducersRequest, type DescribeProducersResponseInput } from '../../protocol/messages/61-describe-producers.js'
import { defineHandler, type RequestContext } from '../handler.js'

type PartitionResponse = DescribeProducersResponseInput['topics'][number]['partitions'][number]

function handle(ctx: RequestContext, req: DescribeProducersRequest): DescribeProducersResponseInput {
  const { broker } = ctx
  const image = broker.cluster.image
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((partitionIndex): PartitionResponse => {
        const failed = (errorCode: number): PartitionResponse => ({ partitionIndex, errorCode, errorMessage: null, activeProducers: [] })
        const p = image.topicsByName.get(t.name)?.partitions[partitionIndex]
        if (!p) return failed(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        if (!broker.running) return failed(ErrorCode.NOT_LEADER_OR_FOLLOWER)
        const led = broker.replicas.leaderLog(p)
        if ('errorCode' in led) return failed(ErrorCode.NOT_LEADER_OR_FOLLOWER)
        return {
          partitionIndex,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          activeProducers: led.hosted.producers.describe().map((v) => ({
            producerId: v.producerId,
            producerEpoch: v.epoch,
            lastSequence: v.lastSequence,
            lastTimestamp: v.lastTimestamp,
            coordinatorEpoch: v.coordinatorEpoch,
            currentTxnStartOffset: v.currentTxnStartOffset,
          })),
        }
      }),
    })),
  }
}

defineHandler(describeProducersApi, { versions: '0', handle })
