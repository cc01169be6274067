/**
 * Driving the simulation's virtual time (test/sim/scheduler.ts) from a unit test: run timers one
 * by one, each followed by the promise continuations it caused, until an awaited call settles.
 */
import { drainMicrotasks, type VirtualScheduler } from '../sim/scheduler.js'

/** Runs virtual time until `p` settles (or `limitMs` of it passes), then returns `p`. */
export async function runUntilSettled<T>(sched: VirtualScheduler, p: Promise<T>, limitMs = 60_000): Promise<T> {
  let settled = false
  p.then(
    () => (settled = true),
    () => (settled = true),
  )
  const until = sched.nowMs() + limitMs
  await drainMicrotasks()
  while (!settled) {
    const fn = sched.popDue(until)
    if (!fn) break
    fn()
    await drainMicrotasks()
  }
  return p
}

/** Runs virtual time for `ms`. */
export const runFor = (sched: VirtualScheduler, ms: number): Promise<void> =>
  runUntilSettled(sched, new Promise<void>((resolve) => sched.setTimer(resolve, ms)))
