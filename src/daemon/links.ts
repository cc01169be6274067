/**
 * How brokers in the daemon reach each other for replication: a direct call to the leader's
 * replica manager, through the fault injector's edge (latency, a cut link, a hung broker). A
 * killed leader refuses at once, as a closed port does.
 */
import type { Broker } from '../broker/broker.js'
import type { BrokerLink, ReplicaFetchPartition, ReplicaFetchResult } from '../broker/replica-fetcher.js'
import { sleep, type Scheduler } from '../cluster/scheduler.js'

/** Faults on the link from one broker to another: consulted on every replica fetch. */
export interface LinkFaults {
  /** Extra latency on the link (ms), or 0. */
  latencyMs(from: number, to: number): number
  /** True when the link is cut (a network partition). */
  isCut(from: number, to: number): boolean
}

/** How long a request to a cut link or a hung broker waits before it fails (replica.socket.timeout.ms is 30 s in Kafka). */
const UNREACHABLE_TIMEOUT_MS = 5_000
const POLL_MS = 20

export class DirectLink implements BrokerLink {
  constructor(
    /** The broker process of an id now (a restart may make a new one). */
    private readonly brokerOf: (id: number) => Broker | undefined,
    private readonly faults: LinkFaults,
    private readonly scheduler: Scheduler,
  ) {}

  async replicaFetch(
    followerId: number,
    leaderId: number,
    partitions: ReplicaFetchPartition[],
    maxWaitMs: number,
    maxBytes: number,
  ): Promise<ReplicaFetchResult[]> {
    const leader = this.brokerOf(leaderId)
    if (!leader || !leader.running) throw new Error(`broker ${leaderId} is not reachable`)
    const latencyMs = this.faults.latencyMs(followerId, leaderId)
    if (latencyMs > 0) await sleep(this.scheduler, latencyMs)
    // A cut link or a hung leader: nothing comes back until it heals, or the request times out.
    const startedMs = this.scheduler.nowMs()
    // A paused follower sends nothing either: replication stops on both sides of a hung broker.
    const follower = this.brokerOf(followerId)
    while (this.faults.isCut(followerId, leaderId) || leader.state === 'paused' || follower?.state === 'paused') {
      if (this.scheduler.nowMs() - startedMs > UNREACHABLE_TIMEOUT_MS) throw new Error(`broker ${leaderId} did not answer`)
      await sleep(this.scheduler, POLL_MS)
    }
    if (!leader.running) throw new Error(`broker ${leaderId} is not reachable`)
    const results = await leader.replicas.serveReplicaFetch(followerId, partitions, maxWaitMs, maxBytes)
    if (latencyMs > 0) await sleep(this.scheduler, latencyMs)
    return results
  }

  /** Like a long poll's timeout coming early; faults do not apply (nothing crosses the link). */
  wakeReplicaFetch(followerId: number, leaderId: number): void {
    const leader = this.brokerOf(leaderId)
    if (leader?.running) leader.replicas.wakeReplicaFetchesOf(followerId)
  }
}
