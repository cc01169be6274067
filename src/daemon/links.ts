/**
 * How brokers in the daemon reach each other for replication: a direct call to the leader's
 * replica manager, through the fault injector's edge (latency, a cut link, a hung broker). A
 * killed leader refuses at once, as a closed port does.
 */
import type { Broker } from '../broker/broker.js'
import type { BrokerLink, ReplicaFetchPartition, ReplicaFetchResult } from '../broker/replica-fetcher.js'

/** Faults on the link from one broker to another: consulted on every replica fetch. */
export interface LinkFaults {
  /** Extra latency on the link (ms), or 0. */
  latencyMs(from: number, to: number): number
  /** True when the link is cut (a network partition). */
  isCut(from: number, to: number): boolean
}

export const noFaults: LinkFaults = { latencyMs: () => 0, isCut: () => false }

/** How long a request to a cut link or a hung broker waits before it fails (replica.socket.timeout.ms is 30 s in Kafka). */
const UNREACHABLE_TIMEOUT_MS = 5_000
const POLL_MS = 20

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export class DirectLink implements BrokerLink {
  constructor(
    private readonly brokers: ReadonlyMap<number, Broker>,
    private readonly faults: LinkFaults = noFaults,
  ) {}

  async replicaFetch(
    followerId: number,
    leaderId: number,
    partitions: ReplicaFetchPartition[],
    maxWaitMs: number,
    maxBytes: number,
  ): Promise<ReplicaFetchResult[]> {
    const leader = this.brokers.get(leaderId)
    if (!leader || !leader.running) throw new Error(`broker ${leaderId} is not reachable`)
    const latencyMs = this.faults.latencyMs(followerId, leaderId)
    if (latencyMs > 0) await delay(latencyMs)
    // A cut link or a hung leader: nothing comes back until it heals, or the request times out.
    const startedMs = Date.now()
    // A paused follower sends nothing either: replication stops on both sides of a hung broker.
    const follower = this.brokers.get(followerId)
    while (this.faults.isCut(followerId, leaderId) || leader.state === 'paused' || follower?.state === 'paused') {
      if (Date.now() - startedMs > UNREACHABLE_TIMEOUT_MS) throw new Error(`broker ${leaderId} did not answer`)
      await delay(POLL_MS)
    }
    if (!leader.running) throw new Error(`broker ${leaderId} is not reachable`)
    const results = await leader.replicas.serveReplicaFetch(followerId, partitions, maxWaitMs, maxBytes)
    if (latencyMs > 0) await delay(latencyMs)
    return results
  }

  /** Like a long poll's timeout coming early; faults do not apply (nothing crosses the link). */
  wakeReplicaFetch(followerId: number, leaderId: number): void {
    const leader = this.brokers.get(leaderId)
    if (leader?.running) leader.replicas.wakeReplicaFetchesOf(followerId)
  }
}
