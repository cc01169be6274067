/** Kafka's topic name rules and the `--config name=value` grammar of `sluice topic`. */
import { describe, expect, it } from 'vitest'
import { SluiceError } from '../../src/common/errors.js'
import { parseConfigPairs, validateTopicName } from '../../src/client/topic-model.js'

function usage(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(SluiceError)
    expect((err as SluiceError).exit).toBe(2)
    return (err as SluiceError).message
  }
  throw new Error('expected a usage error')
}

describe('validateTopicName', () => {
  it('accepts what Kafka accepts', () => {
    for (const name of ['a', 'orders', 'Orders.v2_eu-west', '__consumer_offsets', '...', 'x'.repeat(249)]) {
      expect(() => validateTopicName(name)).not.toThrow()
    }
  })

  it('refuses empty, "." and "..", too long, and other characters', () => {
    expect(usage(() => validateTopicName(''))).toMatch(/empty/)
    expect(usage(() => validateTopicName('.'))).toMatch(/"\." or "\.\."/)
    expect(usage(() => validateTopicName('..'))).toMatch(/"\." or "\.\."/)
    expect(usage(() => validateTopicName('x'.repeat(250)))).toMatch(/250 characters.*249/)
    for (const name of ['a/b', 'a b', 'a:b', 'é', 'a\nb', 'a*']) expect(usage(() => validateTopicName(name))).toMatch(/only ASCII letters/)
  })
})

describe('parseConfigPairs', () => {
  it('splits on the first "=", keeping the rest of the value as is', () => {
    const m = parseConfigPairs(['retention.ms=1000', 'x=a=b', 'empty='])
    expect([...m]).toEqual([
      ['retention.ms', '1000'],
      ['x', 'a=b'],
      ['empty', ''],
    ])
    expect(parseConfigPairs([]).size).toBe(0)
  })

  it('refuses a missing name or "=", and a name given twice', () => {
    expect(usage(() => parseConfigPairs(['retention.ms']))).toMatch(/expected name=value/)
    expect(usage(() => parseConfigPairs(['=1']))).toMatch(/expected name=value/)
    expect(usage(() => parseConfigPairs([' =1']))).toMatch(/expected name=value/)
    expect(usage(() => parseConfigPairs(['a=1', 'a=2']))).toMatch(/more than once/)
    expect(usage(() => parseConfigPairs(['nope'], '--set'))).toMatch(/--set/)
  })
})
