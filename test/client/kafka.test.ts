import { describe, expect, it } from 'vitest'
import { retryRetriable, toClusterError } from '../../src/client/kafka.js'
import { ErrorCode } from '../../src/protocol/errors.js'

const target = { bootstrapBrokers: ['127.0.0.1:9092', '127.0.0.1:9093', '127.0.0.1:9094'], local: true }
const refused = (hostPort: string): Error =>
  Object.assign(new Error('Connection failed'), {
    code: 'PLT_KFK_NETWORK',
    errors: [Object.assign(new Error(`Connection to ${hostPort} failed.`), { code: 'PLT_KFK_NETWORK' })],
  })

describe('client/kafka', () => {
  it('names the broker that does not answer when the others do', () => {
    const e = toClusterError(refused('127.0.0.1:9093'), target, 'listing the offsets of "t"')
    expect(e.code).toBe('CLUSTER_UNREACHABLE')
    expect(e.message).toBe('the broker at 127.0.0.1:9093 does not answer (listing the offsets of "t"); the others do')
  })

  it('says "the cluster" when no broker is named', () => {
    const e = toClusterError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), target, 'reading')
    expect(e.message).toMatch(/^cannot reach the cluster at 127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094/)
  })

  it('retries a network failure until it succeeds, refreshing in between', async () => {
    let attempts = 0
    let refreshes = 0
    const got = await retryRetriable(
      async () => {
        if (++attempts < 3) throw refused('127.0.0.1:9093')
        return 'ok'
      },
      { refresh: async () => refreshes++ },
    )
    expect(got).toBe('ok')
    expect(attempts).toBe(3)
    expect(refreshes).toBe(2)
  })

  it('does not retry an unknown topic, and gives up after the window', async () => {
    let attempts = 0
    const unknown = Object.assign(new Error('unknown'), { apiCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION })
    await expect(retryRetriable(async () => { attempts++; throw unknown })).rejects.toBe(unknown)
    expect(attempts).toBe(1)
    await expect(retryRetriable(async () => { throw refused('h:1') }, { windowMs: 0 })).rejects.toThrow('Connection failed')
  })
})
