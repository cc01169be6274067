/**
 * Produce v8 through @platformatic/kafka's connections (replay's path, which runs on that library;
 * produce-api.ts loads this module only then), with record batches sluice encoded itself
 * (batch-encoder.ts): the request body is written around the batches, which go out as they are.
 *
 * v8 (Kafka 2.4+, non-flexible) is what the sluice daemon serves at most and every Kafka since
 * 2.4 accepts; it answers per partition with an error code and, from v8, an error message.
 *
 *   request:  transactional_id NULLABLE_STRING, acks INT16, timeout_ms INT32,
 *             [topic_data: name STRING, [partition_data: index INT32, records BYTES]]
 *   response: [responses: name STRING, [index INT32, error_code INT16, base_offset INT64,
 *             log_append_time_ms INT64, log_start_offset INT64,
 *             [record_errors: batch_index INT32, message NULLABLE_STRING], error_message NULLABLE_STRING]],
 *             throttle_time_ms INT32
 */
import { createAPI, type Connection, type Reader } from '@platformatic/kafka'
import type { ProducedPartition, ProducePartition } from './produce-api.js'
import { ApiKey } from '../../protocol/api-keys.js'

/** What the connection appends after the request header (it reads only `buffers` and `length`). */
interface RawPayload {
  dynamicBuffer: { buffers: Buffer[]; length: number }
  context: { noResponse?: boolean }
}

function createRequest(acks: number, timeoutMs: number, topic: string, partitions: ProducePartition[]): RawPayload {
  const name = Buffer.from(topic, 'utf8')
  const head = Buffer.allocUnsafe(2 + 2 + 4 + 4 + 2 + name.length + 4)
  let pos = head.writeInt16BE(-1, 0) // transactional_id: null
  pos = head.writeInt16BE(acks, pos)
  pos = head.writeInt32BE(timeoutMs, pos)
  pos = head.writeInt32BE(1, pos) // one topic
  pos = head.writeInt16BE(name.length, pos)
  pos += name.copy(head, pos)
  head.writeInt32BE(partitions.length, pos)
  const buffers: Buffer[] = [head]
  let length = head.length
  for (const p of partitions) {
    const prefix = Buffer.allocUnsafe(8)
    prefix.writeInt32BE(p.partition, 0)
    prefix.writeInt32BE(p.batch.length, 4)
    buffers.push(prefix, p.batch)
    length += 8 + p.batch.length
  }
  return { dynamicBuffer: { buffers, length }, context: acks === 0 ? { noResponse: true } : {} }
}

function parseResponse(_correlationId: number, _apiKey: number, _apiVersion: number, reader: Reader): ProducedPartition[] {
  const out: ProducedPartition[] = []
  reader.readArray(
    (r) => {
      r.readString(false)
      r.readArray(
        (r) => {
          const partition = r.readInt32()
          const errorCode = r.readInt16()
          const baseOffset = Number(r.readInt64())
          r.readInt64() // log_append_time_ms
          r.readInt64() // log_start_offset
          r.readArray(
            (r) => {
              r.readInt32()
              r.readNullableString(false)
            },
            false,
            false,
          )
          const errorMessage = r.readNullableString(false)
          out.push({ partition, errorCode, baseOffset, errorMessage })
        },
        false,
        false,
      )
    },
    false,
    false,
  )
  reader.readInt32() // throttle_time_ms
  return out
}

type RawProduce = (
  connection: Connection,
  acks: number,
  timeoutMs: number,
  topic: string,
  partitions: ProducePartition[],
  callback: (error: Error | null, result?: ProducedPartition[]) => void,
) => void

// Produce v8 has no tagged fields in its headers (flexible versions start at v9).
const rawProduceV8 = createAPI(ApiKey.Produce, 8, createRequest as never, parseResponse, false, false) as unknown as RawProduce

/** One Produce request; acks=0 resolves with no partitions (the broker does not answer). */
export function produceLib(connection: Connection, acks: number, timeoutMs: number, topic: string, partitions: ProducePartition[]): Promise<ProducedPartition[]> {
  return new Promise((resolve, reject) => {
    rawProduceV8(connection, acks, timeoutMs, topic, partitions, (error, result) => (error ? reject(error) : resolve(result ?? [])))
  })
}
