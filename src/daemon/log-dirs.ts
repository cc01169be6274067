/**
 * Log dir health: what the daemon does when a broker's store fails a write (a full disk, above
 * all), and how the broker comes back by itself once the disk has room again.
 *
 * Kafka takes a failed log dir offline: its replicas answer KAFKA_STORAGE_ERROR, the controller
 * learns it (a broker whose only log dir failed shuts down), leadership moves to healthy
 * replicas and the ISR shrinks. sluice does the same per broker: the broker stops its replicas
 * (its listener stays up, so clients get KAFKA_STORAGE_ERROR instead of a dropped connection),
 * the controller fences it, and the reason is logged and shown in the status. Unlike Kafka,
 * which waits for an operator's restart, the daemon then probes every few seconds: it reopens
 * the broker's LevelDB (the open itself needs room: LevelDB writes its recovered log out), and
 * once that works the broker registers again and its replicas catch up, as after a restart.
 */
import type { Broker } from '../broker/broker.js'
import { describeFailure, type StorageError } from '../storage/errors.js'
import type { LogStore } from '../storage/types.js'
import type { RuntimeEventType } from '../cluster/events.js'
import type { Logger } from '../common/logger.js'

/** How often an offline log dir is tried again. */
export const LOG_DIR_PROBE_INTERVAL_MS = 2_000

export interface LogDirHealthOptions {
  log: Logger
  /** The broker's directory (for the log line when LevelDB named no file). */
  dirOf: (brokerId: number) => string
  /** Fences the broker in the controller: its leaderships move, the ISR shrinks. */
  fence: (brokerId: number, reason: string) => Promise<void>
  /** A new store over the broker's directory, opened (throws while the disk is still full). */
  openStore: (brokerId: number) => Promise<LogStore>
  /** Starts the broker again over its new store: it registers, is unfenced, and catches up. */
  restart: (broker: Broker) => Promise<void>
  /** A runtime event (`broker.logdir.offline`, `broker.logdir.online`). */
  event: (type: RuntimeEventType, data: Record<string, unknown>, message: string) => void
  probeIntervalMs?: number
}

interface Offline {
  broker: Broker
  failedStore: LogStore | null
  timer: NodeJS.Timeout
  probing: boolean
  attempts: number
}

export class LogDirHealth {
  private readonly offline = new Map<number, Offline>()
  private closed = false

  constructor(private readonly opts: LogDirHealthOptions) {}

  /** Watches a broker's (new) store: its first failed write takes the log dir offline. */
  watch(broker: Broker, store: LogStore): void {
    store.onFailure((error) => this.failed(broker, store, error))
  }

  /** A store that could not even open on a full disk: the broker starts with its log dir offline. */
  startOffline(broker: Broker, store: LogStore, error: unknown): void {
    const cause = describeFailure(error)
    this.goOffline(broker, store, `disk full (ENOSPC) opening ${cause.path ?? this.opts.dirOf(broker.id)}`, true)
  }

  /**
   * Synchronous on purpose: the appends that failed are answered after this runs, so their
   * KAFKA_STORAGE_ERROR already carries the broker's reason.
   */
  private failed(broker: Broker, store: LogStore, error: StorageError): void {
    if (this.closed || this.offline.has(broker.id) || broker.store !== store) return
    const cause = describeFailure(error)
    const file = cause.path ?? this.opts.dirOf(broker.id)
    const reason = cause.diskFull ? `disk full (ENOSPC) writing ${file}` : `a write failed: ${cause.message}`
    this.goOffline(broker, store, reason, cause.diskFull)
  }

  private goOffline(broker: Broker, store: LogStore, reason: string, diskFull: boolean): void {
    broker.takeLogDirOffline({ reason, diskFull, sinceMs: Date.now() })
    const message = `broker ${broker.id}: ${reason}; its log dir is offline`
    this.opts.log.error(message, { broker: broker.id })
    this.opts.event('broker.logdir.offline', { broker: broker.id, reason, diskFull }, message)
    this.opts.fence(broker.id, `broker ${broker.id} log dir offline`).catch((err: unknown) => {
      // The session timeout fences it anyway: an offline broker sends no heartbeats.
      this.opts.log.warn('fencing a broker with an offline log dir failed', { broker: broker.id, error: String(err) })
    })
    const probeMs = this.opts.probeIntervalMs ?? LOG_DIR_PROBE_INTERVAL_MS
    const entry: Offline = { broker, failedStore: store, probing: false, attempts: 0, timer: setInterval(() => void this.probe(entry), probeMs) }
    entry.timer.unref()
    this.offline.set(broker.id, entry)
  }

  private async probe(entry: Offline): Promise<void> {
    if (entry.probing || this.closed) return
    entry.probing = true
    const { broker } = entry
    try {
      // The failed store holds LevelDB's lock on the directory: release it once.
      if (entry.failedStore) {
        await entry.failedStore.close().catch(() => undefined)
        entry.failedStore = null
      }
      entry.attempts++
      let store: LogStore
      try {
        store = await this.opts.openStore(broker.id)
      } catch (error) {
        // Still full (or still failing): say so now and then, not every probe.
        if (entry.attempts % 30 === 1) {
          this.opts.log.warn(`broker ${broker.id}: log dir still offline`, { broker: broker.id, error: describeFailure(error).message })
        }
        return
      }
      if (this.closed) {
        await store.close().catch(() => undefined)
        return
      }
      clearInterval(entry.timer)
      this.offline.delete(broker.id)
      broker.bringLogDirOnline(store)
      this.watch(broker, store)
      const message = `broker ${broker.id}: log dir back online; rejoining the cluster`
      this.opts.log.info(message, { broker: broker.id })
      this.opts.event('broker.logdir.online', { broker: broker.id }, message)
      try {
        await this.opts.restart(broker)
      } catch (error) {
        // Registering needs the controller's metadata log, which may sit on the same full disk:
        // stay offline and try again at the next probe.
        if (!this.closed && !this.offline.has(broker.id)) {
          const cause = describeFailure(error)
          this.goOffline(broker, store, `rejoining the cluster failed: ${cause.message}`, cause.diskFull)
        }
      }
    } catch (error) {
      this.opts.log.error('bringing a log dir back online failed', { broker: broker.id, error: String(error) })
    } finally {
      entry.probing = false
    }
  }

  /** A removed broker: no more probing of its log dir. */
  async forget(brokerId: number): Promise<void> {
    const entry = this.offline.get(brokerId)
    if (!entry) return
    clearInterval(entry.timer)
    this.offline.delete(brokerId)
    await entry.failedStore?.close().catch(() => undefined)
  }

  /** Stops probing; a store still failed is closed with the rest of the cluster. */
  async close(): Promise<void> {
    this.closed = true
    for (const entry of this.offline.values()) {
      clearInterval(entry.timer)
      await entry.failedStore?.close().catch(() => undefined)
    }
    this.offline.clear()
  }
}

/** Opens a store at daemon start: a full disk is returned (the broker starts offline), any other failure thrown. */
export async function openUnlessDiskFull(store: LogStore): Promise<unknown> {
  try {
    await store.open()
    return null
  } catch (error) {
    if (!describeFailure(error).diskFull) throw error
    return error
  }
}
