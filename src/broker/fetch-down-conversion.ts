/**
 * A Fetch answer made fit for old versions, as Kafka 3.9's KafkaApis (maybeConvertFetchedData,
 * maybeDownConvertStorageError) does it, after the handler has read the stored batches:
 * - v0-5: KAFKA_STORAGE_ERROR becomes NOT_LEADER_OR_FOLLOWER (clients before v6 do not know the
 *   code and would give up; this one makes them refresh metadata and retry).
 * - v0-3: the records are converted down to the message format the version reads: magic 0 for
 *   v0-1, magic 1 for v2-3 (message-format-conversion.ts). Control batches are dropped; the
 *   records of aborted transactions are kept, as these versions read uncommitted. Like Kafka's
 *   lazy down-conversion, a partition answers at most max(the stored bytes' size, the first
 *   converted batch's size), so the first batch always goes whole and the limits of the request
 *   hold otherwise; Kafka cuts the last message and pads with an overflow message, which clients
 *   skip, where this cuts at the last whole message. A zstd batch (no old format has zstd): the
 *   partition's UNSUPPORTED_COMPRESSION_TYPE when it comes first, else the answer stops before it.
 */
import { ErrorCode, ProtocolError } from '../protocol/errors.js'
import { readBatchHeaders } from '../protocol/batch-layout.js'
import { codecNeedsLoading, compressionLoaded, loadCompression } from '../protocol/compression.js'
import { downConvertBatch } from '../protocol/message-format-conversion.js'
import { MAGIC_V0, MAGIC_V1, readMessageSet } from '../protocol/message-set.js'
import type { FetchRequest, FetchResponseInput } from '../protocol/messages/01-fetch.js'

type PartitionData = FetchResponseInput['responses'][number]['partitions'][number]

/** The newest Fetch version that reads RecordBatch v2; older ones get message sets. */
const LAST_VERSION_BEFORE_V2_FORMAT = 3
/** The newest Fetch version whose clients do not know KAFKA_STORAGE_ERROR. */
const LAST_VERSION_BEFORE_STORAGE_ERROR = 5

/** Every batch of a partition's records, each as its own Buffer, with its codec. */
function batchesOf(records: PartitionData['records']): { bytes: Buffer; compression: number }[] {
  if (records === null || records === undefined) return []
  const out: { bytes: Buffer; compression: number }[] = []
  for (const buf of Buffer.isBuffer(records) ? [records] : records) {
    for (const h of readBatchHeaders(buf)) out.push({ bytes: buf.subarray(h.start, h.start + h.sizeBytes), compression: h.compression })
  }
  return out
}

/** The longest run of whole entries of `set` within `maxBytes`. */
function wholeEntriesWithin(set: Buffer, maxBytes: number): Buffer {
  let size = 0
  for (const m of readMessageSet(set)) {
    if (size + m.sizeBytes > maxBytes) break
    size += m.sizeBytes
  }
  return set.subarray(0, size)
}

async function downConvertPartition(out: PartitionData, toMagic: number, fetchOffset: number): Promise<void> {
  const batches = batchesOf(out.records)
  if (batches.length === 0) return
  if (!compressionLoaded() && batches.some((b) => codecNeedsLoading(b.compression))) await loadCompression()
  let storedBytes = 0
  for (const b of batches) storedBytes += b.bytes.length
  const converted: Buffer[] = []
  let limit = storedBytes
  let size = 0
  for (const batch of batches) {
    let set: Buffer
    try {
      set = downConvertBatch(batch.bytes, toMagic, fetchOffset)
    } catch (error) {
      if (!(error instanceof ProtocolError) || error.code !== 'UNSUPPORTED_COMPRESSION') throw error
      if (converted.length === 0) {
        out.errorCode = ErrorCode.UNSUPPORTED_COMPRESSION_TYPE
        out.records = []
        return
      }
      break
    }
    if (set.length === 0) continue
    if (converted.length === 0) limit = Math.max(limit, set.length)
    const fits = wholeEntriesWithin(set, limit - size)
    if (fits.length > 0) converted.push(fits)
    size += fits.length
    if (fits.length < set.length) break
  }
  out.records = converted.length === 0 ? [] : [Buffer.concat(converted)]
}

/** Adapts the partitions of a Fetch answer of `version` (no-op from v6 on); see the header. */
export async function adaptFetchForVersion(version: number, req: FetchRequest, responses: FetchResponseInput['responses']): Promise<void> {
  if (version > LAST_VERSION_BEFORE_STORAGE_ERROR) return
  const fetchOffsets = new Map<string, number>()
  for (const t of req.topics) for (const p of t.partitions) fetchOffsets.set(`${t.topic}\0${p.partition}`, p.fetchOffset)
  for (const t of responses) {
    for (const out of t.partitions) {
      if (out.errorCode === ErrorCode.KAFKA_STORAGE_ERROR) out.errorCode = ErrorCode.NOT_LEADER_OR_FOLLOWER
      if (version > LAST_VERSION_BEFORE_V2_FORMAT || out.errorCode !== ErrorCode.NONE) continue
      const toMagic = version <= 1 ? MAGIC_V0 : MAGIC_V1
      await downConvertPartition(out, toMagic, fetchOffsets.get(`${t.topic}\0${out.partitionIndex}`) ?? 0)
    }
  }
}
