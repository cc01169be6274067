/**
 * What `sluice tail` knows, bounded whatever the rate: per-partition counters of every record
 * seen, the last `capacity` records read (`recent`), and the last `capacity` that match the
 * active filter (`matches`). The fetch loop calls add() per record; the view reads a snapshot()
 * a few times a second. No I/O, no timers: time comes in as arguments.
 *
 * A new filter is applied to `recent` at once (so matches already read appear without waiting
 * for new ones), then to each record that arrives.
 */
import type { RecordFilter } from '../../client/replay/filter.js'
import { filterView, type TailRecord } from './record.js'

/** A fixed-size ring: push is O(1), the oldest element is overwritten. */
export class Ring<T> {
  private readonly items: (T | undefined)[]
  private start = 0
  size = 0

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new Error('a ring needs a capacity of at least 1')
    this.items = new Array<T | undefined>(capacity)
  }

  push(item: T): void {
    if (this.size < this.capacity) {
      this.items[(this.start + this.size++) % this.capacity] = item
    } else {
      this.items[this.start] = item
      this.start = (this.start + 1) % this.capacity
    }
  }

  /** The last `n` items, oldest first. */
  last(n: number): T[] {
    const count = Math.max(0, Math.min(n, this.size))
    const out = new Array<T>(count)
    for (let i = 0; i < count; i++) out[i] = this.items[(this.start + this.size - count + i) % this.capacity]!
    return out
  }

  clear(): void {
    this.items.fill(undefined)
    this.start = 0
    this.size = 0
  }
}

export interface ActiveFilter {
  expr: string
  test: RecordFilter
}

export interface PartitionStats {
  partition: number
  /** Records seen since the start (filter or not). */
  records: number
  ratePerSec: number
}

export interface TailSnapshot {
  /** Records seen in all; matches of the active filter (among the recent records when it was set, and since). */
  records: number
  matched: number
  ratePerSec: number
  partitions: PartitionStats[]
  filter: string | undefined
  /** Bumped by every add() and filter change: an unchanged version means nothing to redraw. */
  version: number
}

interface Sample {
  atMs: number
  total: number
  perPartition: number[]
}

/** Rates are measured over the samples of about this long (smooth, yet quick to follow a change). */
export const RATE_WINDOW_MS = 2_000
const SAMPLES_MAX = 64

export class TailStore {
  readonly recent: Ring<TailRecord>
  readonly matches: Ring<TailRecord>
  private filter: ActiveFilter | undefined
  private readonly counts: number[] = []
  private total = 0
  private matchedTotal = 0
  private versionNo = 0
  private readonly samples: Sample[] = []

  constructor(
    readonly topic: string,
    readonly capacity = 1000,
  ) {
    this.recent = new Ring(capacity)
    this.matches = new Ring(capacity)
  }

  /** Partitions known before any record arrives (so the header lists them at 0/s). */
  declarePartitions(partitions: number[]): void {
    for (const p of partitions) this.counts[p] ??= 0
  }

  /** One record read. Called per record at full speed: counting and a push, nothing more. */
  add(rec: TailRecord): void {
    this.counts[rec.partition] = (this.counts[rec.partition] ?? 0) + 1
    this.total++
    this.versionNo++
    this.recent.push(rec)
    if (this.filter === undefined || matches(this.filter, rec)) {
      this.matches.push(rec)
      this.matchedTotal++
    }
  }

  get activeFilter(): string | undefined {
    return this.filter?.expr
  }

  /** Sets (or with undefined, clears) the filter, and re-applies it to the recent records. */
  setFilter(filter: ActiveFilter | undefined): void {
    this.filter = filter
    this.versionNo++
    this.matches.clear()
    for (const rec of this.recent.last(this.capacity)) {
      if (filter === undefined || matches(filter, rec)) this.matches.push(rec)
    }
    // Counted from here: the recent records that match, then each new match.
    this.matchedTotal = this.matches.size
  }

  /** The last `n` matching records, oldest first. */
  window(n: number): TailRecord[] {
    return this.matches.last(n)
  }

  get version(): number {
    return this.versionNo
  }

  /** Counters and rates now; each call is a rate sample, so call it at the render tick. */
  snapshot(nowMs: number): TailSnapshot {
    const perPartition = this.counts.slice()
    this.samples.push({ atMs: nowMs, total: this.total, perPartition })
    // Keep one sample older than the window (the rate's base) and nothing older.
    while (this.samples.length > 2 && (nowMs - this.samples[1]!.atMs >= RATE_WINDOW_MS || this.samples.length > SAMPLES_MAX)) this.samples.shift()
    const base = this.samples[0]!
    const seconds = (nowMs - base.atMs) / 1000
    const rate = (now: number, then: number): number => (seconds > 0 ? (now - then) / seconds : 0)
    const partitions: PartitionStats[] = []
    perPartition.forEach((records, partition) => {
      if (records === undefined) return
      partitions.push({ partition, records, ratePerSec: rate(records, base.perPartition[partition] ?? 0) })
    })
    return {
      records: this.total,
      matched: this.matchedTotal,
      ratePerSec: rate(this.total, base.total),
      partitions,
      filter: this.filter?.expr,
      version: this.versionNo,
    }
  }
}

function matches(filter: ActiveFilter, rec: TailRecord): boolean {
  try {
    return filter.test(filterView(rec))
  } catch {
    // A filter that throws on some record (it should not: filtrex returns errors as values) skips it.
    return false
  }
}
