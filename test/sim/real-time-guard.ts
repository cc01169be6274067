/**
 * While a seed runs, the code under src/ must take time and randomness only from what the
 * simulation injects. This guard wraps the real clock (Date.now, `new Date()` without a time,
 * performance.now), the timers, Math.random and node:crypto's random sources, and reports any
 * call whose stack passes through src/ (the simulation's own drain through setImmediate does
 * not). A real timer or clock read in a driven code path would make runs depend on the machine,
 * not on the seed.
 */
import crypto from 'node:crypto'
import { syncBuiltinESMExports } from 'node:module'
import { fileURLToPath } from 'node:url'

const SRC_DIR = fileURLToPath(new URL('../../src/', import.meta.url))

export function guardRealTime(onViolation: (message: string) => void): () => void {
  const real = {
    setTimeout: globalThis.setTimeout,
    setInterval: globalThis.setInterval,
    setImmediate: globalThis.setImmediate,
    Date: globalThis.Date,
    dateNow: Date.now,
    performanceNow: performance.now,
    random: Math.random,
    randomBytes: crypto.randomBytes,
    randomUUID: crypto.randomUUID,
    randomInt: crypto.randomInt,
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
  // `new Date()` reads the clock; `new Date(ms)` only formats a time it was given.
  const GuardedDate = function (this: unknown, ...args: unknown[]) {
    if (args.length === 0) check('new Date()')
    if (!new.target) return real.Date()
    return Reflect.construct(real.Date, args, new.target) as Date
  } as unknown as DateConstructor
  Object.setPrototypeOf(GuardedDate, real.Date)
  Object.defineProperty(GuardedDate, 'prototype', { value: real.Date.prototype })
  GuardedDate.now = wrap('Date.now', real.dateNow)
  globalThis.setTimeout = wrap('setTimeout', real.setTimeout)
  globalThis.setInterval = wrap('setInterval', real.setInterval)
  globalThis.setImmediate = wrap('setImmediate', real.setImmediate)
  globalThis.Date = GuardedDate
  performance.now = wrap('performance.now', real.performanceNow)
  Math.random = wrap('Math.random', real.random)
  crypto.randomBytes = wrap('crypto.randomBytes', real.randomBytes)
  crypto.randomUUID = wrap('crypto.randomUUID', real.randomUUID)
  crypto.randomInt = wrap('crypto.randomInt', real.randomInt)
  // `import { randomBytes } from 'node:crypto'` reads the ES module's own copy: update it too.
  syncBuiltinESMExports()
  return () => {
    globalThis.setTimeout = real.setTimeout
    globalThis.setInterval = real.setInterval
    globalThis.setImmediate = real.setImmediate
    globalThis.Date = real.Date
    performance.now = real.performanceNow
    Math.random = real.random
    crypto.randomBytes = real.randomBytes
    crypto.randomUUID = real.randomUUID
    crypto.randomInt = real.randomInt
    syncBuiltinESMExports()
  }
}
