/**
 * The daemon's cluster: the cluster node (daemon/cluster-node.ts) built with real parts (real
 * time, a controller seed drawn here, a LevelDB store per broker, the metadata log on the
 * controller quorum, direct links through the fault injector), with what only the daemon has
 * around it: a Kafka listener per broker, log dir health, faults, failover measures and runtime events, and brokers added,
 * removed and rebalanced (broker-membership.ts). This is the I/O edge: real time, real
 * randomness, real files and sockets.
 *
 * The controller quorum runs in combined mode (KRaft's dev-cluster layout, the default): the first N brokers
 * by id are also voters, each with its Raft log in <home>/controllers/<id>; a broker's kill
 * crashes its voter (a clean kill stops it, resigning first), its start starts it, its pause cuts
 * the voter off the quorum's transport until resume, and a cut link between two voters' brokers
 * cuts their voters too. In dedicated mode the voters are nodes of their own (ids 3000..,
 * controller-nodes.ts: `sluice controller kill|start|pause|resume`), and a broker's lifecycle
 * leaves the quorum alone. The quorum's elections, voters down and up and a lost majority are told
 * as runtime events (cluster/quorum-events.ts). A home made before the quorum has its old
 * metadata log imported on the first start (metadata-import.ts).
 *
 * The daemon lifecycle (lock, pid file, control socket, logs) calls startCluster() once and
 * close() on a graceful stop.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { Broker } from '../broker/broker.js'
import { KafkaListener } from '../broker/listener.js'
import type { TxnEvent } from '../broker/txn-coordinator.js'
import { describeLog, type ClusterEvent } from '../cluster/events.js'
import { FailoverTracker, type FailoverMeasured } from '../cluster/failover-tracker.js'
import { brokerConfig } from '../cluster/configs.js'
import { MetadataImage } from '../cluster/metadata.js'
import { QuorumEvents } from '../cluster/quorum-events.js'
import type { OngoingReassignment, ReassignmentFilter, ReassignmentRequest, ReassignmentResult } from '../cluster/reassignment.js'
import { seededRng } from '../cluster/rng.js'
import { LevelLogStore } from '../storage/leveldb.js'
import { SluiceError } from '../common/errors.js'
import { voterIds, type ConfiguredBroker, type ControllerMode } from '../common/daemon-config.js'
import type { ClusterStatus, Fault, FaultSpec, PartitionSnapshot, RebalanceMove, RebalanceResult, ReassignmentProgress, StuckReplica } from '../common/control-contract.js'
import { describeFault } from '../common/fault-text.js'
import type { Logger } from '../common/logger.js'
import { partitionSnapshots, statusOf, stuckReplicasOf } from './cluster-snapshots.js'
import { check, ClusterNode, directChannel, type ControllerChannel } from './cluster-node.js'
import { FaultInjector } from './faults.js'
import { DirectLink } from './links.js'
import { LogDirHealth, openUnlessDiskFull } from './log-dirs.js'
import { importPreQuorumLog, readPreQuorumLog } from './metadata-import.js'
import { levelRaftStores, QUORUM_APPEND_TIMEOUT_MS, QuorumMetadataLog, type RaftTimings } from './quorum-metadata-log.js'
import { InProcessTransport } from './quorum-transport.js'
import { realScheduler } from './real-scheduler.js'
import { reassignmentProgress } from './rebalance.js'
import { BrokerMembership } from './broker-membership.js'
import { ControllerNodes } from './controller-nodes.js'
import { mergeByTime, RuntimeEvents } from './runtime-events.js'

export interface ClusterOptions {
  /** The data directory ($SLUICE_HOME). Brokers keep their logs in <home>/brokers/<id>/. */
  home: string
  /** The brokers (ids and ports), sorted by id; the first one's address is the bootstrap address. */
  brokers: ConfiguredBroker[]
  /** Listener host, 127.0.0.1 by default. */
  host: string
  /** Kafka's defaults instead of sluice's own: no static broker configs (src/cluster/configs.ts SLUICE_DEFAULTS). */
  kafkaDefaults?: boolean
  /** Every group commit of every broker's store fsynced before its appends are acknowledged (`daemon start --fsync`). */
  fsync?: boolean
  log: Logger
  /** Called with the brokers after `broker add` or `broker remove` changed them (the daemon saves them in the home). */
  onBrokersChanged?: (brokers: ConfiguredBroker[]) => void
  /** Called with the events of every metadata commit (the `cluster events` stream). */
  onEvents?: (events: ClusterEvent[]) => void
  /** How often retention runs; the broker config log.retention.check.interval.ms otherwise. */
  retentionCheckIntervalMs?: number
  /** Read every log once in the background after it opens, looking for corrupt batches (default true). */
  scrubOnOpen?: boolean
  /** Controller quorum voters (1, 3 or 5): the first N brokers by id, or N dedicated controllers; by the broker count when not given. */
  controllers?: number
  /** combined (the default): voters in the brokers; dedicated: voters of their own (ids 3000..), no listener, no partitions. */
  controllerMode?: ControllerMode
}

export interface ClusterRuntime {
  readonly bootstrap: string
  status(): ClusterStatus
  /** A crash (`clean: false`: the controller notices at session timeout) or a controlled shutdown. */
  /**
   * A crash (`clean: false`: the controller notices at session timeout) or a controlled shutdown.
   * A controlled shutdown the controller quorum cannot commit (no majority) falls back to a stop
   * without it, as a Kafka broker gives up on an unanswered ControlledShutdown: `uncontrolled` says why.
   */
  killBroker(id: number, opts?: { clean?: boolean }): Promise<{ uncontrolled: string | null }>
  startBroker(id: number): Promise<void>
  pauseBroker(id: number): void
  resumeBroker(id: number): void
  /** Starts a new, empty broker (the next id, the next free port after the highest), saved in the home. */
  addBroker(): Promise<ConfiguredBroker>
  /**
   * Decommissions a broker; refused (BROKER_NOT_EMPTY) while it holds replicas, unless `move`
   * moves them to the other live brokers first (returned).
   */
  removeBroker(id: number, opts?: { move?: boolean }): Promise<RebalanceMove[]>
  /** Plans moves spreading replicas and preferred leaders over the live brokers; submits them unless `dryRun`. */
  rebalance(opts: { topic?: string; dryRun?: boolean }): Promise<RebalanceResult>
  /** The reassignments in progress, with their copy progress. */
  reassignments(): ReassignmentProgress[]
  /** Moves leadership of a partition to another ISR member; returns the new leader. */
  failover(topic: string, partition: number, to?: number): Promise<{ from: number; to: number; leaderEpoch: number }>
  /** Preferred-leader election (all partitions, or one topic's); returns how many moved. */
  electPreferredLeaders(topic?: string): Promise<number>
  /** Starts, replaces or (replicas null) cancels partition moves; each partition has its own error. */
  alterPartitionReassignments(reqs: ReassignmentRequest[]): Promise<ReassignmentResult[]>
  /** The partition moves in progress (all, or those the filter names). */
  listPartitionReassignments(filter?: ReassignmentFilter): OngoingReassignment[]
  /** The controller quorum's voters, and in dedicated mode their lifecycle actions (controller-nodes.ts). */
  readonly controllers: Pick<ControllerNodes, 'list' | 'kill' | 'start' | 'pause' | 'resume'>
  /** Faults at the edges: links between brokers and the brokers' listeners. */
  readonly faults: FaultInjector
  /** Adds a fault (told as a fault.added event). */
  addFault(spec: FaultSpec, seed?: number): Fault
  /** Removes one fault or all (told as a fault.cleared event); returns how many. */
  clearFaults(id?: number): number
  /** The metadata log told as events, with the runtime events merged in by time, oldest first. */
  events(): Promise<ClusterEvent[]>
  /** Every partition with its replicas' offsets. */
  partitions(): PartitionSnapshot[]
  /** Followers stuck truncating and refetching the same records. */
  stuckReplicas(): StuckReplica[]
  /** The last failover measured since the daemon started. */
  readonly lastFailover: FailoverMeasured | null
  /** The metadata image (read-only use: status views). */
  readonly image: MetadataImage
  close(): Promise<void>
}

const CONTROLLER_TICK_MS = 200
const HWM_CHECKPOINT_INTERVAL_MS = 5_000
/**
 * KRaft's quorum timings, scaled down to one machine: a lost leader is replaced within about a
 * second; followers long-poll (fetch.max.wait.ms 250, under the request timeout). Measured on
 * this VM: `sluice daemon start` on a fresh home with 3 voters 0.60-0.65 s wall (the daemon's
 * own `ready startupMs` 375-434 ms); an idle daemon ~1% of a core (with 5 ms fetch polls: 3.5%).
 */
const RAFT_TIMINGS: RaftTimings = { electionTimeoutMs: 300, fetchTimeoutMs: 600, electionBackoffMaxMs: 300, requestTimeoutMs: 600, fetchIntervalMs: 50, fetchMaxWaitMs: 250 }

/**
 * The controller quorum on the home's brokers, with what a pre-quorum home held imported into it.
 * Its voters snapshot by metadata.log.max.record.bytes.between.snapshots as the image (`image()`,
 * null until the node replayed the log) says; none snapshots before, the value not being known.
 */
async function openQuorum(opts: ClusterOptions, transport: InProcessTransport, image: () => MetadataImage | null): Promise<QuorumMetadataLog> {
  const old = await readPreQuorumLog(opts.home)
  const quorum = new QuorumMetadataLog({
    voterIds: voterIds(opts),
    storeOf: levelRaftStores(opts.home),
    transport,
    scheduler: realScheduler,
    rng: seededRng(randomBytes(4).readUInt32LE(0)),
    raft: RAFT_TIMINGS,
    appendTimeoutMs: QUORUM_APPEND_TIMEOUT_MS,
    maxRecordBytesBetweenSnapshots: () => {
      const current = image()
      return current ? Number(brokerConfig(current, 'metadata.log.max.record.bytes.between.snapshots')) : Infinity
    },
    ...(old?.clusterId ? { newClusterId: () => old.clusterId! } : {}),
  })
  if (old) {
    try {
      await quorum.open()
      const imported = await importPreQuorumLog(old, quorum)
      opts.log.info('imported the pre-quorum metadata log', { records: imported, renamedTo: `${old.dir}.imported` })
    } catch (error) {
      await quorum.close().catch(() => undefined)
      throw error
    }
  }
  return quorum
}

/**
 * How brokers reach the active controller: in combined mode, over the link between the broker
 * and the quorum leader's broker, so a cut link (`fault add cut`) loses the broker's heartbeats
 * (the controller fences it at session timeout) and its metadata fetches (its image lags: it
 * answers clients from what it had, as a Kafka broker cut off from the controller does) until
 * healed. Requests (registration, ISR changes) are direct calls, as before the quorum. Dedicated
 * controllers name no broker link: nothing cuts them off.
 */
function controllerChannel(opts: ClusterOptions, quorum: QuorumMetadataLog, faults: FaultInjector): ControllerChannel {
  if (opts.controllerMode === 'dedicated') return directChannel
  const reaches = (brokerId: number): boolean => {
    const leader = quorum.leaderId()
    return leader === null || leader === brokerId || !faults.isCut(brokerId, leader)
  }
  return { request: directChannel.request, heartbeatReaches: reaches, metadataReaches: reaches }
}

export async function startCluster(opts: ClusterOptions): Promise<ClusterRuntime> {
  const { log } = opts
  fs.mkdirSync(path.join(opts.home, 'brokers'), { recursive: true, mode: 0o700 })
  const ports = new Map(opts.brokers.map((b) => [b.id, b.port]))
  const faults = new FaultInjector(() => [...ports.keys()])
  const listeners = new Map<number, KafkaListener>()
  // The quorum's messages cross the brokers' links: a cut between two voters' brokers cuts them.
  const transport = new InProcessTransport(realScheduler, () => 0, faults)
  let opened: ClusterNode | null = null
  const quorum = await openQuorum(opts, transport, () => opened?.image ?? null)
  const runtime = new DaemonCluster(opts, ports, faults, listeners, quorum, transport)
  const node: ClusterNode = await ClusterNode.open(
    {
      scheduler: realScheduler,
      metadata: quorum,
      controllerRng: seededRng(randomBytes(4).readUInt32LE(0)),
      // Fetch session ids unlike the last run's: a client that kept one across a daemon restart
      // must not land in another client's new session.
      brokerRng: () => seededRng(randomBytes(4).readUInt32LE(0)),
      link: new DirectLink((id) => node.broker(id), faults, realScheduler),
      channel: controllerChannel(opts, quorum, faults),
      log,
      brokerLog: () => log,
      quorum: () => quorum.describe(),
    },
    {
      host: opts.host,
      portOf: (id) => {
        const port = ports.get(id)
        if (port === undefined) throw new Error(`broker ${id} has no port`)
        return port
      },
      controllerTickMs: CONTROLLER_TICK_MS,
      kafkaDefaults: opts.kafkaDefaults,
      retentionCheckIntervalMs: () => opts.retentionCheckIntervalMs ?? node.retentionCheckIntervalMs(),
      checkpointIntervalMs: HWM_CHECKPOINT_INTERVAL_MS,
      scrubOnOpen: opts.scrubOnOpen ?? true,
      onProduced: (topic, partition) => runtime.failovers.produced(topic, partition, realScheduler.nowMs()),
      onTxnEvent: (e) => runtime.txnEvent(e),
      onCommitted: (_records, events) => runtime.committed(events),
      onControllerTick: (nowMs) => {
        runtime.failovers.tick(nowMs)
        // A voter may also stop on its own (a store write failed): noticed here.
        runtime.checkQuorum()
      },
    },
  ).catch(async (error: unknown) => {
    // The node never took the quorum over: its voters would hold their stores open.
    await quorum.close().catch(() => undefined)
    throw error
  })
  opened = node
  await runtime.start(node)
  return runtime
}

/** The daemon's ClusterRuntime: the node, its listeners, faults, log dir health and runtime events. */
class DaemonCluster implements ClusterRuntime {
  readonly bootstrap: string
  readonly failovers: FailoverTracker
  private nodeValue: ClusterNode | null = null
  private logDirs: LogDirHealth | null = null
  // Runtime events (kills, pauses, faults, failover measures): published like the metadata
  // log's events, and the last RUNTIME_EVENTS_MAX kept for the history.
  private readonly runtime: RuntimeEvents
  private lastFailoverValue: FailoverMeasured | null = null
  /** Not while the brokers start: the elections of a restart are no failover anyone lived through. */
  private ready = false
  private membersValue: BrokerMembership | null = null
  private readonly voters: number[]
  /** Whether the voters live in the brokers (combined): a broker's lifecycle is its voter's. */
  private readonly combined: boolean
  private readonly quorumEvents: QuorumEvents
  readonly controllers: ControllerNodes

  constructor(
    private readonly opts: ClusterOptions,
    /** Each broker's port, by id: the home's brokers, changed by addBroker and removeBroker. */
    private readonly ports: Map<number, number>,
    readonly faults: FaultInjector,
    private readonly listeners: Map<number, KafkaListener>,
    readonly quorum: QuorumMetadataLog,
    private readonly transport: InProcessTransport,
  ) {
    this.bootstrap = `${opts.host}:${opts.brokers[0]!.port}`
    this.voters = voterIds(opts)
    this.combined = opts.controllerMode !== 'dedicated'
    this.controllers = new ControllerNodes({
      mode: opts.controllerMode ?? 'combined',
      voters: this.voters,
      quorum,
      transport,
      log: opts.log,
      event: (...args) => this.event(...args),
      checkQuorum: () => this.checkQuorum(),
    })
    this.runtime = new RuntimeEvents((e) => opts.onEvents?.([e]))
    this.quorumEvents = new QuorumEvents(this.voters, (...args) => this.event(...args))
    quorum.onVoterState((id, prev, next) => this.quorumEvents.voterState(id, prev, next))
    this.failovers = new FailoverTracker({
      emit: (m) => {
        this.lastFailoverValue = m
        opts.log.info('failover measured', { ...m })
        this.event('failover.measured', { ...m }, m.message)
      },
    })
  }

  private get members(): BrokerMembership {
    if (!this.membersValue) throw new Error('the cluster is not started')
    return this.membersValue
  }

  private get node(): ClusterNode {
    if (!this.nodeValue) throw new Error('the cluster is not started')
    return this.nodeValue
  }

  get image(): MetadataImage {
    return this.node.image
  }

  get lastFailover(): FailoverMeasured | null {
    return this.lastFailoverValue
  }

  /** A transaction coordinator's event (commit, abort, fence, timeout), told as a runtime event. */
  txnEvent(e: TxnEvent): void {
    this.event(e.type, e.fields, e.message)
  }

  private event(...args: Parameters<RuntimeEvents['publish']>): void {
    this.runtime.publish(...args)
  }

  private brokerDir(brokerId: number): string {
    return path.join(this.opts.home, 'brokers', String(brokerId))
  }

  /** A broker's LevelDB store, not yet opened: the one place a broker's store is made (start, a log dir back online, `broker add`). */
  private newStore(brokerId: number): LevelLogStore {
    return new LevelLogStore(this.brokerDir(brokerId), { sync: this.opts.fsync ?? false })
  }

  /** Every broker on its LevelDB store, started, then the node's timers. */
  async start(node: ClusterNode): Promise<void> {
    this.nodeValue = node
    const { opts } = this
    const brokerDir = (brokerId: number): string => this.brokerDir(brokerId)
    const logDirs = (this.logDirs = new LogDirHealth({
      log: opts.log,
      dirOf: brokerDir,
      fence: async (brokerId, reason) => check(await node.submit(() => node.controller.fenceBroker(brokerId, reason))),
      openStore: async (brokerId) => {
        const store = this.newStore(brokerId)
        await store.open()
        return store
      },
      restart: async (broker) => void (await broker.start()),
      event: (...args) => this.event(...args),
    }))
    try {
      for (const brokerId of this.ports.keys()) {
        const store = this.newStore(brokerId)
        // A disk already full: the broker starts with its log dir offline (and comes back with room).
        const openFailure = await openUnlessDiskFull(store)
        const broker = node.addBroker(brokerId, { store, scheduler: realScheduler })
        this.listeners.set(brokerId, new KafkaListener(broker, this.faults))
        if (openFailure) logDirs.startOffline(broker, store, openFailure)
        else logDirs.watch(broker, store)
      }
      for (const broker of node.brokers.values()) {
        if (!broker.logDirOffline) await node.start(broker.id)
        await this.listeners.get(broker.id)!.listen()
      }
    } catch (error) {
      await logDirs.close()
      await Promise.allSettled([...this.listeners.values()].map((l) => l.close()))
      await node.close().catch(() => undefined)
      throw error
    }
    this.membersValue = new BrokerMembership({
      node,
      host: opts.host,
      ports: this.ports,
      listeners: this.listeners,
      faults: this.faults,
      logDirs,
      brokerDir,
      newStore: (id) => this.newStore(id),
      broker: (id) => this.broker(id),
      log: opts.log,
      event: (...args) => this.event(...args),
      onBrokersChanged: opts.onBrokersChanged,
    })
    this.ready = true
    opts.log.info('cluster ready', { brokers: opts.brokers.length, bootstrap: this.bootstrap, clusterId: node.clusterId })
    node.startTimers()
  }

  /** A metadata commit's events, then the failover measures they start or end. */
  committed(events: ClusterEvent[]): void {
    this.opts.onEvents?.(events)
    // After the records' own events: a failover measure told at the election comes after it.
    const nowMs = this.node.scheduler.nowMs()
    for (const e of this.ready ? events : []) {
      if (e.type === 'leader.changed') {
        this.failovers.leaderChanged(e.topic as string, e.partition as number, e.from as number, e.to as number, e.leaderEpoch as number, nowMs)
      }
    }
  }

  /** The active controller is the quorum's leader (Metadata's controllerId stays a live broker: cluster-node.ts). */
  status(): ClusterStatus {
    return { ...statusOf(this.node, this.listeners), controllerId: this.quorum.describe().leaderId ?? -1 }
  }

  /** Tells the voters that went down or came up since the last check, and a majority lost or back. */
  checkQuorum(): void {
    this.quorumEvents.check(this.quorum.describe(), (id) => !this.transport.isIsolated(id))
  }

  /** Whether the broker runs a voter (combined mode); dedicated controllers are no broker's. */
  private isVoter(brokerId: number): boolean {
    return this.combined && this.voters.includes(brokerId)
  }

  partitions(): PartitionSnapshot[] {
    return partitionSnapshots(this.node)
  }

  stuckReplicas(): StuckReplica[] {
    return stuckReplicasOf(this.node)
  }

  private broker(brokerId: number): Broker {
    const broker = this.node.broker(brokerId)
    if (!broker) throw new SluiceError('NOT_FOUND', `no broker ${brokerId} (brokers are ${this.node.brokerIds().join(', ')})`)
    return broker
  }

  /** ", leader of orders-0, orders-2" for a broker's event message (up to 5 partitions named). */
  private ledSummary(brokerId: number): string {
    const led = this.node.ledBy(brokerId).map((p) => `${p.topic}-${p.partition}`)
    if (led.length === 0) return ''
    return `, leader of ${led.slice(0, 5).join(', ')}${led.length > 5 ? ` and ${led.length - 5} more` : ''}`
  }

  async killBroker(brokerId: number, killOpts: { clean?: boolean } = {}): Promise<{ uncontrolled: string | null }> {
    const broker = this.broker(brokerId)
    if (!broker.running) return { uncontrolled: null }
    const { node } = this
    let uncontrolled: string | null = null
    // A broker still starting (not registered) leads nothing: it has no leaderships to move.
    if (killOpts.clean && broker.registered) {
      try {
        check(await node.submit(() => node.controller.controlledShutdown(brokerId)))
      } catch (error) {
        if (!(error instanceof SluiceError && error.code === 'QUORUM_NO_MAJORITY')) throw error
        // Metadata is frozen: nothing can move its leaderships now. It stops all the same, as a
        // Kafka broker does once its ControlledShutdown goes unanswered; the controller fences it
        // at the session timeout once a majority is back.
        uncontrolled = error.message
        this.opts.log.warn('controlled shutdown could not commit: stopping without it', { broker: brokerId, error: error.message })
      }
    }
    // A clean shutdown moved its leaders first; a crash leaves them leaderless until fenced.
    const nowMs = this.node.scheduler.nowMs()
    for (const p of node.ledBy(brokerId)) this.failovers.leaderLost(p.topic, p.partition, brokerId, nowMs)
    await this.listeners.get(brokerId)!.close()
    node.crash(brokerId)
    if (this.isVoter(brokerId)) {
      if (killOpts.clean) await this.quorum.stopVoter(brokerId)
      else this.quorum.crashVoter(brokerId)
    }
    const controlled = killOpts.clean === true && uncontrolled === null
    this.opts.log.info(controlled ? 'broker shut down' : 'broker killed', { broker: brokerId })
    const led = controlled ? '' : this.ledSummary(brokerId)
    const message = controlled
      ? `broker ${brokerId} shut down (controlled)`
      : killOpts.clean
        ? `broker ${brokerId} shut down without a controlled shutdown (the controller quorum has no majority)${led}`
        : `broker ${brokerId} killed${led}`
    this.event('broker.killed', { broker: brokerId, clean: controlled }, message)
    this.checkQuorum()
    return { uncontrolled }
  }

  async startBroker(brokerId: number): Promise<void> {
    const broker = this.broker(brokerId)
    if (broker.running) {
      if (broker.state === 'paused') this.resumeBroker(brokerId)
      return
    }
    if (broker.logDirOffline) {
      throw new SluiceError('CONFLICT', `broker ${brokerId}'s log dir is offline (${broker.logDirOffline.reason}); it starts by itself once writes work again`)
    }
    // The voter first: the broker's registration may need it for a majority.
    if (this.isVoter(brokerId)) await this.quorum.startVoter(brokerId)
    this.checkQuorum()
    const registered = this.node.start(brokerId)
    if (this.quorumHasMajority()) return this.started(brokerId, await registered)

    // Metadata is frozen: the broker stays starting (fenced, not listening) and retries its
    // registration until a majority is back (broker.ts); the start returns now, as KRaft's
    // broker process runs on while its BrokerLifecycleManager waits for a controller.
    this.opts.log.info('broker starting: it registers once the controller quorum has a majority', { broker: brokerId })
    this.event('broker.starting', { broker: brokerId }, `broker ${brokerId} started; it registers once the controller quorum has a majority`)
    registered
      .then((done) => this.started(brokerId, done))
      .catch((error: unknown) => this.opts.log.warn('broker start failed', { broker: brokerId, error: String(error) }))
  }

  /** Whether a majority of the voters runs, not cut off: a registration can commit now. */
  private quorumHasMajority(): boolean {
    const { voters } = this.quorum.describe()
    const up = voters.filter((v) => v.running && !this.transport.isIsolated(v.id)).length
    return up > voters.length / 2
  }

  /** The end of a start once it registered (not when the broker was killed first): it listens. */
  private async started(brokerId: number, registered: boolean): Promise<void> {
    if (!registered) return
    await this.listeners.get(brokerId)!.listen()
    for (const p of this.node.ledBy(brokerId)) this.failovers.leaderBack(p.topic, p.partition, brokerId)
    this.opts.log.info('broker started', { broker: brokerId })
    this.event('broker.started', { broker: brokerId }, `broker ${brokerId} started`)
    this.checkQuorum()
  }

  addBroker(): Promise<ConfiguredBroker> {
    return this.members.add()
  }

  removeBroker(brokerId: number, removeOpts: { move?: boolean } = {}): Promise<RebalanceMove[]> {
    if (this.isVoter(brokerId)) {
      return Promise.reject(new SluiceError('CONFLICT', `broker ${brokerId} runs a controller quorum voter; voters cannot be removed (voter changes are not supported)`))
    }
    return this.members.remove(brokerId, removeOpts)
  }

  rebalance(req: { topic?: string; dryRun?: boolean }): Promise<RebalanceResult> {
    return this.members.rebalance(req)
  }

  reassignments(): ReassignmentProgress[] {
    return reassignmentProgress(this.node)
  }

  pauseBroker(brokerId: number): void {
    const broker = this.broker(brokerId)
    const wasRunning = broker.running && broker.state !== 'paused'
    this.node.pause(brokerId)
    if (this.isVoter(brokerId)) this.transport.isolate(brokerId, true)
    if (!wasRunning) return
    const nowMs = this.node.scheduler.nowMs()
    for (const p of this.node.ledBy(brokerId)) this.failovers.leaderLost(p.topic, p.partition, brokerId, nowMs)
    this.opts.log.info('broker paused', { broker: brokerId })
    this.event('broker.paused', { broker: brokerId }, `broker ${brokerId} paused (hung: connections open, nothing answered)${this.ledSummary(brokerId)}`)
    this.checkQuorum()
  }

  resumeBroker(brokerId: number): void {
    const broker = this.broker(brokerId)
    if (broker.state !== 'paused') return
    if (this.isVoter(brokerId)) this.transport.isolate(brokerId, false)
    this.node.resume(brokerId)
    for (const p of this.node.ledBy(brokerId)) this.failovers.leaderBack(p.topic, p.partition, brokerId)
    this.opts.log.info('broker resumed', { broker: brokerId })
    this.event('broker.resumed', { broker: brokerId }, `broker ${brokerId} resumed`)
    this.checkQuorum()
  }

  async failover(topic: string, partition: number, to?: number): Promise<{ from: number; to: number; leaderEpoch: number }> {
    const { node } = this
    const from = node.image.partition(topic, partition)?.leader ?? -1
    check(await node.submit(() => node.controller.failover(topic, partition, to)), 'FAILOVER_REFUSED')
    const after = node.image.partition(topic, partition)!
    return { from, to: after.leader, leaderEpoch: after.leaderEpoch }
  }

  async electPreferredLeaders(topic?: string): Promise<number> {
    const { node } = this
    const result = await node.submit(() =>
      node.controller.electPreferredLeaders(topic === undefined ? undefined : (p) => node.image.topicsById.get(p.topicId)?.name === topic),
    )
    return result.records.length
  }

  async alterPartitionReassignments(reqs: ReassignmentRequest[]): Promise<ReassignmentResult[]> {
    const { node } = this
    return (await node.submit(() => node.controller.alterPartitionReassignments(reqs))).value!
  }

  listPartitionReassignments(filter: ReassignmentFilter = null): OngoingReassignment[] {
    return this.node.controller.listPartitionReassignments(filter)
  }

  addFault(spec: FaultSpec, seed?: number): Fault {
    const fault = this.faults.add(spec, seed)
    this.event('fault.added', { fault }, `fault ${fault.id} added: ${describeFault(fault)}`)
    return fault
  }

  clearFaults(faultId?: number): number {
    const ids = faultId === undefined ? this.faults.list().map((f) => f.id) : [faultId]
    const n = this.faults.clear(faultId)
    if (n > 0) this.event('fault.cleared', { ids }, ids.length === 1 ? `fault ${ids[0]} cleared` : `faults ${ids.join(', ')} cleared`)
    return n
  }

  async events(): Promise<ClusterEvent[]> {
    return mergeByTime(describeLog(await this.node.metadataRecords()), this.runtime.list())
  }

  async close(): Promise<void> {
    this.node.stopTimers()
    await this.logDirs?.close()
    await Promise.allSettled([...this.listeners.values()].map((l) => l.close()))
    await this.node.close()
  }
}
