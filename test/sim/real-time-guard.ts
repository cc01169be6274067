/**
 * While a seed runs, the code under src/ must take time and randomness only from what the
 * simulation injects. This guard wraps the real clock, timers and Math.random, and reports any
 * call whose stack passes through src/ (the simulation's own drain through setImmediate does not).
 * A real timer in a driven code path would make runs depend on the machine, not on the seed.
 */
import { fileURLToPath } from 'node:url'

const SRC_DIR = fileURLToPath(new URL('../../src/', import.meta.url))

export function guardRealTime(onViolation: (message: string) => void): () => void {
  const real = {
    setTimeout: globalThis.setTimeout,
    setInterval: globalThis.setInterval,
    setImmediate: globalThis.setImmediate,
    dateNow: Date.now,
    random: Math.random,
  }
  const check = (what: string): void => {
    const stack = new Error().stack ?? ''
    const frames = stack.split('\n').slice(2)
    const fromSrc = frames.find((l) => l.includes(SRC_DIR))
    if (fromSrc) onViolation(`${what} called from ${fromSrc.trim()}`)
  }
  const wrap = <F extends (...args: never[]) => unknown>(what: string, fn: F): F =>
    function (this: unknown, ...args: Parameters<F>) {
      check(what)
      return fn.apply(this, args)
    } as F
  globalThis.setTimeout = wrap('setTimeout', real.setTimeout)
  globalThis.setInterval = wrap('setInterval', real.setInterval)
  globalThis.setImmediate = wrap('setImmediate', real.setImmediate)
  Date.now = wrap('Date.now', real.dateNow)
  Math.random = wrap('Math.random', real.random)
  return () => {
    globalThis.setTimeout = real.setTimeout
    globalThis.setInterval = real.setInterval
    globalThis.setImmediate = real.setImmediate
    Date.now = real.dateNow
    Math.random = real.random
  }
}
