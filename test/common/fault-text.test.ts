import { describe, expect, it } from 'vitest'
import { describeFault } from '../../src/common/fault-text.js'

describe('common/fault-text: one text per fault, for fault add, fault list and the fault.added event', () => {
  it('latency on a broker (with jitter) or a link; a cut link', () => {
    expect(describeFault({ kind: 'latency', broker: 2, latencyMs: 50, jitterMs: 20 })).toBe('latency 50±20 ms on broker 2')
    expect(describeFault({ kind: 'latency', link: [1, 2], latencyMs: 100 })).toBe('latency 100 ms on the link 1-2')
    expect(describeFault({ kind: 'cut', link: [1, 3] })).toBe('cut link 1-3')
  })

  it('an error fault counts down what it still has to answer', () => {
    const spec = { kind: 'error', broker: 1, api: 'Produce', error: 'NOT_LEADER_OR_FOLLOWER', count: 5 } as const
    expect(describeFault(spec)).toBe('NOT_LEADER_OR_FOLLOWER on the next 5 Produce request(s) to broker 1')
    expect(describeFault({ ...spec, remaining: 5 })).toBe('NOT_LEADER_OR_FOLLOWER on the next 5 Produce request(s) to broker 1')
    expect(describeFault({ ...spec, remaining: 2 })).toBe('NOT_LEADER_OR_FOLLOWER on the next 2 Produce request(s) to broker 1 (of 5)')
  })
})
