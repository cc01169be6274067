/**
 * Rebalancing the daemon's cluster: the planner (cluster/rebalance-plan.ts) fed from the metadata
 * image and the brokers as they run, its moves submitted to the controller as reassignments
 * (cluster/reassignment.ts), and their progress read off the replicas' logs. Serves
 * `cluster rebalance` and `broker remove --move` (the control plane: the live brokers and the log
 * sizes are at hand here, and Kafka's Metadata does not say which brokers are paused or killed).
 */
import { partitionKey } from '../broker/replica-manager.js'
import type { PartitionInfo } from '../cluster/metadata.js'
import { planRebalance, type PlanPartition } from '../cluster/rebalance-plan.js'
import { SluiceError } from '../common/errors.js'
import type { RebalanceMove, ReassignmentProgress } from '../common/control-contract.js'
import { ErrorCode, errorName } from '../protocol/errors.js'
import type { ClusterNode } from './cluster-node.js'

/** The replicas a partition keeps: for a move in progress, its target. */
const targetOf = (p: PartitionInfo): number[] => p.replicas.filter((id) => !p.removingReplicas.includes(id))

/** Brokers that take replicas now: running, answering, registered and unfenced. */
export function liveBrokers(node: ClusterNode): number[] {
  return node.brokerIds().filter((id) => {
    const b = node.broker(id)!
    return b.running && b.state !== 'paused' && node.image.brokers.get(id)?.fenced === false
  })
}

/** A partition's leader's log size (bytes); 0 when the leader is down or has not opened it. */
function leaderBytes(node: ClusterNode, p: PartitionInfo): number {
  const b = p.leader >= 0 ? node.broker(p.leader) : undefined
  return (b?.running ? b.replicas.get(partitionKey(p.topicId, p.partition))?.log?.sizeBytes : undefined) ?? 0
}

export interface PlanRequest {
  /** Only this topic's partitions. */
  topic?: string
  /** Brokers whose replicas all move off (a broker being removed), and which take none. */
  drain?: number[]
  /** Only drain: no balancing. */
  drainOnly?: boolean
}

/**
 * The moves that spread the partitions over the live brokers, each with the bytes it copies: the
 * leader's log size for every replica it adds (a reorder copies nothing). Replicas on brokers the
 * home no longer runs are drained too.
 */
export function planMoves(node: ClusterNode, req: PlanRequest): { brokers: number[]; moves: RebalanceMove[] } {
  const drain = new Set(req.drain ?? [])
  const brokers = liveBrokers(node).filter((id) => !drain.has(id))
  const known = new Set(node.brokerIds())
  const partitions: PlanPartition[] = []
  const byName = new Map<string, PartitionInfo>()
  for (const t of node.image.topicsById.values()) {
    if (req.topic !== undefined && t.name !== req.topic) continue
    for (const p of t.partitions) {
      partitions.push({ topic: t.name, partition: p.partition, replicas: targetOf(p) })
      byName.set(`${t.name}\0${p.partition}`, p)
      for (const id of p.replicas) if (!known.has(id)) drain.add(id)
    }
  }
  const moves = planRebalance(partitions, brokers, { drain: [...drain], drainOnly: req.drainOnly }).map((m) => {
    const added = m.to.filter((id) => !m.from.includes(id)).length
    return { ...m, bytes: added * leaderBytes(node, byName.get(`${m.topic}\0${m.partition}`)!) }
  })
  return { brokers, moves }
}

/** Submits moves as reassignments; throws with every partition the controller refused. */
export async function submitMoves(node: ClusterNode, moves: readonly RebalanceMove[]): Promise<void> {
  if (moves.length === 0) return
  const reqs = moves.map((m) => ({ topic: m.topic, partition: m.partition, replicas: m.to }))
  const result = await node.submit(() => node.controller.alterPartitionReassignments(reqs))
  const refused = (result.value ?? []).filter((r) => r.errorCode !== ErrorCode.NONE)
  if (result.errorCode !== ErrorCode.NONE || refused.length > 0) {
    const why = refused.map((r) => `${r.topic}-${r.partition}: ${errorName(r.errorCode)}${r.errorMessage ? ` (${r.errorMessage})` : ''}`)
    throw new SluiceError('KAFKA_ERROR', `the controller refused ${refused.length} of ${moves.length} moves: ${why.slice(0, 5).join('; ')}${why.length > 5 ? '; ...' : ''}`)
  }
}

/** Every reassignment in progress, with how far each replica being added has copied. */
export function reassignmentProgress(node: ClusterNode): ReassignmentProgress[] {
  const out: ReassignmentProgress[] = []
  for (const t of node.image.topicsById.values()) {
    for (const p of t.partitions) {
      if (p.addingReplicas.length === 0 && p.removingReplicas.length === 0) continue
      const key = partitionKey(p.topicId, p.partition)
      const leader = p.leader >= 0 && node.broker(p.leader)?.running ? node.broker(p.leader)!.replicas.get(key) : undefined
      out.push({
        topic: t.name,
        partition: p.partition,
        replicas: p.replicas,
        addingReplicas: p.addingReplicas,
        removingReplicas: p.removingReplicas,
        isr: p.isr,
        leader: p.leader,
        leaderLogEndOffset: leader?.log?.logEndOffset ?? -1,
        leaderBytes: leader?.log?.sizeBytes ?? 0,
        adding: p.addingReplicas.map((id) => {
          const b = node.broker(id)
          const log = b?.running ? b.replicas.get(key)?.log : undefined
          return { broker: id, logEndOffset: log?.logEndOffset ?? null, bytes: log?.sizeBytes ?? null, inIsr: p.isr.includes(id) }
        }),
      })
    }
  }
  return out
}

/** Whether any of these partitions still has a broker among its replicas (the union, during a move). */
export function stillOn(node: ClusterNode, brokerId: number, topicFilter?: string): boolean {
  for (const t of node.image.topicsById.values()) {
    if (topicFilter !== undefined && t.name !== topicFilter) continue
    for (const p of t.partitions) if (p.replicas.includes(brokerId)) return true
  }
  return false
}
