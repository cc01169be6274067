import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { Partitioners } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { murmur2, partitionForKey, StickyPartitioner } from '../../../src/client/produce/partitioner.js'
import { ErrorCode } from '../../../src/protocol/errors.js'

// kafkajs's own murmur2 (the Java client's), to compare hashes directly.
const kafkajsMurmur2 = createRequire(import.meta.url)('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer | string) => number

describe('client/produce/partitioner', () => {
  it('murmur2 equals the Java client hash (kafkajs port) on keys of every length', () => {
    for (let len = 0; len < 64; len++) {
      for (let n = 0; n < 20; n++) {
        const key = randomBytes(len)
        expect(murmur2(key)).toBe(kafkajsMurmur2(key))
      }
    }
  })

  it('matches known Java values', () => {
    // Values from Kafka's UtilsTest.testMurmur2.
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ]
    for (const [text, hash] of cases) expect(murmur2(Buffer.from(text))).toBe(hash)
    expect(murmur2(Buffer.from([97, 98, 99]))).toBe(murmur2(Buffer.from('abc')))
  })

  it('picks the partition kafkajs DefaultPartitioner picks, negative hashes included', () => {
    const partitioner = Partitioners.DefaultPartitioner()
    for (const numPartitions of [1, 3, 7, 12]) {
      const partitionMetadata = Array.from({ length: numPartitions }, (_, i) => ({ partitionId: i, leader: 1, replicas: [1], isr: [1], partitionErrorCode: ErrorCode.NONE }))
      for (let n = 0; n < 500; n++) {
        const key = Buffer.from(`customer-${n}`)
        expect(partitionForKey(key, numPartitions)).toBe(partitioner({ topic: 't', partitionMetadata, message: { key, value: null } }))
      }
    }
  })

  it('sticky: one partition per run, then round-robin', () => {
    const sticky = new StickyPartitioner(3)
    const seen = [sticky.partition]
    for (let i = 0; i < 5; i++) {
      sticky.next()
      seen.push(sticky.partition)
    }
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBe((seen[i - 1]! + 1) % 3)
  })
})
