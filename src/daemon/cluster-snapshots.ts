/**
 * What the daemon shows of its cluster node (`cluster.status`, `cluster.snapshot`): the brokers'
 * states, every partition with its replicas' offsets, the stuck followers and the recoveries.
 */
import type { KafkaListener } from '../broker/listener.js'
import { partitionKey } from '../broker/replica-manager.js'
import type { ClusterNode } from './cluster-node.js'
import type { ClusterStatus, PartitionSnapshot, StuckReplica } from '../common/control-contract.js'

/** What a broker's last heartbeat said of its image, against the committed offset. */
function metadataReport(reported: number, committed: number): { metadataOffset: number; metadataLag: number | null } {
  return { metadataOffset: reported, metadataLag: reported < 0 ? null : Math.max(0, committed - reported) }
}

export function statusOf(node: ClusterNode, listeners: ReadonlyMap<number, KafkaListener>): ClusterStatus {
  const { image } = node
  const brokers = [...node.brokers.values()]
  return {
    brokers: brokers.map((b) => ({
      id: b.id,
      host: b.host,
      port: b.port,
      state: b.logDirOffline ? 'offline' : !b.running ? 'killed' : b.state === 'paused' ? 'paused' : !b.registered ? 'starting' : image.brokers.get(b.id)?.fenced ? 'fenced' : 'up',
      logDirError: b.logDirOffline?.reason ?? null,
      connections: listeners.get(b.id)!.connections,
      requests: listeners.get(b.id)!.requests,
      ...metadataReport(node.controller.reportedMetadataOffset(b.id), image.offset),
    })),
    controllerId: node.liveControllerId(),
    topics: image.topicsById.size,
    partitions: [...image.topicsById.values()].reduce((n, t) => n + t.partitions.length, 0),
    recoveries: brokers
      .flatMap((b) => b.recoveries.list())
      .sort((a, b) => a.foundAtMs - b.foundAtMs)
      .map((r) => ({
        broker: r.brokerId,
        topic: image.topicsById.get(r.topicId)?.name ?? r.topicId,
        partition: r.partition,
        firstOffset: r.firstOffset,
        lastOffset: r.lastOffset,
        reason: r.reason,
        state: r.state,
        foundAt: new Date(r.foundAtMs).toISOString(),
        truncatedTo: r.truncatedTo,
        recoveredAt: r.recoveredAtMs === null ? null : new Date(r.recoveredAtMs).toISOString(),
      })),
  }
}

export function partitionSnapshots(node: ClusterNode): PartitionSnapshot[] {
  const out: PartitionSnapshot[] = []
  const logOf = (brokerId: number, key: string) => {
    const b = node.broker(brokerId)
    return b?.running ? (b.replicas.get(key) ?? null) : null
  }
  for (const t of node.image.topicsById.values()) {
    for (const p of t.partitions) {
      const key = partitionKey(t.topicId, p.partition)
      const led = p.leader >= 0 ? logOf(p.leader, key) : null
      const replicaLogEndOffsets: Record<string, number | null> = {}
      for (const r of p.replicas) replicaLogEndOffsets[String(r)] = logOf(r, key)?.log?.logEndOffset ?? null
      const stuckReplicas = p.replicas.filter((r) => logOf(r, key)?.stuck)
      out.push({
        topic: t.name,
        partition: p.partition,
        internal: t.name.startsWith('__'),
        leader: p.leader,
        leaderEpoch: p.leaderEpoch,
        replicas: p.replicas,
        isr: p.isr,
        addingReplicas: p.addingReplicas,
        removingReplicas: p.removingReplicas,
        logStartOffset: led?.log?.logStartOffset ?? -1,
        highWatermark: led?.leader?.highWatermark ?? led?.log?.highWatermark ?? -1,
        logEndOffset: led?.log?.logEndOffset ?? -1,
        replicaLogEndOffsets,
        stuckReplicas,
      })
    }
  }
  return out
}

export function stuckReplicasOf(node: ClusterNode): StuckReplica[] {
  const out: StuckReplica[] = []
  for (const b of node.brokers.values()) {
    if (!b.running) continue
    for (const h of b.replicas.all()) {
      if (!h.stuck) continue
      const topic = node.image.topicsById.get(h.topicId)
      if (!topic) continue
      out.push({ topic: topic.name, partition: h.partition, broker: b.id, leader: h.leaderId, ...h.stuck })
    }
  }
  return out
}
