/**
 * Leader elections and ISR changes as pure functions of the metadata image: each returns the
 * partitionChange records to append. Kafka's rules (KRaft's PartitionChangeBuilder):
 * - a clean election picks the first replica, in replica order, that is in the ISR and live;
 * - when no ISR member is live the partition goes offline (leader -1) and keeps its last ISR
 *   member, so that only a replica holding every acknowledged record can lead again;
 * - an unclean election (only when `unclean.leader.election.enable`) picks the first live replica
 *   outside the ISR, and is marked as such: records acknowledged by the old ISR may be lost.
 */
import { topicConfig } from './configs.js'
import type { MetadataImage, MetadataRecord, PartitionInfo } from './metadata.js'

type Change = Extract<MetadataRecord, { type: 'partitionChange' }>

function isLive(image: MetadataImage, id: number): boolean {
  return image.brokers.get(id)?.fenced === false
}

function uncleanAllowed(image: MetadataImage, topicId: string): boolean {
  const topic = image.topicsById.get(topicId)
  if (!topic) return false
  return topicConfig(topic.configs, image, 'unclean.leader.election.enable') === 'true'
}

/** The change that removes `brokerId` from a partition's ISR and, if it led, elects a new leader. */
export function partitionWithoutBroker(image: MetadataImage, p: PartitionInfo, brokerId: number, reason: string): Change | null {
  const wasLeader = p.leader === brokerId
  const inIsr = p.isr.includes(brokerId)
  if (!wasLeader && !inIsr) return null
  let isr = p.isr.filter((id) => id !== brokerId)
  // Never leave the ISR empty: its last member is the only replica known to hold every
  // acknowledged record.
  if (isr.length === 0) isr = [brokerId]
  if (!wasLeader) return isr.length === p.isr.length ? null : { type: 'partitionChange', topicId: p.topicId, partition: p.partition, isr, reason }
  return electLeader(image, p, isr, brokerId, reason)
}

/** Elects a leader for `p` from `isr` (excluding `excluded`), unclean when allowed and needed. */
export function electLeader(image: MetadataImage, p: PartitionInfo, isr: number[], excluded: number, reason: string): Change {
  const base = { type: 'partitionChange' as const, topicId: p.topicId, partition: p.partition, reason }
  const clean = p.replicas.find((id) => id !== excluded && isr.includes(id) && isLive(image, id))
  if (clean !== undefined) return { ...base, leader: clean, isr }
  if (uncleanAllowed(image, p.topicId)) {
    const unclean = p.replicas.find((id) => id !== excluded && isLive(image, id))
    if (unclean !== undefined) return { ...base, leader: unclean, isr: [unclean], unclean: true }
  }
  return { ...base, leader: -1, isr }
}

/** Every partition change that fencing `brokerId` causes (leadership moves, ISR removal). */
export function changesForFencedBroker(image: MetadataImage, brokerId: number, reason: string): MetadataRecord[] {
  const out: MetadataRecord[] = []
  for (const topic of image.topicsById.values()) {
    for (const p of topic.partitions) {
      const change = partitionWithoutBroker(image, p, brokerId, reason)
      if (change) out.push(change)
    }
  }
  return out
}

/** Offline partitions that `brokerId` (just back) can lead: it is their last ISR member. */
export function changesForReturningBroker(image: MetadataImage, brokerId: number): MetadataRecord[] {
  const out: MetadataRecord[] = []
  for (const topic of image.topicsById.values()) {
    for (const p of topic.partitions) {
      if (p.leader === -1 && p.isr.includes(brokerId)) {
        out.push({ type: 'partitionChange', topicId: p.topicId, partition: p.partition, leader: brokerId, reason: `broker ${brokerId} returned` })
      }
    }
  }
  return out
}

/**
 * Preferred-leader election: where the first replica is live, in the ISR and not leading, it
 * takes leadership back. `only` limits it to some partitions.
 */
export function preferredLeaderChanges(image: MetadataImage, only?: (p: PartitionInfo) => boolean): MetadataRecord[] {
  const out: MetadataRecord[] = []
  for (const topic of image.topicsById.values()) {
    for (const p of topic.partitions) {
      if (only && !only(p)) continue
      const preferred = p.replicas[0]
      if (preferred === undefined || p.leader === preferred) continue
      if (!p.isr.includes(preferred) || !isLive(image, preferred)) continue
      out.push({ type: 'partitionChange', topicId: p.topicId, partition: p.partition, leader: preferred, reason: 'preferred leader election' })
    }
  }
  return out
}

/**
 * Moves leadership of a partition to another live ISR member (a drill: `sluice failover`), the
 * first in replica order after the current leader, or `to` when given.
 */
export function failoverChange(image: MetadataImage, p: PartitionInfo, to?: number): Change | string {
  const candidates = p.isr.filter((id) => id !== p.leader && isLive(image, id))
  if (candidates.length === 0) return `partition ${p.partition} has no other live in-sync replica to take over (ISR ${JSON.stringify(p.isr)})`
  let target: number | undefined
  if (to !== undefined) {
    if (!candidates.includes(to)) return `broker ${to} is not a live in-sync replica of partition ${p.partition} (ISR ${JSON.stringify(p.isr)})`
    target = to
  } else {
    const start = Math.max(p.replicas.indexOf(p.leader), 0)
    const ordered = [...p.replicas.slice(start + 1), ...p.replicas.slice(0, start + 1)]
    target = ordered.find((id) => candidates.includes(id))
  }
  return { type: 'partitionChange', topicId: p.topicId, partition: p.partition, leader: target, reason: 'failover' }
}
