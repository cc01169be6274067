/**
 * Where a record goes when the user did not say: Kafka's default partitioner.
 *
 * Keyed records: `toPositive(murmur2(key)) % numPartitions`, exactly as the Java client's
 * `BuiltInPartitioner.partitionForKey` (murmur2 from `org.apache.kafka.common.utils.Utils`), so a
 * key lands on the same partition as with the Java client, librdkafka's `murmur2_random` and
 * kafkajs's DefaultPartitioner. @platformatic/kafka's own default partitioner takes
 * `murmur2(key) >>> 0`, which differs whenever the hash is negative (half of all keys), and its
 * murmur2 runs on BigInt; hence this one, on 32-bit integer arithmetic.
 *
 * Unkeyed records: sticky, as Kafka's built-in partitioner since KIP-480: a run of records goes
 * to one partition, the next run to the next one, so each send carries one large batch.
 */

const SEED = 0x9747b28c
const M = 0x5bd1e995

/** Kafka's murmur2 (Utils.murmur2): a signed 32-bit hash of the bytes. */
export function murmur2(data: Uint8Array): number {
  const length = data.length
  let h = SEED ^ length
  const length4 = length & ~3
  for (let i = 0; i < length4; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)
    k = Math.imul(k, M)
    k ^= k >>> 24
    k = Math.imul(k, M)
    h = Math.imul(h, M) ^ k
  }
  const rest = length & 3
  if (rest === 3) h ^= data[length4 + 2] << 16
  if (rest >= 2) h ^= data[length4 + 1] << 8
  if (rest >= 1) h = Math.imul(h ^ data[length4], M)
  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15
  return h | 0
}

/** The partition Kafka's default partitioner picks for a key. */
export function partitionForKey(key: Uint8Array, numPartitions: number): number {
  return (murmur2(key) & 0x7fffffff) % numPartitions
}

/** Unkeyed records: one partition per run of records, moving on round-robin from a random start. */
export class StickyPartitioner {
  private current: number

  constructor(private readonly numPartitions: number) {
    // A random start, as Kafka's: many short runs (one record per invocation) still spread.
    this.current = Math.floor(Math.random() * numPartitions)
  }

  get partition(): number {
    return this.current
  }

  /** Called when a run (one send) is complete: the next records go to the next partition. */
  next(): void {
    this.current = (this.current + 1) % this.numPartitions
  }
}
