/**
 * The metadata log on a Raft quorum (src/daemon/quorum-metadata-log.ts): three in-process voters
 * on memory stores and virtual time (the simulation's VirtualScheduler, driven here until the
 * awaited call settles), then once on LevelDB stores in a temporary home with real timers.
 * Nothing asserts how long anything took: virtual time only bounds the waits.
 *
 * The in-flight crash runs a few seeds; QUORUM_LOG_SEEDS=200 runs more locally.
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { MetadataRecord } from '../../src/cluster/metadata.js'
import { MemoryRaftLogStore } from '../../src/cluster/raft/log-store.js'
import { seededRng } from '../../src/cluster/rng.js'
import { levelRaftStores, QuorumMetadataLog } from '../../src/daemon/quorum-metadata-log.js'
import { InProcessTransport } from '../../src/daemon/quorum-transport.js'
import { realScheduler } from '../../src/daemon/real-scheduler.js'
import { VirtualScheduler } from '../sim/scheduler.js'
import { runFor, runUntilSettled } from '../helpers/virtual-time.js'

const VOTERS = [1, 2, 3]
const SEEDS = Number(process.env.QUORUM_LOG_SEEDS ?? 8)
const TIMINGS = { electionTimeoutMs: 100, fetchTimeoutMs: 200, electionBackoffMaxMs: 100, requestTimeoutMs: 200, fetchIntervalMs: 10, fetchMaxWaitMs: 50 }

const fenced = (brokerId: number): MetadataRecord => ({ type: 'fenceBroker', brokerId, brokerEpoch: 1 })
/** A record the image keeps (a snapshot holds the image: a fence of a broker never registered leaves nothing in it). */
const registered = (brokerId: number): MetadataRecord => ({ type: 'registerBroker', brokerId, host: 'localhost', port: 9000 + brokerId, rack: null, brokerEpoch: 0 })

/**
 * Three voters on memory stores that outlive the QuorumMetadataLog (so a new one reopens them).
 * With `writeDelays`, each store write becomes durable a seeded 0-4 ms later, so a crash loses
 * the writes not yet durable.
 */
class World {
  readonly sched = new VirtualScheduler()
  readonly stores: Map<number, MemoryRaftLogStore>

  constructor(
    private seed = 1,
    writeDelays = false,
  ) {
    const rng = seededRng(seed * 7919)
    const options = writeDelays ? { scheduler: this.sched, writeDelayMs: () => rng.int(5) } : {}
    this.stores = new Map(VOTERS.map((id) => [id, new MemoryRaftLogStore(options)]))
  }

  quorum(appendTimeoutMs = 3000, maxRecordBytesBetweenSnapshots?: number): QuorumMetadataLog {
    return new QuorumMetadataLog({
      ...(maxRecordBytesBetweenSnapshots ? { maxRecordBytesBetweenSnapshots: () => maxRecordBytesBetweenSnapshots } : {}),
      voterIds: VOTERS,
      storeOf: (id) => this.stores.get(id)!,
      transport: new InProcessTransport(this.sched, () => 1),
      scheduler: this.sched,
      rng: seededRng(this.seed++),
      raft: TIMINGS,
      appendTimeoutMs,
      newClusterId: () => 'test-cluster',
    })
  }

  /** Runs virtual time until `p` settles (or `limitMs` passes), then returns it. */
  run<T>(p: Promise<T>, limitMs = 60_000): Promise<T> {
    return runUntilSettled(this.sched, p, limitMs)
  }

  /** Runs virtual time for `ms`. */
  runFor(ms: number): Promise<void> {
    return runFor(this.sched, ms)
  }
}

describe('daemon/quorum-metadata-log', () => {
  it('commits appends with metadata offsets counting records only, and a reopen gives them back in order', async () => {
    const w = new World()
    const q = w.quorum()
    expect(await w.run(q.open())).toEqual([])
    expect(await w.run(q.clusterId())).toBe('test-cluster')
    expect(await w.run(q.append([fenced(1), fenced(2)], 5))).toBe(0)
    expect(await w.run(q.append([fenced(3)], 6))).toBe(2)
    const all = await q.readAll()
    expect(all.map((s) => [s.offset, s.timestampMs, s.record])).toEqual([
      [0, 5, fenced(1)],
      [1, 5, fenced(2)],
      [2, 6, fenced(3)],
    ])
    const view = q.describe()
    expect(view.leaderId).not.toBeNull()
    // Raft offsets: the LeaderChange, the cluster id's entry, the two appends.
    expect(view.highWatermark).toBe(4)
    await w.run(q.close())

    const again = w.quorum()
    expect(await w.run(again.open())).toEqual(all)
    expect(await w.run(again.clusterId())).toBe('test-cluster')
    expect(await w.run(again.append([fenced(4)], 7))).toBe(3)
  })

  it('the leader crashes: another is elected, appends go on, nothing committed is lost', async () => {
    const w = new World()
    const q = w.quorum()
    await w.run(q.open())
    const acked: number[] = []
    for (let i = 0; i < 3; i++) acked.push(await w.run(q.append([fenced(i)], i)))
    const first = q.describe()
    q.crashVoter(first.leaderId!)
    for (let i = 3; i < 6; i++) acked.push(await w.run(q.append([fenced(i)], i)))
    const second = q.describe()
    expect(second.leaderId).not.toBe(first.leaderId)
    expect(second.epoch).toBeGreaterThan(first.epoch)
    expect(acked).toEqual([0, 1, 2, 3, 4, 5])
    expect((await q.readAll()).map((s) => s.record)).toEqual([0, 1, 2, 3, 4, 5].map(fenced))

    // The crashed voter comes back and catches up: the leader sees its fetches reach the log end.
    await w.run(q.startVoter(first.leaderId!))
    await w.runFor(1000)
    const view = q.describe()
    for (const v of view.voters) {
      expect(v.running).toBe(true)
      expect(v.logEndOffset).toBe(view.highWatermark)
      expect(v.lastFetchMs).not.toBeNull()
      // Caught up (KIP-836): at or before its last fetch, never after.
      expect(v.lastCaughtUpMs).not.toBeNull()
      expect(v.lastCaughtUpMs!).toBeLessThanOrEqual(v.lastFetchMs!)
    }

    // Every voter crashes at once: what they hold durable gives the same records back.
    for (const id of VOTERS) q.crashVoter(id)
    expect((await w.run(w.quorum().open())).map((s) => s.record)).toEqual([0, 1, 2, 3, 4, 5].map(fenced))
  })

  it('the leader crashes with appends in flight (with and without store write delays): each is committed exactly once (lost ones proposed again)', async () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const w = new World(seed, seed % 2 === 0)
      const q = w.quorum()
      await w.run(q.open())
      const appends = [0, 1, 2].map((i) => q.append([fenced(i)], i))
      // Somewhere between proposed on the leader and replicated to the followers.
      await w.runFor(seed % 12)
      const crashed = q.describe().leaderId!
      q.crashVoter(crashed)
      const offsets = await w.run(Promise.all(appends))
      const records = (await q.readAll()).map((s) => s.record)
      expect(records.length, `seed ${seed}`).toBe(3)
      offsets.forEach((offset, i) => expect(records[offset], `seed ${seed}`).toEqual(fenced(i)))
      // The crashed voter rejoins, then all crash: what is durable gives the same records back.
      await w.run(q.startVoter(crashed))
      await w.runFor(500)
      for (const id of VOTERS) q.crashVoter(id)
      expect((await w.run(w.quorum().open())).map((s) => s.record), `seed ${seed}`).toEqual(records)
    }
  })

  it('a leader stopped cleanly resigns: another leads, and the stopped one shows as not running', async () => {
    const w = new World()
    const q = w.quorum()
    await w.run(q.open())
    const leader = q.describe().leaderId!
    await w.run(q.stopVoter(leader))
    expect(await w.run(q.append([fenced(0)], 0))).toBe(0)
    const view = q.describe()
    expect(view.leaderId).not.toBe(leader)
    expect(view.voters.find((v) => v.id === leader)!.running).toBe(false)
  })

  it('two of three down: an append waits, fails with QUORUM_NO_MAJORITY, and appends resume once one is back', async () => {
    const w = new World()
    const q = w.quorum(2000)
    await w.run(q.open())
    expect(await w.run(q.append([fenced(0)], 0))).toBe(0)
    const leader = q.describe().leaderId!
    const [down1, down2] = VOTERS.filter((id) => id !== leader)
    q.crashVoter(down1!)
    q.crashVoter(down2!)
    await expect(w.run(q.append([fenced(1)], 1))).rejects.toMatchObject({ code: 'QUORUM_NO_MAJORITY', retriable: true })
    await expect(w.run(q.append([fenced(2)], 2))).rejects.toThrow(/no majority/)

    // An append made while no majority is up waits for it rather than failing at once.
    const waiting = q.append([fenced(3)], 3)
    await w.runFor(500)
    await w.run(q.startVoter(down1!))
    const offset = await w.run(waiting)
    const records = (await q.readAll()).map((s) => s.record)
    // The failed appends may commit after all (their leader had them): acknowledged ones always do, in order.
    expect(records[0]).toEqual(fenced(0))
    expect(records[offset]).toEqual(fenced(3))
    expect(records.length).toBe(offset + 1)
  })

  it('a snapshot replaces the entries below it, and a reopen starts from it: its records at its offset, then the later ones', async () => {
    const w = new World()
    const q = w.quorum()
    await w.run(q.open())
    await w.run(q.clusterId())
    for (let i = 0; i < 3; i++) await w.run(q.append([registered(i)], i))
    await w.runFor(500) // every follower learns the high watermark
    expect(q.snapshot().sort()).toEqual(VOTERS)
    await w.runFor(10)
    for (const store of w.stores.values()) expect(store.durableState().snapshot).not.toBeNull()
    // The leader's last committed entry left its log with the snapshot: it still counts as its epoch's.
    await w.run(q.settled(w.sched.nowMs()))
    expect(await w.run(q.append([registered(3)], 3))).toBe(3)
    await w.run(q.close())

    const again = w.quorum()
    // The image at offset 2 (the three registrations, its last record's time), then offset 3.
    expect((await w.run(again.open())).map((s) => [s.offset, s.timestampMs, s.record, s.snapshot ?? false])).toEqual([
      [2, 2, registered(0), true],
      [2, 2, registered(1), true],
      [2, 2, registered(2), true],
      [3, 3, registered(3), false],
    ])
    expect(await w.run(again.clusterId())).toBe('test-cluster')
    expect(await w.run(again.append([registered(4)], 4))).toBe(4)
  })

  it('voters snapshot by bytes committed; a voter down meanwhile catches up through the leader\'s snapshot', async () => {
    const w = new World()
    const q = w.quorum(3000, 600) // a data entry here is about 113 bytes: a snapshot every 6 entries
    await w.run(q.open())
    await w.run(q.clusterId())
    for (let i = 0; i < 3; i++) await w.run(q.append([registered(i)], i))
    const down = VOTERS.find((id) => id !== q.describe().leaderId)!
    q.crashVoter(down)
    const endWhenDown = w.stores.get(down)!.durableState().entries.at(-1)!.offset + 1
    for (let i = 3; i < 40; i++) await w.run(q.append([registered(i)], i))
    await w.runFor(500)
    for (const id of VOTERS.filter((v) => v !== down)) {
      const durable = w.stores.get(id)!.durableState()
      expect(durable.snapshot!.offset).toBeGreaterThan(endWhenDown)
      // Entries below the snapshot are gone: fewer are left than were appended since it was down.
      expect(durable.entries.length).toBeLessThan(10)
      expect(durable.entries[0]?.offset ?? durable.snapshot!.offset).toBe(durable.snapshot!.offset)
    }

    await w.run(q.startVoter(down))
    await w.runFor(500)
    const leaderEnd = q.describe().voters.find((v) => v.id === q.describe().leaderId)!.logEndOffset
    expect(q.describe().voters.find((v) => v.id === down)!.logEndOffset).toBe(leaderEnd)
    expect(w.stores.get(down)!.durableState().snapshot!.offset).toBeGreaterThan(endWhenDown)
    await w.run(q.close())

    // Every broker registered, from the image of the last snapshot and the entries after it.
    const again = w.quorum()
    const reopened = await w.run(again.open())
    expect(reopened.map((s) => s.record)).toEqual(Array.from({ length: 40 }, (_, i) => registered(i)))
    expect(reopened[0]!.snapshot).toBe(true)
    expect(await w.run(again.append([registered(40)], 40))).toBe(40)
    await w.run(again.close())
  })

  describe('on LevelDB', () => {
    let home: string | undefined
    afterEach(async () => {
      if (home) await fs.rm(home, { recursive: true, force: true })
    })

    it('reopens the committed records from each voter store under <home>/controllers/<id>', async () => {
      home = await fs.mkdtemp(path.join(os.tmpdir(), 'sluice-quorum-'))
      const open = (): QuorumMetadataLog =>
        new QuorumMetadataLog({
          voterIds: VOTERS,
          storeOf: levelRaftStores(home!),
          transport: new InProcessTransport(realScheduler),
          scheduler: realScheduler,
          rng: seededRng(7),
          raft: { electionTimeoutMs: 50, fetchTimeoutMs: 150, electionBackoffMaxMs: 50, requestTimeoutMs: 150, fetchIntervalMs: 5 },
          appendTimeoutMs: 10_000,
        })
      const q = open()
      await q.open()
      const clusterId = await q.clusterId()
      expect(await q.append([fenced(1), fenced(2)], 1)).toBe(0)
      expect(await q.append([fenced(3)], 2)).toBe(2)
      await q.close()
      expect((await fs.readdir(path.join(home, 'controllers'))).sort()).toEqual(['1', '2', '3'])

      const again = open()
      expect((await again.open()).map((s) => s.record)).toEqual([fenced(1), fenced(2), fenced(3)])
      expect(await again.clusterId()).toBe(clusterId)
      await again.close()
    })
  })
})
