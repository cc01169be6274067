import { describe, expect, it } from 'vitest'
import { compileFilter } from '../../src/client/replay/filter.js'
import { formatRate, truncate } from '../../src/tui/shared/format.js'
import { columnsFor, recordRow } from '../../src/tui/tail/layout.js'
import { detailJson } from '../../src/tui/tail/record.js'
import { Ring, TailStore } from '../../src/tui/tail/store.js'
import { rec } from './tail-fixtures.js'

describe('tui/tail/store Ring', () => {
  it('keeps the last `capacity` items, oldest first', () => {
    const ring = new Ring<number>(3)
    expect(ring.last(5)).toEqual([])
    for (let i = 0; i < 7; i++) ring.push(i)
    expect(ring.size).toBe(3)
    expect(ring.last(10)).toEqual([4, 5, 6])
    expect(ring.last(2)).toEqual([5, 6])
    ring.clear()
    expect(ring.last(3)).toEqual([])
  })
})

describe('tui/tail/store TailStore', () => {
  it('bounds what it keeps whatever the number of records, and counts every one per partition', () => {
    const store = new TailStore('orders', 100)
    for (let i = 0; i < 10_000; i++) store.add(rec(i % 3, Math.floor(i / 3), `{"n":${i}}`))
    expect(store.recent.size).toBe(100)
    expect(store.window(1000)).toHaveLength(100)
    expect(store.window(2).map((r) => r.value!.toString())).toEqual(['{"n":9998}', '{"n":9999}'])
    const s = store.snapshot(0)
    expect(s.records).toBe(10_000)
    expect(s.partitions.map((p) => [p.partition, p.records])).toEqual([
      [0, 3334],
      [1, 3333],
      [2, 3333],
    ])
  })

  it('measures records/s overall and per partition over the last two seconds of samples', () => {
    const store = new TailStore('orders')
    store.declarePartitions([0, 1])
    expect(store.snapshot(0).partitions.map((p) => p.ratePerSec)).toEqual([0, 0])
    for (let t = 1; t <= 30; t++) {
      // 100 records per 100 ms on partition 0, 10 on partition 1: 1000/s and 100/s.
      for (let i = 0; i < 100; i++) store.add(rec(0, t * 100 + i, '1'))
      for (let i = 0; i < 10; i++) store.add(rec(1, t * 10 + i, '1'))
      store.snapshot(t * 100)
    }
    const s = store.snapshot(3000)
    expect(s.ratePerSec).toBeCloseTo(1100, 0)
    expect(s.partitions[0]!.ratePerSec).toBeCloseTo(1000, 0)
    expect(s.partitions[1]!.ratePerSec).toBeCloseTo(100, 0)
    // Nothing more arrives: the rate falls to 0 once the window has passed.
    store.snapshot(4000)
    expect(store.snapshot(5100).ratePerSec).toBe(0)
  })

  it('applies a new filter to the records already read, then to each new one; clearing it shows all again', () => {
    const store = new TailStore('orders', 50)
    for (let i = 0; i < 40; i++) store.add(rec(0, i, JSON.stringify({ status: i % 4 === 0 ? 'failed' : 'ok', i })))
    store.setFilter({ expr: 'value.status == "failed"', test: compileFilter('value.status == "failed"') })
    expect(store.window(100).map((r) => r.offset)).toEqual([0, 4, 8, 12, 16, 20, 24, 28, 32, 36])
    store.add(rec(0, 40, '{"status":"failed"}'))
    store.add(rec(0, 41, '{"status":"ok"}'))
    expect(store.window(2).map((r) => r.offset)).toEqual([36, 40])
    const s = store.snapshot(0)
    expect(s.filter).toBe('value.status == "failed"')
    expect(s.records).toBe(42)
    expect(s.matched).toBe(11)
    store.setFilter(undefined)
    expect(store.window(3).map((r) => r.offset)).toEqual([39, 40, 41])
    // Filters see key, headers and non-JSON values as replay --filter does.
    store.add(rec(1, 0, 'plain text', 'eu-1', [['source', 'web']]))
    store.setFilter({ expr: 'key startsWith "eu-" and headers.source == "web" and value == "plain text"', test: compileFilter('key startsWith "eu-" and headers.source == "web" and value == "plain text"') })
    expect(store.window(10).map((r) => [r.partition, r.offset])).toEqual([[1, 0]])
  })
})

describe('tui/tail layout', () => {
  it('cuts the value to the width and keeps the columns aligned', () => {
    const rows = [rec(0, 7, `{"a":"${'x'.repeat(200)}"}`), rec(12, 123456, 'line\nbreak', null)]
    const cols = columnsFor(rows, 80)
    const lines = rows.map((r) => recordRow(r, cols))
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80)
    expect(lines[0]).toMatch(/^ {3}0 +7 +\d\d:\d\d:\d\d\.\d{3} +k7 +\{"a":"x+…$/)
    expect(lines[1]).toContain('line break')
  })

  it('formats rates and truncates by display width', () => {
    expect(formatRate(0)).toBe('0/s')
    expect(formatRate(2.5)).toBe('2.5/s')
    expect(formatRate(950)).toBe('950/s')
    expect(formatRate(51_234)).toBe('51.2k/s')
    expect(truncate('abcdef', 4)).toBe('abc…')
    expect(truncate('abc', 4)).toBe('abc')
    expect(truncate('日本語です', 5)).toBe('日本…')
  })

  it('shows a record whole: envelope fields, ISO time, the value pretty when JSON', () => {
    const d = JSON.parse(detailJson(rec(2, 5, '{"id":1,"tags":["a"]}', 'c-1', [['trace', 'abc']])))
    expect(d).toEqual({
      topic: 'orders',
      partition: 2,
      offset: 5,
      timestamp: Date.UTC(2026, 10, 20, 10, 0, 0) + 5,
      time: '2026-11-20T10:00:00.005Z',
      key: 'c-1',
      value: { id: 1, tags: ['a'] },
      headers: { trace: 'abc' },
    })
    expect(detailJson(rec(0, 1, '{"id":1}'))).toContain('"value": {\n    "id": 1\n  }')
    expect(JSON.parse(detailJson(rec(0, 1, 'not json'))).value).toBe('not json')
    expect(JSON.parse(detailJson(rec(0, 1, null, null))).value).toBeNull()
  })
})
