/**
 * The send side of `produce`: batches of records go out as one `producer.send` each, several in
 * flight at once (bounded), and what the cluster acknowledged is counted per partition.
 *
 * Ordering: sends are issued in input order and each connection keeps its requests in order, so
 * a partition's records land in input order as long as no request is retried. A retried request
 * (a broker failover) can reorder or, being non-idempotent, duplicate a batch: the idempotent
 * producer that rules that out comes with replication (issue 4); `idempotent: true` in
 * `producerOptions()` (run.ts) is the place to turn it on.
 */
import type { CompressionAlgorithmValue, MessageToProduce } from '@platformatic/kafka'

export type Message = MessageToProduce<Buffer, Buffer, Buffer, Buffer>

/** One producer.send: records in input order, from consecutive input lines. */
export interface SendBatch {
  messages: Message[]
  /** Records per partition (index = partition). */
  perPartition: number[]
  bytes: number
  firstLineNo: number
  lastLineNo: number
}

/** The part of @platformatic/kafka's Producer this needs (a fake in unit tests). */
export interface Sender {
  send(options: { messages: Message[]; acks: number; compression: CompressionAlgorithmValue; autocreateTopics: boolean }): Promise<unknown>
}

export interface Acknowledged {
  records: number
  bytes: number
  perPartition: number[]
}

export interface SendFailure {
  error: unknown
  /** The first line of the earliest batch that failed (every line before it was sent). */
  firstLineNo: number
  lastLineNo: number
}

export class SendPipeline {
  readonly acked: Acknowledged
  /** Set by the first failed send; no send starts after it. */
  failure: SendFailure | undefined
  private readonly inFlight = new Set<Promise<void>>()

  constructor(
    private readonly sender: Sender,
    private readonly opts: { acks: number; compression: CompressionAlgorithmValue; numPartitions: number; inFlightMax: number },
  ) {
    this.acked = { records: 0, bytes: 0, perPartition: new Array<number>(opts.numPartitions).fill(0) }
  }

  get inFlightCount(): number {
    return this.inFlight.size
  }

  /** Starts sending a batch; resolves once there is room for another (backpressure on the reader). */
  async send(batch: SendBatch): Promise<void> {
    if (this.failure !== undefined || batch.messages.length === 0) return
    const done = this.sender
      .send({ messages: batch.messages, acks: this.opts.acks, compression: this.opts.compression, autocreateTopics: true })
      .then(
        () => this.count(batch),
        (error: unknown) => this.fail(batch, error),
      )
      .finally(() => this.inFlight.delete(done))
    this.inFlight.add(done)
    while (this.inFlight.size >= this.opts.inFlightMax) await Promise.race(this.inFlight)
  }

  /** Waits for every send in flight to be acknowledged or to fail. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.race(this.inFlight)
  }

  private count(batch: SendBatch): void {
    const acked = this.acked
    acked.records += batch.messages.length
    acked.bytes += batch.bytes
    const per = batch.perPartition
    for (let p = 0; p < per.length; p++) acked.perPartition[p] += per[p]
  }

  private fail(batch: SendBatch, error: unknown): void {
    if (this.failure === undefined || batch.firstLineNo < this.failure.firstLineNo) {
      this.failure = { error, firstLineNo: batch.firstLineNo, lastLineNo: batch.lastLineNo }
    }
  }
}
