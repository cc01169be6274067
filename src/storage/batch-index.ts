/**
 * The in-memory index of one partition: one entry per stored batch, in offset order, in typed
 * arrays (40 bytes a batch: a million batches cost 40 MB, not hundreds of objects' worth).
 *
 * Positions are logical: 0 is the oldest batch still stored. Deleting from the head moves a start
 * pointer (compacted when the arrays grow); truncating moves the end. Batches may leave offset gaps
 * between them (compaction will), so lookups never assume contiguity.
 */
import { assert } from './errors.js'

export interface IndexEntry {
  baseOffset: number
  lastOffset: number
  sizeBytes: number
  maxTimestamp: number
}

const INITIAL_CAPACITY = 64

export class BatchIndex {
  private base = new Float64Array(INITIAL_CAPACITY)
  private lastDelta = new Uint32Array(INITIAL_CAPACITY)
  private size = new Uint32Array(INITIAL_CAPACITY)
  private maxTs = new Float64Array(INITIAL_CAPACITY)
  /** Where the store keeps each batch (the backend's business; 0 unless it sets one). */
  private loc = new Float64Array(INITIAL_CAPACITY)
  /** Running max of maxTs over every batch ever pushed at or before a slot (deleted ones included):
   * non-decreasing, so a binary search finds where a timestamp lookup may start. */
  private prefixMaxTs = new Float64Array(INITIAL_CAPACITY)
  private head = 0
  private end = 0
  private bytes = 0

  get length(): number {
    return this.end - this.head
  }

  /** Sum of the stored batches' sizes. */
  get totalBytes(): number {
    return this.bytes
  }

  baseOffset(pos: number): number {
    return this.base[this.head + pos]!
  }

  lastOffset(pos: number): number {
    return this.base[this.head + pos]! + this.lastDelta[this.head + pos]!
  }

  sizeBytes(pos: number): number {
    return this.size[this.head + pos]!
  }

  maxTimestamp(pos: number): number {
    return this.maxTs[this.head + pos]!
  }

  /** The backend's location of the batch (LevelDB: its key in the batch store, 0 for none). */
  location(pos: number): number {
    return this.loc[this.head + pos]!
  }

  setLocation(pos: number, location: number): void {
    assert(pos >= 0 && pos < this.length, 'setLocation out of range')
    this.loc[this.head + pos] = location
  }

  entry(pos: number): IndexEntry {
    return {
      baseOffset: this.baseOffset(pos),
      lastOffset: this.lastOffset(pos),
      sizeBytes: this.sizeBytes(pos),
      maxTimestamp: this.maxTimestamp(pos),
    }
  }

  push(baseOffset: number, lastOffset: number, sizeBytes: number, maxTimestamp: number, location = 0): void {
    assert(this.length === 0 || baseOffset > this.lastOffset(this.length - 1), 'index entries must increase')
    assert(lastOffset >= baseOffset && lastOffset - baseOffset <= 0xffffffff, 'bad lastOffset')
    if (this.end === this.base.length) this.grow()
    const i = this.end++
    this.base[i] = baseOffset
    this.lastDelta[i] = lastOffset - baseOffset
    this.size[i] = sizeBytes
    this.maxTs[i] = maxTimestamp
    this.loc[i] = location
    this.prefixMaxTs[i] = i > 0 ? Math.max(this.prefixMaxTs[i - 1]!, maxTimestamp) : maxTimestamp
    this.bytes += sizeBytes
  }

  /** Forgets the `count` oldest entries. */
  removeHead(count: number): void {
    assert(count >= 0 && count <= this.length, 'removeHead out of range')
    for (let i = this.head; i < this.head + count; i++) this.bytes -= this.size[i]!
    this.head += count
  }

  /** Keeps the first `length` entries. */
  truncate(length: number): void {
    assert(length >= 0 && length <= this.length, 'truncate out of range')
    for (let i = this.head + length; i < this.end; i++) this.bytes -= this.size[i]!
    this.end = this.head + length
  }

  /**
   * Compaction: a new size for some entries (a rewritten batch keeps its offsets and maxTimestamp)
   * and removal of others (null), at any position. Rebuilds the arrays in place, O(length).
   */
  rewrite(changes: ReadonlyMap<number, number | null>): void {
    let to = this.head
    for (let from = this.head; from < this.end; from++) {
      const change = changes.get(from - this.head)
      if (change === null) {
        this.bytes -= this.size[from]!
        continue
      }
      if (change !== undefined) {
        this.bytes += change - this.size[from]!
        this.size[from] = change
      }
      this.base[to] = this.base[from]!
      this.lastDelta[to] = this.lastDelta[from]!
      this.size[to] = this.size[from]!
      this.maxTs[to] = this.maxTs[from]!
      this.loc[to] = this.loc[from]!
      this.prefixMaxTs[to] = to > 0 ? Math.max(this.prefixMaxTs[to - 1]!, this.maxTs[to]!) : this.maxTs[to]!
      to++
    }
    this.end = to
  }

  /** Position of the first batch whose last offset is >= offset (length if none). */
  positionFor(offset: number): number {
    let lo = this.head
    let hi = this.end
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.base[mid]! + this.lastDelta[mid]! < offset) lo = mid + 1
      else hi = mid
    }
    return lo - this.head
  }

  /** Position of the batch whose base offset is exactly `baseOffset`, or -1. */
  positionOfBase(baseOffset: number): number {
    const pos = this.positionFor(baseOffset)
    return pos < this.length && this.baseOffset(pos) === baseOffset ? pos : -1
  }

  /** Position of the first batch whose maxTimestamp >= ts (length if none). */
  positionForTimestamp(ts: number): number {
    let lo = this.head
    let hi = this.end
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.prefixMaxTs[mid]! < ts) lo = mid + 1
      else hi = mid
    }
    // Every batch before lo has maxTimestamp < ts. From lo on, timestamps need not be monotonic
    // (CreateTime is the producer's): scan for the first that qualifies. Usually lo itself.
    while (lo < this.end && this.maxTs[lo]! < ts) lo++
    return lo - this.head
  }

  private grow(): void {
    const live = this.length
    // Reclaim the deleted head first; double only when at least half the slots are live.
    const capacity = live * 2 > this.base.length ? this.base.length * 2 : this.base.length
    const move = <T extends Float64Array | Uint32Array>(from: T, make: (n: number) => T): T => {
      if (capacity === from.length) {
        from.copyWithin(0, this.head, this.end)
        return from
      }
      const to = make(capacity)
      to.set(from.subarray(this.head, this.end))
      return to
    }
    this.base = move(this.base, (n) => new Float64Array(n))
    this.lastDelta = move(this.lastDelta, (n) => new Uint32Array(n))
    this.size = move(this.size, (n) => new Uint32Array(n))
    this.maxTs = move(this.maxTs, (n) => new Float64Array(n))
    this.loc = move(this.loc, (n) => new Float64Array(n))
    this.prefixMaxTs = move(this.prefixMaxTs, (n) => new Float64Array(n))
    this.head = 0
    this.end = live
  }
}
