/**
 * Message formats v0 and v1 (message-set.ts): the bytes of a message laid out by hand from Kafka's
 * spec, round trips of both magics, compressed wrappers (v1's relative inner offsets, LogAppendTime
 * wrappers), truncation; and the conversions (message-format-conversion.ts): a produced message set
 * up to one v2 batch with Kafka's refusals, stored v2 batches down to magic 0 and 1.
 */
import { crc32 } from '@node-rs/crc32'
import { describe, expect, it } from 'vitest'
import { ErrorCode, ProtocolError } from '../../src/protocol/errors.js'
import { Compression, TimestampType, readBatchHeader } from '../../src/protocol/batch-layout.js'
import { decodeRecordBatch, encodeRecordBatch } from '../../src/protocol/record-batch.js'
import { encodeControlBatch } from '../../src/protocol/control-batch.js'
import { encodeMessageSet, innerMessages, readMessageSet, MAGIC_V0, MAGIC_V1 } from '../../src/protocol/message-set.js'
import { downConvertBatch, upConvertMessageSet } from '../../src/protocol/message-format-conversion.js'
import { validateProducedRecords } from '../../src/protocol/produce-validation.js'

const b = (s: string): Buffer => Buffer.from(s)
const T0 = 1_700_000_000_000

describe('protocol/message-set', () => {
  it('writes a v0 and a v1 message as the spec lays them out', () => {
    const v0 = encodeMessageSet(MAGIC_V0, [{ offset: 7, timestamp: T0, key: null, value: b('hi') }])
    const body0 = Buffer.from([0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 2, 0x68, 0x69]) // magic, attributes, key -1, value
    const crc0 = Buffer.alloc(4)
    crc0.writeUInt32BE(crc32(body0) >>> 0)
    expect(v0.toString('hex')).toBe('0000000000000007' + '00000010' + crc0.toString('hex') + body0.toString('hex'))

    const v1 = encodeMessageSet(MAGIC_V1, [{ offset: 0, timestamp: T0, key: b('k'), value: null }])
    const ts = Buffer.alloc(8)
    ts.writeBigInt64BE(BigInt(T0))
    const body1 = Buffer.concat([Buffer.from([1, 0]), ts, Buffer.from([0, 0, 0, 1, 0x6b, 0xff, 0xff, 0xff, 0xff])])
    expect(v1.subarray(16).equals(body1)).toBe(true)
    expect(v1.readUInt32BE(12)).toBe(crc32(body1) >>> 0)
  })

  it('reads back what it writes, both magics, uncompressed and gzip', () => {
    const messages = [
      { offset: 10, timestamp: T0, key: b('a'), value: b('1') },
      { offset: 11, timestamp: T0 + 5, key: null, value: null },
      { offset: 12, timestamp: T0 + 2, key: b(''), value: b('333') },
    ]
    for (const magic of [MAGIC_V0, MAGIC_V1]) {
      const plain = readMessageSet(encodeMessageSet(magic, messages))
      expect(plain.map((m) => [m.offset, m.magic, m.key?.toString() ?? null, m.value?.toString() ?? null, m.crcValid])).toEqual([
        [10, magic, 'a', '1', true],
        [11, magic, null, null, true],
        [12, magic, '', '333', true],
      ])
      expect(plain.map((m) => m.timestamp)).toEqual(magic === MAGIC_V0 ? [-1, -1, -1] : [T0, T0 + 5, T0 + 2])

      const [wrapper, ...rest] = readMessageSet(encodeMessageSet(magic, messages, { codec: Compression.GZIP }))
      expect(rest).toEqual([])
      // The wrapper stands at the last offset; v1 carries the largest timestamp.
      expect([wrapper!.offset, wrapper!.attributes & 7, wrapper!.key, wrapper!.timestamp]).toEqual([12, 1, null, magic === MAGIC_V0 ? -1 : T0 + 5])
      const inner = innerMessages(wrapper!)
      expect(inner.map((m) => [m.offset, m.value?.toString() ?? null])).toEqual([
        [10, '1'],
        [11, null],
        [12, '333'],
      ])
    }
  })

  it("resolves v1's relative inner offsets against the wrapper, and gives inner messages a LogAppendTime wrapper's time", () => {
    const set = encodeMessageSet(MAGIC_V1, [{ offset: 0, timestamp: 5, key: null, value: b('x') }, { offset: 1, timestamp: 6, key: null, value: b('y') }], {
      codec: Compression.GZIP,
      logAppendTimeMs: T0,
    })
    // As stored by a broker: the wrapper's offset rewritten to the last inner message's absolute one.
    set.writeBigInt64BE(41n, 0)
    const inner = innerMessages(readMessageSet(set)[0]!)
    expect(inner.map((m) => [m.offset, m.timestamp])).toEqual([
      [40, T0],
      [41, T0],
    ])
  })

  it('refuses truncated and malformed sets, or stops at a partial last entry when asked', () => {
    const set = encodeMessageSet(MAGIC_V1, [{ offset: 0, timestamp: T0, key: null, value: b('abc') }, { offset: 1, timestamp: T0, key: null, value: b('def') }])
    const cut = set.subarray(0, set.length - 2)
    expect(() => readMessageSet(cut)).toThrow(ProtocolError)
    expect(readMessageSet(cut, { partialTail: true }).length).toBe(1)
    const badLength = Buffer.from(set)
    badLength.writeInt32BE(100, 12 + 4 + 1 + 1 + 8) // the first key's length, past the message
    expect(() => readMessageSet(badLength)).toThrow(ProtocolError)
    const corrupt = Buffer.from(set)
    corrupt[corrupt.length - 1] ^= 1
    expect(readMessageSet(corrupt).map((m) => m.crcValid)).toEqual([true, false])
  })
})

describe('protocol/message-format-conversion up (Produce v0-2)', () => {
  const messages = [
    { offset: 0, timestamp: T0, key: b('k1'), value: b('v1') },
    { offset: 1, timestamp: T0 + 9, key: b('k2'), value: b('v2') },
  ]

  it('turns a message set of either magic, compressed or not, into one v2 batch at offset 0', () => {
    for (const magic of [MAGIC_V0, MAGIC_V1]) {
      for (const codec of [Compression.NONE, Compression.GZIP]) {
        const res = validateProducedRecords(encodeMessageSet(magic, messages, { codec }), { produceVersion: magic === MAGIC_V0 ? 0 : 2 })
        expect(res.ok).toBe(true)
        if (!res.ok) continue
        const { header, records } = decodeRecordBatch(res.bytes)
        expect([header.compression, header.baseOffset, header.recordsCount, header.timestampType, header.producerId]).toEqual([codec, 0, 2, TimestampType.CREATE_TIME, -1])
        expect(records.map((r) => [r.offset, r.key?.toString(), r.value?.toString(), r.timestamp, r.headers])).toEqual([
          [0, 'k1', 'v1', magic === MAGIC_V0 ? -1 : T0, []],
          [1, 'k2', 'v2', magic === MAGIC_V0 ? -1 : T0 + 9, []],
        ])
        expect(res.batches).toEqual([readBatchHeader(res.bytes)])
      }
    }
  })

  it('stamps LogAppendTime when the topic keeps it', () => {
    const res = upConvertMessageSet(encodeMessageSet(MAGIC_V0, messages), 0, { logAppendTimeMs: T0 + 100 })
    expect(res.ok && [res.batch.timestampType, res.batch.maxTimestamp]).toEqual([TimestampType.LOG_APPEND_TIME, T0 + 100])
  })

  it("refuses what Kafka's LogValidator refuses, with its codes", () => {
    const code = (buf: Buffer, opts = {}): number | undefined => {
      const res = validateProducedRecords(buf, { produceVersion: 2, ...opts })
      return res.ok ? undefined : res.errorCode
    }
    const v1 = encodeMessageSet(MAGIC_V1, messages)
    const corrupt = Buffer.from(v1)
    corrupt[corrupt.length - 1] ^= 1
    expect(code(corrupt)).toBe(ErrorCode.CORRUPT_MESSAGE)
    expect(code(v1.subarray(0, v1.length - 1))).toBe(ErrorCode.CORRUPT_MESSAGE)
    expect(code(Buffer.concat([encodeMessageSet(MAGIC_V0, messages), v1]))).toBe(ErrorCode.INVALID_RECORD) // mixed magics
    const gz = encodeMessageSet(MAGIC_V1, messages, { codec: Compression.GZIP })
    expect(code(Buffer.concat([gz, gz]))).toBe(ErrorCode.INVALID_RECORD) // two wrappers
    expect(code(encodeMessageSet(MAGIC_V1, messages, { logAppendTimeMs: T0 }))).toBe(ErrorCode.INVALID_TIMESTAMP)
    expect(code(v1, { produceVersion: 3 })).toBe(ErrorCode.INVALID_RECORD)
    expect(code(Buffer.concat([encodeRecordBatch({ records: [{ value: 'x' }] }), v1]))).toBe(ErrorCode.INVALID_RECORD)
    const zstd = Buffer.from(v1)
    zstd.writeInt8(4, 17)
    zstd.writeUInt32BE(crc32(zstd.subarray(16, v1.readInt32BE(8) + 12)) >>> 0, 12)
    expect(code(zstd)).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE)
    const keyless = validateProducedRecords(encodeMessageSet(MAGIC_V0, [messages[0]!, { ...messages[1]!, key: null }]), { produceVersion: 0, requireKeys: true, topicPartition: 't-0' })
    expect(keyless.ok || [keyless.errorCode, keyless.recordErrors?.map((e) => e.batchIndex)]).toEqual([ErrorCode.INVALID_RECORD, [1]])
  })
})

describe('protocol/message-format-conversion up, on hostile bytes', () => {
  it('answers an error code, never throws, for mutated message sets (CRCs fixed so the mutation is read)', () => {
    let seed = 12345
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed % n
    }
    const sources = [MAGIC_V0, MAGIC_V1].flatMap((magic) =>
      [Compression.NONE, Compression.GZIP].map((codec) =>
        encodeMessageSet(magic, [{ offset: 0, timestamp: T0, key: b('key'), value: b('value') }, { offset: 1, timestamp: T0, key: null, value: b('v') }], { codec }),
      ),
    )
    for (let i = 0; i < 400; i++) {
      const buf = Buffer.from(sources[i % sources.length]!)
      for (let j = 0; j <= random(3); j++) buf[random(buf.length)] = random(256)
      // The first message's CRC, recomputed when its size still fits.
      const size = buf.readInt32BE(8)
      if (size >= 14 && 12 + size <= buf.length) buf.writeUInt32BE(crc32(buf.subarray(16, 12 + size)) >>> 0, 12)
      const res = validateProducedRecords(buf.subarray(0, buf.length - random(2) * random(buf.length)), { produceVersion: 2 })
      if (!res.ok) expect(res.errorCode).toBeGreaterThan(0)
    }
  })
})

describe('protocol/message-format-conversion down (Fetch v0-3)', () => {
  const stored = encodeRecordBatch({
    baseOffset: 100,
    baseTimestamp: T0,
    records: [
      { key: 'a', value: '1', headers: [{ key: 'h', value: 'x' }] },
      { key: null, value: '2', timestampDelta: 3 },
      { key: 'c', value: null, timestampDelta: 1 },
    ],
  })

  it('gives one message per record of an uncompressed batch, from the fetch offset on, headers dropped', () => {
    const v1 = readMessageSet(downConvertBatch(stored, MAGIC_V1, 101))
    expect(v1.map((m) => [m.offset, m.magic, m.timestamp, m.key?.toString() ?? null, m.value?.toString() ?? null, m.crcValid])).toEqual([
      [101, 1, T0 + 3, null, '2', true],
      [102, 1, T0 + 1, 'c', null, true],
    ])
    const v0 = readMessageSet(downConvertBatch(stored, MAGIC_V0, 0))
    expect(v0.map((m) => [m.offset, m.magic, m.timestamp])).toEqual([
      [100, 0, -1],
      [101, 0, -1],
      [102, 0, -1],
    ])
  })

  it('gives one wrapper for a compressed batch, all its records kept; LogAppendTime carried', () => {
    const gz = encodeRecordBatch({ baseOffset: 7, baseTimestamp: T0, compression: Compression.GZIP, timestampType: 1, maxTimestamp: T0 + 50, records: [{ value: 'x' }, { value: 'y' }] })
    const [wrapper, ...rest] = readMessageSet(downConvertBatch(gz, MAGIC_V1, 8))
    expect(rest).toEqual([])
    expect([wrapper!.offset, wrapper!.attributes]).toEqual([8, Compression.GZIP | 0x08])
    expect(innerMessages(wrapper!).map((m) => [m.offset, m.timestamp, m.value?.toString()])).toEqual([
      [7, T0 + 50, 'x'],
      [8, T0 + 50, 'y'],
    ])
  })

  it('drops control batches and refuses zstd', () => {
    const marker = encodeControlBatch({ producerId: 9, producerEpoch: 0, committed: true, coordinatorEpoch: 0, timestampMs: T0 })
    expect(downConvertBatch(marker, MAGIC_V1, 0).length).toBe(0)
    const zstd = Buffer.from(stored)
    zstd.writeInt16BE(Compression.ZSTD, 21)
    expect(() => downConvertBatch(zstd, MAGIC_V1, 0)).toThrow(/zstd/)
  })
})
