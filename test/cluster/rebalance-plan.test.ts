/**
 * The rebalance planner: replicas then preferred leaders spread evenly over the given brokers,
 * with the fewest replica moves; drains off brokers not given; deterministic.
 */
import { describe, expect, it } from 'vitest'
import { planRebalance, type PlanPartition } from '../../src/cluster/rebalance-plan.js'

const topic = (name: string, assignment: number[][]): PlanPartition[] => assignment.map((replicas, partition) => ({ topic: name, partition, replicas }))

/** The replica lists after applying a plan. */
function after(partitions: PlanPartition[], brokers: number[]): { lists: number[][]; moves: number } {
  const moves = planRebalance(partitions, brokers)
  const lists = partitions.map((p) => moves.find((m) => m.topic === p.topic && m.partition === p.partition)?.to ?? [...p.replicas])
  return { lists, moves: moves.length }
}
const counts = (lists: number[][], brokers: number[], leadersOnly = false) => brokers.map((b) => lists.filter((r) => (leadersOnly ? r[0] === b : r.includes(b))).length)

describe('cluster/rebalance-plan', () => {
  it('a broker added to three: replicas and preferred leaders spread within one, each replica list still distinct', () => {
    const parts = topic('orders', [[1, 2], [2, 3], [3, 1], [1, 3], [2, 1], [3, 2]])
    const { lists } = after(parts, [1, 2, 3, 4])
    for (const c of [counts(lists, [1, 2, 3, 4]), counts(lists, [1, 2, 3, 4], true)]) expect(Math.max(...c) - Math.min(...c)).toBeLessThanOrEqual(1)
    for (const r of lists) expect(new Set(r).size).toBe(2)
    // 12 replicas over 4 brokers: 3 move onto broker 4, no more.
    const movedReplicas = lists.reduce((n, r, i) => n + r.filter((id) => !parts[i]!.replicas.includes(id)).length, 0)
    expect(movedReplicas).toBe(3)
  })

  it('a balanced cluster gets an empty plan', () => {
    expect(planRebalance(topic('t', [[1, 2], [2, 3], [3, 1]]), [1, 2, 3])).toEqual([])
  })

  it('drain only: the replicas of a broker drained move to the least loaded others; a broker down keeps its own', () => {
    const parts = topic('t', [[4, 1], [1, 2], [2, 4], [3, 1], [5, 1]])
    const moves = planRebalance(parts, [1, 2, 3], { drain: [4], drainOnly: true })
    expect(moves).toEqual([
      { topic: 't', partition: 0, from: [4, 1], to: [3, 1] },
      { topic: 't', partition: 2, from: [2, 4], to: [2, 3] },
    ])
  })

  it('is deterministic: the same input in another order gives the same plan', () => {
    const parts = [...topic('a', [[1, 2, 3], [1, 2, 3], [1, 2, 3]]), ...topic('b', [[1, 2], [1, 2]])]
    expect(planRebalance([...parts].reverse(), [1, 2, 3, 4, 5])).toEqual(planRebalance(parts, [5, 4, 3, 2, 1]))
  })
})
