/**
 * `sluice topic reassign` and `sluice topic reassignments` through the built binary against a
 * 3-broker daemon: a move held in progress (its new replica's broker is down) is listed with its
 * progress, cancelled, started again, and completes once the broker is back, every record still
 * there; and the error paths' exit codes.
 */
import { Producer, stringSerializers } from '@platformatic/kafka'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { control, sluice, startDaemon, stopDaemon, until, type SluiceResult, type TestDaemon } from '../helpers/index.js'
import { readTopic } from '../support/read-back.js'

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

function json<T>(r: SluiceResult): T {
  expect(r.exitCode, r.stderr).toBe(0)
  return JSON.parse(r.stdout) as T
}

/** A partition's replicas, from the daemon's control socket. */
async function replicasOf(name: string): Promise<number[]> {
  return (await control(d, 'cluster.partitions', {})).partitions.find((p) => p.topic === name && p.partition === 0)!.replicas
}

interface Move {
  topic: string
  partition: number
  replicas: number[]
  addingReplicas: number[]
  removingReplicas: number[]
  target: number[]
  progress: { broker: number; logEndOffset: number | null; leaderLogEndOffset: number | null }[] | null
}

describe('sluice topic reassign', () => {
  it('a move in progress is listed with its progress, can be cancelled, and completes with every record', async () => {
    expect((await topic(['create', 'mv', '--partitions', '1', '--replication-factor', '2'])).exitCode).toBe(0)
    const producer = new Producer({ clientId: 'reassign-test', bootstrapBrokers: [d.bootstrap], serializers: stringSerializers })
    try {
      for (let i = 0; i < 5; i++) await producer.send({ messages: [{ topic: 'mv', partition: 0, value: `v${i}` }], acks: -1 })
    } finally {
      await producer.close()
    }
    const before = await replicasOf('mv')
    const [kept, dropped] = before as [number, number]
    const added = [1, 2, 3].find((id) => !before.includes(id))!
    // The new replica's broker is down: the move stays in progress until it is back.
    await control(d, 'broker.kill', { id: added, clean: true })

    const started = json<{ reassignment: Move | null }>(await topic(['reassign', 'mv', '--partition', '0', '--replicas', `${kept},${added}`, '--json']))
    expect(started.reassignment).toMatchObject({ replicas: [kept, added, dropped], addingReplicas: [added], removingReplicas: [dropped], target: [kept, added] })
    const listed = json<{ reassignments: Move[] }>(await topic(['reassignments', '--json']))
    expect(listed.reassignments).toEqual([{ ...started.reassignment, progress: [{ broker: added, logEndOffset: null, leaderLogEndOffset: 5 }] }])
    const table = await topic(['reassignments', 'mv'])
    expect(table.stdout).toMatch(new RegExp(`^PARTITION\\s+TARGET\\s+REPLICAS\\s+ADDING\\s+REMOVING\\s+PROGRESS.*\\nmv-0\\s+${kept},${added}\\s.*${added}: \\?/5`))

    const cancelled = json<{ reassignment: Move | null; replicas: number[] }>(await topic(['reassign', 'mv', '--partition', '0', '--cancel', '--json']))
    expect(cancelled).toMatchObject({ reassignment: null, replicas: before })
    const nothing = await topic(['reassign', 'mv', '--partition', '0', '--cancel'])
    expect(nothing.exitCode).toBe(7)
    expect(nothing.stderr).toMatch(/NO_REASSIGNMENT_IN_PROGRESS/)

    expect((await topic(['reassign', 'mv', '--partition', '0', '--replicas', `${kept},${added}`])).stderr).toMatch(/in progress/)
    await control(d, 'broker.start', { id: added })
    await until('the move to complete', async () => (json<{ reassignments: Move[] }>(await topic(['reassignments', '--json'])).reassignments.length === 0 ? true : undefined))
    expect(await replicasOf('mv')).toEqual([kept, added])
    expect((await readTopic(d.port, 'mv')).map((r) => r.value)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4'])
  }, 120_000)

  it('exits 4 for an unknown topic or partition, 2 for a broker not in the cluster or neither flag', async () => {
    const cases: [string[], number][] = [
      [['reassign', 'nope', '--partition', '0', '--replicas', '1'], 4],
      [['reassign', 'mv', '--partition', '3', '--replicas', '1'], 4],
      [['reassign', 'mv', '--partition', '0', '--replicas', '1,9'], 2],
      [['reassign', 'mv', '--partition', '0'], 2],
    ]
    for (const [args, exit] of cases) {
      const r = await topic(args)
      expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(exit)
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
    }
  }, 120_000)
})
