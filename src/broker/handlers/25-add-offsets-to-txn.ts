/**
 * AddOffsetsToTxn (key 25), versions 0-4: a transactional producer that will commit a group's
 * offsets in its transaction (TxnOffsetCommit) first adds the group's partition of
 * __consumer_offsets to the transaction, so that the group's coordinator gets the transaction's
 * marker. PRODUCER_FENCED is answered as INVALID_PRODUCER_EPOCH below v2, as Kafka. v4
 * allows TRANSACTION_ABORTABLE (KIP-890) in answers, which sluice never gives (it does no
 * transaction verification).
 */
import { coordinatorPartitionFor } from '../../cluster/coordinator-placement.js'
import { ErrorCode } from '../../protocol/errors.js'
import { addOffsetsToTxnApi, type AddOffsetsToTxnRequest, type AddOffsetsToTxnResponseInput } from '../../protocol/messages/25-add-offsets-to-txn.js'
import { OFFSETS_TOPIC, ensureOffsetsTopic } from '../group-coordinator.js'
import { defineHandler, type RequestContext } from '../handler.js'

async function handle(ctx: RequestContext, req: AddOffsetsToTxnRequest): Promise<AddOffsetsToTxnResponseInput> {
  const out = (errorCode: number): AddOffsetsToTxnResponseInput => ({ throttleTimeMs: 0, errorCode })
  if (!req.transactionalId) return out(ErrorCode.INVALID_REQUEST)
  if (!ctx.broker.running) return out(ErrorCode.NOT_COORDINATOR)
  // The group's partition must exist before the transaction includes it: a marker finds no
  // partition of a topic not yet created and skips it (as one deleted), and the partition, created
  // later, would not know the producer was fenced, so a zombie's TxnOffsetCommit would be taken
  // (seed 598 of the simulation, where the creation waited on a frozen quorum). Kafka creates the
  // topic at the client's FindCoordinator, which comes after, and relies on KIP-890's verification
  // of TxnOffsetCommit, which sluice does not do.
  if (!(await ensureOffsetsTopic(ctx.broker.cluster))) return out(ErrorCode.COORDINATOR_NOT_AVAILABLE)
  const topic = ctx.broker.cluster.image.topicsByName.get(OFFSETS_TOPIC)
  if (!topic) return out(ErrorCode.COORDINATOR_NOT_AVAILABLE)
  const partition = { topic: OFFSETS_TOPIC, partition: coordinatorPartitionFor(req.groupId, topic.partitions.length) }
  const code = await ctx.broker.txns.addPartitions(req.transactionalId, req.producerId, req.producerEpoch, [partition])
  return out(code === ErrorCode.PRODUCER_FENCED && ctx.apiVersion < 2 ? ErrorCode.INVALID_PRODUCER_EPOCH : code)
}

defineHandler(addOffsetsToTxnApi, { versions: '0-4', handle })
