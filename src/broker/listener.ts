/**
 * A broker's Kafka listener: TCP, framing, dispatch to the handler registry, and responses written
 * in request order.
 *
 * Requests on one connection are started as they arrive (so pipelined produces reach the log in
 * order and share LevelDB writes) and answered strictly in order, as Kafka clients require.
 * Anything that cannot be decoded, an unknown API or an unsupported version closes that one
 * connection; every other connection and the logs are untouched. A connection idle (nothing read
 * or written, no request being served) for `connections.max.idle.ms` is closed, as Kafka's
 * selector does: a client that sent half a frame and went silent does not hold a socket forever.
 */
import net from 'node:net'
import { FrameDecoder, decodeRequestBody, decodeRequestHeader, encodeResponse } from '../protocol/frame.js'
import { ErrorCode } from '../protocol/errors.js'
import { brokerConfig } from '../cluster/configs.js'
import type { Broker } from './broker.js'
import { handlerFor } from './handler.js'
import { apiVersionsBody } from './handlers/18-api-versions.js'
import { errorResponse } from './error-response.js'
import './handlers/index.js'
import { ApiKey } from '../protocol/api-keys.js'

/** Faults at a broker's listener (the fault injector implements this). */
export interface ListenerFaults {
  delayMs(brokerId: number): number
  takeError(brokerId: number, apiKey: number): number | null
}

/** Kafka's socket.request.max.bytes default: a frame larger than this closes the connection. */
export const MAX_FRAME_BYTES = 100 * 1024 * 1024
/** Requests started but not yet answered on one connection before reading pauses. */
const MAX_IN_FLIGHT = 512
const GATE_POLL_MS = 50
/** The idle check runs at a quarter of connections.max.idle.ms, within these bounds. */
const IDLE_CHECK_MIN_MS = 10
const IDLE_CHECK_MAX_MS = 5_000

interface ConnectionActivity {
  lastActiveMs: number
  /** Requests received and not yet answered: a connection waiting on the broker is not idle. */
  inFlight: () => number
}

type Pending = { done: boolean; chunks: Buffer[] | null; failed: boolean }

export class KafkaListener {
  private server: net.Server | null = null
  private readonly sockets = new Set<net.Socket>()
  private readonly activity = new Map<net.Socket, ConnectionActivity>()
  private idleTimer: NodeJS.Timeout | null = null
  /** Requests dispatched to a handler since the listener was made (the TUI shows requests/s). */
  requests = 0

  constructor(
    private readonly broker: Broker,
    private readonly faults: ListenerFaults | null = null,
  ) {}

  get connections(): number {
    return this.sockets.size
  }

  async listen(): Promise<void> {
    const server = net.createServer({ noDelay: true }, (socket) => this.accept(socket))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.broker.port, this.broker.host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    this.server = server
    this.scheduleIdleCheck()
  }

  private idleMs(): number {
    return Number(brokerConfig(this.broker.cluster.image, 'connections.max.idle.ms'))
  }

  /** Re-reads the config at every check (at most IDLE_CHECK_MAX_MS apart), so an altered value applies without a restart. */
  private scheduleIdleCheck(): void {
    const everyMs = Math.min(Math.max(Math.floor(this.idleMs() / 4), IDLE_CHECK_MIN_MS), IDLE_CHECK_MAX_MS)
    this.idleTimer = setTimeout(() => {
      if (!this.server) return
      this.closeIdle()
      this.scheduleIdleCheck()
    }, everyMs)
    this.idleTimer.unref()
  }

  private closeIdle(): void {
    const idleMs = this.idleMs()
    const nowMs = Date.now()
    for (const [socket, a] of this.activity) {
      if (a.inFlight() > 0 || nowMs - a.lastActiveMs < idleMs) continue
      this.broker.log.info('closing idle connection', { broker: this.broker.id, client: socket.remoteAddress ?? 'unknown', idleMs })
      socket.destroy()
    }
  }

  /** Stops accepting and drops every open connection at once (a crash, as clients see it). */
  async close(): Promise<void> {
    const server = this.server
    this.server = null
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.idleTimer = null
    for (const socket of this.sockets) socket.destroy()
    this.sockets.clear()
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket)
    const decoder = new FrameDecoder(MAX_FRAME_BYTES)
    const queue: Pending[] = []
    const clientHost = socket.remoteAddress ?? 'unknown'
    const activity: ConnectionActivity = { lastActiveMs: Date.now(), inFlight: () => queue.length + backlog.length }
    this.activity.set(socket, activity)
    const log = this.broker.log

    const fail = (reason: string): void => {
      log.warn('closing connection', { broker: this.broker.id, client: clientHost, reason })
      socket.destroy()
    }

    // A paused (hung) broker keeps its connections but answers nothing: frames and responses
    // wait here until it resumes.
    const backlog: Buffer[] = []
    let gateTimer: NodeJS.Timeout | null = null
    const gate = (): void => {
      if (gateTimer) return
      gateTimer = setTimeout(() => {
        gateTimer = null
        if (socket.destroyed) return
        if (this.broker.state === 'paused') return gate()
        while (backlog.length > 0 && !socket.destroyed) dispatchSafely(backlog.shift()!)
        flush()
        if (!socket.destroyed && queue.length < MAX_IN_FLIGHT) socket.resume()
      }, GATE_POLL_MS)
    }

    const flush = (): void => {
      if (this.broker.state === 'paused') return gate()
      while (queue.length > 0 && queue[0]!.done) {
        const head = queue.shift()!
        if (head.failed) return
        if (head.chunks) {
          activity.lastActiveMs = Date.now()
          socket.cork()
          for (const chunk of head.chunks) socket.write(chunk)
          process.nextTick(() => socket.uncork())
        }
      }
      if (socket.isPaused() && queue.length < MAX_IN_FLIGHT / 2 && !socket.destroyed) socket.resume()
    }

    const dispatch = (frame: Buffer): void => {
      const header = decodeRequestHeader(frame)
      const handler = handlerFor(header.apiKey)
      const pending: Pending = { done: false, chunks: null, failed: false }
      queue.push(pending)
      if (!handler || header.apiVersion < handler.minVersion || header.apiVersion > handler.maxVersion) {
        if (header.apiKey === ApiKey.ApiVersions) {
          // A newer ApiVersions than ours: answer v0 with the ranges, so the client can pick one.
          pending.chunks = encodeResponse(ApiKey.ApiVersions, 0, header.correlationId, apiVersionsBody(ErrorCode.UNSUPPORTED_VERSION))
          pending.done = true
          flush()
          return
        }
        pending.done = pending.failed = true
        fail(handler ? `unsupported version ${header.apiVersion} of API ${header.apiKey}` : `unknown API key ${header.apiKey}`)
        return
      }
      const request = decodeRequestBody(header.apiKey, header.apiVersion, frame, header.bodyOffset)
      this.requests++
      const ctx = {
        broker: this.broker,
        apiVersion: header.apiVersion,
        correlationId: header.correlationId,
        clientId: header.clientId,
        clientHost,
      }
      let result: unknown
      try {
        const injected = this.faults?.takeError(this.broker.id, header.apiKey) ?? null
        const isAcks0 = header.apiKey === ApiKey.Produce && (request as { acks?: number }).acks === 0
        result = injected !== null ? (isAcks0 ? null : errorResponse(handler.api, header.apiVersion, request, injected)) : handler.handle(ctx, request)
      } catch (error) {
        pending.done = pending.failed = true
        fail(`${handler.name} v${header.apiVersion} failed: ${String(error)}`)
        return
      }
      const delayMs = this.faults?.delayMs(this.broker.id) ?? 0
      const respond = (body: unknown): void => {
        if (delayMs > 0) {
          setTimeout(() => finish(body), delayMs)
          return
        }
        finish(body)
      }
      const finish = (body: unknown): void => {
        try {
          pending.chunks = body === null ? null : encodeResponse(header.apiKey, header.apiVersion, header.correlationId, body)
        } catch (error) {
          pending.done = pending.failed = true
          fail(`${handler.name} v${header.apiVersion} response could not be encoded: ${String(error)}`)
          return
        }
        pending.done = true
        flush()
      }
      if (result instanceof Promise) {
        result.then(respond, (error: unknown) => {
          pending.done = pending.failed = true
          fail(`${handler.name} v${header.apiVersion} failed: ${String(error)}`)
        })
      } else {
        respond(result)
      }
    }

    const dispatchSafely = (frame: Buffer): void => {
      try {
        dispatch(frame)
      } catch (error) {
        fail(`bad frame: ${error instanceof Error ? error.message : String(error)}`)
      }
    }

    socket.on('data', (chunk: Buffer) => {
      activity.lastActiveMs = Date.now()
      let frames: Buffer[]
      try {
        frames = decoder.push(chunk)
      } catch (error) {
        fail(`bad frame: ${error instanceof Error ? error.message : String(error)}`)
        return
      }
      for (const frame of frames) {
        if (socket.destroyed) return
        if (this.broker.state === 'paused' || backlog.length > 0) {
          backlog.push(frame)
          socket.pause()
          gate()
        } else {
          dispatchSafely(frame)
        }
      }
      if (queue.length >= MAX_IN_FLIGHT) socket.pause()
    })
    socket.on('error', () => undefined)
    socket.on('close', () => {
      this.sockets.delete(socket)
      this.activity.delete(socket)
      if (gateTimer) clearTimeout(gateTimer)
    })
  }
}
