/**
 * The "consumer" protocol type's embedded bytes (Kafka's ConsumerProtocol): what a member puts in
 * JoinGroup's protocol metadata (ConsumerProtocolSubscription) and what the leader hands each
 * member through SyncGroup (ConsumerProtocolAssignment). Non-flexible encodings: int16 version,
 * int32-counted arrays, int16-length strings, int32-length bytes (-1 = null).
 *
 * sluice writes version 0 (the layout every client reads: Java, librdkafka, kafkajs). It reads any
 * version by its v0 prefix: later versions only append fields (owned partitions, generation,
 * rack), which a v0 reader may ignore, as Kafka's own ConsumerProtocol does. An empty assignment
 * (a leader that gave a member nothing may send zero bytes) is no partitions.
 */
import { Reader } from '../../../protocol/reader.js'
import { concatChunks, Writer } from '../../../protocol/writer.js'

/**
 * User data is written empty rather than null (as kafkajs and librdkafka do): @platformatic/kafka
 * 1.35's describeGroups reads the assignment's user data as compact bytes and throws on -1.
 */
const EMPTY = Buffer.alloc(0)

export interface Subscription {
  version: number
  topics: string[]
  userData: Buffer | null
}

export interface TopicPartitions {
  topic: string
  partitions: number[]
}

export interface Assignment {
  version: number
  partitions: TopicPartitions[]
  userData: Buffer | null
}

export function encodeSubscription(topics: readonly string[], userData: Buffer | null = EMPTY): Buffer {
  const w = new Writer().int16(0).int32(topics.length)
  for (const t of topics) w.string(t)
  w.nullableBytes(userData)
  return concatChunks(w.finish())
}

/** Throws ProtocolError on truncated or malformed bytes. */
export function decodeSubscription(bytes: Buffer): Subscription {
  const r = new Reader(bytes)
  const version = r.int16()
  const n = r.arrayLength(false, 2)
  const topics: string[] = []
  for (let i = 0; i < n; i++) topics.push(r.string())
  // Some old clients stop after the topics: user data is then absent, not an error.
  const userData = r.remaining >= 4 ? r.nullableBytes() : null
  return { version, topics, userData }
}

export function encodeAssignment(partitions: readonly TopicPartitions[], userData: Buffer | null = EMPTY): Buffer {
  const w = new Writer().int16(0).int32(partitions.length)
  for (const tp of partitions) {
    w.string(tp.topic).int32(tp.partitions.length)
    for (const p of tp.partitions) w.int32(p)
  }
  w.nullableBytes(userData)
  return concatChunks(w.finish())
}

/** Throws ProtocolError on truncated or malformed bytes; zero bytes is an empty assignment. */
export function decodeAssignment(bytes: Buffer): Assignment {
  if (bytes.length === 0) return { version: 0, partitions: [], userData: null }
  const r = new Reader(bytes)
  const version = r.int16()
  const n = r.arrayLength(false, 6)
  const partitions: TopicPartitions[] = []
  for (let i = 0; i < n; i++) {
    const topic = r.string()
    const count = r.arrayLength(false, 4)
    const ps: number[] = []
    for (let j = 0; j < count; j++) ps.push(r.int32())
    partitions.push({ topic, partitions: ps })
  }
  const userData = r.remaining >= 4 ? r.nullableBytes() : null
  return { version, partitions, userData }
}
