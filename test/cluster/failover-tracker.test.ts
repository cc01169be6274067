import { describe, expect, it } from 'vitest'
import { FailoverTracker, type FailoverMeasured } from '../../src/cluster/failover-tracker.js'

function tracker(opts: { settleMs?: number } = {}): { t: FailoverTracker; out: FailoverMeasured[] } {
  const out: FailoverMeasured[] = []
  return { t: new FailoverTracker({ emit: (m) => out.push(m), ...opts }), out }
}

describe('cluster/failover-tracker', () => {
  it('a killed leader with a producer running: no-leader time from the kill to the election, unwritable from the last write to the first', () => {
    const { t, out } = tracker()
    for (let ms = 0; ms <= 1000; ms += 100) t.produced('orders', 0, ms)
    t.leaderLost('orders', 0, 2, 1050)
    expect(out).toEqual([])
    t.leaderChanged('orders', 0, 2, 3, 5, 10_050)
    expect(out).toEqual([])
    t.produced('orders', 1, 10_100) // another partition: not this failover
    t.produced('orders', 0, 10_300)
    expect(out).toHaveLength(1)
    expect(out[0]).toMatchObject({ topic: 'orders', partition: 0, from: 2, to: 3, leaderEpoch: 5, noLeaderMs: 9000, unwritableMs: 9300 })
    expect(out[0]!.lastWriteAt).toBe(new Date(1000).toISOString())
    expect(out[0]!.firstWriteAt).toBe(new Date(10_300).toISOString())
    expect(out[0]!.message).toBe('failover of orders-0 (leader 2 -> 3): no leader for 9.0 s, producers could not write for 9.3 s')
    expect(t.open).toBe(0)
  })

  it('nobody writing: told at the election, with unwritableMs null', () => {
    const { t, out } = tracker()
    t.produced('orders', 0, 0) // long before: not "writing"
    t.leaderLost('orders', 0, 1, 10_000)
    t.leaderChanged('orders', 0, 1, 2, 3, 19_000)
    expect(out).toHaveLength(1)
    expect(out[0]).toMatchObject({ noLeaderMs: 9000, unwritableMs: null, lastWriteAt: null, firstWriteAt: null })
    expect(out[0]!.message).toContain('no producer was writing')
  })

  it('a move between live leaders (failover command, clean shutdown) has no leaderless time', () => {
    const { t, out } = tracker()
    t.produced('orders', 2, 500)
    t.leaderChanged('orders', 2, 1, 3, 7, 600)
    t.produced('orders', 2, 640)
    expect(out[0]).toMatchObject({ from: 1, to: 3, noLeaderMs: 0, unwritableMs: 140 })
  })

  it('writes that never come back are told after the settle time', () => {
    const { t, out } = tracker({ settleMs: 5000 })
    t.produced('orders', 0, 100)
    t.leaderLost('orders', 0, 2, 200)
    t.leaderChanged('orders', 0, 2, 3, 1, 1200)
    t.tick(6000)
    expect(out).toEqual([])
    t.tick(6200)
    expect(out[0]).toMatchObject({ noLeaderMs: 1000, unwritableMs: null })
    expect(out[0]!.message).toContain('writes had not resumed')
  })

  it('a leaderless step (-1) keeps the first loss time; the election ends it', () => {
    const { t, out } = tracker()
    t.leaderLost('solo', 0, 1, 1000)
    t.leaderChanged('solo', 0, 1, -1, 2, 9000)
    t.leaderChanged('solo', 0, -1, 1, 3, 15_000)
    expect(out[0]).toMatchObject({ from: 1, to: 1, noLeaderMs: 14_000 })
  })

  it('a paused leader resumed before any election is no failover', () => {
    const { t, out } = tracker()
    t.produced('orders', 0, 100)
    t.leaderLost('orders', 0, 2, 200)
    t.leaderBack('orders', 0, 2)
    t.produced('orders', 0, 2000)
    expect(out).toEqual([])
    expect(t.open).toBe(0)
  })

  it('lost again before writes resumed: the first failover is told as it stands', () => {
    const { t, out } = tracker()
    t.produced('orders', 0, 100)
    t.leaderLost('orders', 0, 2, 200)
    t.leaderChanged('orders', 0, 2, 3, 4, 1200)
    t.leaderLost('orders', 0, 3, 1300)
    expect(out).toHaveLength(1)
    expect(out[0]).toMatchObject({ from: 2, to: 3, unwritableMs: null })
    t.leaderChanged('orders', 0, 3, 1, 5, 2300)
    t.produced('orders', 0, 2400)
    // The second began with no recent write recorded after the first loss (100 was 1.2 s before: within the window).
    expect(out[1]).toMatchObject({ from: 3, to: 1, noLeaderMs: 1000, unwritableMs: 2300 })
  })
})
