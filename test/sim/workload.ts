/**
 * The producing workload: small numbered record batches sent as Produce requests through the
 * simulated network to the current leader's real Produce handler, with acks=all mostly and acks=1
 * at times, several in flight at once. It records which batches were acknowledged, with the bytes the
 * leader stamped (base offset and leader epoch), so the invariants can look for them byte for byte.
 *
 * A client reaches the broker the metadata names as leader; a crashed or hung broker cannot be
 * reached, so nothing is sent to it.
 */
import { encodeRecordBatch } from '../../src/protocol/record-batch.js'
import { ErrorCode, errorName } from '../../src/protocol/errors.js'
import type { ProduceRequest, ProduceResponse } from '../../src/protocol/messages/00-produce.js'
import type { SimNode } from './sim-node.js'

/** The Produce version the simulated clients speak (acks, per-partition errors, no transactions). */
export const PRODUCE = { apiKey: 0, version: 8, clientId: 'sim-producer' }

export interface AckedBatch {
  partition: number
  baseOffset: number
  lastOffset: number
  /** The batch as the leader stored it (offsets and epoch stamped). */
  bytes: Buffer
  leaderId: number
  leaderEpoch: number
  step: number
  atMs: number
  /** Per broker, the stored buffer already found equal (skips comparing the same bytes again). */
  verified: Map<number, Buffer>
}

export class Workload {
  /** acks=all batches acknowledged, per partition, in ack order. */
  readonly acked: AckedBatch[][]
  /** acks=1 batches acknowledged (no durability promise: counted, not checked). */
  readonly ackedOne: AckedBatch[][]
  readonly errors = new Map<string, number>()
  /** Values refused with NOT_ENOUGH_REPLICAS, per partition: refused before appending, they must never be in a log. */
  readonly refused: Set<string>[]
  inFlight = 0
  sent = 0
  private seq = 0

  constructor(
    private readonly sim: SimNode,
    private readonly topicName: string,
    partitions: number,
    private readonly trace: ((line: () => string) => void) | null,
    /** Called when an acks=all batch is acknowledged, before it joins `acked`. */
    private readonly onAck: (batch: AckedBatch) => void,
    /** The client's request.timeout.ms beyond the produce timeout: then it gives up on the request. */
    private readonly requestTimeoutMs: number,
  ) {
    this.acked = Array.from({ length: partitions }, () => [])
    this.ackedOne = Array.from({ length: partitions }, () => [])
    this.refused = Array.from({ length: partitions }, () => new Set())
  }

  /** Sends one batch of `records` numbered records; returns what happened at once, for the trace. */
  produce(partition: number, acks: -1 | 1, records: number, timeoutMs: number, step: number): string {
    const p = this.sim.image.partition(this.topicName, partition)
    if (!p) throw new Error(`no partition ${partition}`)
    if (p.leader < 0) return this.count(`p${partition} offline`)
    const leader = this.sim.broker(p.leader)
    if (!leader || this.sim.condition(p.leader) !== 'up') return this.count(`p${partition} leader ${p.leader} unreachable`)
    const first = this.seq
    this.seq += records
    const values = Array.from({ length: records }, (_, i) => ({ value: `p${partition}-r${first + i}` }))
    const batch = encodeRecordBatch({ records: values, baseTimestamp: this.sim.sched.nowMs() })
    this.sent++
    this.inFlight++
    const sentEpoch = p.leaderEpoch
    const request = { transactionalId: null, acks, timeoutMs, topicData: [{ name: this.topicName, partitionData: [{ index: partition, records: batch }] }] }
    // The batch as the leader's handler got it: it stamps the base offset and leader epoch there.
    let stamped = batch
    const onDecoded = (decoded: Record<string, unknown>): void => {
      stamped = (decoded as unknown as ProduceRequest).topicData[0]!.partitionData[0]!.records!
    }
    this.sim.net
      .request<ProduceResponse>(leader.id, PRODUCE, request, timeoutMs + this.requestTimeoutMs, onDecoded)
      .then((response) => response.responses[0]!.partitionResponses[0]!)
      .then(
      (result) => {
        this.inFlight--
        if (result.errorCode !== ErrorCode.NONE) {
          this.count(errorName(result.errorCode))
          if (result.errorCode === ErrorCode.NOT_ENOUGH_REPLICAS) for (const v of values) this.refused[partition]!.add(v.value)
          this.trace?.(() => `ack p${partition} r${first}.. acks=${acks}: ${errorName(result.errorCode)}`)
          return
        }
        const acked: AckedBatch = {
          partition,
          baseOffset: result.baseOffset,
          lastOffset: result.baseOffset + records - 1,
          bytes: Buffer.from(stamped),
          leaderId: leader.id,
          leaderEpoch: stamped.readInt32BE(12),
          step,
          atMs: this.sim.sched.nowMs(),
          verified: new Map(),
        }
        this.trace?.(() => `ack p${partition} r${first}.. acks=${acks} at ${acked.baseOffset}..${acked.lastOffset} by b${leader.id} epoch ${acked.leaderEpoch} (sent at epoch ${sentEpoch})`)
        if (acks === -1) {
          this.onAck(acked)
          this.acked[partition]!.push(acked)
        } else {
          this.ackedOne[partition]!.push(acked)
        }
      },
      (error: unknown) => {
        // A reset connection or a client timeout: the batch's fate is unknown (not acknowledged).
        this.inFlight--
        this.count('lost')
        this.trace?.(() => `ack p${partition} r${first}.. acks=${acks}: lost (${String(error)})`)
      },
    )
    return `produce p${partition} r${first}..r${first + records - 1} acks=${acks} to b${p.leader} (epoch ${p.leaderEpoch})`
  }

  private count(what: string): string {
    this.errors.set(what.replace(/\d+/g, 'N'), (this.errors.get(what.replace(/\d+/g, 'N')) ?? 0) + 1)
    return what
  }
}
