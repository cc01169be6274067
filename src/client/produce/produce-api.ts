/**
 * One Produce request of record batches sluice encoded itself (batch-encoder.ts), on either kind
 * of connection: sluice's own (wire/connection.ts: `sluice produce`, which so never loads a
 * client library) or @platformatic/kafka's (replay; produce-lib.ts, loaded only then).
 *
 * Produce v8 at most (Kafka 2.4+, non-flexible): what the sluice daemon serves and every Kafka
 * since 2.4 accepts; it answers per partition with an error code and, from v8, an error message.
 */
import type { Connection } from '@platformatic/kafka'
import { produceApi } from '../../protocol/messages/00-produce.js'
import { WireConnection } from '../wire/connection.js'

export interface ProducePartition {
  partition: number
  batch: Buffer
}

export interface ProducedPartition {
  partition: number
  errorCode: number
  baseOffset: number
  errorMessage: string | null
}

/** A broker connection the sender writes to. */
export type ProduceConnection = Connection | WireConnection

const PRODUCE_VERSION_MAX = 8
/** Kafka's request.timeout.ms past the broker's own wait for acks. */
const REQUEST_TIMEOUT_MARGIN_MS = 30_000

let lib: Promise<typeof import('./produce-lib.js')> | undefined

/** One Produce request; acks=0 resolves with no partitions (the broker does not answer). */
export async function produceRaw(connection: ProduceConnection, acks: number, timeoutMs: number, topic: string, partitions: ProducePartition[]): Promise<ProducedPartition[]> {
  if (!(connection instanceof WireConnection)) return (await (lib ??= import('./produce-lib.js'))).produceLib(connection, acks, timeoutMs, topic, partitions)
  const body = {
    transactionalId: null,
    acks,
    timeoutMs,
    topicData: [{ name: topic, partitionData: partitions.map((p) => ({ index: p.partition, records: p.batch })) }],
  }
  const opts = { timeoutMs: timeoutMs + REQUEST_TIMEOUT_MARGIN_MS, max: PRODUCE_VERSION_MAX }
  if (acks === 0) {
    await connection.requestNoResponse(produceApi, body, opts)
    return []
  }
  const answer = await connection.request(produceApi, body, opts)
  const out: ProducedPartition[] = []
  for (const t of answer.responses) {
    if (t.name !== topic) continue
    for (const p of t.partitionResponses) out.push({ partition: p.index, errorCode: p.errorCode, baseOffset: p.baseOffset, errorMessage: p.errorMessage ?? null })
  }
  return out
}
