import { describe, expect, it } from 'vitest'
import { BatchBuilder, type BuilderOptions } from '../../../src/client/produce/batch-builder.js'
import { parseKeyPath } from '../../../src/client/produce/key-path.js'
import { partitionForKey } from '../../../src/client/produce/partitioner.js'

function builder(over: Partial<BuilderOptions> = {}): { b: BatchBuilder; notes: string[] } {
  const notes: string[] = []
  const b = new BatchBuilder({
    topic: 't',
    mode: { kind: 'plain' },
    headers: [],
    partition: undefined,
    numPartitions: 3,
    recordBytesMax: 1000,
    batchRecordsMax: 100,
    batchBytesMax: 10_000,
    note: (m) => notes.push(m),
    ...over,
  })
  return { b, notes }
}

const add = (b: BatchBuilder, line: string, lineNo = 1) => {
  const buf = Buffer.from(`>${line}<`)
  return b.add(buf, 1, buf.length - 1, lineNo, /^[\x00-\x7f]*$/.test(line))
}

describe('client/produce/batch-builder', () => {
  it('keeps a line\'s bytes as the value, and refuses what is not JSON with the engine\'s reason', () => {
    const { b } = builder()
    expect(add(b, '{ "a" : 1.50 }')).toBeUndefined()
    expect(add(b, '{"a":', 2)).toMatchObject({ lineNo: 2, code: 'BAD_INPUT', reason: expect.stringMatching(/^not valid JSON: /) })
    const [batch] = b.takeAll()
    expect(batch!.messages.map((m) => m.value!.toString())).toEqual(['{ "a" : 1.50 }'])
    expect(batch!.bytes).toBe(14)
  })

  it('refuses bytes that are not UTF-8', () => {
    const { b } = builder()
    const buf = Buffer.from([0x22, 0xff, 0x22])
    expect(b.add(buf, 0, 3, 4, false)).toMatchObject({ lineNo: 4, code: 'BAD_INPUT', reason: expect.stringMatching(/UTF-8/) })
  })

  it('refuses a record larger than the topic takes, naming the limit', () => {
    const { b } = builder({ recordBytesMax: 100 })
    expect(add(b, JSON.stringify('x'.repeat(200)), 9)).toMatchObject({ lineNo: 9, code: 'RECORD_TOO_LARGE', reason: expect.stringContaining('100') })
  })

  it('keys records by path and partitions them with murmur2; counts missing keys', () => {
    const { b } = builder({ mode: { kind: 'key', path: parseKeyPath('.c.id') } })
    add(b, '{"c":{"id":"k1"}}')
    add(b, '{"c":{"id":7}}')
    add(b, '{"c":{}}')
    const [batch] = b.takeAll()
    const [m1, m2, m3] = batch!.messages
    expect(m1!.key!.toString()).toBe('k1')
    expect(m1!.partition).toBe(partitionForKey(Buffer.from('k1'), 3))
    expect(m2!.key!.toString()).toBe('7')
    expect(m3!.key).toBeNull()
    expect(b.nullKeys).toBe(1)
  })

  it('"." keys a record by its whole value, as read', () => {
    const { b } = builder({ mode: { kind: 'key', path: parseKeyPath('.') } })
    add(b, '{ "x": 1 }')
    expect(b.takeAll()[0]!.messages[0]!.key!.toString()).toBe('{ "x": 1 }')
  })

  it('closes batches by records and by bytes; unkeyed records stick to one partition per batch', () => {
    const { b } = builder({ batchRecordsMax: 3, batchBytesMax: 10_000 })
    for (let i = 0; i < 7; i++) add(b, `{"i":${i}}`, i + 1)
    const full = b.takeFull()
    expect(full.map((x) => x.messages.length)).toEqual([3, 3])
    const rest = b.takeAll()
    expect(rest.map((x) => x.messages.length)).toEqual([1])
    const batches = [...full, ...rest]
    for (const x of batches) expect(new Set(x.messages.map((m) => m.partition)).size).toBe(1)
    expect((batches[1]!.messages[0]!.partition! - batches[0]!.messages[0]!.partition! + 3) % 3).toBe(1)
    expect(batches.map((x) => [x.firstLineNo, x.lastLineNo])).toEqual([[1, 3], [4, 6], [7, 7]])
    expect(batches[0]!.perPartition.reduce((a, n) => a + n, 0)).toBe(3)

    const small = builder({ batchBytesMax: 100 }).b
    for (let i = 0; i < 4; i++) add(small, `{"i":${i}}`)
    expect(small.takeAll().map((x) => x.messages.length)).toEqual([2, 2])
  })

  it('--partition sends everything to one partition; --header adds headers', () => {
    const { b } = builder({ partition: 2, headers: [['src', 'cli'], ['run', '7']] })
    add(b, '1')
    add(b, '2')
    const [batch] = b.takeAll()
    for (const m of batch!.messages) {
      expect(m.partition).toBe(2)
      expect([...(m.headers as Map<Buffer, Buffer>)].map(([k, v]) => `${k}=${v}`)).toEqual(['src=cli', 'run=7'])
    }
  })

  it('reads envelopes: key, value bytes, headers (repeated names kept), timestamp, partition', () => {
    const { b, notes } = builder({ mode: { kind: 'envelope' }, headers: [['x', 'y']] })
    add(b, '{"topic":"a","partition":1,"offset":5,"timestamp":1700000000000,"key":"k","value":{"b": 2},"headers":[["h","1"],["h","2"]]}')
    add(b, '{"key":null,"value":"text","valueEncoding":"string","partition":9}', 2)
    add(b, '{"key":null,"value":null}', 3)
    add(b, '{"key":null,"value":"x","partition":10}', 4)
    expect(add(b, '{"key":1,"value":2}', 5)).toMatchObject({ code: 'BAD_INPUT', reason: expect.stringMatching(/^not a valid envelope: /) })
    expect(add(b, '{"key":', 6)).toMatchObject({ code: 'BAD_INPUT', reason: expect.stringMatching(/^not valid JSON: /) })
    const [batch] = b.takeAll()
    const [m1, m2, m3] = batch!.messages
    expect(m1!.partition).toBe(1)
    expect(m1!.key!.toString()).toBe('k')
    expect(m1!.value!.toString()).toBe('{"b": 2}')
    expect(m1!.timestamp).toBe(1700000000000n)
    expect([...(m1!.headers as Map<Buffer, Buffer>)].map(([k, v]) => `${k}=${v}`)).toEqual(['h=1', 'h=2', 'x=y'])
    expect(m2!.value!.toString()).toBe('text')
    expect(m2!.partition).toBeLessThan(3)
    expect(m3!.value).toBeNull()
    expect(notes).toHaveLength(1)
    expect(notes[0]).toMatch(/line 2: partition 9 does not exist/)
  })

  it('endTransaction closes the batch of the last record and marks it as the end of a transaction', () => {
    const { b } = builder({ batchRecordsMax: 2 })
    for (let i = 1; i <= 3; i++) add(b, String(i), i)
    b.endTransaction()
    add(b, '4', 4)
    const batches = b.takeAll()
    expect(batches.map((x) => [x.firstLineNo, x.lastLineNo, x.endsTransaction === true])).toEqual([
      [1, 2, false],
      [3, 3, true],
      [4, 4, false],
    ])
  })
})
