/**
 * `sluice daemon start --kafka-defaults`: the cluster starts with Kafka's defaults instead of
 * sluice's own, and keeps them for the home across restarts (the saved choice and
 * `--no-kafka-defaults`: test/common/daemon-config.test.ts). One daemon, restarted once.
 */
import fs from 'node:fs'
import path from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KAFKAJS_UNDER_LOAD, sluice, startDaemon, stopDaemon, type TestDaemon } from '../helpers/index.js'

let d: TestDaemon

beforeAll(async () => {
  d = await startDaemon({ brokers: 3, startArgs: ['--kafka-defaults'] })
})

afterAll(async () => {
  if (d) await stopDaemon(d)
})

async function run(args: string[]) {
  const r = await sluice(args, { home: d.home, env: d.env })
  expect(r.exitCode, r.stderr).toBe(0)
  return r
}

async function createAndDescribe(topic: string) {
  const created = JSON.parse((await run(['topic', 'create', topic, '--json'])).stdout)
  const described = JSON.parse((await run(['topic', 'describe', topic, '--json'])).stdout)
  return { created, described }
}

describe('daemon start --kafka-defaults', () => {
  it("creates topics with Kafka's defaults and describes Kafka's values as Kafka's defaults", async () => {
    const { created, described } = await createAndDescribe('kd-1')
    expect(created).toMatchObject({ partitionCount: 1, replicationFactor: 1 })
    expect(described).toMatchObject({ configs: {}, brokerDefaults: {} })

    const admin = new Kafka({ ...KAFKAJS_UNDER_LOAD, brokers: [d.bootstrap], logLevel: logLevel.NOTHING }).admin()
    await admin.connect()
    try {
      const names = ['min.insync.replicas', 'num.partitions', 'default.replication.factor', 'group.initial.rebalance.delay.ms', 'offsets.topic.num.partitions']
      const r = await admin.describeConfigs({ resources: [{ type: 4, name: String(d.brokers[0]!.id), configNames: names }], includeSynonyms: false })
      const got = Object.fromEntries(r.resources[0]!.configEntries.map((e) => [e.configName, [e.configValue, e.configSource]]))
      expect(got).toEqual({
        'min.insync.replicas': ['1', 5],
        'num.partitions': ['1', 5],
        'default.replication.factor': ['1', 5],
        'group.initial.rebalance.delay.ms': ['3000', 5],
        'offsets.topic.num.partitions': ['50', 5],
      })
    } finally {
      await admin.disconnect()
    }
    expect(JSON.parse(fs.readFileSync(path.join(d.home, 'config.json'), 'utf8'))).toMatchObject({ kafkaDefaults: true })
  })

  it('keeps them for the home across a restart', async () => {
    await run(['daemon', 'stop'])
    await run(['daemon', 'start'])
    // Asking for the other defaults while it runs changes nothing, and says so.
    expect((await run(['daemon', 'start', '--no-kafka-defaults'])).stderr).toMatch(/--no-kafka-defaults not applied: stop the daemon first/)
    expect(JSON.parse((await run(['topic', 'create', 'kd-2', '--json'])).stdout)).toMatchObject({ partitionCount: 1, replicationFactor: 1 })
  })
})
