/**
 * librdkafka's transactions against sluice, through confluent-kafka-python from Debian
 * (confluent_txn.py beside this file): init_transactions, begin, produce, commit and abort; a
 * read_committed consumer sees exactly the committed records, in order, and a read_uncommitted one
 * the aborted ones too; a second producer with the same transactional id fences the first.
 */
import { execFile } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestCluster, type TestCluster } from './fixture.js'
import { librdkafkaMissing, PYTHON } from '../jepsen/queue.js'
import { HANG_MS, KAFKAJS_UNDER_LOAD } from '../helpers/index.js'
import kafkajs from 'kafkajs'

const run = promisify(execFile)
const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'confluent_txn.py')
const missing = await librdkafkaMissing()

async function script(...args: string[]): Promise<string[]> {
  const { stdout } = await run(PYTHON, [SCRIPT, ...args], { timeout: HANG_MS, maxBuffer: 64 * 1024 * 1024 })
  const lines = stdout.split('\n').filter(Boolean)
  expect(lines.at(-1), stdout).toBe('done')
  return lines.slice(0, -1)
}

interface ReadRecord {
  partition: number
  offset: number
  value: string
}

async function consume(cluster: TestCluster, topic: string, partitions: number, isolation: 'read_committed' | 'read_uncommitted'): Promise<ReadRecord[]> {
  const lines = await script('consume', cluster.bootstrap, topic, String(partitions), isolation)
  expect(lines.filter((l) => !l.startsWith('record '))).toEqual([])
  return lines.map((l) => {
    const [, partition, offset, value] = l.split(' ')
    return { partition: Number(partition), offset: Number(offset), value: value! }
  })
}

describe.skipIf(missing !== null)('interop/librdkafka transactions (confluent-kafka-python)', () => {
  let cluster: TestCluster
  beforeAll(async () => {
    cluster = await startTestCluster({ brokers: 3 })
    const admin = new kafkajs.Kafka({ ...KAFKAJS_UNDER_LOAD, brokers: [cluster.bootstrap], logLevel: kafkajs.logLevel.NOTHING }).admin()
    await admin.connect()
    await admin.createTopics({
      topics: [
        { topic: 'rdk-tx', numPartitions: 3, replicationFactor: 3 },
        { topic: 'rdk-fence', numPartitions: 1, replicationFactor: 3 },
      ],
    })
    await admin.disconnect()
  })
  afterAll(async () => {
    await cluster?.stop()
  })

  it('commits are visible to read_committed in order, aborts only to read_uncommitted', async () => {
    const plan = ['commit:12', 'abort:12', 'commit:12', 'abort:6', 'commit:6']
    const outcome = await script('produce', cluster.bootstrap, 'rdk-tx', '3', 'rdk-tx-producer', plan.join(','))
    expect(outcome).toEqual(plan.map((step, i) => `${step.startsWith('commit') ? 'committed' : 'aborted'} ${i}`))
    const expected = (kinds: string[]): string[] =>
      plan.flatMap((step, i) => {
        const [kind, count] = step.split(':')
        return kinds.includes(kind!) ? Array.from({ length: Number(count) }, (_, n) => `${i}-${kind}-${n}`) : []
      })

    const committed = await consume(cluster, 'rdk-tx', 3, 'read_committed')
    expect(committed.map((r) => r.value).sort()).toEqual(expected(['commit']).sort())
    for (let p = 0; p < 3; p++) {
      // Each partition in the order the producer wrote it, offsets increasing.
      const mine = committed.filter((r) => r.partition === p)
      expect(mine.map((r) => r.value)).toEqual(expected(['commit']).filter((v) => Number(v.split('-')[2]) % 3 === p))
      for (let i = 1; i < mine.length; i++) expect(mine[i]!.offset).toBeGreaterThan(mine[i - 1]!.offset)
    }
    const everything = await consume(cluster, 'rdk-tx', 3, 'read_uncommitted')
    expect(everything.map((r) => r.value).sort()).toEqual(expected(['commit', 'abort']).sort())
  })

  it('a second producer with the same transactional id fences the first, whose records never show', async () => {
    const outcome = await script('fence', cluster.bootstrap, 'rdk-fence', 'rdk-fence-producer')
    expect(outcome.filter((l) => !l.startsWith('fail '))).toHaveLength(1)
    expect(outcome.at(-1)).toMatch(/^fenced (_FENCED|PRODUCER_FENCED|INVALID_PRODUCER_EPOCH) fatal=True$/)
    const committed = await consume(cluster, 'rdk-fence', 1, 'read_committed')
    expect(committed.map((r) => r.value)).toEqual(['new-1'])
  })
}, HANG_MS)
