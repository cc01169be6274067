/**
 * A partition's aborted transactions (Kafka's transaction index, one per log here rather than per
 * segment): for each ABORT marker, the producer and the offsets its transaction spans, from its
 * first batch to the marker. A read_committed fetch answers the entries that overlap what it
 * returns, and the consumer drops that producer's records in those ranges.
 *
 * Persisted in the broker's meta store, one key per entry (`aborted|<topicId>|<partition>|<last
 * offset>`), written in the order the markers land. The index may lag the log after a crash, never
 * lose an entry below the producer snapshot's offset: snapshots wait for the index's writes
 * (`flushed`), and a rebuild replays the log from the snapshot, markers included, and replaces
 * every entry from where it starts replaying (`replaceFrom`). Entries wholly below the log start
 * are dropped (`pruneBelow`) and no longer answered.
 */
import type { MetaStore } from '../storage/types.js'

export interface AbortedTxn {
  producerId: number
  firstOffset: number
  /** The offset of the ABORT marker. */
  lastOffset: number
}

const OFFSET_DIGITS = 16
const prefixOf = (topicId: string, partition: number): string => `aborted|${topicId}|${partition}|`

export class AbortedTxnIndex {
  /** Sorted by lastOffset (markers are appended in offset order); one entry per marker offset. */
  private list: AbortedTxn[] = []
  private store: { meta: MetaStore; prefix: string } | null = null
  /** Writes of the index to its store, one after another, in the order the changes were made. */
  private writes: Promise<void> = Promise.resolve()
  private writeError: unknown = null
  /** The longest transaction indexed (lastOffset - firstOffset), so a read stops scanning early. */
  private spanMax = 0

  get size(): number {
    return this.list.length
  }

  /** Every entry, oldest marker first (a copy). */
  entries(): AbortedTxn[] {
    return [...this.list]
  }

  /** Persists every change from now on under the partition's keys. */
  attach(meta: MetaStore, topicId: string, partition: number): void {
    this.store = { meta, prefix: prefixOf(topicId, partition) }
  }

  /** Loads the persisted entries (the log just opened). */
  async load(): Promise<void> {
    if (!this.store) return
    const { meta, prefix } = this.store
    const loaded: AbortedTxn[] = []
    for (const [key, value] of await meta.entries(prefix)) {
      const lastOffset = Number(key.slice(prefix.length))
      try {
        const [producerId, firstOffset] = JSON.parse(value.toString('utf8')) as [number, number]
        loaded.push({ producerId, firstOffset, lastOffset })
      } catch {
        // An entry that does not parse is lost here; a rebuild replaying its marker puts it back.
      }
    }
    this.list = loaded
    for (const e of loaded) this.spanMax = Math.max(this.spanMax, e.lastOffset - e.firstOffset)
  }

  /** An ABORT marker landed. A second entry for the same marker keeps the earlier first offset. */
  add(entry: AbortedTxn): void {
    const at = this.positionOf(entry.lastOffset)
    const same = this.list[at]
    if (same && same.lastOffset === entry.lastOffset) {
      if (same.producerId === entry.producerId && same.firstOffset <= entry.firstOffset) return
      this.list[at] = { ...entry, firstOffset: same.producerId === entry.producerId ? Math.min(same.firstOffset, entry.firstOffset) : entry.firstOffset }
    } else {
      this.list.splice(at, 0, { ...entry })
    }
    const kept = this.list[at]!
    this.spanMax = Math.max(this.spanMax, kept.lastOffset - kept.firstOffset)
    this.write((meta, prefix) => meta.put(keyOf(prefix, kept.lastOffset), valueOf(kept)))
  }

  /**
   * A rebuild replayed the log from `offset`: the entries from there on are the replayed ones
   * (those of a truncated tail go; a replayed marker whose transaction began before the replay keeps
   * the first offset recorded when it first landed).
   */
  replaceFrom(offset: number, replayed: readonly AbortedTxn[]): void {
    const at = this.positionOf(offset)
    const before = new Map(this.list.slice(at).map((e) => [e.lastOffset, e]))
    this.list = this.list.slice(0, at)
    // The store may hold entries this list never loaded (a log replaced before it opened): every
    // persisted entry from `offset` on that the replay did not find goes.
    const replayedOffsets = new Set(replayed.map((e) => e.lastOffset))
    this.write(async (meta, prefix) => {
      const from = keyOf(prefix, offset)
      const stale = (await meta.entries(prefix)).filter(([key]) => key >= from && !replayedOffsets.has(Number(key.slice(prefix.length))))
      if (stale.length > 0) await meta.batch(stale.map(([key]) => ({ type: 'del' as const, key })))
    })
    for (const e of replayed) {
      const earlier = before.get(e.lastOffset)
      this.add(earlier && earlier.producerId === e.producerId ? { ...e, firstOffset: Math.min(e.firstOffset, earlier.firstOffset) } : e)
    }
  }

  /** The log start moved to `logStartOffset`: entries whose marker is below it go. */
  pruneBelow(logStartOffset: number): void {
    const at = this.positionOf(logStartOffset)
    if (at === 0) return
    const gone = this.list.slice(0, at)
    this.list = this.list.slice(at)
    this.write((meta, prefix) => meta.batch(gone.map((e) => ({ type: 'del' as const, key: keyOf(prefix, e.lastOffset) }))))
  }

  /**
   * The entries a read of [fetchOffset, upperBoundOffset) must answer (Kafka's collectAbortedTxns):
   * marker at or after the fetch offset, transaction beginning before the end of what is returned.
   */
  overlapping(fetchOffset: number, upperBoundOffset: number): AbortedTxn[] {
    const out: AbortedTxn[] = []
    // Past upperBound + the longest span, no transaction can begin below upperBound.
    const lastOffsetMax = upperBoundOffset + this.spanMax
    for (let i = this.positionOf(fetchOffset); i < this.list.length; i++) {
      const e = this.list[i]!
      if (e.lastOffset > lastOffsetMax) break
      if (e.firstOffset < upperBoundOffset) out.push(e)
    }
    return out
  }

  /** Resolves once every change so far is in the store; rejects if one of them failed. */
  async flushed(): Promise<void> {
    await this.writes
    if (this.writeError !== null) {
      const error = this.writeError
      this.writeError = null
      throw error
    }
  }

  /** The first position whose lastOffset >= offset. */
  private positionOf(offset: number): number {
    let lo = 0
    let hi = this.list.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.list[mid]!.lastOffset < offset) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  private write(op: (meta: MetaStore, prefix: string) => Promise<void>): void {
    const store = this.store
    if (!store) return
    this.writes = this.writes.then(() => op(store.meta, store.prefix)).catch((error: unknown) => {
      this.writeError ??= error
    })
  }
}

const keyOf = (prefix: string, lastOffset: number): string => prefix + String(lastOffset).padStart(OFFSET_DIGITS, '0')
const valueOf = (e: AbortedTxn): Buffer => Buffer.from(JSON.stringify([e.producerId, e.firstOffset]))

/** Drops a partition's persisted index (its topic was deleted). */
export async function deleteAbortedIndex(meta: MetaStore, topicId: string, partition: number): Promise<void> {
  const keys = (await meta.entries(prefixOf(topicId, partition))).map(([key]) => ({ type: 'del' as const, key }))
  if (keys.length > 0) await meta.batch(keys)
}
