/**
 * The replay's live line on stderr, on a terminal only and once the replay has lasted a second:
 * offsets read of the range, percent, the current rate and an ETA. The range is known at start
 * (it never goes past the end seen then), so percent and ETA are of offsets, not of matches.
 */
import { formatCount } from '../produce/summary.js'

export interface ReplayProgressSource {
  /** Offsets passed so far (read, matched or not) and in the whole range. */
  done(): number
  total: number
  matched(): number
}

const INTERVAL_MS = 250
const DELAY_MS = 1_000

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?'
  const s = Math.round(seconds)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}

/** One progress line (without the carriage return). */
export function progressLine(done: number, total: number, matched: number, ratePerSec: number): string {
  const percent = total > 0 ? Math.min(100, Math.floor((done * 100) / total)) : 100
  const eta = ratePerSec > 0 ? formatDuration((total - done) / ratePerSec) : '?'
  return `sluice: ${formatCount(done)}/${formatCount(total)} offsets (${percent}%), ${formatCount(matched)} replayed, ${formatCount(ratePerSec)}/s, ETA ${eta}`
}

export class ReplayProgress {
  private timer: NodeJS.Timeout | undefined
  private drawn = false
  private samples: { at: number; done: number }[] = []
  private readonly startedAt = performance.now()

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly source: ReplayProgressSource,
  ) {}

  start(): void {
    if (this.stream.isTTY !== true) return
    this.timer = setInterval(() => this.tick(), INTERVAL_MS)
    this.timer.unref()
  }

  /** Stops and erases the line, so the summary takes its place. */
  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    if (this.drawn) this.stream.write('\r\x1b[K')
    this.drawn = false
  }

  private tick(): void {
    const now = performance.now()
    if (now - this.startedAt < DELAY_MS) return
    const done = this.source.done()
    // The rate over the last few seconds: what is happening now, not the average.
    this.samples.push({ at: now, done })
    while (this.samples.length > 2 && now - this.samples[0]!.at > 3_000) this.samples.shift()
    const first = this.samples[0]!
    const rate = now > first.at ? ((done - first.done) * 1000) / (now - first.at) : 0
    this.stream.write(`\r${progressLine(done, this.source.total, this.source.matched(), rate)}\x1b[K`)
    this.drawn = true
  }
}
