/**
 * The Raft node (src/cluster/raft/node.ts) in small, fixed scenarios on the seeded world of
 * harness.ts: election, replication and the high watermark, observers, divergence, snapshots,
 * restarts from the store, resignation. Every scenario runs the harness's checks throughout.
 */
import { describe, expect, it } from 'vitest'
import { RaftWorld } from './harness.js'

const dec = new TextDecoder()

async function elected(w: RaftWorld, ms = 5000): Promise<number> {
  const until = w.sched.nowMs() + ms
  while (!w.leader() && w.sched.nowMs() < until) await w.runFor(50)
  const l = w.leader()
  expect(l, 'a leader').toBeDefined()
  return l!.id
}

function values(w: RaftWorld, id: number): string[] {
  return w.replica(id).applied.map(([, v]) => v)
}

describe('raft/node', () => {
  it('three voters elect one leader, which commits proposals on every voter in order', async () => {
    const w = new RaftWorld({ seed: 1, voters: 3 })
    await w.startAll()
    const leader = await elected(w)
    const proposed = [w.propose(), w.propose(), w.propose()]
    await w.runFor(1000)
    for (const id of [1, 2, 3]) expect(values(w, id)).toEqual(proposed)
    expect(w.replica(leader).node!.highWatermark).toBe(4) // the LeaderChange entry, then the three
    w.check()
    expect(w.errors).toEqual([])
  })

  it('a single voter leads alone', async () => {
    const w = new RaftWorld({ seed: 2, voters: 1 })
    await w.startAll()
    await elected(w)
    const v = w.propose()
    await w.runFor(100)
    expect(values(w, 1)).toEqual([v])
  })

  it('an observer finds the leader by asking a voter and follows the log without voting', async () => {
    const w = new RaftWorld({ seed: 3, voters: 3, observers: 1 })
    await w.startAll()
    await elected(w)
    const v = w.propose()
    await w.runFor(1000)
    expect(values(w, 4)).toEqual([v])
    expect(w.replica(4).node!.state.role).toBe('follower')
    // With two voters down nothing commits, however many observers follow.
    const leader = w.leader()!.id
    for (const id of [1, 2, 3]) if (id !== leader) w.crash(id)
    w.propose()
    await w.runFor(1000)
    expect(values(w, 4)).toEqual([v])
  })

  it('nothing commits without a majority, and a restarted voter catches up from its store', async () => {
    const w = new RaftWorld({ seed: 4, voters: 3, storeDelayMaxMs: 3 })
    await w.startAll()
    const leader = await elected(w)
    const others = [1, 2, 3].filter((id) => id !== leader)
    const a = w.propose()
    await w.runFor(500)
    w.crash(others[0]!)
    w.crash(others[1]!)
    const b = w.propose()
    await w.runFor(500)
    expect(values(w, leader)).toEqual([a])
    await w.start(others[0]!)
    await w.runFor(2000)
    const l = w.leader()!.id
    expect(values(w, l)).toContain(b)
    expect(values(w, others[0]!)).toEqual(values(w, l))
    expect(w.errors).toEqual([])
  })

  it('a leader cut off with entries of its own truncates them on rejoining (diverging epoch)', async () => {
    const w = new RaftWorld({ seed: 5, voters: 3 })
    await w.startAll()
    const old = await elected(w)
    const others = [1, 2, 3].filter((id) => id !== old)
    const a = w.propose()
    await w.runFor(500)
    for (const id of others) w.cutLink(old, id)
    // Appended by the old leader only: never committed.
    w.replica(old).node!.propose([new TextEncoder().encode('lost-1'), new TextEncoder().encode('lost-2')])
    await w.runFor(3000)
    const fresh = w.leader()!
    expect(fresh.id).not.toBe(old)
    const b = w.propose()
    await w.runFor(500)
    w.healAll()
    await w.runFor(3000)
    const n = w.replica(old).node!
    expect(n.state.role).toBe('follower')
    const logValues = []
    for (let o = n.logStartOffset; o < n.logEndOffset; o++) logValues.push(dec.decode(n.entryAt(o)!.value))
    expect(logValues).not.toContain('lost-1')
    expect(values(w, old)).toEqual([a, b])
    w.check()
    expect(w.errors).toEqual([])
  })

  it('a voter behind the leader\'s log start is sent a snapshot, and loads it', async () => {
    const w = new RaftWorld({ seed: 6, voters: 3 })
    await w.startAll()
    const leader = await elected(w)
    const lagging = [1, 2, 3].find((id) => id !== leader)!
    w.crash(lagging)
    const proposed = [w.propose(), w.propose(), w.propose()]
    await w.runFor(500)
    expect(w.snapshot(leader)).toBe(true)
    expect(w.replica(leader).node!.logStartOffset).toBeGreaterThan(0)
    await w.start(lagging)
    await w.runFor(2000)
    expect(w.replica(lagging).snapshotsLoaded).toBe(1)
    expect(values(w, lagging)).toEqual(proposed)
    const after = w.propose()
    await w.runFor(500)
    expect(values(w, lagging)).toEqual([...proposed, after])
    // A restart loads the voter's own snapshot from its store.
    w.crash(lagging)
    await w.start(lagging)
    expect(w.replica(lagging).snapshotsLoaded).toBe(2)
    await w.runFor(1000)
    expect(values(w, lagging)).toEqual([...proposed, after])
    expect(w.errors).toEqual([])
  })

  it('a resigning leader hands over through EndQuorumEpoch: the next leader is elected at once', async () => {
    const w = new RaftWorld({ seed: 7, voters: 3 })
    await w.startAll()
    const old = await elected(w)
    const epoch = w.replica(old).node!.state.epoch
    await w.runFor(500)
    w.replica(old).node!.resign()
    // Well below an election timeout plus a fetch timeout (300 + 600 ms here).
    await w.runFor(250)
    const l = w.leader()
    expect(l && l.id !== old ? l.node!.state.epoch : null).toBe(epoch + 1)
    expect(w.errors).toEqual([])
  })

  it('a leader cut off from every voter resigns within two checks of 1.5 fetch timeouts (check-quorum)', async () => {
    const w = new RaftWorld({ seed: 9, voters: 3 })
    await w.startAll()
    const old = await elected(w)
    const epoch = w.replica(old).node!.state.epoch
    for (const id of [1, 2, 3]) if (id !== old) w.cutLink(old, id)
    await w.runFor(800) // shorter than one window (900 ms here): still leading
    expect(w.replica(old).node!.state.role).toBe('leader')
    await w.runFor(1000)
    const after = w.replica(old).node!.state
    expect(after.role).not.toBe('leader')
    expect(after.epoch).toBe(epoch) // cut off, it cannot win the next epoch's pre-votes
    expect(w.errors).toEqual([])
  })

  it('a voter cut off from a leader that lives follows it again once the link heals (its pre-votes are refused meanwhile)', async () => {
    const w = new RaftWorld({ seed: 10, voters: 3 })
    await w.startAll()
    const leader = await elected(w)
    const epoch = w.replica(leader).node!.state.epoch
    const cut = [1, 2, 3].find((id) => id !== leader)!
    w.cutLink(leader, cut)
    const v = w.propose()
    await w.runFor(3000)
    // It went prospective and back (told by the other voter that the leader lives), disrupting nothing.
    expect(w.trace.some((line) => line.includes(`${cut}: prospective e${epoch}`))).toBe(true)
    expect(w.leader()!.node!.state).toMatchObject({ epoch, leaderId: leader })
    w.healAll()
    await w.runFor(2000)
    expect(w.replica(cut).node!.state).toMatchObject({ role: 'follower', epoch, leaderId: leader })
    expect(values(w, cut)).toEqual([v])
    expect(w.errors).toEqual([])
  })

  it('a restarted leader comes back resigned in its epoch and never leads it twice', async () => {
    const w = new RaftWorld({ seed: 8, voters: 3 })
    await w.startAll()
    const old = await elected(w)
    const epoch = w.replica(old).node!.state.epoch
    w.crash(old)
    await w.start(old)
    const after = w.replica(old).node!.state
    expect(after.role).not.toBe('leader')
    expect(after.epoch).toBe(epoch) // cut off, it cannot win the next epoch's pre-votes
    await w.runFor(3000)
    expect(w.leader()!.node!.state.epoch).toBeGreaterThan(epoch)
    expect(w.errors).toEqual([])
  })
})
