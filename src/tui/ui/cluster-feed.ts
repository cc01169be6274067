/**
 * The dashboard's link to the daemon (no React here): one control connection that streams the
 * cluster events and polls `cluster.snapshot` every POLL_MS, plus a refresh right after each
 * event (debounced) and each action. When the daemon goes away the last data stays and the feed
 * reconnects every RECONNECT_MS; it never starts the daemon again by itself (the person may
 * have stopped it on purpose).
 */
import { SluiceError } from '../../common/errors.js'
import { ControlClient, type Subscription } from '../../client/control.js'
import { mergeEvents, pushSample, type Sample } from './model.js'
import type { ClusterSnapshot, ConnectionState, UiAction, UiEvent } from './types.js'

export const POLL_MS = 500
const RECONNECT_MS = 1_000
/** Events arrive in bursts (a kill: fence, elections, ISR changes): one refresh for the burst. */
const EVENT_REFRESH_DEBOUNCE_MS = 50
const SNAPSHOT_TIMEOUT_MS = 5_000
const ACTION_TIMEOUT_MS = 30_000
/** The event log shows a few screens; the history can be the whole metadata log. */
const HISTORY_EVENTS_MAX = 150

export interface ClusterView {
  snapshot: ClusterSnapshot | undefined
  history: Sample[]
  events: UiEvent[]
  connection: ConnectionState
}

export interface ClusterFeedOptions {
  socketPath: string
}

export class ClusterFeed {
  private view: ClusterView = { snapshot: undefined, history: [], events: [], connection: { kind: 'connecting' } }
  private readonly listeners = new Set<(v: ClusterView) => void>()
  private client: ControlClient | undefined
  private subscription: Subscription | undefined
  private pollTimer: NodeJS.Timeout | undefined
  private reconnectTimer: NodeJS.Timeout | undefined
  private eventTimer: NodeJS.Timeout | undefined
  private inFlight = false
  private again = false
  private stopped = false

  constructor(private readonly opts: ClusterFeedOptions) {}

  get current(): ClusterView {
    return this.view
  }

  onChange(listener: (v: ClusterView) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  start(): void {
    void this.connect()
    this.pollTimer = setInterval(() => void this.refresh(), POLL_MS)
  }

  stop(): void {
    this.stopped = true
    clearInterval(this.pollTimer)
    clearTimeout(this.reconnectTimer)
    clearTimeout(this.eventTimer)
    this.client?.close()
    this.client = undefined
  }

  /** A snapshot now (after an action, on an event); a refresh asked during one runs right after it. */
  async refresh(): Promise<void> {
    const client = this.client
    if (!client || this.stopped) return
    if (this.inFlight) {
      this.again = true
      return
    }
    this.inFlight = true
    try {
      const snapshot = await client.call('cluster.snapshot', {}, { timeoutMs: SNAPSHOT_TIMEOUT_MS })
      if (this.stopped || client !== this.client) return
      this.update({ snapshot, history: pushSample(this.view.history, snapshot) })
    } catch {
      // A failed poll on a live connection (a slow answer) is retried at the next tick; a lost
      // connection is handled by the `closed` watcher.
    } finally {
      this.inFlight = false
      if (this.again) {
        this.again = false
        void this.refresh()
      }
    }
  }

  async act(action: UiAction): Promise<string> {
    const client = this.client
    if (!client) throw new SluiceError('DAEMON_NOT_RUNNING', 'not connected to the daemon')
    try {
      return await perform(client, action)
    } finally {
      void this.refresh()
    }
  }

  private update(patch: Partial<ClusterView>): void {
    this.view = { ...this.view, ...patch }
    for (const l of this.listeners) l(this.view)
  }

  private async connect(): Promise<void> {
    if (this.stopped) return
    let client: ControlClient | undefined
    try {
      client = await ControlClient.connect(this.opts.socketPath)
      if (this.stopped) return client.close()
      this.client = client
      // Subscribe first, then read the history: nothing committed in between is missed (the
      // merge drops what both carry).
      this.subscription = await client.subscribe({ events: ['cluster.', 'daemon.stopping'] }, (msg) => {
        if (msg.event === 'daemon.stopping') return
        this.update({ events: mergeEvents(this.view.events, [msg.data as UiEvent]) })
        clearTimeout(this.eventTimer)
        this.eventTimer = setTimeout(() => void this.refresh(), EVENT_REFRESH_DEBOUNCE_MS)
      })
      const { events } = await client.call('cluster.events', {}, { timeoutMs: SNAPSHOT_TIMEOUT_MS * 2 })
      this.update({ connection: { kind: 'connected' }, events: mergeEvents(this.view.events, events.slice(-HISTORY_EVENTS_MAX)) })
      void client.closed.then(() => this.lost(client!, 'the control connection closed'))
      await this.refresh()
    } catch (err) {
      client?.close()
      if (client === this.client) this.client = undefined
      this.lost(undefined, err instanceof Error ? err.message : String(err))
    }
  }

  private lost(client: ControlClient | undefined, error: string): void {
    if (this.stopped || (client !== undefined && client !== this.client)) return
    this.client = undefined
    this.subscription = undefined
    const since = this.view.connection.kind === 'lost' ? this.view.connection.sinceMs : Date.now()
    this.update({ connection: { kind: 'lost', sinceMs: since, error } })
    clearTimeout(this.reconnectTimer)
    this.reconnectTimer = setTimeout(() => void this.connect(), RECONNECT_MS)
  }
}

/** Runs one action on the control socket; the answer as a line for the footer. */
async function perform(client: ControlClient, action: UiAction): Promise<string> {
  const opts = { timeoutMs: ACTION_TIMEOUT_MS }
  switch (action.kind) {
    case 'kill':
      await client.call('broker.kill', { id: action.broker }, opts)
      return `broker ${action.broker} killed (a crash: its leaderships move at the session timeout)`
    case 'start':
      await client.call('broker.start', { id: action.broker }, opts)
      return `broker ${action.broker} started`
    case 'pause':
      await client.call('broker.pause', { id: action.broker }, opts)
      return `broker ${action.broker} paused`
    case 'resume':
      await client.call('broker.resume', { id: action.broker }, opts)
      return `broker ${action.broker} resumed`
    case 'failover': {
      const { moves } = await client.call('cluster.failover', { topic: action.topic, partition: action.partition }, opts)
      const m = moves[0]
      return m ? `${m.topic}-${m.partition}: leader ${m.from} -> ${m.to} (epoch ${m.leaderEpoch})` : `${action.topic}-${action.partition}: nothing moved`
    }
  }
}
