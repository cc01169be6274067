/**
 * The replicated cluster wired for the simulation: the daemon's own cluster node
 * (src/daemon/cluster-node.ts) built with virtual parts: virtual time (one ProcessScheduler per
 * broker incarnation), one MemoryDisk per broker under a MemoryLogStore with seeded write delays,
 * the simulated network for links and for the brokers' requests to the controller, and an
 * in-memory metadata log whose writes take a seeded delay, or, in quorum seeds, the controller
 * quorum's log on three Raft voters (quorum.ts).
 *
 * Broker lifecycle as the daemon sees it: crash() drops a broker at once (the controller notices
 * at session timeout); restart() builds a NEW Broker over a NEW MemoryLogStore on the SAME disk;
 * pause() hangs the process (its timers, its traffic and its metadata updates wait); a controlled
 * shutdown moves leadership first.
 */
import type { Broker } from '../../src/broker/broker.js'
import type { Hosted } from '../../src/broker/replica-manager.js'
import { Controller, type CommandResult } from '../../src/cluster/controller.js'
import { MetadataImage, type MetadataRecord } from '../../src/cluster/metadata.js'
import type { Rng } from '../../src/cluster/rng.js'
import type { Logger } from '../../src/common/logger.js'
import { ClusterNode, type ControllerChannel } from '../../src/daemon/cluster-node.js'
import { MemoryDisk, MemoryLogStore } from '../../src/storage/memory.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import type { MetadataPersistence } from '../../src/daemon/metadata-log.js'
import { runUntilSettled } from '../helpers/virtual-time.js'
import { MemoryMetadataLog } from './metadata-log.js'
import { SimQuorum, type QuorumRngs } from './quorum.js'
import { SimNetwork, type NetworkOptions } from './network.js'
import { ProcessScheduler, VirtualScheduler } from './scheduler.js'

export interface SimNodeOptions {
  brokers: number
  network: NetworkOptions
  /** Upper bound of the metadata log write before a command's records apply. */
  persistMaxMs: number
  controllerTickMs: number
  /** Broker configs set before any broker starts (small timeouts, so seeds run fast). */
  brokerConfigs: Record<string, string>
  /** Upper bound of a broker's storage write (virtual time: appends, truncations, checkpoints land later). */
  diskWriteMaxMs: number
  /** Separate RNG streams, so that adding an event kind does not reshuffle the network. */
  rngs: { controller: Rng; network: Rng; persist: Rng; disk: Rng }
  /** The metadata log on a controller quorum (quorum.ts) instead of in memory, when set. */
  quorum?: { rngs: QuorumRngs; delayMaxMs: number; snapshotBytes?: number | undefined }
  trace: ((line: () => string) => void) | null
  /** An invariant or a broker error: the first one stops the run. */
  fail: (message: string) => void
}

/** What a broker's disk holds of one partition. */
export type StoredPartition = MemoryDisk['partitions'] extends Map<string, infer V> ? V : never

export type BrokerCondition = 'up' | 'paused' | 'down' | 'starting'

/** The broker configs a seed starts with, as the metadata records the controller would write. */
function configRecords(configs: Record<string, string>): MetadataRecord[] {
  const result = new Controller(new MetadataImage(), { next: () => 0, int: () => 0 }).alterConfigs(
    'broker',
    '',
    Object.entries(configs).map(([name, value]) => ({ name, value })),
    false,
  )
  if (result.errorCode !== 0) throw new Error(`broker configs: ${result.errorMessage}`)
  return result.records
}

export class SimNode {
  readonly sched = new VirtualScheduler()
  readonly net: SimNetwork
  readonly disks = new Map<number, MemoryDisk>()
  readonly ids: number[]
  /** Called after every metadata commit (invariants over the metadata history). */
  onCommit: (records: MetadataRecord[]) => void = () => undefined
  readonly stats = { commits: 0, elections: 0, truncations: 0, warnings: 0, restarts: 0 }
  /** The controller quorum under the metadata log, in seeds that run on one. */
  quorum: SimQuorum | null = null
  private nodeValue: ClusterNode | null = null
  private readonly clocks = new Map<number, ProcessScheduler>()
  private readonly starting = new Set<number>()

  /** Builds the node over its virtual parts (no broker started yet). */
  static async create(opts: SimNodeOptions): Promise<SimNode> {
    const sim = new SimNode(opts)
    const initial = configRecords(opts.brokerConfigs)
    let metadata: MetadataPersistence
    if (opts.quorum) {
      const quorum = new SimQuorum(sim.sched, opts.quorum.rngs, opts.quorum.delayMaxMs, opts.trace, opts.fail, opts.quorum.snapshotBytes)
      sim.quorum = quorum
      // The configs a seed starts with are committed before the node opens the log, as the
      // memory log holds them: an election and a commit, in virtual time.
      await runUntilSettled(sim.sched, quorum.seed(initial))
      metadata = quorum.log
    } else {
      metadata = new MemoryMetadataLog(sim.sched, () => opts.rngs.persist.int(opts.persistMaxMs + 1), initial)
    }
    const channel: ControllerChannel = {
      request: (brokerId, kind, send) => {
        sim.trace(() => `b${brokerId} asks the controller: ${kind}`)
        // The memory store never finds a batch corrupt: a report is a bug.
        if (kind === 'replicaCorrupt') {
          opts.fail(`b${brokerId} reported a corrupt replica`)
          return Promise.reject(new Error('not part of the simulation'))
        }
        // No timeout, as the daemon's direct call (and Kafka's AlterPartition, retried until
        // answered): registration needs it, and a leader learns the outcome of its ISR change.
        return sim.net.toController(brokerId, send, null)
      },
      heartbeatReaches: (brokerId) => !sim.net.isControllerCut(brokerId),
      // A broker cut off from the controller fetches no metadata either: its image lags until healed.
      metadataReaches: (brokerId) => !sim.net.isControllerCut(brokerId),
    }
    const opening = ClusterNode.open(
      {
        scheduler: sim.sched,
        metadata,
        controllerRng: opts.rngs.controller,
        link: sim.net,
        channel,
        log: sim.logger('controller'),
        brokerLog: (id) => sim.logger(`b${id}`),
      },
      {
        host: '127.0.0.1',
        portOf: (id) => 9091 + id,
        controllerTickMs: opts.controllerTickMs,
        // Not modelled: retention and idle checkpoints (README.md).
        retentionCheckIntervalMs: null,
        checkpointIntervalMs: null,
        onCommitted: (records) => sim.committed(records),
      },
    )
    // Opening a quorum's log waits for its leader: virtual time has to run meanwhile.
    sim.nodeValue = opts.quorum ? await runUntilSettled(sim.sched, opening) : await opening
    return sim
  }

  private constructor(private readonly opts: SimNodeOptions) {
    this.ids = Array.from({ length: opts.brokers }, (_, i) => i + 1)
    for (const id of this.ids) this.disks.set(id, new MemoryDisk())
    this.net = new SimNetwork(this.sched, opts.rngs.network, { broker: (id) => this.node.broker(id), isPaused: (id) => this.node.broker(id)?.state === 'paused' }, opts.network)
  }

  get node(): ClusterNode {
    return this.nodeValue!
  }

  get image(): MetadataImage {
    return this.node.image
  }

  get controller(): Controller {
    return this.node.controller
  }

  private trace(line: () => string): void {
    this.opts.trace?.(line)
  }

  broker(id: number): Broker | undefined {
    return this.node.broker(id)
  }

  /**
   * Broker `id`'s replica of a partition, when the broker runs and hosts it. A scan of a few
   * replicas: cheaper than building the string key of the replica manager's map, and the checks
   * look replicas up after every timer.
   */
  hosted(id: number, topicId: string, partition: number): Hosted | undefined {
    const b = this.node.broker(id)
    if (!b?.running) return undefined
    for (const h of b.replicas.all()) if (h.partition === partition && h.topicId === topicId) return h
    return undefined
  }

  /** What broker `id`'s disk holds of a partition (what survives a crash), by a scan as `hosted`. */
  stored(id: number, topicId: string, partition: number): StoredPartition | undefined {
    for (const sp of this.disks.get(id)!.partitions.values()) if (sp.partition === partition && sp.topicId === topicId) return sp
    return undefined
  }

  condition(id: number): BrokerCondition {
    if (this.starting.has(id)) return 'starting'
    const b = this.node.broker(id)
    if (!b || !b.running) return 'down'
    return b.state === 'paused' ? 'paused' : 'up'
  }

  withCondition(c: BrokerCondition): number[] {
    return this.ids.filter((id) => this.condition(id) === c)
  }

  /** The controller queue (the daemon's ControllerDriver): run, persist, apply, announce. */
  submit<T>(command: () => CommandResult<T>): Promise<CommandResult<T>> {
    return this.node.submit(command)
  }

  private committed(records: MetadataRecord[]): void {
    this.stats.commits++
    this.quorum?.onApplied(records)
    for (const r of records) {
      if (r.type === 'partitionChange' && r.leader !== undefined) this.stats.elections++
      this.trace(() => `commit ${describeRecord(this.image, r)}`)
    }
    this.onCommit(records)
  }

  /** The controller's clock, as the daemon's. */
  startControllerTicks(): void {
    this.node.startTimers()
  }

  private logger(who: string): Logger {
    const line = (level: string, msg: string, fields?: Record<string, unknown>): string => `${who} ${level}: ${msg}${fields ? ' ' + JSON.stringify(fields) : ''}`
    return {
      info: (msg, fields) => {
        if (msg === 'truncating diverged replica') this.stats.truncations++
        this.trace(() => line('info', msg, fields))
      },
      warn: (msg, fields) => {
        this.stats.warnings++
        this.trace(() => line('warn', msg, fields))
      },
      // Nothing in the memory store fails by itself: an error is a bug.
      error: (msg, fields) => this.opts.fail(line('error', msg, fields)),
    }
  }

  /** Starts broker `id` (a first start, or a restart: a new process over the same disk). */
  async start(id: number): Promise<void> {
    const old = this.node.broker(id)
    if (old?.running || this.starting.has(id)) throw new Error(`broker ${id} is not down`)
    const clock = new ProcessScheduler(this.sched)
    // Writes take virtual time on the broker's own clock: metadata changes and fetch answers land
    // while a write is in flight, and a crash drops what was not written yet.
    const store = new MemoryLogStore(this.disks.get(id), {
      writeDelay: () => new Promise<void>((resolve) => clock.setTimer(resolve, this.opts.rngs.disk.int(this.opts.diskWriteMaxMs + 1))),
    })
    const broker = this.node.addBroker(id, { store, scheduler: clock, pause: () => clock.pause(), resume: () => clock.resume(), kill: () => clock.kill() })
    if (old) this.stats.restarts++
    this.clocks.set(id, clock)
    this.starting.add(id)
    try {
      await store.open()
      this.trace(() => `b${id} registers`)
      await this.node.start(id)
    } catch (error) {
      // Crashed while starting: its registration was cut off with it. Not a failure of the start.
      if (clock.state !== 'dead') throw error
      this.trace(() => `b${id} died while starting: ${String(error)}`)
    } finally {
      if (this.node.broker(id) === broker) this.starting.delete(id)
    }
  }

  /** A crash: the process dies; what its store committed stays on its disk. */
  crash(id: number): void {
    if (!this.node.broker(id)) return
    this.node.crash(id)
    this.starting.delete(id)
    this.net.crashed(id)
  }

  pause(id: number): void {
    this.node.pause(id)
  }

  resume(id: number): void {
    if (this.condition(id) !== 'paused') return
    this.node.resume(id)
    this.net.changed()
  }

  /** `sluice broker kill --clean`: leadership moves first, then the process stops. */
  async controlledShutdown(id: number): Promise<void> {
    const result = await this.submit(() => this.controller.controlledShutdown(id))
    // No majority to commit the moves (REQUEST_TIMED_OUT): the broker stops all the same, as a
    // KRaft broker whose wait for the controller's approval times out; its leaders move at fencing.
    if (result.errorCode === ErrorCode.REQUEST_TIMED_OUT) this.trace(() => `b${id} stops without its controlled shutdown: ${result.errorMessage}`)
    else if (result.errorCode !== 0) throw new Error(`controlled shutdown refused: ${result.errorMessage}`)
    // The broker may have crashed (or been restarted) while the shutdown was queued.
    if (this.condition(id) === 'up' || this.condition(id) === 'paused') this.crash(id)
  }
}

export function describeRecord(image: MetadataImage, r: MetadataRecord): string {
  switch (r.type) {
    case 'partitionChange': {
      const p = image.topicsById.get(r.topicId)?.partitions[r.partition]
      const parts = [`p${r.partition}`]
      if (r.leader !== undefined) parts.push(`leader ${r.leader}`)
      if (r.isr) parts.push(`isr [${r.isr}]`)
      if (r.replicas) parts.push(`replicas [${r.replicas}]`)
      if (r.addingReplicas?.length || r.removingReplicas?.length) parts.push(`adding [${r.addingReplicas ?? []}] removing [${r.removingReplicas ?? []}]`)
      if (p) parts.push(`-> epoch ${p.leaderEpoch}/${p.partitionEpoch}`)
      if (r.unclean) parts.push('UNCLEAN')
      if (r.reason) parts.push(`(${r.reason})`)
      return parts.join(' ')
    }
    case 'partition':
      return `p${r.partition} replicas [${r.replicas}] isr [${r.isr}] leader ${r.leader}`
    case 'registerBroker':
    case 'fenceBroker':
    case 'unfenceBroker':
    case 'unregisterBroker':
      return `${r.type} ${r.brokerId} (broker epoch ${r.brokerEpoch})`
    default:
      return r.type
  }
}
