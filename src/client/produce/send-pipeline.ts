/**
 * The send side of `produce`: batches of records go out as one `producer.send` each, several in
 * flight at once (bounded), and what the cluster acknowledged is counted per partition.
 *
 * Ordering: sends are issued in input order and each connection keeps its requests in order, so
 * a partition's records land in input order as long as no request is retried.
 *
 * Idempotent (acks=all): a failed send that may succeed later (a leader moved, a broker crashed,
 * min.insync.replicas briefly unmet) is sent again, with fresh metadata, until `deliveryTimeoutMs`
 * (as Kafka's delivery.timeout.ms). The idempotent producer gives a retried batch the same
 * producer id and sequence, so the leader stores it once whatever became of the first attempt.
 * @platformatic/kafka takes a partition's sequence from a counter it advances only when a send
 * completes: two sends in flight for one partition would share a sequence, and the broker would
 * answer the second as a duplicate of the first. Hence at most one send in flight per partition
 * (sends for other partitions still overlap), which also keeps a partition's order across retries.
 */
import type { CompressionAlgorithmValue } from '@platformatic/kafka'

/** One record to send; its bytes are views (into the input chunk, or a fetched batch) until encoded. */
export interface Message {
  topic: string
  key?: Buffer | null
  /** null: a tombstone. */
  value: Buffer | null
  partition: number
  /** A header name may repeat: each name is its own Buffer object. */
  headers?: Map<Buffer, Buffer | null>
  /** CreateTime in ms; the send time when absent. */
  timestamp?: bigint
}

/** One producer.send: records in input order, from consecutive input lines. */
export interface SendBatch {
  messages: Message[]
  /** Records per partition (index = partition). */
  perPartition: number[]
  bytes: number
  firstLineNo: number
  lastLineNo: number
  /** The transaction ends after this batch (produce --transaction-records): commit once it is acknowledged. */
  endsTransaction?: boolean
}

/** The part of @platformatic/kafka's Producer this needs (a fake in unit tests). */
export interface Sender {
  send(options: { messages: Message[]; acks: number; compression: CompressionAlgorithmValue; autocreateTopics: boolean }): Promise<unknown>
  /** Forgets the cached metadata, so the next send asks who leads now. */
  clearMetadata?(): void
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

export interface PipelineOptions {
  acks: number
  compression: CompressionAlgorithmValue
  numPartitions: number
  inFlightMax: number
  /** Retry failed sends that `retriable` accepts, one send in flight per partition (default false). */
  idempotent?: boolean
  /** How long a batch may keep being retried after its first send. */
  deliveryTimeoutMs?: number
  /** Pause between two attempts of a batch. */
  retryBackoffMs?: number
  retriable?: (error: unknown) => boolean
}

export class SendPipeline {
  readonly acked: Acknowledged
  /** Set by the first failed send; no send starts after it. */
  failure: SendFailure | undefined
  /** Sends retried (each attempt after a batch's first). */
  retries = 0
  private readonly inFlight = new Set<Promise<void>>()
  /** The last batch's start: the next one starts after it (see send). */
  private starting: Promise<void> = Promise.resolve()
  /** Idempotent: partitions with a send in flight. */
  private readonly busy: Uint8Array

  constructor(
    private readonly sender: Sender,
    private readonly opts: PipelineOptions,
  ) {
    this.acked = { records: 0, bytes: 0, perPartition: new Array<number>(opts.numPartitions).fill(0) }
    this.busy = new Uint8Array(opts.numPartitions)
  }

  get inFlightCount(): number {
    return this.inFlight.size
  }

  /**
   * Starts sending a batch; resolves once there is room for another (backpressure on the reader).
   * Batches start in the order send() is called, even when the caller does not wait between calls
   * (produce's linger flush sends what it holds without waiting): each waits for the one before it
   * to start. Waiting for a free partition without that queue let a later batch for a busy
   * partition start first whenever an earlier waiter happened to be woken by another partition's
   * send and queued up again behind it: records landed out of order under load.
   */
  async send(batch: SendBatch): Promise<void> {
    if (this.failure !== undefined || batch.messages.length === 0) return
    const started = this.starting.then(() => this.start(batch))
    this.starting = started
    await started
    while (this.inFlight.size >= this.opts.inFlightMax) await Promise.race(this.inFlight)
  }

  /** Waits for every send in flight (and every send still waiting to start) to be acknowledged or to fail. */
  async drain(): Promise<void> {
    await this.starting
    while (this.inFlight.size > 0) await Promise.race(this.inFlight)
  }

  /** Idempotent: waits until none of the batch's partitions has a send in flight. Never rejects. */
  private async start(batch: SendBatch): Promise<void> {
    if (this.opts.idempotent === true) {
      while (this.overlapsBusy(batch) && this.inFlight.size > 0) await Promise.race(this.inFlight)
      if (this.failure !== undefined) return
      this.mark(batch, 1)
    }
    const done = this.deliver(batch)
      .then(
        () => this.count(batch),
        (error: unknown) => this.fail(batch, error),
      )
      .finally(() => {
        if (this.opts.idempotent === true) this.mark(batch, 0)
        this.inFlight.delete(done)
      })
    this.inFlight.add(done)
  }

  /** Sends a batch; idempotent, resends what was not acknowledged until the delivery timeout. */
  private async deliver(batch: SendBatch): Promise<void> {
    const { acks, compression, idempotent = false, deliveryTimeoutMs = 0, retryBackoffMs = 0, retriable } = this.opts
    let messages = batch.messages
    const deadline = performance.now() + deliveryTimeoutMs
    for (;;) {
      try {
        await this.sender.send({ messages, acks, compression, autocreateTopics: true })
        return
      } catch (error) {
        if (!idempotent || retriable?.(error) !== true || performance.now() + retryBackoffMs > deadline) throw error
        // Partitions whose leader did answer were acknowledged (and their sequence advanced):
        // sending them again would store them twice. The rest go again with the same sequence.
        messages = unacknowledged(messages, error)
        if (messages.length === 0) return
        this.retries++
        this.sender.clearMetadata?.()
        await new Promise((resolve) => setTimeout(resolve, retryBackoffMs))
      }
    }
  }

  private overlapsBusy(batch: SendBatch): boolean {
    const per = batch.perPartition
    for (let p = 0; p < per.length; p++) if (per[p] > 0 && this.busy[p] === 1) return true
    return false
  }

  private mark(batch: SendBatch, value: 0 | 1): void {
    const per = batch.perPartition
    for (let p = 0; p < per.length; p++) if (per[p] > 0) this.busy[p] = value
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

/** The messages of a failed send whose partition the error does not report as produced. */
function unacknowledged(messages: Message[], error: unknown): Message[] {
  const produced = (error as { produced?: { offsets?: { topic: string; partition: number }[] } } | null)?.produced?.offsets
  if (produced === undefined || produced.length === 0) return messages
  const done = new Set(produced.map((o) => `${o.topic}:${o.partition}`))
  return messages.filter((m) => !done.has(`${m.topic}:${m.partition ?? -1}`))
}
