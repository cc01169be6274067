/**
 * The rebalance drill: a broker is added and `sluice cluster rebalance` moves partitions onto it
 * (internal topics included, so the group's coordinator may move too) while a steady acks=all
 * `sluice produce` writes keyed records and a `sluice consume --group` member reads them. Every
 * acknowledged record is consumed exactly once, and each partition's records arrive in offset
 * order with each key's sequence numbers increasing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { control, HANG_MS, sluice, spawnSluice, startDaemon, stopDaemon, until, type TestDaemon } from '../helpers/index.js'

const TOPIC = 'rdrill'
const KEYS = 6
const TICK_MS = 20
/** Records written after the rebalance completed, so that the stream spans all of it. */
const AFTER_RECORDS = 25

let d: TestDaemon

beforeAll(async () => {
  d = await startDaemon({ brokers: 2 })
})

afterAll(async () => {
  if (d) await stopDaemon(d)
})

interface Envelope {
  partition: number
  offset: number
  key: string
  value: { seq: number; key: string }
}

describe('rebalance drill', () => {
  it('a broker added and partitions moved onto it under a producer and a consumer group: every record consumed once, in order per partition', async () => {
    const run = (args: string[]) => sluice(args, { home: d.home, env: d.env })
    expect((await run(['topic', 'create', TOPIC, '--partitions', '4', '--replication-factor', '2'])).exitCode).toBe(0)

    const consumer = spawnSluice(['consume', TOPIC, '--group', 'rdrill-g', '--from', 'earliest'], { home: d.home, env: d.env, timeoutMs: HANG_MS })
    let consumed = ''
    consumer.stdout?.on('data', (chunk: Buffer) => (consumed += chunk.toString()))
    const producer = spawnSluice(['produce', TOPIC, '--key', '.key', '--json', '--no-progress'], { home: d.home, env: d.env, timeoutMs: HANG_MS })

    // A steady stream: one record every TICK_MS, keys in turn, until told to stop.
    let seq = 0
    let stopAt = Number.POSITIVE_INFINITY
    const writing = (async () => {
      while (seq < stopAt) {
        const key = `k${seq % KEYS}`
        producer.stdin!.write(JSON.stringify({ seq, key }) + '\n')
        seq++
        await new Promise((resolve) => setTimeout(resolve, TICK_MS))
      }
      producer.stdin!.end()
    })()
    try {
      await until('the member to read', () => (consumed.includes('"seq"') ? true : undefined))
      const added = await run(['broker', 'add', '--json'])
      expect(added.exitCode, added.stderr).toBe(0)
      const rebalanced = await run(['cluster', 'rebalance', '--json'])
      expect(rebalanced.exitCode, rebalanced.stderr).toBe(0)
      const result = JSON.parse(rebalanced.stdout) as { completed: boolean; moves: { topic: string; to: number[] }[] }
      expect(result.completed).toBe(true)
      expect(result.moves.some((m) => m.topic === TOPIC && m.to.includes(3))).toBe(true)
      // Reported, not asserted: what the drill moved.
      console.error(`rebalance drill: ${result.moves.length} moves (${result.moves.filter((m) => m.topic === TOPIC).length} of ${TOPIC}), ${seq} records written meanwhile`)
      stopAt = seq + AFTER_RECORDS
      await writing
      const produced = await producer
      expect(produced.exitCode, String(produced.stderr)).toBe(0)
      const total = stopAt
      await until('every record consumed', () => (consumed.split('\n').filter((l) => l !== '').length >= total ? true : undefined), HANG_MS, 100)
    } finally {
      stopAt = Math.min(stopAt, seq)
      consumer.kill('SIGINT')
      await consumer
    }

    const records = consumed.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Envelope)
    // Once each: every sequence number, no more.
    expect(records.map((r) => r.value.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: stopAt }, (_, i) => i))
    // In order per partition: offsets increase, and so does each key's sequence.
    const lastOffset = new Map<number, number>()
    const lastSeq = new Map<string, number>()
    for (const r of records) {
      expect(r.offset).toBeGreaterThan(lastOffset.get(r.partition) ?? -1)
      lastOffset.set(r.partition, r.offset)
      expect(r.value.seq).toBeGreaterThan(lastSeq.get(r.key) ?? -1)
      lastSeq.set(r.key, r.value.seq)
    }
    // Broker 3 holds replicas of the topic now.
    const partitions = (await control(d, 'cluster.partitions', {})).partitions.filter((p) => p.topic === TOPIC)
    expect(partitions.some((p) => p.replicas.includes(3))).toBe(true)
  })
})
