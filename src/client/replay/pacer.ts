/**
 * replay's --rate and --speed, as the record pipeline's pacer. A read pauses (the fetch loop
 * stops, the cursors stay where they are) when the rate's share of a tick is used up or when a
 * record is not due yet; wait() then waits until more may go, and the next read goes on.
 *
 * --rate: each read stops after a tick's worth of records (a tenth of a second's), and wait()
 * waits until the rate allows more. --speed: the first record's timestamp is time zero; a record
 * not yet due stops the read before it is handed over, and its partition is read again from it.
 */
import type { PartitionCursor } from '../consume/fetcher.js'
import type { Pacer } from '../consume/record-pipeline.js'
import type { RecordView } from '../consume/record-view.js'

/** A --speed record that is due later than now (by this margin), in ms since the start. */
const EARLY_MS = 5

interface NotDue {
  partition: number
  offset: number
  dueMs: number
}

export class ReplayPacer implements Pacer {
  private readonly startedMs = performance.now()
  private readonly tickMax: number
  private inTick = 0
  private taken_ = 0
  private speedZeroMs: number | undefined
  private notDue: NotDue | undefined

  constructor(private readonly opts: { ratePerSec?: number; speed?: number }) {
    this.tickMax = opts.ratePerSec === undefined ? Number.POSITIVE_INFINITY : Math.max(1, Math.ceil(opts.ratePerSec / 10))
  }

  due(r: RecordView, partition: number): boolean {
    if (this.opts.speed === undefined) return true
    this.speedZeroMs ??= r.timestamp
    const dueMs = (r.timestamp - this.speedZeroMs) / this.opts.speed
    if (dueMs <= this.elapsedMs() + EARLY_MS) return true
    this.notDue = { partition, offset: r.offset, dueMs }
    return false
  }

  taken(): boolean {
    this.taken_++
    return ++this.inTick < this.tickMax
  }

  /** After a read: puts a record that was not due back in its cursor, and waits until more may go. */
  async wait(cursors: PartitionCursor[], signal: AbortSignal): Promise<void> {
    const late = this.notDue
    const tickUsed = this.inTick >= this.tickMax
    this.notDue = undefined
    this.inTick = 0
    if (late !== undefined) {
      const cursor = cursors.find((c) => c.partition === late.partition)!
      cursor.position = late.offset
      cursor.done = false
      await pause(late.dueMs - this.elapsedMs(), signal)
    }
    if (this.opts.ratePerSec !== undefined && tickUsed) await pause((this.taken_ / this.opts.ratePerSec) * 1000 - this.elapsedMs(), signal)
  }

  private elapsedMs(): number {
    return performance.now() - this.startedMs
  }
}

/** Resolves after `ms`, or at once when the signal aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve()
  return new Promise((resolve) => {
    const t = setTimeout(done, ms)
    function done(): void {
      clearTimeout(t)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}
