/**
 * The controller behind a queue: commands run one at a time against the current image and their
 * records are appended to the metadata log; the image changes only by what the log commits (its
 * commit stream), told as events to the brokers and subscribers, and a command is answered once
 * its records are committed and applied (persist before you answer).
 *
 * Applying the commit stream rather than one's own appends is what a quorum needs (KRaft's
 * controller does the same from its Raft listener): an append that timed out may commit later,
 * under this leader or the next, and its records arrive then, exactly once. Before each command
 * the driver waits for the log to be settled (nothing appended may still commit unseen), as a
 * KRaft controller that lost leadership waits to catch up on the new leader's log before it
 * writes again; so no command runs against an image missing records that will commit. A command
 * that waits longer than the log's append timeout, or whose append times out, is answered with
 * REQUEST_TIMED_OUT and the log's message (QUORUM_NO_MAJORITY), as Kafka answers an admin request
 * its controller could not commit.
 */
import type { AlterIsrRequest, CommandResult, Controller } from '../cluster/controller.js'
import { describeRecord, type ClusterEvent } from '../cluster/events.js'
import type { MetadataRecord } from '../cluster/metadata.js'
import type { Clock, Scheduler } from '../cluster/scheduler.js'
import { SluiceError } from '../common/errors.js'
import type { MetadataPersistence, StoredRecord } from './metadata-log.js'
import { ErrorCode } from '../protocol/errors.js'

/** A quorum that could not commit in time, as a command's answer; any other failure is thrown. */
function timedOut<T>(error: unknown): CommandResult<T> {
  if (error instanceof SluiceError && error.code === 'QUORUM_NO_MAJORITY') {
    return { errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: error.message, records: [] }
  }
  throw error
}

export class ControllerDriver {
  private tail: Promise<unknown> = Promise.resolve()
  /** The next metadata offset to apply (what the stream tells below it was replayed already). */
  private nextOffset = 0
  private replayed = false
  /** What the stream told before the replay (a quorum commits while the node is being built). */
  private early: StoredRecord[] = []

  constructor(
    readonly controller: Controller,
    private readonly metadataLog: MetadataPersistence,
    private readonly clock: Clock,
    private readonly onCommitted: (records: MetadataRecord[], events: ClusterEvent[]) => void,
  ) {
    metadataLog.onCommit((records) => this.apply(records))
  }

  /** The records open() returned: the image as the log holds it, applied without events. */
  replay(stored: StoredRecord[]): void {
    this.controller.commitAt(stored)
    this.nextOffset = (stored.at(-1)?.offset ?? -1) + 1
    this.replayed = true
    this.apply(this.early.splice(0))
  }

  submit<T>(command: () => CommandResult<T>, validateOnly = false): Promise<CommandResult<T>> {
    const submittedMs = this.clock.nowMs()
    const run = async (): Promise<CommandResult<T>> => {
      try {
        await this.metadataLog.settled(submittedMs)
      } catch (error) {
        return timedOut(error)
      }
      const result = command()
      if (result.errorCode !== ErrorCode.NONE || validateOnly || result.records.length === 0) return result
      try {
        // Resolves once committed: the commit stream has applied the records by then.
        await this.metadataLog.append(result.records, this.clock.nowMs())
      } catch (error) {
        return timedOut(error)
      }
      return result
    }
    const next = this.tail.then(run, run)
    this.tail = next.catch(() => undefined)
    return next
  }

  /** Committed records, in commit order: applied once each, each told as events against the image just before it. */
  private apply(records: StoredRecord[]): void {
    if (!this.replayed) {
      this.early.push(...records)
      return
    }
    const fresh = records.filter((s) => s.offset >= this.nextOffset)
    if (fresh.length === 0) return
    const events: ClusterEvent[] = []
    for (const s of fresh) {
      events.push(...describeRecord(this.controller.image, s.record, s.offset, s.timestampMs))
      this.controller.commitAt([s])
    }
    this.nextOffset = fresh.at(-1)!.offset + 1
    this.onCommitted(
      fresh.map((s) => s.record),
      events,
    )
  }
}

/**
 * Leaders' ISR changes, committed together: the changes proposed before a zero timer fires
 * go to the controller as one command and one metadata-log write (Kafka's AlterPartitionManager
 * batches them the same way). A broker returning to 10,000 partitions proposes thousands of ISR
 * expansions at once; one commit each made the cluster busy for tens of seconds after a restart.
 * At most one change per partition per batch; a second waits for the next batch.
 */
export class IsrChangeBatcher {
  private pending: { req: AlterIsrRequest; resolve: (r: CommandResult) => void; reject: (e: unknown) => void }[] = []
  private scheduled = false

  constructor(
    private readonly driver: ControllerDriver,
    private readonly scheduler: Scheduler,
  ) {}

  submit(req: AlterIsrRequest): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      this.pending.push({ req, resolve, reject })
      this.schedule()
    })
  }

  private schedule(): void {
    if (this.scheduled || this.pending.length === 0) return
    this.scheduled = true
    // A zero timer: every change proposed before it fires (this turn of the event loop) joins.
    this.scheduler.setTimer(() => this.flush(), 0)
  }

  private flush(): void {
    this.scheduled = false
    const batch: typeof this.pending = []
    const later: typeof this.pending = []
    const seen = new Set<string>()
    for (const p of this.pending) {
      const key = `${p.req.topicId}:${p.req.partition}`
      if (seen.has(key)) later.push(p)
      else {
        seen.add(key)
        batch.push(p)
      }
    }
    this.pending = later
    const controller = this.driver.controller
    this.driver.submit(() => controller.alterIsrs(batch.map((p) => p.req))).then(
      (result) => {
        if (result.value) for (const [i, p] of batch.entries()) p.resolve({ ...result.value[i]!, records: [] })
        else {
          // Not committed in time, yet it may still commit: a failure, not a refusal, so each
          // leader keeps waiting on its maximal ISR (a refused expansion would let the high
          // watermark move without a member that a later commit puts in the ISR).
          const error = new SluiceError('QUORUM_NO_MAJORITY', result.errorMessage ?? 'the controller quorum could not commit the ISR changes')
          for (const p of batch) p.reject(error)
        }
        this.schedule()
      },
      (error: unknown) => {
        for (const p of batch) p.reject(error)
        this.schedule()
      },
    )
  }
}
