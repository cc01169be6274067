/**
 * Committed offsets are durable: they survive a hard kill of the group coordinator's broker (the
 * new leader of the group's __consumer_offsets partition takes the group over) and a restart of the
 * whole daemon.
 */
import kafkajs from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { offsetsPartitionFor } from '../../src/broker/group-coordinator.js'
import { applyBrokerConfigs, control, FAST_FAILOVER_CONFIGS, KAFKAJS_UNDER_LOAD, sluice, startDaemon, stopDaemon, until, type TestDaemon } from '../helpers/index.js'

const { Kafka, logLevel } = kafkajs
const GROUP = 'durable-group'
const CONSUMED_GROUP = 'durable-consumed'
const COMMITTED = [
  { partition: 0, offset: '5' },
  { partition: 1, offset: '7' },
  { partition: 2, offset: '3' },
]

describe('e2e/group-durability', () => {
  let daemon: TestDaemon
  let kafka: InstanceType<typeof Kafka>
  const brokers = (): string[] => daemon.brokers.map((b) => `${b.host}:${b.port}`)

  beforeAll(async () => {
    daemon = await startDaemon({ brokers: 3 })
    kafka = new Kafka({ ...KAFKAJS_UNDER_LOAD, clientId: 'durability', brokers: brokers(), logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 200 } })
    const admin = kafka.admin()
    await admin.connect()
    // A short session (heartbeats first, so that no live broker is fenced) so the hard kill is
    // noticed quickly; set while the topic is created and filled.
    const setConfigs = (configs: Record<string, string>): Promise<unknown> =>
      admin.alterConfigs({ validateOnly: false, resources: [{ type: 4, name: '1', configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }] })
    await applyBrokerConfigs(setConfigs, FAST_FAILOVER_CONFIGS, async () => {
      await admin.createTopics({ topics: [{ topic: 'durable', numPartitions: 3, replicationFactor: 3 }] })
      const producer = kafka.producer()
      await producer.connect()
      for (const p of [0, 1, 2]) {
        await producer.send({ topic: 'durable', acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ partition: p, value: `r${i}` })) })
      }
      await producer.disconnect()
      await admin.setOffsets({ groupId: GROUP, topic: 'durable', partitions: COMMITTED })
    })
    await admin.disconnect()
    // A group that had a member (it joined, read, committed and left) before the restart.
    const consumed = await sluice(['consume', 'durable', '--group', CONSUMED_GROUP, '--exit'], { home: daemon.home, env: daemon.env })
    expect(consumed.exitCode, consumed.stderr).toBe(0)
  })

  afterAll(async () => {
    if (daemon) await stopDaemon(daemon)
  })

  async function committed(): Promise<{ partition: number; offset: string }[]> {
    const admin = kafka.admin()
    await admin.connect()
    try {
      const [topic] = await admin.fetchOffsets({ groupId: GROUP, topics: ['durable'] })
      return topic!.partitions.map((p) => ({ partition: p.partition, offset: p.offset })).sort((a, b) => a.partition - b.partition)
    } finally {
      await admin.disconnect()
    }
  }

  it('survives a hard kill of the coordinator broker', async () => {
    expect(await committed()).toEqual(COMMITTED)
    const parts = await sluice(['cluster', 'partitions', '--topic', '__consumer_offsets', '--json'], { home: daemon.home, env: daemon.env })
    expect(parts.exitCode, parts.stderr).toBe(0)
    const all = (JSON.parse(parts.stdout) as { partitions: { partition: number; leader: number }[] }).partitions
    const coordinator = all.find((p) => p.partition === offsetsPartitionFor(GROUP, all.length))!.leader
    const killed = await sluice(['broker', 'kill', String(coordinator)], { home: daemon.home, env: daemon.env })
    expect(killed.exitCode, killed.stderr).toBe(0)
    // Once the controller fences it, another replica leads the partition and loads the group.
    await until('another leader of the group\'s partition', async () => {
      const now = (await control(daemon, 'cluster.partitions', {})).partitions.find(
        (p) => p.topic === '__consumer_offsets' && p.partition === offsetsPartitionFor(GROUP, all.length),
      )!
      return now.leader !== coordinator && now.leader >= 0 ? true : undefined
    })
    expect(await committed()).toEqual(COMMITTED)
    const started = await sluice(['broker', 'start', String(coordinator)], { home: daemon.home, env: daemon.env })
    expect(started.exitCode, started.stderr).toBe(0)
  })

  it('survives a restart of the daemon', async () => {
    const stopped = await sluice(['daemon', 'stop'], { home: daemon.home })
    expect(stopped.exitCode, stopped.stderr).toBe(0)
    const restarted = await sluice(['daemon', 'start', '--json'], { home: daemon.home, env: daemon.env })
    expect(restarted.exitCode, restarted.stderr).toBe(0)
    daemon.pid = (JSON.parse(restarted.stdout) as { pid: number }).pid
    expect(await committed()).toEqual(COMMITTED)
  })

  it('after the restart, group list and group describe report one state: Empty, with the offsets', async () => {
    const run = (args: string[]) => sluice(args, { home: daemon.home, env: daemon.env })
    const listed = await run(['group', 'list', '--json'])
    expect(listed.exitCode, listed.stderr).toBe(0)
    const groups = (JSON.parse(listed.stdout) as { groups: { group: string; state: string }[] }).groups
    for (const group of [GROUP, CONSUMED_GROUP]) {
      expect(groups.find((g) => g.group === group)?.state).toBe('Empty')
      const described = await run(['group', 'describe', group, '--json'])
      expect(described.exitCode, described.stderr).toBe(0)
      const d = JSON.parse(described.stdout) as { state: string; partitions: { committedOffset: number | null }[] }
      expect(d.state).toBe('Empty')
      expect(d.partitions.some((p) => p.committedOffset !== null)).toBe(true)
    }
  })
})
