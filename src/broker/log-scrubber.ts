/**
 * A background read of every log a broker opens, from its start to where it ended at open, so a
 * corrupt batch is found while the replica is a follower too (a follower's log is otherwise read
 * only if it becomes leader). Reads go through the log, which checks each batch read from disk
 * (framing, offset, CRC-32C); a finding goes to CorruptReplicas, which recovers the replica.
 *
 * Cost, bounded: one partition at a time, LOG_PASS_READ_BYTES per read and a SCRUB_PAUSE_MS pause
 * after each, so at most ~100 MiB/s of reads (measured: CRC-32C itself runs at several GB/s; the
 * LevelDB reads are the cost). Data appended after the log opened is not read again: it was
 * checked when it arrived and is served from memory while recent.
 */
import type { Logger } from '../common/logger.js'
import { readBatchHeader } from '../protocol/batch-layout.js'
import { isStorageError, type StorageError } from '../storage/errors.js'
import { LOG_PASS_READ_BYTES } from '../storage/types.js'
import { sleep, type Scheduler } from '../cluster/scheduler.js'
import type { Hosted } from './replica-manager.js'

export const SCRUB_PAUSE_MS = 10

export interface LogScrubberOptions {
  brokerId: number
  scheduler: Scheduler
  log: Logger
  onCorrupt: (h: Hosted, error: StorageError) => void
}

export class LogScrubber {
  private readonly queue: Hosted[] = []
  private running = false
  private stopped = false
  private scrubbed = { partitions: 0, bytes: 0 }

  constructor(private readonly opts: LogScrubberOptions) {}

  enqueue(h: Hosted): void {
    if (this.stopped) return
    this.queue.push(h)
    if (!this.running) void this.run()
  }

  stop(): void {
    this.stopped = true
    this.queue.length = 0
  }

  private async run(): Promise<void> {
    this.running = true
    const startMs = this.opts.scheduler.nowMs()
    while (!this.stopped && this.queue.length > 0) {
      const h = this.queue.shift()!
      try {
        await this.scrub(h)
        this.scrubbed.partitions++
      } catch (error) {
        this.opts.log.warn('log scrub stopped', { broker: this.opts.brokerId, partition: h.key, error: String(error) })
      }
    }
    this.running = false
    if (!this.stopped && this.scrubbed.bytes > 0) {
      const { partitions, bytes } = this.scrubbed
      this.opts.log.info('log scrub done', { broker: this.opts.brokerId, partitions, bytes, ms: this.opts.scheduler.nowMs() - startMs })
      this.scrubbed = { partitions: 0, bytes: 0 }
    }
  }

  private async scrub(h: Hosted): Promise<void> {
    const log = h.log
    if (!log) return
    const end = log.logEndOffset
    let offset = log.logStartOffset
    while (offset < end && !this.stopped) {
      let batches: Buffer[]
      try {
        batches = await log.read(offset, LOG_PASS_READ_BYTES, end)
      } catch (error) {
        if (isStorageError(error, 'CORRUPT_BATCH')) return this.opts.onCorrupt(h, error)
        // Retention or a truncation moved the log under the scrub: what is left was checked or is new.
        if (isStorageError(error, 'OFFSET_OUT_OF_RANGE')) return
        throw error
      }
      if (batches.length === 0) return
      for (const b of batches) this.scrubbed.bytes += b.length
      const next = readBatchHeader(batches[batches.length - 1]!, 0).lastOffset + 1
      if (next <= offset) return
      offset = next
      await sleep(this.opts.scheduler, SCRUB_PAUSE_MS)
    }
  }
}
