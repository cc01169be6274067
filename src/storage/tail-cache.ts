/**
 * The store-wide cache of recently appended batches: consumers and followers tailing a log read
 * what was just written, so those reads should not go to LevelDB. One FIFO in append order across
 * all partitions of a broker, within a byte budget: recency of append is the tail everyone reads.
 * Each partition looks its batches up in its own map (base offset -> bytes).
 */

export type PartitionTail = Map<number, Buffer>

interface Slot {
  tail: PartitionTail
  baseOffset: number
  bytes: Buffer
}

export class TailCache {
  private fifo: Slot[] = []
  private fifoHead = 0
  private cachedBytes = 0
  private cachedCount = 0

  constructor(private readonly budgetBytes: number) {}

  get bytes(): number {
    return this.cachedBytes
  }

  add(tail: PartitionTail, baseOffset: number, bytes: Buffer): void {
    // Whatever was cached at this offset (before a truncation) is stale from now on.
    this.remove(tail, baseOffset)
    // One batch should not flush everyone else's tail.
    if (bytes.length > this.budgetBytes / 4) return
    // A slice of a large request buffer would keep the whole request alive: keep a copy instead.
    const owned = bytes.buffer.byteLength > bytes.length * 2 ? Buffer.from(bytes) : bytes
    tail.set(baseOffset, owned)
    this.cachedBytes += owned.length
    this.cachedCount++
    this.fifo.push({ tail, baseOffset, bytes: owned })
    while (this.cachedBytes > this.budgetBytes && this.fifoHead < this.fifo.length) this.evictOldest()
    this.compact()
  }

  remove(tail: PartitionTail, baseOffset: number): void {
    const bytes = tail.get(baseOffset)
    if (bytes === undefined) return
    tail.delete(baseOffset)
    this.cachedBytes -= bytes.length
    this.cachedCount--
  }

  /** Forgets a whole partition (deleted or closed); its FIFO slots go stale and are skipped. */
  clear(tail: PartitionTail): void {
    for (const bytes of tail.values()) this.cachedBytes -= bytes.length
    this.cachedCount -= tail.size
    tail.clear()
  }

  private evictOldest(): void {
    const slot = this.fifo[this.fifoHead]!
    this.fifo[this.fifoHead++] = undefined as unknown as Slot
    // A slot is stale if its batch was removed (truncation, retention) or replaced since.
    if (this.isLive(slot)) {
      slot.tail.delete(slot.baseOffset)
      this.cachedBytes -= slot.bytes.length
      this.cachedCount--
    }
  }

  private isLive(slot: Slot): boolean {
    return slot.tail.get(slot.baseOffset) === slot.bytes
  }

  /** Keeps the FIFO proportional to what is cached: drops consumed and stale slots. */
  private compact(): void {
    const slots = this.fifo.length - this.fifoHead
    if (slots < 1024 || slots < 2 * this.cachedCount) return
    this.fifo = this.fifo.slice(this.fifoHead).filter((slot) => this.isLive(slot))
    this.fifoHead = 0
  }
}
