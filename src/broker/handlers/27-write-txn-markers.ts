/**
 * WriteTxnMarkers (key 27), versions 0-1.
 * Appends each marker (a COMMIT or ABORT control batch for a producer) on the partitions this
 * broker leads, and answers per partition once the ISR has it: the same function the transaction
 * coordinators call through the brokers' link (txn-markers.ts, where the errors are listed). Only
 * brokers and tools send it: sluice's coordinators use the link, this serves it over the wire.
 */
import { writeTxnMarkersApi, type WriteTxnMarkersRequest, type WriteTxnMarkersResponseInput } from '../../protocol/messages/27-write-txn-markers.js'
import { defineHandler, type RequestContext } from '../handler.js'
import { TXN_MARKER_TIMEOUT_MS, writeTxnMarkers } from '../txn-markers.js'

async function handle(ctx: RequestContext, req: WriteTxnMarkersRequest): Promise<WriteTxnMarkersResponseInput> {
  const outcomes = await writeTxnMarkers(
    ctx.broker,
    req.markers.map((m) => ({
      producerId: m.producerId,
      producerEpoch: m.producerEpoch,
      committed: m.transactionResult,
      coordinatorEpoch: m.coordinatorEpoch,
      topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes })),
    })),
    TXN_MARKER_TIMEOUT_MS,
  )
  return {
    markers: outcomes.map((o) => ({
      producerId: o.producerId,
      topics: o.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, errorCode: p.errorCode })) })),
    })),
  }
}

defineHandler(writeTxnMarkersApi, { versions: '0-1', handle })
