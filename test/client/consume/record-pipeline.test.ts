import { describe, expect, it } from 'vitest'
import type { RecordView } from '../../../src/client/consume/batches.js'
import { RecordPipeline, type RecordSink } from '../../../src/client/consume/record-pipeline.js'

const view = (offset: number): RecordView => ({ buf: Buffer.alloc(0), offset, timestamp: offset, keyLength: -1, keyStart: 0, valueLength: -1, valueStart: 0, headerCount: 0, headersStart: 0 })

function collecting(refuseAt = Number.POSITIVE_INFINITY): RecordSink & { offsets: number[] } {
  const offsets: number[] = []
  return { offsets, onRecord: (r) => (offsets.push(r.offset), r.offset < refuseAt) }
}

/** Feeds offsets 0..n-1 until the pipeline ends the read; returns how many it took. */
function feed(p: RecordPipeline, n: number, from = 0): number {
  for (let o = from; o < n; o++) if (!p.onRecord(view(o), 0)) return o - from + 1
  return n - from
}

describe('client/consume/record-pipeline', () => {
  it('plain: every record to the sink, then --max stops the read for good', () => {
    const sink = collecting()
    const stops: string[] = []
    const p = new RecordPipeline({ sink, max: 3, onStop: (why) => stops.push(why) })
    expect(feed(p, 10)).toBe(3)
    expect(sink.offsets).toEqual([0, 1, 2])
    expect([p.kept, p.read, p.stoppedBy, stops]).toEqual([3, 3, 'max', ['max']])
  })

  it('a sink that refuses a record stops the read as closed', () => {
    const p = new RecordPipeline({ sink: collecting(1) })
    expect(feed(p, 10)).toBe(2)
    expect(p.stoppedBy).toBe('closed')
  })

  it('the filter: refused records are read past, not counted for --max; tally sees every record read', () => {
    const sink = collecting()
    const tallied: [number, boolean][] = []
    const p = new RecordPipeline({ sink, max: 2, filter: (r) => r.offset % 3 === 0, tally: (r, _p, kept) => tallied.push([r.offset, kept]) })
    expect(feed(p, 10)).toBe(4)
    expect(sink.offsets).toEqual([0, 3])
    expect([p.kept, p.skipped, p.read]).toEqual([2, 2, 4])
    expect(tallied).toEqual([[0, true], [1, false], [2, false], [3, true]])
  })

  it('a pacer pauses the read before a record not due (not counted) and after its share', () => {
    const sink = collecting()
    let share = 2
    const p = new RecordPipeline({ sink, pacer: { due: (r) => r.offset !== 3, taken: () => --share > 0 } })
    expect(feed(p, 10)).toBe(2) // the share of two is used up
    expect(p.stoppedBy).toBeUndefined()
    share = 5
    expect(feed(p, 10, 2)).toBe(2) // 2 taken, 3 not due
    expect(sink.offsets).toEqual([0, 1, 2])
    expect(p.read).toBe(3)
  })
})
