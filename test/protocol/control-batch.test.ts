/**
 * protocol/control-batch: transaction markers (COMMIT/ABORT control batches) as Kafka writes
 * them, read back by sluice's own decoder and by kafkajs's.
 */
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { controlTypeOf, encodeControlBatch, readControlMarker } from '../../src/protocol/control-batch.js'
import { isBatchCrcValid, readBatchHeader, stampBatch } from '../../src/protocol/batch-layout.js'
import { decodeRecordBatch, encodeRecordBatch } from '../../src/protocol/record-batch.js'
import { ProtocolError } from '../../src/protocol/errors.js'

const require = createRequire(import.meta.url)

const marker = (committed: boolean): Buffer =>
  encodeControlBatch({ producerId: 2 ** 33 + 7, producerEpoch: 3, committed, coordinatorEpoch: 12, timestampMs: 1_700_000_000_000 })

describe('encodeControlBatch', () => {
  it('builds a control, transactional batch of the producer with one marker record and a valid CRC', () => {
    const batch = marker(true)
    const { header, records } = decodeRecordBatch(batch)
    expect(header).toMatchObject({
      isControl: true,
      isTransactional: true,
      compression: 0,
      producerId: 2 ** 33 + 7,
      producerEpoch: 3,
      baseSequence: -1,
      recordsCount: 1,
      lastOffsetDelta: 0,
      baseTimestamp: 1_700_000_000_000,
      maxTimestamp: 1_700_000_000_000,
    })
    expect(isBatchCrcValid(batch, header)).toBe(true)
    expect(records).toHaveLength(1)
    expect([...records[0]!.key!]).toEqual([0, 0, 0, 1])
    expect([...records[0]!.value!]).toEqual([0, 0, 0, 0, 0, 12])
    expect([...decodeRecordBatch(marker(false)).records[0]!.key!]).toEqual([0, 0, 0, 0])
  })

  it('keeps its CRC when the leader stamps its offset and epoch', () => {
    const batch = marker(false)
    const h = readBatchHeader(batch)
    stampBatch(batch, h, 4242, 9)
    expect(isBatchCrcValid(batch, readBatchHeader(batch))).toBe(true)
    expect(readControlMarker(batch)).toEqual({ type: 'abort', coordinatorEpoch: 12 })
  })

  it('is read by kafkajs as a control record of a transactional batch', async () => {
    const KafkaBatchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder')
    const Decoder = require('kafkajs/src/protocol/decoder')
    const decoded = await KafkaBatchDecoder(new Decoder(marker(true)))
    expect(decoded.isControlBatch).toBe(true)
    expect(decoded.inTransaction).toBe(true)
    expect(decoded.records[0].isControlRecord).toBe(true)
  })
})

describe('controlTypeOf', () => {
  it('tells commit from abort, at any position of a blob', () => {
    const commit = marker(true)
    const abort = marker(false)
    const blob = Buffer.concat([commit, abort])
    expect(controlTypeOf(blob)).toBe('commit')
    expect(controlTypeOf(blob, commit.length)).toBe('abort')
  })

  it('is null for a data batch, transactional or not', () => {
    expect(controlTypeOf(encodeRecordBatch({ records: [{ value: 'x' }] }))).toBeNull()
    expect(controlTypeOf(encodeRecordBatch({ records: [{ value: 'x' }], transactional: true, producerId: 1, producerEpoch: 0, baseSequence: 0 }))).toBeNull()
  })

  it('is null for a control batch of another kind (KRaft leader change)', () => {
    const key = Buffer.from([0, 0, 0, 2])
    const other = encodeRecordBatch({ records: [{ key, value: Buffer.alloc(8) }], control: true })
    expect(controlTypeOf(other)).toBeNull()
  })

  it('refuses a malformed marker', () => {
    const shortKey = encodeRecordBatch({ records: [{ key: Buffer.from([0, 0]), value: Buffer.alloc(6) }], control: true, transactional: true })
    expect(() => controlTypeOf(shortKey)).toThrow(ProtocolError)
    const shortValue = encodeRecordBatch({ records: [{ key: Buffer.from([0, 0, 0, 1]), value: Buffer.alloc(2) }], control: true, transactional: true })
    expect(() => controlTypeOf(shortValue)).toThrow(ProtocolError)
    expect(() => controlTypeOf(marker(true).subarray(0, 40))).toThrow(ProtocolError)
  })
})
