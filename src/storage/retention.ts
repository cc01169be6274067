/**
 * Kafka's delete-policy retention, with a stored batch in the role of a log segment:
 *  1. time: delete the head batches while `nowMs - maxTimestamp > retentionMs`;
 *  2. size: then delete head batches while the log would still hold >= retentionBytes without them;
 * each pass stops at the first batch it may not delete, and only batches entirely below the high
 * watermark can go (Kafka never deletes what consumers could not yet read). Kafka also deletes an
 * expired active segment (it rolls first), so the last batch is not special here; the LEO stays.
 *
 * A batch without timestamps (maxTimestamp -1) never expires by time: Kafka would fall back to the
 * segment file's mtime, which a batch does not have.
 * (cleanup.policy=compact is compaction.ts: a cleaner that rewrites batches, not this planner.)
 */
import type { BatchIndex } from './batch-index.js'
import type { RetentionOptions } from './types.js'

/** Bound on one call's work; the broker's retention timer comes back for the rest. */
export const RETENTION_BATCHES_MAX = 100_000

/** How many head batches retention deletes now. */
export function planRetention(index: BatchIndex, highWatermark: number, opts: RetentionOptions): number {
  const max = Math.min(index.length, RETENTION_BATCHES_MAX)
  const belowHwm = (pos: number): boolean => index.lastOffset(pos) < highWatermark
  let count = 0
  if (opts.retentionMs >= 0) {
    while (count < max && belowHwm(count)) {
      const ts = index.maxTimestamp(count)
      if (ts < 0 || opts.nowMs - ts <= opts.retentionMs) break
      count++
    }
  }
  if (opts.retentionBytes >= 0) {
    let remaining = index.totalBytes
    for (let pos = 0; pos < count; pos++) remaining -= index.sizeBytes(pos)
    while (count < max && belowHwm(count) && remaining - index.sizeBytes(count) >= opts.retentionBytes) {
      remaining -= index.sizeBytes(count)
      count++
    }
  }
  return count
}
