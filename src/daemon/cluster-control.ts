/**
 * The control socket's cluster methods: what Kafka has no API for. Broker and dedicated
 * controller lifecycle (kill, start, pause, resume), failover drills, preferred elections, the cluster's status and event log,
 * and faults. Every method answers JSON; the CLI's broker, controller, cluster, failover and fault commands
 * are thin clients of these.
 */
import { SluiceError } from '../common/errors.js'
import type { PartitionInfo } from '../cluster/metadata.js'
import { downBrokers, isUnderReplicated, partitionHealth } from '../cluster/partition-health.js'
import type {
  BrokerActionResult,
  BrokerInfo,
  ClusterHealth,
  ClusterMethod,
  ControllerActionResult,
  LeaderMove,
  PartitionState,
} from '../common/control-contract.js'
import type { ClusterRuntime } from './cluster-runtime.js'
import type { ControlHandlers, ControlServer } from './control-server.js'

// Params come off a socket: whatever the contract says, a hand-written client may send anything.
function int(value: unknown, name: string, required = true): number | undefined {
  if (value === undefined || value === null) {
    if (required) throw new SluiceError('USAGE', `missing ${name}`)
    return undefined
  }
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new SluiceError('USAGE', `${name} must be an integer`)
  return value
}

function str(value: unknown, name: string, required = true): string | undefined {
  if (value === undefined || value === null) {
    if (required) throw new SluiceError('USAGE', `missing ${name}`)
    return undefined
  }
  if (typeof value !== 'string') throw new SluiceError('USAGE', `${name} must be a string`)
  return value
}

const partitionState = (topic: string, p: PartitionInfo): PartitionState => ({
  topic,
  partition: p.partition,
  leader: p.leader,
  leaderEpoch: p.leaderEpoch,
  replicas: p.replicas,
  isr: p.isr,
  addingReplicas: p.addingReplicas,
  removingReplicas: p.removingReplicas,
})

/**
 * Partitions with no leader; partitions whose leader's broker is down (killed, paused, log dir
 * offline) but not yet fenced, as `sluice ui` marks them LEADER DOWN (partition-health.ts); and
 * partitions whose ISR is smaller than their replica set.
 */
export function clusterHealth(cluster: ClusterRuntime): ClusterHealth {
  const down = downBrokers(cluster.status().brokers)
  const offline: PartitionState[] = []
  const leaderDown: PartitionState[] = []
  const underReplicated: PartitionState[] = []
  for (const topic of cluster.image.topicsById.values()) {
    for (const p of topic.partitions) {
      const state = partitionState(topic.name, p)
      const health = partitionHealth(p, down)
      if (health === 'offline') offline.push(state)
      else if (health === 'leader-down') leaderDown.push(state)
      // Under-replicated as Kafka counts it, whatever else is wrong with the partition.
      if (health !== 'offline' && isUnderReplicated(p)) underReplicated.push(state)
    }
  }
  return { offline, leaderDown, underReplicated }
}

/** Leaders that differ between two lists of partitions (what an action moved). */
export function leaderMoves(before: PartitionState[], after: PartitionState[]): LeaderMove[] {
  const was = new Map(before.map((p) => [`${p.topic}\0${p.partition}`, p]))
  const moves: LeaderMove[] = []
  for (const p of after) {
    const old = was.get(`${p.topic}\0${p.partition}`)
    if (old && old.leader !== p.leader) moves.push({ topic: p.topic, partition: p.partition, from: old.leader, to: p.leader, leaderEpoch: p.leaderEpoch })
  }
  return moves
}

/** The cluster's methods of the control contract, served once the cluster is up. */
export function clusterHandlers(cluster: ClusterRuntime): ControlHandlers<ClusterMethod> {
  const image = cluster.image
  const brokerList = (): BrokerInfo[] => {
    const status = cluster.status()
    return status.brokers.map((b) => {
      let leaderOf = 0
      let replicaOf = 0
      for (const topic of image.topicsById.values()) {
        for (const p of topic.partitions) {
          if (p.leader === b.id) leaderOf++
          if (p.replicas.includes(b.id)) replicaOf++
        }
      }
      const reg = image.brokers.get(b.id)
      return { ...b, epoch: reg?.epoch ?? -1, leaderOf, replicaOf }
    })
  }
  const partitionStates = (): PartitionState[] =>
    [...image.topicsById.values()].flatMap((topic) => topic.partitions.map((p) => partitionState(topic.name, p)))

  /**
   * Runs a broker action and answers with the broker as it was, the leaderships that moved
   * meanwhile and every broker after it, so that a command needs one round trip. The action
   * itself refuses an unknown broker.
   */
  const brokerAction = async (rawId: unknown, action: (id: number) => Promise<unknown> | void): Promise<BrokerActionResult> => {
    const id = int(rawId, 'id')!
    const before = brokerList().find((b) => b.id === id)
    const partitionsBefore = partitionStates()
    const outcome = (await action(id)) as { uncontrolled?: string | null } | undefined
    return {
      id,
      was: before?.state ?? 'up',
      wasLeaderOf: before?.leaderOf ?? 0,
      moves: leaderMoves(partitionsBefore, partitionStates()),
      brokers: brokerList(),
      ...(outcome?.uncontrolled !== undefined ? { uncontrolled: outcome.uncontrolled } : {}),
    }
  }

  /** Runs a controller action and answers with the voter as it was and every voter after it. */
  const controllerAction = async (rawId: unknown, action: (id: number) => Promise<void> | void): Promise<ControllerActionResult> => {
    const id = int(rawId, 'id')!
    const was = cluster.controllers.list().controllers.find((c) => c.id === id)?.state ?? 'killed'
    await action(id)
    return { id, was, ...cluster.controllers.list() }
  }

  return {
    'broker.list': () => ({ controllerId: cluster.status().controllerId, brokers: brokerList() }),
    'broker.kill': (params) => brokerAction(params.id, (id) => cluster.killBroker(id, { clean: params.clean === true })),
    'broker.start': (params) => brokerAction(params.id, (id) => cluster.startBroker(id)),
    'broker.pause': (params) => brokerAction(params.id, (id) => cluster.pauseBroker(id)),
    'broker.resume': (params) => brokerAction(params.id, (id) => cluster.resumeBroker(id)),

    'broker.add': async () => {
      const { id, port } = await cluster.addBroker()
      const brokers = brokerList()
      return { id, host: brokers.find((b) => b.id === id)?.host ?? '', port, controllerId: cluster.status().controllerId, brokers }
    },
    'broker.remove': async (params) => {
      const id = int(params.id, 'id')!
      const moved = await cluster.removeBroker(id, { move: params.move === true })
      return { id, moved, controllerId: cluster.status().controllerId, brokers: brokerList() }
    },

    'controller.list': () => cluster.controllers.list(),
    'controller.kill': (params) => controllerAction(params.id, (id) => cluster.controllers.kill(id, params.clean === true)),
    'controller.start': (params) => controllerAction(params.id, (id) => cluster.controllers.start(id)),
    'controller.pause': (params) => controllerAction(params.id, (id) => cluster.controllers.pause(id)),
    'controller.resume': (params) => controllerAction(params.id, (id) => cluster.controllers.resume(id)),

    'cluster.status': () => {
      const status = cluster.status()
      return { ...status, brokers: brokerList(), ...clusterHealth(cluster), stuckReplicas: cluster.stuckReplicas() }
    },
    'cluster.snapshot': () => {
      const status = cluster.status()
      return {
        timeMs: Date.now(),
        controllerId: status.controllerId,
        brokers: brokerList(),
        partitions: cluster.partitions(),
        ...clusterHealth(cluster),
        stuckReplicas: cluster.stuckReplicas(),
        lastFailover: cluster.lastFailover,
      }
    },
    'cluster.events': async () => ({ events: await cluster.events() }),
    'cluster.partitions': () => ({ partitions: partitionStates(), leaderDown: clusterHealth(cluster).leaderDown }),

    'cluster.failover': async (params) => {
      const topicName = str(params.topic, 'topic')!
      const topic = image.topicsByName.get(topicName)
      if (!topic) throw new SluiceError('NOT_FOUND', `no topic ${topicName}`)
      const to = int(params.to, 'to', false)
      let partitions: PartitionInfo[]
      const one = int(params.partition, 'partition', false)
      if (one !== undefined) {
        const p = topic.partitions[one]
        if (!p) throw new SluiceError('NOT_FOUND', `topic ${topicName} has no partition ${one} (it has ${topic.partitions.length})`)
        partitions = [p]
      } else {
        // Every partition the topic's busiest leader leads: the quickest drill.
        const counts = new Map<number, number>()
        for (const p of topic.partitions) if (p.leader >= 0) counts.set(p.leader, (counts.get(p.leader) ?? 0) + 1)
        const busiest = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0]
        if (busiest === undefined) throw new SluiceError('FAILOVER_REFUSED', `topic ${topicName} has no leader to move`)
        partitions = topic.partitions.filter((p) => p.leader === busiest)
      }
      const moves: LeaderMove[] = []
      for (const p of partitions) {
        const moved = await cluster.failover(topicName, p.partition, to)
        moves.push({ topic: topicName, partition: p.partition, ...moved })
      }
      return { moves }
    },

    'cluster.elect-leaders': async (params) => {
      const topic = str(params.topic, 'topic', false)
      if (topic !== undefined && !image.topicsByName.has(topic)) throw new SluiceError('NOT_FOUND', `no topic ${topic}`)
      const before = partitionStates()
      const moved = await cluster.electPreferredLeaders(topic)
      return { moved, moves: moved === 0 ? [] : leaderMoves(before, partitionStates()) }
    },

    'cluster.rebalance': (params) => cluster.rebalance({ topic: str(params.topic, 'topic', false), dryRun: params.dryRun === true }),
    'cluster.reassignments': () => ({ reassignments: cluster.reassignments() }),

    'fault.add': (params) => {
      const spec: unknown = params.spec
      if (!spec || typeof spec !== 'object') throw new SluiceError('USAGE', 'missing spec')
      return { fault: cluster.addFault(params.spec, int(params.seed, 'seed', false)) }
    },
    'fault.list': () => ({ faults: cluster.faults.list() }),
    'fault.clear': (params) => ({ cleared: cluster.clearFaults(int(params.id, 'id', false)) }),
  }
}

export function registerClusterControl(control: ControlServer, cluster: ClusterRuntime): void {
  control.serve(clusterHandlers(cluster))
}
