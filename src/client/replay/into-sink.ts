/**
 * `replay --into`: the sink that re-produces each record into the target topic (acks=all,
 * idempotent, through the produce send pipeline, on sluice's own wire client), with headers naming
 * where it came from. Each fetch response's records go out as one send, in the replay's open
 * transaction; then, once they are acknowledged, the transaction commits with the replay's
 * progress (exactly-once.ts). drain() sends what is left and commits it.
 */
import { SluiceError } from '../../common/errors.js'
import type { RecordSink } from '../consume/record-pipeline.js'
import { keyOf, readHeaders, valueOf, type RecordView } from '../consume/record-view.js'
import type { PartitionCursor } from '../consume/fetcher.js'
import { DELIVERY_TIMEOUT_MS, REQUEST_TIMEOUT_MS, RETRY_BACKOFF_MS, isRetriableSend, type ProduceClient } from '../produce/producer-setup.js'
import { RawSender } from '../produce/raw-sender.js'
import { partitionForKey } from '../produce/partitioner.js'
import { SendPipeline, type Message, type SendBatch } from '../produce/send-pipeline.js'
import type { ReplayCheckpoint } from './exactly-once.js'

/** The headers added to every re-produced record (values are UTF-8 decimal text for numbers). */
export const SOURCE_TOPIC_HEADER = 'sluice-replay-source-topic'
export const SOURCE_PARTITION_HEADER = 'sluice-replay-source-partition'
export const SOURCE_OFFSET_HEADER = 'sluice-replay-source-offset'

const IN_FLIGHT_MAX = 4
/** The most a record's framing can take, and a header's (as batch-builder.ts counts them). */
const RECORD_OVERHEAD_BYTES_MAX = 36
const HEADER_OVERHEAD_BYTES_MAX = 10

/** Where each record goes in the target topic, and the batches being filled for the next commit. */
export class IntoSink implements RecordSink {
  private messages: Message[] = []
  private perPartition: number[]
  private bytes = 0
  /** Bytes of the batch being filled, framing included (held under batchBytesMax). */
  private batchBytes = 0
  /** Batches filled, waiting for the next commit's turn. */
  private readonly taken: SendBatch[] = []
  private batches = 0
  readonly pipeline: SendPipeline
  private roundRobin = 0
  /** The commit in progress: the next waits for it (see ready). */
  private turn: Promise<void> = Promise.resolve()
  private failed: unknown

  constructor(
    producer: ProduceClient,
    private readonly sourceTopic: string,
    private readonly into: string,
    private readonly numPartitions: number,
    /** Partitioned by the key's hash rather than kept in the source partition. */
    readonly rehash: boolean,
    /** The transaction and the progress; the source's cursors, whose positions are the progress. */
    private readonly checkpoint: { progress: ReplayCheckpoint; cursors: () => PartitionCursor[] },
    /**
     * The most one send may hold: its records for a partition become one batch, which the target's
     * max.message.bytes bounds (records taken while a commit waits its turn pile up).
     */
    private readonly batchBytesMax: number,
  ) {
    this.perPartition = new Array<number>(numPartitions).fill(0)
    const sender = new RawSender(producer, { topic: into, numPartitions, idempotent: true, timeoutMs: REQUEST_TIMEOUT_MS, transaction: checkpoint.progress.txn })
    this.pipeline = new SendPipeline(sender, {
      acks: -1,
      compression: 'none',
      numPartitions,
      inFlightMax: IN_FLIGHT_MAX,
      idempotent: true,
      deliveryTimeoutMs: DELIVERY_TIMEOUT_MS,
      retryBackoffMs: RETRY_BACKOFF_MS,
      retriable: isRetriableSend,
    })
  }

  onRecord(r: RecordView, sourcePartition: number): boolean {
    this.add(r, sourcePartition)
    return true
  }

  private add(r: RecordView, sourcePartition: number): void {
    // Copies: the view's bytes are reused once the visit returns.
    const key = keyOf(r)
    const value = valueOf(r)
    const headers = new Map<Buffer, Buffer | null>()
    for (const [name, v] of readHeaders(r)) headers.set(Buffer.from(name), v === null ? null : Buffer.from(v))
    headers.set(Buffer.from(SOURCE_TOPIC_HEADER), Buffer.from(this.sourceTopic))
    headers.set(Buffer.from(SOURCE_PARTITION_HEADER), Buffer.from(String(sourcePartition)))
    headers.set(Buffer.from(SOURCE_OFFSET_HEADER), Buffer.from(String(r.offset)))
    let recordBytes = RECORD_OVERHEAD_BYTES_MAX + (key?.length ?? 0) + (value?.length ?? 0)
    for (const [k, v] of headers) recordBytes += HEADER_OVERHEAD_BYTES_MAX + k.length + (v?.length ?? 0)
    if (this.messages.length > 0 && this.batchBytes + recordBytes > this.batchBytesMax) this.close()
    this.batchBytes += recordBytes
    let partition = sourcePartition
    if (this.rehash) {
      partition = key !== null ? partitionForKey(key, this.numPartitions) : this.roundRobin++ % this.numPartitions
    }
    this.messages.push({
      topic: this.into,
      partition,
      key: key === null ? null : Buffer.from(key),
      value: value === null ? null : Buffer.from(value),
      headers,
      timestamp: BigInt(r.timestamp),
    })
    this.perPartition[partition]!++
    this.bytes += (key?.length ?? 0) + (value?.length ?? 0)
  }

  /**
   * After each fetch response: the records taken so far go as one send, and once acknowledged
   * they commit with the cursors' positions in one transaction. The fetch loop runs one worker per
   * leader, each calling this after its responses, so the commits take turns; each takes its
   * records and the positions at one instant (no await between), so the positions committed are
   * exactly those of the records in the transaction: what is taken while it commits goes in the next.
   */
  ready(): Promise<void> {
    const next = this.turn.then(() => this.commitTaken())
    // The first failure fails every later call too (the open transaction is then aborted).
    this.turn = next.catch(() => undefined)
    return next
  }

  private async commitTaken(): Promise<void> {
    if (this.failed !== undefined) throw this.failed
    try {
      const positions = this.checkpoint.cursors().map((c) => ({ ...c }))
      const sent = this.send()
      await this.pipeline.drain()
      this.throwIfFailed()
      await this.checkpoint.progress.commit(positions, sent)
    } catch (err) {
      this.failed = err
      throw err
    }
  }

  /** Hands the records taken to the pipeline (a send per batch filled); false when there were none. */
  private send(): boolean {
    this.close()
    const batches = this.taken.splice(0)
    for (const batch of batches) void this.pipeline.send(batch)
    return batches.length > 0
  }

  /** The batch being filled joins those taken. */
  private close(): void {
    if (this.messages.length === 0) return
    const n = ++this.batches
    this.taken.push({ messages: this.messages, perPartition: this.perPartition, bytes: this.bytes, firstLineNo: n, lastLineNo: n })
    this.messages = []
    this.perPartition = new Array<number>(this.numPartitions).fill(0)
    this.bytes = 0
    this.batchBytes = 0
  }

  /** Sends what is left, waits for every acknowledgement and commits; throws the first failed send. */
  async drain(): Promise<void> {
    await this.ready()
  }

  private throwIfFailed(): void {
    const failure = this.pipeline.failure
    if (failure !== undefined) throw produceError(failure.error, this.into)
  }
}

/** A failed send as the error replay reports (exit 7 unless it is already a SluiceError). */
function produceError(error: unknown, into: string): SluiceError {
  if (error instanceof SluiceError) return error
  const message = error instanceof Error ? error.message : String(error)
  return new SluiceError('KAFKA_ERROR', `producing to ${into} failed: ${message}; the transaction in progress is aborted; run the same command again to resume from the progress committed`, {
    exit: 7,
    cause: error,
  })
}
