/**
 * The controller behind a queue: commands run one at a time against the current image, their
 * records are persisted in the metadata log, then applied, then answered (persist before you
 * answer), and every commit is announced to the brokers and to event subscribers.
 */
import type { AlterIsrRequest, CommandResult, Controller } from '../cluster/controller.js'
import { describeRecord, type ClusterEvent } from '../cluster/events.js'
import type { MetadataRecord } from '../cluster/metadata.js'
import type { Clock, Scheduler } from '../cluster/scheduler.js'
import type { MetadataPersistence } from './metadata-log.js'
import { ErrorCode } from '../protocol/errors.js'

export class ControllerDriver {
  private tail: Promise<unknown> = Promise.resolve()

  constructor(
    readonly controller: Controller,
    private readonly metadataLog: MetadataPersistence,
    private readonly clock: Clock,
    private readonly onCommitted: (records: MetadataRecord[], events: ClusterEvent[]) => void,
  ) {}

  submit<T>(command: () => CommandResult<T>, validateOnly = false): Promise<CommandResult<T>> {
    const run = async (): Promise<CommandResult<T>> => {
      const result = command()
      if (result.errorCode !== ErrorCode.NONE || validateOnly || result.records.length === 0) return result
      const timestampMs = this.clock.nowMs()
      const firstOffset = await this.metadataLog.append(result.records, timestampMs)
      // Each record is told as an event against the image just before it.
      const events: ClusterEvent[] = []
      for (const [i, record] of result.records.entries()) {
        events.push(...describeRecord(this.controller.image, record, firstOffset + i, timestampMs))
        this.controller.commit([record])
      }
      this.onCommitted(result.records, events)
      return result
    }
    const next = this.tail.then(run, run)
    this.tail = next.catch(() => undefined)
    return next
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
        for (const [i, p] of batch.entries()) p.resolve({ ...result.value![i]!, records: [] })
        this.schedule()
      },
      (error: unknown) => {
        for (const p of batch) p.reject(error)
        this.schedule()
      },
    )
  }
}
