import { describe, expect, it } from 'vitest'
import { ErrorCode, ProtocolError, errorName, isKnownErrorCode, isRetriable } from '../../src/protocol/errors.js'

describe('Kafka error codes', () => {
  it('names codes and knows which are retriable', () => {
    expect(ErrorCode.NONE).toBe(0)
    expect(ErrorCode.UNKNOWN_SERVER_ERROR).toBe(-1)
    expect(ErrorCode.NOT_LEADER_OR_FOLLOWER).toBe(6)
    expect(ErrorCode.UNSUPPORTED_VERSION).toBe(35)
    expect(ErrorCode.MEMBER_ID_REQUIRED).toBe(79)
    expect(ErrorCode.INVALID_RECORD).toBe(87)
    expect(errorName(6)).toBe('NOT_LEADER_OR_FOLLOWER')
    expect(errorName(99)).toBe('UNKNOWN_ERROR_99')
    expect(isRetriable(ErrorCode.NOT_LEADER_OR_FOLLOWER)).toBe(true)
    expect(isRetriable(ErrorCode.LEADER_NOT_AVAILABLE)).toBe(true)
    expect(isRetriable(ErrorCode.TOPIC_ALREADY_EXISTS)).toBe(false)
    expect(isRetriable(12345)).toBe(false)
    expect(isKnownErrorCode(128)).toBe(true)
    expect(isKnownErrorCode(99)).toBe(false)
  })

  it('has unique codes and names', () => {
    const names = Object.keys(ErrorCode)
    const codes = Object.values(ErrorCode)
    expect(new Set(codes).size).toBe(codes.length)
    for (const name of names) expect(errorName(ErrorCode[name as keyof typeof ErrorCode])).toBe(name)
  })

  it('ProtocolError carries a string code', () => {
    const e = new ProtocolError('TRUNCATED', 'x')
    expect(e).toBeInstanceOf(Error)
    expect([e.name, e.code, e.message]).toEqual(['ProtocolError', 'TRUNCATED', 'x'])
  })
})
