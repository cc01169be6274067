/**
 * A Kafka client connection built on sluice's own codec (src/protocol) and a plain socket: the
 * short commands (`topic list`, ...) use it instead of @platformatic/kafka, whose import alone
 * (about 200 modules, and JSON schemas compiled at load) costs a CLI call half a second of CPU.
 *
 * One socket, requests pipelined with correlation ids, each with its own timeout. The API versions
 * come from the broker's ApiVersions answer (v0: every Kafka since 0.10 answers it): a request
 * goes out at the highest version both sides speak, within what the caller can read.
 *
 * Network failures reject with a WireError whose `code` is the socket's (ECONNREFUSED...) or
 * ETIMEDOUT / ECONNRESET; kafka.ts maps those to CLUSTER_UNREACHABLE. Kafka error codes in an
 * answer are the caller's to read: a response is returned as the broker sent it.
 */
import net from 'node:net'
import { apiVersionsApi } from '../../protocol/messages/18-api-versions.js'
import { FrameDecoder } from '../../protocol/frame-decoder.js'
import { decodeResponse, encodeRequest } from '../../protocol/frame.js'
import type { ApiSchema, Decoded, Input } from '../../protocol/schema.js'

export class WireError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

export interface BrokerAddress {
  host: string
  port: number
}

interface Pending {
  api: ApiSchema
  version: number
  timer: NodeJS.Timeout
  resolve(body: unknown): void
  reject(err: Error): void
}

export class WireConnection {
  private readonly decoder = new FrameDecoder()
  private readonly pending = new Map<number, Pending>()
  private nextCorrelationId = 1
  private closedBy: Error | undefined
  /** apiKey -> [min, max] the broker speaks. */
  private versions = new Map<number, [number, number]>()

  private constructor(
    private readonly socket: net.Socket,
    readonly address: BrokerAddress,
    private readonly clientId: string,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', (err: NodeJS.ErrnoException) => this.fail(new WireError(err.code ?? 'ECONNRESET', `${this.where()}: ${err.message}`, { cause: err })))
    socket.on('close', () => this.fail(new WireError('ECONNRESET', `${this.where()}: the broker closed the connection`)))
  }

  /** Connects and asks the broker which API versions it speaks. */
  static async open(address: BrokerAddress, opts: { clientId: string; connectTimeoutMs: number; requestTimeoutMs: number }): Promise<WireConnection> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host: address.host, port: address.port, noDelay: true })
      const timer = setTimeout(() => {
        s.destroy()
        reject(new WireError('ETIMEDOUT', `${address.host}:${address.port}: no connection within ${opts.connectTimeoutMs} ms`))
      }, opts.connectTimeoutMs)
      s.once('connect', () => {
        clearTimeout(timer)
        s.removeAllListeners('error')
        resolve(s)
      })
      s.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer)
        reject(new WireError(err.code ?? 'ECONNREFUSED', `${address.host}:${address.port}: ${err.message}`, { cause: err }))
      })
    })
    const connection = new WireConnection(socket, address, opts.clientId)
    try {
      const answer = await connection.send(apiVersionsApi, 0, {}, opts.requestTimeoutMs)
      for (const k of answer.apiKeys) connection.versions.set(k.apiKey, [k.minVersion, k.maxVersion])
    } catch (err) {
      connection.close()
      throw err
    }
    return connection
  }

  /** True once the socket is gone (the broker closed it, or close()): a pool opens another. */
  get isClosed(): boolean {
    return this.closedBy !== undefined
  }

  /** The highest version of `api` both sides speak, from `min` to `max`; undefined when none. */
  version(api: ApiSchema, max = api.maxVersion, min = api.minVersion): number | undefined {
    const theirs = this.versions.get(api.apiKey)
    if (theirs === undefined) return undefined
    const v = Math.min(theirs[1], max, api.maxVersion)
    return v >= Math.max(theirs[0], min, api.minVersion) ? v : undefined
  }

  /** One request at the best common version (from `min`, the oldest whose answer the caller reads, to `max`). */
  request<A extends ApiSchema>(api: A, body: Input<A['request']>, opts: { timeoutMs: number; max?: number; min?: number }): Promise<Decoded<A['response']>> {
    const version = this.version(api, opts.max, opts.min)
    if (version === undefined) {
      return Promise.reject(
        new WireError('UNSUPPORTED_VERSION', `${this.where()}: the broker does not speak ${api.name} (versions ${opts.min ?? api.minVersion}-${opts.max ?? api.maxVersion})`),
      )
    }
    return this.send(api, version, body, opts.timeoutMs)
  }

  /** A request the broker does not answer (Produce with acks=0): resolves once it is written. */
  requestNoResponse<A extends ApiSchema>(api: A, body: Input<A['request']>, opts: { timeoutMs: number; max?: number }): Promise<void> {
    const version = this.version(api, opts.max)
    if (version === undefined) return Promise.reject(new WireError('UNSUPPORTED_VERSION', `${this.where()}: the broker does not speak ${api.name}`))
    if (this.closedBy !== undefined) return Promise.reject(this.closedBy)
    const chunks = encodeRequest(api, version, this.nextCorrelationId++, this.clientId, body)
    return new Promise((resolve, reject) => {
      for (let i = 0; i < chunks.length - 1; i++) this.socket.write(chunks[i]!)
      this.socket.write(chunks[chunks.length - 1]!, (err) => (err ? reject(new WireError('EPIPE', `${this.where()}: ${err.message}`, { cause: err })) : resolve()))
    })
  }

  private send<A extends ApiSchema>(api: A, version: number, body: Input<A['request']>, timeoutMs: number): Promise<Decoded<A['response']>> {
    if (this.closedBy !== undefined) return Promise.reject(this.closedBy)
    const correlationId = this.nextCorrelationId++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId)
        reject(new WireError('ETIMEDOUT', `${this.where()}: no answer to ${api.name} within ${timeoutMs} ms`))
      }, timeoutMs)
      this.pending.set(correlationId, { api, version, timer, resolve: resolve as (body: unknown) => void, reject })
      for (const chunk of encodeRequest(api, version, correlationId, this.clientId, body)) this.socket.write(chunk)
    })
  }

  close(): void {
    this.fail(new WireError('ECONNRESET', `${this.where()}: connection closed`))
    this.socket.destroy()
  }

  private where(): string {
    return `${this.address.host}:${this.address.port}`
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[]
    try {
      frames = this.decoder.push(chunk)
    } catch (err) {
      this.fail(new WireError('ECONNRESET', `${this.where()}: a malformed answer: ${(err as Error).message}`, { cause: err }))
      this.socket.destroy()
      return
    }
    for (const frame of frames) {
      const correlationId = frame.readInt32BE(0)
      const p = this.pending.get(correlationId)
      if (p === undefined) continue // its request timed out
      this.pending.delete(correlationId)
      clearTimeout(p.timer)
      try {
        p.resolve(decodeResponse(p.api, p.version, frame).body)
      } catch (err) {
        p.reject(new WireError('ECONNRESET', `${this.where()}: a malformed ${p.api.name} answer: ${(err as Error).message}`, { cause: err }))
      }
    }
  }

  /** Fails every request in flight (once): the connection is gone. */
  private fail(err: Error): void {
    if (this.closedBy !== undefined) return
    this.closedBy = err
    for (const p of this.pending.values()) {
      clearTimeout(p.timer)
      p.reject(err)
    }
    this.pending.clear()
  }
}
