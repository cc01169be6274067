/**
 * The controller on the quorum (src/daemon/controller-driver.ts over quorum-metadata-log.ts):
 * three voters on memory stores, virtual time. The image changes only by what the log commits:
 * an append that timed out and committed later is applied once, and the commands after it run
 * against an image that has it.
 */
import { describe, expect, it } from 'vitest'
import { Controller, type CommandResult } from '../../src/cluster/controller.js'
import type { ClusterEvent } from '../../src/cluster/events.js'
import { MetadataImage } from '../../src/cluster/metadata.js'
import { MemoryRaftLogStore } from '../../src/cluster/raft/log-store.js'
import { seededRng } from '../../src/cluster/rng.js'
import { ControllerDriver, IsrChangeBatcher } from '../../src/daemon/controller-driver.js'
import { QuorumMetadataLog } from '../../src/daemon/quorum-metadata-log.js'
import { InProcessTransport } from '../../src/daemon/quorum-transport.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { runFor, runUntilSettled } from '../helpers/virtual-time.js'
import { VirtualScheduler } from '../sim/scheduler.js'

const VOTERS = [1, 2, 3]
const TIMINGS = { electionTimeoutMs: 100, fetchTimeoutMs: 200, electionBackoffMaxMs: 100, requestTimeoutMs: 200, fetchIntervalMs: 10, fetchMaxWaitMs: 50 }
const APPEND_TIMEOUT_MS = 1000

async function world() {
  const sched = new VirtualScheduler()
  const stores = new Map(VOTERS.map((id) => [id, new MemoryRaftLogStore()]))
  const transport = new InProcessTransport(sched, () => 1)
  const log = new QuorumMetadataLog({
    voterIds: VOTERS,
    storeOf: (id) => stores.get(id)!,
    transport,
    scheduler: sched,
    rng: seededRng(7),
    raft: TIMINGS,
    appendTimeoutMs: APPEND_TIMEOUT_MS,
    newClusterId: () => 'test-cluster',
  })
  const controller = new Controller(new MetadataImage(), seededRng(1))
  const events: ClusterEvent[] = []
  const driver = new ControllerDriver(controller, log, sched, (_records, e) => events.push(...e))
  const run = <T>(p: Promise<T>): Promise<T> => runUntilSettled(sched, p)
  driver.replay(await run(log.open()))
  for (const id of VOTERS) await run(driver.submit(() => controller.registerBroker(id, 'localhost', 9000 + id, sched.nowMs())))
  return { sched, log, transport, controller, driver, events, run }
}

const create = (controller: Controller) => (): CommandResult<unknown> => controller.createTopic({ name: 'orders', numPartitions: 1, replicationFactor: 1 })

describe('daemon/controller-driver on the quorum', () => {
  it('applies an append that timed out once it commits, once, and the next command sees it', async () => {
    const { sched, log, controller, driver, events, run } = await world()
    const leader = log.describe().leaderId!
    const followers = VOTERS.filter((id) => id !== leader)
    for (const id of followers) log.crashVoter(id)

    // No majority: the leader appends the topic but cannot commit it in time.
    const first = await run(driver.submit(create(controller)))
    expect(first.errorCode).toBe(ErrorCode.REQUEST_TIMED_OUT)
    expect(first.errorMessage).toMatch(/no majority/)
    expect(controller.image.topicsByName.has('orders')).toBe(false)

    // One follower back: its log is shorter, so only the old leader can win, and its first
    // entry's commit commits the topic too. The next command waits for that, then sees it.
    await run(log.startVoter(followers[0]!))
    const again = await run(driver.submit(create(controller)))
    expect(again.errorCode).toBe(ErrorCode.TOPIC_ALREADY_EXISTS)
    expect(controller.image.topicsByName.has('orders')).toBe(true)
    expect(events.filter((e) => e.type === 'topic.created')).toHaveLength(1)
    expect((await log.readAll()).filter((s) => s.record.type === 'topic')).toHaveLength(1)

    await runFor(sched, 500)
    expect(events.filter((e) => e.type === 'topic.created')).toHaveLength(1)
    await run(log.close())
  })

  it('a leader cut off the transport (its broker paused) is replaced, and commands go on through the new one', async () => {
    const { log, transport, controller, driver, run } = await world()
    const leader = log.describe().leaderId!
    transport.isolate(leader, true)
    expect((await run(driver.submit(create(controller)))).errorCode).toBe(ErrorCode.NONE)
    expect(log.describe().leaderId).not.toBe(leader)
    // Back: it rejoins as a follower, and commands still commit.
    transport.isolate(leader, false)
    await run(driver.submit(() => controller.createTopic({ name: 'later', numPartitions: 1, replicationFactor: 1 })))
    expect(controller.image.topicsByName.has('later')).toBe(true)
    await run(log.close())
  })

  it('fails, not refuses, ISR changes the quorum could not commit (they may still commit)', async () => {
    const { sched, log, controller, driver, run } = await world()
    await run(driver.submit(() => controller.createTopic({ name: 'orders', numPartitions: 1, replicationFactor: 3 })))
    const topic = controller.image.topicsByName.get('orders')!
    const p = topic.partitions[0]!
    for (const id of VOTERS) log.crashVoter(id)
    const isr = p.isr.filter((id) => id !== p.leader).slice(0, 1).concat(p.leader)
    const change = new IsrChangeBatcher(driver, sched).submit({ brokerId: p.leader, topicId: topic.topicId, partition: 0, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, isr })
    await expect(run(change)).rejects.toMatchObject({ code: 'QUORUM_NO_MAJORITY' })
    await run(log.close())
  })

  it('answers commands REQUEST_TIMED_OUT while no leader can commit, and runs them again once one can', async () => {
    const { log, controller, driver, run } = await world()
    for (const id of VOTERS) log.crashVoter(id)
    const refused = await run(driver.submit(create(controller)))
    expect(refused.errorCode).toBe(ErrorCode.REQUEST_TIMED_OUT)
    expect(refused.errorMessage).toMatch(/QUORUM|no majority/i)
    for (const id of VOTERS) await run(log.startVoter(id))
    expect((await run(driver.submit(create(controller)))).errorCode).toBe(ErrorCode.NONE)
    expect(controller.image.topicsByName.has('orders')).toBe(true)
    await run(log.close())
  })
})
