/**
 * InitProducerId (key 22), versions 0-5: producer ids for idempotent and transactional producers.
 * A null (or empty) transactional id always gets a new producer id from the controller at epoch 0,
 * whatever producer id and epoch the request carries, as Kafka does (TransactionCoordinator
 * .handleInitProducerId): the id and epoch only matter for a transactional id (KIP-360), and an
 * idempotent producer bumps its epoch itself. @platformatic/kafka sends producer id 0, epoch 0 on
 * its first InitProducerId: answering that with "id 0, epoch 1" gave every such producer the
 * same id, so a second producer's batches collided with the first one's sequences.
 * A transactional id goes to its transaction coordinator (txn-coordinator.ts): a new id gets a
 * producer id at epoch 0, a known one a bumped epoch (fencing the previous producer, and aborting
 * its open transaction: CONCURRENT_TRANSACTIONS until that is done); `__transaction_state` is
 * created on first use. PRODUCER_FENCED is answered as INVALID_PRODUCER_EPOCH below v4, as Kafka.
 * v5 allows TRANSACTION_ABORTABLE (KIP-890) in answers, which sluice never gives (it does no
 * transaction verification).
 * Departs from Kafka: an empty transactional id is taken as none (Kafka: INVALID_REQUEST).
 */
import { ErrorCode } from '../../protocol/errors.js'
import { initProducerIdApi, type InitProducerIdRequest, type InitProducerIdResponseInput } from '../../protocol/messages/22-init-producer-id.js'
import { defineHandler, type RequestContext } from '../handler.js'
import { ensureTxnStateTopic } from '../txn-state-log.js'

async function handle(ctx: RequestContext, req: InitProducerIdRequest): Promise<InitProducerIdResponseInput> {
  const out: InitProducerIdResponseInput = { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: -1, producerEpoch: -1 }
  if (req.transactionalId !== null && req.transactionalId !== '') {
    // Kafka: an id without an epoch (or the reverse) is a malformed request.
    if ((req.producerId === -1) !== (req.producerEpoch === -1)) return { ...out, errorCode: ErrorCode.INVALID_REQUEST }
    if (!ctx.broker.running) return { ...out, errorCode: ErrorCode.NOT_COORDINATOR }
    if (!(await ensureTxnStateTopic(ctx.broker.cluster))) return { ...out, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE }
    const expected = req.producerId === -1 ? null : { producerId: req.producerId, producerEpoch: req.producerEpoch }
    const result = await ctx.broker.txns.initProducerId(req.transactionalId, req.transactionTimeoutMs, expected)
    const errorCode = result.errorCode === ErrorCode.PRODUCER_FENCED && ctx.apiVersion < 4 ? ErrorCode.INVALID_PRODUCER_EPOCH : result.errorCode
    return { ...out, ...result, errorCode }
  }
  const allocated = await ctx.broker.cluster.allocateProducerId()
  if (allocated.errorCode !== ErrorCode.NONE || allocated.value === undefined) {
    // The broker's block is used up and the controller could not give the next one (a quorum
    // without a majority): Kafka's ProducerIdManager answers COORDINATOR_LOAD_IN_PROGRESS, which
    // clients retry.
    out.errorCode = ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
    return out
  }
  out.producerId = allocated.value
  out.producerEpoch = 0
  return out
}

defineHandler(initProducerIdApi, { versions: '0-5', handle })
