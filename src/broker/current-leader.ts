/**
 * The leader hint of KIP-951: what a broker tells a client that asked the wrong broker (or with a
 * stale leader epoch), so that it can go to the new leader without refreshing its metadata first.
 * Fetch v16+ (and Produce v10+) answer it as the partition's tagged `current_leader` and the
 * leader's address in the response's tagged `node_endpoints`.
 */
import type { MetadataImage, PartitionInfo } from '../cluster/metadata.js'

export interface NodeEndpoint {
  nodeId: number
  host: string
  port: number
  rack: string | null
}

export interface CurrentLeader {
  /** -1 when the partition has no leader. */
  leaderId: number
  leaderEpoch: number
  /** The leader's address; null when it has none or is not live (fenced), as Kafka leaves it out. */
  endpoint: NodeEndpoint | null
}

/** Kafka's getCurrentLeader: the leader and epoch from the metadata, with the leader's address if it is live. */
export function currentLeader(image: MetadataImage, p: PartitionInfo | undefined): CurrentLeader {
  if (!p) return { leaderId: -1, leaderEpoch: -1, endpoint: null }
  const b = p.leader >= 0 ? image.brokers.get(p.leader) : undefined
  const endpoint = b && !b.fenced ? { nodeId: b.id, host: b.host, port: b.port, rack: b.rack } : null
  return { leaderId: p.leader, leaderEpoch: p.leaderEpoch, endpoint }
}

/** Collects the endpoints of the leaders named in one response, each once, in the order first named. */
export class NodeEndpoints {
  private readonly byId = new Map<number, NodeEndpoint>()

  add(endpoint: NodeEndpoint | null): void {
    if (endpoint && !this.byId.has(endpoint.nodeId)) this.byId.set(endpoint.nodeId, endpoint)
  }

  list(): NodeEndpoint[] {
    return [...this.byId.values()]
  }
}
