import { describe, expect, it } from 'vitest'
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from '../../../../src/client/consume/group-member/consumer-protocol.js'
import { ProtocolError } from '../../../../src/protocol/errors.js'

describe('client/consume/group-member/consumer-protocol', () => {
  it('subscription v0: golden bytes (version, topics, user data) and back', () => {
    const bytes = encodeSubscription(['ab', 'c'])
    expect(bytes.toString('hex')).toBe(
      '0000' + // version 0
        '00000002' + '0002' + '6162' + '0001' + '63' + // [ "ab", "c" ]
        '00000000', // user data: empty
    )
    expect(decodeSubscription(bytes)).toEqual({ version: 0, topics: ['ab', 'c'], userData: Buffer.alloc(0) })
    expect(decodeSubscription(encodeSubscription([], null))).toEqual({ version: 0, topics: [], userData: null })
  })

  it('assignment v0: golden bytes and back', () => {
    const bytes = encodeAssignment([{ topic: 't', partitions: [0, 2] }])
    expect(bytes.toString('hex')).toBe('0000' + '00000001' + '0001' + '74' + '00000002' + '00000000' + '00000002' + '00000000')
    expect(decodeAssignment(bytes)).toEqual({ version: 0, partitions: [{ topic: 't', partitions: [0, 2] }], userData: Buffer.alloc(0) })
    const withData = encodeAssignment([{ topic: 'x', partitions: [] }, { topic: 'y', partitions: [5] }], Buffer.from('ud'))
    expect(decodeAssignment(withData)).toEqual({
      version: 0,
      partitions: [
        { topic: 'x', partitions: [] },
        { topic: 'y', partitions: [5] },
      ],
      userData: Buffer.from('ud'),
    })
  })

  it('later versions are read by their v0 prefix (owned partitions, generation, rack ignored)', () => {
    // Subscription v3 as the Java client writes it: topics, user data (null), owned partitions, generation, rack.
    const v3 = Buffer.concat([
      Buffer.from('0003' + '00000001' + '0001' + '74' + 'ffffffff', 'hex'),
      Buffer.from('00000001' + '0001' + '74' + '00000001' + '00000003', 'hex'), // owned t:[3]
      Buffer.from('00000007' + 'ffff', 'hex'), // generation 7, rack null
    ])
    expect(decodeSubscription(v3)).toEqual({ version: 3, topics: ['t'], userData: null })
    // Assignment v1 is v0's layout.
    const v1 = Buffer.from('0001' + '00000001' + '0001' + '74' + '00000001' + '00000004' + 'ffffffff', 'hex')
    expect(decodeAssignment(v1)).toEqual({ version: 1, partitions: [{ topic: 't', partitions: [4] }], userData: null })
  })

  it('an empty assignment (no bytes) is no partitions; a subscription without user data is read', () => {
    expect(decodeAssignment(Buffer.alloc(0))).toEqual({ version: 0, partitions: [], userData: null })
    expect(decodeSubscription(Buffer.from('0000' + '00000001' + '0001' + '74', 'hex'))).toEqual({ version: 0, topics: ['t'], userData: null })
  })

  it('truncated or malformed bytes: a ProtocolError, never a crash', () => {
    const good = encodeAssignment([{ topic: 'topic', partitions: [1, 2, 3] }])
    for (let n = 1; n < good.length - 4; n++) expect(() => decodeAssignment(good.subarray(0, n))).toThrow(ProtocolError)
    const sub = encodeSubscription(['topic'])
    for (let n = 1; n < sub.length - 4; n++) expect(() => decodeSubscription(sub.subarray(0, n))).toThrow(ProtocolError)
    // A huge topic count in a few bytes fails before allocating.
    expect(() => decodeSubscription(Buffer.from('0000' + '7fffffff', 'hex'))).toThrow(ProtocolError)
  })
})
