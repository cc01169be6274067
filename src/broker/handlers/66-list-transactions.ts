/**
 * ListTransactions (key 66), versions 0-1 (KIP-664, KIP-994): the transactional ids this broker
 * coordinates (clients ask every broker), filtered by state names, producer ids and (v1) running
 * longer than durationFilter ms; unknown state names are answered in unknownStateFilters.
 * COORDINATOR_LOAD_IN_PROGRESS while a partition of __transaction_state loads, as Kafka.
 */
import { ErrorCode } from '../../protocol/errors.js'
import { listTransactionsApi, type ListTransactionsRequest, type ListTransactionsResponseInput } from '../../protocol/messages/66-list-transactions.js'
import { defineHandler, type RequestContext } from '../handler.js'

function handle(ctx: RequestContext, req: ListTransactionsRequest): ListTransactionsResponseInput {
  if (!ctx.broker.running) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, unknownStateFilters: [], transactionStates: [] }
  const listed = ctx.broker.txns.list({ states: req.stateFilters, producerIds: req.producerIdFilters, durationMs: ctx.apiVersion >= 1 ? req.durationFilter : -1 })
  return {
    throttleTimeMs: 0,
    errorCode: listed.errorCode,
    unknownStateFilters: listed.unknownStateFilters,
    transactionStates: listed.transactions.map((m) => ({ transactionalId: m.transactionalId, producerId: m.producerId, transactionState: m.state })),
  }
}

defineHandler(listTransactionsApi, { versions: '0-1', handle })
