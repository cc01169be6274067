/**
 * A broker that starts while the controller quorum has no majority (src/broker/broker.ts
 * registerUntilDone): its start does not fail; it stays starting (registered false, no roles) and
 * retries its registration with backoff until a majority is back, then registers. A crash while
 * it retries ends the retries. The simulation's node on its quorum, in virtual time.
 */
import { describe, expect, it } from 'vitest'
import { seededRng } from '../../src/cluster/rng.js'
import { runFor } from '../helpers/virtual-time.js'
import { SimNode } from '../sim/sim-node.js'

async function world(): Promise<{ sim: SimNode; attempts: () => number }> {
  const fail = (message: string): never => {
    throw new Error(message)
  }
  const rng = seededRng(1)
  const quorumRng = seededRng(2)
  const lines: string[] = []
  const sim = await SimNode.create({
    brokers: 3,
    network: { latencyMinMs: 1, latencyMaxMs: 1, requestTimeoutMs: 300 },
    persistMaxMs: 1,
    controllerTickMs: 200,
    brokerConfigs: { 'broker.heartbeat.interval.ms': '50', 'broker.session.timeout.ms': '2000' },
    diskWriteMaxMs: 0,
    rngs: { controller: rng, network: rng, persist: rng, disk: rng },
    quorum: { rngs: { raft: quorumRng, delays: quorumRng, actions: quorumRng }, delayMaxMs: 1 },
    trace: (line) => lines.push(line()),
    fail,
  })
  const attempts = (): number => lines.filter((l) => l === 'b1 asks the controller: register').length
  return { sim, attempts }
}

describe('broker/registration retry while the controller quorum has no majority', () => {
  it('keeps retrying with backoff, stays unregistered, and registers once a majority is back', async () => {
    const { sim, attempts } = await world()
    for (const id of sim.ids) void sim.start(id)
    await runFor(sim.sched, 500)
    expect(sim.ids.map((id) => sim.condition(id))).toEqual(['up', 'up', 'up'])

    // Two of the three voters down: metadata is frozen. Broker 1 restarts meanwhile.
    const quorum = sim.quorum!.log
    const down = [1, 2, 3].filter((id) => id !== quorum.describe().leaderId).slice(0, 2)
    for (const id of down) quorum.crashVoter(id)
    sim.crash(1)
    const before = attempts()
    const started = sim.start(1)
    // A minute of virtual time: each attempt waits the 3 s append timeout, then the backoff.
    await runFor(sim.sched, 60_000)
    expect(sim.condition(1)).toBe('starting')
    expect(sim.broker(1)!.registered).toBe(false)
    expect(sim.broker(1)!.replicas.all().filter((h) => h.role === 'leader' || h.role === 'follower')).toEqual([])
    const tried = attempts() - before
    // Retried, with the wait growing: far fewer than one attempt per 100 ms backoff step.
    expect(tried).toBeGreaterThan(5)
    expect(tried).toBeLessThan(60_000 / 3_100)

    // A majority back: the pending or next attempt commits, and the start returns.
    for (const id of down) void quorum.startVoter(id)
    await runFor(sim.sched, 5_000)
    await started
    expect(sim.condition(1)).toBe('up')
    expect(sim.broker(1)!.registered).toBe(true)
    expect(sim.image.brokers.get(1)?.fenced).toBe(false)
    for (const id of sim.ids) sim.crash(id)
  })

  it('a crash while it retries ends the retries', async () => {
    const { sim, attempts } = await world()
    for (const id of sim.ids) void sim.start(id)
    await runFor(sim.sched, 500)
    const quorum = sim.quorum!.log
    for (const id of [1, 2, 3].filter((id) => id !== quorum.describe().leaderId).slice(0, 2)) quorum.crashVoter(id)
    sim.crash(1)
    void sim.start(1)
    await runFor(sim.sched, 10_000)
    expect(sim.condition(1)).toBe('starting')
    sim.crash(1)
    await runFor(sim.sched, 1_000)
    const after = attempts()
    await runFor(sim.sched, 60_000)
    expect(attempts()).toBe(after)
    expect(sim.broker(1)!.running).toBe(false)
    for (const id of sim.ids) sim.crash(id)
  })
})
