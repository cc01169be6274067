/**
 * kafkajs 2.2.4's transactions against sluice: a transactional producer's commits and aborts as a
 * read_committed consumer sees them, a transaction over two topics, consume-transform-produce with
 * sendOffsets (an app killed with its transaction open and started again writes each output
 * once), the coordinator's abort of a transaction past its timeout, and fencing of a producer by a
 * newer one with the same transactional id.
 *
 * Reads end on sentinels (kafkajs-txn-read.ts), never on a quiet period.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import kafkajs from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestCluster, type TestCluster } from './fixture.js'
import { RawClient } from '../support/raw-client.js'
import { readTopic } from '../support/read-back.js'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { incrementalBrokerConfigs, KAFKAJS_UNDER_LOAD, until } from '../helpers/index.js'
import { readUntilEnd, writeEnd } from './kafkajs-txn-read.js'

const { Kafka, logLevel } = kafkajs
type Kafka = InstanceType<typeof Kafka>
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'

const CTP_APP = path.join(path.dirname(fileURLToPath(import.meta.url)), 'kafkajs-ctp-app.mjs')

/** The partition's last stable offset: ListOffsets latest with isolation level read_committed. */
async function lastStableOffset(cluster: TestCluster, topic: string, partition: number): Promise<number> {
  const boot = await RawClient.connect(cluster.port)
  const meta = await boot.request(ApiKey.Metadata, 9, { topics: [{ name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
  boot.close()
  const leaderId = meta.topics[0].partitions.find((p: { partitionIndex: number }) => p.partitionIndex === partition).leaderId
  const leader = await RawClient.connect(meta.brokers.find((b: { nodeId: number }) => b.nodeId === leaderId).port)
  try {
    const r = await leader.request(ApiKey.ListOffsets, 5, {
      replicaId: -1,
      isolationLevel: 1,
      topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1 }] }],
    })
    const p = r.topics[0].partitions[0]
    expect(p.errorCode).toBe(0)
    return Number(p.offset)
  } finally {
    leader.close()
  }
}

/** The kafkajs error types along an error's chain (kafkajs wraps protocol errors in retry errors). */
function errorTypes(e: unknown): string[] {
  const out: string[] = []
  for (let cur = e as { type?: string; originalError?: unknown; cause?: unknown } | undefined; cur; cur = (cur.originalError ?? cur.cause) as typeof cur) {
    if (cur.type) out.push(cur.type)
  }
  return out
}

describe('interop/kafkajs 2.2.4 transactions', () => {
  let cluster: TestCluster
  let kafka: Kafka
  beforeAll(async () => {
    cluster = await startTestCluster({ brokers: 3 })
    // The consume-transform-produce app asks for a session shorter than the default minimum (6 s).
    await incrementalBrokerConfigs(cluster)({ 'group.min.session.timeout.ms': '1000' })
    kafka = new Kafka({ ...KAFKAJS_UNDER_LOAD, clientId: 'interop-txn', brokers: [cluster.bootstrap], logLevel: logLevel.NOTHING })
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({
      topics: ['tx-vis', 'tx-a', 'tx-b', 'tx-fence', 'tx-timeout', 'ctp-in', 'ctp-out'].map((topic) => ({ topic, numPartitions: 2, replicationFactor: 3 })),
    })
    await admin.disconnect()
  })
  afterAll(async () => {
    await cluster?.stop()
  })

  it('a committed transaction is visible to read_committed, an aborted one only to read_uncommitted', async () => {
    const producer = kafka.producer({ transactionalId: 'tx-vis', idempotent: true, maxInFlightRequests: 1 })
    await producer.connect()
    try {
      const committed = await producer.transaction()
      await committed.send({ topic: 'tx-vis', messages: Array.from({ length: 10 }, (_, i) => ({ value: `c-${i}`, partition: i % 2 })) })
      await committed.commit()
      const aborted = await producer.transaction()
      await aborted.send({ topic: 'tx-vis', messages: Array.from({ length: 10 }, (_, i) => ({ value: `a-${i}`, partition: i % 2 })) })
      await aborted.abort()
    } finally {
      await producer.disconnect()
    }
    await writeEnd(kafka, 'tx-vis', 2)

    const readCommitted = await readUntilEnd(kafka, 'tx-vis', 2)
    expect(readCommitted.map((r) => r.value).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `c-${i}`).sort())
    for (const r of readCommitted) expect(r.partition).toBe(Number(r.value.slice(2)) % 2)
    // The aborted records are in the log (so read_committed filtered them, they were not lost).
    const readUncommitted = await readUntilEnd(kafka, 'tx-vis', 2, true)
    expect(readUncommitted.map((r) => r.value).sort()).toEqual([...Array.from({ length: 10 }, (_, i) => [`c-${i}`, `a-${i}`]).flat()].sort())
  })

  it('a transaction over two topics holds both back while open, and commits or aborts them as one', async () => {
    const producer = kafka.producer({ transactionalId: 'tx-two', idempotent: true, maxInFlightRequests: 1 })
    await producer.connect()
    try {
      const open = await producer.transaction()
      await open.sendBatch({
        topicMessages: [
          { topic: 'tx-a', messages: [{ value: 'both-1', partition: 0 }] },
          { topic: 'tx-b', messages: [{ value: 'both-1', partition: 1 }] },
        ],
      })
      // Open: the last stable offset stays at the transaction's first record on both partitions.
      expect(await lastStableOffset(cluster, 'tx-a', 0)).toBe(0)
      expect(await lastStableOffset(cluster, 'tx-b', 1)).toBe(0)
      await open.commit()
      // Committed: past the record and its COMMIT marker, once the coordinator has written the
      // markers (EndTxn answers when the decision is logged, as Kafka's does; markers follow).
      await until('the commit markers', async () => ((await lastStableOffset(cluster, 'tx-a', 0)) === 2 ? true : undefined))
      await until('the commit markers', async () => ((await lastStableOffset(cluster, 'tx-b', 1)) === 2 ? true : undefined))

      const aborted = await producer.transaction()
      await aborted.sendBatch({
        topicMessages: [
          { topic: 'tx-a', messages: [{ value: 'both-2', partition: 0 }] },
          { topic: 'tx-b', messages: [{ value: 'both-2', partition: 1 }] },
        ],
      })
      await aborted.abort()
    } finally {
      await producer.disconnect()
    }
    await writeEnd(kafka, 'tx-a', 2)
    await writeEnd(kafka, 'tx-b', 2)
    for (const [topic, partition] of [['tx-a', 0], ['tx-b', 1]] as const) {
      const got = await readUntilEnd(kafka, topic, 2)
      expect(got).toEqual([{ partition, offset: 0, value: 'both-1' }])
    }
  })

  it('consume-transform-produce with sendOffsets: an app killed inside a transaction and started again writes each output once', async () => {
    const inputs = Array.from({ length: 20 }, (_, i) => `in-${i}`)
    const plain = kafka.producer()
    await plain.connect()
    await plain.send({ topic: 'ctp-in', acks: -1, messages: inputs.map((value, i) => ({ value, partition: i % 2 })) })
    await plain.disconnect()

    const run = (crashAt: number) => {
      const child = spawn(process.execPath, [CTP_APP, cluster.bootstrap, 'ctp-in', 'ctp-out', 'ctp-group', 'ctp-app', String(crashAt)], { stdio: ['ignore', 'pipe', 'pipe'] })
      const lines: string[] = []
      let stderr = ''
      child.stdout.setEncoding('utf8').on('data', (d: string) => lines.push(...d.split('\n').filter(Boolean)))
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
      const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)))
      return { child, lines, exited, stderr: () => stderr }
    }

    const first = run(7)
    expect(await first.exited).toBe('SIGKILL')
    const crashedOn = first.lines.find((l) => l.startsWith('crash '))?.slice('crash '.length)
    expect(crashedOn, first.stderr()).toBeDefined()
    expect(first.lines.filter((l) => l.startsWith('committed '))).toHaveLength(6)

    const second = run(0)
    try {
      // Done when the group's committed offsets (written only inside the app's transactions) reach the end of the input.
      const admin = kafka.admin()
      await admin.connect()
      try {
        await until('the app to commit the whole input', async () => {
          const offsets = await admin.fetchOffsets({ groupId: 'ctp-group', topics: ['ctp-in'] })
          const done = offsets[0]!.partitions.every((p) => Number(p.offset) === 10)
          return done ? true : undefined
        })
      } finally {
        await admin.disconnect()
      }
    } finally {
      second.child.kill('SIGTERM')
      await second.exited
    }
    // The restarted app redid the crashed record (its output and offsets were aborted).
    expect(second.lines, second.stderr()).toContain(`committed ${crashedOn}`)

    await writeEnd(kafka, 'ctp-out', 2)
    const out = await readUntilEnd(kafka, 'ctp-out', 2)
    expect(out.map((r) => r.value).sort()).toEqual(inputs.map((v) => `out:${v}`).sort())
    for (const r of out) expect(r.partition).toBe(Number(r.value.slice('out:in-'.length)) % 2)
    // The crashed transaction's output is in the log, aborted: read_uncommitted sees it twice.
    const raw = (await readTopic(cluster.port, 'ctp-out')).filter((r) => r.value === `out:${crashedOn}`)
    expect(raw.length).toBeGreaterThanOrEqual(2)
  })

  it('a transaction open longer than its transaction timeout is aborted by the coordinator, and its producer fenced', async () => {
    const producer = kafka.producer({ transactionalId: 'tx-timeout', idempotent: true, maxInFlightRequests: 1, transactionTimeout: 2000 })
    await producer.connect()
    try {
      const txn = await producer.transaction()
      await txn.send({ topic: 'tx-timeout', messages: [{ value: 'late-1', partition: 0 }] })
      expect(await lastStableOffset(cluster, 'tx-timeout', 0)).toBe(0)
      // The coordinator's abort: an ABORT marker after the record moves the LSO past both.
      await until('the coordinator to abort the expired transaction', async () => ((await lastStableOffset(cluster, 'tx-timeout', 0)) === 2 ? true : undefined))
      const refused = await txn.commit().then(
        () => [] as string[],
        (e: unknown) => errorTypes(e),
      )
      expect(refused).toContain('INVALID_PRODUCER_EPOCH')
    } finally {
      await producer.disconnect()
    }
    await writeEnd(kafka, 'tx-timeout', 2)
    expect(await readUntilEnd(kafka, 'tx-timeout', 2)).toEqual([])
  })

  it('a second producer with the same transactional id fences the first: its open transaction is aborted and its next request refused', async () => {
    const first = kafka.producer({ transactionalId: 'tx-fence', idempotent: true, maxInFlightRequests: 1 })
    const second = kafka.producer({ transactionalId: 'tx-fence', idempotent: true, maxInFlightRequests: 1 })
    await first.connect()
    try {
      const old = await first.transaction()
      await old.send({ topic: 'tx-fence', messages: [{ value: 'old-1', partition: 0 }] })
      await second.connect()
      const current = await second.transaction()
      await current.send({ topic: 'tx-fence', messages: [{ value: 'new-1', partition: 0 }] })
      await current.commit()

      // kafkajs speaks Produce v3-v7 and EndTxn v0-v1: a fenced producer hears INVALID_PRODUCER_EPOCH (PRODUCER_FENCED is for newer versions).
      const refused = await old
        .send({ topic: 'tx-fence', messages: [{ value: 'old-2', partition: 0 }] })
        .then(() => old.commit())
        .then(
          () => [] as string[],
          (e: unknown) => errorTypes(e),
        )
      expect(refused).toContain('INVALID_PRODUCER_EPOCH')
    } finally {
      await first.disconnect()
      await second.disconnect()
    }
    await writeEnd(kafka, 'tx-fence', 2)
    const got = await readUntilEnd(kafka, 'tx-fence', 2)
    expect(got.map((r) => r.value)).toEqual(['new-1'])
  })
})
