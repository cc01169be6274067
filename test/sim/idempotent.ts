/**
 * An idempotent producer per partition (max.in.flight.requests 1, acks=all): it sends numbered
 * batches with its producer id and sequence numbers, and retries the same batch (same sequence,
 * fresh bytes, as a client re-encodes nothing but the buffer is the log's once appended) after any
 * retriable error, to whoever leads then, until it is acknowledged. Across failovers its records
 * must end up in the log exactly once, and where the acknowledgement said (log-audit.ts).
 *
 * OUT_OF_ORDER_SEQUENCE_NUMBER or INVALID_PRODUCER_EPOCH cannot happen to this producer while the
 * brokers keep producer state with the log (followers record what they replicate, a restart or a
 * truncation rebuilds it): the run fails if they do. Unclean elections lose state with the data:
 * in seeds that allow them the producer starts afresh with a new producer id instead, and where
 * its acknowledged records ended up is not checked.
 */
import { encodeRecordBatch } from '../../src/protocol/record-batch.js'
import { ErrorCode, errorName } from '../../src/protocol/errors.js'
import type { SimCluster } from './cluster.js'

export interface IdempotentAck {
  partition: number
  producerId: number
  baseOffset: number
  firstSeq: number
  count: number
  attempts: number
}

interface ProducerState {
  producerId: number
  nextSeq: number
  /** The batch being sent until it is acknowledged. */
  pending: { firstSeq: number; count: number; timestampMs: number; attempts: number } | null
  inFlight: boolean
}

/** The value of record `seq` of a producer of partition `p`. */
export const idempotentValue = (partition: number, producerId: number, seq: number): string => `p${partition}-q${producerId}-s${seq}`

export class IdempotentProducers {
  readonly acked: IdempotentAck[] = []
  readonly errors = new Map<string, number>()
  /** Producers that started afresh after an unclean election lost their state. */
  restarts = 0
  private readonly producers: ProducerState[]

  constructor(
    private readonly sim: SimCluster,
    private readonly topicName: string,
    partitions: number,
    private readonly trace: ((line: () => string) => void) | null,
    private readonly fail: (message: string) => void,
    private readonly uncleanAllowed: boolean,
  ) {
    this.producers = Array.from({ length: partitions }, (_, p) => ({ producerId: 1000 + p, nextSeq: 0, pending: null, inFlight: false }))
  }

  get inFlight(): number {
    return this.producers.filter((s) => s.inFlight).length
  }

  /** Batches sent and not acknowledged yet (in flight or waiting for a retry). */
  get unacknowledged(): number {
    return this.producers.filter((s) => s.pending !== null).length
  }

  /** Retries every unacknowledged batch that is not in flight (the end of a run). */
  retryPending(timeoutMs: number): void {
    for (const [partition, s] of this.producers.entries()) if (s.pending && !s.inFlight) this.produce(partition, 0, timeoutMs)
  }

  /** Sends the pending batch again, or a new one of `records` records. Returns a trace line. */
  produce(partition: number, records: number, timeoutMs: number): string {
    const s = this.producers[partition]!
    if (s.inFlight) return `idempotent p${partition} busy`
    const p = this.sim.image.partition(this.topicName, partition)!
    if (p.leader < 0 || this.sim.condition(p.leader) !== 'up') return `idempotent p${partition}: no reachable leader`
    s.pending ??= { firstSeq: s.nextSeq, count: records, timestampMs: this.sim.sched.nowMs(), attempts: 0 }
    const pending = s.pending
    pending.attempts++
    const batch = encodeRecordBatch({
      records: Array.from({ length: pending.count }, (_, i) => ({ value: idempotentValue(partition, s.producerId, pending.firstSeq + i) })),
      baseTimestamp: pending.timestampMs,
      producerId: s.producerId,
      producerEpoch: 0,
      baseSequence: pending.firstSeq,
    })
    s.inFlight = true
    const leaderId = p.leader
    const producerId = s.producerId
    this.sim.broker(leaderId)!
      .replicas.append(this.topicName, p, batch, -1, timeoutMs)
      .then(
        (result) => {
          s.inFlight = false
          const what = `idempotent p${partition} producer ${producerId} seq ${pending.firstSeq}..${pending.firstSeq + pending.count - 1} attempt ${pending.attempts} to b${leaderId}`
          if (result.errorCode === ErrorCode.NONE) {
            this.acked.push({ partition, producerId, baseOffset: result.baseOffset, firstSeq: pending.firstSeq, count: pending.count, attempts: pending.attempts })
            s.nextSeq += pending.count
            s.pending = null
            this.trace?.(() => `${what}: acked at ${result.baseOffset}`)
            return
          }
          const name = errorName(result.errorCode)
          this.errors.set(name, (this.errors.get(name) ?? 0) + 1)
          this.trace?.(() => `${what}: ${name}`)
          if (result.errorCode === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER || result.errorCode === ErrorCode.INVALID_PRODUCER_EPOCH) {
            if (!this.uncleanAllowed) return this.fail(`${what} was refused with ${name}: ${result.errorMessage}`)
            // State lost to an unclean election: start afresh (the records sent may be lost or kept).
            this.restarts++
            s.producerId += 100
            s.nextSeq = 0
            s.pending = null
          }
        },
        (error: unknown) => {
          s.inFlight = false
          this.fail(`idempotent append threw: ${String(error)}`)
        },
      )
    return `idempotent p${partition} seq ${pending.firstSeq}..${pending.firstSeq + pending.count - 1} to b${leaderId} (attempt ${pending.attempts})`
  }
}
