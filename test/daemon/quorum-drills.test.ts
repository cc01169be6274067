/**
 * Breaking the controller quorum and watching it (src/daemon/quorum-transport.ts's cut links,
 * src/cluster/quorum-events.ts): three voters on memory stores and virtual time, the leader cut
 * from both others by the daemon's fault injector (`fault add cut`), then healed; and the quorum
 * events a voter down, up, and a lost majority tell. Virtual time only bounds the waits.
 */
import { describe, expect, it } from 'vitest'
import type { MetadataRecord } from '../../src/cluster/metadata.js'
import { QuorumEvents, type QuorumEventType } from '../../src/cluster/quorum-events.js'
import { MemoryRaftLogStore } from '../../src/cluster/raft/log-store.js'
import type { QuorumView } from '../../src/cluster/raft/quorum-view.js'
import { seededRng } from '../../src/cluster/rng.js'
import { FaultInjector } from '../../src/daemon/faults.js'
import { QuorumMetadataLog } from '../../src/daemon/quorum-metadata-log.js'
import { InProcessTransport } from '../../src/daemon/quorum-transport.js'
import { VirtualScheduler } from '../sim/scheduler.js'
import { runFor, runUntilSettled } from '../helpers/virtual-time.js'

const VOTERS = [1, 2, 3]
const TIMINGS = { electionTimeoutMs: 100, fetchTimeoutMs: 200, electionBackoffMaxMs: 100, requestTimeoutMs: 200, fetchIntervalMs: 10, fetchMaxWaitMs: 50 }
const fenced = (brokerId: number): MetadataRecord => ({ type: 'fenceBroker', brokerId, brokerEpoch: 1 })

interface Told {
  type: QuorumEventType
  fields: Record<string, unknown>
  message: string
}

describe('daemon/quorum-drills', () => {
  it('the leader cut from both followers: they elect a new leader at a higher epoch and commit; healed, the old leader follows it', async () => {
    const sched = new VirtualScheduler()
    const faults = new FaultInjector(() => VOTERS)
    const stores = new Map(VOTERS.map((id) => [id, new MemoryRaftLogStore()]))
    const q = new QuorumMetadataLog({
      voterIds: VOTERS,
      storeOf: (id) => stores.get(id)!,
      transport: new InProcessTransport(sched, () => 1, faults),
      scheduler: sched,
      rng: seededRng(7),
      raft: TIMINGS,
      appendTimeoutMs: 3000,
      newClusterId: () => 'test-cluster',
    })
    const told: Told[] = []
    const events = new QuorumEvents(VOTERS, (type, fields, message) => told.push({ type, fields, message }))
    q.onVoterState((id, prev, next) => events.voterState(id, prev, next))
    const run = <T>(p: Promise<T>): Promise<T> => runUntilSettled(sched, p)

    await run(q.open())
    await run(q.append([fenced(1)], 1))
    const before = q.describe()
    const old = before.leaderId!
    expect(told.map((t) => t.fields.leaderId)).toEqual([old])

    for (const other of VOTERS.filter((id) => id !== old)) faults.add({ kind: 'cut', link: [old, other] })
    // Committed meanwhile, by a leader the two followers elect.
    expect(await run(q.append([fenced(2)], 2))).toBe(1)
    const during = q.describe()
    expect(during.leaderId).not.toBe(old)
    expect(during.epoch).toBeGreaterThan(before.epoch)
    const elected = told.at(-1)!
    expect(elected).toMatchObject({ type: 'quorum.leader', fields: { leaderId: during.leaderId, epoch: during.epoch, previousLeaderId: old, voters: VOTERS } })
    expect(elected.message).toBe(`controller quorum: voter ${during.leaderId} leads epoch ${during.epoch} (was voter ${old})`)

    faults.clear()
    await runFor(sched, 1000)
    const after = q.describe()
    expect(after.leaderId).toBe(during.leaderId)
    // Every voter, the old leader too, fetched the leader's whole log in its epoch: lag 0.
    for (const v of after.voters) expect(v.logEndOffset, `voter ${v.id}`).toBe(after.highWatermark)
    expect((await q.readAll()).map((s) => s.record)).toEqual([fenced(1), fenced(2)])
    await run(q.close())
  })

  it('voters down and up, metadata frozen below a majority and recovered at one, each told once', () => {
    const told: Told[] = []
    const events = new QuorumEvents(VOTERS, (type, fields, message) => told.push({ type, fields, message }))
    const view = (running: number[]): QuorumView => ({
      leaderId: null,
      epoch: 3,
      highWatermark: -1,
      voters: VOTERS.map((id) => ({ id, running: running.includes(id), logEndOffset: -1, lastFetchMs: null, lastCaughtUpMs: null })),
    })
    const all = (): boolean => true
    events.check(view([1, 2, 3]), all)
    expect(told).toEqual([])
    events.check(view([1, 3]), all)
    // Voter 3 runs but its broker is paused: down as well.
    events.check(view([1, 3]), (id) => id !== 3)
    events.check(view([1, 3]), (id) => id !== 3)
    events.check(view([1, 2, 3]), all)
    expect(told.map((t) => t.message)).toEqual([
      'controller quorum: voter 2 down (2 of 3 running)',
      'controller quorum: voter 3 down (1 of 3 running)',
      'metadata frozen: 1 of 3 voters running (a leader needs 2)',
      'controller quorum: voter 2 up (3 of 3 running)',
      'controller quorum: voter 3 up (3 of 3 running)',
      'metadata recovered: 3 of 3 voters running, a leader can be elected',
    ])
    expect(told[2]).toMatchObject({ type: 'quorum.frozen', fields: { running: [1], voters: VOTERS, needed: 2 } })
  })

  it('a leader is told once per epoch, the first without a predecessor, a re-elected voter as again', () => {
    const told: Told[] = []
    const events = new QuorumEvents(VOTERS, (type, fields, message) => told.push({ type, fields, message }))
    const s = (role: 'candidate' | 'leader', epoch: number) => ({ role, epoch, votedFor: null, leaderId: null })
    events.voterState(1, s('candidate', 1), s('leader', 1))
    events.voterState(1, s('candidate', 1), s('leader', 1))
    events.voterState(2, s('candidate', 2), s('leader', 2))
    events.voterState(2, s('candidate', 4), s('leader', 4))
    // An older epoch's leader heard late tells nothing.
    events.voterState(3, s('candidate', 3), s('leader', 3))
    expect(told.map((t) => t.message)).toEqual([
      'controller quorum: voter 1 leads epoch 1',
      'controller quorum: voter 2 leads epoch 2 (was voter 1)',
      'controller quorum: voter 2 leads epoch 4 (again)',
    ])
  })
})
