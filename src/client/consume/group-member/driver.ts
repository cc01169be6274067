/**
 * The I/O around a GroupMember (member.ts): runs its steps one at a time (requests to the
 * coordinator, the host's revoke and assign callbacks, waits), each request bounded by a
 * timeout, and serves the host's coordinator requests (OffsetFetch, OffsetCommit) with the
 * member's current coordinator and generation, feeding their failures back to the member.
 *
 * Coordinator connections are sluice's own (wire/pool.ts: frames and bodies by src/protocol),
 * from a pool of their own, as the Java consumer keeps a separate
 * connection to the coordinator: a heartbeat must not queue behind a long-poll Fetch to the same
 * broker, and a connection closed after a timeout must not cut the Fetcher's.
 */
import { ErrorCode, errorName } from '../../../protocol/errors.js'
import type { BrokerAddress, WireConnection } from '../../wire/connection.js'
import { WirePool } from '../../wire/pool.js'
import type { FetcherClient } from '../fetcher.js'
import * as api from './apis.js'
import type { TopicPartitions } from './consumer-protocol.js'
import { GroupMember, type CommitContext, type Coordinator, type MemberFailure, type MemberOptions, type RequestStep } from './member.js'

export interface GroupDriverOptions extends MemberOptions {
  /** Metadata (brokers, partition counts) comes from the data client. */
  client: Pick<FetcherClient, 'metadata'>
  clientId: string
  /** host:port, where FindCoordinator goes before any metadata is known. */
  bootstrapBrokers: string[]
  connectTimeoutMs: number
  /** The topic whose metadata lists the brokers. */
  topic: string
  /** Stop reading `partitions` and commit what stdout took; the member rejoins when it resolves. */
  onRevoke(partitions: TopicPartitions[]): Promise<void>
  /** A new assignment (the previous one was revoked before). */
  onAssigned(generationId: number, partitions: TopicPartitions[]): void
  onNote(message: string): void
  nowMs?: () => number
  /** Short requests (FindCoordinator, Heartbeat, OffsetCommit, OffsetFetch, LeaveGroup). */
  requestTimeoutMs?: number
  /**
   * OffsetFetch asks for stable offsets only (KIP-447, as Kafka's read_committed consumer does): an
   * offset committed in a transaction still open answers UNSTABLE_OFFSET_COMMIT, which fetchOffsets
   * throws for the caller to retry (the coordinator is fine, the member is not told).
   */
  requireStable?: boolean
}

export class GroupFailedError extends Error {
  /** The Kafka error code, where kafkaApiCode() looks for it. */
  readonly apiCode: number | undefined
  constructor(readonly failure: MemberFailure) {
    super(failure.message, { cause: failure.cause })
    this.apiCode = failure.errorCode
  }
}

const REQUEST_TIMEOUT_MS = 5_000
const METADATA_TIMEOUT_MS = 2_000
/** SLUICE_DEBUG=group traces the member's steps on stderr. */
const TRACE = /\bgroup\b/.test(process.env.SLUICE_DEBUG ?? '')

export class GroupDriver {
  readonly member: GroupMember
  private readonly pool: WirePool
  private wake: () => void = () => undefined
  private stopped = false
  /** Resolves on stop(): a request in flight (a JoinGroup held by the coordinator) is abandoned, not awaited. */
  private readonly stopSignal: Promise<void>
  private signalStop!: () => void
  private findAttempts = 0
  /** Where FindCoordinator goes, in turn. */
  private brokers: BrokerAddress[]
  private readonly now: () => number
  private readonly requestTimeoutMs: number

  constructor(private readonly opts: GroupDriverOptions) {
    this.member = new GroupMember(opts)
    this.brokers = opts.bootstrapBrokers.map((b) => {
      const i = b.lastIndexOf(':')
      return { host: b.slice(0, i), port: Number(b.slice(i + 1)) }
    })
    this.stopSignal = new Promise((resolve) => (this.signalStop = resolve))
    this.pool = new WirePool({ clientId: opts.clientId, connectTimeoutMs: opts.connectTimeoutMs, requestTimeoutMs: REQUEST_TIMEOUT_MS })
    this.now = opts.nowMs ?? Date.now
    this.requestTimeoutMs = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS
  }

  /** Runs until stop() (resolves) or a failure the member cannot retry (rejects with GroupFailedError). */
  async run(): Promise<void> {
    const m = this.member
    while (!this.stopped) {
      const step = m.next(this.now())
      this.drainNotes()
      if (TRACE && step.kind !== 'wait' && step.kind !== 'heartbeat') this.trace(step.kind, step.kind === 'failed' ? step.failure.message : '')
      switch (step.kind) {
        case 'stopped':
          return
        case 'failed':
          throw new GroupFailedError(step.failure)
        case 'wait': {
          const ms = step.untilMs - this.now()
          if (ms > 0) await this.sleep(ms)
          break
        }
        case 'revoke':
          await this.opts.onRevoke(step.partitions).catch(() => undefined)
          m.onRevoked()
          break
        case 'assigned':
          this.opts.onAssigned(step.generationId, step.partitions)
          break
        default:
          await Promise.race([this.perform(step), this.stopSignal])
      }
    }
  }

  /** Ends the loop; LeaveGroup (bounded) when the member has an id; closes the coordinator connections. */
  async stop(leave: boolean): Promise<void> {
    this.stopped = true
    const who = this.member.stop()
    this.wake()
    this.signalStop()
    if (leave && who) {
      await this.bounded(this.requestTimeoutMs, async () => api.leaveGroup(await this.connect(who.coordinator), { groupId: this.opts.groupId, memberId: who.memberId })).catch(
        () => undefined,
      )
    }
    this.pool.close()
  }

  /**
   * The group's committed offsets for `partitions` of the topic (-1: none). Throws when the
   * coordinator is unknown or fails (the member is told, and looks it up again).
   */
  async fetchOffsets(topic: string, partitions: number[]): Promise<Map<number, number>> {
    const ctx = this.member.commitContext()
    if (!ctx) throw new Error(`group "${this.opts.groupId}" has no coordinator at the moment`)
    let r: api.OffsetFetchResult
    try {
      r = await this.bounded(this.requestTimeoutMs, async () => api.offsetFetch(await this.connect(ctx.coordinator), { groupId: this.opts.groupId, topic, partitions, requireStable: this.opts.requireStable === true }))
    } catch (err) {
      this.member.onCommitFailed(ctx, { cause: err }, this.now())
      this.wake()
      throw err
    }
    const code = r.errorCode !== ErrorCode.NONE ? r.errorCode : (r.partitions.find((p) => p.errorCode !== ErrorCode.NONE)?.errorCode ?? ErrorCode.NONE)
    if (code !== ErrorCode.NONE) {
      this.member.onCommitFailed(ctx, { errorCode: code }, this.now())
      this.wake()
      throw Object.assign(new Error(`OffsetFetch: ${errorName(code)}`), { apiCode: code })
    }
    return new Map(r.partitions.map((p) => [p.partition, p.offset]))
  }

  /**
   * Commits `offsets` as the current member and generation. Returns false without a request when
   * there is no coordinator or generation now; throws when the commit fails (the member is told).
   */
  async commit(topic: string, offsets: { partition: number; offset: number }[]): Promise<boolean> {
    const ctx: CommitContext | null = this.member.commitContext()
    if (!ctx) return false
    let r: api.CommitResult
    try {
      r = await this.bounded(this.requestTimeoutMs, async () =>
        api.offsetCommit(await this.connect(ctx.coordinator), { groupId: this.opts.groupId, generationId: ctx.generationId, memberId: ctx.memberId, topic, offsets }),
      )
    } catch (err) {
      this.member.onCommitFailed(ctx, { cause: err }, this.now())
      this.wake()
      throw err
    }
    const code = r.errorCodes.find((c) => c !== 0)
    if (code !== undefined) {
      this.member.onCommitFailed(ctx, { errorCode: code }, this.now())
      this.wake()
      throw Object.assign(new Error(`OffsetCommit: ${errorName(code)}`), { apiCode: code })
    }
    return true
  }

  private async perform(step: RequestStep): Promise<void> {
    const m = this.member
    try {
      switch (step.kind) {
        case 'findCoordinator': {
          const found = await this.bounded(this.requestTimeoutMs, () => this.findCoordinator())
          m.onFindCoordinator(step, found, this.now())
          break
        }
        case 'join': {
          const conn = await this.connect(step.coordinator)
          // The coordinator holds a JoinGroup until every member has rejoined: up to the rebalance timeout.
          const r = await this.bounded(this.opts.rebalanceTimeoutMs + this.requestTimeoutMs, () => api.joinGroup(conn, step.request), conn)
          if (TRACE && r.errorCode !== ErrorCode.NONE) this.trace('join answered', errorName(r.errorCode))
          m.onJoin(step, r, this.now())
          break
        }
        case 'metadata': {
          // A check runs between heartbeats: bounded so that a slow answer cannot cost the session.
          const timeoutMs = step.purpose === 'check' ? Math.min(this.requestTimeoutMs, Math.floor(this.opts.sessionTimeoutMs / 3)) : this.requestTimeoutMs
          m.onMetadata(step, await this.partitionCounts(step.topics, timeoutMs), this.now())
          break
        }
        case 'sync': {
          const conn = await this.connect(step.coordinator)
          const r = await this.bounded(this.opts.rebalanceTimeoutMs + this.requestTimeoutMs, () => api.syncGroup(conn, step.request), conn)
          if (TRACE && r.errorCode !== ErrorCode.NONE) this.trace('sync answered', errorName(r.errorCode))
          m.onSync(step, r, this.now())
          break
        }
        case 'heartbeat': {
          const conn = await this.connect(step.coordinator)
          // No answer within the session: the session is over anyway, find the coordinator again.
          const code = await this.bounded(Math.min(this.requestTimeoutMs, this.opts.sessionTimeoutMs), () => api.heartbeat(conn, step.request), conn)
          if (TRACE && code !== ErrorCode.NONE) this.trace('heartbeat answered', errorName(code))
          m.onHeartbeat(step, code, this.now())
          break
        }
      }
    } catch (err) {
      if (TRACE) this.trace(`${step.kind} failed`, err instanceof Error ? err.message : String(err))
      m.onRequestFailed(step, err, this.now())
    }
  }

  /**
   * FindCoordinator on the brokers in turn. The broker list comes from the metadata (refreshed
   * after a failure, bounded: a broker that accepts connections but answers nothing must not stall
   * the lookup), else the last list known, else the bootstrap servers.
   */
  private async findCoordinator(): Promise<api.FoundCoordinator> {
    const attempt = this.findAttempts++
    try {
      const md = await this.bounded(METADATA_TIMEOUT_MS, () => this.opts.client.metadata({ topics: [this.opts.topic], forceUpdate: attempt > 0 }))
      if (md.brokers.size > 0) this.brokers = [...md.brokers.values()]
    } catch {
      // The brokers known so far.
    }
    const conn = await this.pool.get(this.brokers[attempt % this.brokers.length]!)
    const found = await api.findCoordinator(conn, this.opts.groupId)
    if (found.errorCode === ErrorCode.NONE) this.findAttempts = 0
    return found
  }

  private async partitionCounts(topics: string[], timeoutMs: number): Promise<Map<string, number>> {
    const counts = new Map<string, number>()
    const read = async (ts: string[]): Promise<void> => {
      const md = await this.bounded(timeoutMs, () => this.opts.client.metadata({ topics: ts, forceUpdate: true }))
      for (const t of ts) {
        const n = md.topics.get(t)?.partitionsCount
        if (n !== undefined) counts.set(t, n)
      }
    }
    try {
      await read(topics)
    } catch {
      // One unknown topic fails the whole request: ask for each alone (unknown ones get nothing).
      for (const t of topics) await read([t]).catch(() => undefined)
      if (counts.size === 0 && topics.length > 0) throw new Error(`no metadata for ${topics.join(', ')}`)
    }
    return counts
  }

  private connect(c: Coordinator): Promise<WireConnection> {
    return this.pool.get({ host: c.host, port: c.port })
  }

  /** `work()`, or a rejection after `ms`; a connection that timed out is closed (its queue is stuck). */
  private bounded<T>(ms: number, work: () => Promise<T>, conn?: WireConnection): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const promise = work()
    promise.catch(() => undefined)
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        if (conn) conn.close()
        reject(new Error(`no answer in ${ms} ms`))
      }, ms)
    })
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      function done(): void {
        clearTimeout(timer)
        resolve()
      }
      this.wake = done
    })
  }

  private trace(what: string, detail: string): void {
    const m = this.member
    process.stderr.write(`sluice: [group ${new Date(this.now()).toISOString().slice(11, 23)}] ${what} ${detail} (${m.state} ${m.memberId} gen ${m.generationId})\n`)
  }

  private drainNotes(): void {
    for (const n of this.member.notes.splice(0)) this.opts.onNote(n)
  }
}

