/**
 * `sluice topic trim` through the built binary against a 3-broker daemon: the dry run's plan (per
 * partition start, new start, records going) changes nothing, --execute moves the log starts
 * (seen by `topic describe`), and the error paths' exit codes.
 */
import { Producer, stringSerializers } from '@platformatic/kafka'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sluice, startDaemon, stopDaemon, type SluiceResult, type TestDaemon } from '../helpers/index.js'

let d: TestDaemon

beforeAll(async () => {
  d = await startDaemon({ brokers: 3 })
})

afterAll(async () => {
  if (d) await stopDaemon(d)
})

function topic(args: string[]): Promise<SluiceResult> {
  return sluice(['topic', ...args], { home: d.home, env: d.env })
}

async function createWithRecords(name: string, perPartition: number[], configs: string[] = []): Promise<void> {
  const created = await topic(['create', name, '--partitions', String(perPartition.length), ...configs.flatMap((c) => ['--config', c])])
  expect(created.exitCode, created.stderr).toBe(0)
  const producer = new Producer({ clientId: 'trim-test', bootstrapBrokers: [d.bootstrap], serializers: stringSerializers })
  try {
    for (const [partition, count] of perPartition.entries()) {
      // One record per batch: the log start then lands on a batch boundary, as a reader sees it.
      for (let i = 0; i < count; i++) await producer.send({ messages: [{ topic: name, partition, key: `k${i}`, value: String(i) }], acks: -1 })
    }
  } finally {
    await producer.close()
  }
}

async function starts(name: string): Promise<number[]> {
  const r = await topic(['describe', name, '--json'])
  expect(r.exitCode, r.stderr).toBe(0)
  return (JSON.parse(r.stdout) as { partitions: { logStartOffset: number }[] }).partitions.map((p) => p.logStartOffset)
}

describe('sluice topic trim', () => {
  it('shows the plan without --execute, and deletes with it', async () => {
    await createWithRecords('trim-a', [10, 8, 3])
    const dry = await topic(['trim', 'trim-a', '--before', '0:4,1:latest', '--json'])
    expect(dry.exitCode, dry.stderr).toBe(0)
    expect(JSON.parse(dry.stdout)).toEqual({
      topic: 'trim-a',
      executed: false,
      records: 12,
      partitions: [
        { partition: 0, logStartOffset: 0, endOffset: 10, newLogStartOffset: 4, records: 4 },
        { partition: 1, logStartOffset: 0, endOffset: 8, newLogStartOffset: 8, records: 8 },
        { partition: 2, logStartOffset: 0, endOffset: 3, newLogStartOffset: 0, records: 0 },
      ],
    })
    expect(await starts('trim-a')).toEqual([0, 0, 0])

    const human = await topic(['trim', 'trim-a', '--before', '0:4,1:latest'])
    expect(human.exitCode).toBe(0)
    expect(human.stdout).toMatch(/^PARTITION\s+START\s+NEW START\s+RECORDS\s+END/)
    expect(human.stderr).toMatch(/dry run: 12 record\(s\)/)

    const done = await topic(['trim', 'trim-a', '--before', '0:4,1:latest', '--execute', '--json'])
    expect(done.exitCode, done.stderr).toBe(0)
    const result = JSON.parse(done.stdout) as { executed: boolean; partitions: { newLogStartOffset: number }[] }
    expect(result.executed).toBe(true)
    expect(result.partitions.map((p) => p.newLogStartOffset)).toEqual([4, 8, 0])
    expect(await starts('trim-a')).toEqual([4, 8, 0])

    // -N: keep the last two records of every partition; a start already past it stays.
    const again = await topic(['trim', 'trim-a', '--before', '-2', '--execute', '--json'])
    expect(again.exitCode, again.stderr).toBe(0)
    expect(await starts('trim-a')).toEqual([8, 8, 1])
  }, 60_000)

  it('exits 4 for an unknown topic, partition or an offset past the end; 2 for bad offsets; 7 on a compacted topic', async () => {
    await createWithRecords('trim-b', [2])
    expect((await topic(['trim', 'trim-nope', '--before', '1'])).exitCode).toBe(4)
    expect((await topic(['trim', 'trim-b', '--before', '3:1'])).exitCode).toBe(4)
    const past = await topic(['trim', 'trim-b', '--before', '5', '--json'])
    expect(past.exitCode).toBe(4)
    expect(past.stdout).toMatch(/past the end/)
    expect((await topic(['trim', 'trim-b', '--before', 'soon'])).exitCode).toBe(2)
    await createWithRecords('trim-c', [2], ['cleanup.policy=compact'])
    const compacted = await topic(['trim', 'trim-c', '--before', '1', '--execute'])
    expect(compacted.exitCode, compacted.stderr).toBe(7)
    expect(compacted.stderr).toMatch(/POLICY_VIOLATION/)
    expect(await starts('trim-b')).toEqual([0])
  }, 60_000)
})
