/**
 * A simulated broker: its id and listener address, its own log store (one LevelDB), its replicas
 * (ReplicaManager: leader and follower roles, replication, acks=all), the group and transaction
 * coordinators of the internal partitions it leads, its heartbeat to the controller, and the
 * wake-ups that long-polling fetches wait on.
 *
 * Lifecycle: `start()` registers with the controller and starts replication; `crash()` stops
 * everything at once (the controller only notices when the session times out); `start()` again
 * is a restart: the broker re-registers with a new epoch and its replicas catch up (truncating
 * what diverged).
 */
import type { Logger } from '../common/logger.js'
import { SluiceError } from '../common/errors.js'
import { isStorageError } from '../storage/errors.js'
import type { LogStore, PartitionLog } from '../storage/types.js'
import { brokerConfig, topicConfig } from '../cluster/configs.js'
import type { MetadataRecord } from '../cluster/metadata.js'
import type { ClusterView } from './cluster-view.js'
import type { Scheduler } from '../cluster/scheduler.js'
import type { BrokerLink } from './replica-fetcher.js'
import { GroupCoordinator } from './group-coordinator.js'
import { TxnCoordinator, type TxnEvent } from './txn-coordinator.js'
import { ReplicaManager, partitionKey } from './replica-manager.js'
import { deleteProducerSnapshot } from './producer-state.js'
import { deleteAbortedIndex } from './txn-index.js'
import { RecoveryRecords } from './replica-recovery.js'
import { FetchSessionCache } from './fetch-session.js'
import { seededRng, type Rng } from '../cluster/rng.js'

export interface BrokerOptions {
  id: number
  host: string
  port: number
  store: LogStore
  cluster: ClusterView
  scheduler: Scheduler
  log: Logger
  link: BrokerLink
  /** Registers this broker with the controller (a new broker epoch) and unfences it. */
  register: (broker: Broker) => Promise<void>
  /** The broker's heartbeat; false when the controller has fenced it (it must register again). */
  heartbeat: (broker: Broker) => boolean
  /** Told of each produce acknowledged without error, per partition (failover measurement). */
  onProduced?: (topic: string, partition: number) => void
  /** Read every log once in the background after it opens, looking for corrupt batches. */
  scrubOnOpen?: boolean
  /** Told of transaction commits, aborts, fencing and timeouts at this broker's coordinator. */
  onTxnEvent?: (e: TxnEvent) => void
  /** Draws fetch session ids; seeded from the broker id when not given. */
  rng?: Rng
}

/** KRaft's BrokerLifecycleManager's first resend backoff (it doubles, up to half the session timeout). */
const REGISTRATION_BACKOFF_INITIAL_MS = 100

export type BrokerState = 'stopped' | 'running' | 'paused'

/** Why a broker's log dir is offline (its store failed a write), and since when. */
export interface LogDirOffline {
  /** One line for people: "disk full (ENOSPC) writing <file>". */
  reason: string
  diskFull: boolean
  sinceMs: number
}

export class Broker {
  readonly id: number
  readonly host: string
  readonly port: number
  private storeValue: LogStore
  readonly cluster: ClusterView
  readonly scheduler: Scheduler
  readonly log: Logger
  private replicaManager: ReplicaManager | null = null
  private groupCoordinator: GroupCoordinator | null = null
  private txnCoordinator: TxnCoordinator | null = null
  private readonly waiters = new Map<string, Set<() => void>>()
  /** Replicas of this broker that were found corrupt, and how their recovery went. */
  readonly recoveries = new RecoveryRecords()
  private cancelHeartbeat: (() => void) | null = null
  private nextHeartbeatAtMs = 0
  private stateValue: BrokerState = 'stopped'
  private registration: Promise<void> | null = null
  /** This incarnation's registration is committed: its replicas follow the metadata. */
  private registeredValue = false
  /** Ends the wait before a registration retry (the controller had no majority): a crash calls it. */
  private endRetryWait: (() => void) | null = null
  private logDirOfflineValue: LogDirOffline | null = null
  private readonly rng: Rng
  private fetchSessionsValue: FetchSessionCache

  constructor(private readonly opts: BrokerOptions) {
    this.id = opts.id
    this.host = opts.host
    this.port = opts.port
    this.storeValue = opts.store
    this.cluster = opts.cluster
    this.scheduler = opts.scheduler
    this.log = opts.log
    this.rng = opts.rng ?? seededRng(opts.id)
    this.fetchSessionsValue = this.newFetchSessions()
  }

  /** The fetch sessions of this broker's clients (KIP-227): in memory, gone with a crash. */
  get fetchSessions(): FetchSessionCache {
    return this.fetchSessionsValue
  }

  private newFetchSessions(): FetchSessionCache {
    const slots = (): number => Number(brokerConfig(this.cluster.image, 'max.incremental.fetch.session.cache.slots'))
    return new FetchSessionCache({ rng: this.rng, slots })
  }

  /** A produce to topic-partition was acknowledged without error. */
  produced(topic: string, partition: number): void {
    this.opts.onProduced?.(topic, partition)
  }

  /** The broker's log store (one LevelDB); replaced when its log dir comes back online. */
  get store(): LogStore {
    return this.storeValue
  }

  /** Set while the broker's log dir is offline: its replicas answer KAFKA_STORAGE_ERROR. */
  get logDirOffline(): LogDirOffline | null {
    return this.logDirOfflineValue
  }

  /**
   * The store failed a write: as Kafka does with a failed log dir (its only one), the broker stops
   * its replicas; its listener stays up so clients are told KAFKA_STORAGE_ERROR, not dropped.
   */
  takeLogDirOffline(offline: LogDirOffline): void {
    this.logDirOfflineValue = offline
    this.crash()
  }

  /** The log dir is back (a new store over the same directory): `start()` rejoins the cluster. */
  bringLogDirOnline(store: LogStore): void {
    if (this.replicaManager) throw new Error(`broker ${this.id} is running: its store cannot be replaced`)
    this.storeValue = store
    this.logDirOfflineValue = null
  }

  /** What to tell a client about a partition this broker hosts while its log dir is offline. */
  offlineReplicaMessage(replicas: readonly number[]): string | null {
    const offline = this.logDirOfflineValue
    if (!offline || !replicas.includes(this.id)) return null
    return offline.diskFull
      ? `the disk of broker ${this.id} is full: its log dir is offline (${offline.reason})`
      : `the log dir of broker ${this.id} is offline (${offline.reason})`
  }

  get state(): BrokerState {
    return this.stateValue
  }

  /** The broker's replicas; throws when the broker is not running (a programmer error). */
  get replicas(): ReplicaManager {
    if (!this.replicaManager) throw new Error(`broker ${this.id} is not running`)
    return this.replicaManager
  }

  /** The group coordinator of the __consumer_offsets partitions this broker leads. */
  get groups(): GroupCoordinator {
    if (!this.groupCoordinator) throw new Error(`broker ${this.id} is not running`)
    return this.groupCoordinator
  }

  /** The transaction coordinator of the __transaction_state partitions this broker leads. */
  get txns(): TxnCoordinator {
    if (!this.txnCoordinator) throw new Error(`broker ${this.id} is not running`)
    return this.txnCoordinator
  }

  get running(): boolean {
    return this.replicaManager !== null
  }

  /** How this broker reaches the others (replica fetches, transaction markers and verifications). */
  get link(): BrokerLink {
    return this.opts.link
  }

  /**
   * Starts the broker: true once this incarnation registered, false when it crashed first. While
   * the controller quorum has no majority the registration is retried (`retryWithoutMajority`,
   * the default) or fails the start with QUORUM_NO_MAJORITY.
   */
  async start(retryWithoutMajority = true): Promise<boolean> {
    if (this.replicaManager) return this.registeredValue
    const replicas = new ReplicaManager({
      brokerId: this.id,
      store: this.store,
      cluster: this.cluster,
      scheduler: this.scheduler,
      log: this.log,
      link: this.opts.link,
      wake: (key) => this.wake(key),
      onLeadership: (h, leading) => {
        this.groupCoordinator?.onLeadership(h, leading)
        this.txnCoordinator?.onLeadership(h, leading)
      },
      onTxnMarker: (h, producerId, committed) => this.groupCoordinator?.onTxnMarker(h, producerId, committed),
      recoveries: this.recoveries,
      scrubOnOpen: this.opts.scrubOnOpen,
      dropLog: (topicId, partition) => this.dropPartitionLog(topicId, partition),
    })
    this.groupCoordinator = new GroupCoordinator({
      brokerId: this.id,
      cluster: this.cluster,
      scheduler: this.scheduler,
      log: this.log,
      replicas: () => this.replicaManager,
    })
    this.groupCoordinator.start()
    this.txnCoordinator = new TxnCoordinator({
      brokerId: this.id,
      cluster: this.cluster,
      scheduler: this.scheduler,
      log: this.log,
      link: this.opts.link,
      replicas: () => this.replicaManager,
      onEvent: this.opts.onTxnEvent,
    })
    this.txnCoordinator.start()
    this.replicaManager = replicas
    this.stateValue = 'running'
    if (retryWithoutMajority) await this.registerUntilDone(replicas)
    else await this.register()
    // Crashed while registering: this start is over.
    if (this.replicaManager !== replicas) return false
    // Roles follow the metadata only once this incarnation is registered. Before that, the image
    // may still name this broker leader in its previous incarnation's epoch (a crash the
    // controller did not notice yet), and taking that role again would reload a lagging high
    // watermark checkpoint in the same epoch: the high watermark would go back within an epoch
    // (test/sim/regressions.test.ts).
    // Registration fences the previous incarnation first, with new leader epochs.
    this.registeredValue = true
    replicas.reconcile()
    this.scheduleHeartbeat()
    replicas.dropStrayLogs().catch((error: unknown) => this.log.warn('finding stray replica logs failed', { broker: this.id, error: String(error) }))
    return true
  }

  /**
   * This incarnation registered (false when stopped): a running broker that has not is starting
   * (KRaft's STARTING state), fenced and in no partition's leader or follower role.
   */
  get registered(): boolean {
    return this.registeredValue
  }

  private register(): Promise<void> {
    this.registration ??= this.opts.register(this).finally(() => (this.registration = null))
    return this.registration
  }

  /**
   * Registers, retrying while the controller quorum has no majority (QUORUM_NO_MAJORITY), as
   * KRaft's BrokerLifecycleManager resends BrokerRegistration until a controller answers: the
   * wait doubles from 100 ms up to half the session timeout (Kafka's backoff, without its 2%
   * jitter, which would take draws from the broker's rng). Any other failure fails the start; a
   * crash ends the retries (the start then returns, as for a crash during a registration).
   */
  private async registerUntilDone(replicas: ReplicaManager): Promise<void> {
    let backoffMs = REGISTRATION_BACKOFF_INITIAL_MS
    for (;;) {
      try {
        return await this.register()
      } catch (error) {
        if (this.replicaManager !== replicas) return
        if (!(error instanceof SluiceError && error.code === 'QUORUM_NO_MAJORITY')) throw error
        this.log.info('registration waits for the controller quorum', { broker: this.id, retryInMs: backoffMs })
      }
      await new Promise<void>((resolve) => {
        const cancel = this.scheduler.setTimer(resolve, backoffMs)
        // A crash ends the wait at once: the loop sees it and returns.
        this.endRetryWait = () => {
          cancel()
          resolve()
        }
      })
      this.endRetryWait = null
      if (this.replicaManager !== replicas) return
      const maxMs = Math.max(REGISTRATION_BACKOFF_INITIAL_MS, Math.floor(Number(brokerConfig(this.cluster.image, 'broker.session.timeout.ms')) / 2))
      backoffMs = Math.min(backoffMs * 2, maxMs)
    }
  }

  /** At most a third of the session timeout, so a lowered timeout never outruns the heartbeats. */
  private heartbeatEveryMs(): number {
    const cfg = this.cluster.image
    const interval = Number(brokerConfig(cfg, 'broker.heartbeat.interval.ms'))
    return Math.max(1, Math.min(interval, Math.floor(Number(brokerConfig(cfg, 'broker.session.timeout.ms')) / 3)))
  }

  private scheduleHeartbeat(): void {
    const everyMs = this.heartbeatEveryMs()
    this.nextHeartbeatAtMs = this.scheduler.nowMs() + everyMs
    this.cancelHeartbeat = this.scheduler.setTimer(() => {
      if (!this.replicaManager) return
      // A paused (hung) broker sends nothing: the controller fences it when its session expires.
      if (this.stateValue === 'running' && !this.opts.heartbeat(this)) {
        this.register().catch((error: unknown) => this.log.warn('re-registration failed', { broker: this.id, error: String(error) }))
      }
      this.scheduleHeartbeat()
    }, everyMs)
  }

  /** A config change that shortens the heartbeat interval takes effect now, not after the pending beat. */
  private rescheduleHeartbeatIfLate(): void {
    if (!this.cancelHeartbeat) return
    if (this.nextHeartbeatAtMs - this.scheduler.nowMs() <= this.heartbeatEveryMs()) return
    this.cancelHeartbeat()
    this.scheduleHeartbeat()
  }

  /** A crash: replication, heartbeats and waiting requests stop at once; the store stays open. */
  crash(): void {
    this.cancelHeartbeat?.()
    this.cancelHeartbeat = null
    this.groupCoordinator?.stop()
    this.groupCoordinator = null
    this.txnCoordinator?.stop()
    this.txnCoordinator = null
    this.replicaManager?.stop()
    this.replicaManager = null
    this.fetchSessionsValue = this.newFetchSessions()
    this.registeredValue = false
    this.endRetryWait?.()
    this.stateValue = 'stopped'
    this.wakeAll()
  }

  /** A hung broker: nothing is answered, replication and heartbeats stop, until resume(). */
  pause(): void {
    if (this.stateValue === 'running') this.stateValue = 'paused'
  }

  resume(): void {
    if (this.stateValue === 'paused') this.stateValue = 'running'
  }

  /**
   * Applies a metadata commit to this broker's replicas: only the partitions its records touch
   * when they are given, else every partition (after a pause, when commits were missed).
   */
  onMetadata(records?: readonly MetadataRecord[]): void {
    if (this.registeredValue) {
      if (records) this.replicaManager?.reconcileRecords(records)
      else this.replicaManager?.reconcile()
    }
    this.rescheduleHeartbeatIfLate()
  }

  /** Opens (or returns) a partition's log in this broker's store. */
  partitionLog(topicId: string, partition: number): Promise<PartitionLog> {
    return this.store.partition(topicId, partition)
  }

  /** Registers a one-shot wake-up for when any of the partitions gets new readable data. */
  waitForData(partitions: { topicId: string; partition: number }[], wake: () => void): () => void {
    const keys = partitions.map((p) => partitionKey(p.topicId, p.partition))
    for (const key of keys) {
      let set = this.waiters.get(key)
      if (!set) this.waiters.set(key, (set = new Set()))
      set.add(wake)
    }
    return () => {
      for (const key of keys) {
        const set = this.waiters.get(key)
        if (!set) continue
        set.delete(wake)
        if (set.size === 0) this.waiters.delete(key)
      }
    }
  }

  private wake(key: string): void {
    const set = this.waiters.get(key)
    if (!set) return
    this.waiters.delete(key)
    for (const wake of set) wake()
  }

  private wakeAll(): void {
    for (const [key, set] of this.waiters) {
      this.waiters.delete(key)
      for (const wake of set) wake()
    }
  }

  topicConfig(topicName: string, name: string): string {
    const topic = this.cluster.image.topicsByName.get(topicName)
    return topicConfig(topic?.configs ?? new Map(), this.cluster.image, name)
  }

  /** Drops every log of a deleted topic from this broker's store. */
  async dropTopicLogs(topicId: string): Promise<void> {
    const hosted = (await this.store.listPartitions()).filter((p) => p.topicId === topicId)
    for (const { partition } of hosted) await this.dropPartitionLog(topicId, partition)
  }

  /** Drops one partition's log, producer snapshot and aborted index from this broker's store. */
  private async dropPartitionLog(topicId: string, partition: number): Promise<void> {
    this.wake(partitionKey(topicId, partition))
    await this.store.deletePartition(topicId, partition)
    await deleteProducerSnapshot(this.store.meta, topicId, partition)
    await deleteAbortedIndex(this.store.meta, topicId, partition)
  }

  /** Applies time and size retention (and compaction, for compact policies) to every log this broker hosts.
   * Returns batches deleted by retention. */
  async runRetention(): Promise<number> {
    if (!this.replicaManager) return 0
    let deleted = 0
    const nowMs = this.scheduler.nowMs()
    const image = this.cluster.image
    for (const h of this.replicaManager.all()) {
      const topic = image.topicsById.get(h.topicId)
      if (!topic || !h.log) continue
      const policy = this.topicConfig(topic.name, 'cleanup.policy').split(',')
      // Compaction runs on every replica, followers too: the same deterministic cleaning below the HWM.
      if (policy.includes('compact')) {
        const deleteRetentionMs = Number(this.topicConfig(topic.name, 'delete.retention.ms'))
        try {
          await h.log.compact({ nowMs, deleteRetentionMs })
        } catch (error) {
          // The cleaner read a corrupt batch: the replica recovers it, then a later pass cleans.
          if (!isStorageError(error, 'CORRUPT_BATCH')) throw error
          this.replicaManager.corruptionFound(h, error)
        }
      }
      if (!policy.includes('delete')) continue
      const retentionMs = Number(this.topicConfig(topic.name, 'retention.ms'))
      const retentionBytes = Number(this.topicConfig(topic.name, 'retention.bytes'))
      deleted += await h.log.applyRetention({ nowMs, retentionMs, retentionBytes })
      this.wake(h.key)
    }
    return deleted
  }

  async close(): Promise<void> {
    // A clean shutdown leaves every partition's producer state snapshotted, as Kafka's does.
    if (this.running) await this.replicaManager?.snapshotProducers().catch(() => undefined)
    this.crash()
    await this.store.close()
  }
}
