/**
 * RecordBatch v2: CRC-32C, encode/decode, header walking, stamping, and the broker-side
 * validation of produced batches (good, corrupt, truncated). Interop with kafkajs's own batch
 * encoder and decoder (installed as a dev dependency) in both directions.
 */
import { createRequire } from 'node:module'
import { crc32c } from '@node-rs/crc32'
import { describe, expect, it } from 'vitest'
import { ErrorCode, ProtocolError } from '../../src/protocol/errors.js'
import { decodeRecordBatch, decodeRecordBatches, encodeRecordBatch, parseRecords } from '../../src/protocol/record-batch.js'
import {
  Compression,
  RECORD_BATCH_OVERHEAD,
  isBatchCrcValid,
  readBatchHeader,
  readBatchHeaders,
  stampBatch,
  stampLogAppendTime,
} from '../../src/protocol/batch-layout.js'
import { validateProducedRecords } from '../../src/protocol/produce-validation.js'

const require = createRequire(import.meta.url)

function sampleBatch(extra: Parameters<typeof encodeRecordBatch>[0] extends infer T ? Partial<T> : never = {}): Buffer {
  return encodeRecordBatch({
    baseTimestamp: 1_700_000_000_000,
    records: [
      { key: 'k1', value: 'v1', timestampDelta: 0, headers: [{ key: 'h', value: 'x' }] },
      { key: null, value: Buffer.from([0, 255]), timestampDelta: 5 },
      { key: 'k3', value: null, timestampDelta: 3, headers: [{ key: 'n\u00fcll', value: null }] },
    ],
    ...extra,
  })
}

/** Rewrites a header field and fixes the CRC, to build batches that are valid but wrong. */
function withHeader(batch: Buffer, edit: (b: Buffer) => void): Buffer {
  const b = Buffer.from(batch)
  edit(b)
  b.writeUInt32BE(crc32c(b.subarray(21)) >>> 0, 17)
  return b
}

describe('CRC-32C', () => {
  it('matches the standard check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283)
  })
})

describe('encodeRecordBatch / decodeRecordBatch', () => {
  it('round-trips keys, values, nulls, headers and timestamps', () => {
    const batch = sampleBatch({ baseOffset: 42, partitionLeaderEpoch: 7, producerId: 9, producerEpoch: 1, baseSequence: 5 })
    const { header, records } = decodeRecordBatch(batch)
    expect(header).toMatchObject({
      baseOffset: 42,
      partitionLeaderEpoch: 7,
      magic: 2,
      lastOffsetDelta: 2,
      lastOffset: 44,
      recordsCount: 3,
      baseTimestamp: 1_700_000_000_000,
      maxTimestamp: 1_700_000_000_005,
      producerId: 9,
      producerEpoch: 1,
      baseSequence: 5,
      compression: Compression.NONE,
      sizeBytes: batch.length,
    })
    expect(records.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null])).toEqual([
      [42, 1_700_000_000_000, 'k1'],
      [43, 1_700_000_000_005, null],
      [44, 1_700_000_000_003, 'k3'],
    ])
    expect(records[0]!.headers).toEqual([{ key: 'h', value: Buffer.from('x') }])
    expect(records[1]!.value).toEqual(Buffer.from([0, 255]))
    expect(records[2]!.value).toBeNull()
    expect(records[2]!.headers).toEqual([{ key: 'n\u00fcll', value: null }])
  })

  it('round-trips a gzip batch', () => {
    const batch = sampleBatch({ compression: Compression.GZIP })
    const { header, records } = decodeRecordBatch(batch)
    expect(header.compression).toBe(Compression.GZIP)
    expect(records.map((r) => r.key?.toString() ?? null)).toEqual(['k1', null, 'k3'])
    expect(validateProducedRecords(batch).ok).toBe(true)
  })

  it('refuses codecs it cannot decode with ProtocolError', () => {
    const lz4 = withHeader(sampleBatch(), (b) => b.writeInt16BE(Compression.LZ4, 21))
    expect(() => decodeRecordBatch(lz4)).toThrow(ProtocolError)
    expect(() => encodeRecordBatch({ records: [], compression: Compression.SNAPPY })).toThrow(ProtocolError)
  })

  it('detects a CRC mismatch', () => {
    const batch = sampleBatch()
    batch[batch.length - 1] ^= 1
    expect(() => decodeRecordBatch(batch)).toThrow(/CRC/)
  })

  it('decodes a batch built by kafkajs, and kafkajs decodes ours', async () => {
    const KafkaRecord = require('kafkajs/src/protocol/recordBatch/record/v0')
    const KafkaBatch = require('kafkajs/src/protocol/recordBatch/v0').RecordBatch
    const KafkaBatchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder')
    const Decoder = require('kafkajs/src/protocol/decoder')
    const theirs = await KafkaBatch({
      firstTimestamp: 1_000,
      maxTimestamp: 1_002,
      lastOffsetDelta: 1,
      records: [
        KafkaRecord({ offsetDelta: 0, timestampDelta: 0, key: Buffer.from('a'), value: Buffer.from('1'), headers: { h: 'v' } }),
        KafkaRecord({ offsetDelta: 1, timestampDelta: 2, key: null, value: Buffer.from('2') }),
      ],
    })
    const buf: Buffer = theirs.buffer
    expect(validateProducedRecords(buf)).toMatchObject({ ok: true })
    const { records } = decodeRecordBatch(buf)
    expect(records.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString()])).toEqual([
      [0, 1_000, 'a', '1'],
      [1, 1_002, null, '2'],
    ])
    expect(records[0]!.headers).toEqual([{ key: 'h', value: Buffer.from('v') }])

    const decoded = await KafkaBatchDecoder(new Decoder(sampleBatch({ baseOffset: 10 })))
    expect(decoded.records.map((r: { offset: string; key: Buffer | null }) => [r.offset, r.key?.toString() ?? null])).toEqual([
      ['10', 'k1'],
      ['11', null],
      ['12', 'k3'],
    ])
  })
})

describe('readBatchHeaders / stampBatch', () => {
  it('walks several batches and stamps offsets without breaking the CRC', () => {
    const blob = Buffer.concat([sampleBatch(), sampleBatch({ records: [{ value: 'x' }] })])
    const headers = readBatchHeaders(blob)
    expect(headers.map((h) => [h.start, h.recordsCount])).toEqual([
      [0, 3],
      [headers[0]!.sizeBytes, 1],
    ])
    stampBatch(blob, headers[1]!, 2 ** 40 + 3, 12)
    expect(headers[1]).toMatchObject({ baseOffset: 2 ** 40 + 3, partitionLeaderEpoch: 12, lastOffset: 2 ** 40 + 3 })
    const [a, b] = readBatchHeaders(blob)
    expect(b).toMatchObject({ baseOffset: 2 ** 40 + 3, partitionLeaderEpoch: 12, lastOffset: 2 ** 40 + 3 })
    expect(isBatchCrcValid(blob, a!)).toBe(true)
    expect(isBatchCrcValid(blob, b!)).toBe(true)
    expect(decodeRecordBatches(blob)[1]!.records[0]!.offset).toBe(2 ** 40 + 3)
  })

  it('stampLogAppendTime sets the type and max timestamp and recomputes the CRC', () => {
    const batch = sampleBatch()
    stampLogAppendTime(batch, 0, 1_800_000_000_000)
    const { header } = decodeRecordBatch(batch)
    expect(header.timestampType).toBe(1)
    expect(header.maxTimestamp).toBe(1_800_000_000_000)
  })

  it('throws ProtocolError on truncated or foreign input at every cut', () => {
    const batch = sampleBatch()
    for (let cut = 0; cut < batch.length; cut++) {
      expect(() => readBatchHeaders(batch.subarray(0, cut === 0 ? 1 : cut))).toThrow(ProtocolError)
      expect(() => decodeRecordBatch(batch.subarray(0, Math.max(cut, 1)))).toThrow(ProtocolError)
    }
    const magic1 = Buffer.from(batch)
    magic1[16] = 1
    expect(() => readBatchHeader(magic1)).toThrow(ProtocolError)
  })
})

describe('parseRecords', () => {
  it('rejects a count that does not match the bytes', () => {
    const batch = sampleBatch()
    const h = readBatchHeader(batch)
    expect(() => parseRecords(batch, RECORD_BATCH_OVERHEAD, batch.length, 2)).toThrow(/left after/)
    expect(() => parseRecords(batch, RECORD_BATCH_OVERHEAD, batch.length, 4)).toThrow(ProtocolError)
    expect(() => parseRecords(batch, RECORD_BATCH_OVERHEAD, batch.length, h.recordsCount)).not.toThrow()
  })
})

describe('validateProducedRecords', () => {
  const expectError = (buf: Buffer | null, code: number, opts = {}): void => {
    const res = validateProducedRecords(buf, opts)
    expect(res.ok).toBe(false)
    if (!res.ok) expect([res.errorCode, res.message]).toEqual([code, expect.any(String)])
  }

  it('accepts a well-formed batch and returns its header', () => {
    const batch = sampleBatch()
    const res = validateProducedRecords(batch)
    expect(res.ok).toBe(true)
    if (res.ok) expect(res.batches.map((b) => [b.start, b.recordsCount, b.sizeBytes])).toEqual([[0, 3, batch.length]])
  })

  it('refuses empty or missing records (INVALID_RECORD)', () => {
    expectError(null, ErrorCode.INVALID_RECORD)
    expectError(Buffer.alloc(0), ErrorCode.INVALID_RECORD)
  })

  it('refuses truncation and trailing bytes (CORRUPT_MESSAGE)', () => {
    const batch = sampleBatch()
    for (let cut = 1; cut < batch.length; cut++) {
      const res = validateProducedRecords(batch.subarray(0, cut))
      expect(res.ok, `cut ${cut}`).toBe(false)
    }
    expectError(batch.subarray(0, batch.length - 1), ErrorCode.CORRUPT_MESSAGE)
    expectError(Buffer.concat([batch, Buffer.alloc(5)]), ErrorCode.CORRUPT_MESSAGE)
  })

  it('refuses a CRC mismatch (CORRUPT_MESSAGE)', () => {
    const batch = sampleBatch()
    batch[RECORD_BATCH_OVERHEAD + 2] ^= 0x40
    expectError(batch, ErrorCode.CORRUPT_MESSAGE)
  })

  it('refuses bad sizes and magic values', () => {
    expectError(withHeader(sampleBatch(), (b) => b.writeInt32BE(10, 8)), ErrorCode.CORRUPT_MESSAGE)
    expectError(withHeader(sampleBatch(), (b) => b.writeInt32BE(30, 8)), ErrorCode.CORRUPT_MESSAGE)
    expectError(withHeader(sampleBatch(), (b) => b.writeInt8(3, 16)), ErrorCode.CORRUPT_MESSAGE)
    expectError(withHeader(sampleBatch(), (b) => b.writeInt8(1, 16)), ErrorCode.INVALID_RECORD)
    // Below v3 the bytes are read as a magic-1 message set, whose CRC-32 they fail.
    expectError(withHeader(sampleBatch(), (b) => b.writeInt8(1, 16)), ErrorCode.CORRUPT_MESSAGE, { produceVersion: 2 })
  })

  it('refuses two batches in one partition (v3+)', () => {
    expectError(Buffer.concat([sampleBatch(), sampleBatch()]), ErrorCode.INVALID_RECORD)
  })

  it('refuses inconsistent offsets and counts (INVALID_RECORD)', () => {
    expectError(withHeader(sampleBatch(), (b) => b.writeInt32BE(1, 23)), ErrorCode.INVALID_RECORD) // lastOffsetDelta
    expectError(withHeader(sampleBatch(), (b) => b.writeInt32BE(-1, 23)), ErrorCode.INVALID_RECORD)
    expectError(withHeader(sampleBatch(), (b) => b.writeInt32BE(0, 57)), ErrorCode.INVALID_RECORD) // recordsCount
    expectError(
      withHeader(sampleBatch(), (b) => {
        b.writeInt32BE(3, 23)
        b.writeInt32BE(4, 57)
      }),
      ErrorCode.INVALID_RECORD,
    ) // count matches the offsets but not the records
    expectError(sampleBatch({ baseOffset: 5 }), ErrorCode.INVALID_RECORD)
  })

  it('refuses control batches, sequence-less producer ids and LogAppendTime', () => {
    expectError(sampleBatch({ control: true }), ErrorCode.INVALID_RECORD)
    expectError(sampleBatch({ producerId: 7, baseSequence: -1 }), ErrorCode.INVALID_RECORD)
    expect(validateProducedRecords(sampleBatch({ producerId: 7, producerEpoch: 0, baseSequence: 0 })).ok).toBe(true)
    expectError(sampleBatch({ timestampType: 1 }), ErrorCode.INVALID_TIMESTAMP)
  })

  it('applies compression rules', () => {
    const zstd = withHeader(sampleBatch(), (b) => b.writeInt16BE(Compression.ZSTD, 21))
    expectError(zstd, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, { produceVersion: 6 })
    expect(validateProducedRecords(zstd, { produceVersion: 7 }).ok).toBe(true) // records not inspected
    expectError(withHeader(sampleBatch(), (b) => b.writeInt16BE(6, 21)), ErrorCode.CORRUPT_MESSAGE)
  })

  it('checks keys for compacted topics', () => {
    expectError(sampleBatch(), ErrorCode.INVALID_RECORD, { requireKeys: true })
    const refused = validateProducedRecords(sampleBatch({ records: [{ key: null, value: 'a' }, { key: 'k', value: 'b' }, { key: null, value: 'c' }] }), {
      requireKeys: true,
      topicPartition: 't-2',
    })
    expect(refused).toMatchObject({
      ok: false,
      errorCode: ErrorCode.INVALID_RECORD,
      recordErrors: [
        { batchIndex: 0, message: 'Compacted topic cannot accept message without key in topic partition t-2' },
        { batchIndex: 2, message: 'Compacted topic cannot accept message without key in topic partition t-2' },
      ],
    })
    expect(validateProducedRecords(sampleBatch({ records: [{ key: 'a', value: 'b' }] }), { requireKeys: true }).ok).toBe(true)
  })

  it('refuses malformed records inside a good header (INVALID_RECORD)', () => {
    // A record whose length varint claims more bytes than the batch holds.
    const batch = withHeader(sampleBatch(), (b) => b.writeInt8(0x7e, RECORD_BATCH_OVERHEAD))
    expectError(batch, ErrorCode.INVALID_RECORD)
  })

  it('never throws on random garbage', () => {
    let seed = 12345
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff
    const good = sampleBatch()
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.from(good)
      const flips = 1 + Math.floor(rnd() * 4)
      for (let j = 0; j < flips; j++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256)
      const fixed = rnd() < 0.5 ? withHeader(b, () => {}) : b
      expect(() => validateProducedRecords(fixed)).not.toThrow()
    }
  })
})
