import { describe, expect, it } from 'vitest'
import { replayId } from '../../../src/client/replay/exactly-once.js'

describe('client/replay/exactly-once replayId', () => {
  const identity = { topic: 'orders', into: 'orders-retry', partitions: undefined, from: '@-24h', to: undefined, filter: 'value.status == "failed"', repartition: false }

  it('is the same for the same command and differs with any flag that names the replay', () => {
    expect(replayId(identity)).toMatch(/^sluice-replay-[0-9a-f]{16}$/)
    expect(replayId({ ...identity })).toBe(replayId(identity))
    for (const change of [{ from: '@-23h' }, { to: 'latest' }, { into: 'other' }, { partitions: '0' }, { filter: undefined }, { repartition: true }, { topic: 'orders2' }]) {
      expect(replayId({ ...identity, ...change })).not.toBe(replayId(identity))
    }
  })
})
