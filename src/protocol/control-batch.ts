/**
 * Transaction markers as control batches (Kafka's EndTransactionMarker, KIP-98): the COMMIT or
 * ABORT that a partition leader appends for a producer when its transaction ends. A RecordBatch v2
 * with the control and transactional attribute bits, the producer's id and epoch, base sequence
 * -1, never compressed, and one record:
 *
 *   key:   int16 version (0), int16 type (0 ABORT, 1 COMMIT)
 *   value: int16 version (0), int32 coordinator epoch
 *
 * Consumers skip control batches (the attribute bit says so); a read_committed consumer uses the
 * marker to end the producer's aborted range (see the Fetch handler's abortedTransactions).
 */
import { ProtocolError } from './errors.js'
import { NO_PARTITION_LEADER_EPOCH, RECORD_BATCH_OVERHEAD, readBatchHeader } from './batch-layout.js'
import { encodeRecordBatch, parseRecords } from './record-batch.js'

/** The control record types of transaction markers (Kafka's ControlRecordType). */
export const ControlRecordType = { ABORT: 0, COMMIT: 1 } as const

const CONTROL_KEY_VERSION = 0
const MARKER_VALUE_VERSION = 0

export interface ControlBatchInput {
  producerId: number
  producerEpoch: number
  /** COMMIT when true, ABORT when false. */
  committed: boolean
  /** The transaction coordinator's epoch (the leader epoch of its __transaction_state partition). */
  coordinatorEpoch: number
  timestampMs: number
}

/** One marker batch, base offset 0 (the leader stamps it as it appends), with a valid CRC. */
export function encodeControlBatch(input: ControlBatchInput): Buffer {
  const key = Buffer.alloc(4)
  key.writeInt16BE(CONTROL_KEY_VERSION, 0)
  key.writeInt16BE(input.committed ? ControlRecordType.COMMIT : ControlRecordType.ABORT, 2)
  const value = Buffer.alloc(6)
  value.writeInt16BE(MARKER_VALUE_VERSION, 0)
  value.writeInt32BE(input.coordinatorEpoch, 2)
  return encodeRecordBatch({
    records: [{ key, value }],
    partitionLeaderEpoch: NO_PARTITION_LEADER_EPOCH,
    baseTimestamp: input.timestampMs,
    producerId: input.producerId,
    producerEpoch: input.producerEpoch,
    baseSequence: -1,
    transactional: true,
    control: true,
  })
}

/** What a marker batch says, beyond its header (see readControlMarker). */
export interface ControlMarker {
  type: 'commit' | 'abort'
  coordinatorEpoch: number
}

/**
 * The marker of the control batch at `at`: null when the batch is not a control batch, or is one
 * of another kind (KRaft's leader-change and snapshot records have types 2 and up). Throws
 * ProtocolError when a control batch's record is malformed (Kafka's InvalidRecordException).
 */
export function readControlMarker(batch: Buffer, at = 0): ControlMarker | null {
  const header = readBatchHeader(batch, at)
  if (!header.isControl) return null
  if (header.compression !== 0) throw new ProtocolError('INVALID_VALUE', 'a control batch is never compressed')
  let marker: ControlMarker | null = null
  parseRecords(batch, at + RECORD_BATCH_OVERHEAD, at + header.sizeBytes, header.recordsCount, (rec, index) => {
    if (index > 0) return
    if (!rec.key || rec.key.length < 4) throw new ProtocolError('INVALID_VALUE', 'a control record needs a 4-byte key')
    const type = rec.key.readInt16BE(2)
    if (type !== ControlRecordType.ABORT && type !== ControlRecordType.COMMIT) return
    // Kafka reads the coordinator epoch after the version; a short value is malformed.
    if (!rec.value || rec.value.length < 6) throw new ProtocolError('INVALID_VALUE', 'a transaction marker needs a 6-byte value')
    marker = { type: type === ControlRecordType.COMMIT ? 'commit' : 'abort', coordinatorEpoch: rec.value.readInt32BE(2) }
  })
  return marker
}

/** 'commit' or 'abort' for a transaction marker at `at`; null when the batch is not a control batch (or not a marker). */
export function controlTypeOf(batch: Buffer, at = 0): 'commit' | 'abort' | null {
  return readControlMarker(batch, at)?.type ?? null
}
