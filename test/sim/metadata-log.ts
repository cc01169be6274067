/**
 * The simulation's metadata persistence: the controller's records kept in memory, each append
 * landing after a seeded delay in virtual time (the daemon writes them to its metadata log file).
 */
import type { MetadataRecord } from '../../src/cluster/metadata.js'
import { sleep, type Scheduler } from '../../src/cluster/scheduler.js'
import type { CommitListener, MetadataPersistence, StoredRecord } from '../../src/daemon/metadata-log.js'

export class MemoryMetadataLog implements MetadataPersistence {
  private readonly records: StoredRecord[]
  private listener: CommitListener = () => undefined

  constructor(
    private readonly scheduler: Scheduler,
    /** How long the next append takes (drawn from the seed). */
    private readonly writeDelayMs: () => number,
    /** Records already stored when the node opens (the configs a seed starts with). */
    initial: MetadataRecord[],
  ) {
    this.records = initial.map((record, offset) => ({ offset, timestampMs: 0, record }))
  }

  async open(): Promise<StoredRecord[]> {
    return [...this.records]
  }

  onCommit(listener: CommitListener): void {
    this.listener = listener
  }

  async settled(): Promise<void> {}

  async clusterId(): Promise<string> {
    return 'sim'
  }

  async append(records: MetadataRecord[], timestampMs: number): Promise<number> {
    await sleep(this.scheduler, this.writeDelayMs())
    const first = this.records.length
    const stored = records.map((record, i) => ({ offset: first + i, timestampMs, record }))
    this.records.push(...stored)
    this.listener(stored)
    return first
  }

  async readAll(): Promise<StoredRecord[]> {
    return [...this.records]
  }

  async close(): Promise<void> {}
}
