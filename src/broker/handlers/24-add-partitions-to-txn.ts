/**
 * AddPartitionsToTxn (key 24), versions 0-5.
 * v0-3: a transactional producer names the partitions it is about to write, before its first batch
 * to each; the transaction coordinator (txn-coordinator.ts) records them with acks=all and
 * answers, so that EndTxn knows where its markers go. As Kafka: a partition that does not exist
 * fails the whole transaction (UNKNOWN_TOPIC_OR_PARTITION for it, OPERATION_NOT_ATTEMPTED for the
 * others); every partition gets the coordinator's one answer; PRODUCER_FENCED is answered as
 * INVALID_PRODUCER_EPOCH below v2.
 * v4-5 (KIP-890), the form brokers send each other: several transactions in one request, each
 * answered as above, or, with verifyOnly, only checked: per partition NONE when it is in the
 * transaction, else TRANSACTION_ABORTABLE (one error for all when the producer id or epoch does
 * not match, or the transaction is ending), as Kafka's handleVerifyPartitionsInTransaction. sluice's
 * own brokers do not send it (their produce path does not verify: see docs/unsupported.md).
 */
import { ErrorCode } from '../../protocol/errors.js'
import { addPartitionsToTxnApi, type AddPartitionsToTxnRequest, type AddPartitionsToTxnResponseInput } from '../../protocol/messages/24-add-partitions-to-txn.js'
import { defineHandler, type RequestContext } from '../handler.js'

type TopicResult = AddPartitionsToTxnResponseInput['resultsByTopicV3AndBelow'][number]
type Transaction = AddPartitionsToTxnRequest['transactions'][number]

/** One transaction's answer, per topic and partition in the order asked. */
async function answerTransaction(ctx: RequestContext, txn: Transaction): Promise<TopicResult[]> {
  const answer = (codeOf: (topic: string, partition: number, i: number) => number): TopicResult[] => {
    let i = 0
    return txn.topics.map((t) => ({
      name: t.name,
      resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: codeOf(t.name, p, i++) })),
    }))
  }
  if (!txn.transactionalId) return answer(() => ErrorCode.INVALID_REQUEST)
  const image = ctx.broker.cluster.image
  const exists = (topic: string, partition: number): boolean => image.topicsByName.get(topic)?.partitions[partition] !== undefined
  if (txn.topics.some((t) => t.partitions.some((p) => !exists(t.name, p)))) {
    return answer((topic, p) => (exists(topic, p) ? ErrorCode.OPERATION_NOT_ATTEMPTED : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION))
  }
  if (!ctx.broker.running) return answer(() => ErrorCode.NOT_COORDINATOR)
  const partitions = txn.topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })))
  if (txn.verifyOnly) {
    const codes = ctx.broker.txns.verifyPartitions(txn.transactionalId, txn.producerId, txn.producerEpoch, partitions)
    return answer((_topic, _p, i) => codes[i]!)
  }
  const code = await ctx.broker.txns.addPartitions(txn.transactionalId, txn.producerId, txn.producerEpoch, partitions)
  return answer(() => (code === ErrorCode.PRODUCER_FENCED && ctx.apiVersion < 2 ? ErrorCode.INVALID_PRODUCER_EPOCH : code))
}

async function handle(ctx: RequestContext, req: AddPartitionsToTxnRequest): Promise<AddPartitionsToTxnResponseInput> {
  if (ctx.apiVersion < 4) {
    const txn: Transaction = {
      transactionalId: req.v3AndBelowTransactionalId,
      producerId: req.v3AndBelowProducerId,
      producerEpoch: req.v3AndBelowProducerEpoch,
      verifyOnly: false,
      topics: req.v3AndBelowTopics,
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction: [], resultsByTopicV3AndBelow: await answerTransaction(ctx, txn) }
  }
  const resultsByTransaction = await Promise.all(
    req.transactions.map(async (txn) => ({ transactionalId: txn.transactionalId, topicResults: await answerTransaction(ctx, txn) })),
  )
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction, resultsByTopicV3AndBelow: [] }
}

defineHandler(addPartitionsToTxnApi, { versions: '0-5', handle })
