/**
 * Where replicas go: Kafka's rack-unaware placement for new topics and partitions, and the checks
 * on a replica list given by hand (topic creation, CreatePartitions, reassignment).
 */
import type { MetadataImage, MetadataRecord } from './metadata.js'
import type { Rng } from './rng.js'

/** Why a manual replica list cannot be used (Kafka's wording), or null. */
export function replicaListError(image: MetadataImage, brokerIds: readonly number[]): string | null {
  if (brokerIds.length === 0) return 'The manual partition assignment includes an empty replica list.'
  const sorted = [...brokerIds].sort((a, b) => a - b)
  for (const [i, id] of sorted.entries()) {
    if (!image.brokers.has(id)) return `The manual partition assignment includes broker ${id}, but no such broker is registered.`
    if (i > 0 && sorted[i - 1] === id) return `The manual partition assignment includes the broker ${id} more than once.`
  }
  return null
}

/**
 * The records of new partitions `first`, `first + 1`, ... of a topic: every live replica of a new
 * (empty) partition is in sync and the first live one leads, as in Kafka.
 */
export function newPartitionRecords(topicId: string, first: number, assignment: readonly number[][], live: readonly number[]): MetadataRecord[] {
  return assignment.map((replicas, i) => ({
    type: 'partition',
    topicId,
    partition: first + i,
    replicas,
    isr: replicas.filter((id) => live.includes(id)),
    leader: replicas.find((id) => live.includes(id)) ?? -1,
    leaderEpoch: 0,
    partitionEpoch: 0,
  }))
}

/**
 * Kafka's rack-unaware replica placement: the first replica of partition p is broker
 * (p + start) mod n, and followers follow at a shift that advances every n partitions, so leaders
 * and followers spread evenly. A topic that grows continues from its own start (`from`: Kafka's
 * fixedStartIndex and startPartitionId); a new one starts where the seeded RNG says.
 */
export function assignReplicas(
  brokerIds: number[],
  numPartitions: number,
  rf: number,
  rng: Rng,
  from?: { startIndex: number; firstPartition: number },
): number[][] {
  const n = brokerIds.length
  const startIndex = from ? from.startIndex : rng.int(n)
  let nextReplicaShift = from ? from.startIndex : rng.int(n)
  const result: number[][] = []
  for (let p = from?.firstPartition ?? 0; p < (from?.firstPartition ?? 0) + numPartitions; p++) {
    if (p > 0 && p % n === 0) nextReplicaShift++
    const first = (p + startIndex) % n
    const replicas = [brokerIds[first]!]
    for (let j = 0; j < rf - 1; j++) {
      const shift = 1 + ((nextReplicaShift + j) % (n - 1))
      replicas.push(brokerIds[(first + shift) % n]!)
    }
    result.push(replicas)
  }
  return result
}
