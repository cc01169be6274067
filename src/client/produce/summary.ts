/**
 * What `produce` reports: the summary at the end (stderr for people, stdout with --json) and the
 * live progress line on stderr.
 */

/** What `sluice produce --json` prints. */
export interface ProduceSummary {
  topic: string
  /** Records the cluster acknowledged (with --acks 0: records sent, as nothing is acknowledged). */
  records: number
  /** Bytes of those records' keys and values. */
  bytes: number
  /** Records per partition, for every partition of the topic. */
  partitions: Record<string, number>
  seconds: number
  recordsPerSecond: number
  /** Lines skipped with --on-invalid skip. */
  skipped: number
  /** With --key: records whose key path was missing or null (sent without a key). */
  nullKeys?: number
  acks: 'all' | '1' | '0'
  /** The last input line read (line numbers count blank lines too). */
  lastLine: number
  /** True when Ctrl-C (or SIGTERM) stopped the run. */
  interrupted: boolean
  /** With --transactional-id: the transactions committed, and the open one aborted by a stop. */
  transactions?: TransactionTally
}

export interface TransactionTally {
  transactionalId: string
  /** Transactions committed (each with at least one record). */
  committed: number
  /** Records in them: what read_committed consumers see. */
  committedRecords: number
  /** True when a stop (a bad line, Ctrl-C, a failed send) aborted the open transaction. */
  aborted: boolean
  /** Records acknowledged in the aborted transaction: never visible to read_committed consumers. */
  abortedRecords: number
}

/**
 * 1234567 as "1,234,567" (what Intl.NumberFormat('en-US') gives for an integer), by hand: the
 * first Intl.NumberFormat of a process costs ~10 ms of CPU, a tenth of a short call's start-up.
 */
export function formatCount(n: number): string {
  const rounded = Math.round(n)
  if (!Number.isFinite(rounded)) return rounded > 0 ? '∞' : rounded < 0 ? '-∞' : 'NaN'
  const digits = String(Math.abs(rounded)).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return rounded < 0 ? `-${digits}` : digits
}

export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`
  return `${(bytes / 1e9).toFixed(2)} GB`
}

const PARTITIONS_LISTED_MAX = 8

/** One line for stderr: "produced 1,000 records (98.0 kB) to orders in 0.21 s (4,762 records/s); ...". */
export function formatSummary(s: ProduceSummary): string {
  const verb = s.acks === '0' ? 'sent (acks=0, unacknowledged)' : 'produced'
  let line = `${verb} ${formatCount(s.records)} record${s.records === 1 ? '' : 's'} (${formatBytes(s.bytes)}) to ${s.topic} in ${s.seconds.toFixed(2)} s (${s.recordsPerSecond === 0 && s.records > 0 ? 'under 1' : formatCount(s.recordsPerSecond)} records/s)`
  const used = Object.entries(s.partitions).filter(([, n]) => n > 0)
  if (used.length > 0 && used.length <= PARTITIONS_LISTED_MAX) {
    line += `; partition ${used.map(([p, n]) => `${p}: ${formatCount(n)}`).join(', ')}`
  } else if (used.length > PARTITIONS_LISTED_MAX) {
    line += `; ${used.length} partitions`
  }
  if (s.skipped > 0) line += `; skipped ${formatCount(s.skipped)} invalid line${s.skipped === 1 ? '' : 's'}`
  if (s.nullKeys) line += `; ${formatCount(s.nullKeys)} without a key (path missing or null)`
  const t = s.transactions
  if (t !== undefined) {
    line += `; ${formatCount(t.committed)} transaction${t.committed === 1 ? '' : 's'} committed (${formatCount(t.committedRecords)} records, transactional id ${t.transactionalId})`
    if (t.aborted) line += `, the open one aborted (${formatCount(t.abortedRecords)} records)`
  }
  return line
}

export interface ProgressSource {
  records: number
  bytes: number
}

/**
 * A live "records, bytes, rate" line on stderr. On a terminal it redraws one line in place; on a
 * file or pipe (only with --progress) it prints a line per interval. `auto` shows it only on a
 * terminal and only once the run has lasted AUTO_DELAY_MS, so short runs print nothing extra.
 */
export class Progress {
  static readonly INTERVAL_MS = 250
  static readonly AUTO_DELAY_MS = 1_000
  static readonly PIPE_INTERVAL_MS = 1_000
  private timer: NodeJS.Timeout | undefined
  private drawn = false
  private lastAt = 0
  private samples: { at: number; records: number }[] = []
  private readonly startedAt = performance.now()

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly mode: 'auto' | 'on' | 'off',
    private readonly source: ProgressSource,
  ) {}

  start(): void {
    if (this.mode === 'off' || (this.mode === 'auto' && !this.stream.isTTY)) return
    const tty = this.stream.isTTY === true
    this.timer = setInterval(() => this.tick(tty), tty ? Progress.INTERVAL_MS : Progress.PIPE_INTERVAL_MS)
    this.timer.unref()
  }

  /** Stops and erases the live line (so the summary takes its place). */
  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    this.clear()
  }

  /** Erases the live line so a note can be printed; the next tick draws it again. */
  clear(): void {
    if (this.drawn && this.stream.isTTY) this.stream.write('\r\x1b[K')
    this.drawn = false
  }

  private tick(tty: boolean): void {
    const now = performance.now()
    if (this.mode === 'auto' && now - this.startedAt < Progress.AUTO_DELAY_MS) return
    const { records, bytes } = this.source
    // The rate over the last couple of seconds: what is happening now, not the average.
    this.samples.push({ at: now, records })
    while (this.samples.length > 2 && now - this.samples[0]!.at > 2_000) this.samples.shift()
    const first = this.samples[0]!
    const rate = now > first.at ? ((records - first.records) * 1000) / (now - first.at) : 0
    const text = `sluice: ${formatCount(records)} records (${formatBytes(bytes)}) acknowledged, ${formatCount(rate)} records/s`
    if (tty) {
      this.stream.write(`\r${text}\x1b[K`)
      this.drawn = true
    } else if (now - this.lastAt >= Progress.PIPE_INTERVAL_MS - 50) {
      this.stream.write(`${text}\n`)
      this.lastAt = now
    }
  }
}
