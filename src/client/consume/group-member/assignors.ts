/**
 * The partition assignors a sluice leader can run, as Kafka's Java client and librdkafka define
 * them (both called by these names, so members of different clients agree on the result):
 *
 * - `range` (RangeAssignor): per topic, the members subscribed to it sorted by member id; each
 *   gets a contiguous range, the first `partitions % members` one partition more.
 * - `roundrobin` (RoundRobinAssignor): every subscribed topic-partition sorted by topic then
 *   partition, dealt to the members sorted by member id in turn, skipping a member not
 *   subscribed to that topic.
 * - `RoundRobinAssigner`: kafkajs's default, offered so kafkajs members can share a group. For
 *   members with the same subscription (all kafkajs assumes) it deals exactly as `roundrobin`.
 *
 * Pure: the members' subscriptions and the partition counts in, an assignment per member out
 * (every member present, possibly with nothing). Topics the cluster does not know (no count) are
 * left out.
 */
import type { TopicPartitions } from './consumer-protocol.js'

export interface AssignorMember {
  memberId: string
  topics: readonly string[]
}

export type Assignor = (members: readonly AssignorMember[], partitionCounts: ReadonlyMap<string, number>) => Map<string, TopicPartitions[]>

/** Protocol names in order of preference (the coordinator picks the first every member offers). */
export const ASSIGNOR_NAMES = ['range', 'roundrobin', 'RoundRobinAssigner'] as const

const byMemberId = (a: AssignorMember, b: AssignorMember): number => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0)

function emptyResult(members: readonly AssignorMember[]): Map<string, Map<string, number[]>> {
  return new Map(members.map((m) => [m.memberId, new Map<string, number[]>()]))
}

/** topic -> partitions, in topic order, without empty topics. */
function finish(result: Map<string, Map<string, number[]>>): Map<string, TopicPartitions[]> {
  const out = new Map<string, TopicPartitions[]>()
  for (const [memberId, topics] of result) {
    const list = [...topics.entries()]
      .filter(([, ps]) => ps.length > 0)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([topic, partitions]) => ({ topic, partitions }))
    out.set(memberId, list)
  }
  return out
}

function add(result: Map<string, Map<string, number[]>>, memberId: string, topic: string, partition: number): void {
  const topics = result.get(memberId)!
  let ps = topics.get(topic)
  if (!ps) topics.set(topic, (ps = []))
  ps.push(partition)
}

function subscribedTopics(members: readonly AssignorMember[], partitionCounts: ReadonlyMap<string, number>): string[] {
  const all = new Set(members.flatMap((m) => m.topics))
  return [...all].filter((t) => (partitionCounts.get(t) ?? 0) > 0).sort()
}

export const rangeAssignor: Assignor = (members, partitionCounts) => {
  const result = emptyResult(members)
  for (const topic of subscribedTopics(members, partitionCounts)) {
    const count = partitionCounts.get(topic)!
    const consumers = members.filter((m) => m.topics.includes(topic)).sort(byMemberId)
    const per = Math.floor(count / consumers.length)
    const extra = count % consumers.length
    consumers.forEach((m, i) => {
      const start = per * i + Math.min(i, extra)
      const length = per + (i < extra ? 1 : 0)
      for (let p = start; p < start + length; p++) add(result, m.memberId, topic, p)
    })
  }
  return finish(result)
}

export const roundRobinAssignor: Assignor = (members, partitionCounts) => {
  const result = emptyResult(members)
  const sorted = [...members].sort(byMemberId)
  if (sorted.length === 0) return finish(result)
  let next = 0
  for (const topic of subscribedTopics(members, partitionCounts)) {
    const count = partitionCounts.get(topic)!
    for (let p = 0; p < count; p++) {
      // The next member (in turn) subscribed to this topic; one exists, since the topic came from a subscription.
      while (!sorted[next % sorted.length]!.topics.includes(topic)) next++
      add(result, sorted[next % sorted.length]!.memberId, topic, p)
      next++
    }
  }
  return finish(result)
}

export function assignorFor(protocolName: string): Assignor | undefined {
  switch (protocolName) {
    case 'range':
      return rangeAssignor
    case 'roundrobin':
    case 'RoundRobinAssigner':
      return roundRobinAssignor
    default:
      return undefined
  }
}
