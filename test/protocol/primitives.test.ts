/**
 * Reader and Writer: every primitive's encoding (against known bytes where Kafka fixes them),
 * bounds checks that throw ProtocolError and nothing else, views instead of copies, and the
 * Writer's chunking (large buffers by reference, growth, size patching).
 */
import { describe, expect, it } from 'vitest'
import { ProtocolError } from '../../src/protocol/errors.js'
import { Reader, Writer, ZERO_UUID, chunksLength, concatChunks } from '../../src/protocol/primitives.js'

const bytesOf = (fill: (w: Writer) => void): Buffer => {
  const w = new Writer()
  fill(w)
  return concatChunks(w.finish())
}

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex')

function expectProtocolError(fn: () => unknown, code?: string): void {
  let thrown: unknown
  try {
    fn()
  } catch (error) {
    thrown = error
  }
  expect(thrown).toBeInstanceOf(ProtocolError)
  if (code) expect((thrown as ProtocolError).code).toBe(code)
}

describe('fixed-width integers', () => {
  it('round-trip at their edges', () => {
    const buf = bytesOf((w) =>
      w.int8(-128).int8(127).int16(-32768).int16(32767).uint16(65535).int32(-(2 ** 31)).int32(2 ** 31 - 1).uint32(2 ** 32 - 1).float64(-1.5).bool(true).bool(false),
    )
    const r = new Reader(buf)
    expect([r.int8(), r.int8(), r.int16(), r.int16(), r.uint16(), r.int32(), r.int32(), r.uint32(), r.float64(), r.bool(), r.bool()]).toEqual([
      -128, 127, -32768, 32767, 65535, -(2 ** 31), 2 ** 31 - 1, 2 ** 32 - 1, -1.5, true, false,
    ])
    expect(r.remaining).toBe(0)
  })

  it('reads any non-zero byte as true, as Kafka does', () => {
    expect(new Reader(hex('07')).bool()).toBe(true)
  })

  it('int64 is exact to 2^53 and clamps beyond', () => {
    const values = [0, -1, 1, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 32, -(2 ** 32) - 5, 1_700_000_000_000]
    const buf = bytesOf((w) => values.forEach((v) => w.int64(v)))
    const r = new Reader(buf)
    expect(values.map(() => r.int64())).toEqual(values)
    expect(bytesOf((w) => w.int64(-1))).toEqual(hex('ffffffffffffffff'))
    // Long.MAX_VALUE read as a number rounds to 2^63, and writes back as Long.MAX_VALUE.
    const max = hex('7fffffffffffffff')
    const asNumber = new Reader(max).int64()
    expect(asNumber).toBe(2 ** 63)
    expect(bytesOf((w) => w.int64(asNumber))).toEqual(max)
    expect(bytesOf((w) => w.int64(-(2 ** 63)))).toEqual(hex('8000000000000000'))
    expect(() => bytesOf((w) => w.int64(1.5))).toThrow(TypeError)
  })
})

describe('varints', () => {
  it('unsigned varints match known encodings', () => {
    const cases: [number, string][] = [
      [0, '00'],
      [1, '01'],
      [127, '7f'],
      [128, '8001'],
      [300, 'ac02'],
      [16384, '808001'],
      [2 ** 32 - 1, 'ffffffff0f'],
    ]
    for (const [v, h] of cases) {
      expect(bytesOf((w) => w.uvarint(v)).toString('hex')).toBe(h)
      expect(new Reader(hex(h)).uvarint()).toBe(v)
    }
  })

  it('zigzag varints and varlongs match known encodings', () => {
    const cases: [number, string][] = [
      [0, '00'],
      [-1, '01'],
      [1, '02'],
      [-64, '7f'],
      [64, '8001'],
      [2 ** 31 - 1, 'feffffff0f'],
      [-(2 ** 31), 'ffffffff0f'],
    ]
    for (const [v, h] of cases) {
      expect(bytesOf((w) => w.varint(v)).toString('hex')).toBe(h)
      expect(new Reader(hex(h)).varint()).toBe(v)
      expect(bytesOf((w) => w.varlong(v)).toString('hex')).toBe(h)
      expect(new Reader(hex(h)).varlong()).toBe(v)
    }
    for (const v of [2 ** 53 - 1, -(2 ** 53), 2 ** 60, -(2 ** 60), 1_700_000_000_000, -1_700_000_000_000]) {
      expect(new Reader(bytesOf((w) => w.varlong(v))).varlong()).toBe(v)
    }
  })

  it('too-long or oversize varints are ProtocolErrors', () => {
    expectProtocolError(() => new Reader(hex('ffffffff7f')).uvarint(), 'INVALID_LENGTH') // > 2^32-1
    expectProtocolError(() => new Reader(hex('8080808080')).uvarint(), 'INVALID_LENGTH') // 6th byte needed
    expectProtocolError(() => new Reader(hex('80808080808080808080')).varlong(), 'INVALID_LENGTH')
    expectProtocolError(() => new Reader(hex('80')).uvarint(), 'TRUNCATED')
    expectProtocolError(() => new Reader(hex('8080')).varlong(), 'TRUNCATED')
  })
})

describe('strings and bytes', () => {
  it('round-trip classic and compact forms, null and unicode', () => {
    const buf = bytesOf((w) =>
      w.string('').string('h\u00e9\u4e2d').nullableString(null).compactString('x').compactNullableString(null).compactNullableString(''),
    )
    expect(buf.subarray(0, 2)).toEqual(hex('0000'))
    const r = new Reader(buf)
    expect([r.string(), r.string(), r.nullableString(), r.compactString(), r.compactNullableString(), r.compactNullableString()]).toEqual([
      '',
      'h\u00e9\u4e2d',
      null,
      'x',
      null,
      '',
    ])
  })

  it('rejects null in non-nullable forms and impossible lengths', () => {
    expectProtocolError(() => new Reader(hex('ffff')).string(), 'INVALID_VALUE')
    expectProtocolError(() => new Reader(hex('fffe')).nullableString(), 'INVALID_LENGTH')
    expectProtocolError(() => new Reader(hex('0005414243')).string(), 'TRUNCATED')
    expectProtocolError(() => new Reader(hex('00')).compactString(), 'INVALID_VALUE')
    expectProtocolError(() => new Reader(hex('ffffffff')).bytes(), 'INVALID_VALUE')
    expectProtocolError(() => new Reader(hex('fffffffe')).nullableBytes(), 'INVALID_LENGTH')
    expectProtocolError(() => new Reader(hex('7fffffff00')).bytes(), 'TRUNCATED')
    expectProtocolError(() => new Reader(hex('ffffffff0f')).compactBytes(), 'TRUNCATED')
  })

  it('returns bytes as views of the input, not copies', () => {
    const buf = bytesOf((w) => w.bytes(Buffer.from('abc')).compactNullableBytes(Buffer.from('de')).nullableBytes(null))
    const r = new Reader(buf)
    const a = r.bytes()
    const b = r.compactNullableBytes()
    expect(r.nullableBytes()).toBeNull()
    expect([a.toString(), b?.toString()]).toEqual(['abc', 'de'])
    expect(a.buffer).toBe(buf.buffer)
    buf[4] = 0x41
    expect(a.toString()).toBe('Abc')
  })

  it('uuids are 32 lowercase hex characters', () => {
    const id = '0123456789abcdef0123456789abcdef'
    const buf = bytesOf((w) => w.uuid(id.toUpperCase()).uuid(ZERO_UUID))
    const r = new Reader(buf)
    expect([r.uuid(), r.uuid()]).toEqual([id, ZERO_UUID])
    expect(() => bytesOf((w) => w.uuid('xyz'))).toThrow(TypeError)
  })

  it("uuids travel as Kafka's Uuid does: the most significant long, then the least, big-endian", () => {
    const kafka = Buffer.alloc(16)
    kafka.writeBigUInt64BE(0x0123456789abcdefn, 0)
    kafka.writeBigUInt64BE(0xfedcba9876543210n, 8)
    expect(bytesOf((w) => w.uuid('0123456789abcdeffedcba9876543210')).equals(kafka)).toBe(true)
  })
})

describe('arrays and tagged fields', () => {
  it('bounds a claimed array length by the remaining bytes before allocating', () => {
    expectProtocolError(() => new Reader(hex('7fffffff')).arrayLength(false, 4), 'TRUNCATED')
    expectProtocolError(() => new Reader(hex('ffffff7f')).arrayLength(true, 1), 'TRUNCATED')
    expectProtocolError(() => new Reader(hex('fffffffe')).arrayLength(false, 1), 'INVALID_LENGTH')
    expect(new Reader(hex('ffffffff')).arrayLength(false, 1)).toBe(-1)
    expect(new Reader(hex('00')).arrayLength(true, 1)).toBe(-1)
    expect(new Reader(hex('01')).arrayLength(true, 1)).toBe(0)
  })

  it('skips unknown tags and bounds each field', () => {
    // 2 fields: tag 1 size 2 [aa bb], tag 5 size 1 [cc]; then one trailing byte.
    const r = new Reader(hex('02 01 02 aabb 05 01 cc ee'))
    const seen: [number, string][] = []
    r.taggedFields((tag, field) => {
      if (tag === 5) seen.push([tag, field.raw(field.remaining).toString('hex')])
    })
    expect(seen).toEqual([[5, 'cc']])
    expect(r.int8()).toBe(-18)
    expectProtocolError(() => new Reader(hex('01 01 05 aa')).taggedFields(), 'TRUNCATED')
    expectProtocolError(() => new Reader(hex('05 0000')).taggedFields(), 'TRUNCATED')
  })
})

describe('Writer', () => {
  it('appends large buffers by reference and copies small ones', () => {
    const big = Buffer.alloc(1000, 7)
    const small = Buffer.from([1, 2, 3])
    const w = new Writer()
    w.int32(1).raw(big).raw(small).int8(9)
    expect(w.length).toBe(4 + 1000 + 3 + 1)
    const chunks = w.finish()
    expect(chunks).toContain(big)
    expect(chunks.includes(small)).toBe(false)
    expect(chunksLength(chunks)).toBe(1008)
  })

  it('keeps earlier bytes intact when the scratch buffer grows (tiny scratch)', () => {
    const w = new Writer(4)
    for (let i = 0; i < 200; i++) w.int32(i).compactString(`s${i}`).uvarint(i * 1000).int8(i & 0x7f)
    const r = new Reader(concatChunks(w.finish()))
    for (let i = 0; i < 200; i++) {
      expect([r.int32(), r.compactString(), r.uvarint(), r.int8()]).toEqual([i, `s${i}`, i * 1000, i & 0x7f])
    }
    expect(r.remaining).toBe(0)
  })

  it('patches a reserved int32 after later writes spilled to new chunks', () => {
    const w = new Writer(8)
    const slot = w.reserveInt32()
    w.raw(Buffer.alloc(500, 1)).int64(5).string('tail')
    w.patchInt32(slot, w.length - 4)
    const out = concatChunks(w.finish())
    expect(out.readInt32BE(0)).toBe(out.length - 4)
  })

  it('cannot be used after finish()', () => {
    const w = new Writer()
    w.finish()
    expect(() => w.int8(1)).toThrow()
  })
})

describe('Reader', () => {
  it('respects an end bound inside a larger buffer', () => {
    const r = new Reader(hex('0001 0002'), 0, 2)
    expect(r.int16()).toBe(1)
    expectProtocolError(() => r.int16(), 'TRUNCATED')
  })
})
