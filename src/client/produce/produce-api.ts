/**
 * One Produce request of record batches sluice encoded itself (batch-encoder.ts), encoded and
 * decoded by src/protocol's Produce schema, on either kind of connection (wire/request.ts):
 * sluice's own (`sluice produce`, which so never loads a client library) or @platformatic/kafka's
 * (replay). The batches are written by reference: their bytes are not copied into the request.
 *
 * Produce v8 at most (Kafka 2.4+, non-flexible): what the sluice daemon serves and every Kafka
 * since 2.4 accepts; it answers per partition with an error code and, from v8, an error message.
 */
import { produceApi } from '../../protocol/messages/00-produce.js'
import { kafkaRequest, kafkaRequestNoResponse, type KafkaConnection } from '../wire/request.js'

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
export type ProduceConnection = KafkaConnection

const PRODUCE_VERSION_MAX = 8
/** Kafka's request.timeout.ms past the broker's own wait for acks. */
const REQUEST_TIMEOUT_MARGIN_MS = 30_000

/** One Produce request; acks=0 resolves with no partitions (the broker does not answer). */
export async function produceRaw(
  connection: ProduceConnection,
  acks: number,
  timeoutMs: number,
  topic: string,
  partitions: ProducePartition[],
  transactionalId: string | null = null,
): Promise<ProducedPartition[]> {
  const body = {
    transactionalId,
    acks,
    timeoutMs,
    topicData: [{ name: topic, partitionData: partitions.map((p) => ({ index: p.partition, records: p.batch })) }],
  }
  const opts = { timeoutMs: timeoutMs + REQUEST_TIMEOUT_MARGIN_MS, version: PRODUCE_VERSION_MAX }
  if (acks === 0) {
    await kafkaRequestNoResponse(connection, produceApi, body, opts)
    return []
  }
  const answer = await kafkaRequest(connection, produceApi, body, opts)
  const out: ProducedPartition[] = []
  for (const t of answer.responses) {
    if (t.name !== topic) continue
    for (const p of t.partitionResponses) out.push({ partition: p.index, errorCode: p.errorCode, baseOffset: p.baseOffset, errorMessage: p.errorMessage ?? null })
  }
  return out
}
