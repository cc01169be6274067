import { describe, expect, it } from 'vitest'
import { Group, type JoinRequest, type JoinResponse, type SyncResponse } from '../../src/cluster/classic-group.js'
import { ErrorCode } from '../../src/protocol/errors.js'

function group(initialRebalanceDelayMs = 0): Group {
  let n = 0
  return new Group('g', { initialRebalanceDelayMs, newMemberId: (clientId) => `${clientId}-${++n}` })
}

const proto = (name = 'range', meta = 'm') => [{ name, metadata: Buffer.from(meta) }]

function req(memberId: string, over: Partial<JoinRequest> = {}): JoinRequest {
  return {
    memberId,
    groupInstanceId: null,
    clientId: 'c',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    protocolType: 'consumer',
    protocols: proto(),
    requireKnownMemberId: true,
    ...over,
  }
}

function join(g: Group, r: JoinRequest, now = 0): { result: JoinResponse | null } {
  const out: { result: JoinResponse | null } = { result: null }
  g.join(r, now, (res) => (out.result = res))
  return out
}

function sync(g: Group, memberId: string, generationId: number, assignments: [string, string][] = [], now = 0): { result: SyncResponse | null } {
  const out: { result: SyncResponse | null } = { result: null }
  g.sync(
    { memberId, generationId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: assignments.map(([m, a]) => ({ memberId: m, assignment: Buffer.from(a) })) },
    now,
    (res) => (out.result = res),
  )
  return out
}

/** Joins a new member with the two-step join; returns its member id and pending join. */
function newMember(g: Group, now = 0, clientId = 'c') {
  const first = join(g, req('', { clientId }), now)
  expect(first.result!.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED)
  const memberId = first.result!.memberId
  return { memberId, second: join(g, req(memberId, { clientId }), now) }
}

describe('cluster/group', () => {
  it('a first member joins in two steps, leads generation 1 and syncs its own assignment', () => {
    const g = group()
    const { memberId, second } = newMember(g)
    expect(second.result).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, leader: memberId, protocolName: 'range' })
    expect(second.result!.members.map((m) => m.memberId)).toEqual([memberId])
    expect(g.state).toBe('CompletingRebalance')
    const s = sync(g, memberId, 1, [[memberId, 'all']])
    expect(s.result!.assignment.toString()).toBe('all')
    expect(g.state).toBe('Stable')
  })

  it('a second member triggers a rebalance that waits for the first to rejoin', () => {
    const g = group()
    const a = newMember(g)
    sync(g, a.memberId, 1, [[a.memberId, 'all']])
    const b = newMember(g, 100, 'd')
    expect(b.second.result).toBeNull()
    expect(g.state).toBe('PreparingRebalance')
    // a learns of the rebalance through its heartbeat, then rejoins.
    expect(g.heartbeat({ memberId: a.memberId, generationId: 1, groupInstanceId: null }, 200)).toBe(ErrorCode.REBALANCE_IN_PROGRESS)
    const aJoin = join(g, req(a.memberId), 300)
    expect(aJoin.result!.generationId).toBe(2)
    expect(b.second.result!.generationId).toBe(2)
    expect(aJoin.result!.members).toHaveLength(2)
    expect(b.second.result!.members).toHaveLength(0)
    const followerSync = sync(g, b.memberId, 2, [], 310)
    expect(followerSync.result).toBeNull()
    sync(g, a.memberId, 2, [[a.memberId, 'p0'], [b.memberId, 'p1']], 320)
    expect(followerSync.result!.assignment.toString()).toBe('p1')
    expect(g.heartbeat({ memberId: a.memberId, generationId: 1, groupInstanceId: null }, 330)).toBe(ErrorCode.ILLEGAL_GENERATION)
    expect(g.heartbeat({ memberId: 'stranger', generationId: 2, groupInstanceId: null }, 330)).toBe(ErrorCode.UNKNOWN_MEMBER_ID)
  })

  it('a member whose session expires is removed and the rest rebalance', () => {
    const g = group()
    const a = newMember(g)
    sync(g, a.memberId, 1, [[a.memberId, 'all']])
    const b = newMember(g, 0, 'd')
    join(g, req(a.memberId), 0)
    sync(g, b.memberId, 2)
    sync(g, a.memberId, 2, [[a.memberId, 'x'], [b.memberId, 'y']])
    expect(g.state).toBe('Stable')
    g.heartbeat({ memberId: a.memberId, generationId: 2, groupInstanceId: null }, 9_000)
    g.tick(10_500) // b last heard of at 0, session 10 s
    expect(g.members.has(b.memberId)).toBe(false)
    expect(g.state).toBe('PreparingRebalance')
    const again = join(g, req(a.memberId), 10_600)
    expect(again.result!.generationId).toBe(3)
  })

  it('members that do not rejoin within the rebalance timeout are dropped', () => {
    const g = group()
    const a = newMember(g)
    sync(g, a.memberId, 1, [[a.memberId, 'all']])
    const b = newMember(g, 1000, 'd')
    // a stays alive (heartbeats) but never rejoins.
    for (let t = 5_000; t <= 30_000; t += 5_000) {
      expect(g.heartbeat({ memberId: a.memberId, generationId: 1, groupInstanceId: null }, t)).toBe(ErrorCode.REBALANCE_IN_PROGRESS)
      g.tick(t)
    }
    expect(b.second.result).toBeNull()
    g.tick(31_001)
    expect(b.second.result!.generationId).toBe(2)
    expect(g.members.has(a.memberId)).toBe(false)
  })

  it('a pending member (told MEMBER_ID_REQUIRED) whose second join comes after the join completed still joins, as in Kafka', () => {
    const g = group()
    const a = newMember(g)
    sync(g, a.memberId, 1, [[a.memberId, 'all']])
    // b learns its id, then is slow to come back (a long session keeps its id pending).
    const first = join(g, req('', { clientId: 'd', sessionTimeoutMs: 120_000 }), 1000)
    expect(first.result!.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED)
    const bId = first.result!.memberId
    // a rejoins (a rebalance); the pending b holds it until the rebalance timeout.
    const aJoin = join(g, req(a.memberId), 2000)
    expect(aJoin.result).toBeNull()
    g.tick(32_001)
    expect(aJoin.result!.generationId).toBe(2)
    sync(g, a.memberId, 2, [[a.memberId, 'all']], 32_100)
    // b's second join: known, not UNKNOWN_MEMBER_ID; it starts the next rebalance.
    const bJoin = join(g, req(bId, { clientId: 'd', sessionTimeoutMs: 120_000 }), 33_000)
    expect(bJoin.result?.errorCode ?? ErrorCode.NONE).toBe(ErrorCode.NONE)
    expect(g.state).toBe('PreparingRebalance')
    expect(g.members.has(bId)).toBe(true)
  })

  it('leaving empties the group; a rejoin starts a new generation', () => {
    const g = group()
    const a = newMember(g)
    sync(g, a.memberId, 1, [[a.memberId, 'all']])
    expect(g.leave([{ memberId: a.memberId, groupInstanceId: null }, { memberId: 'nobody', groupInstanceId: null }], 10)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID])
    expect(g.state).toBe('Empty')
    const b = newMember(g, 20)
    expect(b.second.result!.generationId).toBe(3)
  })

  it('static members rejoin with a new member id and no rebalance', () => {
    const g = group()
    const first = join(g, req('', { groupInstanceId: 'i1' }))
    expect(first.result!.errorCode).toBe(ErrorCode.NONE)
    const id1 = first.result!.memberId
    sync(g, id1, 1, [[id1, 'mine']])
    const rejoin = join(g, req('', { groupInstanceId: 'i1' }), 50)
    expect(rejoin.result).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1 })
    const id2 = rejoin.result!.memberId
    expect(id2).not.toBe(id1)
    expect(g.state).toBe('Stable')
    expect(sync(g, id2, 1).result!.assignment.toString()).toBe('mine')
    expect(g.heartbeat({ memberId: id1, generationId: 1, groupInstanceId: 'i1' }, 60)).toBe(ErrorCode.FENCED_INSTANCE_ID)
  })

  it('a static leader rejoining a stable group runs no assignor: told by the old leader id, or (v9, KIP-814) by skipAssignment', () => {
    const g = group()
    const id1 = join(g, req('', { groupInstanceId: 'i1' })).result!.memberId
    sync(g, id1, 1, [[id1, 'mine']])
    // Before v9: the previous leader id (not the member's own) and no members, as Kafka answers.
    const old = join(g, req('', { groupInstanceId: 'i1' }), 10).result!
    expect(old).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, leader: id1, members: [] })
    expect(old.skipAssignment ?? false).toBe(false)
    expect(old.memberId).not.toBe(id1)
    // v9: it leads, it is told to skip the assignment, and it sees the members.
    const v9 = join(g, req('', { groupInstanceId: 'i1', supportSkippingAssignment: true }), 20).result!
    expect(v9).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, leader: v9.memberId, skipAssignment: true })
    expect(v9.members.map((m) => m.memberId)).toEqual([v9.memberId])
    expect(g.state).toBe('Stable')
    expect(sync(g, v9.memberId, 1).result!.assignment.toString()).toBe('mine')
  })

  it('a replaced static member is fenced on every request, the instance id checked before the member id, and its replacement is left alone', () => {
    const g = group()
    const id1 = join(g, req('', { groupInstanceId: 'i1' })).result!.memberId
    sync(g, id1, 1, [[id1, 'mine']])
    const id2 = join(g, req('', { groupInstanceId: 'i1' }), 10).result!.memberId
    // The old incarnation's member id is gone from the group, yet it is told FENCED_INSTANCE_ID
    // (stop), not UNKNOWN_MEMBER_ID (rejoin, which would replace id2 in turn).
    expect(g.members.has(id1)).toBe(false)
    expect(g.heartbeat({ memberId: id1, generationId: 1, groupInstanceId: 'i1' }, 20)).toBe(ErrorCode.FENCED_INSTANCE_ID)
    expect(join(g, req(id1, { groupInstanceId: 'i1' }), 20).result!.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID)
    const fencedSync: { code?: number } = {}
    g.sync({ memberId: id1, generationId: 1, groupInstanceId: 'i1', protocolType: 'consumer', protocolName: 'range', assignments: [] }, 20, (r) => (fencedSync.code = r.errorCode))
    expect(fencedSync.code).toBe(ErrorCode.FENCED_INSTANCE_ID)
    expect(g.memberError(id1, 'i1')).toBe(ErrorCode.FENCED_INSTANCE_ID)
    expect(g.leave([{ memberId: id1, groupInstanceId: 'i1' }], 20)).toEqual([ErrorCode.FENCED_INSTANCE_ID])
    // None of that touched the current holder of the instance.
    expect(g.state).toBe('Stable')
    expect(g.heartbeat({ memberId: id2, generationId: 1, groupInstanceId: 'i1' }, 30)).toBe(ErrorCode.NONE)
    expect(sync(g, id2, 1).result!.assignment.toString()).toBe('mine')
    // An instance id nobody holds, or a member id without an instance id that is not in the group: unknown.
    expect(g.memberError(id2, 'i2')).toBe(ErrorCode.UNKNOWN_MEMBER_ID)
    expect(g.memberError(id1, null)).toBe(ErrorCode.UNKNOWN_MEMBER_ID)
    expect(g.memberError(id2, null)).toBe(ErrorCode.NONE)
  })

  it('a static member with a pending request is fenced when its instance id joins again', () => {
    const g = group()
    const a = newMember(g)
    sync(g, a.memberId, 1, [[a.memberId, 'all']])
    const staticJoin = join(g, req('', { groupInstanceId: 'i1' }), 5)
    join(g, req(a.memberId), 5)
    const id1 = staticJoin.result!.memberId
    expect(staticJoin.result).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 2 })
    // A follower's SyncGroup waits for the leader's assignment; its replacement arrives meanwhile.
    const oldSync: { code?: number } = {}
    g.sync({ memberId: id1, generationId: 2, groupInstanceId: 'i1', protocolType: 'consumer', protocolName: 'range', assignments: [] }, 6, (r) => (oldSync.code = r.errorCode))
    expect(oldSync.code).toBeUndefined()
    join(g, req('', { groupInstanceId: 'i1' }), 7)
    expect(oldSync.code).toBe(ErrorCode.FENCED_INSTANCE_ID)
  })

  it('LeaveGroup by instance id alone removes its current member (the admin removal of a static member)', () => {
    const g = group()
    const id1 = join(g, req('', { groupInstanceId: 'i1' })).result!.memberId
    sync(g, id1, 1, [[id1, 'mine']])
    expect(g.leave([{ memberId: '', groupInstanceId: 'i1' }, { memberId: '', groupInstanceId: 'i9' }, { memberId: '', groupInstanceId: null }], 10)).toEqual([
      ErrorCode.NONE,
      ErrorCode.UNKNOWN_MEMBER_ID,
      ErrorCode.UNKNOWN_MEMBER_ID,
    ])
    expect(g.state).toBe('Empty')
  })

  it('a pending member leaving lets the join phase that waited for it complete', () => {
    const g = group()
    const a = newMember(g)
    sync(g, a.memberId, 1, [[a.memberId, 'all']])
    const pending = join(g, req('', { clientId: 'd' }), 10).result!.memberId
    const rejoin = join(g, req(a.memberId), 10)
    expect(rejoin.result).toBeNull()
    expect(g.leave([{ memberId: pending, groupInstanceId: null }], 11)).toEqual([ErrorCode.NONE])
    expect(rejoin.result).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 2 })
  })

  it('refuses another protocol type or no common protocol, and picks the protocol all support', () => {
    const g = group()
    const a = newMember(g)
    expect(join(g, req('', { protocolType: 'connect' })).result!.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    expect(join(g, req('', { protocols: proto('roundrobin') })).result!.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    expect(a.second.result!.protocolName).toBe('range')
  })

  it('waits group.initial.rebalance.delay.ms for more members when the group was empty', () => {
    const g = group(3000)
    const a = newMember(g)
    expect(a.second.result).toBeNull()
    const b = newMember(g, 1000, 'd')
    g.tick(2000)
    expect(a.second.result).toBeNull()
    g.tick(3000)
    expect(a.second.result!.generationId).toBe(1)
    expect(b.second.result!.generationId).toBe(1)
  })

  it('snapshots and restores membership', () => {
    const g = group()
    const a = newMember(g)
    sync(g, a.memberId, 1, [[a.memberId, 'all']])
    const restored = Group.restore(g.snapshot(), { initialRebalanceDelayMs: 0, newMemberId: () => 'x' }, 5)
    expect(restored.state).toBe('Stable')
    expect(restored.generationId).toBe(1)
    expect(sync(restored, a.memberId, 1).result!.assignment.toString()).toBe('all')
  })
})
