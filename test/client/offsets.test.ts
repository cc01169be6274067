import { describe, expect, it } from 'vitest'
import { SluiceError } from '../../src/common/errors.js'
import {
  checkStartOffset,
  kafkaOffsetLookup,
  parseDurationMs,
  parseOffsetSpec,
  parsePosition,
  parseTimeMs,
  resolveOffsets,
  type OffsetLookup,
  type PartitionBounds,
} from '../../src/client/offsets.js'

const T0 = Date.parse('2026-11-20T10:00:00Z')

/** Three partitions: 0 holds 100-199 (records at T0 + offset seconds), 1 is empty at 50, 2 holds 0-9. */
function fakeLookup(): OffsetLookup & { calls: string[] } {
  const bounds: Record<number, PartitionBounds> = { 0: { start: 100, end: 200 }, 1: { start: 50, end: 50 }, 2: { start: 0, end: 10 } }
  const calls: string[] = []
  return {
    calls,
    async bounds(partitions) {
      calls.push(`bounds ${partitions.join(',')}`)
      return new Map(partitions.map((p) => [p, bounds[p]!]))
    },
    async forTimestamp(partitions, ts) {
      calls.push(`time ${ts} ${partitions.join(',')}`)
      return new Map(
        partitions.map((p) => {
          const b = bounds[p]!
          // record at offset o has timestamp T0 + o seconds
          const o = Math.max(b.start, Math.ceil((ts - T0) / 1000))
          return [p, o < b.end ? o : null]
        }),
      )
    },
  }
}

function usage(fn: () => unknown): SluiceError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(SluiceError)
    expect((err as SluiceError).exit).toBe(2)
    return err as SluiceError
  }
  throw new Error('expected a usage error')
}

describe('client/offsets parse', () => {
  it('parses every position form', () => {
    expect(parsePosition('earliest')).toEqual({ kind: 'earliest' })
    expect(parsePosition('latest')).toEqual({ kind: 'latest' })
    expect(parsePosition('120')).toEqual({ kind: 'absolute', offset: 120 })
    expect(parsePosition('-10')).toEqual({ kind: 'fromEnd', count: 10 })
    expect(parsePosition('+10')).toEqual({ kind: 'fromStart', count: 10 })
    expect(parsePosition('@2026-11-20T10:00:00Z')).toEqual({ kind: 'timestamp', timestampMs: T0 })
    expect(parsePosition('@2026-11-20T10:00Z')).toEqual({ kind: 'timestamp', timestampMs: T0 })
    expect(parsePosition('@2026-11-20T11:00:00+01:00')).toEqual({ kind: 'timestamp', timestampMs: T0 })
    expect(parsePosition('@2026-11-20T11:00:00+0100')).toEqual({ kind: 'timestamp', timestampMs: T0 })
    expect(parsePosition('@2026-11-20T10:00:00.250Z')).toEqual({ kind: 'timestamp', timestampMs: T0 + 250 })
    expect(parsePosition('@2026-11-20')).toEqual({ kind: 'timestamp', timestampMs: Date.parse('2026-11-20T00:00:00Z') })
    expect(parsePosition(`@${T0}`)).toEqual({ kind: 'timestamp', timestampMs: T0 })
    expect(parsePosition('@-15m')).toEqual({ kind: 'ago', durationMs: 15 * 60_000 })
    expect(parsePosition('@-1h30m')).toEqual({ kind: 'ago', durationMs: 90 * 60_000 })
  })

  it('parses durations in every unit', () => {
    expect(parseDurationMs('500ms')).toBe(500)
    expect(parseDurationMs('30s')).toBe(30_000)
    expect(parseDurationMs('2h')).toBe(7_200_000)
    expect(parseDurationMs('1d')).toBe(86_400_000)
    expect(parseDurationMs('1w')).toBe(604_800_000)
    expect(parseDurationMs('15')).toBeUndefined()
    expect(parseDurationMs('1y')).toBeUndefined()
    expect(parseDurationMs('')).toBeUndefined()
  })

  it('rejects what is not in the grammar, naming the flag', () => {
    for (const bad of ['', 'first', '1.5', '--3', '+-3', '@', '@-', '@-15', '@-15x', '@yesterday', '@2026-13-45', 'end', '0:', ':5', 'x:5']) {
      const err = usage(() => parseOffsetSpec(bad, '--to'))
      expect(err.message).toContain('--to')
    }
  })

  it('asks for a zone rather than guessing one', () => {
    expect(usage(() => parseTimeMs('2026-11-20T10:00', '--from')).message).toMatch(/no zone/)
    expect(usage(() => parsePosition('@2026-11-20 10:00:00')).message).toMatch(/no zone/)
  })

  it('parses per-partition lists with an optional default', () => {
    const spec = parseOffsetSpec('0:120,1:-5, 2:@-1h')
    expect(spec.default).toBeUndefined()
    expect([...spec.partitions]).toEqual([
      [0, { kind: 'absolute', offset: 120 }],
      [1, { kind: 'fromEnd', count: 5 }],
      [2, { kind: 'ago', durationMs: 3_600_000 }],
    ])
    const withDefault = parseOffsetSpec('latest,0:@2026-11-20T10:00:00Z')
    expect(withDefault.default).toEqual({ kind: 'latest' })
    expect(withDefault.partitions.get(0)).toEqual({ kind: 'timestamp', timestampMs: T0 })
    expect(usage(() => parseOffsetSpec('0:1,0:2')).message).toMatch(/twice/)
    expect(usage(() => parseOffsetSpec('latest,earliest')).message).toMatch(/more than one/)
    expect(usage(() => parseOffsetSpec('0:1,,1:2')).message).toMatch(/empty/)
  })
})

describe('client/offsets resolve', () => {
  const partitions = [0, 1, 2]
  const now = T0 + 150_000

  it('resolves named positions against the log bounds, clamping relative ones', async () => {
    const lookup = fakeLookup()
    const at = async (text: string) =>
      [...(await resolveOffsets(parseOffsetSpec(text), { partitions, lookup, fallback: { kind: 'earliest' }, role: 'from', nowMs: now }))].map(
        ([p, r]) => [p, r.offset],
      )
    expect(await at('earliest')).toEqual([[0, 100], [1, 50], [2, 0]])
    expect(await at('latest')).toEqual([[0, 200], [1, 50], [2, 10]])
    expect(await at('150')).toEqual([[0, 150], [1, 150], [2, 150]])
    expect(await at('-5')).toEqual([[0, 195], [1, 50], [2, 5]])
    expect(await at('-500')).toEqual([[0, 100], [1, 50], [2, 0]])
    expect(await at('+5')).toEqual([[0, 105], [1, 50], [2, 5]])
    expect(await at('+500')).toEqual([[0, 200], [1, 50], [2, 10]])
  })

  it('takes the fallback for partitions the spec does not name', async () => {
    const lookup = fakeLookup()
    const r = await resolveOffsets(parseOffsetSpec('0:120'), { partitions, lookup, fallback: { kind: 'latest' }, role: 'from', nowMs: now })
    expect([...r].map(([p, x]) => [p, x.offset])).toEqual([[0, 120], [1, 50], [2, 10]])
    const none = await resolveOffsets(undefined, { partitions, lookup, fallback: { kind: 'earliest' }, role: 'from', nowMs: now })
    expect([...none].map(([p, x]) => [p, x.offset])).toEqual([[0, 100], [1, 50], [2, 0]])
  })

  it('resolves times with one ListOffsets per distinct time, relative times against now', async () => {
    const lookup = fakeLookup()
    const spec = parseOffsetSpec(`@${T0 + 120_000},1:@-10s`)
    const r = await resolveOffsets(spec, { partitions, lookup, fallback: { kind: 'earliest' }, role: 'from', nowMs: now })
    // 0: first record at or after T0+120s is offset 120; 1: empty partition -> its end; 2: past its data -> end
    expect([...r].map(([p, x]) => [p, x.offset])).toEqual([[0, 120], [1, 50], [2, 10]])
    expect(lookup.calls.filter((c) => c.startsWith('time'))).toEqual([`time ${T0 + 120_000} 0,2`, `time ${T0 + 140_000} 1`])
  })

  it('leaves a --to time that no record has reached open-ended, with the time kept', async () => {
    const lookup = fakeLookup()
    const r = await resolveOffsets(parseOffsetSpec(`@${T0 + 180_000}`), { partitions: [0, 2], lookup, fallback: { kind: 'latest' }, role: 'to', nowMs: now })
    expect(r.get(0)).toEqual({ offset: 180, timestampMs: T0 + 180_000 })
    expect(r.get(2)).toEqual({ offset: Number.POSITIVE_INFINITY, timestampMs: T0 + 180_000 })
  })

  it('uses bounds given by the caller instead of asking again', async () => {
    const lookup = fakeLookup()
    const bounds = new Map([[0, { start: 7, end: 9 }]])
    const r = await resolveOffsets(parseOffsetSpec('earliest'), { partitions: [0], lookup, bounds, fallback: { kind: 'earliest' }, role: 'from', nowMs: now })
    expect(r.get(0)!.offset).toBe(7)
    expect(lookup.calls).toEqual([])
  })

  it('says when a start offset was deleted by retention or is past the end', () => {
    const b = { start: 100, end: 200 }
    expect(() => checkStartOffset('t', 0, 100, b)).not.toThrow()
    expect(() => checkStartOffset('t', 0, 200, b)).not.toThrow()
    try {
      checkStartOffset('t', 0, 42, b)
      expect.unreachable()
    } catch (err) {
      expect(err).toMatchObject({ code: 'OFFSET_OUT_OF_RANGE', exit: 4 })
      expect((err as Error).message).toContain('offset 42 was deleted by retention; data starts at 100')
    }
    expect(() => checkStartOffset('t', 0, 201, b)).toThrow(/past the end of the partition \(200\)/)
  })

  it('maps ListOffsets answers of a @platformatic/kafka client (earliest -2, latest -1, -1 offset = none)', async () => {
    const asked: bigint[] = []
    const client = {
      async listOffsets(o: { topics: string[]; partitions?: Record<string, number[]>; timestamp?: bigint }) {
        asked.push(o.timestamp!)
        expect(o.partitions).toEqual({ t: [0, 1] })
        const answer = o.timestamp === -2n ? [5n, 0n] : o.timestamp === -1n ? [9n, 3n] : [7n, -1n]
        return new Map([['t', answer]])
      },
    }
    const lookup = kafkaOffsetLookup(client, 't')
    expect(await lookup.bounds([0, 1])).toEqual(new Map([[0, { start: 5, end: 9 }], [1, { start: 0, end: 3 }]]))
    expect(await lookup.forTimestamp([0, 1], T0)).toEqual(new Map([[0, 7], [1, null]]))
    expect(asked).toEqual([-2n, -1n, BigInt(T0)])
  })
})
