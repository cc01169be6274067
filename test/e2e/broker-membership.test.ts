/**
 * Growing and shrinking the cluster through the CLI: `broker add` starts an empty broker that the
 * controller places replicas on and that answers Kafka requests; `broker remove` is refused while
 * the broker holds replicas and otherwise takes it out; the home keeps the brokers across a
 * daemon restart (config.json), the removed one's data gone. `cluster rebalance` moves partitions
 * onto an added broker (its plan first), `broker remove --move` moves them off again; the records
 * stay. (Under a producer and a consumer group: rebalance-drill.test.ts.)
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { control, sluice, startDaemon, stopDaemon, type TestDaemon } from '../helpers/index.js'

interface Move {
  topic: string
  partition: number
  from: number[]
  to: number[]
  bytes: number
}

interface Broker {
  id: number
  port: number
  state: string
  replicaOf: number
}

let d: TestDaemon

beforeAll(async () => {
  d = await startDaemon({ brokers: 2 })
})

afterAll(async () => {
  if (d) await stopDaemon(d)
})

const run = (args: string[]) => sluice(args, { home: d.home, env: d.env })
async function json<T>(args: string[]): Promise<T> {
  const r = await run([...args, '--json'])
  expect(r.exitCode, `${args.join(' ')}: ${r.stdout} ${r.stderr}`).toBe(0)
  return JSON.parse(r.stdout) as T
}
// Not what is tested: straight through the control socket, sparing a CLI start.
const brokers = async (): Promise<Broker[]> => (await control(d, 'broker.list', {})).brokers

describe('broker add and remove', () => {
  it('add: the next id on the next port, up, placed on and serving; remove: refused while it holds replicas', async () => {
    const added = await json<{ id: number; port: number; brokers: Broker[] }>(['broker', 'add'])
    expect(added.id).toBe(3)
    expect(added.port).toBeGreaterThan(d.port + 1)
    expect(added.brokers.map((b) => [b.id, b.state])).toEqual([[1, 'up'], [2, 'up'], [3, 'up']])

    // The controller places on it: replication factor 3 needs all three brokers.
    const created = await run(['topic', 'create', 'm-three', '--partitions', '1', '--replication-factor', '3'])
    expect(created.exitCode, created.stderr).toBe(0)
    // It answers Kafka requests on its own port (the rebalance drill produces to it and reads from it).
    const listed = await sluice(['topic', 'list', '--json', '--bootstrap-server', `127.0.0.1:${added.port}`], { home: d.home, env: d.env })
    expect(listed.stdout).toContain('m-three')

    const refused = await run(['broker', 'remove', '3', '--json'])
    expect(refused.exitCode).toBe(5)
    expect(JSON.parse(refused.stdout).error).toMatchObject({ code: 'BROKER_NOT_EMPTY', message: expect.stringMatching(/broker 3 holds replicas of 1 partition \(m-three-0\)/) })
    expect((await brokers()).map((b) => b.id)).toEqual([1, 2, 3])

    expect((await run(['topic', 'delete', 'm-three'])).exitCode).toBe(0)
  })

  it('remove takes an empty broker out; the home keeps its brokers: an added one comes back after a restart, a removed one does not', async () => {
    const four = await json<{ id: number; port: number }>(['broker', 'add'])
    expect(four.id).toBe(4)
    expect(fs.existsSync(path.join(d.home, 'brokers', '4'))).toBe(true)
    const removed = await json<{ id: number; brokers: Broker[] }>(['broker', 'remove', '4'])
    expect(removed.brokers.map((b) => b.id)).toEqual([1, 2, 3])
    expect(fs.existsSync(path.join(d.home, 'brokers', '4'))).toBe(false)
    const history = await run(['cluster', 'events', '--since', '0'])
    const unregistered = history.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { type: string; broker?: number })
    expect(unregistered.some((e) => e.type === 'broker.unregistered' && e.broker === 4), history.stdout).toBe(true)
    const three = (await brokers()).find((b) => b.id === 3)!
    const config = JSON.parse(fs.readFileSync(path.join(d.home, 'config.json'), 'utf8')) as { brokers: { id: number; port: number }[] }
    expect(config.brokers).toEqual([
      { id: 1, port: d.port },
      { id: 2, port: d.port + 1 },
      { id: 3, port: three.port },
    ])
    expect((await run(['daemon', 'stop'])).exitCode).toBe(0)
    const started = await json<{ brokers: { id: number; port: number }[] }>(['daemon', 'start'])
    expect(started.brokers.map((b) => [b.id, b.port])).toEqual([[1, d.port], [2, d.port + 1], [3, three.port]])
    expect((await brokers()).map((b) => [b.id, b.state])).toEqual([[1, 'up'], [2, 'up'], [3, 'up']])
  })

  it('remove --move moves a broker\'s replicas off first; cluster rebalance moves them onto an added broker (its plan first, --dry-run moves nothing); the records stay', async () => {
    // Brokers 1, 2 and 3 (the previous test): the topic is placed on all three.
    expect((await run(['topic', 'create', 'm-move', '--partitions', '3', '--replication-factor', '2'])).exitCode).toBe(0)
    const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify({ n: i })).join('\n') + '\n'
    expect((await sluice(['produce', 'm-move', '--key', '.n'], { home: d.home, env: d.env, input: lines })).exitCode).toBe(0)

    const removed = await json<{ moved: Move[]; brokers: Broker[] }>(['broker', 'remove', '3', '--move'])
    expect(removed.moved.length).toBeGreaterThan(0)
    expect(removed.moved.every((m) => m.from.includes(3) && !m.to.includes(3))).toBe(true)
    expect(removed.brokers.map((b) => [b.id, b.replicaOf])).toEqual([[1, 3], [2, 3]])

    expect((await json<{ id: number }>(['broker', 'add'])).id).toBe(3)
    const dry = await json<{ moves: Move[]; submitted: boolean; completed: boolean }>(['cluster', 'rebalance', '--dry-run'])
    expect(dry).toMatchObject({ submitted: false, completed: false })
    expect(dry.moves.filter((m) => m.to.includes(3))).toHaveLength(2)
    expect(dry.moves.filter((m) => m.to.includes(3)).every((m) => m.bytes > 0)).toBe(true)
    expect((await brokers()).find((b) => b.id === 3)!.replicaOf).toBe(0)

    const done = await json<{ moves: Move[]; completed: boolean }>(['cluster', 'rebalance'])
    expect(done.completed).toBe(true)
    expect(done.moves).toEqual(dry.moves)
    expect((await brokers()).map((b) => b.replicaOf)).toEqual([2, 2, 2])
    const events = (await control(d, 'cluster.events', {})).events.map((e) => e.type)
    expect(events).toContain('reassign.completed')
    expect(events).toContain('broker.added')

    const read = await run(['consume', 'm-move', '--from', 'earliest', '--max', '30', '--format', 'value'])
    expect(read.exitCode, read.stderr).toBe(0)
    expect(read.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { n: number }).n).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i))
  })
})
