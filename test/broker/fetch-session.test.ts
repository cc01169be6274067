/**
 * The fetch session cache (KIP-227) on its own, with time passed in: sessions created by full
 * fetches, incremental fetches that name only what changed and answer only what changed, the
 * session errors, closing, and Kafka's eviction rules (a full cache, idle sessions, larger ones).
 */
import { describe, expect, it } from 'vitest'
import { EVICTION_MS, FetchSessionCache, NO_SESSION_ID, type FetchContextRequest, type PartitionAnswer, type SessionPartition } from '../../src/broker/fetch-session.js'
import { seededRng } from '../../src/cluster/rng.js'
import { ErrorCode } from '../../src/protocol/errors.js'
import { ZERO_UUID } from '../../src/protocol/primitives.js'

function part(name: string, partition: number, fetchOffset = 0, topicId = ZERO_UUID): SessionPartition {
  return {
    topicId,
    name,
    partition,
    request: { partition, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1000, replicaDirectoryId: ZERO_UUID },
  }
}

function answer(highWatermark: number, extra: Partial<PartitionAnswer> = {}): PartitionAnswer {
  return { errorCode: ErrorCode.NONE, highWatermark, lastStableOffset: highWatermark, logStartOffset: 0, hasRecords: false, ...extra }
}

function cache(slots = 10): FetchSessionCache {
  return new FetchSessionCache({ rng: seededRng(1), slots: () => slots })
}

function req(over: Partial<FetchContextRequest>): FetchContextRequest {
  return { version: 12, sessionId: 0, sessionEpoch: 0, privileged: false, partitions: [], forgotten: [], topicName: () => null, nowMs: 0, ...over }
}

/** A full fetch of `partitions` answered with `hwm` each: the new session's id (0 when none). */
function open(c: FetchSessionCache, partitions: SessionPartition[], nowMs = 0, over: Partial<FetchContextRequest> = {}): number {
  const ctx = c.newContext(req({ partitions, nowMs, ...over }))
  expect(ctx.errorCode).toBe(ErrorCode.NONE)
  return ctx.finish(ctx.partitions.map((p) => ({ part: p, answer: answer(5) })), nowMs).sessionId
}

describe('broker/fetch-session', () => {
  it('an incremental fetch fetches the whole session and answers only the partitions that changed', () => {
    const c = cache()
    const id = open(c, [part('t', 0), part('t', 1), part('t', 2)])
    expect(id).not.toBe(NO_SESSION_ID)

    // Epoch 1 names nothing new: all three are fetched, only the one with records is answered.
    const inc = c.newContext(req({ sessionId: id, sessionEpoch: 1 }))
    expect(inc.partitions.map((p) => p.partition)).toEqual([0, 1, 2])
    const out = inc.finish(inc.partitions.map((p) => ({ part: p, answer: answer(5, { hasRecords: p.partition === 1 }) })), 1)
    expect(out).toMatchObject({ errorCode: ErrorCode.NONE, sessionId: id })
    expect(out.answered.map((a) => a.part.partition)).toEqual([1])

    // A partition that returned records goes to the back; a moved high watermark, log start or
    // last stable offset, or an error, is answered.
    const next = c.newContext(req({ sessionId: id, sessionEpoch: 2, partitions: [part('t', 0, 7)] }))
    expect(next.partitions.map((p) => [p.partition, p.request.fetchOffset])).toEqual([[0, 7], [2, 0], [1, 0]])
    const epoch2 = new Map([
      [0, answer(6)],
      [2, answer(5, { logStartOffset: 1 })],
      [1, answer(5, { lastStableOffset: 4 })],
    ])
    const moved = next.finish(next.partitions.map((p) => ({ part: p, answer: epoch2.get(p.partition)! })), 2)
    expect(moved.answered.map((a) => a.part.partition)).toEqual([0, 2, 1])
    // The same answers again: nothing to tell, but for an error.
    const same = c.newContext(req({ sessionId: id, sessionEpoch: 3 }))
    expect(same.finish(same.partitions.map((p) => ({ part: p, answer: epoch2.get(p.partition)! })), 3).answered).toEqual([])
    const errored = c.newContext(req({ sessionId: id, sessionEpoch: 4 }))
    const error = answer(-1, { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER })
    const e = errored.finish(errored.partitions.map((p) => ({ part: p, answer: p.partition === 2 ? error : epoch2.get(p.partition)! })), 4)
    expect(e.answered.map((a) => a.part.partition)).toEqual([2])
  })

  it('forgotten partitions leave the session; forgetting the last one ends it', () => {
    const c = cache()
    const id = open(c, [part('t', 0), part('u', 0)])
    const inc = c.newContext(req({ sessionId: id, sessionEpoch: 1, forgotten: [{ topicId: ZERO_UUID, name: 'u', partition: 0 }] }))
    expect(inc.partitions.map((p) => p.name)).toEqual(['t'])
    inc.finish([], 1)
    const last = c.newContext(req({ sessionId: id, sessionEpoch: 2, forgotten: [{ topicId: ZERO_UUID, name: 't', partition: 0 }] }))
    expect(last.finish([], 2).sessionId).toBe(NO_SESSION_ID)
    expect(c.size).toBe(0)
  })

  it('answers the session errors as Kafka does', () => {
    const c = cache()
    const id = open(c, [part('t', 0)])
    expect(c.newContext(req({ sessionId: id + 1, sessionEpoch: 1 })).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND)
    expect(c.newContext(req({ sessionId: id, sessionEpoch: 2 })).errorCode).toBe(ErrorCode.INVALID_FETCH_SESSION_EPOCH)
    expect(c.newContext(req({ sessionId: id, sessionEpoch: 1, version: 13 })).errorCode).toBe(ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR)
    // A second request of the same epoch while the first waits: the first to finish wins.
    const a = c.newContext(req({ sessionId: id, sessionEpoch: 1 }))
    const b = c.newContext(req({ sessionId: id, sessionEpoch: 2 }))
    expect(b.finish([], 1).errorCode).toBe(ErrorCode.NONE)
    expect(a.finish([], 1).errorCode).toBe(ErrorCode.INVALID_FETCH_SESSION_EPOCH)
  })

  it('epoch -1 closes the session and answers as a sessionless fetch; a full fetch replaces the session it names', () => {
    const c = cache()
    const id = open(c, [part('t', 0)])
    const close = c.newContext(req({ sessionId: id, sessionEpoch: -1, partitions: [part('t', 0)] }))
    expect(close.finish([], 1).sessionId).toBe(NO_SESSION_ID)
    expect(c.size).toBe(0)
    const first = open(c, [part('t', 0)])
    const second = open(c, [part('t', 0)], 1, { sessionId: first })
    expect(second).not.toBe(first)
    expect(c.size).toBe(1)
  })

  it('v13+ sessions key partitions by topic id and name them afresh on each fetch', () => {
    const c = cache()
    const id = open(c, [part('t', 0, 0, 'a'.repeat(32))], 0, { version: 13 })
    const renamed = c.newContext(req({ version: 17, sessionId: id, sessionEpoch: 1, topicName: () => null }))
    expect(renamed.partitions.map((p) => [p.topicId, p.name])).toEqual([['a'.repeat(32), null]])
  })

  it('a full cache gives no session, unless one is idle past the eviction time or smaller and old enough', () => {
    const c = cache(2)
    const small = open(c, [part('t', 0)], 0)
    const big = open(c, [part('t', 0), part('t', 1), part('t', 2)], 0)
    // Full, nothing idle nor old: no session.
    expect(open(c, [part('t', 0), part('t', 1), part('t', 2), part('t', 3)], 1000)).toBe(NO_SESSION_ID)
    // Keep `big` in use; `small` idles past the eviction time and makes room.
    const used = c.newContext(req({ sessionId: big, sessionEpoch: 1, nowMs: EVICTION_MS }))
    used.finish([], EVICTION_MS)
    const third = open(c, [part('t', 0)], EVICTION_MS + 1)
    expect(third).not.toBe(NO_SESSION_ID)
    expect(c.newContext(req({ sessionId: small, sessionEpoch: 1 })).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND)
    // Both in use, `big` created over the eviction time before its last use: a larger new session
    // evicts the smallest such one, a smaller one does not.
    const reuse = (id: number, epoch: number, nowMs: number) => c.newContext(req({ sessionId: id, sessionEpoch: epoch, nowMs })).finish([], nowMs)
    reuse(big, 2, 2 * EVICTION_MS)
    reuse(third, 1, 2 * EVICTION_MS)
    expect(open(c, [part('t', 0)], 2 * EVICTION_MS + 1)).toBe(NO_SESSION_ID)
    const bigger = open(c, [part('t', 0), part('t', 1), part('t', 2), part('t', 3)], 2 * EVICTION_MS + 1)
    expect(bigger).not.toBe(NO_SESSION_ID)
    expect(c.newContext(req({ sessionId: big, sessionEpoch: 3 })).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND)
  })

  it('with no slots no session is ever created: every fetch stays full', () => {
    expect(open(cache(0), [part('t', 0)])).toBe(NO_SESSION_ID)
  })
})
