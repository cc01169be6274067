/**
 * The control socket server: newline-delimited JSON requests dispatched to a handler per method
 * of a contract (src/common/control-contract.ts: the daemon serves `ControlMethods`), plus
 * server-push subscriptions fed by a ControlEvents emitter.
 *
 * The daemon and the cluster add their methods with serve() and feed events with
 * events.publish(); nothing here knows what the methods do.
 */
import { EventEmitter } from 'node:events'
import fs from 'node:fs'
import net from 'node:net'
import {
  CONTROL_LINE_BYTES_MAX,
  type ControlErrorBody,
  type ControlEventMessage,
  type ControlMethods,
  type MethodMap,
  type RequestId,
  type SubscriptionMethod,
} from '../common/control-contract.js'
import type { Logger } from '../common/logger.js'

export interface ControlEvent {
  type: string
  data: unknown
}

/** What the runtime publishes to; every subscriber whose filter matches gets the event. */
export class ControlEvents extends EventEmitter {
  constructor() {
    super()
    // One listener per subscription; bounded by the server's own limits, not by this warning.
    this.setMaxListeners(0)
  }

  publish(type: string, data: unknown = {}): void {
    this.emit('event', { type, data } satisfies ControlEvent)
  }
}

export interface ControlContext {
  readonly connectionId: number
  readonly requestId: RequestId
  /** Runs once the response to this request has been written (e.g. start streaming, or stop). */
  afterResponse(fn: () => void): void
}

/**
 * The handler of method M of contract C. Its params are typed as the contract's client sends
 * them, but they come off a socket: a handler checks what it relies on.
 */
export type ControlHandler<M extends keyof C, C extends MethodMap = ControlMethods> = (
  params: C[M]['params'],
  ctx: ControlContext,
) => C[M]['result'] | Promise<C[M]['result']>

/** A handler for each of the methods K of contract C: a missing or misnamed one does not compile. */
export type ControlHandlers<K extends keyof C, C extends MethodMap = ControlMethods> = { [M in K]: ControlHandler<M, C> }

/** Every contract a ControlServer serves has the subscription methods, which it serves itself. */
export type ServedContract = MethodMap & Pick<ControlMethods, SubscriptionMethod>

type AnyHandler = (params: object, ctx: ControlContext) => unknown

/** A handler throws this to answer with a specific error code. */
export class ControlMethodError extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.name = 'ControlMethodError'
    this.code = code
  }
}

export interface ControlServerOptions {
  log: Logger
  events?: ControlEvents
  /** A client that stops reading is dropped once this much output is queued for it. */
  backlogBytesMax?: number
  connectionsMax?: number
  subscriptionsPerConnectionMax?: number
}

function errorBody(err: unknown): ControlErrorBody {
  if (err instanceof ControlMethodError) return { code: err.code, message: err.message }
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code
    // Typed errors (SluiceError and the like) carry string codes that are meant for the client.
    return { code: typeof code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(code) ? code : 'INTERNAL', message: err.message }
  }
  return { code: 'INTERNAL', message: String(err) }
}

function matches(filter: string[] | undefined, type: string): boolean {
  if (filter === undefined) return true
  return filter.some((f) => (f.endsWith('.') ? type.startsWith(f) : type === f))
}

class Connection<C extends ServedContract> {
  private pending = ''
  private readonly subscriptions = new Map<RequestId, (e: ControlEvent) => void>()

  constructor(
    readonly id: number,
    private readonly socket: net.Socket,
    private readonly server: ControlServer<C>,
    private readonly opts: Required<Omit<ControlServerOptions, 'events' | 'log'>> & { log: Logger },
  ) {
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => this.onData(chunk))
    socket.on('error', () => socket.destroy())
    socket.on('close', () => this.dispose())
  }

  private onData(chunk: string): void {
    this.pending += chunk
    let nl: number
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      const line = this.pending.slice(0, nl)
      this.pending = this.pending.slice(nl + 1)
      if (line.trim() !== '') void this.onLine(line)
    }
    if (this.pending.length > CONTROL_LINE_BYTES_MAX) {
      this.send({ id: null, error: { code: 'BAD_REQUEST', message: 'request line too long' } })
      this.socket.end()
    }
  }

  private async onLine(line: string): Promise<void> {
    let req: unknown
    try {
      req = JSON.parse(line)
    } catch {
      this.send({ id: null, error: { code: 'BAD_REQUEST', message: 'request is not valid JSON' } })
      return
    }
    const { id, method, params } = (req ?? {}) as { id?: unknown; method?: unknown; params?: unknown }
    if ((typeof id !== 'number' && typeof id !== 'string') || typeof method !== 'string') {
      const safeId = typeof id === 'number' || typeof id === 'string' ? id : null
      this.send({ id: safeId, error: { code: 'BAD_REQUEST', message: 'a request needs an id and a method' } })
      return
    }
    if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) {
      this.send({ id, error: { code: 'BAD_REQUEST', message: 'params must be an object' } })
      return
    }
    const handler = this.server.handler(method)
    if (handler === undefined) {
      this.send({ id, error: { code: 'UNKNOWN_METHOD', message: `unknown method ${JSON.stringify(method)}` } })
      return
    }
    const after: Array<() => void> = []
    const ctx: ControlContext = { connectionId: this.id, requestId: id, afterResponse: (fn) => after.push(fn) }
    try {
      const result = await handler((params ?? {}) as Record<string, unknown>, ctx)
      this.send({ id, result: result ?? null })
    } catch (err) {
      const body = errorBody(err)
      if (body.code === 'INTERNAL') this.opts.log.error('control method failed', { method, err })
      this.send({ id, error: body })
      return
    }
    for (const fn of after) fn()
  }

  subscribe(id: RequestId, filter: string[] | undefined, events: ControlEvents): void {
    if (this.subscriptions.has(id)) throw new ControlMethodError('BAD_REQUEST', `subscription ${id} exists`)
    if (this.subscriptions.size >= this.opts.subscriptionsPerConnectionMax) {
      throw new ControlMethodError('BAD_REQUEST', 'too many subscriptions on one connection')
    }
    const listener = (e: ControlEvent): void => {
      if (matches(filter, e.type)) this.send({ subscription: id, event: e.type, data: e.data } satisfies ControlEventMessage)
    }
    this.subscriptions.set(id, listener)
    events.on('event', listener)
  }

  unsubscribe(id: RequestId, events: ControlEvents): boolean {
    const listener = this.subscriptions.get(id)
    if (listener === undefined) return false
    events.off('event', listener)
    this.subscriptions.delete(id)
    return true
  }

  send(msg: object): void {
    if (this.socket.destroyed || !this.socket.writable) return
    let line: string
    try {
      line = JSON.stringify(msg) + '\n'
    } catch (err) {
      const id = 'id' in msg ? (msg as { id: RequestId | null }).id : null
      line = JSON.stringify({ id, error: { code: 'INTERNAL', message: `unserializable result: ${String(err)}` } }) + '\n'
    }
    this.socket.write(line)
    if (this.socket.writableLength > this.opts.backlogBytesMax) {
      this.opts.log.warn('control client is not reading; dropping it', { connection: this.id })
      this.socket.destroy()
    }
  }

  destroy(): void {
    this.socket.destroy()
  }

  private dispose(): void {
    for (const id of [...this.subscriptions.keys()]) this.unsubscribe(id, this.server.events)
    this.server.forget(this)
  }
}

export class ControlServer<C extends ServedContract = ControlMethods> {
  readonly events: ControlEvents
  private readonly handlers = new Map<string, AnyHandler>()
  private readonly connections = new Map<number, Connection<C>>()
  private readonly opts: Required<Omit<ControlServerOptions, 'events' | 'log'>> & { log: Logger }
  private server: net.Server | undefined
  private socketPath: string | undefined
  private nextConnectionId = 1

  constructor(opts: ControlServerOptions) {
    this.events = opts.events ?? new ControlEvents()
    this.opts = {
      log: opts.log,
      backlogBytesMax: opts.backlogBytesMax ?? 8 << 20,
      connectionsMax: opts.connectionsMax ?? 256,
      subscriptionsPerConnectionMax: opts.subscriptionsPerConnectionMax ?? 32,
    }
    const own: ControlHandlers<SubscriptionMethod> = {
      subscribe: (params, ctx) => {
        const events: unknown = params.events
        if (events !== undefined && !(Array.isArray(events) && events.every((e) => typeof e === 'string'))) {
          throw new ControlMethodError('BAD_REQUEST', 'events must be an array of strings')
        }
        const conn = this.connections.get(ctx.connectionId)
        // Start streaming only after the response, so a client never sees an event before its ack.
        ctx.afterResponse(() => conn?.subscribe(ctx.requestId, events as string[] | undefined, this.events))
        return { subscription: ctx.requestId }
      },
      unsubscribe: (params, ctx) => {
        const id: unknown = params.subscription
        if (typeof id !== 'number' && typeof id !== 'string') {
          throw new ControlMethodError('BAD_REQUEST', 'subscription must be a request id')
        }
        return { unsubscribed: this.connections.get(ctx.connectionId)?.unsubscribe(id, this.events) ?? false }
      },
    }
    for (const [method, handler] of Object.entries(own)) this.handlers.set(method, handler as AnyHandler)
  }

  /** Serves a handler per method; a method is served once. */
  serve<K extends keyof C & string>(handlers: ControlHandlers<K, C>): void {
    for (const method of Object.keys(handlers) as K[]) this.register(method, handlers[method])
  }

  register<M extends keyof C & string>(method: M, handler: ControlHandler<M, C>): void {
    if (this.handlers.has(method)) throw new Error(`control method ${method} is already registered`)
    this.handlers.set(method, handler as AnyHandler)
  }

  handler(method: string): AnyHandler | undefined {
    return this.handlers.get(method)
  }

  /** Listens on a Unix socket, mode 0600. The caller holds the home's lock, so a leftover file is stale. */
  async listen(socketPath: string): Promise<void> {
    if (this.server) throw new Error('control server already listening')
    fs.rmSync(socketPath, { force: true })
    const server = net.createServer((socket) => this.accept(socket))
    // The socket file is created with the process umask: tighten it so that no other user can
    // connect in the moment before the chmod below.
    const umask = process.umask(0o077)
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(socketPath, () => {
          server.off('error', reject)
          resolve()
        })
      })
    } finally {
      process.umask(umask)
    }
    fs.chmodSync(socketPath, 0o600)
    server.on('error', (err) => this.opts.log.error('control socket error', { err }))
    this.server = server
    this.socketPath = socketPath
  }

  private accept(socket: net.Socket): void {
    if (this.connections.size >= this.opts.connectionsMax) {
      socket.end(JSON.stringify({ id: null, error: { code: 'BAD_REQUEST', message: 'too many control connections' } }) + '\n')
      return
    }
    const id = this.nextConnectionId++
    this.connections.set(id, new Connection(id, socket, this, this.opts))
  }

  forget(conn: Connection<C>): void {
    this.connections.delete(conn.id)
  }

  get connectionCount(): number {
    return this.connections.size
  }

  /** Stops accepting, drops every connection (subscribers included), removes the socket file. */
  async close(): Promise<void> {
    const server = this.server
    if (!server) return
    this.server = undefined
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    for (const conn of this.connections.values()) conn.destroy()
    await closed
    if (this.socketPath) fs.rmSync(this.socketPath, { force: true })
  }
}
