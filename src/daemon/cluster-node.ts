/**
 * One cluster node: the controller behind its driver, the brokers with their stores, the links
 * between them and the metadata persistence, wired once for both the daemon and the seeded
 * simulation. What differs between the two is handed in (ClusterNodeParts):
 * - a scheduler (real timers, or virtual time) for the controller's clock and the node's timers,
 *   and one per broker process (the simulation holds a hung process's timers, drops a dead one's);
 * - each broker's store (LevelDB, or memory with seeded write delays);
 * - the broker link (direct calls through the fault injector, or the simulated network) and the
 *   channel from brokers to the controller (a direct call, or a network hop that can be cut);
 * - metadata persistence (the controller quorum's log, or an in-memory log with a seeded delay);
 *   the controller applies what it commits (controller-driver.ts), not what it asked to append.
 *
 * Broker lifecycle: `addBroker` makes a broker process (not started), `start` starts it (a first
 * start, or a restart of a crashed one), `crash` stops it at once (the controller notices at
 * session timeout), `pause` hangs it (no metadata applied until `resume`, as a stopped process).
 * The daemon restarts the same Broker over its open store; the simulation adds a new process
 * over the same disk first.
 */
import { Broker } from '../broker/broker.js'
import type { ClusterView } from '../broker/cluster-view.js'
import { PRODUCER_ID_BLOCK_SIZE, ProducerIdBlocks } from '../broker/producer-id-blocks.js'
import type { QuorumVoterView, QuorumView } from '../cluster/raft/quorum-view.js'
import { MetadataFollower } from '../cluster/metadata-follower.js'
import type { BrokerLink } from '../broker/replica-fetcher.js'
import type { TxnEvent } from '../broker/txn-coordinator.js'
import { brokerConfig } from '../cluster/configs.js'
import { Controller, type CommandResult } from '../cluster/controller.js'
import type { ClusterEvent } from '../cluster/events.js'
import { MetadataImage, type MetadataRecord, type PartitionInfo } from '../cluster/metadata.js'
import type { Rng } from '../cluster/rng.js'
import type { Scheduler } from '../cluster/scheduler.js'
import type { LogStore } from '../storage/types.js'
import { SluiceError } from '../common/errors.js'
import type { Logger } from '../common/logger.js'
import { ErrorCode } from '../protocol/errors.js'
import { ControllerDriver, IsrChangeBatcher } from './controller-driver.js'
import type { MetadataPersistence } from './metadata-log.js'

/** The requests a broker sends to the controller over its channel. */
export type ControllerRequestKind = 'register' | 'alterIsr' | 'replicaCorrupt'

/** How brokers reach the controller. */
export interface ControllerChannel {
  /** Sends a broker's request: the daemon calls at once; the simulation crosses its network. */
  request<T>(brokerId: number, kind: ControllerRequestKind, send: () => Promise<T>): Promise<T>
  /** Whether a broker's heartbeat reaches the controller now (a cut link loses it). */
  heartbeatReaches(brokerId: number): boolean
  /**
   * Whether a broker can fetch the metadata log now: what is committed meanwhile waits, and its
   * image lags (a KRaft broker fetches from the quorum's leader, over the same link as its heartbeats).
   */
  metadataReaches(brokerId: number): boolean
}

export const directChannel: ControllerChannel = {
  request: (_brokerId, _kind, send) => send(),
  heartbeatReaches: () => true,
  metadataReaches: () => true,
}

/** One broker process: its store and its timers, with how it hangs and dies when they are its own. */
export interface BrokerProcess {
  store: LogStore
  scheduler: Scheduler
  pause?(): void
  resume?(): void
  kill?(): void
}

export interface ClusterNodeParts {
  /** The controller's clock and the node's own timers (controller ticks, retention, checkpoints). */
  scheduler: Scheduler
  metadata: MetadataPersistence
  /** The controller's randomness (elections among equals, topic ids): seeded by the caller. */
  controllerRng: Rng
  /** A broker's randomness (fetch session ids); seeded from the broker id when not given. */
  brokerRng?: (brokerId: number) => Rng
  link: BrokerLink
  channel: ControllerChannel
  /** The node's log (elections, fencing, the timers' failures). */
  log: Logger
  /** A broker's log (the simulation traces each broker on its own). */
  brokerLog(brokerId: number): Logger
  /** The controller quorum as its leader sees it, for DescribeQuorum; absent when the metadata log is one store. */
  quorum?: () => QuorumView
}

export interface ClusterNodeOptions {
  host: string
  /** The port broker `id` listens on (and registers with). */
  portOf(brokerId: number): number
  controllerTickMs: number
  /** Kafka's defaults instead of sluice's own (SLUICE_DEFAULTS as static broker configs). */
  kafkaDefaults?: boolean
  /** How often retention may run (read at each tick, so an altered config applies at once); null: never. */
  retentionCheckIntervalMs: (() => number) | null
  /** How often idle partitions' high watermarks are checkpointed; null: never. */
  checkpointIntervalMs: number | null
  scrubOnOpen?: boolean
  /** Told of each produce acknowledged without error (failover measurement). */
  onProduced?: (topic: string, partition: number) => void
  /** Told of transaction commits, aborts, fencing and timeouts at the brokers' coordinators. */
  onTxnEvent?: (e: TxnEvent) => void
  /** Told of every metadata commit, after the brokers applied it. */
  onCommitted?: (records: MetadataRecord[], events: ClusterEvent[]) => void
  /** Told at every controller tick. */
  onControllerTick?: (nowMs: number) => void
}

const RETENTION_TICK_MS = 100
/** The longest topic creation waits for its replicas when the request gives no timeout. */
const CREATE_SETTLE_MAX_MS = 10_000
/** Elections logged one by one in a commit; the rest are counted in one line. */
const ELECTIONS_LOGGED_PER_COMMIT = 10

/**
 * Throws a controller refusal as a SluiceError (`code` says which kind); REQUEST_TIMED_OUT, the
 * driver's answer when the quorum could not commit (controller-driver.ts), as QUORUM_NO_MAJORITY,
 * retriable (a broker's registration retries it).
 */
export function check(result: { errorCode: number; errorMessage: string | null }, code = 'KAFKA_ERROR'): void {
  if (result.errorCode === ErrorCode.REQUEST_TIMED_OUT) throw new SluiceError('QUORUM_NO_MAJORITY', result.errorMessage ?? 'the controller quorum could not commit', { retriable: true })
  if (result.errorCode !== ErrorCode.NONE) throw new SluiceError(code, result.errorMessage ?? `controller error ${result.errorCode}`)
}

export class ClusterNode {
  readonly image: MetadataImage
  readonly controller: Controller
  private readonly driver: ControllerDriver
  private readonly isrChanges: IsrChangeBatcher
  private readonly brokersById = new Map<number, Broker>()
  private readonly processes = new Map<number, BrokerProcess>()
  /** Each broker process's own image of the metadata log, and when it last fetched (reached the controller) and was caught up. */
  private readonly followers = new Map<number, { follower: MetadataFollower; lastFetchMs: number | null; lastCaughtUpMs: number | null }>()
  /** Registrations waiting for their broker's image to reach them (`caughtUpTo`). */
  private readonly catchUpWaiters = new Map<number, { offset: number; resolve: () => void }[]>()
  private readonly cancelTimers: (() => void)[] = []
  private clusterIdValue = ''

  /** Opens the metadata persistence, replays it into the image, and builds the controller. */
  static async open(parts: ClusterNodeParts, opts: ClusterNodeOptions): Promise<ClusterNode> {
    // Built first, so that the driver listens to the commit stream before the log opens.
    const node = new ClusterNode(parts, opts)
    node.driver.replay(await parts.metadata.open())
    node.clusterIdValue = await parts.metadata.clusterId()
    return node
  }

  private constructor(
    private readonly parts: ClusterNodeParts,
    private readonly opts: ClusterNodeOptions,
  ) {
    this.image = new MetadataImage()
    if (opts.kafkaDefaults) this.image.staticBrokerConfigs = new Map()
    this.controller = new Controller(this.image, parts.controllerRng)
    this.driver = new ControllerDriver(this.controller, parts.metadata, parts.scheduler, (records, events) => this.committed(records, events))
    this.isrChanges = new IsrChangeBatcher(this.driver, parts.scheduler)
  }

  get clusterId(): string {
    return this.clusterIdValue
  }

  get scheduler(): Scheduler {
    return this.parts.scheduler
  }

  get brokers(): ReadonlyMap<number, Broker> {
    return this.brokersById
  }

  broker(id: number): Broker | undefined {
    return this.brokersById.get(id)
  }

  /** The ids of the node's brokers, ascending. */
  brokerIds(): number[] {
    return [...this.brokersById.keys()].sort((a, b) => a - b)
  }

  /** The controller queue: run against the current image, append; answered once committed and applied. */
  submit<T>(command: () => CommandResult<T>, validateOnly = false): Promise<CommandResult<T>> {
    return this.driver.submit(command, validateOnly)
  }

  /** The partitions a broker leads now, by topic name. */
  ledBy(brokerId: number): { topic: string; partition: number }[] {
    const out = []
    for (const t of this.image.topicsById.values()) for (const p of t.partitions) if (p.leader === brokerId) out.push({ topic: t.name, partition: p.partition })
    return out
  }

  /**
   * The controller id that Metadata and DescribeCluster give: as KRaft brokers do (they forward
   * admin requests to the controller quorum, which clients cannot reach), a live broker: the
   * lowest id that is running, answering and unfenced; -1 when none is. Clients that send
   * CreateTopics to "the controller" (kafkajs) then keep working when broker 1 is down.
   */
  liveControllerId(): number {
    for (const b of [...this.brokersById.values()].sort((x, y) => x.id - y.id)) {
      if (b.running && b.state !== 'paused' && this.image.brokers.get(b.id)?.fenced === false) return b.id
    }
    return -1
  }

  /**
   * A new broker process for `id` (not started): the first one, or, in the simulation, a restart's
   * new process over the same disk (the previous one must be down; its timers die with it).
   */
  addBroker(id: number, process: BrokerProcess): Broker {
    const old = this.brokersById.get(id)
    if (old?.running) throw new Error(`broker ${id} is running`)
    this.processes.get(id)?.kill?.()
    this.endCatchUpWaits(id)
    const { scheduler } = this.parts
    // A new process starts from a snapshot of the committed image (KRaft's broker loads one, then fetches).
    this.followers.set(id, { follower: new MetadataFollower(() => this.committedMetadata()), lastFetchMs: null, lastCaughtUpMs: null })
    const broker = new Broker({
      id,
      host: this.opts.host,
      port: this.opts.portOf(id),
      store: process.store,
      cluster: this.view(id),
      scheduler: process.scheduler,
      log: this.parts.brokerLog(id),
      link: this.parts.link,
      register: async (b) => {
        const result = await this.parts.channel.request(id, 'register', () => this.submit(() => this.controller.registerBroker(b.id, b.host, b.port, scheduler.nowMs())))
        check(result)
        // As a KRaft broker waits for its metadata to catch up before it serves: its roles follow
        // its own image, which must hold the registration first. The registration fenced the
        // previous incarnation with new leader epochs; an image without it (a broker cut off from
        // the controller as it registered) would give the old epochs' roles back, and a lagging
        // high watermark checkpoint with them (sim seed 279 on the quorum).
        await this.caughtUpTo(id, this.image.offset)
      },
      // A heartbeat lost on the way is no answer: the broker carries on, its session runs out.
      // It reports the offset its own image has applied, as a KRaft broker's heartbeat does.
      heartbeat: (b) => !this.parts.channel.heartbeatReaches(id) || this.controller.heartbeat(b.id, scheduler.nowMs(), b.cluster.image.offset),
      onProduced: this.opts.onProduced,
      onTxnEvent: this.opts.onTxnEvent,
      scrubOnOpen: this.opts.scrubOnOpen,
      rng: this.parts.brokerRng?.(id),
    })
    this.brokersById.set(id, broker)
    this.processes.set(id, process)
    return broker
  }

  /**
   * Takes broker `id` out of the node for good (`broker remove`): it leaves the node first, so no
   * commit reaches it while it stops; then a clean stop and its store closed. Its registration is
   * the controller's business.
   */
  async removeBroker(id: number): Promise<void> {
    const broker = this.brokerById(id)
    this.brokersById.delete(id)
    // A store whose log dir failed may refuse to close cleanly: the broker is going all the same.
    await broker.close().catch(() => undefined)
    this.processes.get(id)?.kill?.()
    this.processes.delete(id)
    this.endCatchUpWaits(id)
  }

  /**
   * Starts broker `id`: it registers (a new broker epoch) and its replicas follow the metadata.
   * True once registered, false when it crashed first (Broker.start, and its retries while the
   * controller quorum has no majority).
   */
  start(id: number, retryWithoutMajority = true): Promise<boolean> {
    const broker = this.brokerById(id)
    // A restarted process knows nothing of its old image: it loads the committed one.
    if (!broker.running) this.followers.get(id)?.follower.load()
    return broker.start(retryWithoutMajority)
  }

  /** A crash: the process stops at once; what its store committed stays. */
  crash(id: number): void {
    this.brokersById.get(id)?.crash()
    this.processes.get(id)?.kill?.()
    this.endCatchUpWaits(id)
  }

  /**
   * Resolves once broker `id`'s image has applied metadata offset `offset`; at once when its
   * process crashes or is replaced meanwhile (its start then sees it is down).
   */
  private caughtUpTo(id: number, offset: number): Promise<void> {
    if ((this.followers.get(id)?.follower.offset ?? Infinity) >= offset) return Promise.resolve()
    return new Promise((resolve) => {
      const waiters = this.catchUpWaiters.get(id) ?? []
      waiters.push({ offset, resolve })
      this.catchUpWaiters.set(id, waiters)
    })
  }

  private endCatchUpWaits(id: number, upTo = Infinity): void {
    const waiters = this.catchUpWaiters.get(id)
    if (!waiters) return
    const [done, later] = [waiters.filter((w) => w.offset <= upTo), waiters.filter((w) => w.offset > upTo)]
    if (later.length > 0) this.catchUpWaiters.set(id, later)
    else this.catchUpWaiters.delete(id)
    for (const w of done) w.resolve()
  }

  /** A hung process: nothing answered, its timers and its metadata updates wait until resume. */
  pause(id: number): void {
    this.brokersById.get(id)?.pause()
    this.processes.get(id)?.pause?.()
  }

  resume(id: number): void {
    const broker = this.brokersById.get(id)
    if (broker?.state !== 'paused') return
    broker.resume()
    this.processes.get(id)?.resume?.()
    // The metadata committed while it hung, then every partition's role again.
    this.catchUp(id)
    broker.onMetadata()
  }

  private brokerById(id: number): Broker {
    const broker = this.brokersById.get(id)
    if (!broker) throw new SluiceError('NOT_FOUND', `no broker ${id} (brokers are ${this.brokerIds().join(', ')})`)
    return broker
  }

  /** What broker `brokerId` sees of the cluster: the image, and the controller behind its channel. */
  private view(brokerId: number): ClusterView {
    const node = this
    const { channel } = this.parts
    // Each broker process hands out ids from its own blocks (a restart's process starts a new one).
    const producerIds = new ProducerIdBlocks(() => this.submit(() => this.controller.allocateProducerIds(PRODUCER_ID_BLOCK_SIZE)))
    return {
      get clusterId() {
        return node.clusterId
      },
      get controllerId() {
        return node.liveControllerId()
      },
      get image() {
        return node.followers.get(brokerId)!.follower.image
      },
      createTopic: (req, validateOnly, settleTimeoutMs) => this.createTopic(req, validateOnly, settleTimeoutMs),
      createPartitions: (req, validateOnly, settleTimeoutMs) => this.createPartitions(req, validateOnly, settleTimeoutMs),
      deleteTopic: (by) => this.submit(() => this.controller.deleteTopic(by)),
      alterConfigs: (type, name, changes, replace, validateOnly) => this.submit(() => this.controller.alterConfigs(type, name, changes, replace), validateOnly),
      alterIsr: (req) => channel.request(brokerId, 'alterIsr', () => this.isrChanges.submit(req)),
      replicaCorrupt: (req) => channel.request(brokerId, 'replicaCorrupt', () => this.submit(() => this.controller.replicaCorrupt(req))),
      allocateProducerId: () => producerIds.nextId(),
      alterPartitionReassignments: (reqs) => this.submit(() => this.controller.alterPartitionReassignments(reqs)),
      listPartitionReassignments: (filter) => this.controller.listPartitionReassignments(filter),
      quorum: this.parts.quorum && (() => this.withObservers(this.parts.quorum!())),
    }
  }

  /** The committed image and the log's position after it: what a follower loads as a snapshot, and catches up to. */
  private committedMetadata(): { image: MetadataImage; position: number } {
    return { image: this.image, position: this.parts.metadata.position?.() ?? this.image.offset + 1 }
  }

  /** Broker `id`'s image of the metadata (its own, lagging when it cannot reach the controller). */
  brokerImage(id: number): MetadataImage | undefined {
    return this.followers.get(id)?.follower.image
  }

  /**
   * Broker `id` fetches the metadata log, if it runs and reaches the controller: it applies what
   * was committed since its last fetch, and its replicas take their new roles.
   */
  private catchUp(id: number): void {
    const broker = this.brokersById.get(id)
    const f = this.followers.get(id)
    if (!broker?.running || broker.state === 'paused' || !f || !this.parts.channel.metadataReaches(id)) return
    const nowMs = this.parts.scheduler.nowMs()
    f.lastFetchMs = nowMs
    const applied = f.follower.catchUp()
    if (f.follower.position >= this.committedMetadata().position) f.lastCaughtUpMs = nowMs
    if (applied !== null) broker.onMetadata(applied === 'all' ? undefined : applied)
    this.endCatchUpWaits(id, f.follower.offset)
  }

  /**
   * The brokers that follow the metadata log without voting (KRaft's observers): every broker
   * when the controllers are dedicated, the brokers beyond the voters in combined mode (a combined
   * node's broker reads its own voter's log). Their log end is where their image stands.
   */
  private withObservers(view: QuorumView): QuorumView {
    const voters = new Set(view.voters.map((v) => v.id))
    const out: QuorumVoterView[] = []
    for (const id of this.brokerIds()) {
      if (voters.has(id)) continue
      const broker = this.brokersById.get(id)!
      const f = this.followers.get(id)!
      out.push({
        id,
        running: broker.running && broker.state !== 'paused',
        logEndOffset: f.follower.position,
        lastFetchMs: f.lastFetchMs,
        lastCaughtUpMs: f.lastCaughtUpMs,
      })
    }
    return { ...view, observers: out }
  }

  private async createTopic(
    req: Parameters<ClusterView['createTopic']>[0],
    validateOnly: boolean,
    settleTimeoutMs = CREATE_SETTLE_MAX_MS,
  ): ReturnType<ClusterView['createTopic']> {
    const result = await this.submit(() => this.controller.createTopic(req), validateOnly)
    if (result.errorCode === ErrorCode.NONE && !validateOnly) await this.settled(this.image.topicsByName.get(req.name)?.partitions ?? [], settleTimeoutMs)
    return result
  }

  private async createPartitions(
    req: Parameters<ClusterView['createPartitions']>[0],
    validateOnly: boolean,
    settleTimeoutMs = CREATE_SETTLE_MAX_MS,
  ): ReturnType<ClusterView['createPartitions']> {
    const result = await this.submit(() => this.controller.createPartitions(req), validateOnly)
    if (result.errorCode === ErrorCode.NONE && !validateOnly) {
      const added = this.image.topicsByName.get(req.name)?.partitions.slice(req.count - result.value!.added, req.count) ?? []
      await this.settled(added, settleTimeoutMs)
    }
    return result
  }

  /**
   * Waits until the replicas of new partitions have taken their roles, so they are usable at once;
   * but no longer than the request's timeout: the partitions exist, and a client that gives up on
   * a CreateTopics of 10,000 partitions would report a failure for a topic that was created.
   */
  private async settled(partitions: readonly PartitionInfo[], settleTimeoutMs: number): Promise<void> {
    const settling: Promise<void>[] = []
    for (const p of partitions) {
      for (const id of p.replicas) {
        const b = this.brokersById.get(id)
        if (b?.running) settling.push(b.replicas.settled(p))
      }
    }
    let cancel = (): void => undefined
    const timedOut = new Promise<void>((resolve) => (cancel = this.parts.scheduler.setTimer(resolve, Math.max(0, settleTimeoutMs))))
    await Promise.race([Promise.all(settling), timedOut])
    cancel()
  }

  private committed(records: MetadataRecord[], events: ClusterEvent[]): void {
    const { log } = this.parts
    // One line per election, up to a few per commit: a broker returning to 10,000 partitions
    // elects thousands at once, and a line each would be most of the log (and of the work).
    let elections = 0
    for (const record of records) {
      if (record.type === 'removeTopic') {
        // The image no longer has the topic: drop its logs wherever they are.
        for (const broker of this.brokersById.values()) {
          void broker.dropTopicLogs(record.topicId).catch((error: unknown) => {
            log.error('dropping a deleted topic failed', { broker: broker.id, topicId: record.topicId, error: String(error) })
          })
        }
      }
      if (record.type === 'partitionChange' && record.leader !== undefined && ++elections <= ELECTIONS_LOGGED_PER_COMMIT) {
        const topic = this.image.topicsById.get(record.topicId)
        log.info(record.unclean ? 'UNCLEAN leader election' : 'leader elected', {
          topic: topic?.name,
          partition: record.partition,
          leader: record.leader,
          epoch: topic?.partitions[record.partition]?.leaderEpoch,
          reason: record.reason,
        })
      }
      if (record.type === 'fenceBroker') log.info('broker fenced', { broker: record.brokerId })
    }
    if (elections > ELECTIONS_LOGGED_PER_COMMIT) log.info('more leaders elected', { elections: elections - ELECTIONS_LOGGED_PER_COMMIT })
    // Each running broker is offered the commit and applies it when it can fetch: now, or once it
    // runs again (resume()) or reaches the controller again (the next tick), its image lagging meanwhile.
    const { position } = this.committedMetadata()
    const firstOffset = this.image.offset - records.length + 1
    for (const [id, broker] of this.brokersById) {
      if (!broker.running) continue
      this.followers.get(id)?.follower.offer(records, firstOffset, position)
      this.catchUp(id)
    }
    this.opts.onCommitted?.(records, events)
  }

  /** The node's timers: the controller's clock (session timeouts, preferred leaders), retention, checkpoints. */
  startTimers(): void {
    const { scheduler, log } = this.parts
    const every = (ms: number, fn: () => void): void => {
      let cancel = scheduler.setTimer(function tick() {
        cancel = scheduler.setTimer(tick, ms)
        fn()
      }, ms)
      this.cancelTimers.push(() => cancel())
    }

    let ticking = false
    every(this.opts.controllerTickMs, () => {
      // Brokers fetch the metadata log: one that could not (cut off, hung) catches up once it can.
      for (const id of this.brokersById.keys()) this.catchUp(id)
      if (!ticking) {
        ticking = true
        this.submit(() => this.controller.tick(scheduler.nowMs()))
          .catch((error: unknown) => log.error('controller tick failed', { error: String(error) }))
          .finally(() => (ticking = false))
      }
      this.opts.onControllerTick?.(scheduler.nowMs())
    })

    // Retention runs every log.retention.check.interval.ms (a broker config that can be altered
    // at run time); the ticker only looks at the clock, so a changed interval applies at once.
    const retentionEveryMs = this.opts.retentionCheckIntervalMs
    if (retentionEveryMs) {
      let running = false
      let lastMs = scheduler.nowMs()
      every(RETENTION_TICK_MS, () => {
        if (running || scheduler.nowMs() - lastMs < retentionEveryMs()) return
        running = true
        lastMs = scheduler.nowMs()
        Promise.all([...this.brokersById.values()].map((b) => b.runRetention()))
          .then((deleted) => {
            const total = deleted.reduce((a, b) => a + b, 0)
            if (total > 0) log.info('retention deleted batches', { batches: total })
          })
          .catch((error: unknown) => log.error('retention failed', { error: String(error) }))
          .finally(() => (running = false))
      })
    }

    // High watermarks are checkpointed with each append; idle partitions get theirs written here,
    // as Kafka checkpoints every replica.high.watermark.checkpoint.interval.ms (5 s).
    if (this.opts.checkpointIntervalMs !== null) {
      every(this.opts.checkpointIntervalMs, () => {
        for (const b of this.brokersById.values()) {
          if (b.logDirOffline) continue // its store failed: nothing to checkpoint until it is back
          b.store.checkpoint().catch((error: unknown) => log.error('checkpoint failed', { broker: b.id, error: String(error) }))
        }
      })
    }
  }

  /** log.retention.check.interval.ms as the brokers' config says now. */
  retentionCheckIntervalMs(): number {
    return Number(brokerConfig(this.image, 'log.retention.check.interval.ms'))
  }

  /** The metadata log, oldest first (for `cluster events`). */
  metadataRecords(): ReturnType<MetadataPersistence['readAll']> {
    return this.parts.metadata.readAll()
  }

  stopTimers(): void {
    for (const cancel of this.cancelTimers.splice(0)) cancel()
  }

  /** Stops the timers and the brokers (a clean shutdown each), then the metadata persistence. */
  async close(): Promise<void> {
    this.stopTimers()
    await Promise.allSettled([...this.brokersById.values()].map((b) => b.close()))
    await this.parts.metadata.close()
  }
}
