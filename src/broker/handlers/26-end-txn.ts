/**
 * EndTxn (key 26), versions 0-4: commits or aborts a producer's transaction. The transaction
 * coordinator (txn-coordinator.ts) writes PrepareCommit/PrepareAbort with acks=all and answers;
 * the COMMIT/ABORT markers then go into every partition of the transaction, and
 * CompleteCommit/CompleteAbort is written. A retry while the markers go out gets
 * CONCURRENT_TRANSACTIONS, after them NONE (the same end) or INVALID_TXN_STATE (the other).
 * PRODUCER_FENCED is answered as INVALID_PRODUCER_EPOCH below v2, as Kafka.
 * v4 allows TRANSACTION_ABORTABLE (KIP-890) in answers, which sluice never gives (it does no
 * transaction verification).
 * Not implemented: v5 (KIP-890 part 2: an epoch bump at every transaction end), not in Kafka 3.9.
 */
import { ErrorCode } from '../../protocol/errors.js'
import { endTxnApi, type EndTxnRequest, type EndTxnResponseInput } from '../../protocol/messages/26-end-txn.js'
import { defineHandler, type RequestContext } from '../handler.js'

async function handle(ctx: RequestContext, req: EndTxnRequest): Promise<EndTxnResponseInput> {
  const out = (errorCode: number): EndTxnResponseInput => ({ throttleTimeMs: 0, errorCode })
  if (!req.transactionalId) return out(ErrorCode.INVALID_REQUEST)
  if (!ctx.broker.running) return out(ErrorCode.NOT_COORDINATOR)
  const code = await ctx.broker.txns.endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed)
  return out(code === ErrorCode.PRODUCER_FENCED && ctx.apiVersion < 2 ? ErrorCode.INVALID_PRODUCER_EPOCH : code)
}

defineHandler(endTxnApi, { versions: '0-4', handle })
