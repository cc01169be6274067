/**
 * The daemon's scheduler: the process's real clock and timers (the I/O edge; the simulation
 * injects virtual ones instead).
 */
import type { Scheduler } from '../cluster/scheduler.js'

export const realScheduler: Scheduler = {
  nowMs: () => Date.now(),
  setTimer: (fn, ms) => {
    const t = setTimeout(fn, ms)
    return () => clearTimeout(t)
  },
}
