/**
 * The isolation level of a read (KIP-98): what `consume`, `tail` and `replay` see of transactions.
 *
 *   read_committed    (sluice's default: the user never sees aborted data) Fetch stops at the last
 *                     stable offset (the first offset of the oldest open transaction, at most the
 *                     high watermark) and names the aborted transactions of the range, whose
 *                     records the client drops (batches.ts); ListOffsets `latest` is that LSO too,
 *                     so `--exit` and `--to latest` stop there.
 *   read_uncommitted  every record up to the high watermark, aborted and open transactions included
 *                     (Kafka's consumer default, and kcat's).
 *
 * Either way control batches (the COMMIT and ABORT markers) are never records: they are skipped
 * unless asked for (--show-control).
 */
export const ISOLATIONS = ['read_committed', 'read_uncommitted'] as const
export type Isolation = (typeof ISOLATIONS)[number]
export const DEFAULT_ISOLATION: Isolation = 'read_committed'

/** Kafka's IsolationLevel on the wire (Fetch v4+, ListOffsets v2+): 0 read_uncommitted, 1 read_committed. */
export function isolationLevelOf(isolation: Isolation): 0 | 1 {
  return isolation === 'read_committed' ? 1 : 0
}

