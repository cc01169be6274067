/**
 * LevelDB key layout and value codecs of a broker's store. Keys sort by bytes, so offsets are
 * fixed-width big-endian and every keyspace is one contiguous range per partition:
 *
 *   'd' topicId 0x00 partition:u32 baseOffset:u64   -> the batch bytes of a small batch (RecordBatch v2)
 *   'i' topicId 0x00 partition:u32 baseOffset:u64   -> index entry of one recent batch (24 bytes)
 *   'x' topicId 0x00 partition:u32 firstBase:u64    -> a sealed chunk of index entries (32 bytes each)
 *   's' topicId 0x00 partition:u32                  -> partition state (JSON: log start, LEO, HWM, epochs)
 *   'g' topicId 0x00 partition:u32                  -> (empty) a deleted partition whose batches and keys are being cleared
 *   'm' key (UTF-8)                                 -> meta store entries
 *   'n'                                             -> the batch store's next sequence (u64)
 *   'r'                                             -> batch store keys a main write stopped naming, until deleted (8 bytes each)
 *
 * Large batches live in the broker's second LevelDB, the batch store (`batches/` in the broker
 * directory), under an 8-byte sequence number that only grows (`batchStoreKey`); their index
 * entries carry it as their location (0: the batch is under its 'd' key here).
 *
 * Offsets are below 2^53, so the first byte of every offset is 0x00 and `prefix + 0xff` bounds a
 * partition's range. A topic id is any string without NUL (sluice uses Kafka's base64 UUIDs).
 */
import type { PartitionState } from './backend.js'
import type { BatchIndex } from './batch-index.js'
import { assert, StorageError } from './errors.js'

export const KEYSPACE_DATA = 0x64 // 'd'
export const KEYSPACE_INDEX = 0x69 // 'i'
export const KEYSPACE_CHUNK = 0x78 // 'x'
export const KEYSPACE_STATE = 0x73 // 's'
export const KEYSPACE_META = 0x6d // 'm'
export const KEYSPACE_DELETING = 0x67 // 'g'
/** The single key holding the batch store's next sequence: every sequence below it was written. */
export const NEXT_SEQUENCE_KEY = Buffer.from('n')
/**
 * The single key listing the batch store keys the last main write that stopped naming batches
 * left to delete (their 8-byte keys, concatenated): written in that main write, removed in a later
 * one, so a crash before the deletes were done leaves the list, and the next open deletes them.
 */
export const REMOVALS_KEY = Buffer.from('r')

const TWO_POW_32 = 2 ** 32

export function assertPartitionId(topicId: string, partition: number): void {
  assert(topicId.length > 0 && !topicId.includes('\u0000'), `invalid topic id ${JSON.stringify(topicId)}`)
  assert(Number.isInteger(partition) && partition >= 0 && partition <= 0x7fffffff, `invalid partition ${partition}`)
}

export class PartitionKeys {
  /** topicId 0x00 partition:u32, without the keyspace byte. */
  private readonly id: Buffer

  constructor(topicId: string, partition: number) {
    assertPartitionId(topicId, partition)
    const topic = Buffer.from(topicId, 'utf8')
    this.id = Buffer.alloc(topic.length + 5)
    topic.copy(this.id)
    this.id.writeUInt32BE(partition, topic.length + 1)
  }

  data(baseOffset: number): Buffer {
    return this.offsetKey(KEYSPACE_DATA, baseOffset)
  }
  index(baseOffset: number): Buffer {
    return this.offsetKey(KEYSPACE_INDEX, baseOffset)
  }
  chunk(firstBase: number): Buffer {
    return this.offsetKey(KEYSPACE_CHUNK, firstBase)
  }
  state(): Buffer {
    return this.partitionKey(KEYSPACE_STATE)
  }
  /** The mark of a deletion under way (see LevelPartitionBackend.destroy). */
  deleting(): Buffer {
    return this.partitionKey(KEYSPACE_DELETING)
  }

  private partitionKey(keyspace: number): Buffer {
    const key = Buffer.allocUnsafe(1 + this.id.length)
    key[0] = keyspace
    this.id.copy(key, 1)
    return key
  }

  /** Every key of this partition in one keyspace. */
  range(keyspace: number): { gte: Buffer; lt: Buffer } {
    const gte = Buffer.allocUnsafe(1 + this.id.length)
    gte[0] = keyspace
    this.id.copy(gte, 1)
    return { gte, lt: Buffer.concat([gte, Buffer.from([0xff])]) }
  }

  private offsetKey(keyspace: number, offset: number): Buffer {
    const key = Buffer.allocUnsafe(1 + this.id.length + 8)
    key[0] = keyspace
    this.id.copy(key, 1)
    writeOffset(key, key.length - 8, offset)
    return key
  }
}

/** Writes an offset (below 2^53) as 8 bytes big-endian at `at`, so keys sort by offset. */
export function writeOffset(key: Buffer, at: number, offset: number): void {
  const hi = Math.floor(offset / TWO_POW_32)
  key.writeUInt32BE(hi, at)
  key.writeUInt32BE(offset - hi * TWO_POW_32, at + 4)
}

/** The offset in a key's last 8 bytes (inverse of writeOffset at the end of a key). */
export function offsetOfKey(key: Buffer): number {
  return key.readUInt32BE(key.length - 8) * TWO_POW_32 + key.readUInt32BE(key.length - 4)
}

/** The batch store's key of sequence `seq` (8 bytes big-endian: keys sort in the order written). */
export function batchStoreKey(seq: number): Buffer {
  const key = Buffer.allocUnsafe(8)
  writeOffset(key, 0, seq)
  return key
}

/** REMOVALS_KEY's value: the batch store keys (8 bytes each, batchStoreKey) left to delete. */
export function encodeRemovals(keys: readonly Buffer[]): Buffer {
  return Buffer.concat(keys)
}

/** Inverse of encodeRemovals. */
export function decodeRemovals(value: Buffer): Buffer[] {
  const keys: Buffer[] = []
  for (let at = 0; at + 8 <= value.length; at += 8) keys.push(value.subarray(at, at + 8))
  return keys
}

/** Inverse of PartitionKeys.state() and .deleting(). */
export function decodePartitionKey(key: Buffer): { topicId: string; partition: number } {
  return { topicId: key.toString('utf8', 1, key.length - 5), partition: key.readUInt32BE(key.length - 4) }
}

export function encodeState(state: PartitionState): Buffer {
  return Buffer.from(
    JSON.stringify({ v: 1, s: state.logStartOffset, e: state.logEndOffset, h: state.highWatermark, ep: state.epochs }),
  )
}

export function decodeState(value: Buffer, what: string): PartitionState {
  try {
    const raw = JSON.parse(value.toString('utf8')) as { v: number; s: number; e: number; h: number; ep: [number, number][] }
    if (raw.v !== 1) throw new Error(`unknown state version ${raw.v}`)
    return { logStartOffset: raw.s, logEndOffset: raw.e, highWatermark: raw.h, epochs: raw.ep }
  } catch (error) {
    throw new StorageError('CORRUPT', `unreadable state of ${what}`, { cause: error })
  }
}

/**
 * A loose index entry: lastOffsetDelta u32, size u32, maxTimestamp f64 (an int64 as a number),
 * location f64 (the batch store's sequence, 0 for a batch under its 'd' key). Entries written
 * before the batch store existed are 16 bytes, without the location.
 */
export function encodeIndexEntry(index: BatchIndex, pos: number): Buffer {
  const value = Buffer.allocUnsafe(24)
  value.writeUInt32BE(index.lastOffset(pos) - index.baseOffset(pos), 0)
  value.writeUInt32BE(index.sizeBytes(pos), 4)
  value.writeDoubleBE(index.maxTimestamp(pos), 8)
  value.writeDoubleBE(index.location(pos), 16)
  return value
}

export function loadIndexEntry(index: BatchIndex, baseOffset: number, value: Buffer, what: string): void {
  if (value.length !== 16 && value.length !== 24) throw new StorageError('CORRUPT', `unreadable index entry of ${what} at ${baseOffset}`)
  const location = value.length === 24 ? value.readDoubleBE(16) : 0
  index.push(baseOffset, baseOffset + value.readUInt32BE(0), value.readUInt32BE(4), value.readDoubleBE(8), location)
}

const CHUNK_HEADER_BYTES = 5
/** Version 1 (before the batch store) has no location; version 2 adds it. */
const CHUNK_ENTRY_BYTES: Record<number, number> = { 1: 24, 2: 32 }
const CHUNK_VERSION = 2

/**
 * A sealed chunk: version u8, count u32, then per batch base f64, lastOffsetDelta u32, size u32,
 * maxTimestamp f64, location f64.
 */
export function encodeChunk(index: BatchIndex, from: number, to: number): Buffer {
  const entryBytes = CHUNK_ENTRY_BYTES[CHUNK_VERSION]!
  const value = Buffer.allocUnsafe(CHUNK_HEADER_BYTES + (to - from) * entryBytes)
  value.writeUInt8(CHUNK_VERSION, 0)
  value.writeUInt32BE(to - from, 1)
  let at = CHUNK_HEADER_BYTES
  for (let pos = from; pos < to; pos++, at += entryBytes) {
    const base = index.baseOffset(pos)
    value.writeDoubleBE(base, at)
    value.writeUInt32BE(index.lastOffset(pos) - base, at + 8)
    value.writeUInt32BE(index.sizeBytes(pos), at + 12)
    value.writeDoubleBE(index.maxTimestamp(pos), at + 16)
    value.writeDoubleBE(index.location(pos), at + 24)
  }
  return value
}

export function loadChunk(index: BatchIndex, value: Buffer, what: string): void {
  const count = value.length >= CHUNK_HEADER_BYTES ? value.readUInt32BE(1) : -1
  const entryBytes = CHUNK_ENTRY_BYTES[value[0] ?? 0]
  if (entryBytes === undefined || value.length !== CHUNK_HEADER_BYTES + count * entryBytes) {
    throw new StorageError('CORRUPT', `unreadable index chunk of ${what}`)
  }
  for (let at = CHUNK_HEADER_BYTES; at < value.length; at += entryBytes) {
    const base = value.readDoubleBE(at)
    const location = entryBytes === 32 ? value.readDoubleBE(at + 24) : 0
    index.push(base, base + value.readUInt32BE(at + 8), value.readUInt32BE(at + 12), value.readDoubleBE(at + 16), location)
  }
}
