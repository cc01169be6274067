/**
 * A kill of the transaction coordinator's broker in the middle of a run of transactions (librdkafka
 * through confluent_txn.py, against the daemon, through the real `sluice broker kill` / `broker
 * start`): the producer keeps going through the failover and the restart, and afterwards a
 * read_committed consumer sees every committed transaction whole and once, no aborted one, and each
 * transaction whose outcome the producer could not learn all or nothing.
 *
 * The producer is librdkafka's, not kafkajs's: kafkajs 2.2.4 (producer/sendMessages.js) tracks a
 * send's answers per broker, not per partition. When a partition's leader moved to a broker that had
 * already answered, it dropped that partition's records and still committed (seen here: a committed
 * transaction missing one partition, with no AddPartitionsToTxn or Produce for it on the wire;
 * tulios/kafkajs#1303, open); and
 * a send retried after AddPartitionsToTxn answered CONCURRENT_TRANSACTIONS wrote answered partitions
 * again under new sequence numbers (a duplicate inside one committed transaction).
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import kafkajs from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiKey } from '../../src/protocol/api-keys.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { applyBrokerConfigs, FAST_FAILOVER_CONFIGS, incrementalBrokerConfigs, KAFKAJS_UNDER_LOAD, sluice, startDaemon, stopDaemon, until, type TestDaemon } from '../helpers/index.js'
import { RawClient } from '../support/raw-client.js'
import { readUntilEnd, writeEnd } from '../interop/kafkajs-txn-read.js'
import { librdkafkaMissing, PYTHON } from '../jepsen/queue.js'

const { Kafka, logLevel } = kafkajs
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'interop', 'confluent_txn.py')
const TOPIC = 'txn-kill'
const PARTITIONS = 3
const TRANSACTIONAL_ID = 'txn-kill-app'
const RECORDS_PER_TXN = 6
/** Every fifth transaction is aborted on purpose. */
const ABORT_EVERY = 5
/** Committed transactions wanted before the kill, while the broker is down, and after its restart. */
const COMMITS_PER_PHASE = 8

type Outcome = 'committed' | 'aborted' | 'unknown'
interface Txn {
  n: number
  values: string[]
  outcome: Outcome
  error?: string
}

/** The broker that coordinates a transactional id: FindCoordinator with key type 1 (transaction), asked of any broker up. */
async function transactionCoordinator(d: TestDaemon): Promise<number> {
  return until('a transaction coordinator', async () => {
    for (const broker of d.brokers) {
      const client = await RawClient.connect(broker.port).catch(() => undefined)
      if (!client) continue
      try {
        const r = await client.request(ApiKey.FindCoordinator, 2, { key: TRANSACTIONAL_ID, keyType: 1 })
        if (r.errorCode === ErrorCode.NONE) return r.nodeId as number
      } catch {
        // The broker went down while asked: ask the next.
      } finally {
        client.close()
      }
    }
    return undefined
  })
}

describe.skipIf((await librdkafkaMissing()) !== null)('e2e/txn-coordinator-kill', () => {
  let d: TestDaemon
  beforeAll(async () => {
    d = await startDaemon({ brokers: 3 })
    // The killed coordinator's broker is fenced after 1 s, not the default 9 s.
    await applyBrokerConfigs(incrementalBrokerConfigs(d), FAST_FAILOVER_CONFIGS)
  })
  afterAll(async () => {
    if (d) await stopDaemon(d)
  })

  it('killing the coordinator broker mid-run loses no committed transaction and shows no aborted one', async () => {
    const opts = { home: d.home, env: d.env }
    expect((await sluice(['topic', 'create', TOPIC, '--partitions', String(PARTITIONS), '--replication-factor', '3'], opts)).exitCode).toBe(0)
    // Every broker as a seed: a producer started while the victim is down must still bootstrap.
    const seeds = d.brokers.map((b) => `${b.host}:${b.port}`)
    const kafka = new Kafka({ ...KAFKAJS_UNDER_LOAD, clientId: 'txn-kill', brokers: seeds, logLevel: logLevel.NOTHING })

    const history = new Map<number, Txn>()
    const committed = () => [...history.values()].filter((t) => t.outcome === 'committed').length
    const stopFile = path.join(d.home, 'stop-producing')
    const child = spawn(PYTHON, [SCRIPT, 'run', seeds.join(','), TOPIC, String(PARTITIONS), TRANSACTIONAL_ID, String(RECORDS_PER_TXN), stopFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let pending = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk
      const lines = pending.split('\n')
      pending = lines.pop()!
      for (const line of lines) {
        const [outcome, n, error] = line.split(' ')
        if (outcome !== 'committed' && outcome !== 'aborted' && outcome !== 'unknown') continue
        const values = Array.from({ length: RECORDS_PER_TXN }, (_, i) => `t${n}-${i}`)
        history.set(Number(n), { n: Number(n), values, outcome, error })
      }
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    const producing = exited.then((code) => expect(code, stderr).toBe(0))

    try {
      await until('transactions before the kill', () => (committed() >= COMMITS_PER_PHASE ? true : undefined))
      const victim = await transactionCoordinator(d)
      expect((await sluice(['broker', 'kill', String(victim)], opts)).exitCode).toBe(0)
      const atKill = committed()
      await until('transactions with the coordinator broker down', () => (committed() >= atKill + COMMITS_PER_PHASE ? true : undefined))
      const failedOver = await transactionCoordinator(d)
      expect(failedOver).not.toBe(victim)
      expect((await sluice(['broker', 'start', String(victim)], opts)).exitCode).toBe(0)
      const atStart = committed()
      await until('transactions after the restart', () => (committed() >= atStart + COMMITS_PER_PHASE ? true : undefined))
    } finally {
      fs.writeFileSync(stopFile, '')
      await producing
    }

    await writeEnd(kafka, TOPIC, PARTITIONS)
    const seen = await readUntilEnd(kafka, TOPIC, PARTITIONS)
    const counts = new Map<string, number>()
    for (const r of seen) counts.set(r.value, (counts.get(r.value) ?? 0) + 1)
    const duplicated = [...counts].filter(([, c]) => c > 1).map(([v]) => v)
    const lost: string[] = []
    const abortedVisible: string[] = []
    const torn: number[] = []
    for (const t of history.values()) {
      const visible = t.values.filter((v) => counts.has(v))
      if (t.outcome === 'committed') lost.push(...t.values.filter((v) => !counts.has(v)))
      if (t.outcome === 'aborted') abortedVisible.push(...visible)
      if (t.outcome === 'unknown' && visible.length !== 0 && visible.length !== t.values.length) torn.push(t.n)
    }
    const known = new Set([...history.values()].flatMap((t) => t.values))
    const unexpected = [...counts.keys()].filter((v) => !known.has(v))
    const summary = [...history.values()].map((t) => `${t.n}:${t.outcome}${t.error ? ` (${t.error})` : ''}`).join(' ')
    expect({ lost, abortedVisible, duplicated, torn, unexpected }, summary).toEqual({ lost: [], abortedVisible: [], duplicated: [], torn: [], unexpected: [] })
    expect([...history.values()].filter((t) => t.outcome === 'aborted').length).toBeGreaterThan(0)
  })
})
