/**
 * The consuming workload: one reader per partition, sending Fetch requests through the simulated
 * network to the leader's real Fetch handler (long polls included), as a consumer does: from its
 * position, with the leader epoch its metadata names. What a leader serves a consumer is exposed
 * data, so each batch read must lie below the high watermark of the answer, start where asked,
 * and (when the leader still leads that epoch) join the committed batches the invariants check
 * after every step: it must stay, byte for byte, on the elected leader and every ISR member.
 */
import type { FetchResponse } from '../../src/protocol/messages/01-fetch.js'
import { ErrorCode, errorName } from '../../src/protocol/errors.js'
import { readBatchHeaders } from '../../src/protocol/batch-layout.js'
import type { Input } from '../../src/protocol/schema.js'
import type { FetchRequest } from '../../src/protocol/messages/01-fetch.js'
import type { SimNode } from './sim-node.js'
import type { Invariants } from './invariants.js'
import type { Deletions } from './deletions.js'

const FETCH = { apiKey: 1, version: 12, clientId: 'sim-consumer' }
const PARTITION_MAX_BYTES = 1 << 20

interface Reader {
  position: number
  inFlight: boolean
}

export class Consumers {
  readonly errors = new Map<string, number>()
  /** Batches read, over all partitions. */
  batchesRead = 0
  private readonly readers: Reader[]

  constructor(
    private readonly sim: SimNode,
    private readonly topicName: string,
    partitions: number,
    private readonly invariants: Invariants,
    private readonly trace: ((line: () => string) => void) | null,
    private readonly fail: (message: string) => void,
    private readonly uncleanAllowed: boolean,
    private readonly requestTimeoutMs: number,
    private readonly deletions: Deletions,
  ) {
    this.readers = Array.from({ length: partitions }, () => ({ position: 0, inFlight: false }))
  }

  /** Sends one Fetch for `partition` from its position (nothing when one is in flight or no leader is reachable). */
  fetch(partition: number, maxWaitMs: number): string | null {
    const reader = this.readers[partition]!
    const p = this.sim.image.partition(this.topicName, partition)
    if (reader.inFlight || !p || p.leader < 0 || this.sim.condition(p.leader) !== 'up') return null
    reader.inFlight = true
    const epoch = p.leaderEpoch
    const leaderId = p.leader
    const fetchOffset = reader.position
    // Records below an acknowledged deletion are gone for every reader from then on.
    const deletedBefore = this.deletions.acked[partition]!
    const request: Input<typeof FetchRequest> = {
      replicaId: -1,
      maxWaitMs,
      minBytes: 1,
      maxBytes: PARTITION_MAX_BYTES,
      isolationLevel: 0,
      topics: [{ topic: this.topicName, partitions: [{ partition, currentLeaderEpoch: epoch, fetchOffset, partitionMaxBytes: PARTITION_MAX_BYTES }] }],
    }
    const what = `consume p${partition} from ${fetchOffset} at b${leaderId} (epoch ${epoch})`
    this.sim.net.request<FetchResponse>(leaderId, FETCH, request, maxWaitMs + this.requestTimeoutMs).then(
      (response) => {
        reader.inFlight = false
        const data = response.responses[0]?.partitions[0]
        if (!data) return this.fail(`${what}: the response names no partition`)
        this.answered(partition, reader, what, fetchOffset, leaderId, epoch, deletedBefore, data)
      },
      (error: unknown) => {
        reader.inFlight = false
        this.count('lost')
        this.trace?.(() => `${what}: lost (${String(error)})`)
      },
    )
    return what
  }

  private answered(
    partition: number,
    reader: Reader,
    what: string,
    fetchOffset: number,
    leaderId: number,
    epoch: number,
    deletedBefore: number,
    data: FetchResponse['responses'][number]['partitions'][number],
  ): void {
    if (data.errorCode !== ErrorCode.NONE) {
      this.count(errorName(data.errorCode))
      this.trace?.(() => `${what}: ${errorName(data.errorCode)}`)
      if (data.errorCode !== ErrorCode.OFFSET_OUT_OF_RANGE) return
      // Below the log start (records deleted): on from the start, as auto.offset.reset=earliest.
      if (fetchOffset < data.logStartOffset) {
        reader.position = data.logStartOffset
        return
      }
      // Only an unclean election can take away offsets a consumer already read past.
      if (!this.uncleanAllowed) return this.fail(`${what}: OFFSET_OUT_OF_RANGE at or above the log start ${data.logStartOffset} with no unclean election allowed`)
      reader.position = 0
      return
    }
    if (fetchOffset < data.logStartOffset) return this.fail(`${what}: answered with records below the log start ${data.logStartOffset}`)
    if (fetchOffset < deletedBefore && !this.uncleanAllowed) return this.fail(`${what}: answered with records below ${deletedBefore}, deleted before the fetch was sent`)
    const records = data.records ?? Buffer.alloc(0)
    const headers = readBatchHeaders(records)
    this.trace?.(() => `${what}: ${headers.length} batches, HWM ${data.highWatermark}`)
    if (headers.length === 0) return
    const first = headers[0]!
    if (first.baseOffset > fetchOffset || first.baseOffset + first.lastOffsetDelta < fetchOffset) {
      return this.fail(`${what}: the first batch ${first.baseOffset}..${first.baseOffset + first.lastOffsetDelta} does not hold offset ${fetchOffset}`)
    }
    // The answer came from the leader of `epoch` (it refuses other epochs); if that is still the
    // metadata's epoch, what it served is committed data.
    const stillLeads = this.sim.image.partition(this.topicName, partition)?.leaderEpoch === epoch
    for (const h of headers) {
      const lastOffset = h.baseOffset + h.lastOffsetDelta
      if (lastOffset >= data.highWatermark) {
        return this.fail(`${what}: batch ${h.baseOffset}..${lastOffset} served at or above the high watermark ${data.highWatermark}`)
      }
      this.batchesRead++
      if (stillLeads) this.invariants.consumed(partition, h.baseOffset, lastOffset, records.subarray(h.start, h.start + h.sizeBytes), leaderId, epoch)
      reader.position = lastOffset + 1
    }
  }

  private count(what: string): void {
    this.errors.set(what, (this.errors.get(what) ?? 0) + 1)
  }
}
