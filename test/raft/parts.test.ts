/**
 * The Raft node's pure parts, each on its own: the in-memory log's epoch lookups (raft-log.ts),
 * the vote decision (quorum-state.ts), the leader's high watermark (leader-state.ts), and the
 * memory store's durability under a write delay (log-store.ts).
 */
import { describe, expect, it } from 'vitest'
import { LeaderState } from '../../src/cluster/raft/leader-state.js'
import { MemoryRaftLogStore } from '../../src/cluster/raft/log-store.js'
import { decideVote, restoredState, type QuorumState } from '../../src/cluster/raft/quorum-state.js'
import { RaftLog } from '../../src/cluster/raft/raft-log.js'
import { VirtualScheduler, drainMicrotasks } from '../sim/scheduler.js'

const v = new Uint8Array([1])
const entries = (epochs: number[], from = 0) => epochs.map((epoch, i) => ({ offset: from + i, epoch, value: v }))

describe('raft/raft-log', () => {
  it('finds where an epoch ends: the greatest epoch not above the asked one', () => {
    const log = new RaftLog(null, entries([1, 1, 3, 3, 5]))
    expect(log.endOffsetForEpoch(1)).toEqual({ epoch: 1, offset: 2 })
    expect(log.endOffsetForEpoch(2)).toEqual({ epoch: 1, offset: 2 })
    expect(log.endOffsetForEpoch(4)).toEqual({ epoch: 3, offset: 4 })
    expect(log.endOffsetForEpoch(9)).toEqual({ epoch: 5, offset: 5 })
    expect(log.endOffsetForEpoch(0)).toEqual({ epoch: 0, offset: 0 })
  })

  it('past a snapshot, an epoch before it is answered by the snapshot or not at all', () => {
    const log = new RaftLog({ offset: 3, epoch: 2, data: v }, entries([4, 4], 3))
    expect(log.lastOffsetAndEpoch()).toEqual({ offset: 5, epoch: 4 })
    expect(log.endOffsetForEpoch(3)).toEqual({ epoch: 2, offset: 3 })
    expect(log.endOffsetForEpoch(1)).toBeNull()
    expect(log.epochAt(2)).toBe(2)
    log.truncateFrom(3)
    expect(log.lastOffsetAndEpoch()).toEqual({ offset: 3, epoch: 2 })
    expect(() => log.truncateFrom(2)).toThrow(/below log start/)
  })
})

describe('raft/quorum-state', () => {
  const s = (over: Partial<QuorumState>): QuorumState => ({ role: 'unattached', epoch: 3, votedFor: null, leaderId: null, ...over })
  const last = { epoch: 2, offset: 10 }

  it('grants one vote per epoch, to a candidate at least as up to date', () => {
    const req = { from: 2, epoch: 3, preVote: false, last }
    expect(decideVote(s({}), req, last, false)).toMatchObject({ granted: true, next: { votedFor: 2 } })
    expect(decideVote(s({ votedFor: 2 }), req, last, false).granted).toBe(true)
    expect(decideVote(s({ votedFor: 4 }), req, last, false).granted).toBe(false)
    expect(decideVote(s({}), req, { epoch: 2, offset: 11 }, false).granted).toBe(false)
    expect(decideVote(s({}), { ...req, epoch: 2 }, last, false).granted).toBe(false)
    expect(decideVote(s({ role: 'follower', leaderId: 5 }), req, last, false).granted).toBe(false)
  })

  it('a vote in a higher epoch moves the voter there first, even when refused', () => {
    const d = decideVote(s({ role: 'leader', leaderId: 1, votedFor: 1 }), { from: 2, epoch: 4, preVote: false, last: { epoch: 1, offset: 99 } }, last, true)
    expect(d).toEqual({ granted: false, next: { role: 'unattached', epoch: 4, votedFor: null, leaderId: null } })
  })

  it('a pre-vote changes nothing and is refused while the leader lives (KIP-996)', () => {
    const req = { from: 2, epoch: 4, preVote: true, last }
    const follower = s({ role: 'follower', leaderId: 1 })
    expect(decideVote(follower, req, last, true)).toEqual({ granted: false, next: follower })
    expect(decideVote(follower, req, last, false)).toEqual({ granted: true, next: follower })
    expect(decideVote(follower, { ...req, epoch: 3 }, last, false).granted).toBe(false)
  })

  it('restarts a leader resigned in its epoch, a follower following', () => {
    expect(restoredState(1, { epoch: 5, votedFor: 1, leaderId: 1 }).role).toBe('resigned')
    expect(restoredState(2, { epoch: 5, votedFor: 1, leaderId: 1 }).role).toBe('follower')
    expect(restoredState(2, null)).toEqual({ role: 'unattached', epoch: 0, votedFor: null, leaderId: null })
  })
})

describe('raft/leader-state', () => {
  it('commits an older epoch\'s entries only with one of its own (Raft figure 8)', () => {
    // Offsets 0-4 from older epochs; this epoch's LeaderChange at 5.
    const ls = new LeaderState(3, 1, [1, 2, 3], 5, 0, 0)
    ls.updateEndOffset(1, 6)
    expect(ls.updateEndOffset(2, 5)).toBe(false) // a majority holds 0-4, but nothing of epoch 3
    expect(ls.highWatermark).toBe(0)
    expect(ls.updateEndOffset(2, 6)).toBe(true)
    expect(ls.highWatermark).toBe(6)
  })

  it('never moves the high watermark back, and counts no observer', () => {
    const ls = new LeaderState(1, 1, [1, 2, 3, 4, 5], 0, 0, 0)
    ls.updateEndOffset(1, 8)
    ls.updateEndOffset(2, 8)
    ls.updateEndOffset(9, 8)
    expect(ls.highWatermark).toBe(0)
    ls.updateEndOffset(3, 6)
    expect(ls.highWatermark).toBe(6)
    ls.updateEndOffset(3, 2) // a follower that truncated
    expect(ls.highWatermark).toBe(6)
    expect(ls.votersNotFetched()).toEqual([4, 5])
  })
})

describe('raft/leader-state check-quorum', () => {
  it('the leader still leads while a majority of voters, itself included, fetched within the window', () => {
    const ls = new LeaderState(1, 1, [1, 2, 3, 4, 5], 0, 0, 0)
    expect(ls.quorumReachedSince(0)).toBe(true) // the start is a grace fetch for everyone
    ls.fetched(2, 100)
    ls.fetched(9, 100) // an observer: not counted
    expect(ls.quorumReachedSince(50)).toBe(false)
    ls.fetched(3, 120)
    expect(ls.quorumReachedSince(50)).toBe(true)
  })
})

describe('raft/log-store memory', () => {
  it('with a write delay, lands writes in order and a crash loses those not landed', async () => {
    const sched = new VirtualScheduler()
    const store = new MemoryRaftLogStore({ scheduler: sched, writeDelayMs: () => 10 })
    const landed: string[] = []
    void store.saveQuorumState({ epoch: 1, votedFor: 1, leaderId: null }).then(() => landed.push('vote'))
    void store.append(entries([1, 1])).then(() => landed.push('append'))
    sched.popDue(10)!()
    await drainMicrotasks()
    expect(landed).toEqual(['vote'])
    store.crash()
    expect(sched.popDue(100)).toBeNull()
    await drainMicrotasks()
    expect(landed).toEqual(['vote'])
    const opened = await store.open()
    expect(opened).toEqual({ quorum: { epoch: 1, votedFor: 1, leaderId: null }, snapshot: null, entries: [] })
  })

  it('a snapshot drops the entries below it; truncation drops those at and after', async () => {
    const store = new MemoryRaftLogStore()
    await store.append(entries([1, 1, 2, 2]))
    await store.saveSnapshot({ offset: 2, epoch: 1, data: v })
    await store.truncateFrom(3)
    const { snapshot, entries: left } = await store.open()
    expect(snapshot?.offset).toBe(2)
    expect(left.map((e) => e.offset)).toEqual([2])
    await expect(store.append(entries([2], 5))).rejects.toThrow(/log end is 3/)
  })
})
