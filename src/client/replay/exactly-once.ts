/**
 * `replay --into` exactly once across interruptions. Each chunk of records written to the target
 * and the replay's progress (the next source offset of each partition, committed as a consumer
 * group's offsets) go in ONE transaction (transactions.ts): both take effect, or neither. A replay
 * killed at any moment (kill -9 included) and run again continues from the last committed progress,
 * and read_committed readers of the target see each source record once.
 *
 * Identity: the replay's transactional id and group id are one name, `sluice-replay-<hash>`, the
 * hash of what the command names: source, target, partitions, --from, --to, --filter and
 * --repartition (as typed, so `--from @-1h` run again is the same replay), unless
 * --transactional-id names it. A run again:
 *   1. InitProducerId with that id: the coordinator aborts what a killed run left open and fences it;
 *   2. OffsetFetch (requireStable) of the group: each partition's committed next offset, and in its
 *      metadata the range end the first run fixed (so the end does not move on to records appended
 *      since: the same command replays the same range);
 *   3. reads from there. A partition at its end is done; every partition done: the replay completed
 *      before, nothing is written.
 * `--restart` ignores the progress (the first commit overwrites it): the range is read again from
 * --from, and its records are written again.
 */
import { createHash } from 'node:crypto'
import { ExitCode, SluiceError } from '../../common/errors.js'
import { ErrorCode, errorName, isRetriable } from '../../protocol/errors.js'
import { CoordinatorKeyType, findCoordinator, offsetFetch } from '../consume/group-member/apis.js'
import type { PartitionCursor } from '../consume/fetcher.js'
import type { ClusterTarget } from '../kafka.js'
import { RETRY_BACKOFF_MS } from '../produce/producer-setup.js'
import { TRANSACTION_TIMEOUT_MS_DEFAULT, TransactionManager, type TxnClient } from '../produce/transactions.js'
import { parseBroker } from '../wire/bootstrap.js'
import { WireError } from '../wire/connection.js'

/** What names a replay: the command's own words, so the same command is the same replay. */
export interface ReplayIdentity {
  topic: string
  into: string
  partitions: string | undefined
  from: string
  to: string | undefined
  filter: string | undefined
  repartition: boolean
  /** `--isolation read_uncommitted` (another set of records); undefined for the default, read_committed. */
  isolation?: string
}

/** `sluice-replay-` and 16 hex digits of the SHA-256 of the identity. */
export function replayId(identity: ReplayIdentity): string {
  const { topic, into, partitions, from, to, filter, repartition, isolation } = identity
  const words = [topic, into, partitions ?? null, from, to ?? null, filter ?? null, repartition]
  // Only a non-default isolation names another replay: a read_committed replay keeps the id it had
  // before the flag existed.
  if (isolation !== undefined) words.push(isolation)
  const text = JSON.stringify(words)
  return `sluice-replay-${createHash('sha256').update(text).digest('hex').slice(0, 16)}`
}

/** A partition's committed progress: the next source offset, and the range's end fixed by the first run. */
export interface PartitionProgress {
  next: number
  stopOffset: number
  stopTimestampMs?: number
}

/** How long reading the progress waits for a pending transactional commit to settle. */
const STABLE_WAIT_MS = 60_000

export class ReplayCheckpoint {
  readonly txn: TransactionManager
  /** Transactions committed by this run. */
  committed = 0
  /** The positions committed last (partition -> next offset). */
  private last = new Map<number, number>()

  constructor(
    private readonly client: TxnClient,
    private readonly target: ClusterTarget,
    /** The transactional id, and the group id of the progress. */
    readonly id: string,
    private readonly sourceTopic: string,
  ) {
    this.txn = new TransactionManager(client, target, { transactionalId: id, transactionTimeoutMs: TRANSACTION_TIMEOUT_MS_DEFAULT })
  }

  /** Fences an earlier run of this replay (its open transaction is aborted) and begins the first transaction. */
  async init(): Promise<void> {
    await this.txn.init()
    this.txn.begin()
  }

  /** The committed progress of each partition that has some (requireStable: pending commits settle first). */
  async load(partitions: number[]): Promise<Map<number, PartitionProgress>> {
    const deadline = performance.now() + STABLE_WAIT_MS
    const brokers = this.target.bootstrapBrokers
    for (let attempt = 0; ; attempt++) {
      let why: string
      try {
        const bootstrap = await this.client.connections.get(parseBroker(brokers[attempt % brokers.length]!))
        const found = await findCoordinator(bootstrap, this.id, CoordinatorKeyType.GROUP)
        if (found.errorCode !== ErrorCode.NONE && !isRetriable(found.errorCode)) throw kafkaError(this.id, 'FindCoordinator', found.errorCode)
        if (found.errorCode === ErrorCode.NONE) {
          const c = await this.client.connections.get({ host: found.host, port: found.port })
          const answer = await offsetFetch(c, { groupId: this.id, topic: this.sourceTopic, partitions, requireStable: true })
          const code = answer.errorCode !== ErrorCode.NONE ? answer.errorCode : (answer.partitions.find((p) => p.errorCode !== ErrorCode.NONE)?.errorCode ?? ErrorCode.NONE)
          if (code === ErrorCode.NONE) return progressOf(answer.partitions)
          if (!isRetriable(code)) throw kafkaError(this.id, 'OffsetFetch', code)
          why = errorName(code)
        } else why = errorName(found.errorCode)
      } catch (err) {
        if (!(err instanceof WireError)) throw err
        why = err.message
      }
      if (performance.now() > deadline) throw new SluiceError('KAFKA_ERROR', `replay ${this.id}: its committed progress could not be read within ${STABLE_WAIT_MS / 1000} s (last: ${why})`, { exit: ExitCode.KAFKA, retriable: true })
      await new Promise((resolve) => setTimeout(resolve, RETRY_BACKOFF_MS))
    }
  }

  /**
   * Commits the open transaction with the cursors' positions as the progress (the records sent in
   * it must be acknowledged first), then begins the next. Nothing new: nothing to commit.
   */
  async commit(cursors: PartitionCursor[], sentRecords: boolean): Promise<void> {
    const changed = cursors.filter((c) => this.last.get(c.partition) !== c.position)
    if (changed.length === 0 && !sentRecords) return
    const offsets = cursors.map((c) => ({ partition: c.partition, offset: c.position, metadata: progressMetadata(c) }))
    await this.txn.sendOffsets(this.id, this.sourceTopic, offsets)
    await this.txn.commit()
    this.committed++
    for (const c of cursors) this.last.set(c.partition, c.position)
    this.txn.begin()
  }

  /** Aborts the open transaction (after a failure); never throws: the failure is what is reported. */
  async abort(): Promise<void> {
    if (!this.txn.inTransaction) return
    await this.txn.abort().catch(() => undefined)
  }
}

/** The range's end, kept beside the committed offset so that a run again replays the same range. */
function progressMetadata(c: PartitionCursor): string {
  return JSON.stringify(c.stopTimestampMs === undefined ? { to: c.stopOffset } : { to: c.stopOffset, toTimestampMs: c.stopTimestampMs })
}

function progressOf(partitions: { partition: number; offset: number; metadata?: string | null }[]): Map<number, PartitionProgress> {
  const out = new Map<number, PartitionProgress>()
  for (const p of partitions) {
    if (p.offset < 0) continue
    let stored: { to?: unknown; toTimestampMs?: unknown } = {}
    try {
      stored = JSON.parse(p.metadata ?? '') as typeof stored
    } catch {
      // Offsets committed by something else under this group id: the range ends where it ends now.
    }
    const progress: PartitionProgress = { next: p.offset, stopOffset: typeof stored.to === 'number' ? stored.to : Number.POSITIVE_INFINITY }
    if (typeof stored.toTimestampMs === 'number') progress.stopTimestampMs = stored.toTimestampMs
    out.set(p.partition, progress)
  }
  return out
}

function kafkaError(id: string, api: string, code: number): SluiceError {
  return new SluiceError('KAFKA_ERROR', `replay ${id}: ${api} failed (${errorName(code)})`, { exit: ExitCode.KAFKA })
}
