/**
 * Growing and shrinking the daemon's cluster (`broker add`, `broker remove`) and rebalancing it
 * (`cluster rebalance`): one change at a time, so that two adds never pick the same id and a
 * removal's moves are not planned against a rebalance's. A new broker gets the next id and the
 * next free port after the highest, a store of its own and a listener, registers and is saved in
 * the home; a removed one has its replicas moved off first when asked, is fenced, stopped, and
 * leaves the home with its data.
 */
import fs from 'node:fs'
import net from 'node:net'
import type { Broker } from '../broker/broker.js'
import { KafkaListener } from '../broker/listener.js'
import type { RuntimeEventType } from '../cluster/events.js'
import type { MetadataImage, PartitionInfo } from '../cluster/metadata.js'
import type { RebalanceMove, RebalanceResult } from '../common/control-contract.js'
import { BROKERS_MAX, type ConfiguredBroker } from '../common/daemon-config.js'
import { SluiceError } from '../common/errors.js'
import type { Logger } from '../common/logger.js'
import type { LogStore } from '../storage/types.js'
import { check, type ClusterNode } from './cluster-node.js'
import type { FaultInjector } from './faults.js'
import type { LogDirHealth } from './log-dirs.js'
import { realScheduler } from './real-scheduler.js'
import { planMoves, stillOn, submitMoves } from './rebalance.js'

/** What the membership changes: the daemon cluster's parts. */
export interface MembershipParts {
  node: ClusterNode
  host: string
  /** Each broker's port, by id: the home's brokers. */
  ports: Map<number, number>
  listeners: Map<number, KafkaListener>
  faults: FaultInjector
  logDirs: LogDirHealth
  brokerDir(brokerId: number): string
  /** A broker's store over its directory, not yet opened (with the daemon's fsync choice). */
  newStore(brokerId: number): LogStore
  /** The broker, or NOT_FOUND. */
  broker(brokerId: number): Broker
  log: Logger
  event(type: RuntimeEventType, fields: Record<string, unknown>, message: string): void
  /** The home's brokers changed (the daemon saves them). */
  onBrokersChanged?: (brokers: ConfiguredBroker[]) => void
}

/** How long `broker remove --move` waits for the replicas to move off, and how often it looks. */
const MOVE_OFF_WAIT_MAX_MS = 10 * 60_000
const MOVE_OFF_POLL_MS = 100
/** How many ports past the highest `broker add` tries before giving up. */
const PORT_ATTEMPTS_MAX = 100

/** The first port from `from` on that `host` lets a listener bind (it is closed again at once). */
async function firstFreePort(host: string, from: number): Promise<number> {
  for (let port = from; port < from + PORT_ATTEMPTS_MAX && port <= 65535; port++) {
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer()
      server.once('error', () => resolve(false))
      server.listen(port, host, () => server.close(() => resolve(true)))
    })
    if (free) return port
  }
  throw new SluiceError('CONFLICT', `no free port for a new broker on ${host} from ${from} to ${Math.min(from + PORT_ATTEMPTS_MAX - 1, 65535)}`)
}

/** The partitions (TOPIC-PARTITION) with a replica on a broker (and that `also` picks, if given). */
function hostedBy(image: MetadataImage, brokerId: number, also?: (topic: string, p: PartitionInfo) => boolean): string[] {
  const out: string[] = []
  for (const t of image.topicsById.values()) {
    for (const p of t.partitions) if (p.replicas.includes(brokerId) && (also?.(t.name, p) ?? true)) out.push(`${t.name}-${p.partition}`)
  }
  return out
}

function notEmpty(brokerId: number, held: string[]): SluiceError {
  const named = held.slice(0, 5).join(', ') + (held.length > 5 ? ` and ${held.length - 5} more` : '')
  return new SluiceError(
    'BROKER_NOT_EMPTY',
    `broker ${brokerId} holds replicas of ${held.length} partition${held.length === 1 ? '' : 's'} (${named}); move them off first: \`sluice broker remove ${brokerId} --move\``,
  )
}

export class BrokerMembership {
  private queue: Promise<void> = Promise.resolve()

  constructor(private readonly parts: MembershipParts) {}

  /** One change of the brokers at a time: two `broker add` must not pick the same id. */
  private membership(change: () => Promise<void>): Promise<void> {
    const run = this.queue.then(change)
    this.queue = run.catch(() => undefined)
    return run
  }

  private configuredBrokers(): ConfiguredBroker[] {
    return [...this.parts.ports].map(([id, port]) => ({ id, port })).sort((a, b) => a.id - b.id)
  }

  async add(): Promise<ConfiguredBroker> {
    let added!: ConfiguredBroker
    await this.membership(async () => {
      const { parts } = this
      const { node } = parts
      if (parts.ports.size >= BROKERS_MAX) throw new SluiceError('CONFLICT', `the cluster has ${parts.ports.size} brokers, the most sluice runs`)
      const id = Math.max(...parts.ports.keys()) + 1
      const port = await firstFreePort(parts.host, Math.max(...parts.ports.values()) + 1)
      // A new broker is empty: whatever a broker of this id left behind (a removal cut short) goes.
      fs.rmSync(parts.brokerDir(id), { recursive: true, force: true })
      const store = parts.newStore(id)
      await store.open()
      parts.ports.set(id, port)
      const broker = node.addBroker(id, { store, scheduler: realScheduler })
      const listener = new KafkaListener(broker, parts.faults)
      parts.listeners.set(id, listener)
      parts.logDirs.watch(broker, store)
      try {
        // A broker added while metadata is frozen fails (QUORUM_NO_MAJORITY) rather than wait.
        await node.start(id, false)
        await listener.listen()
      } catch (error) {
        // Registered but not serving: fenced at once rather than at its session timeout.
        if (node.image.brokers.get(id)?.fenced === false) await node.submit(() => node.controller.fenceBroker(id, `broker ${id} failed to start`)).catch(() => undefined)
        await listener.close().catch(() => undefined)
        await this.dropBroker(id)
        throw error
      }
      parts.onBrokersChanged?.(this.configuredBrokers())
      added = { id, port }
      parts.log.info('broker added', { broker: id, port })
      parts.event('broker.added', { broker: id, host: parts.host, port }, `broker ${id} added at ${parts.host}:${port}`)
    })
    return added
  }

  /**
   * Decommissions a broker: with `move`, its replicas move to the other live brokers first (the
   * call waits until no partition has it among its replicas); then it is fenced (so no election
   * or placement picks it), stopped, and leaves the home (its port, its data).
   */
  async remove(brokerId: number, removeOpts: { move?: boolean } = {}): Promise<RebalanceMove[]> {
    let moved: RebalanceMove[] = []
    await this.membership(async () => {
      const { parts } = this
      const { node } = parts
      parts.broker(brokerId)
      if (parts.ports.size === 1) throw new SluiceError('CONFLICT', `broker ${brokerId} is the cluster's last broker`)
      const held = hostedBy(node.image, brokerId)
      if (held.length > 0 && !removeOpts.move) throw notEmpty(brokerId, held)
      if (held.length > 0) moved = await this.moveOff(brokerId)
      const reg = node.image.brokers.get(brokerId)
      if (reg && !reg.fenced) check(await node.submit(() => node.controller.fenceBroker(brokerId, `broker ${brokerId} removed`)))
      await parts.listeners.get(brokerId)?.close()
      await this.dropBroker(brokerId)
      // Stopped first, so that it cannot register again; then its registration goes (Kafka's UnregisterBroker).
      if (node.image.brokers.has(brokerId)) check(await node.submit(() => node.controller.unregisterBroker(brokerId)))
      parts.onBrokersChanged?.(this.configuredBrokers())
      fs.rmSync(parts.brokerDir(brokerId), { recursive: true, force: true })
      parts.log.info('broker removed', { broker: brokerId })
      parts.event('broker.removed', { broker: brokerId }, `broker ${brokerId} removed`)
    })
    return moved
  }

  /** Moves every replica off a broker (to the least loaded live brokers) and waits until they moved. */
  private async moveOff(brokerId: number): Promise<RebalanceMove[]> {
    const { node } = this.parts
    const { moves } = planMoves(node, { drain: [brokerId], drainOnly: true })
    const stuck = hostedBy(node.image, brokerId, (topic, p) => {
      const m = moves.find((x) => x.topic === topic && x.partition === p.partition)
      return (m ? m.to : p.replicas.filter((id) => !p.removingReplicas.includes(id))).includes(brokerId)
    })
    if (stuck.length > 0) {
      throw new SluiceError('CONFLICT', `no live broker can take broker ${brokerId}'s replica of ${stuck.slice(0, 5).join(', ')}${stuck.length > 5 ? ' and more' : ''} (each other live broker holds one already); add a broker or start the stopped ones first`)
    }
    await submitMoves(node, moves)
    const deadline = node.scheduler.nowMs() + MOVE_OFF_WAIT_MAX_MS
    while (stillOn(node, brokerId)) {
      if (node.scheduler.nowMs() > deadline) {
        throw new SluiceError('CONFLICT', `broker ${brokerId}'s replicas are still moving after ${MOVE_OFF_WAIT_MAX_MS / 60_000} minutes (\`cluster rebalance\` shows them); try the removal again once they moved`)
      }
      await new Promise<void>((resolve) => node.scheduler.setTimer(resolve, MOVE_OFF_POLL_MS))
    }
    return moves
  }

  async rebalance(req: { topic?: string; dryRun?: boolean }): Promise<RebalanceResult> {
    let result!: RebalanceResult
    await this.membership(async () => {
      const { node } = this.parts
      if (req.topic !== undefined && !node.image.topicsByName.has(req.topic)) throw new SluiceError('NOT_FOUND', `no topic ${req.topic}`)
      const { brokers, moves } = planMoves(node, { topic: req.topic })
      if (!req.dryRun) await submitMoves(node, moves)
      result = { brokers, moves, submitted: !req.dryRun && moves.length > 0 }
    })
    return result
  }

  /** Takes a broker out of the node, the listeners, the log dir watch and the ports. */
  private async dropBroker(brokerId: number): Promise<void> {
    this.parts.listeners.delete(brokerId)
    await this.parts.logDirs.forget(brokerId)
    await this.parts.node.removeBroker(brokerId)
    this.parts.ports.delete(brokerId)
  }
}
