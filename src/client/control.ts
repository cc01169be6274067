/**
 * Client of the daemon's control socket (the contract and its wire format are in
 * common/control-contract.ts): calls typed by method and matched by id, and subscriptions that
 * stream events until closed.
 */
import net from 'node:net'
import path from 'node:path'
import { SluiceError } from '../common/errors.js'
import type {
  ControlEventMessage,
  ControlMethods,
  ControlResponse,
  DaemonStatus,
  Method,
  MethodMap,
  Params,
  RequestId,
  Result,
  SubscribeParams,
  SubscriptionMethod,
} from '../common/control-contract.js'
import { displayHome, homePaths } from './home.js'

export type { ControlEventMessage, DaemonStatus }

/** Every contract a ControlClient speaks has the subscription methods (the server serves them itself). */
export type ClientContract = MethodMap & Pick<ControlMethods, SubscriptionMethod>

export interface CallOptions {
  /** How long to wait for the answer; the daemon is local, so seconds mean it is wedged. */
  timeoutMs?: number
}

export interface Subscription {
  readonly id: RequestId
  unsubscribe(): Promise<void>
}

interface Pending {
  resolve(result: unknown): void
  reject(err: Error): void
  timer: NodeJS.Timeout | undefined
}

const CONNECT_TIMEOUT_MS = 2_000
const CALL_TIMEOUT_MS = 10_000

function notRunning(socketPath: string, cause?: unknown): SluiceError {
  const home = displayHome(path.dirname(socketPath))
  return new SluiceError('DAEMON_NOT_RUNNING', `the daemon is not running (home ${home})`, { cause })
}

/** The socket (mode 0600) or its home belongs to another user: say so, not "internal error". */
export function permissionDenied(socketPath: string, cause?: unknown): SluiceError {
  return new SluiceError(
    'DAEMON_PERMISSION_DENIED',
    `permission denied on the daemon's control socket ${socketPath}: it belongs to another user (the home ${displayHome(path.dirname(socketPath))} is theirs); use a home of your own (SLUICE_HOME or --home)`,
    { cause },
  )
}

export class ControlClient<C extends ClientContract = ControlMethods> {
  private nextId = 1
  private buffered = ''
  private readonly pending = new Map<RequestId, Pending>()
  private readonly listeners = new Map<RequestId, (e: ControlEventMessage) => void>()
  private closeError: Error | undefined
  /** Resolves when the connection is closed, by either side. */
  readonly closed: Promise<void>

  private constructor(
    private readonly socket: net.Socket,
    private readonly socketPath: string,
  ) {
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => this.onData(chunk))
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        const err =
          this.closeError ??
          new SluiceError('DAEMON_UNRESPONSIVE', 'the daemon closed the control connection', { retriable: true })
        for (const p of this.pending.values()) {
          if (p.timer) clearTimeout(p.timer)
          p.reject(err)
        }
        this.pending.clear()
        resolve()
      })
    })
    socket.on('error', (err) => {
      this.closeError = err
    })
  }

  static connect<C extends ClientContract = ControlMethods>(socketPath: string, opts: CallOptions = {}): Promise<ControlClient<C>> {
    const timeoutMs = opts.timeoutMs ?? CONNECT_TIMEOUT_MS
    return new Promise((resolve, reject) => {
      const socket = net.createConnection(socketPath)
      const timer = setTimeout(() => {
        socket.destroy()
        reject(new SluiceError('DAEMON_UNRESPONSIVE', `the daemon did not accept a control connection within ${timeoutMs} ms`))
      }, timeoutMs)
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer)
        // ENOENT: no socket file; ECONNREFUSED: a file left by a daemon that died.
        if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') reject(notRunning(socketPath, err))
        else if (err.code === 'EACCES' || err.code === 'EPERM') reject(permissionDenied(socketPath, err))
        else reject(err)
      })
      socket.once('connect', () => {
        clearTimeout(timer)
        socket.removeAllListeners('error')
        resolve(new ControlClient<C>(socket, socketPath))
      })
    })
  }

  call<M extends keyof C & string>(method: M, params: C[M]['params'], opts: CallOptions = {}): Promise<C[M]['result']> {
    const id = this.nextId++
    return this.request(id, method, params, opts.timeoutMs ?? CALL_TIMEOUT_MS)
  }

  private request<M extends keyof C & string>(id: RequestId, method: M, params: C[M]['params'], timeoutMs: number): Promise<C[M]['result']> {
    if (this.socket.destroyed) return Promise.reject(notRunning(this.socketPath))
    return new Promise((resolve, reject) => {
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.pending.delete(id)
              reject(new SluiceError('DAEMON_UNRESPONSIVE', `the daemon did not answer ${method} within ${timeoutMs} ms`))
            }, timeoutMs)
          : undefined
      this.pending.set(id, { resolve: resolve as (r: unknown) => void, reject, timer })
      this.socket.write(JSON.stringify({ id, method, params }) + '\n')
    })
  }

  /**
   * Streams events (see SubscribeParams for the filter) to onEvent until unsubscribe() or close.
   * Await `closed` to learn that the daemon went away.
   */
  async subscribe(params: SubscribeParams, onEvent: (e: ControlEventMessage) => void): Promise<Subscription> {
    const id = this.nextId++
    this.listeners.set(id, onEvent)
    try {
      await this.request(id, 'subscribe', { ...params }, CALL_TIMEOUT_MS)
    } catch (err) {
      this.listeners.delete(id)
      throw err
    }
    return {
      id,
      unsubscribe: async () => {
        this.listeners.delete(id)
        if (!this.socket.destroyed) await this.request(this.nextId++, 'unsubscribe', { subscription: id }, CALL_TIMEOUT_MS)
      },
    }
  }

  close(): void {
    this.socket.end()
    this.socket.destroy()
  }

  private onData(chunk: string): void {
    this.buffered += chunk
    let nl: number
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl)
      this.buffered = this.buffered.slice(nl + 1)
      if (line.trim() !== '') this.onLine(line)
    }
  }

  private onLine(line: string): void {
    let msg: Record<string, unknown>
    try {
      msg = JSON.parse(line) as Record<string, unknown>
    } catch {
      this.closeError = new SluiceError('INTERNAL', 'the daemon sent a malformed control message')
      this.socket.destroy()
      return
    }
    if ('event' in msg && 'subscription' in msg) {
      this.listeners.get(msg.subscription as RequestId)?.(msg as unknown as ControlEventMessage)
      return
    }
    const res = msg as unknown as ControlResponse
    if (res.id === null) {
      // An error about the connection itself (e.g. too many connections): fail everything.
      if ('error' in res) this.closeError = new SluiceError(res.error.code, res.error.message)
      return
    }
    const p = this.pending.get(res.id)
    if (!p) return
    this.pending.delete(res.id)
    if (p.timer) clearTimeout(p.timer)
    if ('error' in res) p.reject(new SluiceError(res.error.code, res.error.message))
    else p.resolve(res.result)
  }
}

/** One call on a fresh connection. Throws DAEMON_NOT_RUNNING when nothing listens. */
export async function callDaemon<M extends Method>(home: string, method: M, params: Params<M>, opts: CallOptions = {}): Promise<Result<M>> {
  const client = await ControlClient.connect(homePaths(home).socket, opts)
  try {
    return await client.call(method, params, opts)
  } finally {
    client.close()
  }
}

/**
 * The daemon's status, or undefined when it does not answer (not running, or not yet listening).
 * A permission error is thrown: waiting or starting another daemon would not cure it.
 */
export async function probeDaemon(home: string, opts: CallOptions = {}): Promise<DaemonStatus | undefined> {
  try {
    return await callDaemon(home, 'status', {}, { timeoutMs: opts.timeoutMs ?? 2_000 })
  } catch (err) {
    if (err instanceof SluiceError && err.code === 'DAEMON_PERMISSION_DENIED') throw err
    return undefined
  }
}
