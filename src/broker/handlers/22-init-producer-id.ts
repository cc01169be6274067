/**
 * InitProducerId (key 22), versions 0-4: producer ids for idempotent producers.
 * A null transactional id always gets a new producer id from the controller at epoch 0, whatever
 * producer id and epoch the request carries, as Kafka does (TransactionCoordinator
 * .handleInitProducerId): the id and epoch only matter for a transactional id (KIP-360), and an
 * idempotent producer bumps its epoch itself. @platformatic/kafka sends producer id 0, epoch 0 on
 * its first InitProducerId: answering that with "id 0, epoch 1" gave every such producer the
 * same id, so a second producer's batches collided with the first one's sequences.
 * Not implemented: transactional producers (a transactional id is refused with
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED: sluice has no transaction coordinator).
 */
import { ErrorCode } from '../../protocol/errors.js'
import { initProducerIdApi, type InitProducerIdRequest, type InitProducerIdResponseInput } from '../../protocol/messages/22-init-producer-id.js'
import { defineHandler, type RequestContext } from '../handler.js'

async function handle(ctx: RequestContext, req: InitProducerIdRequest): Promise<InitProducerIdResponseInput> {
  const out: InitProducerIdResponseInput = { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: -1, producerEpoch: -1 }
  if (req.transactionalId !== null && req.transactionalId !== '') {
    out.errorCode = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    return out
  }
  const allocated = await ctx.broker.cluster.allocateProducerId()
  if (allocated.errorCode !== ErrorCode.NONE || allocated.value === undefined) {
    out.errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE
    return out
  }
  out.producerId = allocated.value
  out.producerEpoch = 0
  return out
}

defineHandler(initProducerIdApi, { versions: '0-4', handle })
