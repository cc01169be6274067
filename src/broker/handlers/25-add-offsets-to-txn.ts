/**
 * AddOffsetsToTxn (key 25), versions 0-4: a transactional producer that will commit a group's
 * offsets in its transaction (TxnOffsetCommit) first adds the group's partition of
 * __consumer_offsets to the transaction, so that the group's coordinator gets the transaction's
 * marker. PRODUCER_FENCED is answered as INVALID_PRODUCER_EPOCH below v2, as Kafka. v4
 * allows TRANSACTION_ABORTABLE (KIP-890) in answers, which sluice never gives (it does no
 * transaction verification).
 */
import { brokerConfig } from '../../cluster/configs.js'
import { coordinatorPartitionFor } from '../../cluster/coordinator-placement.js'
import { ErrorCode } from '../../protocol/errors.js'
import { addOffsetsToTxnApi, type AddOffsetsToTxnRequest, type AddOffsetsToTxnResponseInput } from '../../protocol/messages/25-add-offsets-to-txn.js'
import { OFFSETS_TOPIC } from '../group-coordinator.js'
import { defineHandler, type RequestContext } from '../handler.js'

async function handle(ctx: RequestContext, req: AddOffsetsToTxnRequest): Promise<AddOffsetsToTxnResponseInput> {
  const out = (errorCode: number): AddOffsetsToTxnResponseInput => ({ throttleTimeMs: 0, errorCode })
  if (!req.transactionalId) return out(ErrorCode.INVALID_REQUEST)
  if (!ctx.broker.running) return out(ErrorCode.NOT_COORDINATOR)
  const image = ctx.broker.cluster.image
  // Before __consumer_offsets exists, the count it will be created with (Kafka places by that config too).
  const count = image.topicsByName.get(OFFSETS_TOPIC)?.partitions.length ?? Number(brokerConfig(image, 'offsets.topic.num.partitions'))
  const partition = { topic: OFFSETS_TOPIC, partition: coordinatorPartitionFor(req.groupId, count) }
  const code = await ctx.broker.txns.addPartitions(req.transactionalId, req.producerId, req.producerEpoch, [partition])
  return out(code === ErrorCode.PRODUCER_FENCED && ctx.apiVersion < 2 ? ErrorCode.INVALID_PRODUCER_EPOCH : code)
}

defineHandler(addOffsetsToTxnApi, { versions: '0-4', handle })
