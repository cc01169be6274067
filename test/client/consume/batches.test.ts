import { compressionsAlgorithms } from '@platformatic/kafka'
import { beforeAll, describe, expect, it } from 'vitest'
import { hasCompressedBatch, keyOf, nextOffsetAfter, readHeaders, valueOf, walkBatches, type RecordView } from '../../../src/client/consume/batches.js'
import { loadCompression } from '../../../src/protocol/compression.js'
import { batch, compressedBatch } from './helpers.js'

// The codecs load on demand (fetch-api.ts does it before a compressed batch reaches walkBatches).
beforeAll(() => loadCompression())

interface Seen {
  offset: number
  timestamp: number
  key: string | null
  value: string | null
  headers: [string, string | null][]
}

function walk(records: Buffer, from = 0, stopAfter = Number.POSITIVE_INFINITY): { seen: Seen[]; result: ReturnType<typeof walkBatches> } {
  const seen: Seen[] = []
  const result = walkBatches(records, from, (r: RecordView) => {
    seen.push({
      offset: r.offset,
      timestamp: r.timestamp,
      key: keyOf(r)?.toString() ?? null,
      value: valueOf(r)?.toString() ?? null,
      headers: readHeaders(r).map(([k, v]) => [k, v?.toString() ?? null]),
    })
    return seen.length < stopAfter
  })
  return { seen, result }
}

const TS = 1795460244909

describe('client/consume/batches', () => {
  it('walks records with absolute offsets and timestamps, null and empty keys and values, headers', () => {
    const records = batch({
      baseOffset: 10,
      baseTimestamp: TS,
      records: [
        { key: 'k', value: '{"a":1}', headers: [{ key: 'h', value: 'v' }, { key: 'h', value: null }] },
        { key: null, value: null, timestampDelta: 5 },
        { key: '', value: '', timestampDelta: 3_000_000_000 }, // a delta past 2^31
      ],
    })
    const { seen, result } = walk(records)
    expect(seen).toEqual([
      { offset: 10, timestamp: TS, key: 'k', value: '{"a":1}', headers: [['h', 'v'], ['h', null]] },
      { offset: 11, timestamp: TS + 5, key: null, value: null, headers: [] },
      { offset: 12, timestamp: TS + 3_000_000_000, key: '', value: '', headers: [] },
    ])
    expect(result).toEqual({ nextOffset: 13, stopped: false, batches: 1 })
  })

  it('skips records before the fetch offset inside a batch, and stops where the visitor says', () => {
    const records = Buffer.concat([
      batch({ baseOffset: 0, records: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] }),
      batch({ baseOffset: 3, records: [{ value: 'd' }, { value: 'e' }] }),
    ])
    expect(walk(records, 2).seen.map((s) => s.value)).toEqual(['c', 'd', 'e'])
    const stopped = walk(records, 1, 2)
    expect(stopped.seen.map((s) => s.value)).toEqual(['b', 'c'])
    expect(stopped.result).toEqual({ nextOffset: 3, stopped: true, batches: 1 })
    expect(nextOffsetAfter(records, 0)).toBe(5)
  })

  it('leaves a batch cut short by max bytes for the next fetch', () => {
    const whole = batch({ baseOffset: 0, records: [{ value: 'a' }] })
    const next = batch({ baseOffset: 1, records: [{ value: 'b' }, { value: 'c' }] })
    const records = Buffer.concat([whole, next.subarray(0, next.length - 3)])
    const { seen, result } = walk(records)
    expect(seen.map((s) => s.value)).toEqual(['a'])
    expect(result).toEqual({ nextOffset: 1, stopped: false, batches: 1 })
    expect(nextOffsetAfter(records, 0)).toBe(1)
    expect(walk(next.subarray(0, 20)).result).toEqual({ nextOffset: 0, stopped: false, batches: 0 })
  })

  it('skips control batches (transaction markers) but moves past their offsets', () => {
    const records = Buffer.concat([
      batch({ baseOffset: 0, records: [{ value: 'a' }] }),
      batch({ baseOffset: 1, control: true, records: [{ key: Buffer.from([0, 0, 0, 0]), value: Buffer.from([0, 0, 0, 0, 0, 0]) }] }),
      batch({ baseOffset: 2, records: [{ value: 'b' }] }),
    ])
    const { seen, result } = walk(records)
    expect(seen.map((s) => [s.offset, s.value])).toEqual([[0, 'a'], [2, 'b']])
    expect(result.nextOffset).toBe(3)
  })

  it('gives every record of a LogAppendTime batch the batch max timestamp', () => {
    const records = batch({ baseOffset: 0, baseTimestamp: TS, maxTimestamp: TS + 99, timestampType: 1, records: [{ value: 'a' }, { value: 'b', timestampDelta: 1 }] })
    expect(walk(records).seen.map((s) => s.timestamp)).toEqual([TS + 99, TS + 99])
  })

  it('reads compressed batches: gzip, snappy, lz4, and zstd where Node has it', () => {
    const input = { baseOffset: 5, baseTimestamp: TS, records: Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `{"i":${i}}` })) }
    const expected = walk(batch(input)).seen
    expect(expected).toHaveLength(50)
    expect(walk(batch({ ...input, compression: 1 })).seen).toEqual(expected)
    expect(hasCompressedBatch(batch({ ...input, compression: 1 }))).toBe(true)
    expect(hasCompressedBatch(batch(input))).toBe(false)
    for (const codec of ['snappy', 'lz4', 'zstd'] as const) {
      if (!compressionsAlgorithms[codec].available) continue // zstd needs Node 22.15+
      expect(walk(compressedBatch(input, codec)).seen).toEqual(expected)
    }
  })

  it('refuses old message formats and corrupt batches with a Kafka error', () => {
    const old = batch({ baseOffset: 0, records: [{ value: 'a' }] })
    old[16] = 1
    expect(() => walk(old)).toThrow(/message format v1/)
    const corrupt = batch({ baseOffset: 0, records: [{ value: 'abc' }] })
    corrupt[61] = 0x7e // record length far past the batch
    expect(() => walk(corrupt)).toThrow(/corrupt record batch/)
  })
})
