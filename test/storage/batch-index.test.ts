import { describe, expect, it } from 'vitest'
import { BatchIndex } from '../../src/storage/batch-index.js'

function filled(count: number, ts: (i: number) => number = (i) => i): BatchIndex {
  const index = new BatchIndex()
  for (let i = 0; i < count; i++) index.push(i * 10, i * 10 + 4, 100 + i, ts(i))
  return index
}

describe('storage/batch-index', () => {
  it('finds the batch containing an offset, across gaps', () => {
    const index = filled(5) // batches [0-4], [10-14], ...: gaps between them
    expect(index.positionFor(0)).toBe(0)
    expect(index.positionFor(4)).toBe(0)
    expect(index.positionFor(5)).toBe(1) // in a gap: the next batch
    expect(index.positionFor(44)).toBe(4)
    expect(index.positionFor(45)).toBe(5)
    expect(index.positionOfBase(20)).toBe(2)
    expect(index.positionOfBase(21)).toBe(-1)
  })

  it('reclaims the deleted head when it grows, keeping entries and sizes', () => {
    const index = filled(1000)
    index.removeHead(900)
    for (let i = 1000; i < 3000; i++) index.push(i * 10, i * 10 + 4, 100 + i, i)
    expect(index.length).toBe(2100)
    expect(index.entry(0)).toEqual({ baseOffset: 9000, lastOffset: 9004, sizeBytes: 1000, maxTimestamp: 900 })
    expect(index.entry(2099)).toEqual({ baseOffset: 29990, lastOffset: 29994, sizeBytes: 3099, maxTimestamp: 2999 })
    let total = 0
    for (let i = 900; i < 3000; i++) total += 100 + i
    expect(index.totalBytes).toBe(total)
    expect(index.positionFor(15_001)).toBe(600)
    index.truncate(10)
    expect([index.length, index.lastOffset(9)]).toEqual([10, 9094])
  })

  it('timestamp lookup: first batch reaching ts, even when timestamps go back', () => {
    const ts = [50, 10, 30, 20, 80, 60]
    const index = filled(ts.length, (i) => ts[i]!)
    expect(index.positionForTimestamp(5)).toBe(0)
    expect(index.positionForTimestamp(40)).toBe(0)
    expect(index.positionForTimestamp(51)).toBe(4)
    expect(index.positionForTimestamp(81)).toBe(6)
    index.removeHead(1) // the max so far (50) is gone: lookups must not trust it blindly
    expect(index.positionForTimestamp(25)).toBe(1) // 30, at logical position 1
    expect(index.positionForTimestamp(15)).toBe(1)
    expect(index.positionForTimestamp(70)).toBe(3)
  })

  it('refuses entries out of order (a programmer error)', () => {
    const index = filled(2)
    expect(() => index.push(14, 20, 1, 0)).toThrow(/increase/)
  })
})
