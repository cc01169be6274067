/**
 * Kafka's log cleaner (cleanup.policy=compact), with a stored batch in the role of a segment:
 *  - the cleanable range is every batch entirely below the high watermark except the last stored
 *    batch (Kafka never cleans the active segment);
 *  - pass 1 maps each key to the offset of its last record in that range;
 *  - pass 2 keeps a record only if it is the last of its key; a kept tombstone (null value) goes
 *    too once its timestamp is more than delete.retention.ms old (Kafka uses the segment's time or,
 *    since KIP-534, a delete horizon in the batch; the record's timestamp plays that role here).
 * A batch is rewritten keeping its base offset, lastOffsetDelta (as Kafka does, so the producer's
 * sequence bookkeeping and the next offset stay), maxTimestamp, producer fields, leader epoch and
 * every kept record's offsetDelta and timestampDelta: offsets never change, gaps appear. A batch with
 * no record left is removed. Control and transactional batches, records with null keys, and batches
 * compressed with a codec other than none/gzip (snappy, lz4, zstd cannot be rebuilt here), and
 * batches whose records do not parse are kept untouched. Transactions are therefore never cleaned:
 * Kafka's cleaner removes the records of aborted transactions and, after delete.retention.ms, the
 * markers left with nothing to mark; sluice keeps them (and keeps committed transactional records
 * whatever later records of their key say), so a compacted topic keeps every transaction as written
 * and read_committed consumers still get its aborted ranges. Deterministic: replicas holding the
 * same batches below the same HWM produce the same bytes.
 */
import { decodeRecordBatch, encodeRecordBatch, type DecodedRecord } from '../protocol/record-batch.js'
import { Compression, readBatchHeader, type BatchHeader } from '../protocol/batch-layout.js'

/** Bound on the batches one run reads (decoded in memory); the broker's timer comes back. */
export const COMPACTION_BATCHES_MAX = 100_000

export interface CompactionOptions {
  nowMs: number
  /** delete.retention.ms: how long a tombstone stays readable once it is the last of its key. */
  deleteRetentionMs: number
}

export interface CompactionResult {
  /** Batches rewritten with fewer records. */
  batchesRewritten: number
  /** Batches that lost every record and were removed. */
  batchesRemoved: number
  recordsRemoved: number
  /** Tombstones kept because they are younger than delete.retention.ms (a later run removes them). */
  tombstonesKept: number
}

/** What to do with one batch of the cleanable range: keep (absent), replace with bytes, or remove (null). */
export type CompactionPlan = Map<number, Buffer | null>

interface Decoded {
  header: BatchHeader
  records: DecodedRecord[]
}

function cleanable(header: BatchHeader): boolean {
  if (header.isControl || header.isTransactional) return false
  return header.compression === Compression.NONE || header.compression === Compression.GZIP
}

/** Plans the cleaning of `batches` (the cleanable range, oldest first; index = position). */
export function planCompaction(batches: Buffer[], opts: CompactionOptions): { plan: CompactionPlan; result: CompactionResult } {
  const decoded: (Decoded | null)[] = batches.map((bytes) => {
    try {
      if (!cleanable(readBatchHeader(bytes, 0))) return null
      return decodeRecordBatch(bytes, 0, { verifyCrc: false })
    } catch {
      return null // records the broker could not parse stay as they are, never lost to the cleaner
    }
  })
  const lastOffsetOfKey = new Map<string, number>()
  for (const batch of decoded) {
    if (!batch) continue
    for (const rec of batch.records) if (rec.key !== null) lastOffsetOfKey.set(rec.key.toString('latin1'), rec.offset)
  }
  const plan: CompactionPlan = new Map()
  const result: CompactionResult = { batchesRewritten: 0, batchesRemoved: 0, recordsRemoved: 0, tombstonesKept: 0 }
  decoded.forEach((batch, pos) => {
    if (!batch) return
    const kept = batch.records.filter((rec) => {
      if (rec.key === null) return true
      if (lastOffsetOfKey.get(rec.key.toString('latin1')) !== rec.offset) return false
      if (rec.value !== null) return true
      if (opts.nowMs - rec.timestamp > opts.deleteRetentionMs) return false
      result.tombstonesKept++
      return true
    })
    if (kept.length === batch.records.length) return
    result.recordsRemoved += batch.records.length - kept.length
    if (kept.length === 0) {
      plan.set(pos, null)
      result.batchesRemoved++
      return
    }
    plan.set(pos, rebuild(batch.header, kept))
    result.batchesRewritten++
  })
  return { plan, result }
}

function rebuild(h: BatchHeader, records: DecodedRecord[]): Buffer {
  return encodeRecordBatch({
    records: records.map((r) => ({
      key: r.key,
      value: r.value,
      headers: r.headers,
      timestampDelta: r.timestampDelta,
      offsetDelta: r.offsetDelta,
      attributes: r.attributes,
    })),
    baseOffset: h.baseOffset,
    partitionLeaderEpoch: h.partitionLeaderEpoch,
    baseTimestamp: h.baseTimestamp,
    maxTimestamp: h.maxTimestamp,
    lastOffsetDelta: h.lastOffsetDelta,
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
    compression: h.compression,
    timestampType: h.timestampType,
  })
}
