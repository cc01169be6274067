import { describe, expect, it } from 'vitest'
import { assignorFor, rangeAssignor, roundRobinAssignor, type AssignorMember } from '../../../../src/client/consume/group-member/assignors.js'

const members = (...ids: string[]): AssignorMember[] => ids.map((memberId) => ({ memberId, topics: ['t'] }))
const counts = (entries: Record<string, number>): Map<string, number> => new Map(Object.entries(entries))
/** memberId -> "topic:p,p topic:p" for compact expectations. */
function flat(result: Map<string, { topic: string; partitions: number[] }[]>): Record<string, string> {
  return Object.fromEntries([...result.entries()].map(([m, tps]) => [m, tps.map((tp) => `${tp.topic}:${tp.partitions.join(',')}`).join(' ')]))
}

describe('client/consume/group-member/assignors', () => {
  describe('range', () => {
    it('splits evenly into contiguous ranges, members sorted by id', () => {
      expect(flat(rangeAssignor(members('c', 'a', 'b'), counts({ t: 6 })))).toEqual({ a: 't:0,1', b: 't:2,3', c: 't:4,5' })
    })
    it('uneven counts: the first members get one more', () => {
      expect(flat(rangeAssignor(members('a', 'b', 'c'), counts({ t: 7 })))).toEqual({ a: 't:0,1,2', b: 't:3,4', c: 't:5,6' })
      expect(flat(rangeAssignor(members('a', 'b', 'c', 'd'), counts({ t: 2 })))).toEqual({ a: 't:0', b: 't:1', c: '', d: '' })
    })
    it('several topics: each topic is ranged over its own subscribers (Kafka RangeAssignor)', () => {
      const ms: AssignorMember[] = [
        { memberId: 'a', topics: ['x', 'y'] },
        { memberId: 'b', topics: ['x'] },
        { memberId: 'c', topics: ['y'] },
      ]
      expect(flat(rangeAssignor(ms, counts({ x: 3, y: 3 })))).toEqual({ a: 'x:0,1 y:0,1', b: 'x:2', c: 'y:2' })
    })
    it('leaves out topics without a partition count (unknown to the cluster)', () => {
      expect(flat(rangeAssignor([{ memberId: 'a', topics: ['t', 'gone'] }], counts({ t: 2 })))).toEqual({ a: 't:0,1' })
    })
  })

  describe('roundrobin', () => {
    it('deals partitions in turn to the members sorted by id', () => {
      expect(flat(roundRobinAssignor(members('b', 'a', 'c'), counts({ t: 7 })))).toEqual({ a: 't:0,3,6', b: 't:1,4', c: 't:2,5' })
    })
    it('several topics: sorted by topic, the turn carries over, skipping members not subscribed', () => {
      const ms: AssignorMember[] = [
        { memberId: 'a', topics: ['x', 'y'] },
        { memberId: 'b', topics: ['x', 'y'] },
        { memberId: 'c', topics: ['y'] },
      ]
      // x:0 a, x:1 b, (c skipped) x:2 a; y:0 b, y:1 c, y:2 a
      expect(flat(roundRobinAssignor(ms, counts({ y: 3, x: 3 })))).toEqual({ a: 'x:0,2 y:2', b: 'x:1 y:0', c: 'y:1' })
    })
    it('more members than partitions: some get nothing', () => {
      expect(flat(roundRobinAssignor(members('a', 'b', 'c'), counts({ t: 1 })))).toEqual({ a: 't:0', b: '', c: '' })
    })
  })

  it('every partition is assigned exactly once, whatever the counts', () => {
    for (const assign of [rangeAssignor, roundRobinAssignor]) {
      for (let n = 0; n <= 9; n++) {
        for (let m = 1; m <= 5; m++) {
          const ms = members(...Array.from({ length: m }, (_, i) => `m${i}`))
          const all = [...assign(ms, counts({ t: n })).values()].flatMap((tps) => tps.flatMap((tp) => tp.partitions))
          expect(all.sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i))
        }
      }
    }
  })

  it('names: range, roundrobin, and kafkajs RoundRobinAssigner (dealt as roundrobin)', () => {
    expect(assignorFor('range')).toBe(rangeAssignor)
    expect(assignorFor('roundrobin')).toBe(roundRobinAssignor)
    expect(assignorFor('RoundRobinAssigner')).toBe(roundRobinAssignor)
    expect(assignorFor('sticky')).toBeUndefined()
  })
})
