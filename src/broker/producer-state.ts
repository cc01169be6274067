/**
 * The idempotent producer's state for one partition (Kafka's ProducerStateManager, without
 * transactions): per producer id, its epoch and its last five batches' sequence ranges with their
 * offsets. A retried batch is recognised and answered with its original offsets; a gap in the
 * sequence is OUT_OF_ORDER_SEQUENCE_NUMBER; an older epoch is INVALID_PRODUCER_EPOCH.
 *
 * The leader records a batch when it issues the append (before the write lands), so pipelined
 * requests see each other; the entry holds the append's promise until its offsets are known.
 * Followers record the batches they replicate, so a new leader knows every producer.
 */
import { ErrorCode } from '../protocol/errors.js'
import { readBatchHeader, readBatchHeaders } from '../protocol/records.js'
import type { PartitionLog } from '../storage/types.js'

/** Kafka keeps the last five batches per producer (max.in.flight.requests.per.connection <= 5). */
const BATCHES_KEPT = 5

export interface SequencedBatch {
  firstSeq: number
  lastSeq: number
  /** Resolves with the batch's offsets once appended; rejects if the append failed. */
  offsets: Promise<{ baseOffset: number; lastOffset: number }>
}

interface ProducerEntry {
  epoch: number
  batches: SequencedBatch[]
}

export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; batch: SequencedBatch }
  | { kind: 'error'; errorCode: number; message: string }

/** Sequence numbers wrap at 2^31 - 1, as in Kafka. */
const nextSeq = (seq: number): number => (seq === 2147483647 ? 0 : seq + 1)

export class ProducerStateTable {
  private readonly producers = new Map<number, ProducerEntry>()

  get size(): number {
    return this.producers.size
  }

  check(producerId: number, epoch: number, firstSeq: number, lastSeq: number): SequenceCheck {
    const entry = this.producers.get(producerId)
    // Unknown producer (new, or its state is gone): any sequence is accepted, as Kafka does.
    if (!entry) return { kind: 'append' }
    if (epoch < entry.epoch) {
      return { kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, message: `producer ${producerId} epoch ${epoch} is older than ${entry.epoch}` }
    }
    if (epoch > entry.epoch) {
      if (firstSeq !== 0) {
        return { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `a new epoch of producer ${producerId} must start at sequence 0, not ${firstSeq}` }
      }
      return { kind: 'append' }
    }
    const duplicate = entry.batches.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq)
    if (duplicate) return { kind: 'duplicate', batch: duplicate }
    const last = entry.batches[entry.batches.length - 1]
    if (last && firstSeq !== nextSeq(last.lastSeq)) {
      return {
        kind: 'error',
        errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        message: `producer ${producerId} sent sequence ${firstSeq}, expected ${nextSeq(last.lastSeq)}`,
      }
    }
    return { kind: 'append' }
  }

  record(producerId: number, epoch: number, batch: SequencedBatch): void {
    let entry = this.producers.get(producerId)
    if (!entry || epoch > entry.epoch) {
      entry = { epoch, batches: [] }
      this.producers.set(producerId, entry)
    }
    entry.batches.push(batch)
    if (entry.batches.length > BATCHES_KEPT) entry.batches.shift()
    // A failed append is forgotten, so the producer's retry is not taken for a duplicate.
    batch.offsets.catch(() => {
      const e = this.producers.get(producerId)
      if (e) e.batches = e.batches.filter((b) => b !== batch)
    })
  }

  /** Records the idempotent batches of stored record batches (replication, or a rebuild). */
  recordStored(records: Buffer): void {
    for (const h of readBatchHeaders(records)) {
      if (h.producerId < 0 || h.baseSequence < 0) continue
      const offsets = Promise.resolve({ baseOffset: h.baseOffset, lastOffset: h.lastOffset })
      this.record(h.producerId, h.producerEpoch, { firstSeq: h.baseSequence, lastSeq: h.baseSequence + h.lastOffsetDelta, offsets })
    }
  }

  clear(): void {
    this.producers.clear()
  }

  /** Takes `other`'s producers in one step (a rebuild is built aside, then swapped in). */
  replaceWith(other: ProducerStateTable): void {
    this.producers.clear()
    for (const [id, entry] of other.producers) this.producers.set(id, entry)
  }
}

/** How far back (in offsets) a replica looks to rebuild its producers' sequences when it opens a log. */
const PRODUCER_STATE_REBUILD_OFFSETS = 100_000
const PRODUCER_STATE_REBUILD_BYTES = 32 * 1024 * 1024

/**
 * Rebuilds the idempotent producers' state from the tail of a log: retries come within seconds,
 * so the recent batches are what matters (older producers are unknown and start afresh).
 */
export async function rebuildProducerState(log: PartitionLog, table: ProducerStateTable): Promise<void> {
  // Built aside and swapped in at the end: the table is never seen half rebuilt.
  const rebuilt = new ProducerStateTable()
  const from = Math.max(log.logStartOffset, log.logEndOffset - PRODUCER_STATE_REBUILD_OFFSETS)
  let offset = from
  while (offset < log.logEndOffset) {
    const batches = await log.read(offset, PRODUCER_STATE_REBUILD_BYTES, log.logEndOffset)
    if (batches.length === 0) break
    for (const b of batches) rebuilt.recordStored(b)
    const last = readBatchHeader(batches[batches.length - 1]!, 0)
    if (last.lastOffset + 1 <= offset) break
    offset = last.lastOffset + 1
  }
  table.replaceWith(rebuilt)
}
