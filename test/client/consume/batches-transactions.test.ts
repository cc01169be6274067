/**
 * read_committed over hand-built batches, as Kafka's consumer reads them (CompletedFetch): the
 * aborted transactions of a fetch answer drop their producer's transactional batches until that
 * producer's ABORT marker; markers are never records, and the position moves past everything.
 */
import { describe, expect, it } from 'vitest'
import { walkBatches, type AbortedTransaction, type MarkerView, type RecordView } from '../../../src/client/consume/batches.js'
import { encodeControlBatch } from '../../../src/protocol/control-batch.js'
import { encodeRecordBatch } from '../../../src/protocol/record-batch.js'
import { createFormatter } from '../../../src/client/consume/format.js'
import { OutputWriter } from '../../../src/client/consume/output.js'
import { FormatterSink, RecordPipeline } from '../../../src/client/consume/record-pipeline.js'
import { encodeControlEnvelope, parseEnvelope } from '../../../src/client/envelope.js'
import { Sink } from './helpers.js'

const TS = 1795460244909

/** A transactional batch of `values` by `producerId` at `baseOffset`. */
function txnBatch(producerId: number, baseOffset: number, ...values: string[]): Buffer {
  return encodeRecordBatch({ baseOffset, baseTimestamp: TS, producerId, producerEpoch: 0, baseSequence: 0, transactional: true, records: values.map((value) => ({ value })) })
}

function marker(producerId: number, offset: number, committed: boolean): Buffer {
  const b = encodeControlBatch({ producerId, producerEpoch: 0, committed, coordinatorEpoch: 3, timestampMs: TS + offset })
  b.writeBigInt64BE(BigInt(offset), 0) // the leader stamps the base offset as it appends
  return b
}

function plain(baseOffset: number, ...values: string[]): Buffer {
  return encodeRecordBatch({ baseOffset, baseTimestamp: TS, records: values.map((value) => ({ value })) })
}

interface Walked {
  values: string[]
  markers: { offset: number; type: string; producerId: number; coordinatorEpoch: number; timestamp: number }[]
  nextOffset: number
}

function walk(records: Buffer, aborted: AbortedTransaction[] | undefined, opts: { from?: number; markers?: boolean } = {}): Walked {
  const values: string[] = []
  const markers: Walked['markers'] = []
  const result = walkBatches(
    records,
    opts.from ?? 0,
    (r: RecordView) => {
      values.push(r.buf.toString('utf8', r.valueStart, r.valueStart + r.valueLength))
      return true
    },
    {
      aborted,
      onMarker: opts.markers
        ? (m: MarkerView) => {
            markers.push({ offset: m.offset, type: m.type, producerId: m.producerId, coordinatorEpoch: m.coordinatorEpoch, timestamp: m.timestamp })
            return true
          }
        : undefined,
    },
  )
  return { values, markers, nextOffset: result.nextOffset }
}

describe('client/consume/batches: transactions', () => {
  // Offsets: 0-1 p7 (aborted), 2 p8 (committed), 3 plain, 4 p7's ABORT, 5 p8's COMMIT, 6-7 p7 again (committed), 8 p7's COMMIT.
  const log = Buffer.concat([
    txnBatch(7, 0, 'a0', 'a1'),
    txnBatch(8, 2, 'c2'),
    plain(3, 'p3'),
    marker(7, 4, false),
    marker(8, 5, true),
    txnBatch(7, 6, 'c6', 'c7'),
    marker(7, 8, true),
  ])

  it('read_committed drops the aborted transaction until its ABORT marker, and the same producer commits after it', () => {
    const w = walk(log, [{ producerId: 7, firstOffset: 0 }])
    expect(w.values).toEqual(['c2', 'p3', 'c6', 'c7'])
    expect(w.nextOffset).toBe(9) // past the trailing marker: a read that stops at the end does not stall on it
  })

  it('read_uncommitted shows every data record, and never a marker', () => {
    expect(walk(log, undefined).values).toEqual(['a0', 'a1', 'c2', 'p3', 'c6', 'c7'])
  })

  it('an aborted transaction only drops batches at or after its first offset', () => {
    // p7 committed 0-1; its aborted transaction starts at 6 (the answer says so).
    const log2 = Buffer.concat([txnBatch(7, 0, 'c0', 'c1'), marker(7, 2, true), txnBatch(7, 3, 'a3'), txnBatch(8, 4, 'c4'), marker(7, 5, false), marker(8, 6, true)])
    expect(walk(log2, [{ producerId: 7, firstOffset: 3 }]).values).toEqual(['c0', 'c1', 'c4'])
  })

  it('aborted transactions listed out of order, several producers interleaved', () => {
    const log3 = Buffer.concat([
      txnBatch(1, 0, 'x0'),
      txnBatch(2, 1, 'y1'),
      txnBatch(3, 2, 'z2'),
      txnBatch(1, 3, 'x3'),
      marker(2, 4, false),
      marker(1, 5, false),
      marker(3, 6, true),
    ])
    expect(walk(log3, [{ producerId: 2, firstOffset: 1 }, { producerId: 1, firstOffset: 0 }]).values).toEqual(['z2'])
  })

  it('a non-transactional batch of the same producer id is never dropped', () => {
    const idempotent = encodeRecordBatch({ baseOffset: 1, baseTimestamp: TS, producerId: 7, producerEpoch: 0, baseSequence: 0, records: [{ value: 'i1' }] })
    const log4 = Buffer.concat([txnBatch(7, 0, 'a0'), idempotent, marker(7, 2, false)])
    expect(walk(log4, [{ producerId: 7, firstOffset: 0 }]).values).toEqual(['i1'])
  })

  it('a fetch starting inside the range still drops it (the answer lists the overlapping transaction)', () => {
    expect(walk(log, [{ producerId: 7, firstOffset: 0 }], { from: 1 }).values).toEqual(['c2', 'p3', 'c6', 'c7'])
  })

  it('markers are shown in offset order when asked, with their producer, type, coordinator epoch and time', () => {
    const w = walk(log, [{ producerId: 7, firstOffset: 0 }], { markers: true })
    expect(w.markers).toEqual([
      { offset: 4, type: 'abort', producerId: 7, coordinatorEpoch: 3, timestamp: TS + 4 },
      { offset: 5, type: 'commit', producerId: 8, coordinatorEpoch: 3, timestamp: TS + 5 },
      { offset: 8, type: 'commit', producerId: 7, coordinatorEpoch: 3, timestamp: TS + 8 },
    ])
    expect(walk(log, undefined, { markers: true, from: 5 }).markers.map((m) => m.offset)).toEqual([5, 8])
  })

  it('a marker visitor that returns false stops the walk past that marker', () => {
    const result = walkBatches(log, 0, () => true, { onMarker: (m) => m.offset !== 4 })
    expect(result).toMatchObject({ stopped: true, nextOffset: 5 })
  })
})

describe('client/consume: --show-control', () => {
  const log = Buffer.concat([txnBatch(7, 0, '{"n":0}'), marker(7, 1, true), plain(2, '{"n":2}')])

  /** The json formatter behind a pipeline (as consume builds it), fed by one walk. */
  function consumeJson(markers: boolean, max?: number): { lines: unknown[]; kept: number } {
    const sink = new Sink()
    const out = new OutputWriter(sink)
    const pipeline = new RecordPipeline({ sink: new FormatterSink(createFormatter('json', 'orders', false), out, markers), max })
    walkBatches(log, 0, (r) => pipeline.onRecord(r, 2), { aborted: [], onMarker: pipeline.onMarker && ((m) => pipeline.onMarker!(m, 2)) })
    out.flush()
    return { lines: sink.bytes.toString().trim().split('\n').map((l) => JSON.parse(l) as unknown), kept: pipeline.kept }
  }

  it('markers are lines of their own, in offset order, not counted as records', () => {
    const { lines, kept } = consumeJson(true)
    expect(lines).toEqual([
      { topic: 'orders', partition: 2, offset: 0, timestamp: TS, key: null, value: { n: 0 }, headers: {} },
      { topic: 'orders', partition: 2, offset: 1, control: 'commit', producerId: 7, producerEpoch: 0, timestamp: TS + 1 },
      { topic: 'orders', partition: 2, offset: 2, timestamp: TS, key: null, value: { n: 2 }, headers: {} },
    ])
    expect(kept).toBe(2)
  })

  it('without the flag no marker is written', () => {
    expect(consumeJson(false).lines.map((l) => (l as { offset: number }).offset)).toEqual([0, 2])
  })

  it('produce --envelope refuses a marker line', () => {
    const line = encodeControlEnvelope({ topic: 't', partition: 0, offset: 1, control: 'abort', producerId: 1, producerEpoch: 0, timestamp: 0 })
    expect(() => parseEnvelope(line)).toThrow(/transaction marker, not a record/)
  })
})
