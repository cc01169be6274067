/**
 * Virtual time for the seeded simulation.
 *
 * VirtualScheduler: timers in a binary heap ordered by due time, then by insertion order, so that
 * two timers due at the same virtual millisecond always run in the order they were set. Nothing
 * here reads a real clock.
 *
 * ProcessScheduler: one broker incarnation's view of the timers. Pausing it (a hung process, as
 * SIGSTOP) holds its due timers until resume; killing it (a crash) drops them for good, so code of
 * a dead incarnation never runs again on a timer.
 *
 * drainMicrotasks(): the world runs one timer, then lets every promise continuation it caused run
 * to quiescence before the next timer. MemoryLogStore resolves through microtasks only, and Node
 * runs a process.nextTick callback queued from a microtask only once V8 has emptied the whole
 * microtask queue (including microtasks queued by microtasks), so one nextTick round trip taken
 * from a microtask is a complete drain. It is eight times cheaper than a setImmediate round trip
 * (an event-loop turn), and the simulation drains after each of its 3,000 timers per seed.
 * Nothing under src/ that the simulation runs queues a nextTick of its own (which could run
 * after ours).
 *
 * yieldToEventLoop(): one event-loop turn, so that a long run lets the test runner's I/O through
 * (a run of drains alone never leaves the microtask and tick queues).
 */
import type { Scheduler } from '../../src/cluster/scheduler.js'

interface Timer {
  atMs: number
  seq: number
  fn: () => void
  cancelled: boolean
}

// Taken at load, before real-time-guard.ts wraps the global: the yield is the simulation's own.
const realSetImmediate = globalThis.setImmediate
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => realSetImmediate(resolve))

export async function drainMicrotasks(): Promise<void> {
  // On the microtask queue first: a tick queued from synchronous code would run before it.
  await null
  await new Promise<void>((resolve) => process.nextTick(resolve))
}

export class VirtualScheduler implements Scheduler {
  private now = 0
  private seq = 0
  private readonly heap: Timer[] = []

  nowMs(): number {
    return this.now
  }

  setTimer(fn: () => void, ms: number): () => void {
    if (!Number.isFinite(ms)) throw new Error(`timer of ${ms} ms`)
    const timer: Timer = { atMs: this.now + Math.max(0, Math.ceil(ms)), seq: this.seq++, fn, cancelled: false }
    this.push(timer)
    return () => {
      timer.cancelled = true
    }
  }

  /** Due time of the next live timer, or null when none is set. */
  peekMs(): number | null {
    this.dropCancelled()
    return this.heap.length > 0 ? this.heap[0]!.atMs : null
  }

  /** Removes the next live timer due at or before `limitMs` and moves the clock to its time. */
  popDue(limitMs: number): (() => void) | null {
    this.dropCancelled()
    const top = this.heap[0]
    if (!top || top.atMs > limitMs) return null
    this.pop()
    this.now = top.atMs
    return top.fn
  }

  /** Moves the clock forward (never back) with no timer due before then. */
  advanceTo(ms: number): void {
    if (ms > this.now) this.now = ms
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop()
  }

  private less(a: Timer, b: Timer): boolean {
    return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq)
  }

  private push(timer: Timer): void {
    const h = this.heap
    h.push(timer)
    let i = h.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.less(h[i]!, h[parent]!)) break
      ;[h[i], h[parent]] = [h[parent]!, h[i]!]
      i = parent
    }
  }

  private pop(): void {
    const h = this.heap
    const last = h.pop()!
    if (h.length === 0) return
    h[0] = last
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let min = i
      if (l < h.length && this.less(h[l]!, h[min]!)) min = l
      if (r < h.length && this.less(h[r]!, h[min]!)) min = r
      if (min === i) return
      ;[h[i], h[min]] = [h[min]!, h[i]!]
      i = min
    }
  }
}

export type ProcessState = 'running' | 'paused' | 'dead'

export class ProcessScheduler implements Scheduler {
  private stateValue: ProcessState = 'running'
  private held: (() => void)[] = []

  constructor(private readonly world: VirtualScheduler) {}

  get state(): ProcessState {
    return this.stateValue
  }

  nowMs(): number {
    return this.world.nowMs()
  }

  setTimer(fn: () => void, ms: number): () => void {
    let cancelled = false
    const fire = (): void => {
      if (cancelled || this.stateValue === 'dead') return
      if (this.stateValue === 'paused') this.held.push(fire)
      else fn()
    }
    const cancel = this.world.setTimer(fire, ms)
    return () => {
      cancelled = true
      cancel()
    }
  }

  pause(): void {
    if (this.stateValue === 'running') this.stateValue = 'paused'
  }

  /** Timers that fell due while paused run now, in the order they fell due. */
  resume(): void {
    if (this.stateValue !== 'paused') return
    this.stateValue = 'running'
    const held = this.held
    this.held = []
    for (const fire of held) this.world.setTimer(fire, 0)
  }

  kill(): void {
    this.stateValue = 'dead'
    this.held = []
  }
}
