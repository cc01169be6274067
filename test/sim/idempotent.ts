/**
 * An idempotent producer per partition, as librdkafka and the Java client run one
 * (enable.idempotence, acks=all, max.in.flight.requests.per.connection 5): up to five numbered
 * batches in flight at once with its producer id and sequence numbers, sent as Produce requests
 * through the simulated network to the real Produce handler of whoever leads. A batch that fails
 * (an error code, a reset connection, a client timeout: its fate unknown) is retried with the same
 * sequence once nothing is in flight, all unacknowledged batches again in order, to whoever leads
 * then, until acknowledged. Across failovers its records must end up in the log exactly once, and
 * where the acknowledgement said (log-audit.ts).
 *
 * OUT_OF_ORDER_SEQUENCE_NUMBER is expected for a batch behind one that failed (the broker has not
 * seen its predecessor yet); for the oldest unacknowledged batch, or INVALID_PRODUCER_EPOCH for
 * any, it means the brokers lost the producer's state while keeping its records: the run fails.
 * Unclean elections lose state with the data: in seeds that allow them the producer starts afresh
 * with a new producer id instead, and where its acknowledged records ended up is not checked.
 */
import { encodeRecordBatch } from '../../src/protocol/record-batch.js'
import { ErrorCode, errorName } from '../../src/protocol/errors.js'
import type { ProduceResponse } from '../../src/protocol/messages/00-produce.js'
import type { SimNode } from './sim-node.js'
import { PRODUCE } from './workload.js'
import type { Deletions } from './deletions.js'

export interface IdempotentAck {
  partition: number
  producerId: number
  baseOffset: number
  firstSeq: number
  count: number
  attempts: number
}

/** Kafka's bound, which the brokers' duplicate detection (the last five batches) relies on. */
const IN_FLIGHT_MAX = 5

interface PendingBatch {
  firstSeq: number
  count: number
  timestampMs: number
  attempts: number
  inFlight: boolean
  /** The broker the last attempt went to. */
  sentTo: number
  /** How far DeleteRecords sent so far may have moved the log start, when the batch was made. */
  deletableAtSend: number
}

interface ProducerState {
  producerId: number
  nextSeq: number
  /** Batches sent and not acknowledged, oldest first. */
  unacked: PendingBatch[]
  /** A batch failed: nothing new goes out until every unacknowledged batch was sent again. */
  mustRetry: boolean
  /** A batch was acknowledged: the partition's leaders know the producer. */
  known: boolean
  /** The offset after its last acknowledged batch (-1 before any). */
  ackedEnd: number
  /**
   * DeleteRecords may have taken every batch of it a leader had acknowledged: a leader that
   * rebuilt its producer state from the log since took a later batch for one of an unknown
   * producer (any sequence goes, since KIP-360), so a retried batch may find a gap or be stored again.
   */
  mayBeForgotten: boolean
}

/** The value of record `seq` of a producer of partition `p`. */
/** The first id of the idempotent workload's own producers. */
const SIM_PRODUCER_ID_BASE = 1_000_000_000

export const idempotentValue = (partition: number, producerId: number, seq: number): string => `p${partition}-q${producerId}-s${seq}`

export class IdempotentProducers {
  readonly acked: IdempotentAck[] = []
  readonly errors = new Map<string, number>()
  /** Producers that started afresh after an unclean election or a deletion lost their state. */
  restarts = 0
  private readonly producers: ProducerState[]

  constructor(
    private readonly sim: SimNode,
    private readonly topicName: string,
    partitions: number,
    private readonly trace: ((line: () => string) => void) | null,
    private readonly fail: (message: string) => void,
    private readonly uncleanAllowed: boolean,
    /** The client's request.timeout.ms: past it a request's fate is unknown and it is retried. */
    private readonly requestTimeoutMs: number,
    private readonly deletions: Deletions,
  ) {
    // Ids of its own, far above what the cluster hands out (blocks of 1,000 from 0, one per
    // broker process: a run allocates a few dozen), so no InitProducerId answer can collide.
    this.producers = Array.from({ length: partitions }, (_, p) => ({ producerId: SIM_PRODUCER_ID_BASE + p, nextSeq: 0, unacked: [], mustRetry: false, known: false, ackedEnd: -1, mayBeForgotten: false }))
  }

  get inFlight(): number {
    return this.producers.reduce((n, s) => n + s.unacked.filter((b) => b.inFlight).length, 0)
  }

  /** Producers with batches sent and not acknowledged yet (in flight or waiting for a retry). */
  get unacknowledged(): number {
    return this.producers.filter((s) => s.unacked.length > 0).length
  }

  /** Retries the unacknowledged batches of producers with nothing in flight (the end of a run). */
  retryPending(timeoutMs: number): void {
    for (const [partition, s] of this.producers.entries()) {
      if (s.unacked.length > 0 && !s.unacked.some((b) => b.inFlight)) this.produce(partition, 0, timeoutMs)
    }
  }

  /** Sends the batches waiting for a retry, or a new one of `records` records. Returns a trace line. */
  produce(partition: number, records: number, timeoutMs: number): string {
    const s = this.producers[partition]!
    const p = this.sim.image.partition(this.topicName, partition)!
    if (p.leader < 0 || this.sim.condition(p.leader) !== 'up') return `idempotent p${partition}: no reachable leader`
    if (s.mustRetry || (records === 0 && s.unacked.length > 0)) {
      // The retry: once nothing is in flight, every unacknowledged batch again, in order.
      if (s.unacked.some((b) => b.inFlight)) return `idempotent p${partition} busy (retry waits for ${s.unacked.filter((b) => b.inFlight).length} in flight)`
      s.mustRetry = false
      for (const batch of s.unacked) this.send(partition, s, batch, p.leader, timeoutMs)
      return `idempotent p${partition} retries seq ${s.unacked[0]!.firstSeq}..${s.nextSeq - 1} to b${p.leader}`
    }
    if (records === 0 || s.unacked.length >= IN_FLIGHT_MAX) return `idempotent p${partition} busy`
    // A broker accepts any sequence from a producer it does not know (Kafka since KIP-360): a batch
    // behind a refused first batch would open a gap. Until its first acknowledgement the producer
    // keeps one batch in flight, so every gap the run meets is one the brokers made.
    if (!s.known && s.unacked.length > 0) return `idempotent p${partition} busy (first batch not acknowledged)`
    // As the clients do, a new batch does not overtake ones still in flight to a deposed leader.
    if (s.unacked.some((b) => b.inFlight && b.sentTo !== p.leader)) return `idempotent p${partition} busy (in flight to a former leader)`
    const batch: PendingBatch = { firstSeq: s.nextSeq, count: records, timestampMs: this.sim.sched.nowMs(), attempts: 0, inFlight: false, sentTo: -1, deletableAtSend: this.deletions.allowed[partition]! }
    s.nextSeq += records
    s.unacked.push(batch)
    this.send(partition, s, batch, p.leader, timeoutMs)
    return `idempotent p${partition} seq ${batch.firstSeq}..${batch.firstSeq + batch.count - 1} to b${p.leader}`
  }

  private send(partition: number, s: ProducerState, batch: PendingBatch, leaderId: number, timeoutMs: number): void {
    batch.attempts++
    batch.inFlight = true
    batch.sentTo = leaderId
    const producerId = s.producerId
    const records = encodeRecordBatch({
      records: Array.from({ length: batch.count }, (_, i) => ({ value: idempotentValue(partition, producerId, batch.firstSeq + i) })),
      baseTimestamp: batch.timestampMs,
      producerId,
      producerEpoch: 0,
      baseSequence: batch.firstSeq,
    })
    const request = { transactionalId: null, acks: -1, timeoutMs, topicData: [{ name: this.topicName, partitionData: [{ index: partition, records }] }] }
    const what = `idempotent p${partition} producer ${producerId} seq ${batch.firstSeq}..${batch.firstSeq + batch.count - 1} attempt ${batch.attempts} to b${leaderId}`
    this.sim.net.request<ProduceResponse>(leaderId, PRODUCE, request, timeoutMs + this.requestTimeoutMs).then(
      (response) => {
        const r = response.responses[0]!.partitionResponses[0]!
        this.settle(partition, s, producerId, batch, what, r.errorCode, r.baseOffset, r.errorMessage)
      },
      (error: unknown) => this.settle(partition, s, producerId, batch, what, null, -1, String(error)),
    )
  }

  /** One answer (or a lost request: `errorCode` null). */
  private settle(
    partition: number,
    s: ProducerState,
    producerId: number,
    batch: PendingBatch,
    what: string,
    errorCode: number | null,
    baseOffset: number,
    message: string | null,
  ): void {
    batch.inFlight = false
    // The producer started afresh meanwhile: answers to the old one are of no interest.
    if (s.producerId !== producerId || !s.unacked.includes(batch)) return
    if (errorCode === ErrorCode.NONE) {
      this.acked.push({ partition, producerId, baseOffset, firstSeq: batch.firstSeq, count: batch.count, attempts: batch.attempts })
      s.unacked = s.unacked.filter((b) => b !== batch)
      s.known = true
      if (s.ackedEnd >= 0 && this.deletions.allowed[partition]! >= s.ackedEnd) s.mayBeForgotten = true
      s.ackedEnd = Math.max(s.ackedEnd, baseOffset + batch.count)
      this.trace?.(() => `${what}: acked at ${baseOffset}`)
      return
    }
    const name = errorCode === null ? 'lost' : errorName(errorCode)
    this.errors.set(name, (this.errors.get(name) ?? 0) + 1)
    this.trace?.(() => `${what}: ${name}${message ? ` (${message})` : ''}`)
    s.mustRetry = true
    const oldest = s.unacked[0] === batch
    const stateLost =
      errorCode === ErrorCode.INVALID_PRODUCER_EPOCH || (errorCode === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER && oldest)
    if (!stateLost) return
    // A deletion past the batch (sent while it was unacknowledged) takes the producer's batches
    // with it: a restarted leader rebuilds its producer state from the log start (as Kafka).
    // So does a deletion past every batch of the producer acknowledged before a later ack (sim
    // seeds 403 and 795: a batch acknowledged by a leader that had forgotten the producer).
    const allowed = this.deletions.allowed[partition]!
    const deletedSince = allowed > batch.deletableAtSend || s.mayBeForgotten || (s.ackedEnd >= 0 && allowed >= s.ackedEnd)
    if (!this.uncleanAllowed && !deletedSince) return this.fail(`${what} was refused with ${name}: ${message}`)
    // State lost to an unclean election or a deletion: start afresh (the records sent may be lost or kept).
    this.restarts++
    s.producerId += 100
    s.nextSeq = 0
    s.unacked = []
    s.mustRetry = false
    s.known = false
    s.ackedEnd = -1
    s.mayBeForgotten = false
  }
}
