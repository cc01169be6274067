import { describe, expect, it } from 'vitest'
import { LeaderEpochCache } from '../../src/storage/epoch-cache.js'

describe('storage/epoch-cache', () => {
  it('assign ignores a repeated epoch at a later offset and drops entries that break monotonicity', () => {
    const cache = new LeaderEpochCache()
    expect(cache.assign(2, 10)).toBe(true)
    expect(cache.assign(2, 15)).toBe(false)
    expect(cache.assign(2, 5)).toBe(true) // same epoch, earlier start: replaces
    expect(cache.toJSON()).toEqual([[2, 5]])
    cache.assign(4, 20)
    cache.assign(6, 30)
    cache.assign(5, 25) // epoch 6 is in the way
    expect(cache.toJSON()).toEqual([[2, 5], [4, 20], [5, 25]])
    cache.assign(7, 22) // start 25 of epoch 5 is in the way
    expect(cache.toJSON()).toEqual([[2, 5], [4, 20], [7, 22]])
    expect(() => cache.assign(-1, 0)).toThrow()
  })

  it('truncateFromEnd removes epochs starting at or after the new end', () => {
    const cache = new LeaderEpochCache([[1, 0], [3, 10], [5, 20]])
    expect(cache.truncateFromEnd(25)).toBe(false)
    expect(cache.truncateFromEnd(10)).toBe(true)
    expect(cache.toJSON()).toEqual([[1, 0]])
  })

  it('truncateFromStart keeps the epoch covering the new start, moved to it', () => {
    const cache = new LeaderEpochCache([[1, 0], [3, 10], [5, 20]])
    expect(cache.truncateFromStart(0)).toBe(false)
    expect(cache.truncateFromStart(15)).toBe(true)
    expect(cache.toJSON()).toEqual([[3, 15], [5, 20]])
    expect(cache.truncateFromStart(20)).toBe(true)
    expect(cache.toJSON()).toEqual([[5, 20]])
    expect(cache.truncateFromStart(20)).toBe(false)
  })

  it('endOffsetFor follows OffsetForLeaderEpoch', () => {
    const cache = new LeaderEpochCache([[2, 5], [4, 20], [7, 22]])
    expect(cache.endOffsetFor(7, 30)).toEqual({ epoch: 7, endOffset: 30 })
    expect(cache.endOffsetFor(5, 30)).toEqual({ epoch: 4, endOffset: 22 })
    expect(cache.endOffsetFor(1, 30)).toEqual({ epoch: 1, endOffset: 5 })
    expect(cache.endOffsetFor(8, 30)).toEqual({ epoch: -1, endOffset: -1 })
    expect(new LeaderEpochCache().endOffsetFor(0, 30)).toEqual({ epoch: -1, endOffset: -1 })
  })
})
