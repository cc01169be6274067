/**
 * The control socket's cluster methods: what Kafka has no API for. Broker lifecycle (kill,
 * start, pause, resume), failover drills, preferred elections, the cluster's status and event log,
 * and faults. Every method answers JSON; the CLI's broker, cluster, failover and fault commands
 * are thin clients of these.
 */
import { SluiceError } from '../common/errors.js'
import type { PartitionInfo } from '../cluster/metadata.js'
import { downBrokers, partitionHealth } from '../cluster/partition-health.js'
import type { ClusterRuntime } from './cluster.js'
import type { ControlServer } from './control-server.js'
import type { FaultSpec } from './faults.js'

function int(params: Record<string, unknown>, name: string, required = true): number | undefined {
  const v = params[name]
  if (v === undefined || v === null) {
    if (required) throw new SluiceError('USAGE', `missing ${name}`)
    return undefined
  }
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new SluiceError('USAGE', `${name} must be an integer`)
  return v
}

function str(params: Record<string, unknown>, name: string, required = true): string | undefined {
  const v = params[name]
  if (v === undefined || v === null) {
    if (required) throw new SluiceError('USAGE', `missing ${name}`)
    return undefined
  }
  if (typeof v !== 'string') throw new SluiceError('USAGE', `${name} must be a string`)
  return v
}

export interface PartitionState {
  topic: string
  partition: number
  leader: number
  leaderEpoch: number
  replicas: number[]
  isr: number[]
}

/**
 * Partitions with no leader; partitions whose leader's broker is down (killed, paused, log dir
 * offline) but not yet fenced, as `sluice ui` marks them LEADER DOWN (partition-health.ts); and
 * partitions whose ISR is smaller than their replica set.
 */
export function clusterHealth(cluster: ClusterRuntime): { offline: PartitionState[]; leaderDown: PartitionState[]; underReplicated: PartitionState[] } {
  const down = downBrokers(cluster.status().brokers)
  const offline: PartitionState[] = []
  const leaderDown: PartitionState[] = []
  const underReplicated: PartitionState[] = []
  for (const topic of cluster.image.topicsById.values()) {
    for (const p of topic.partitions) {
      const state = { topic: topic.name, partition: p.partition, leader: p.leader, leaderEpoch: p.leaderEpoch, replicas: p.replicas, isr: p.isr }
      const health = partitionHealth(p, down)
      if (health === 'offline') offline.push(state)
      else if (health === 'leader-down') leaderDown.push(state)
      // Under-replicated as Kafka counts it, whatever else is wrong with the partition.
      if (health !== 'offline' && p.isr.length < p.replicas.length) underReplicated.push(state)
    }
  }
  return { offline, leaderDown, underReplicated }
}

export function registerClusterControl(control: ControlServer, cluster: ClusterRuntime): void {
  const image = cluster.image
  const brokerList = (): unknown[] => {
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

  control.register('broker.list', () => ({ controllerId: cluster.status().controllerId, brokers: brokerList() }))
  control.register('broker.kill', async (params) => {
    const id = int(params, 'id')!
    await cluster.killBroker(id, { clean: params.clean === true })
    return { id, clean: params.clean === true, brokers: brokerList() }
  })
  control.register('broker.start', async (params) => {
    const id = int(params, 'id')!
    await cluster.startBroker(id)
    return { id, brokers: brokerList() }
  })
  control.register('broker.pause', (params) => {
    const id = int(params, 'id')!
    cluster.pauseBroker(id)
    return { id, brokers: brokerList() }
  })
  control.register('broker.resume', (params) => {
    const id = int(params, 'id')!
    cluster.resumeBroker(id)
    return { id, brokers: brokerList() }
  })

  control.register('cluster.status', () => {
    const status = cluster.status()
    return { ...status, brokers: brokerList(), ...clusterHealth(cluster), stuckReplicas: cluster.stuckReplicas() }
  })
  // Everything the dashboard (`sluice ui`) shows of the cluster, in one answer.
  control.register('cluster.snapshot', () => {
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
  })
  control.register('cluster.events', async () => ({ events: await cluster.events() }))
  control.register('cluster.partitions', () => {
    const out: PartitionState[] = []
    for (const topic of image.topicsById.values()) {
      for (const p of topic.partitions) {
        out.push({ topic: topic.name, partition: p.partition, leader: p.leader, leaderEpoch: p.leaderEpoch, replicas: p.replicas, isr: p.isr })
      }
    }
    return { partitions: out, leaderDown: clusterHealth(cluster).leaderDown }
  })

  control.register('cluster.failover', async (params) => {
    const topicName = str(params, 'topic')!
    const topic = image.topicsByName.get(topicName)
    if (!topic) throw new SluiceError('NOT_FOUND', `no topic ${topicName}`)
    const to = int(params, 'to', false)
    let partitions: PartitionInfo[]
    const one = int(params, 'partition', false)
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
    const moves = []
    for (const p of partitions) {
      const moved = await cluster.failover(topicName, p.partition, to)
      moves.push({ topic: topicName, partition: p.partition, ...moved })
    }
    return { moves }
  })

  control.register('cluster.elect-leaders', async (params) => {
    const topic = str(params, 'topic', false)
    if (topic !== undefined && !image.topicsByName.has(topic)) throw new SluiceError('NOT_FOUND', `no topic ${topic}`)
    return { moved: await cluster.electPreferredLeaders(topic) }
  })

  control.register('fault.add', (params) => {
    const spec = params.spec as FaultSpec | undefined
    if (!spec || typeof spec !== 'object') throw new SluiceError('USAGE', 'missing spec')
    const seed = int(params, 'seed', false)
    return { fault: cluster.addFault(spec, seed) }
  })
  control.register('fault.list', () => ({ faults: cluster.faults.list() }))
  control.register('fault.clear', (params) => ({ cleared: cluster.clearFaults(int(params, 'id', false)) }))
}
