/**
 * The group member state machine, without sockets: responses, failures and the clock in, steps out.
 */
import { describe, expect, it } from 'vitest'
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from '../../../../src/client/consume/group-member/consumer-protocol.js'
import { GroupMember, type Step } from '../../../../src/client/consume/group-member/member.js'
import { ErrorCode } from '../../../../src/protocol/errors.js'

const SESSION_MS = 3_000
const COORD = { errorCode: ErrorCode.NONE, nodeId: 2, host: '127.0.0.1', port: 9093 }
const OTHER = { errorCode: ErrorCode.NONE, nodeId: 3, host: '127.0.0.1', port: 9094 }

function member(extra: Partial<ConstructorParameters<typeof GroupMember>[0]> = {}): GroupMember {
  return new GroupMember({ groupId: 'g', topics: ['t'], sessionTimeoutMs: SESSION_MS, rebalanceTimeoutMs: 2 * SESSION_MS, ...extra })
}

function expectKind<K extends Step['kind']>(step: Step, kind: K): Extract<Step, { kind: K }> {
  expect(step.kind).toBe(kind)
  return step as Extract<Step, { kind: K }>
}

const joined = (memberId: string, leader: string, generationId = 1, members: { memberId: string; metadata: Buffer }[] = []) => ({
  errorCode: ErrorCode.NONE,
  generationId,
  protocolName: 'range',
  leader,
  memberId,
  members,
})

/** Drives a fresh member to Stable as the only member (the leader), owning t:0,1 at `nowMs`. */
function stableLeader(m: GroupMember, nowMs = 0): void {
  m.onFindCoordinator(expectKind(m.next(nowMs), 'findCoordinator'), COORD, nowMs)
  const join = expectKind(m.next(nowMs), 'join')
  m.onJoin(join, joined('m1', 'm1', 1, [{ memberId: 'm1', metadata: encodeSubscription(['t']) }]), nowMs)
  m.onMetadata(expectKind(m.next(nowMs), 'metadata'), new Map([['t', 2]]))
  const sync = expectKind(m.next(nowMs), 'sync')
  m.onSync(sync, { errorCode: ErrorCode.NONE, assignment: sync.request.assignments[0]!.assignment }, nowMs)
  expect(expectKind(m.next(nowMs), 'assigned').partitions).toEqual([{ topic: 't', partitions: [0, 1] }])
}

describe('client/consume/group-member/member', () => {
  it('joins: FindCoordinator, JoinGroup (MEMBER_ID_REQUIRED: again with the given id), leader assigns, SyncGroup, heartbeats every session/3', () => {
    const m = member()
    m.onFindCoordinator(expectKind(m.next(0), 'findCoordinator'), COORD, 5)
    const first = expectKind(m.next(5), 'join')
    expect(first.coordinator).toEqual({ nodeId: 2, host: '127.0.0.1', port: 9093 })
    expect(first.request.memberId).toBe('')
    expect(first.request.protocols.map((p) => p.name)).toEqual(['range', 'roundrobin', 'RoundRobinAssigner'])
    expect(decodeSubscription(first.request.protocols[0]!.metadata).topics).toEqual(['t'])
    m.onJoin(first, { ...joined('m1', ''), errorCode: ErrorCode.MEMBER_ID_REQUIRED, generationId: -1 }, 10)
    const second = expectKind(m.next(10), 'join')
    expect(second.request.memberId).toBe('m1')
    // Leader of two members: it reads the partition counts, then assigns with the chosen protocol (range).
    m.onJoin(second, joined('m1', 'm1', 4, [
      { memberId: 'm2', metadata: encodeSubscription(['t']) },
      { memberId: 'm1', metadata: encodeSubscription(['t']) },
    ]), 20)
    const md = expectKind(m.next(20), 'metadata')
    expect(md.topics).toEqual(['t'])
    m.onMetadata(md, new Map([['t', 5]]))
    const sync = expectKind(m.next(20), 'sync')
    expect(sync.request).toMatchObject({ groupId: 'g', generationId: 4, memberId: 'm1' })
    const byMember = Object.fromEntries(sync.request.assignments.map((a) => [a.memberId, decodeAssignment(a.assignment).partitions]))
    expect(byMember).toEqual({ m1: [{ topic: 't', partitions: [0, 1, 2] }], m2: [{ topic: 't', partitions: [3, 4] }] })
    m.onSync(sync, { errorCode: ErrorCode.NONE, assignment: sync.request.assignments.find((a) => a.memberId === 'm1')!.assignment }, 30)
    expect(expectKind(m.next(30), 'assigned')).toMatchObject({ generationId: 4, partitions: [{ topic: 't', partitions: [0, 1, 2] }] })
    expect(m.commitContext()).toEqual({ coordinator: { nodeId: 2, host: '127.0.0.1', port: 9093 }, generationId: 4, memberId: 'm1' })
    expect(m.next(30)).toEqual({ kind: 'wait', untilMs: 30 + SESSION_MS / 3 })
    const hb = expectKind(m.next(1_030), 'heartbeat')
    expect(hb.request).toEqual({ groupId: 'g', generationId: 4, memberId: 'm1' })
    m.onHeartbeat(hb, 0, 1_040)
    expect(m.next(1_040)).toEqual({ kind: 'wait', untilMs: 2_040 })
  })

  it('a stable leader reads the partition counts every metadataMaxAgeMs, between heartbeats; a topic that grew makes it rejoin', () => {
    const m = member({ metadataMaxAgeMs: 5_000 })
    stableLeader(m) // assigned with t: 2 partitions, at 0
    for (let t = 1_000; t <= 5_000; t += 1_000) m.onHeartbeat(expectKind(m.next(t), 'heartbeat'), ErrorCode.NONE, t)
    // At 5 s the heartbeat went first; the check comes right after it.
    const same = expectKind(m.next(5_000), 'metadata')
    expect(same).toMatchObject({ purpose: 'check', topics: ['t'] })
    m.onMetadata(same, new Map([['t', 2]]), 5_000)
    expect(m.next(5_000)).toEqual({ kind: 'wait', untilMs: 6_000 })
    // A failed check changes nothing: the next one is a max age later.
    m.onHeartbeat(expectKind(m.next(9_999), 'heartbeat'), ErrorCode.NONE, 9_999)
    const failing = expectKind(m.next(10_000), 'metadata')
    m.onRequestFailed(failing, new Error('no answer'), 10_000)
    expect(m.next(10_000)).toEqual({ kind: 'wait', untilMs: 10_999 })
    m.onHeartbeat(expectKind(m.next(14_999), 'heartbeat'), ErrorCode.NONE, 14_999)
    const grew = expectKind(m.next(15_000), 'metadata')
    m.onMetadata(grew, new Map([['t', 4]]), 15_000)
    expect(m.notes.at(-1)).toMatch(/t has 4 partitions \(assigned with 2\): rebalancing group g/)
    // Revoke first (commit as the current generation), then join with the same id.
    expectKind(m.next(15_000), 'revoke')
    m.onRevoked()
    expect(expectKind(m.next(15_000), 'join').request.memberId).toBe('m1')
  })

  it('a follower never checks the metadata: the leader does', () => {
    const m = member({ metadataMaxAgeMs: 1_000 })
    m.onFindCoordinator(expectKind(m.next(0), 'findCoordinator'), COORD, 0)
    m.onJoin(expectKind(m.next(0), 'join'), joined('m2', 'm1'), 0)
    m.onSync(expectKind(m.next(0), 'sync'), { errorCode: ErrorCode.NONE, assignment: encodeAssignment([{ topic: 't', partitions: [1] }]) }, 0)
    expectKind(m.next(0), 'assigned')
    for (let t = 1_000; t <= 5_000; t += 1_000) m.onHeartbeat(expectKind(m.next(t), 'heartbeat'), ErrorCode.NONE, t)
    expect(m.next(5_000)).toEqual({ kind: 'wait', untilMs: 6_000 })
  })

  it('a follower sends an empty SyncGroup and reads its assignment (an empty one is no partitions)', () => {
    const m = member()
    m.onFindCoordinator(expectKind(m.next(0), 'findCoordinator'), COORD, 0)
    m.onJoin(expectKind(m.next(0), 'join'), joined('m2', 'm1'), 0)
    const sync = expectKind(m.next(0), 'sync')
    expect(sync.request.assignments).toEqual([])
    m.onSync(sync, { errorCode: ErrorCode.NONE, assignment: Buffer.alloc(0) }, 0)
    expect(expectKind(m.next(0), 'assigned').partitions).toEqual([])
  })

  it('REBALANCE_IN_PROGRESS from a heartbeat: revoke (commit with the generation still current), then rejoin with the same id', () => {
    const m = member()
    stableLeader(m)
    m.onHeartbeat(expectKind(m.next(1_000), 'heartbeat'), ErrorCode.REBALANCE_IN_PROGRESS, 1_000)
    expect(expectKind(m.next(1_000), 'revoke').partitions).toEqual([{ topic: 't', partitions: [0, 1] }])
    // While the host revokes, nothing else happens; it may still commit as generation 1.
    expect(m.next(1_000)).toEqual({ kind: 'wait', untilMs: Number.POSITIVE_INFINITY })
    expect(m.commitContext()).toMatchObject({ generationId: 1, memberId: 'm1' })
    m.onRevoked()
    expect(expectKind(m.next(1_001), 'join').request.memberId).toBe('m1')
  })

  it.each([ErrorCode.ILLEGAL_GENERATION, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_INSTANCE_ID])('heartbeat error %i: the member id is dropped, revoke, join from scratch', (code) => {
    const m = member()
    stableLeader(m)
    m.onHeartbeat(expectKind(m.next(1_000), 'heartbeat'), code, 1_000)
    expectKind(m.next(1_000), 'revoke')
    expect(m.commitContext()).toBeNull() // nothing to commit as: that membership is gone
    m.onRevoked()
    expect(expectKind(m.next(1_000), 'join').request.memberId).toBe('')
  })

  it('coordinator lost while stable (NOT_COORDINATOR): found again within the session, it keeps its partitions and heartbeats at once', () => {
    const m = member()
    stableLeader(m)
    m.onHeartbeat(expectKind(m.next(1_000), 'heartbeat'), ErrorCode.NOT_COORDINATOR, 1_000)
    expect(m.notes).toEqual(['lost the coordinator of group g (Heartbeat: NOT_COORDINATOR); finding it again'])
    expect(m.commitContext()).toBeNull()
    expect(m.next(1_000)).toEqual({ kind: 'wait', untilMs: 1_100 }) // backoff
    m.onFindCoordinator(expectKind(m.next(1_100), 'findCoordinator'), OTHER, 1_200)
    const hb = expectKind(m.next(1_200), 'heartbeat')
    expect(hb.coordinator.nodeId).toBe(3)
    expect(hb.request).toEqual({ groupId: 'g', generationId: 1, memberId: 'm1' })
    m.onHeartbeat(hb, 0, 1_210)
    expect(m.next(1_210).kind).toBe('wait')
  })

  it('coordinator lost (connection closed) for longer than the session: revoke, then rejoin with the same id at the new coordinator', () => {
    const m = member()
    stableLeader(m)
    m.onRequestFailed(expectKind(m.next(1_000), 'heartbeat'), new Error('Connection closed'), 1_000)
    // FindCoordinator keeps failing (the old coordinator is not fenced yet): the backoff grows to 1 s.
    let t = 1_000
    const waits: number[] = []
    for (let i = 0; i < 6; i++) {
      const w = expectKind(m.next(t), 'wait')
      waits.push(w.untilMs - t)
      t = w.untilMs
      m.onFindCoordinator(expectKind(m.next(t), 'findCoordinator'), { ...COORD, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1 }, t)
    }
    expect(waits).toEqual([100, 200, 400, 800, 1_000, 1_000])
    t += 1_000
    m.onFindCoordinator(expectKind(m.next(t), 'findCoordinator'), OTHER, t)
    expect(t - 1_000).toBeGreaterThan(SESSION_MS)
    expectKind(m.next(t), 'revoke')
    m.onRevoked()
    const join = expectKind(m.next(t), 'join')
    expect(join.coordinator.nodeId).toBe(3)
    expect(join.request.memberId).toBe('m1')
    // The new coordinator forgot us: UNKNOWN_MEMBER_ID, then a fresh join.
    m.onJoin(join, { ...joined('m1', ''), errorCode: ErrorCode.UNKNOWN_MEMBER_ID }, t)
    expect(expectKind(m.next(t), 'join').request.memberId).toBe('')
  })

  it('a JoinGroup that fails with a closed connection looks the coordinator up again, then joins there', () => {
    const m = member()
    m.onFindCoordinator(expectKind(m.next(0), 'findCoordinator'), COORD, 0)
    m.onRequestFailed(expectKind(m.next(0), 'join'), new Error('Connection closed'), 10)
    m.onFindCoordinator(expectKind(m.next(110), 'findCoordinator'), OTHER, 110)
    expect(expectKind(m.next(110), 'join').coordinator.nodeId).toBe(3)
  })

  it.each([ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_NOT_AVAILABLE])('JoinGroup %i: find the coordinator again', (code) => {
    const m = member()
    m.onFindCoordinator(expectKind(m.next(0), 'findCoordinator'), COORD, 0)
    m.onJoin(expectKind(m.next(0), 'join'), { ...joined('', ''), errorCode: code }, 0)
    expect(m.next(0).kind).toBe('wait')
    expectKind(m.next(100), 'findCoordinator')
  })

  it('gives up after the retry window without a working coordinator, with the last error', () => {
    const m = member({ retryWindowMs: 5_000 })
    let t = 0
    for (;;) {
      const step = m.next(t)
      if (step.kind === 'failed') {
        expect(step.failure.message).toMatch(/no working coordinator for group "g" for [56] s: connect ECONNREFUSED/)
        break
      }
      if (step.kind === 'wait') t = step.untilMs
      else m.onRequestFailed(expectKind(step, 'findCoordinator'), new Error('connect ECONNREFUSED'), t)
      expect(t).toBeLessThan(10_000)
    }
  })

  it('INVALID_SESSION_TIMEOUT and INCONSISTENT_GROUP_PROTOCOL fail at once with the code', () => {
    for (const code of [ErrorCode.INVALID_SESSION_TIMEOUT, ErrorCode.INCONSISTENT_GROUP_PROTOCOL]) {
      const m = member()
      m.onFindCoordinator(expectKind(m.next(0), 'findCoordinator'), COORD, 0)
      m.onJoin(expectKind(m.next(0), 'join'), { ...joined('', ''), errorCode: code }, 0)
      expect(expectKind(m.next(0), 'failed').failure.errorCode).toBe(code)
    }
  })

  it('commits: REBALANCE_IN_PROGRESS rejoins, NOT_COORDINATOR finds the coordinator again; answers about an older membership and stale responses are ignored', () => {
    const m = member()
    stableLeader(m)
    const ctx = m.commitContext()!
    const hb = expectKind(m.next(1_000), 'heartbeat')
    // A commit fails with NOT_COORDINATOR while the heartbeat is out: its late answer changes nothing.
    m.onCommitFailed(ctx, { errorCode: ErrorCode.NOT_COORDINATOR }, 1_000)
    m.onHeartbeat(hb, ErrorCode.ILLEGAL_GENERATION, 1_001)
    expect(m.memberId).toBe('m1')
    m.onFindCoordinator(expectKind(m.next(1_100), 'findCoordinator'), COORD, 1_100)
    const ctx2 = m.commitContext()!
    // An answer about the first coordinator object (before the loss) is ignored.
    m.onCommitFailed(ctx, { errorCode: ErrorCode.REBALANCE_IN_PROGRESS }, 1_100)
    expectKind(m.next(1_100), 'heartbeat')
    m.onCommitFailed(ctx2, { errorCode: ErrorCode.REBALANCE_IN_PROGRESS }, 1_100)
    expectKind(m.next(1_100), 'revoke')
  })

  it('stop: LeaveGroup context while it has a member id, then stopped', () => {
    const m = member()
    expect(member().stop()).toBeNull()
    stableLeader(m)
    expect(m.stop()).toEqual({ coordinator: { nodeId: 2, host: '127.0.0.1', port: 9093 }, memberId: 'm1' })
    expect(m.next(0)).toEqual({ kind: 'stopped' })
  })

  it('an assignment the leader sends is decoded; topics this member did not subscribe to are left out', () => {
    const m = member()
    m.onFindCoordinator(expectKind(m.next(0), 'findCoordinator'), COORD, 0)
    m.onJoin(expectKind(m.next(0), 'join'), joined('m2', 'm1'), 0)
    const assignment = encodeAssignment([{ topic: 'other', partitions: [0] }, { topic: 't', partitions: [2] }])
    m.onSync(expectKind(m.next(0), 'sync'), { errorCode: ErrorCode.NONE, assignment }, 0)
    expect(expectKind(m.next(0), 'assigned').partitions).toEqual([{ topic: 't', partitions: [2] }])
  })
})
