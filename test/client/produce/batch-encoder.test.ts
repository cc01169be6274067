import { beforeAll, describe, expect, it } from 'vitest'
import { loadCompression } from '../../../src/protocol/compression.js'
import { encodeBatch } from '../../../src/client/produce/batch-encoder.js'
import type { Message } from '../../../src/client/produce/send-pipeline.js'
import { decodeRecordBatch } from '../../../src/protocol/record-batch.js'
import { validateProducedRecords } from '../../../src/protocol/produce-validation.js'

const b = (s: string): Buffer => Buffer.from(s)
const FIELDS = { producerId: 4242, producerEpoch: 3, baseSequence: 17, compression: 'none' as const, nowMs: 1_700_000_000_000 }

describe('client/produce/batch-encoder', () => {
  // The codecs load on demand (raw-sender.ts does it before a compressed send).
  beforeAll(() => loadCompression())

  it('round-trips keys, values, null keys and values, headers (repeated names, null values) and timestamps', () => {
    const messages: Message[] = [
      { topic: 't', partition: 0, key: b('k1'), value: b('{"a":1}') },
      { topic: 't', partition: 0, key: null, value: b('"two"'), timestamp: 1_600_000_000_123n },
      { topic: 't', partition: 0, key: b(''), value: null, headers: new Map([[b('h'), b('x')], [b('h'), null], [b('é'), b('')]]) },
      { topic: 't', partition: 0, value: b('x'.repeat(300)), timestamp: 1_700_000_000_500n },
    ]
    const batch = encodeBatch(messages, FIELDS)
    const { header, records } = decodeRecordBatch(batch) // checks the CRC
    expect(header).toMatchObject({
      baseOffset: 0,
      sizeBytes: batch.length,
      producerId: 4242,
      producerEpoch: 3,
      baseSequence: 17,
      recordsCount: 4,
      lastOffsetDelta: 3,
      compression: 0,
      baseTimestamp: 1_700_000_000_000,
      maxTimestamp: 1_700_000_000_500,
    })
    expect(records.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString() ?? null])).toEqual([
      [0, 1_700_000_000_000, 'k1', '{"a":1}'],
      [1, 1_600_000_000_123, null, '"two"'],
      [2, 1_700_000_000_000, '', null],
      [3, 1_700_000_000_500, null, 'x'.repeat(300)],
    ])
    expect(records[2]!.headers.map((h) => [h.key, h.value?.toString() ?? null])).toEqual([
      ['h', 'x'],
      ['h', null],
      ['é', ''],
    ])
    // What the broker checks of a produced batch.
    expect(() => validateProducedRecords(batch)).not.toThrow()
  })

  it('gzip: the records are compressed, the header says so, and they decode back', () => {
    const messages: Message[] = Array.from({ length: 200 }, (_, i) => ({ topic: 't', partition: 1, key: null, value: b(`{"n":${i},"pad":"${'p'.repeat(50)}"}`) }))
    const plain = encodeBatch(messages, FIELDS)
    const gzip = encodeBatch(messages, { ...FIELDS, compression: 'gzip' })
    expect(gzip.length).toBeLessThan(plain.length / 4)
    const { header, records } = decodeRecordBatch(gzip)
    expect(header.compression).toBe(1)
    expect(records.map((r) => r.value!.toString())).toEqual(messages.map((m) => m.value!.toString()))
  })

  it('without idempotence: producer id, epoch and sequence are -1', () => {
    const batch = encodeBatch([{ topic: 't', partition: 0, value: b('1') }], { ...FIELDS, producerId: -1, producerEpoch: -1, baseSequence: -1 })
    expect(decodeRecordBatch(batch).header).toMatchObject({ producerId: -1, producerEpoch: -1, baseSequence: -1 })
  })

  it('marks a transactional batch with the isTransactional attribute (and only that one)', () => {
    const messages: Message[] = [{ topic: 't', partition: 0, key: null, value: b('1') }]
    const plain = decodeRecordBatch(encodeBatch(messages, FIELDS)).header
    const txn = decodeRecordBatch(encodeBatch(messages, { ...FIELDS, transactional: true })).header
    expect(plain).toMatchObject({ isTransactional: false, isControl: false })
    expect(txn).toMatchObject({ isTransactional: true, isControl: false, producerId: 4242, producerEpoch: 3, baseSequence: 17, compression: 0 })
  })
})
