/**
 * AddPartitionsToTxn (key 24), versions 0-3: a transactional producer names the partitions it is
 * about to write, before its first batch to each; the transaction coordinator (txn-coordinator.ts)
 * records them with acks=all and answers, so that EndTxn knows where its markers go. As Kafka: a
 * partition that does not exist fails the whole request (UNKNOWN_TOPIC_OR_PARTITION for it,
 * OPERATION_NOT_ATTEMPTED for the others); every partition gets the coordinator's one answer;
 * PRODUCER_FENCED is answered as INVALID_PRODUCER_EPOCH below v2.
 * Not implemented: v4-5 (KIP-890: several transactions per request, sent between brokers to verify).
 */
import { ErrorCode } from '../../protocol/errors.js'
import { addPartitionsToTxnApi, type AddPartitionsToTxnRequest, type AddPartitionsToTxnResponseInput } from '../../protocol/messages/24-add-partitions-to-txn.js'
import { defineHandler, type RequestContext } from '../handler.js'

async function handle(ctx: RequestContext, req: AddPartitionsToTxnRequest): Promise<AddPartitionsToTxnResponseInput> {
  const topics = req.v3AndBelowTopics
  const answer = (codeOf: (topic: string, partition: number) => number): AddPartitionsToTxnResponseInput => ({
    throttleTimeMs: 0,
    resultsByTopicV3AndBelow: topics.map((t) => ({
      name: t.name,
      resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: codeOf(t.name, p) })),
    })),
  })
  if (!req.v3AndBelowTransactionalId) return answer(() => ErrorCode.INVALID_REQUEST)
  const image = ctx.broker.cluster.image
  const exists = (topic: string, partition: number): boolean => image.topicsByName.get(topic)?.partitions[partition] !== undefined
  if (topics.some((t) => t.partitions.some((p) => !exists(t.name, p)))) {
    return answer((topic, p) => (exists(topic, p) ? ErrorCode.OPERATION_NOT_ATTEMPTED : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION))
  }
  if (!ctx.broker.running) return answer(() => ErrorCode.NOT_COORDINATOR)
  const partitions = topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })))
  const code = await ctx.broker.txns.addPartitions(req.v3AndBelowTransactionalId, req.v3AndBelowProducerId, req.v3AndBelowProducerEpoch, partitions)
  return answer(() => (code === ErrorCode.PRODUCER_FENCED && ctx.apiVersion < 2 ? ErrorCode.INVALID_PRODUCER_EPOCH : code))
}

defineHandler(addPartitionsToTxnApi, { versions: '0-3', handle })
