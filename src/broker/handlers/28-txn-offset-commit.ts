/**
 * TxnOffsetCommit (key 28), versions 0-4. A transactional producer commits a group's offsets
 * inside its transaction (kafkajs `sendOffsets`, Java `sendOffsetsToTransaction`): the group
 * coordinator writes them to __consumer_offsets as one transactional batch of the producer (acks=all)
 * and keeps them pending, invisible to OffsetFetch, until the transaction's COMMIT (they become the
 * committed offsets) or ABORT (they are dropped). v3 (KIP-447) checks the member, instance id and
 * generation when given; v0-2 carry none. A group that does not exist yet is created empty.
 * v4 allows TRANSACTION_ABORTABLE (KIP-890) in answers, which sluice never gives (it does no
 * transaction verification).
 * Not implemented: the check that AddOffsetsToTxn added the group's
 * partition to the transaction (Kafka 3.6's transaction verification, KIP-890 part 1).
 */
import { ErrorCode } from '../../protocol/errors.js'
import { txnOffsetCommitApi, type TxnOffsetCommitRequest, type TxnOffsetCommitResponseInput } from '../../protocol/messages/28-txn-offset-commit.js'
import { defineHandler, type RequestContext } from '../handler.js'
import { tpKey } from '../offset-store.js'

async function handle(ctx: RequestContext, req: TxnOffsetCommitRequest): Promise<TxnOffsetCommitResponseInput> {
  const v3 = ctx.apiVersion >= 3
  const codes = ctx.broker.running
    ? await ctx.broker.groups.commitTxnOffsets(
        req.groupId,
        {
          producerId: req.producerId,
          producerEpoch: req.producerEpoch,
          generationId: v3 ? req.generationId : -1,
          memberId: v3 ? req.memberId : '',
          groupInstanceId: v3 ? req.groupInstanceId : null,
        },
        req.topics,
      )
    : null
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        errorCode: codes ? (codes.get(tpKey(t.name, p.partitionIndex)) ?? ErrorCode.NONE) : ErrorCode.NOT_COORDINATOR,
      })),
    })),
  }
}

defineHandler(txnOffsetCommitApi, { versions: '0-4', handle })
