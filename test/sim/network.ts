/**
 * The simulated network between brokers, and between brokers and the controller. Faults act here,
 * at the edges, never inside the cluster logic:
 * - latency on every hop, drawn from the seeded RNG;
 * - a cut link between two brokers (a network partition): requests and answers wait on the link
 *   and the caller gives up after `requestTimeoutMs`;
 * - a cut link between a broker and the controller: heartbeats are lost, requests wait;
 * - a killed leader refuses new connections at once and resets the ones open (in-flight fetches
 *   fail at once, as a closed port and a dropped socket do);
 * - a paused (hung) broker answers nothing until it resumes, and sees nothing while hung.
 */
import type { Broker } from '../../src/broker/broker.js'
import type { BrokerLink, ReplicaFetchPartition, ReplicaFetchResult } from '../../src/broker/replica-fetcher.js'
import { writeTxnMarkers, type TxnMarkerOutcome, type TxnMarkerSpec } from '../../src/broker/txn-markers.js'
import { answerVerification, type TxnVerifyAnswer, type TxnVerifyRequest } from '../../src/broker/txn-verification.js'
import { handlerFor } from '../../src/broker/handler.js'
import '../../src/broker/handlers/index.js'
import { decodeRequestBody, decodeRequestHeader, decodeResponse, encodeRequest, encodeResponse } from '../../src/protocol/frame.js'
import type { Rng } from '../../src/cluster/rng.js'
import type { VirtualScheduler } from './scheduler.js'

/** What the network needs to know of the brokers: the current incarnation and whether it is hung. */
export interface NetworkHost {
  broker(id: number): Broker | undefined
  isPaused(id: number): boolean
}

export interface NetworkOptions {
  latencyMinMs: number
  latencyMaxMs: number
  /** How long a caller waits for an answer before it gives up (replica.socket.timeout.ms). */
  requestTimeoutMs: number
}

/** One request in flight: settles once, whichever comes first (answer, timeout, reset). */
interface Call {
  from: number
  to: number
  settled: boolean
  succeed(deliver: () => void): void
  fail(reason: string): void
}

interface Waiter {
  call: Call | null
  ready: () => boolean
  go: () => void
}

export class SimNetwork implements BrokerLink {
  private readonly cuts = new Set<string>()
  private readonly controllerCuts = new Set<number>()
  private readonly inflight = new Set<Call>()
  private waiting: Waiter[] = []
  /** Per broker, when the last client request sent to it arrives (a connection keeps order). */
  private readonly clientArrivals = new Map<number, number>()
  private correlationId = 0
  /** Counters for the run summary. */
  readonly stats = { fetches: 0, timeouts: 0, resets: 0 }
  /** Set to trace every replica fetch and its outcome. */
  trace: ((line: () => string) => void) | null = null

  constructor(
    private readonly sched: VirtualScheduler,
    private readonly rng: Rng,
    private readonly host: NetworkHost,
    readonly opts: NetworkOptions,
  ) {}

  latencyMs(): number {
    return this.opts.latencyMinMs + this.rng.int(this.opts.latencyMaxMs - this.opts.latencyMinMs + 1)
  }

  isCut(a: number, b: number): boolean {
    return this.cuts.has(pairKey(a, b))
  }

  isControllerCut(id: number): boolean {
    return this.controllerCuts.has(id)
  }

  cutLinks(): [number, number][] {
    return [...this.cuts].map((k) => k.split('-').map(Number) as [number, number])
  }

  controllerCutBrokers(): number[] {
    return [...this.controllerCuts]
  }

  cut(a: number, b: number): void {
    this.cuts.add(pairKey(a, b))
  }

  heal(a: number, b: number): void {
    this.cuts.delete(pairKey(a, b))
    this.changed()
  }

  cutController(id: number): void {
    this.controllerCuts.add(id)
  }

  healController(id: number): void {
    this.controllerCuts.delete(id)
    this.changed()
  }

  healAll(): void {
    this.cuts.clear()
    this.controllerCuts.clear()
    this.changed()
  }

  /** A broker crashed: its open connections drop, both ways. */
  crashed(id: number): void {
    for (const call of [...this.inflight]) {
      if (call.to === id || call.from === id) {
        this.stats.resets++
        call.fail(`connection to broker ${id} reset`)
      }
    }
    this.changed()
  }

  /** Something a waiting message depends on changed (a heal, a resume, a crash): re-check. */
  changed(): void {
    const waiting = this.waiting
    this.waiting = []
    for (const w of waiting) {
      if (w.call?.settled) continue
      if (w.ready()) w.go()
      else this.waiting.push(w)
    }
  }

  /** Runs `go` once `ready()` holds (now, or after a change), unless the call settled before. */
  private when(call: Call | null, ready: () => boolean, go: () => void): void {
    if (call?.settled) return
    if (ready()) go()
    else this.waiting.push({ call, ready, go })
  }

  private after(ms: number, call: Call, go: () => void): void {
    this.sched.setTimer(() => {
      if (!call.settled) go()
    }, ms)
  }

  private open(from: number, to: number, timeoutMs: number | null, reject: (e: Error) => void): Call {
    let cancelTimeout = (): void => undefined
    const call: Call = {
      from,
      to,
      settled: false,
      succeed: (deliver) => settle(deliver),
      fail: (reason) => settle(() => reject(new Error(reason))),
    }
    const settle = (deliver: () => void): void => {
      if (call.settled) return
      call.settled = true
      cancelTimeout()
      this.inflight.delete(call)
      // A hung caller sees the outcome only once it runs again.
      this.when(null, () => !this.host.isPaused(from), deliver)
    }
    this.inflight.add(call)
    if (timeoutMs !== null) {
      cancelTimeout = this.sched.setTimer(() => {
        this.stats.timeouts++
        call.fail(`broker ${to} did not answer within ${timeoutMs} ms`)
      }, timeoutMs)
    }
    return call
  }

  replicaFetch(
    followerId: number,
    leaderId: number,
    partitions: ReplicaFetchPartition[],
    maxWaitMs: number,
    maxBytes: number,
  ): Promise<ReplicaFetchResult[]> {
    this.stats.fetches++
    const trace = this.trace
    if (trace) {
      const out = `b${followerId} fetch from b${leaderId} ${partitions.map((p) => `p${p.partition}@${p.fetchOffset} last epoch ${p.lastFetchedEpoch} current ${p.currentLeaderEpoch}`).join(', ')}`
      return this.fetch(followerId, leaderId, partitions, maxWaitMs, maxBytes).then(
        (results) => {
          trace(() => `${out}: ${results.map((r) => `p${r.partition} error ${r.errorCode} HWM ${r.highWatermark}${r.divergingEpoch ? ` diverging ${r.divergingEpoch.epoch}@${r.divergingEpoch.endOffset}` : ''} ${r.records.length} buffers`).join(', ')}`)
          return results
        },
        (error: unknown) => {
          trace(() => `${out}: ${String(error)}`)
          throw error
        },
      )
    }
    return this.fetch(followerId, leaderId, partitions, maxWaitMs, maxBytes)
  }

  /** A waiting fetch ends early (the follower's partitions changed); lost on a cut link or a hung leader. */
  wakeReplicaFetch(followerId: number, leaderId: number): void {
    if (this.isCut(followerId, leaderId) || this.host.isPaused(leaderId)) return
    const leader = this.host.broker(leaderId)
    if (leader?.running) leader.replicas.wakeReplicaFetchesOf(followerId)
  }

  private fetch(
    followerId: number,
    leaderId: number,
    partitions: ReplicaFetchPartition[],
    maxWaitMs: number,
    maxBytes: number,
  ): Promise<ReplicaFetchResult[]> {
    return this.brokerCall(followerId, leaderId, 'fetch', (leader) => leader.replicas.serveReplicaFetch(followerId, partitions, maxWaitMs, maxBytes))
  }

  /** A transaction coordinator's markers to a partition leader, with a replica fetch's faults. */
  writeTxnMarkers(fromId: number, toId: number, markers: TxnMarkerSpec[]): Promise<TxnMarkerOutcome[]> {
    // The leader waits for its ISR less long than the coordinator waits for its answer.
    const appendTimeoutMs = Math.floor(this.opts.requestTimeoutMs / 2)
    return this.brokerCall(fromId, toId, 'markers', (leader) => writeTxnMarkers(leader, markers, appendTimeoutMs))
  }

  verifyTxnPartitions(fromId: number, toId: number, req: TxnVerifyRequest): Promise<TxnVerifyAnswer> {
    return this.brokerCall(fromId, toId, 'verify', (coordinator) => Promise.resolve(answerVerification(coordinator, req)))
  }

  /** One request from broker `fromId` to broker `toId`, served by `serve` on `toId`'s current incarnation. */
  private brokerCall<T>(fromId: number, toId: number, what: string, serve: (to: Broker) => Promise<T>): Promise<T> {
    return new Promise((resolve, reject) => {
      const call = this.open(fromId, toId, this.opts.requestTimeoutMs, reject)
      const linkUp = (): boolean => !this.isCut(fromId, toId)
      this.after(this.latencyMs(), call, () =>
        // The request waits on a cut link, and in the socket of a hung broker.
        this.when(call, () => linkUp() && !this.host.isPaused(toId), () => {
          const to = this.host.broker(toId)
          if (!to || !to.running) return call.fail(`broker ${toId} refused the connection`)
          serve(to).then(
            (results) =>
              // The broker sends once it runs; the answer crosses the link.
              this.when(call, () => !this.host.isPaused(toId), () =>
                this.after(this.latencyMs(), call, () => this.when(call, linkUp, () => call.succeed(() => resolve(results)))),
              ),
            (error: unknown) => call.fail(`broker ${toId} failed the ${what}: ${String(error)}`),
          )
        }),
      )
    })
  }

  /**
   * A client's request, answered by the broker's real handler from the registry: the body goes
   * through the codec both ways (encoded and decoded as the listener does, without a socket), so
   * the handler gets what a client's bytes decode to and the client what the response encodes to.
   * One connection per broker: requests arrive in the order they were sent (TCP), each after a
   * seeded latency; a crash resets it, a hung broker answers nothing, and the client gives up
   * after `timeoutMs`. `onDecoded` sees the request as the handler got it (a produced batch is
   * stamped there with its offset and leader epoch).
   */
  request<Response>(
    brokerId: number,
    api: { apiKey: number; version: number; clientId: string },
    body: unknown,
    timeoutMs: number,
    onDecoded?: (request: Record<string, unknown>) => void,
  ): Promise<Response> {
    return new Promise((resolve, reject) => {
      const call = this.open(CLIENT, brokerId, timeoutMs, reject)
      const arrivalMs = Math.max(this.sched.nowMs() + this.latencyMs(), this.clientArrivals.get(brokerId) ?? 0)
      this.clientArrivals.set(brokerId, arrivalMs)
      const correlationId = this.correlationId++
      const frame = Buffer.concat(encodeRequest(api.apiKey, api.version, correlationId, api.clientId, body)).subarray(4)
      this.after(arrivalMs - this.sched.nowMs(), call, () =>
        this.when(call, () => !this.host.isPaused(brokerId), () => {
          const broker = this.host.broker(brokerId)
          if (!broker || !broker.running) return call.fail(`broker ${brokerId} refused the connection`)
          const header = decodeRequestHeader(frame)
          const request = decodeRequestBody(header.apiKey, header.apiVersion, frame, header.bodyOffset)
          onDecoded?.(request)
          const handler = handlerFor(header.apiKey)
          if (!handler) return call.fail(`broker ${brokerId} has no handler for API ${header.apiKey}`)
          const context = { broker, apiVersion: header.apiVersion, correlationId, clientId: header.clientId, clientHost: 'sim' }
          Promise.resolve(handler.handle(context, request)).then(
            (response) => {
              // acks=0: no response (the client does not wait for one).
              const decoded = response === null ? null : decodeResponse(header.apiKey, header.apiVersion, Buffer.concat(encodeResponse(header.apiKey, header.apiVersion, correlationId, response)).subarray(4)).body
              this.when(call, () => !this.host.isPaused(brokerId), () => this.after(this.latencyMs(), call, () => call.succeed(() => resolve(decoded as Response))))
            },
            (error: unknown) => call.fail(`broker ${brokerId} closed the connection: ${String(error)}`),
          )
        }),
      )
    })
  }

  /**
   * A request from a broker to the controller (registration, AlterPartition). It waits while the
   * broker's controller link is cut; with a timeout, the broker gives up (and the request is lost).
   */
  toController<T>(brokerId: number, send: () => Promise<T>, timeoutMs: number | null): Promise<T> {
    return new Promise((resolve, reject) => {
      const call = this.open(brokerId, 0, timeoutMs, reject)
      this.after(this.latencyMs(), call, () =>
        this.when(call, () => !this.isControllerCut(brokerId), () => {
          send().then(
            (value) => this.after(this.latencyMs(), call, () => call.succeed(() => resolve(value))),
            (error: unknown) => call.fail(String(error)),
          )
        }),
      )
    })
  }
}

/** The producing clients' end of a connection (not a broker, never paused or crashed). */
const CLIENT = -1

function pairKey(a: number, b: number): string {
  return a < b ? `${a}-${b}` : `${b}-${a}`
}
