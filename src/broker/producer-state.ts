/**
 * The idempotent producer's state for one partition (Kafka's ProducerStateManager, without
 * transactions): per producer id, its epoch and its last five batches' sequence ranges with their
 * offsets. A retried batch is recognised and answered with its original offsets; a gap in the
 * sequence is OUT_OF_ORDER_SEQUENCE_NUMBER; an older epoch is INVALID_PRODUCER_EPOCH.
 *
 * The leader records a batch when it issues the append (before the write lands), so pipelined
 * requests see each other; the entry holds the append's promise until its offsets are known.
 * Followers record the batches they replicate, so a new leader knows every producer.
 *
 * The state outlives the log tail, as Kafka's does: snapshots (the producers of every batch below
 * the high watermark) are written to the broker's store every few seconds, and a log that opens or
 * truncates loads the latest snapshot it can and replays the log from there. A producer is
 * forgotten `producer.id.expiration.ms` after its last batch. Rebuilt from the last stretch of log
 * only, a broker that restarted forgot producers that had not written for a while, and took their
 * retried batch for a new one: the batch was stored twice.
 */
import { ErrorCode } from '../protocol/errors.js'
import { readBatchHeaders, type BatchHeader } from '../protocol/batch-layout.js'
import type { MetaStore, PartitionLog } from '../storage/types.js'

/** Kafka keeps the last five batches per producer (max.in.flight.requests.per.connection <= 5). */
const BATCHES_KEPT = 5

export interface SequencedBatch {
  firstSeq: number
  lastSeq: number
  /** The batch's max timestamp (producer expiration counts from the last batch's). */
  maxTimestamp: number
  /** Resolves with the batch's offsets once appended; rejects if the append failed. */
  offsets: Promise<{ baseOffset: number; lastOffset: number }>
  /** The offsets once known (a stored batch, or an append that landed). */
  stored: { baseOffset: number; lastOffset: number } | null
}

interface ProducerEntry {
  epoch: number
  batches: SequencedBatch[]
}

export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; batch: SequencedBatch }
  | { kind: 'error'; errorCode: number; message: string }

/** What a snapshot holds of a batch: firstSeq, lastSeq, baseOffset, lastOffset, maxTimestamp. */
type SnapshotBatch = [number, number, number, number, number]

/** The producers of every batch below `offset`, as persisted. */
export interface ProducerSnapshot {
  offset: number
  producers: [producerId: number, epoch: number, batches: SnapshotBatch[]][]
}

/** Sequence numbers wrap at 2^31 - 1, as in Kafka. */
const nextSeq = (seq: number): number => (seq === 2147483647 ? 0 : seq + 1)

export class ProducerStateTable {
  private readonly producers = new Map<number, ProducerEntry>()
  /** Batches recorded since the last snapshot was taken. */
  private changed = false

  get size(): number {
    return this.producers.size
  }

  get changedSinceSnapshot(): boolean {
    return this.changed
  }

  check(producerId: number, epoch: number, firstSeq: number, lastSeq: number): SequenceCheck {
    const entry = this.producers.get(producerId)
    // Unknown producer (new, or its state expired): any sequence is accepted, as Kafka does.
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
    this.changed = true
    if (batch.stored) return
    batch.offsets.then(
      (offsets) => (batch.stored = offsets),
      // A failed append is forgotten, so the producer's retry is not taken for a duplicate.
      () => {
        const e = this.producers.get(producerId)
        if (e) e.batches = e.batches.filter((b) => b !== batch)
      },
    )
  }

  /** Records the idempotent batches among stored batches' headers (replication, or a rebuild). */
  recordStored(batches: readonly BatchHeader[]): void {
    for (const h of batches) {
      if (h.producerId < 0 || h.baseSequence < 0) continue
      const stored = { baseOffset: h.baseOffset, lastOffset: h.lastOffset }
      this.record(h.producerId, h.producerEpoch, {
        firstSeq: h.baseSequence,
        lastSeq: h.baseSequence + h.lastOffsetDelta,
        maxTimestamp: h.maxTimestamp,
        offsets: Promise.resolve(stored),
        stored,
      })
    }
  }

  /**
   * The producers of every stored batch below `offset` (the high watermark: what no truncation
   * takes back), less those whose last batch is older than `expirationMs` at `nowMs`, which are
   * forgotten here too. Marks the table as snapshotted.
   */
  snapshot(offset: number, nowMs: number, expirationMs: number): ProducerSnapshot {
    const producers: ProducerSnapshot['producers'] = []
    for (const [producerId, entry] of this.producers) {
      const last = entry.batches[entry.batches.length - 1]
      if (last && last.stored && nowMs - last.maxTimestamp > expirationMs) {
        this.producers.delete(producerId)
        continue
      }
      const batches: SnapshotBatch[] = []
      for (const b of entry.batches) {
        if (b.stored && b.stored.lastOffset < offset) batches.push([b.firstSeq, b.lastSeq, b.stored.baseOffset, b.stored.lastOffset, b.maxTimestamp])
      }
      if (batches.length > 0) producers.push([producerId, entry.epoch, batches])
    }
    this.changed = false
    return { offset, producers }
  }

  /** Takes `other`'s producers in one step (a rebuild is built aside, then swapped in). */
  replaceWith(other: ProducerStateTable): void {
    this.producers.clear()
    for (const [id, entry] of other.producers) this.producers.set(id, entry)
    this.changed = true
  }

  static fromSnapshot(snapshot: ProducerSnapshot): ProducerStateTable {
    const table = new ProducerStateTable()
    for (const [producerId, epoch, batches] of snapshot.producers) {
      table.producers.set(producerId, {
        epoch,
        batches: batches.map(([firstSeq, lastSeq, baseOffset, lastOffset, maxTimestamp]) => {
          const stored = { baseOffset, lastOffset }
          return { firstSeq, lastSeq, maxTimestamp, offsets: Promise.resolve(stored), stored }
        }),
      })
    }
    return table
  }
}

/** Without a usable snapshot, how far back (in offsets and bytes) a replica reads the log. */
const PRODUCER_STATE_REBUILD_OFFSETS = 100_000
const PRODUCER_STATE_REBUILD_BYTES = 32 * 1024 * 1024

/**
 * Rebuilds the idempotent producers' state of a log: from `snapshot` when it is within the log
 * (and replays the log from its offset), else from the log's last stretch. Built aside and
 * swapped in at the end, so the table is never seen half rebuilt.
 */
export async function rebuildProducerState(log: PartitionLog, table: ProducerStateTable, snapshot: ProducerSnapshot | null): Promise<void> {
  const usable = snapshot !== null && snapshot.offset >= log.logStartOffset && snapshot.offset <= log.logEndOffset
  const rebuilt = usable ? ProducerStateTable.fromSnapshot(snapshot) : new ProducerStateTable()
  let offset = usable ? snapshot.offset : Math.max(log.logStartOffset, log.logEndOffset - PRODUCER_STATE_REBUILD_OFFSETS)
  while (offset < log.logEndOffset) {
    const batches = await log.read(offset, PRODUCER_STATE_REBUILD_BYTES, log.logEndOffset)
    if (batches.length === 0) break
    // The first batch holds `offset` (it may start before it): it ends past the snapshot's
    // offset, so the snapshot does not have it.
    let last: BatchHeader | undefined
    for (const b of batches) {
      const headers = readBatchHeaders(b)
      rebuilt.recordStored(headers)
      last = headers[headers.length - 1] ?? last
    }
    if (last === undefined) break
    if (last.lastOffset + 1 <= offset) break
    offset = last.lastOffset + 1
  }
  table.replaceWith(rebuilt)
}

/** Where a partition's producer snapshot lives in its broker's meta store. */
const snapshotKey = (topicId: string, partition: number): string => `producers|${topicId}|${partition}`

export async function loadProducerSnapshot(meta: MetaStore, topicId: string, partition: number): Promise<ProducerSnapshot | null> {
  const bytes = await meta.get(snapshotKey(topicId, partition))
  if (!bytes) return null
  try {
    return JSON.parse(bytes.toString('utf8')) as ProducerSnapshot
  } catch {
    // A snapshot that does not parse is no snapshot: the log tail is read instead.
    return null
  }
}

export function saveProducerSnapshot(meta: MetaStore, topicId: string, partition: number, snapshot: ProducerSnapshot): Promise<void> {
  return meta.put(snapshotKey(topicId, partition), Buffer.from(JSON.stringify(snapshot)))
}

export function deleteProducerSnapshot(meta: MetaStore, topicId: string, partition: number): Promise<void> {
  return meta.del(snapshotKey(topicId, partition))
}
