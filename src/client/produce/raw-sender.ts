/**
 * The Sender of the send pipeline for one topic: each send's records are grouped by partition,
 * encoded by sluice (batch-encoder.ts), and sent to each partition's leader in one Produce request
 * per leader (produce-api.ts), over the client's connections and metadata (cluster.ts ProduceClient).
 *
 * Idempotence (acks=all): the producer id comes from InitProducerId (through the library); each
 * partition's next sequence advances only when its batch is acknowledged. The pipeline keeps at
 * most one send in flight per partition, so a retried batch (after a leader change, a timeout)
 * goes out with the sequence of its first attempt and the leader stores it once.
 *
 * Transactional (`transaction` given: produce --transactional-id, replay --into): the producer id
 * and epoch are the transaction manager's (transactions.ts), each send first adds its partitions
 * to the open transaction (AddPartitionsToTxn, once per partition per transaction), and batches
 * carry the transactional attribute and the transactional id. Sequences run on across
 * transactions, as Kafka's do for one producer epoch.
 *
 * A send whose partitions did not all succeed rejects with a ProduceFailure: `produced` lists the
 * partitions that were acknowledged (the pipeline retries only the others), `errors` one error per
 * failed partition (with `apiCode`, or the network error), as the pipeline's retry test expects.
 */
import type { CompressionAlgorithmValue } from '@platformatic/kafka'
import { ErrorCode, errorName } from '../../protocol/errors.js'
import { loadCompression } from '../../protocol/compression.js'
import type { BrokerAddress } from '../wire/connection.js'
import { encodeBatch } from './batch-encoder.js'
import type { ProduceClient } from './producer-setup.js'
import type { TransactionContext } from './transactions.js'
import { produceRaw, type ProduceConnection, type ProducePartition } from './produce-api.js'
import type { Message, Sender } from './send-pipeline.js'

export class PartitionProduceError extends Error {
  constructor(
    readonly partition: number,
    readonly apiCode: number,
    message: string | null,
  ) {
    super(`partition ${partition}: ${errorName(apiCode)}${message ? ` (${message})` : ''}`)
  }
}

export class ProduceFailure extends Error {
  constructor(
    readonly errors: Error[],
    readonly produced: { offsets: { topic: string; partition: number }[] },
  ) {
    super(errors.map((e) => e.message).join('; '))
  }
}

export interface RawSenderOptions {
  topic: string
  numPartitions: number
  idempotent: boolean
  /** The broker's wait for acks=all (Kafka's request.timeout.ms). */
  timeoutMs: number
  /** Write into this transaction (implies idempotent). */
  transaction?: TransactionContext
}

export class RawSender implements Sender {
  private producerId = -1
  private producerEpoch = -1
  private readonly nextSequence: Int32Array
  private forceMetadata = false
  private initializing: Promise<{ producerId: bigint; producerEpoch: number }> | undefined

  constructor(
    private readonly client: ProduceClient,
    private readonly opts: RawSenderOptions,
  ) {
    this.nextSequence = new Int32Array(opts.numPartitions)
  }

  clearMetadata(): void {
    this.forceMetadata = true
  }

  async send(options: { messages: Message[]; acks: number; compression: CompressionAlgorithmValue }): Promise<void> {
    const { topic, transaction } = this.opts
    const idempotent = this.opts.idempotent || transaction !== undefined
    // The codecs load on the first compressed send only (compression.ts).
    if (options.compression !== 'none') await loadCompression()
    if (transaction !== undefined) {
      if (transaction.producerEpoch !== this.producerEpoch || transaction.producerId !== this.producerId) this.nextSequence.fill(0)
      this.producerId = transaction.producerId
      this.producerEpoch = transaction.producerEpoch
    } else if (idempotent && this.producerId < 0) {
      // One InitProducerId for the sends that start together (several are in flight at once).
      this.initializing ??= this.client.initIdempotentProducer({}).finally(() => (this.initializing = undefined))
      const info = await this.initializing
      this.producerId = Number(info.producerId)
      this.producerEpoch = info.producerEpoch
    }
    const byPartition = new Map<number, Message[]>()
    for (const m of options.messages) {
      const p = m.partition ?? 0
      let list = byPartition.get(p)
      if (list === undefined) byPartition.set(p, (list = []))
      list.push(m)
    }
    // Before the first batch to a partition in this transaction (Kafka's order: add, then send).
    if (transaction !== undefined) await transaction.addPartitions(topic, byPartition.keys())
    const md = await this.client.metadata({ topics: [topic], forceUpdate: this.forceMetadata })
    this.forceMetadata = false
    const partitions = md.topics.get(topic)?.partitions ?? []
    const nowMs = Date.now()
    const byLeader = new Map<number, ProducePartition[]>()
    const counts = new Map<number, number>()
    const errors: Error[] = []
    for (const [partition, messages] of byPartition) {
      const leader = partitions[partition]?.leader ?? -1
      if (leader < 0) {
        errors.push(new PartitionProduceError(partition, ErrorCode.LEADER_NOT_AVAILABLE, 'no leader in the metadata'))
        continue
      }
      const batch = encodeBatch(messages, {
        producerId: idempotent ? this.producerId : -1,
        producerEpoch: idempotent ? this.producerEpoch : -1,
        baseSequence: idempotent ? this.nextSequence[partition]! : -1,
        transactional: transaction !== undefined,
        compression: options.compression,
        nowMs,
      })
      counts.set(partition, messages.length)
      let list = byLeader.get(leader)
      if (list === undefined) byLeader.set(leader, (list = []))
      list.push({ partition, batch })
    }
    const produced: { topic: string; partition: number }[] = []
    await Promise.all(
      [...byLeader].map(async ([leader, requested]) => {
        try {
          const connection = await this.connectionTo(md.brokers.get(leader), leader)
          const answers = await produceRaw(connection, options.acks, this.opts.timeoutMs, topic, requested, transaction?.transactionalId ?? null)
          if (options.acks === 0) {
            for (const r of requested) produced.push({ topic, partition: r.partition })
            return
          }
          const answered = new Set(answers.map((a) => a.partition))
          for (const r of requested) {
            if (!answered.has(r.partition)) errors.push(new PartitionProduceError(r.partition, ErrorCode.NETWORK_EXCEPTION, 'the broker did not answer for this partition'))
          }
          for (const a of answers) {
            if (a.errorCode === ErrorCode.NONE) {
              produced.push({ topic, partition: a.partition })
              // Sequences wrap at 2^31 as Kafka's do (Int32Array arithmetic would go negative).
              if (idempotent) this.nextSequence[a.partition] = (this.nextSequence[a.partition]! + counts.get(a.partition)!) % 2 ** 31
            } else {
              errors.push(new PartitionProduceError(a.partition, a.errorCode, a.errorMessage))
            }
          }
        } catch (error) {
          // The request failed as a whole (a closed connection, a timeout): every partition in it.
          errors.push(error instanceof Error ? error : new Error(String(error)))
        }
      }),
    )
    if (errors.length > 0) throw new ProduceFailure(errors, { offsets: produced })
  }

  private async connectionTo(broker: BrokerAddress | undefined, leader: number): Promise<ProduceConnection> {
    if (broker === undefined) throw new PartitionProduceError(-1, ErrorCode.BROKER_NOT_AVAILABLE, `broker ${leader} is not in the metadata`)
    return this.client.connections.get(broker)
  }
}
