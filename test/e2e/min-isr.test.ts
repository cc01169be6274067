/**
 * The failover drill with min.insync.replicas unmet (issue 4): topic with replication 3 and
 * min.insync.replicas 2; a kafkajs producer sends numbered records with acks=all while two of the
 * three brokers crash. Once their sessions time out and the ISRs shrink to the one survivor:
 * acks=all is refused with NOT_ENOUGH_REPLICAS (kafkajs, a raw Produce request), acks=1 still
 * succeeds (kafkajs and `sluice produce --acks 1`); after the brokers return, every record
 * acknowledged under acks=all (and under acks=1: its leader never went away) is there exactly once.
 */
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeRecordBatch } from '../../src/protocol/record-batch.js'
import { RawClient } from '../support/raw-client.js'
import { readTopic } from '../support/read-back.js'
import { applyBrokerConfigs, control, FAST_FAILOVER_CONFIGS, HANG_MS, KAFKAJS_UNDER_LOAD, sluice, startDaemon, stopDaemon, type TestDaemon } from '../helpers/index.js'
import type { PartitionState as Partition } from '../../src/common/control-contract.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { ApiKey } from '../../src/protocol/api-keys.js'

const TOPIC = 'min-isr'
const PARTITIONS = 3
const NOT_ENOUGH_REPLICAS = 19


let d: TestDaemon
let kafka: Kafka
let admin: Admin

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const partitions = async (): Promise<Partition[]> =>
  (await control(d, 'cluster.partitions', {})).partitions.filter((p) => p.topic === TOPIC)

async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs = HANG_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}; partitions: ${JSON.stringify(await partitions())}`)
    await sleep(50)
  }
}

/** The Kafka error types in a kafkajs error and the errors it wraps (retries exhausted wrap the last one). */
function kafkaJsTypes(error: unknown, depth = 0): string[] {
  if (depth > 5 || typeof error !== 'object' || error === null) return []
  const e = error as { type?: unknown; cause?: unknown; originalError?: unknown }
  return [...(typeof e.type === 'string' ? [e.type] : []), ...kafkaJsTypes(e.cause, depth + 1), ...kafkaJsTypes(e.originalError, depth + 1)]
}

async function run(args: string[], input?: string): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const r = await sluice(args, { home: d.home, env: d.env, input })
  expect(r.exitCode, `sluice ${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0)
  return r
}

async function setBrokerConfigs(configs: Record<string, string>): Promise<void> {
  for (const name of ['1', '2', '3']) {
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: 4, name, configEntries: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }] })
  }
}

beforeAll(async () => {
  // One controller, on broker 1, the survivor: the ISRs shrinking to it are metadata changes,
  // which 3 voters with two of their brokers down could not commit (e2e/quorum-failover.test.ts).
  d = await startDaemon({ brokers: 3, startArgs: ['--controllers', '1'] })
  kafka = new Kafka({ ...KAFKAJS_UNDER_LOAD, brokers: [d.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 100 } })
  admin = kafka.admin()
  await admin.connect()
  await applyBrokerConfigs(setBrokerConfigs, FAST_FAILOVER_CONFIGS, () =>
    admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }],
    }),
  )
})

afterAll(async () => {
  await admin?.disconnect().catch(() => undefined)
  if (d) await stopDaemon(d)
})

describe('min.insync.replicas unmet', () => {
  it('two brokers down: acks=all is refused with NOT_ENOUGH_REPLICAS, acks=1 succeeds, nothing acknowledged is lost', async () => {
    // A producer writing with acks=all through the crashes; what it got acknowledged must survive.
    // No retries: a refused batch is given up (never resent), so nothing is stored twice.
    const producer: Producer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1, retry: { retries: 0 } })
    await producer.connect()
    const ackedAll: string[] = []
    let stop = false
    let n = 0
    const writing = (async () => {
      while (!stop) {
        const batch = Array.from({ length: 20 }, () => `all-${n++}`)
        try {
          await producer.send({ topic: TOPIC, acks: -1, messages: batch.map((value) => ({ value })) })
          ackedAll.push(...batch)
        } catch {
          await sleep(20) // refused or unreachable: not acknowledged, try the next ones
        }
      }
    })()
    await waitFor('acks=all writes acknowledged before the crash', async () => ackedAll.length > 0)

    // Broker 1 stays; 2 and 3 crash. After their sessions time out every ISR is [1].
    const survivor = 1
    for (const id of [2, 3]) await run(['broker', 'kill', String(id), '--json'])
    await waitFor('every ISR shrunk to the survivor', async () => (await partitions()).every((p) => p.leader === survivor && p.isr.length === 1))
    await sleep(300) // the producer keeps trying against the shrunk ISR
    stop = true
    await writing
    await producer.disconnect()
    expect(ackedAll.length).toBeGreaterThan(0)

    // kafkajs, acks=all: NOT_ENOUGH_REPLICAS.
    const strict = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } })
    await strict.connect()
    const refused = await strict.send({ topic: TOPIC, acks: -1, messages: [{ value: 'refused' }] }).then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(kafkaJsTypes(refused), String(refused)).toContain('NOT_ENOUGH_REPLICAS')
    // kafkajs, acks=1: accepted by the leader alone.
    const ackedOne: string[] = []
    for (let i = 0; i < 5; i++) {
      const batch = Array.from({ length: 10 }, (_, j) => `one-${i * 10 + j}`)
      await strict.send({ topic: TOPIC, acks: 1, messages: batch.map((value) => ({ value })) })
      ackedOne.push(...batch)
    }
    await strict.disconnect()

    // A raw Produce request, acks=-1 then acks=1, to the leader of partition 0.
    const port = d.brokers.find((b) => b.id === survivor)!.port
    const raw = await RawClient.connect(port)
    const body = (acks: number, value: string) => ({
      transactionalId: null,
      acks,
      timeoutMs: 5000,
      topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: encodeRecordBatch({ baseTimestamp: Date.now(), records: [{ value: Buffer.from(value) }] }) }] }],
    })
    const rawAll = (await raw.request(ApiKey.Produce, 8, body(-1, 'raw-refused'))).responses[0].partitionResponses[0]
    expect(rawAll.errorCode).toBe(NOT_ENOUGH_REPLICAS)
    const rawOne = (await raw.request(ApiKey.Produce, 8, body(1, 'one-raw'))).responses[0].partitionResponses[0]
    expect(rawOne.errorCode).toBe(ErrorCode.NONE)
    ackedOne.push('one-raw')
    raw.close()

    // sluice produce --acks 1 succeeds; its default (acks=all) would wait for the ISR to grow.
    const lines = Array.from({ length: 20 }, (_, i) => `"one-sluice-${i}"`)
    const produced = JSON.parse((await run(['produce', TOPIC, '--acks', '1', '--json'], lines.join('\n'))).stdout) as { records: number }
    expect(produced.records).toBe(20)
    ackedOne.push(...lines.map((l) => l.slice(1, -1)))

    // The brokers return and catch up; then everything acknowledged is there, once.
    for (const id of [2, 3]) await run(['broker', 'start', String(id), '--json'])
    await waitFor('every ISR full again', async () => (await partitions()).every((p) => p.isr.length === 3))
    const values = (await readTopic(d.port, TOPIC)).map((r) => (r.value ?? '').replace(/^"(.*)"$/, '$1'))
    const counts = new Map<string, number>()
    for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1)
    const lost = [...ackedAll, ...ackedOne].filter((v) => !counts.has(v))
    expect(lost).toEqual([])
    const twice = [...counts].filter(([, c]) => c > 1).map(([v]) => v)
    expect(twice).toEqual([])
    expect(counts.has('refused')).toBe(false)
    expect(counts.has('raw-refused')).toBe(false)
    console.log(
      `min ISR unmet: ${ackedAll.length} records acknowledged with acks=all before and during the crashes, all kept; ` +
        `${ackedOne.length} with acks=1 while the ISR was [${survivor}], all kept; acks=all refused with NOT_ENOUGH_REPLICAS (kafkajs and raw)`,
    )
  })
})
