/**
 * Dedicated controllers end to end (`daemon start --controller-mode dedicated`): 3 brokers and 3
 * voters of their own (ids 3000-3002, no endpoints in DescribeQuorum). The leader controller is
 * killed: `cluster quorum` names a new one and topics are created. A second is killed: metadata
 * is frozen (CreateTopics times out) while every broker stays up and produce goes on; both
 * started again, topics are created again. (Refusals, exit 2 and 4: test/daemon/controller-nodes.test.ts.)
 *
 * The frozen CreateTopics is sent with kafkajs and no retries: `sluice topic create` retries a
 * REQUEST_TIMED_OUT five times as Kafka's admin clients do (about 19 s before its exit 7, which
 * e2e/quorum-failover.test.ts checks). Nothing here asserts a duration: it waits for conditions.
 */
import { execa } from 'execa'
import { Kafka, logLevel, type Admin } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ControllerActionResult, ControllerListResult } from '../../src/common/control-contract.js'
import { control, HANG_MS, sluice, sluiceJson, startDaemon, stopDaemon, until, type TestDaemon } from '../helpers/index.js'

let d: TestDaemon

beforeAll(async () => {
  d = await startDaemon({ brokers: 3, startArgs: ['--controller-mode', 'dedicated'] })
})

afterAll(async () => {
  if (d) await stopDaemon(d)
})

const run = (args: string[]) => sluice(args, { home: d.home, env: d.env })

const json = <T>(args: string[]): Promise<T> => sluiceJson<T>(args, { home: d.home, env: d.env })

/** The quorum's leader, asked of the control socket (waiting, not what is tested: few CLI spawns). */
const quorumLeader = async (): Promise<number | undefined> => {
  const { leaderId } = await control(d, 'controller.list', {})
  return leaderId >= 0 ? leaderId : undefined
}

const allBrokers = (): string => d.brokers.map((b) => `${b.host}:${b.port}`).join(',')

/** Every broker is up (the controllers' fate is not theirs), and acks=all produce works. */
async function brokersServe(value: string): Promise<void> {
  const { brokers } = await control(d, 'broker.list', {})
  expect(brokers.map((b) => b.state)).toEqual(['up', 'up', 'up'])
  const r = await execa('kcat', ['-b', allBrokers(), '-P', '-t', 'events', '-X', 'acks=all'], { input: `${value}\n`, timeout: HANG_MS, reject: false })
  expect(r.exitCode, r.stderr).toBe(0)
}

describe('e2e/controller-dedicated', () => {
  it('loses and regains controllers while the brokers serve', async () => {
    const listed = await json<ControllerListResult>(['controller', 'list'])
    expect(listed.mode).toBe('dedicated')
    expect(listed.controllers.map((c) => [c.id, c.state])).toEqual([
      [3000, 'running'],
      [3001, 'running'],
      [3002, 'running'],
    ])
    const kafka = new Kafka({ brokers: allBrokers().split(','), logLevel: logLevel.NOTHING, retry: { retries: 0 } })
    const admin = kafka.admin()
    await admin.connect()
    try {
      await admin.createTopics({ topics: [{ topic: 'events', numPartitions: 1 }] })
      await brokersServe('before')
      await failAndRecover(admin)
    } finally {
      await admin.disconnect()
    }
  })
})

/** The leader controller killed, then a second (no majority), then both started again. */
async function failAndRecover(admin: Admin): Promise<void> {
  // The leader controller dies: the other two elect one of themselves.
  const first = await until('a quorum leader', quorumLeader)
  const killed = await json<ControllerActionResult>(['controller', 'kill', String(first)])
  expect(killed.was).toBe('running')
  expect(killed.controllers.find((c) => c.id === first)!.state).toBe('killed')
  const second = await until('a new quorum leader', async () => {
    const id = await quorumLeader()
    return id !== undefined && id !== first ? id : undefined
  })
  expect([3000, 3001, 3002]).toContain(second)
  // What DescribeQuorum answers: the new leader, and dedicated voters with no Kafka endpoint.
  const quorum = await json<{ leaderId: number; currentVoters: { id: number; endpoints: string[] }[] }>(['cluster', 'quorum'])
  expect(quorum.leaderId).toBe(second)
  expect(quorum.currentVoters).toEqual([3000, 3001, 3002].map((id) => ({ id, endpoints: [] })))
  expect(await admin.createTopics({ topics: [{ topic: 'after-first' }] })).toBe(true)

  // A majority down: a topic change cannot commit; the brokers serve on.
  expect((await run(['controller', 'kill', String(second)])).exitCode).toBe(0)
  await expect(admin.createTopics({ topics: [{ topic: 'frozen' }], timeout: 5_000 })).rejects.toMatchObject({ errors: [{ type: 'REQUEST_TIMED_OUT' }] })
  await brokersServe('while-frozen')
  const { events } = await control(d, 'cluster.events', {})
  expect(events.filter((e) => e.type === 'quorum.voter.down').map((e) => e.voter)).toEqual([first, second])
  expect(events.filter((e) => e.type === 'controller.killed').map((e) => e.controller)).toEqual([first, second])
  expect(events.some((e) => e.type === 'quorum.frozen')).toBe(true)

  for (const id of [first, second]) expect((await run(['controller', 'start', String(id)])).exitCode).toBe(0)
  const after = await run(['topic', 'create', 'after'])
  expect(after.exitCode, after.stderr).toBe(0)
  await brokersServe('after')
}
