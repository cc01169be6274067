/**
 * Time, injected: the daemon hands in real timers, the seeded simulation virtual ones, so that
 * code that waits or reads the clock runs the same on both. Nothing here reads a real clock.
 */

export interface Clock {
  nowMs(): number
}

/** Timers, injected so that a simulation drives them with virtual time. */
export interface Scheduler extends Clock {
  /** Runs `fn` after `ms`; returns a function that cancels it. */
  setTimer(fn: () => void, ms: number): () => void
}

export function sleep(scheduler: Scheduler, ms: number): Promise<void> {
  return new Promise((resolve) => scheduler.setTimer(resolve, ms))
}
