/**
 * The choices `sluice daemon start` saves for the home, kept across restarts (the saved choices
 * and their `--no-` forms: test/common/daemon-config.test.ts). One daemon, restarted once.
 * `--kafka-defaults`: the cluster starts with Kafka's defaults instead of sluice's own.
 * `--fsync`: every broker's group commits are fsynced before they are acknowledged.
 */
import fs from 'node:fs'
import path from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KAFKAJS_UNDER_LOAD, sluice, startDaemon, stopDaemon, type TestDaemon } from '../helpers/index.js'

let d: TestDaemon

beforeAll(async () => {
  d = await startDaemon({ brokers: 3, startArgs: ['--kafka-defaults', '--fsync'] })
})

afterAll(async () => {
  if (d) await stopDaemon(d)
})

async function run(args: string[], input?: string) {
  const r = await sluice(args, { home: d.home, env: d.env, input })
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

})

describe('daemon start --fsync', () => {
  it('acknowledges acks=all writes on every replica and says the daemon fsyncs', async () => {
    await run(['topic', 'create', 'fs-1', '--partitions', '1', '--replication-factor', '3'])
    const lines = Array.from({ length: 5 }, (_, i) => JSON.stringify({ n: i })).join('\n') + '\n'
    expect(JSON.parse((await run(['produce', 'fs-1', '--acks', 'all', '--json'], lines)).stdout)).toMatchObject({ records: 5 })
    expect(JSON.parse((await run(['daemon', 'status', '--json'])).stdout)).toMatchObject({ fsync: true })
    expect((await run(['daemon', 'status'])).stdout).toMatch(/^fsync\s+on$/m)
    expect(JSON.parse(fs.readFileSync(path.join(d.home, 'config.json'), 'utf8'))).toMatchObject({ fsync: true })
  })
})

describe('the saved choices', () => {
  it('are kept for the home across a restart', async () => {
    await run(['daemon', 'stop'])
    await run(['daemon', 'start'])
    // Asking for the other choices while it runs changes nothing, and says so.
    expect((await run(['daemon', 'start', '--no-kafka-defaults', '--no-fsync'])).stderr).toMatch(/--no-kafka-defaults and --no-fsync not applied: stop the daemon first/)
    expect(JSON.parse((await run(['topic', 'create', 'kd-2', '--json'])).stdout)).toMatchObject({ partitionCount: 1, replicationFactor: 1 })
    expect(JSON.parse((await run(['daemon', 'status', '--json'])).stdout)).toMatchObject({ fsync: true })
    const read = await run(['consume', 'fs-1', '--from', 'earliest', '--max', '5', '--format', 'value'])
    expect(read.stdout.trim().split('\n')).toEqual(Array.from({ length: 5 }, (_, i) => JSON.stringify({ n: i })))
  })
})
