/**
 * Growing a topic end to end: kafkajs's admin.createPartitions against the daemon (automatic and
 * explicit placement, and Kafka's error for a count not larger), and a `sluice consume --group`
 * member that rebalances onto a partition added while it runs and reads its records.
 * (`sluice topic alter --partitions` itself: topic.test.ts.)
 */
import kafkajs from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HANG_MS, KAFKAJS_UNDER_LOAD, sluice, spawnSluice, startDaemon, stopDaemon, until, type TestDaemon } from '../helpers/index.js'

const { Kafka, logLevel } = kafkajs

let d: TestDaemon
let admin: kafkajs.Admin

beforeAll(async () => {
  d = await startDaemon({ brokers: 3 })
  admin = new Kafka({ ...KAFKAJS_UNDER_LOAD, clientId: 'create-partitions-e2e', brokers: [d.bootstrap], logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
})

afterAll(async () => {
  await admin?.disconnect()
  if (d) await stopDaemon(d)
})

const run = (args: string[], input?: string) => sluice(args, { home: d.home, env: d.env, input })

describe.concurrent('growing a topic', () => {
  it('kafkajs admin.createPartitions: placed by the cluster or as assigned; a count not larger is INVALID_PARTITIONS', async () => {
    expect(await admin.createTopics({ topics: [{ topic: 'cp-kafkajs', numPartitions: 2, replicationFactor: 2 }], waitForLeaders: true })).toBe(true)
    await admin.createPartitions({ topicPartitions: [{ topic: 'cp-kafkajs', count: 4 }] })
    await admin.createPartitions({ topicPartitions: [{ topic: 'cp-kafkajs', count: 5, assignments: [[3, 1]] }] })
    const md = await admin.fetchTopicMetadata({ topics: ['cp-kafkajs'] })
    const parts = [...md.topics[0]!.partitions].sort((a, b) => a.partitionId - b.partitionId)
    expect(parts.map((p) => p.partitionId)).toEqual([0, 1, 2, 3, 4])
    for (const p of parts) expect(p.replicas).toHaveLength(2)
    expect(parts[4]).toMatchObject({ leader: 3, replicas: [3, 1] })
    const refused = await admin.createPartitions({ topicPartitions: [{ topic: 'cp-kafkajs', count: 3 }] }).then(
      () => null,
      (err: unknown) => err,
    )
    expect(JSON.stringify(refused, Object.getOwnPropertyNames(refused ?? {}))).toMatch(/INVALID_PARTITIONS|would not be an increase/)
  })

  it('a consume --group member rebalances onto a partition added while it runs, and reads its records', async () => {
    const topic = 'cp-group'
    expect((await run(['topic', 'create', topic, '--partitions', '1'])).exitCode).toBe(0)
    expect((await run(['produce', topic, '--partition', '0'], '{"n":"before"}\n')).exitCode).toBe(0)
    const member = spawnSluice(['consume', topic, '--group', 'cp-group-g', '--metadata-max-age', '1s', '--format', 'value'], { home: d.home, env: d.env, timeoutMs: HANG_MS })
    let out = ''
    let err = ''
    member.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()))
    member.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()))
    try {
      await until('the member to read partition 0', () => (out.includes('before') ? true : undefined))
      const altered = await run(['topic', 'alter', topic, '--partitions', '2'])
      expect(altered.exitCode, altered.stderr).toBe(0)
      expect((await run(['produce', topic, '--partition', '1'], '{"n":"after"}\n')).exitCode).toBe(0)
      await until('the member to read the new partition', () => (out.includes('after') ? true : undefined))
      expect(err).toMatch(/cp-group has 2 partitions \(assigned with 1\): rebalancing group cp-group-g/)
    } finally {
      member.kill('SIGTERM')
    }
    const r = await member
    expect(r.exitCode, err).toBe(0)
    expect(out.trim().split('\n').map((l) => JSON.parse(l) as { n: string })).toEqual([{ n: 'before' }, { n: 'after' }])
  })
})
