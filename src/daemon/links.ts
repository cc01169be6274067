/**
 * How brokers in the daemon reach each other (replica fetches, transaction markers): a direct call
 * to the other broker, through the fault injector's edge (latency, a cut link, a hung broker). A
 * killed broker refuses at once, as a closed port does.
 */
import type { Broker } from '../broker/broker.js'
import type { BrokerLink, ReplicaFetchPartition, ReplicaFetchResult } from '../broker/replica-fetcher.js'
import { TXN_MARKER_TIMEOUT_MS, writeTxnMarkers, type TxnMarkerOutcome, type TxnMarkerSpec } from '../broker/txn-markers.js'
import { answerVerification, type TxnVerifyAnswer, type TxnVerifyRequest } from '../broker/txn-verification.js'
import { sleep, type Scheduler } from '../cluster/scheduler.js'

/** Faults on the link from one broker to another: consulted on every request between brokers. */
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

  replicaFetch(
    followerId: number,
    leaderId: number,
    partitions: ReplicaFetchPartition[],
    maxWaitMs: number,
    maxBytes: number,
  ): Promise<ReplicaFetchResult[]> {
    return this.call(followerId, leaderId, (leader) => leader.replicas.serveReplicaFetch(followerId, partitions, maxWaitMs, maxBytes))
  }

  writeTxnMarkers(fromId: number, toId: number, markers: TxnMarkerSpec[]): Promise<TxnMarkerOutcome[]> {
    return this.call(fromId, toId, (leader) => writeTxnMarkers(leader, markers, TXN_MARKER_TIMEOUT_MS))
  }

  verifyTxnPartitions(fromId: number, toId: number, req: TxnVerifyRequest): Promise<TxnVerifyAnswer> {
    return this.call(fromId, toId, (coordinator) => Promise.resolve(answerVerification(coordinator, req)))
  }

  /** One request from broker `fromId` to broker `toId`, through the link's faults both ways. */
  private async call<T>(fromId: number, toId: number, serve: (to: Broker) => Promise<T>): Promise<T> {
    const to = this.brokerOf(toId)
    if (!to || !to.running) throw new Error(`broker ${toId} is not reachable`)
    const latencyMs = this.faults.latencyMs(fromId, toId)
    if (latencyMs > 0) await sleep(this.scheduler, latencyMs)
    // A cut link or a hung broker: nothing comes back until it heals, or the request times out.
    const startedMs = this.scheduler.nowMs()
    // A paused sender sends nothing either: replication stops on both sides of a hung broker.
    const from = this.brokerOf(fromId)
    while (this.faults.isCut(fromId, toId) || to.state === 'paused' || from?.state === 'paused') {
      if (this.scheduler.nowMs() - startedMs > UNREACHABLE_TIMEOUT_MS) throw new Error(`broker ${toId} did not answer`)
      await sleep(this.scheduler, POLL_MS)
    }
    if (!to.running) throw new Error(`broker ${toId} is not reachable`)
    const result = await serve(to)
    if (latencyMs > 0) await sleep(this.scheduler, latencyMs)
    return result
  }

  /** Like a long poll's timeout coming early; faults do not apply (nothing crosses the link). */
  wakeReplicaFetch(followerId: number, leaderId: number): void {
    const leader = this.brokerOf(leaderId)
    if (leader?.running) leader.replicas.wakeReplicaFetchesOf(followerId)
  }
}
