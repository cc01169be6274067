/**
 * DescribeTransactions (key 65), version 0 (KIP-664): this broker's view, as transaction
 * coordinator, of each transactional id asked: state, producer id and epoch, timeout, start time
 * and partitions. NOT_COORDINATOR for an id coordinated elsewhere, COORDINATOR_LOAD_IN_PROGRESS
 * while its partition loads, TRANSACTIONAL_ID_NOT_FOUND for an unknown id.
 */
import { ErrorCode } from '../../protocol/errors.js'
import { describeTransactionsApi, type DescribeTransactionsRequest, type DescribeTransactionsResponseInput } from '../../protocol/messages/65-describe-transactions.js'
import { defineHandler, type RequestContext } from '../handler.js'

type TransactionState = DescribeTransactionsResponseInput['transactionStates'][number]

function describe(ctx: RequestContext, transactionalId: string): TransactionState {
  const out: TransactionState = { errorCode: ErrorCode.NONE, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topics: [] }
  if (!ctx.broker.running) return { ...out, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE }
  if (transactionalId === '') return { ...out, errorCode: ErrorCode.INVALID_REQUEST }
  const { errorCode, meta } = ctx.broker.txns.describe(transactionalId)
  if (!meta) return { ...out, errorCode }
  const topics = new Map<string, number[]>()
  for (const p of meta.partitions) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p.partition])
  return {
    ...out,
    transactionState: meta.state,
    transactionTimeoutMs: meta.timeoutMs,
    transactionStartTimeMs: meta.txnStartTimestamp,
    producerId: meta.producerId,
    producerEpoch: meta.producerEpoch,
    topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
  }
}

function handle(ctx: RequestContext, req: DescribeTransactionsRequest): DescribeTransactionsResponseInput {
  return { throttleTimeMs: 0, transactionStates: req.transactionalIds.map((id) => describe(ctx, id)) }
}

defineHandler(describeTransactionsApi, { versions: '0', handle })
