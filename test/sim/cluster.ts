/**
 * The replicated cluster wired for the simulation: the same Controller and Broker classes the
 * daemon uses (src/daemon/cluster.ts), with virtual time, one MemoryDisk per broker, the simulated
 * network, and a controller driver that keeps the daemon's single-queue semantics (the command
 * runs against the current image, its records are "persisted" after a seeded delay, then applied
 * and announced to every broker).
 *
 * Broker lifecycle as the daemon sees it: crash() drops a broker at once (the controller notices
 * at session timeout); restart() builds a NEW Broker over a NEW MemoryLogStore on the SAME disk;
 * pause() hangs the process (its timers, its traffic and its metadata updates wait); a controlled
 * shutdown moves leadership first.
 */
import { Broker } from '../../src/broker/broker.js'
import type { ClusterView } from '../../src/broker/cluster-view.js'
import { Controller, type CommandResult } from '../../src/cluster/controller.js'
import { MetadataImage, type MetadataRecord } from '../../src/cluster/metadata.js'
import type { Rng } from '../../src/cluster/rng.js'
import type { Logger } from '../../src/common/logger.js'
import { MemoryDisk, MemoryLogStore } from '../../src/storage/memory.js'
import { SimNetwork, type NetworkOptions } from './network.js'
import { ProcessScheduler, VirtualScheduler } from './scheduler.js'
import { ErrorCode } from '../../src/protocol/errors.js'

export interface SimClusterOptions {
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
  trace: ((line: () => string) => void) | null
  /** An invariant or a broker error: the first one stops the run. */
  fail: (message: string) => void
}

export type BrokerCondition = 'up' | 'paused' | 'down' | 'starting'

export class SimCluster {
  readonly sched = new VirtualScheduler()
  readonly image = new MetadataImage()
  readonly controller: Controller
  readonly net: SimNetwork
  readonly disks = new Map<number, MemoryDisk>()
  readonly ids: number[]
  /** Called after every metadata commit (invariants over the metadata history). */
  onCommit: (records: MetadataRecord[]) => void = () => undefined
  readonly stats = { commits: 0, elections: 0, truncations: 0, warnings: 0, restarts: 0 }
  private readonly brokers = new Map<number, Broker>()
  private readonly clocks = new Map<number, ProcessScheduler>()
  private readonly starting = new Set<number>()
  private readonly paused = new Set<number>()
  private driverTail: Promise<unknown> = Promise.resolve()
  private ticking = false

  constructor(private readonly opts: SimClusterOptions) {
    this.controller = new Controller(this.image, opts.rngs.controller)
    this.ids = Array.from({ length: opts.brokers }, (_, i) => i + 1)
    for (const id of this.ids) this.disks.set(id, new MemoryDisk())
    this.net = new SimNetwork(this.sched, opts.rngs.network, { broker: (id) => this.brokers.get(id), isPaused: (id) => this.paused.has(id) }, opts.network)
    // Configs first: brokers read their timeouts when they start.
    const configs = Object.entries(opts.brokerConfigs).map(([name, value]) => ({ name, value }))
    const result = this.controller.alterConfigs('broker', '', configs, false)
    if (result.errorCode !== ErrorCode.NONE) throw new Error(`broker configs: ${result.errorMessage}`)
    this.controller.commit(result.records)
  }

  private trace(line: () => string): void {
    this.opts.trace?.(line)
  }

  broker(id: number): Broker | undefined {
    return this.brokers.get(id)
  }

  condition(id: number): BrokerCondition {
    if (this.starting.has(id)) return 'starting'
    const b = this.brokers.get(id)
    if (!b || !b.running) return 'down'
    return this.paused.has(id) ? 'paused' : 'up'
  }

  withCondition(c: BrokerCondition): number[] {
    return this.ids.filter((id) => this.condition(id) === c)
  }

  /** The controller queue, as ControllerDriver in the daemon: run, persist, apply, announce. */
  submit<T>(command: () => CommandResult<T>): Promise<CommandResult<T>> {
    const run = async (): Promise<CommandResult<T>> => {
      const result = command()
      if (result.errorCode !== ErrorCode.NONE || result.records.length === 0) return result
      await new Promise<void>((resolve) => this.sched.setTimer(resolve, this.opts.rngs.persist.int(this.opts.persistMaxMs + 1)))
      this.controller.commit(result.records)
      this.committed(result.records)
      return result
    }
    const next = this.driverTail.then(run, run)
    this.driverTail = next.catch(() => undefined)
    return next
  }

  private committed(records: MetadataRecord[]): void {
    this.stats.commits++
    for (const r of records) {
      if (r.type === 'partitionChange' && r.leader !== undefined) this.stats.elections++
      this.trace(() => `commit ${describeRecord(this.image, r)}`)
    }
    this.onCommit(records)
    // As the daemon: each broker applies the partitions the commit names. A hung broker applies
    // all of the metadata when it runs again (resume()).
    for (const [id, b] of this.brokers) if (!this.paused.has(id)) b.onMetadata(records)
  }

  /** The controller's clock, as the daemon's CONTROLLER_TICK_MS interval. */
  startControllerTicks(): void {
    const tick = (): void => {
      this.sched.setTimer(tick, this.opts.controllerTickMs)
      if (this.ticking) return
      this.ticking = true
      this.submit(() => this.controller.tick(this.sched.nowMs()))
        .catch((error: unknown) => this.opts.fail(`controller tick failed: ${String(error)}`))
        .finally(() => (this.ticking = false))
    }
    this.sched.setTimer(tick, this.opts.controllerTickMs)
  }

  private view(brokerId: number): ClusterView {
    const refused = (): Promise<never> => Promise.reject(new Error('not part of the simulation'))
    return {
      clusterId: 'sim',
      controllerId: 0,
      image: this.image,
      createTopic: refused,
      deleteTopic: refused,
      alterConfigs: refused,
      alterIsr: (req) => {
        this.trace(() => `b${brokerId} proposes ISR [${req.isr}] for p${req.partition} (epoch ${req.leaderEpoch}, partition epoch ${req.partitionEpoch})`)
        // No timeout, as the daemon's direct call (and Kafka's AlterPartition, retried until answered):
        // the leader learns the outcome, so it knows when the HWM may stop waiting for added members.
        return this.net.toController(brokerId, () => this.submit(() => this.controller.alterIsr(req)), null)
      },
      // The memory store never finds a batch corrupt: a report is a bug.
      replicaCorrupt: (req) => {
        this.opts.fail(`b${brokerId} reported a corrupt replica: ${req.reason}`)
        return refused()
      },
      allocateProducerId: () => this.submit(() => this.controller.allocateProducerId()),
    }
  }

  private logger(brokerId: number): Logger {
    const line = (level: string, msg: string, fields?: Record<string, unknown>): string =>
      `b${brokerId} ${level}: ${msg}${fields ? ' ' + JSON.stringify(fields) : ''}`
    return {
      info: (msg, fields) => {
        if (msg === 'truncating diverged replica') this.stats.truncations++
        this.trace(() => line('info', msg, fields))
      },
      warn: (msg, fields) => {
        this.stats.warnings++
        this.trace(() => line('warn', msg, fields))
      },
      // Nothing in the memory store fails by itself: a broker error is a bug.
      error: (msg, fields) => this.opts.fail(line('error', msg, fields)),
    }
  }

  /** Starts broker `id` (a first start, or a restart over the same disk). */
  async start(id: number): Promise<void> {
    const old = this.brokers.get(id)
    if (old?.running || this.starting.has(id)) throw new Error(`broker ${id} is not down`)
    this.clocks.get(id)?.kill()
    const clock = new ProcessScheduler(this.sched)
    // Writes take virtual time on the broker's own clock: metadata changes and fetch answers land
    // while a write is in flight, and a crash drops what was not written yet.
    const store = new MemoryLogStore(this.disks.get(id), {
      writeDelay: () => new Promise<void>((resolve) => clock.setTimer(resolve, this.opts.rngs.disk.int(this.opts.diskWriteMaxMs + 1))),
    })
    const broker = new Broker({
      id,
      host: '127.0.0.1',
      port: 9091 + id,
      store,
      cluster: this.view(id),
      scheduler: clock,
      log: this.logger(id),
      link: this.net,
      register: async (b) => {
        this.trace(() => `b${id} registers`)
        // Registration waits for the controller link (no timeout): a broker cannot start without it.
        const result = await this.net.toController(id, () => this.submit(() => this.controller.registerBroker(b.id, b.host, b.port, this.sched.nowMs())), null)
        if (result.errorCode !== ErrorCode.NONE) throw new Error(`registration refused: ${result.errorMessage}`)
      },
      // A heartbeat lost on a cut link is no answer: the broker carries on, the session runs out.
      heartbeat: (b) => this.net.isControllerCut(id) || this.controller.heartbeat(b.id, this.sched.nowMs()),
    })
    if (old) this.stats.restarts++
    this.brokers.set(id, broker)
    this.clocks.set(id, clock)
    this.paused.delete(id)
    this.starting.add(id)
    try {
      await store.open()
      await broker.start()
    } catch (error) {
      // Crashed while starting: its registration was cut off with it. Not a failure of the start.
      if (clock.state !== 'dead') throw error
      this.trace(() => `b${id} died while starting: ${String(error)}`)
    } finally {
      if (this.brokers.get(id) === broker) this.starting.delete(id)
    }
  }

  /** A crash: the process dies; what its store committed stays on its disk. */
  crash(id: number): void {
    const broker = this.brokers.get(id)
    if (!broker) return
    broker.crash()
    this.clocks.get(id)?.kill()
    this.paused.delete(id)
    this.starting.delete(id)
    this.net.crashed(id)
  }

  pause(id: number): void {
    this.brokers.get(id)?.pause()
    this.clocks.get(id)?.pause()
    this.paused.add(id)
  }

  resume(id: number): void {
    const broker = this.brokers.get(id)
    if (!broker || !this.paused.has(id)) return
    this.paused.delete(id)
    broker.resume()
    this.clocks.get(id)?.resume()
    // Metadata that arrived while it hung.
    broker.onMetadata()
    this.net.changed()
  }

  /** `sluice broker kill --clean`: leadership moves first, then the process stops. */
  async controlledShutdown(id: number): Promise<void> {
    const result = await this.submit(() => this.controller.controlledShutdown(id))
    if (result.errorCode !== ErrorCode.NONE) throw new Error(`controlled shutdown refused: ${result.errorMessage}`)
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
      return `${r.type} ${r.brokerId} (broker epoch ${r.brokerEpoch})`
    default:
      return r.type
  }
}
