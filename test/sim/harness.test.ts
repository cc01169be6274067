/** The simulation's own machinery: virtual timers, hung and dead processes, the real-time guard. */
import { describe, expect, it } from 'vitest'
import { realScheduler } from '../../src/daemon/real-scheduler.js'
import { guardRealTime } from './real-time-guard.js'
import { ProcessScheduler, VirtualScheduler } from './scheduler.js'

function runAll(s: VirtualScheduler, untilMs = Number.MAX_SAFE_INTEGER): void {
  for (let fn = s.popDue(untilMs); fn; fn = s.popDue(untilMs)) fn()
}

describe('sim/harness', () => {
  it('runs timers by due time, then in the order they were set; cancelled ones never', () => {
    const s = new VirtualScheduler()
    const ran: string[] = []
    s.setTimer(() => ran.push('b@10'), 10)
    s.setTimer(() => ran.push('a@5'), 5)
    s.setTimer(() => ran.push('c@10'), 10)
    const cancel = s.setTimer(() => ran.push('cancelled'), 7)
    s.setTimer(() => s.setTimer(() => ran.push('d@5+0'), 0), 5)
    cancel()
    runAll(s)
    expect(ran).toEqual(['a@5', 'd@5+0', 'b@10', 'c@10'])
    expect(s.nowMs()).toBe(10)
  })

  it('holds a paused process timers until resume, and drops a killed one', () => {
    const s = new VirtualScheduler()
    const p = new ProcessScheduler(s)
    const ran: string[] = []
    p.setTimer(() => ran.push(`p@${s.nowMs()}`), 10)
    p.pause()
    runAll(s, 50)
    expect(ran).toEqual([])
    s.advanceTo(50)
    p.resume()
    runAll(s)
    expect(ran).toEqual(['p@50'])
    p.setTimer(() => ran.push('after kill'), 1)
    p.kill()
    runAll(s)
    expect(ran).toEqual(['p@50'])
  })

  it('reports real timers set from src/, not from tests', () => {
    const violations: string[] = []
    const unguard = guardRealTime((m) => violations.push(m))
    try {
      const t = setTimeout(() => undefined, 1)
      clearTimeout(t)
      expect(violations).toEqual([])
      realScheduler.setTimer(() => undefined, 1)()
    } finally {
      unguard()
    }
    expect(violations).toHaveLength(1)
    expect(violations[0]).toMatch(/setTimeout called from .*src\/daemon\/real-scheduler\.ts/)
  })

  it('reports a clock read through new Date() from src/, not a Date of a given time', async () => {
    const violations: string[] = []
    // Loaded before the guard, as the simulation loads src/.
    const { RuntimeEvents } = await import('../../src/daemon/runtime-events.js')
    const events = new RuntimeEvents(() => undefined)
    const unguard = guardRealTime((m) => violations.push(m))
    try {
      expect(new Date(0).toISOString()).toBe('1970-01-01T00:00:00.000Z')
      expect(new Date() instanceof Date).toBe(true)
      expect(violations).toEqual([])
      events.publish('broker.killed', {}, 'a clock read')
    } finally {
      unguard()
    }
    expect(violations[0]).toMatch(/new Date\(\) called from .*src\/daemon\/runtime-events\.ts/)
  })
})
