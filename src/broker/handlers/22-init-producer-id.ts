/**
 * InitProducerId (key 22), versions 0-4: producer ids for idempotent producers.
 * A null transactional id gets a new producer id from the controller at epoch 0. With v3+, a
 * producer that passes its current id and epoch gets the same id at the next epoch (KIP-360),
 * and a new id when the epoch would overflow.
 * Not implemented: transactional producers (a transactional id is refused with
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED: sluice has no transaction coordinator).
 */
import { ErrorCode } from '../../protocol/errors.js'
import { registerHandler, type RequestContext } from '../handler.js'

const EPOCH_MAX = 32767

interface InitProducerIdRequest {
  transactionalId: string | null
  transactionTimeoutMs: number
  producerId: number
  producerEpoch: number
}

async function handle(ctx: RequestContext, req: InitProducerIdRequest): Promise<unknown> {
  const out = { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: -1, producerEpoch: -1 }
  if (req.transactionalId !== null && req.transactionalId !== '') {
    out.errorCode = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    return out
  }
  if (req.producerId >= 0 && req.producerEpoch >= 0 && req.producerEpoch < EPOCH_MAX - 1) {
    out.producerId = req.producerId
    out.producerEpoch = req.producerEpoch + 1
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

registerHandler({ apiKey: 22, name: 'InitProducerId', minVersion: 0, maxVersion: 4, handle })
