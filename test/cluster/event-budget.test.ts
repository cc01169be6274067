import { describe, expect, it } from 'vitest'
import { EventBudget } from '../../src/cluster/event-budget.js'

describe('cluster/event-budget', () => {
  it('tells the first events of each second and counts the rest by kind', () => {
    const budget = new EventBudget<string>(2)
    expect([budget.take('a', 0), budget.take('b', 10), budget.take('a', 20), budget.take('b', 999), budget.take('a', 999)]).toEqual([true, true, false, false, false])
    expect(budget.drain()).toEqual([
      ['a', 2],
      ['b', 1],
    ])
    expect(budget.drain()).toEqual([])
    // A new second, a new budget.
    expect(budget.take('a', 1000)).toBe(true)
  })
})
