import { describe, expect, it } from 'vitest'
import { keyFromValue, parseKeyPath } from '../../../src/client/produce/key-path.js'

const key = (path: string, value: unknown): string | null => keyFromValue(value, parseKeyPath(path))?.toString() ?? null

describe('client/produce/key-path', () => {
  it('parses jq-like paths', () => {
    expect(parseKeyPath('.')).toEqual([])
    expect(parseKeyPath('.id')).toEqual(['id'])
    expect(parseKeyPath('.customer.id')).toEqual(['customer', 'id'])
    expect(parseKeyPath('.items[0].sku')).toEqual(['items', 0, 'sku'])
    expect(parseKeyPath('.items[-1]')).toEqual(['items', -1])
    expect(parseKeyPath('."order-id"')).toEqual(['order-id'])
    expect(parseKeyPath('.["a b"].c')).toEqual(['a b', 'c'])
    expect(parseKeyPath('.[2]')).toEqual([2])
    expect(parseKeyPath(' .a_1 ')).toEqual(['a_1'])
  })

  it('refuses bad paths with a usage error', () => {
    for (const bad of ['', 'id', '.a.', '..a', '.a-b', '.[x]', '.a[1', '."open', '.a b', '.1a']) {
      expect(() => parseKeyPath(bad), bad).toThrow(expect.objectContaining({ code: 'USAGE' }))
    }
  })

  it('turns the value at the path into key bytes', () => {
    const v = { customer: { id: 'c-1', n: 42, big: 1.5, ok: true, tags: ['x'], obj: { a: 1 } }, items: [{ sku: 's1' }, { sku: 's2' }], 'order-id': 'o9' }
    expect(key('.customer.id', v)).toBe('c-1')
    expect(key('.customer.n', v)).toBe('42')
    expect(key('.customer.big', v)).toBe('1.5')
    expect(key('.customer.ok', v)).toBe('true')
    expect(key('.customer.tags', v)).toBe('["x"]')
    expect(key('.customer.obj', v)).toBe('{"a":1}')
    expect(key('.items[0].sku', v)).toBe('s1')
    expect(key('.items[-1].sku', v)).toBe('s2')
    expect(key('."order-id"', v)).toBe('o9')
  })

  it('gives no key for a missing path, a null, or a path through a scalar', () => {
    const v = { a: { b: null }, s: 'text', arr: [1] }
    expect(key('.missing', v)).toBeNull()
    expect(key('.a.b', v)).toBeNull()
    expect(key('.s.x', v)).toBeNull()
    expect(key('.arr[5]', v)).toBeNull()
    expect(key('.arr.x', v)).toBeNull()
    expect(key('.a[0]', v)).toBeNull()
    expect(key('.toString', v)).toBeNull()
  })
})
